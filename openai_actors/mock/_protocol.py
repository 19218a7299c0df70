"""The connection protocol and the state shared by all connections of a server.

Everything here runs on the server's event loop thread, except the methods of
:class:`ServerState` documented as callable from any thread. Connections are
plain callback-driven state machines (no tasks) because that is the cheapest
way to serve many small requests with asyncio; a streamed reply is pumped by
the same callbacks (timers for its delays, ``resume_writing`` after the client
caught up), one event per write.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import ssl
import struct
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any, Final, Protocol
from urllib.parse import parse_qs

from ._common import Result, StreamReply, default_error_body, error_body
from ._files import DEFAULT_MAX_STORAGE
from ._http import CONTINUE, HttpError, Request, RequestParser, render_response, render_stream_head
from ._ratelimit import RATE_LIMITED, Admission, Limiter, Mode
from ._router import App, v1_path
from ._types import STREAM_ACTIONS, Fault, RecordedMessage, RecordedRequest
from ._websocket import REALTIME_PATH, RealtimeConnection, Upgrade, plan_upgrade, takes_websocket

__all__ = ["Connection", "ServerState", "serve"]

DEFAULT_MAX_BODY_SIZE: Final = 32 * 1024 * 1024
MAX_RECORDED: Final = 10_000
# After answering a malformed request, keep reading (and dropping) what the
# client still sends for this long before closing: closing a socket with unread
# input sends an RST, which can destroy the error response before it is read.
LINGER_SECONDS: Final = 2.0
# Pipelined requests waiting behind a delayed response; past this, stop reading.
_MAX_QUEUED: Final = 256
_RESET_LINGER: Final = struct.pack("ii", 1, 0)
# Events a stream writes back to back before yielding the loop, so that one fast
# stream cannot starve the other connections (nor delay its own connection_lost).
_EVENTS_PER_TURN: Final = 64
_LAST_CHUNK: Final = b"0\r\n\r\n"

_log = logging.getLogger("openai_actors.mock")


class _Open(Protocol):
    """An open connection, HTTP or WebSocket: all the server needs to shut it down."""

    def abort(self) -> None: ...


class ServerState:
    """Configuration, counters, recordings and faults of one server.

    Counters are plain ints written only by the loop thread, so reading them
    from another thread is safe. Recordings and faults are guarded by a lock.
    """

    def __init__(
        self,
        *,
        latency: float = 0.0,
        record: bool = True,
        max_body_size: int = DEFAULT_MAX_BODY_SIZE,
        stream_first_delay: float = 0.0,
        stream_chunk_delay: float = 0.0,
        max_file_storage: int = DEFAULT_MAX_STORAGE,
        batch_delay: float = 0.0,
        rate_limit_requests: int | None = None,
        rate_limit_tokens: int | None = None,
        rate_limit_window: float = 60.0,
        rate_limit_mode: Mode = "continuous",
    ) -> None:
        self.latency = latency
        self.record = record
        self.max_body_size = max_body_size
        self.stream_first_delay = stream_first_delay
        self.stream_chunk_delay = stream_chunk_delay
        self.request_count = 0
        self.requests_served = 0
        self.connections_opened = 0
        self.open_connections = 0
        self.disconnects = 0
        self.hanging = 0
        self.write_pauses = 0
        self.peak_stream_buffer = 0
        self.rate_limited = 0
        self.connections: set[_Open] = set()
        self._records: deque[RecordedRequest] = deque(maxlen=MAX_RECORDED)
        self._messages: deque[RecordedMessage] = deque(maxlen=MAX_RECORDED)
        self._faults: deque[Fault] = deque()
        # Asked, on the loop thread, about each request no queued fault took:
        # a Fault to answer with, or None for the normal reply (MockServer.responder).
        self.responder: Callable[[RecordedRequest], Fault | None] | None = None
        self._lock = threading.Lock()
        self._changed = threading.Condition(threading.Lock())
        self._waiters = 0
        # The limits as configured; ``limiter`` is None when neither is set, so
        # that a server without limits pays one attribute test per request.
        self.rate_limit_requests = rate_limit_requests
        self.rate_limit_tokens = rate_limit_tokens
        self.rate_limit_window = rate_limit_window
        self.rate_limit_mode: Mode = rate_limit_mode
        self.limiter: Limiter | None = None
        if rate_limit_requests is not None or rate_limit_tokens is not None:
            self.limiter = Limiter(rate_limit_requests, rate_limit_tokens, rate_limit_window, rate_limit_mode)
        self.app = App(
            next_number=self.next_number,
            notify=self.notify,
            max_file_storage=max_file_storage,
            batch_delay=batch_delay,
        )

    # --- any thread ---------------------------------------------------------

    def recorded(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._records)

    def recorded_messages(self) -> list[RecordedMessage]:
        with self._lock:
            return list(self._messages)

    def clear_records(self) -> None:
        with self._lock:
            self._records.clear()
            self._messages.clear()

    def add_faults(self, faults: tuple[Fault, ...]) -> None:
        with self._lock:
            self._faults.extend(faults)

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()
        self.notify()

    def pending_faults(self) -> int:
        with self._lock:
            return len(self._faults)

    def set_rate_limits(
        self, requests: int | None, tokens: int | None, window: float, mode: Mode | None = None
    ) -> None:
        """Change the limits (and the mode, unless None). A limit newly set starts full; a
        changed one keeps what was used; removing both drops the counts."""
        with self._lock:
            mode = self.rate_limit_mode if mode is None else mode
            limiter = self.limiter
            if requests is None and tokens is None:
                self.limiter = None
            elif limiter is None:
                self.limiter = Limiter(requests, tokens, window, mode)
            else:
                limiter.configure(requests, tokens, window, mode)
            self.rate_limit_requests = requests
            self.rate_limit_tokens = tokens
            self.rate_limit_window = window
            self.rate_limit_mode = mode
        self.notify()

    def rate_levels(self) -> dict[str, float | None]:
        limiter = self.limiter
        if limiter is None:
            return {"requests": None, "tokens": None}
        return limiter.levels()

    def wait_for(self, predicate: Callable[[], bool], timeout: float) -> None:
        """Block until ``predicate()`` is true; raise TimeoutError after ``timeout`` s."""
        deadline = time.monotonic() + timeout
        with self._changed:
            self._waiters += 1
            try:
                while not predicate():
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        raise TimeoutError(f"condition not met within {timeout} s")
                    # The short cap is a safety net for predicates on state
                    # that changes without a notification; normally notify()
                    # wakes us at once.
                    self._changed.wait(min(remaining, 0.05))
            finally:
                self._waiters -= 1

    def notify(self) -> None:
        # Waiters register before testing their predicate, so a change made
        # while none is registered is seen by the next test: skip the lock.
        if self._waiters:
            with self._changed:
                self._changed.notify_all()

    # --- loop thread --------------------------------------------------------

    def next_number(self) -> int:
        """A request number for a request that did not come over a socket (a batch line)."""
        self.request_count += 1
        return self.request_count

    def next_request(self, request: Request) -> int:
        """Number ``request`` and record it; return its number."""
        self.request_count += 1
        if self.record:
            recorded = _recording(request)
            with self._lock:
                self._records.append(recorded)
        return self.request_count

    def scripted(self, request: Request) -> Fault | None:
        """The responder's answer to `request`, if one is set; a responder that fails answers 500."""
        responder = self.responder
        if responder is None:
            return None
        try:
            return responder(_recording(request))
        except Exception as error:
            _log.exception("the mock server's responder failed on %s %s", request.method, request.path)
            return Fault(status=500, body=error_body(f"Mock responder error: {error!r}", "server_error"))

    def take_fault(self, path: str) -> Fault | None:
        if not self._faults:
            return None
        with self._lock:
            if self._faults:
                head = self._faults[0]
                if head.path is None or head.path == path:
                    return self._faults.popleft()
        return None

    def record_message(self, connection: int, text: str | None) -> None:
        """Record a WebSocket message received on ``connection`` (None: a binary one)."""
        if self.record:
            with self._lock:
                self._messages.append(RecordedMessage(connection, text, time.monotonic()))
        self.notify()

    def hand_over(self, old: _Open, new: _Open) -> None:
        """``new`` now runs the connection ``old`` ran (an HTTP connection upgraded)."""
        self.connections.discard(old)
        self.connections.add(new)

    def connection_made(self, connection: _Open) -> None:
        self.connections.add(connection)
        self.connections_opened += 1
        self.open_connections += 1
        self.notify()

    def connection_lost(self, connection: _Open, by_client: bool) -> None:
        self.connections.discard(connection)
        self.open_connections -= 1
        if by_client:
            self.disconnects += 1
        self.notify()

    def abort_connections(self) -> None:
        for connection in list(self.connections):
            connection.abort()


def _recording(request: Request) -> RecordedRequest:
    query = parse_qs(request.query, keep_blank_values=True) if request.query else {}
    return RecordedRequest(
        request.method, request.path, query, request.headers, request.body, time.monotonic()
    )


class _Stream:
    """A streamed reply in progress on a connection."""

    __slots__ = (
        "action",
        "ahead",
        "charge",
        "chunk_delay",
        "chunked",
        "error_payload",
        "keep_alive",
        "reply",
        "sent",
        "stop_at",
    )

    def __init__(
        self,
        reply: StreamReply,
        chunked: bool,
        keep_alive: bool,
        chunk_delay: float,
        action: str | None,
        stop_at: int,
        error_payload: bytes | None,
    ) -> None:
        self.reply = reply
        self.chunked = chunked
        self.keep_alive = keep_alive
        self.chunk_delay = chunk_delay
        # The fault to meet once ``stop_at`` events are sent (-1: none).
        self.action = action
        self.stop_at = stop_at
        self.error_payload = error_payload
        self.sent = 0
        # The next event, fetched early to learn whether there is one (so that
        # no chunk delay is spent after the last event).
        self.ahead: bytes | None = None
        # The rate limiter's charge, settled when the stream ends.
        self.charge: Admission | None = None


class Connection(asyncio.Protocol):
    """One client connection: parses requests and answers them in order.

    A response that has to wait (latency, a fault delay, a hang, a stream)
    makes the connection busy; requests pipelined behind it queue until it is
    sent.
    """

    __slots__ = (
        "_app_dispatch",
        "_busy",
        "_by_client",
        "_by_server",
        "_closing",
        "_discard_input",
        "_hanging",
        "_loop",
        "_out",
        "_parser",
        "_paused",
        "_queue",
        "_rate",
        "_state",
        "_stream",
        "_timer",
        "_transport",
        "_write_paused",
    )

    def __init__(self, state: ServerState, loop: asyncio.AbstractEventLoop) -> None:
        self._state = state
        self._loop = loop
        self._app_dispatch = state.app.dispatch
        self._parser = RequestParser(state.max_body_size)
        self._transport: asyncio.Transport | None = None
        self._queue: deque[Request | HttpError] = deque()
        self._out: list[bytes] = []
        self._timer: asyncio.Handle | None = None
        self._stream: _Stream | None = None
        self._busy = False
        self._hanging = False
        self._closing = False
        self._discard_input = False
        self._paused = False
        self._write_paused = False
        self._by_client = False
        self._by_server = False
        # The rate limiter's charge for the request in progress, until its reply.
        self._rate: Admission | None = None

    # --- asyncio callbacks --------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport
        self._state.connection_made(self)

    def data_received(self, data: bytes) -> None:
        if self._discard_input:
            return
        items = self._parser.feed(data)
        if items:
            self._queue.extend(items)
            self._drain()
        if self._parser.expect_continue:
            self._send_continue()
        if len(self._queue) > _MAX_QUEUED and not self._paused:
            self._paused = True
            self._transport_or_fail().pause_reading()

    def eof_received(self) -> bool | None:
        # Closing at once, even with a delayed reply or a stream pending, is
        # deliberate: an HTTP client that half-closes has given up, and
        # cancellation tests want to see the disconnect right away.
        if not self._by_server:
            self._by_client = True
        return None

    def connection_lost(self, exc: Exception | None) -> None:
        self._closing = True
        self._queue.clear()
        self._stream = None
        self._cancel_timer()
        if self._hanging:
            self._hanging = False
            self._state.hanging -= 1
        by_client = self._by_client or (exc is not None and not self._by_server)
        self._state.connection_lost(self, by_client)

    def pause_writing(self) -> None:
        # The client is not reading its responses: stop reading its requests,
        # and stop producing stream events until it catches up.
        self._write_paused = True
        self._state.write_pauses += 1
        self._state.notify()
        self._transport_or_fail().pause_reading()

    def resume_writing(self) -> None:
        self._write_paused = False
        if self._closing:
            return
        if not self._paused:
            self._transport_or_fail().resume_reading()
        if self._stream is not None and self._timer is None:
            self._pump()
            if not self._busy:
                self._drain()

    def abort(self) -> None:
        """Close at once, for server shutdown."""
        self._by_server = True
        if self._transport is not None:
            self._transport.abort()

    # --- request processing -------------------------------------------------

    def _drain(self) -> None:
        queue = self._queue
        while queue and not self._busy and not self._closing:
            self._handle(queue.popleft())
        self._flush()
        if self._paused and not self._busy and not self._closing and len(queue) < _MAX_QUEUED // 2:
            self._paused = False
            if not self._write_paused:
                self._transport_or_fail().resume_reading()

    def _handle(self, item: Request | HttpError) -> None:
        if isinstance(item, HttpError):
            self._reject(item)
            return
        state = self._state
        number = state.next_request(item)
        limiter = state.limiter  # read once: another thread may lift the limits meanwhile
        if limiter is not None and item.path in RATE_LIMITED and item.method == "POST":
            admission = limiter.admit(item.path, item.body)
            if admission.rejection is not None:
                # Refused at the door: no latency, no fault consumed, nothing charged.
                state.rate_limited += 1
                self._send(item, number, 429, admission.rejection, admission.headers)
                return
            item.usage = None
            self._rate = admission
        fault = state.take_fault(item.path)
        if fault is None and state.responder is not None:
            fault = state.scripted(item)
        if self._parser.held is item and self._upgrade_or_resume(item, number, fault):
            return
        if fault is not None:
            self._start_fault(item, number, fault)
        elif state.latency > 0:
            self._defer(state.latency, self._respond, item, number, None)
        else:
            self._respond(item, number, None)

    # --- WebSocket upgrades ---------------------------------------------------

    def _upgrade_or_resume(self, request: Request, number: int, fault: Fault | None) -> bool:
        """Answer a WebSocket upgrade request; True if it is answered (or being answered)."""
        if v1_path(request.path) != REALTIME_PATH or not takes_websocket(fault):
            # Not one for a WebSocket: answered as HTTP, and what follows it is HTTP too.
            self._queue.extend(self._parser.resume())
            return False
        if fault is not None and fault.delay > 0:
            self._defer(fault.delay, self._upgrade, request, number, fault)
        else:
            self._upgrade(request, number, fault)
        return True

    def _upgrade(self, request: Request, number: int, fault: Fault | None) -> None:
        planned = plan_upgrade(request, number, fault)
        if not isinstance(planned, Upgrade):
            self._queue.extend(self._parser.resume())
            status, body, headers = planned
            self._send(request, number, status, body, headers)
            return
        transport = self._transport_or_fail()
        self._flush()
        transport.write(planned.head)
        self._state.requests_served += 1
        rest = self._parser.take_rest()
        # This connection is done: the transport is the WebSocket's from here on.
        self._closing = True
        self._discard_input = True
        self._queue.clear()
        self._cancel_timer()
        websocket = RealtimeConnection(
            self._state, self._loop, transport, planned, number, write_paused=self._write_paused
        )
        transport.set_protocol(websocket)
        self._state.hand_over(self, websocket)
        if self._paused and not self._write_paused:
            transport.resume_reading()
        websocket.start(rest)

    def _respond(self, request: Request, number: int, fault: Fault | None) -> None:
        result = self._reply(request, number, fault)
        if isinstance(result, StreamReply):
            self._start_stream(request, number, result, fault)
            return
        status, body, headers = result
        rate = self._rate
        if rate is not None:
            self._rate = None
            headers = {**rate.headers, **headers} if headers else rate.headers
            if status < 400:
                rate.usage = request.usage
                rate.settle()
        self._send(request, number, status, body, headers)

    def _send(
        self, request: Request, number: int, status: int, body: bytes, headers: Mapping[str, str] | None
    ) -> None:
        connection = None
        if request.http10 or not request.keep_alive:
            connection = "keep-alive" if request.keep_alive else "close"
        self._out.append(render_response(status, body, number, connection=connection, extra_headers=headers))
        self._state.requests_served += 1
        self._state.notify()
        if not request.keep_alive:
            self._close()

    def _reply(self, request: Request, number: int, fault: Fault | None) -> Result:
        if fault is not None and fault.status is not None:
            body = fault.body_bytes()
            if body is not None:
                return fault.status, body, fault.headers
            if fault.status in (204, 304):
                return fault.status, b"", fault.headers
            if fault.status >= 400:
                return fault.status, default_error_body(fault.status), fault.headers
        result = self._dispatch(request, number)
        if fault is None:
            return result
        if isinstance(result, StreamReply):
            result.status = fault.status or result.status
            if fault.headers:
                result.headers = {**(result.headers or {}), **fault.headers}
            return result
        status, body, headers = result
        status = fault.status or status
        if fault.headers:
            headers = {**(headers or {}), **fault.headers}
        return status, body, headers

    def _dispatch(self, request: Request, number: int) -> Result:
        try:
            return self._app_dispatch(request, number)
        except Exception as error:
            # A bug in the mock must not kill the connection silently.
            _log.exception("mock server failed to answer %s %s", request.method, request.path)
            return 500, error_body(f"Mock server error: {error!r}", "server_error"), None

    def _reject(self, error: HttpError) -> None:
        body = error_body(error.message, "invalid_request_error")
        number = self._state.request_count = self._state.request_count + 1
        self._out.append(render_response(error.status, body, number, connection="close"))
        self._state.requests_served += 1
        self._state.notify()
        self._linger_close()

    def _send_continue(self) -> None:
        self._parser.expect_continue = False
        if not self._busy and not self._queue and not self._closing:
            self._transport_or_fail().write(CONTINUE)

    # --- streams ------------------------------------------------------------

    def _start_stream(self, request: Request, number: int, reply: StreamReply, fault: Fault | None) -> None:
        state = self._state
        first_delay = state.stream_first_delay
        chunk_delay = state.stream_chunk_delay
        action: str | None = None
        stop_at = -1
        payload = None
        if fault is not None:
            if fault.first_delay is not None:
                first_delay = fault.first_delay
            if fault.chunk_delay is not None:
                chunk_delay = fault.chunk_delay
            if fault.action in STREAM_ACTIONS or fault.action == "truncate":
                action = fault.action
                stop_at = fault.after
                if action == "stream_error":
                    payload = fault.body_bytes()
        rate = self._rate
        if rate is not None:
            self._rate = None
            reply.headers = {**rate.headers, **reply.headers} if reply.headers else rate.headers
        # HTTP/1.0 has no chunked encoding: the end of the body is the end of the connection.
        chunked = not request.http10
        keep_alive = chunked and request.keep_alive
        self._out.append(
            render_stream_head(
                reply.status,
                number,
                chunked=chunked,
                connection=None if keep_alive else "close",
                extra_headers=reply.headers,
            )
        )
        self._flush()
        self._busy = True
        self._stream = stream = _Stream(reply, chunked, keep_alive, chunk_delay, action, stop_at, payload)
        if rate is not None:
            # Settled when the stream ends, with the usage the handler reported now.
            rate.usage = request.usage
            stream.charge = rate
        if first_delay > 0:
            self._timer = self._loop.call_later(first_delay, self._pump_later)
        else:
            self._pump()

    def _pump_later(self) -> None:
        self._timer = None
        if self._closing:
            return
        self._pump()
        if not self._busy:
            self._drain()

    def _pump(self) -> None:
        stream = self._stream
        if stream is None or self._closing:
            return
        try:
            self._pump_events(stream)
        except Exception:
            # A bug in the mock mid-stream: the head is sent, so a 500 is no
            # longer possible; an unterminated body at least tells the client.
            _log.exception("mock server failed while streaming")
            self._stream = None
            self._close()

    def _pump_events(self, stream: _Stream) -> None:
        """Write events until the stream ends, waits for a delay, or the client falls behind."""
        transport = self._transport_or_fail()
        state = self._state
        events = stream.reply.events
        budget = _EVENTS_PER_TURN
        while not self._write_paused:
            if stream.sent == stream.stop_at:
                self._stream_fault(stream)
                return
            event = stream.ahead
            if event is None:
                event = next(events, None)
                if event is None:
                    self._finish_stream(stream)
                    return
            else:
                stream.ahead = None
            transport.write(b"%x\r\n%b\r\n" % (len(event), event) if stream.chunked else event)
            stream.sent += 1
            if transport.is_closing():
                return  # the write failed: connection_lost is on its way
            buffered = transport.get_write_buffer_size()
            if buffered > state.peak_stream_buffer:
                state.peak_stream_buffer = buffered
            if stream.chunk_delay > 0:
                stream.ahead = next(events, None)
                if stream.ahead is None:
                    self._finish_stream(stream)
                else:
                    self._timer = self._loop.call_later(stream.chunk_delay, self._pump_later)
                return
            budget -= 1
            if not budget:
                self._timer = self._loop.call_soon(self._pump_later)
                return
        # Paused: resume_writing pumps again.

    def _finish_stream(self, stream: _Stream) -> None:
        if stream.stop_at > stream.sent:
            self._stream_fault(stream)  # fewer events than ``after``: the fault hits at the end
        else:
            if stream.charge is not None:
                stream.charge.settle()
            self._end_stream(stream)

    def _end_stream(self, stream: _Stream) -> None:
        self._stream = None
        self._busy = False
        if stream.chunked:
            self._transport_or_fail().write(_LAST_CHUNK)
        self._state.requests_served += 1
        self._state.notify()
        if not stream.keep_alive:
            self._close()

    def _stream_fault(self, stream: _Stream) -> None:
        action = stream.action
        if action == "stream_error":
            event = stream.reply.error_event(stream.sent, stream.error_payload)
            self._transport_or_fail().write(
                b"%x\r\n%b\r\n" % (len(event), event) if stream.chunked else event
            )
            self._end_stream(stream)
            return
        self._stream = None
        if action == "stream_stall":
            self._hang()
        elif action == "stream_drop":
            self._reset()
        else:  # "truncate": FIN where the body should go on
            self._close()

    # --- faults -------------------------------------------------------------

    def _start_fault(self, request: Request, number: int, fault: Fault) -> None:
        if fault.action == "hang":
            self._hang()
        elif fault.delay > 0:
            self._defer(fault.delay, self._apply_fault, request, number, fault)
        else:
            self._apply_fault(request, number, fault)

    def _apply_fault(self, request: Request, number: int, fault: Fault) -> None:
        action = fault.action
        if action == "respond":
            self._respond(request, number, fault)
        elif action == "close":
            self._close()
        elif action == "reset":
            self._reset()
        elif action == "truncate":
            self._truncate(request, number, fault)
        else:
            self._apply_stream_fault(request, number, fault)

    def _apply_stream_fault(self, request: Request, number: int, fault: Fault) -> None:
        result = self._dispatch(request, number)
        if isinstance(result, StreamReply):
            if fault.headers:
                result.headers = {**(result.headers or {}), **fault.headers}
            self._start_stream(request, number, result, fault)
        elif fault.action == "stream_stall":
            self._hang()
        elif fault.action == "stream_drop":
            self._reset()
        else:
            self._respond(request, number, replace(fault, action="respond", status=fault.status or 500))

    def _truncate(self, request: Request, number: int, fault: Fault) -> None:
        result = self._reply(request, number, fault)
        if isinstance(result, StreamReply):
            self._start_stream(request, number, result, fault)
            return
        status, body, headers = result
        rate = self._rate
        if rate is not None:  # the reply never arrives whole: no usage correction
            self._rate = None
            headers = {**rate.headers, **headers} if headers else rate.headers
        declared = max(len(body), 1)
        response = render_response(status, body, number, extra_headers=headers, declared_length=declared)
        self._out.append(response[: len(response) - len(body) + len(body) // 2])
        self._close()

    def _hang(self) -> None:
        self._busy = True
        self._hanging = True
        # Input is still read (to notice the client leaving) but never parsed.
        self._discard_input = True
        self._queue.clear()
        self._state.hanging += 1
        self._state.notify()

    def _reset(self) -> None:
        transport = self._transport_or_fail()
        self._out.clear()
        self._by_server = True
        self._closing = True
        sock = transport.get_extra_info("socket")
        if sock is not None:
            # Linger 0 turns close() into an RST instead of a FIN.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _RESET_LINGER)
        transport.abort()

    # --- plumbing -----------------------------------------------------------

    def _defer(self, delay: float, callback: Callable[..., None], *args: Any) -> None:
        self._busy = True
        self._timer = self._loop.call_later(delay, self._resume, callback, args)

    def _resume(self, callback: Callable[..., None], args: tuple[Any, ...]) -> None:
        self._timer = None
        self._busy = False
        if self._closing:
            return
        callback(*args)
        self._drain()

    def _flush(self) -> None:
        out = self._out
        if out:
            transport = self._transport_or_fail()
            transport.write(out[0] if len(out) == 1 else b"".join(out))
            out.clear()

    def _close(self) -> None:
        self._flush()
        self._by_server = True
        self._closing = True
        self._discard_input = True
        self._queue.clear()
        self._stream = None
        self._cancel_timer()
        self._transport_or_fail().close()

    def _linger_close(self) -> None:
        """Answer, send FIN, then drop input until the client closes (or a timeout)."""
        self._flush()
        self._by_server = True
        self._closing = True
        self._discard_input = True
        self._queue.clear()
        transport = self._transport_or_fail()
        if transport.can_write_eof():
            transport.write_eof()
        self._cancel_timer()
        self._timer = self._loop.call_later(LINGER_SECONDS, transport.close)

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _transport_or_fail(self) -> asyncio.Transport:
        transport = self._transport
        assert transport is not None, "connection_made was not called"
        return transport


async def serve(
    state: ServerState,
    host: str,
    port: int,
    on_ready: Callable[[int], None],
    stop: asyncio.Event,
    *,
    ssl_context: ssl.SSLContext | None = None,
) -> None:
    """Serve on ``host:port`` until ``stop`` is set; call ``on_ready(port)`` once listening."""
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: Connection(state, loop), host, port, backlog=4096, ssl=ssl_context
    )
    try:
        on_ready(server.sockets[0].getsockname()[1])
        await stop.wait()
    finally:
        server.close()
        await state.app.aclose()
        state.abort_connections()
        # Let the aborted transports run connection_lost and close their sockets.
        for _ in range(10):
            if not state.connections:
                break
            await asyncio.sleep(0)
        await server.wait_closed()
