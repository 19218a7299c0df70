"""A client WebSocket: wsproto (sans-IO) over this package's own sockets and TLS (`_sockets.py`).

The same code runs on asyncio, on trio and (in its loop thread) for the sync
client, because the byte streams under it are the HTTP transport's.

One task reads (`receive`), any task may write (`send_text`, `ping`,
`close`): wsproto's state and the bytes it produces are kept in step by a
lock around each write, so frames never interleave. Failures of the socket
are translated here, once: while opening into APIConnectionError /
APITimeoutError / the status error of a refused upgrade, afterwards into
`Closed` carrying the close code (1006 when the connection just dropped).
"""

from __future__ import annotations

import contextlib
import json
import ssl
from collections import deque
from collections.abc import Callable
from typing import Final

import anyio
import httpx
from wsproto import ConnectionType, WSConnection
from wsproto.connection import ConnectionState
from wsproto.events import (
    AcceptConnection,
    BytesMessage,
    CloseConnection,
    Event,
    Message,
    Ping,
    Pong,
    RejectConnection,
    RejectData,
    Request,
    TextMessage,
)
from wsproto.extensions import PerMessageDeflate
from wsproto.utilities import LocalProtocolError, RemoteProtocolError

from ._connection import shared_ssl_context
from ._exceptions import APIConnectionError, APITimeoutError, OpenAIError, status_error_class
from ._realtime_policy import Target, WebSocketSettings
from ._sockets import Wire, connect

__all__ = ["Closed", "WebSocket", "open_websocket"]

# Close codes (RFC 6455 7.4.1).
NORMAL: Final = 1000
ABNORMAL: Final = 1006
TOO_BIG: Final = 1009
INTERNAL: Final = 1011
_WIRE_ERRORS: Final = (OSError, anyio.BrokenResourceError, anyio.ClosedResourceError, ssl.SSLError)


class Closed(Exception):
    """The WebSocket ended: the close frame's code and reason (ABNORMAL if none came)."""

    def __init__(self, code: int, reason: str = "") -> None:
        super().__init__(code, reason)
        self.code = code
        self.reason = reason


class WebSocket:
    __slots__ = (
        "_conn",
        "_fragments",
        "_fragments_size",
        "_lock",
        "_max_size",
        "_pending",
        "_wire",
        "closed",
        "compressed",
        "on_pong",
        "writes_begun",
    )

    def __init__(
        self, wire: Wire, conn: WSConnection, pending: list[Event], settings: WebSocketSettings
    ) -> None:
        self._wire = wire
        self._conn = conn
        self._pending = deque(pending)  # at first: what came in the same read as the handshake's answer
        self._lock = anyio.Lock()
        self._max_size = settings.max_size
        self._fragments: list[str | bytes] = []  # the message being received, frame by frame
        self._fragments_size = 0
        self.closed: Closed | None = None
        self.compressed = False
        self.on_pong: Callable[[bytes], None] | None = None  # the keepalive's
        # Writes handed to the socket: one interrupted after this count moved may have gone out.
        self.writes_begun = 0

    async def receive(self) -> str | bytes:
        """The next whole message; answers pings; raises Closed when the connection has ended."""
        while True:
            while self._pending:
                message = await self._handle(self._pending.popleft())
                if message is not None:
                    return message
            if self.closed is not None:
                raise self.closed
            try:
                data = await self._wire.receive()
            except Exception:  # the socket failed, or was closed under us (trio's own error): a drop
                data = b""
            try:
                self._conn.receive_data(data or None)
            except RemoteProtocolError:
                await self._end(Closed(1002, "protocol error"))
            self._pending.extend(self._conn.events())

    async def _handle(self, event: Event) -> str | bytes | None:
        if isinstance(event, TextMessage | BytesMessage):
            data = event.data if isinstance(event.data, str) else bytes(event.data)
            self._fragments.append(data)
            # max_size is in bytes, as on the wire: text counts as its UTF-8 (isascii() is O(1)).
            self._fragments_size += (
                len(data) if isinstance(data, bytes) or data.isascii() else len(data.encode())
            )
            if self._max_size is not None and self._fragments_size > self._max_size:
                await self.close(TOO_BIG, "message too big")
                await self._end(Closed(TOO_BIG, f"a message over max_size ({self._max_size} bytes)"))
            if not event.message_finished:
                return None
            parts, self._fragments, self._fragments_size = self._fragments, [], 0
            return parts[0] if len(parts) == 1 else type(parts[0])().join(parts)  # type: ignore[arg-type]
        if isinstance(event, Ping):
            await self._write(event.response())
        elif isinstance(event, CloseConnection):
            if self._conn.state is ConnectionState.REMOTE_CLOSING:
                with contextlib.suppress(Closed):  # the answer is a courtesy: the end is the same
                    await self._write(event.response())
            await self._end(Closed(event.code, event.reason or ""))
        elif isinstance(event, Pong) and self.on_pong is not None:
            self.on_pong(bytes(event.payload))
        return None

    async def _end(self, closed: Closed) -> None:
        if self.closed is None:
            self.closed = closed
        await self.aclose()
        raise self.closed

    async def send_text(self, text: str) -> None:
        """Write one text message; Closed if the connection can no longer send."""
        await self._write(Message(data=text))

    async def ping(self, payload: bytes) -> None:
        await self._write(Ping(payload=payload))

    async def close(self, code: int = NORMAL, reason: str = "") -> None:
        """Start the closing handshake; the reader sees its end (the server's close frame, or EOF)."""
        if self._conn.state is ConnectionState.OPEN:
            try:
                await self._write(CloseConnection(code=code, reason=reason))
            except Closed:
                pass

    async def _write(self, event: Event) -> None:
        async with self._lock:
            if self.closed is not None:
                raise self.closed
            try:
                data = self._conn.send(event)
            except LocalProtocolError:
                raise Closed(self.closed.code if self.closed else ABNORMAL) from None
            self.writes_begun += 1
            try:
                await self._wire.send(data)
            except Exception:  # as in receive: whatever the socket raised, the connection is gone
                raise Closed(ABNORMAL) from None

    async def aclose(self) -> None:
        with anyio.CancelScope(shield=True):
            await self._wire.aclose()


def _request_of(target: Target) -> httpx.Request:
    """The handshake as an httpx request, for the errors' `request` (no headers: they hold the key)."""
    return httpx.Request("GET", target.url)


async def open_websocket(
    target: Target, headers: list[tuple[str, str]], settings: WebSocketSettings
) -> WebSocket:
    """Connect and upgrade; the errors are the HTTP client's (connection, timeout, 4xx/5xx)."""
    try:
        with anyio.fail_after(settings.open_timeout):
            return await _open(target, headers, settings)
    except TimeoutError:
        raise APITimeoutError(_request_of(target), message="The WebSocket handshake timed out.") from None
    except (*_WIRE_ERRORS, RemoteProtocolError) as exc:
        raise APIConnectionError(
            message=f"Could not open the WebSocket to {target.url.split('?')[0]}: {exc}",
            request=_request_of(target),
        ) from exc


async def _open(target: Target, headers: list[tuple[str, str]], settings: WebSocketSettings) -> WebSocket:
    wire = await connect(target.host, target.port, shared_ssl_context() if target.secure else None)
    try:
        conn = WSConnection(ConnectionType.CLIENT)
        request = Request(
            host=target.host_header,
            target=target.resource,
            extra_headers=[(name.encode("latin-1"), value.encode("latin-1")) for name, value in headers],
            extensions=[PerMessageDeflate()] if settings.compression else [],
            subprotocols=list(settings.subprotocols),
        )
        await wire.send(conn.send(request))
        return await _answer(wire, conn, target, settings)
    except BaseException:
        with anyio.CancelScope(shield=True):
            await wire.aclose()
        raise


async def _answer(wire: Wire, conn: WSConnection, target: Target, settings: WebSocketSettings) -> WebSocket:
    """Read the server's answer to the upgrade: the open WebSocket, or the refusal as an error."""
    refusal: RejectConnection | None = None
    body = bytearray()
    while True:
        data = await wire.receive()
        if not data:
            if refusal is not None:
                raise _refused(target, refusal, bytes(body))
            raise APIConnectionError(
                message="The server closed the connection during the WebSocket handshake.",
                request=_request_of(target),
            )
        conn.receive_data(data)
        events = list(conn.events())
        for index, event in enumerate(events):
            if isinstance(event, AcceptConnection):
                ws = WebSocket(wire, conn, events[index + 1 :], settings)
                ws.compressed = any(isinstance(e, PerMessageDeflate) for e in event.extensions)
                return ws
            if isinstance(event, RejectConnection):
                refusal = event
                if not event.has_body:
                    raise _refused(target, refusal, b"")
            elif isinstance(event, RejectData):
                body += event.data
                if event.body_finished and refusal is not None:
                    raise _refused(target, refusal, bytes(body))


def _refused(target: Target, refusal: RejectConnection, body: bytes) -> OpenAIError:
    """The refused upgrade as the status error a request with that answer would raise."""
    status = refusal.status_code
    response = httpx.Response(
        status,
        headers=[(bytes(k), bytes(v)) for k, v in refusal.headers],
        content=body,
        request=_request_of(target),
    )
    decoded: object
    try:
        decoded = json.loads(body) if body else None
    except ValueError:
        decoded = body.decode(errors="replace")
    error = decoded.get("error") if isinstance(decoded, dict) else None
    detail = error.get("message") if isinstance(error, dict) else None
    message = f"Error code: {status} - the server refused the WebSocket upgrade" + (
        f": {detail}" if detail else ""
    )
    return status_error_class(status)(
        message, response=response, body=error if isinstance(error, dict) else decoded
    )
