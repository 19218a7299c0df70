"""The Realtime endpoint's WebSocket: the upgrade of ``GET /v1/realtime`` and the connection after it.

The HTTP connection (``_protocol.Connection``) parses the upgrade request like
any other; :func:`plan_upgrade` decides, from the request alone, whether to
refuse it (an HTTP error reply, the connection staying HTTP) or to switch
protocols. On a switch, the HTTP connection writes the ``101`` head and hands
its transport to a :class:`RealtimeConnection` (``transport.set_protocol``):
one server, one port, both protocols. The frames are wsproto's (sans-IO); the
conversation is ``_realtime.RealtimeSession``'s (sans-IO); this module only
moves bytes and paces the events of a response.

Scripted abnormal ends, so that clients can test reconnection. A queued
``Fault`` for path ``/v1/realtime`` is consumed by one upgrade request (a
status refuses the upgrade with it; "close", "reset" and "hang" act on the
HTTP request); its stream actions apply to the WebSocket, as soon as it has
sent ``after`` server events: "stream_drop" aborts the TCP connection (RST), "stream_error"
closes with code 1011 (the reason is the fault's body, if any), "stream_stall"
goes silent (no events, no pongs) until the client leaves, "truncate" closes
TCP (FIN) without a close frame. The same from the query string, for a server
in another process, on every connection that carries it:
``mock_fault=drop|close|stall|eof``, ``mock_after=N`` (default 0),
``mock_close_code=C`` (with ``close``; default 1011) and
``mock_chunk_delay=S`` (seconds between a response's events).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import logging
import socket
import struct
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final, Literal

from wsproto.connection import Connection as WsConnection
from wsproto.connection import ConnectionState, ConnectionType
from wsproto.events import BytesMessage, CloseConnection, Ping, Pong, TextMessage
from wsproto.extensions import PerMessageDeflate
from wsproto.frame_protocol import CloseReason
from wsproto.handshake import server_extensions_handshake
from wsproto.utilities import generate_accept_token, split_comma_header

from ._common import Reply, error_body, query_params
from ._http import Request
from ._realtime import DEFAULT_MODEL, Event, RealtimeSession
from ._types import Fault

if TYPE_CHECKING:
    from ._protocol import ServerState

__all__ = [
    "REALTIME_PATH",
    "RealtimeConnection",
    "Upgrade",
    "plan_upgrade",
    "takes_websocket",
    "without_upgrade",
]

REALTIME_PATH: Final = "/v1/realtime"
_CLOSE_LINGER: Final = 2.0
_EVENTS_PER_TURN: Final = 64
_SCRIPTED_REASON: Final = "mock: scripted server error"

_log = logging.getLogger("openai_actors.mock")
_RESET_LINGER: Final = struct.pack("ii", 1, 0)

End = Literal["drop", "close", "stall", "eof"]
_ENDS: Final[dict[str, End]] = {"drop": "drop", "close": "close", "stall": "stall", "eof": "eof"}
_FAULT_ENDS: Final[dict[str, End]] = {
    "stream_drop": "drop",
    "stream_error": "close",
    "stream_stall": "stall",
    "truncate": "eof",
}


@dataclass(frozen=True, slots=True)
class Plan:
    """How one connection paces its responses and whether, and how, it ends abnormally."""

    end: End | None = None
    after: int = 0
    close_code: int = CloseReason.INTERNAL_ERROR
    close_reason: str = _SCRIPTED_REASON
    first_delay: float | None = None
    chunk_delay: float | None = None


@dataclass(frozen=True, slots=True)
class Upgrade:
    """An accepted upgrade: the ``101`` head to send and how to run the connection."""

    head: bytes
    deflate: PerMessageDeflate | None
    model: str
    plan: Plan


def takes_websocket(fault: Fault | None) -> bool:
    """True when ``fault`` is one the WebSocket meets (or none): the upgrade goes ahead."""
    if fault is None:
        return True
    if fault.action in _FAULT_ENDS:
        return True
    return fault.action == "respond" and fault.status is None


def plan_upgrade(request: Request, number: int, fault: Fault | None) -> Upgrade | Reply:
    """The ``101`` for a valid, authorized upgrade request, else the HTTP error that refuses it."""
    headers = request.headers
    if request.method != "GET":
        return _refusal(
            405, f"Method {request.method} is not allowed for {REALTIME_PATH}; use GET.", "method_not_allowed"
        )
    connection = [token.lower() for token in split_comma_header(headers.get("connection", "").encode())]
    if "upgrade" not in connection or headers.get("upgrade", "").lower() != "websocket":
        return _refusal(
            426, "The Realtime API is served over WebSocket: send an upgrade request.", "upgrade_required"
        )
    if headers.get("sec-websocket-version") != "13":
        reply = _refusal(
            426, "Unsupported WebSocket version: only version 13 is supported.", "upgrade_required"
        )
        return reply[0], reply[1], {"sec-websocket-version": "13"}
    key = headers.get("sec-websocket-key")
    if not key:
        return _refusal(400, "Missing header: 'Sec-WebSocket-Key'.", "invalid_request")
    if not _valid_key(key):
        return _refusal(
            400, "Invalid header 'Sec-WebSocket-Key': expected 16 bytes in base64.", "invalid_request"
        )
    if not _authorized(headers):
        return 401, _missing_key_body(), None
    params = query_params(request)
    plan = _plan(params, fault)
    if isinstance(plan, str):
        return _refusal(400, plan, "invalid_value")
    model = params.get("model") or params.get("deployment") or DEFAULT_MODEL
    deflate = PerMessageDeflate()
    offers = split_comma_header(headers.get("sec-websocket-extensions", "").encode())
    try:
        accepted = server_extensions_handshake(offers, [deflate]) if offers else None
    except (ValueError, IndexError):  # wsproto parses the parameters' values with a bare int()
        return _refusal(
            400,
            "Invalid header 'Sec-WebSocket-Extensions': a malformed permessage-deflate parameter.",
            "invalid_request",
        )
    lines = [
        b"HTTP/1.1 101 Switching Protocols",
        b"upgrade: websocket",
        b"connection: Upgrade",
        b"sec-websocket-accept: " + generate_accept_token(key.encode("latin-1")),
        b"x-request-id: req_%d" % number,
    ]
    if accepted:
        lines.append(b"sec-websocket-extensions: " + accepted)
    for name, value in ((fault.headers or {}) if fault is not None else {}).items():
        lines.append(f"{name}: {value}".encode("latin-1"))
    return Upgrade(b"\r\n".join(lines) + b"\r\n\r\n", deflate if accepted else None, model, plan)


def _valid_key(key: str) -> bool:
    """RFC 6455 4.2.1: the client's key is 16 (random) bytes, base64-encoded."""
    try:
        return len(base64.b64decode(key.encode("ascii"), validate=True)) == 16
    except (UnicodeEncodeError, binascii.Error):
        return False


def without_upgrade(request: Request, number: int) -> Reply:
    """``GET /v1/realtime`` as a plain HTTP request: the endpoint speaks WebSocket only."""
    return _refusal(
        426, "The Realtime API is served over WebSocket: send an upgrade request.", "upgrade_required"
    )


def _authorized(headers: dict[str, str]) -> bool:
    scheme, _, credentials = headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        return True
    return bool(headers.get("api-key", "").strip())


def _missing_key_body() -> bytes:
    return error_body(
        "You didn't provide an API key. You need to provide your API key in an Authorization header "
        "using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the api-key header for Azure.",
        "invalid_request_error",
        code="missing_api_key",
    )


def _refusal(status: int, message: str, code: str) -> Reply:
    return status, error_body(message, "invalid_request_error", code=code), None


def _plan(params: dict[str, str], fault: Fault | None) -> Plan | str:
    """The connection's plan from the query switches and the fault; a message for a bad switch."""
    end: End | None = None
    after = 0
    close_code: int = CloseReason.INTERNAL_ERROR
    reason = _SCRIPTED_REASON
    chunk_delay: float | None = None
    first_delay: float | None = None
    if "mock_fault" in params:
        end = _ENDS.get(params["mock_fault"])
        if end is None:
            return f"Invalid value for 'mock_fault': {params['mock_fault']!r}; expected drop, close, stall or eof."
    for name in ("mock_after", "mock_close_code", "mock_chunk_delay"):
        if name not in params:
            continue
        text = params[name]
        try:
            value = float(text) if name == "mock_chunk_delay" else int(text)
        except ValueError:
            return f"Invalid value for '{name}': {text!r} is not a number."
        if name == "mock_after":
            if value < 0:
                return f"Invalid value for 'mock_after': {text}; expected an integer >= 0."
            after = int(value)
        elif name == "mock_close_code":
            if not 1000 <= value <= 4999 or value in (1004, 1005, 1006, 1015):
                return (
                    f"Invalid value for 'mock_close_code': {text}; expected a close code a server may send."
                )
            close_code = int(value)
        else:
            if not 0 <= value < float("inf"):
                return f"Invalid value for 'mock_chunk_delay': {text}; expected seconds >= 0."
            chunk_delay = value
    if fault is not None:
        if fault.action in _FAULT_ENDS:
            end = _FAULT_ENDS[fault.action]
            after = fault.after
            close_code = CloseReason.INTERNAL_ERROR
            body = fault.body_bytes()
            if body is not None:
                reason = body.decode("utf-8", "replace")
        if fault.chunk_delay is not None:
            chunk_delay = fault.chunk_delay
        first_delay = fault.first_delay
    return Plan(end, after, close_code, reason, first_delay, chunk_delay)


class RealtimeConnection(asyncio.Protocol):
    """One Realtime WebSocket connection, from the ``101`` until the transport closes.

    Client events are answered as they arrive; the events of a response in
    progress are pumped one at a time (a timer for the plan's delays, a
    loop turn every few events otherwise), and not at all while the client's
    receive buffer is full (``pause_writing``), when reading from it stops too.
    """

    def __init__(
        self,
        state: ServerState,
        loop: asyncio.AbstractEventLoop,
        transport: asyncio.Transport,
        upgrade: Upgrade,
        number: int,
        *,
        write_paused: bool,
    ) -> None:
        self._state = state
        self._loop = loop
        self._transport = transport
        self._ws = WsConnection(ConnectionType.SERVER, [upgrade.deflate] if upgrade.deflate else None)
        self._session = RealtimeSession(upgrade.model, number)
        self._number = number
        self._plan = upgrade.plan
        self._first_delay = (
            state.stream_first_delay if upgrade.plan.first_delay is None else upgrade.plan.first_delay
        )
        self._chunk_delay = (
            state.stream_chunk_delay if upgrade.plan.chunk_delay is None else upgrade.plan.chunk_delay
        )
        self._sent = 0
        self._fragments: list[str] = []
        self._fragments_size = 0
        self._binary = False
        self._timer: asyncio.TimerHandle | asyncio.Handle | None = None
        self._write_paused = write_paused
        self._stalled = False
        # A response was just created: its next event waits the first delay, not the chunk delay.
        self._fresh = False
        self._closed = False
        self._by_client = False
        self._by_server = False

    def start(self, trailing: bytes) -> None:
        """Send the opening events, then take what the client sent after its upgrade request."""
        if self._plan.end is not None and self._plan.after == 0:
            self._meet_end()
        self._send_all(self._session.opened())
        if trailing and not self._closed:
            self.data_received(trailing)

    # --- asyncio callbacks -----------------------------------------------------

    def data_received(self, data: bytes) -> None:
        if self._closed:
            return
        if self._ws.state is ConnectionState.CLOSED:
            return
        self._ws.receive_data(data)
        for event in self._ws.events():
            if self._closed:
                return
            if isinstance(event, TextMessage | BytesMessage):
                self._on_message(event)
            elif isinstance(event, Ping):
                self._write_control(event.response())
            elif isinstance(event, CloseConnection):
                self._on_close(event)

    def eof_received(self) -> bool | None:
        if not self._by_server:
            self._by_client = True
        return None

    def connection_lost(self, exc: Exception | None) -> None:
        self._closed = True
        self._cancel_timer()
        if self._stalled:
            self._stalled = False
            self._state.hanging -= 1
        by_client = self._by_client or (exc is not None and not self._by_server)
        self._state.connection_lost(self, by_client)

    def pause_writing(self) -> None:
        self._write_paused = True
        self._state.write_pauses += 1
        self._state.notify()
        self._transport.pause_reading()

    def resume_writing(self) -> None:
        self._write_paused = False
        if self._closed:
            return
        self._transport.resume_reading()
        self._schedule_pump()

    def abort(self) -> None:
        """Close at once, for server shutdown."""
        self._by_server = True
        self._transport.abort()

    # --- client messages ---------------------------------------------------------

    def _on_message(self, message: TextMessage | BytesMessage) -> None:
        if self._stalled or self._ws.state is not ConnectionState.OPEN:
            return
        if isinstance(message, BytesMessage):
            self._binary = True
            self._fragments_size += len(message.data)
        else:
            self._fragments.append(message.data)
            self._fragments_size += len(message.data)
        if self._fragments_size > self._state.max_body_size:
            self._close(
                CloseReason.MESSAGE_TOO_BIG,
                f"Message too big: the limit is {self._state.max_body_size} bytes.",
            )
            return
        if not message.message_finished:
            return
        text = "".join(self._fragments)
        binary = self._binary
        self._fragments.clear()
        self._fragments_size = 0
        self._binary = False
        self._state.record_message(self._number, None if binary else text)
        try:
            replies = self._session.receive_binary() if binary else self._session.receive(text)
        except Exception as error:
            self._fail(error)
            return
        self._fresh = self._fresh or any(reply["type"] == "response.created" for reply in replies)
        self._send_all(replies)
        self._schedule_pump()

    def _on_close(self, event: CloseConnection) -> None:
        if self._stalled:  # silent to the end: the client's close timeout is what is tested
            return
        state = self._ws.state
        if state is ConnectionState.REMOTE_CLOSING:  # the client closes: answer it
            self._by_client = True
            self._transport.write(self._ws.send(event.response()))
        elif state is ConnectionState.OPEN:  # a frame the client got wrong: wsproto's code and reason
            self._by_server = True
            self._transport.write(self._ws.send(CloseConnection(code=event.code, reason=event.reason)))
        # else: the client's answer to our close; the closing handshake is done either way.
        self._shut()

    # --- server events -----------------------------------------------------------

    def _send_all(self, events: list[Event]) -> None:
        for event in events:
            if not self._send(event):
                return

    def _send(self, event: Event) -> bool:
        """Write one event unless the plan ends the connection first; False once it has ended."""
        if self._closed or self._stalled or self._ws.state is not ConnectionState.OPEN:
            return False
        self._sent += 1
        self._transport.write(self._ws.send(TextMessage(json.dumps(event, separators=(",", ":")))))
        buffered = self._transport.get_write_buffer_size()
        if buffered > self._state.peak_stream_buffer:
            self._state.peak_stream_buffer = buffered
        if self._sent == self._plan.after and self._plan.end is not None:
            self._meet_end()
        return True

    def _schedule_pump(self) -> None:
        # While the client is not reading, nothing is pumped: resume_writing schedules again.
        if self._timer is not None or self._write_paused or self._closed or not self._session.responding:
            return
        delay = self._first_delay if self._fresh else self._chunk_delay
        self._fresh = False
        if delay > 0:
            self._timer = self._loop.call_later(delay, self._pump)
        else:
            self._timer = self._loop.call_soon(self._pump)

    def _pump(self) -> None:
        self._timer = None
        budget = 1 if self._chunk_delay > 0 else _EVENTS_PER_TURN
        while budget and not self._write_paused and not self._closed:
            try:
                event = self._session.next_event()
            except Exception as error:
                self._fail(error)
                return
            if event is None or not self._send(event):
                return
            budget -= 1
        self._schedule_pump()

    def _fail(self, error: Exception) -> None:
        """A bug in the mock must not pass silently: the client sees 1011 with what it was."""
        _log.exception("mock server failed in a realtime session")
        self._close(CloseReason.INTERNAL_ERROR, f"Mock server error: {error!r}"[:120])

    # --- ends --------------------------------------------------------------------

    def _meet_end(self) -> None:
        end = self._plan.end
        if end == "drop":
            self._reset()
        elif end == "close":
            self._close(self._plan.close_code, self._plan.close_reason)
        elif end == "stall":
            self._stalled = True
            self._cancel_timer()
            self._state.hanging += 1
            self._state.notify()
        else:
            self._shut()

    def _close(self, code: int, reason: str) -> None:
        """Send a close frame, then wait (a while) for the client's."""
        self._by_server = True
        self._cancel_timer()
        if self._ws.state is not ConnectionState.OPEN:  # a close frame has gone already
            self._shut()
            return
        self._transport.write(self._ws.send(CloseConnection(code=code, reason=reason)))
        self._timer = self._loop.call_later(_CLOSE_LINGER, self._shut)

    def _write_control(self, event: Pong) -> None:
        # A stalled server answers nothing, pings included: what a client's keepalive must detect.
        if not self._stalled and self._ws.state is ConnectionState.OPEN:
            self._transport.write(self._ws.send(event))

    def _shut(self) -> None:
        if not self._by_client:
            self._by_server = True
        self._closed = True
        self._cancel_timer()
        self._transport.close()

    def _reset(self) -> None:
        self._by_server = True
        self._closed = True
        self._cancel_timer()
        sock = self._transport.get_extra_info("socket")
        if sock is not None:
            # Linger 0 turns close() into an RST instead of a FIN.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _RESET_LINGER)
        self._transport.abort()

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
