"""The native transport: keep-alive HTTP/1.1 connections over anyio byte streams.

A channel owns at most one connection and uses it for one request at a time,
so there is no pool to scan and no lock to take: the cost of a request does not
depend on how many others are in flight. (httpx's pool re-scans every
connection for every queued request; bench/README.md shows what that costs.)

A connection is reused only when the last response left it clean (complete,
keep-alive, nothing unread), it has been idle less than `KEEPALIVE_EXPIRY`, and
the server has not closed it meanwhile: a readable idle socket means EOF or
junk, either way not a connection to send on.
"""

from __future__ import annotations

import contextlib
import math
import os
import select
import ssl
import zlib
from typing import Final

import anyio
import anyio.abc
from anyio.abc import SocketAttribute

from ._http11 import END_OF_MESSAGE, ProtocolError, ResponseHead, ResponseParser
from ._transport import Channel, Origin, RawResponse, Timeouts, TransportError, TransportTimeout, WireRequest

__all__ = ["KEEPALIVE_EXPIRY", "NativeTransport", "shared_ssl_context"]

KEEPALIVE_EXPIRY: Final = 5.0
RECEIVE_SIZE: Final = 65536
# Bodies up to this size are sent in the same write as the head: one syscall,
# one packet; bigger ones are not worth copying.
COALESCE_LIMIT: Final = 64 * 1024

_ssl_context: ssl.SSLContext | None = None


def shared_ssl_context() -> ssl.SSLContext:
    """One TLS context for the whole process: building one costs about 20 ms."""
    global _ssl_context
    if _ssl_context is None:
        cafile = os.environ.get("SSL_CERT_FILE")
        capath = os.environ.get("SSL_CERT_DIR")
        if cafile is None and capath is None:
            import certifi

            cafile = certifi.where()
        context = ssl.create_default_context(cafile=cafile, capath=capath)
        context.set_alpn_protocols(["http/1.1"])
        _ssl_context = context
    return _ssl_context


def _deadline(seconds: float | None) -> float:
    return math.inf if seconds is None else anyio.current_time() + seconds


class _Connection:
    __slots__ = ("_poll", "_stream", "idle_since", "origin")

    def __init__(self, origin: Origin, stream: anyio.abc.ByteStream) -> None:
        self.origin = origin
        self._stream = stream
        self._poll: select.poll | None = None
        sock = stream.extra(SocketAttribute.raw_socket, None)
        if sock is not None:
            # poll, not select: select fails on descriptors above 1023.
            self._poll = select.poll()
            self._poll.register(sock.fileno(), select.POLLIN | select.POLLPRI)
        self.idle_since = anyio.current_time()

    def usable(self) -> bool:
        if anyio.current_time() - self.idle_since > KEEPALIVE_EXPIRY:
            return False
        # An idle keep-alive connection has nothing to read: anything readable is
        # the server's EOF or bytes we did not ask for, and either way unusable.
        return self._poll is None or not self._poll.poll(0)

    async def round_trip(self, request: WireRequest, timeouts: Timeouts) -> tuple[RawResponse, bool]:
        """Send the request, read the whole response; the bool says the connection may be reused."""
        stream = self._stream
        content = request.content
        head = self._head(request, content)
        parser = ResponseParser(head_request=request.method == "HEAD")
        phase: str = "write"
        with anyio.CancelScope(deadline=_deadline(timeouts.write)) as scope:
            if isinstance(content, bytes):
                if len(content) <= COALESCE_LIMIT:
                    await stream.send(head + content)
                else:
                    await stream.send(head)
                    await stream.send(content)
            else:
                await stream.send(head)
                async for chunk in content:
                    if chunk:
                        await stream.send(b"%x\r\n%b\r\n" % (len(chunk), chunk))
                    scope.deadline = _deadline(timeouts.write)
                await stream.send(b"0\r\n\r\n")
            phase = "read"
            read_timeout = timeouts.read
            response_head: ResponseHead | None = None
            body: list[bytes] = []
            while True:
                scope.deadline = _deadline(read_timeout)
                try:
                    parser.feed(await stream.receive(RECEIVE_SIZE))
                except anyio.EndOfStream:
                    parser.feed_eof()
                while (event := parser.next_event()) is not None:
                    if event is END_OF_MESSAGE:
                        break
                    if isinstance(event, bytes):
                        body.append(event)
                    else:
                        assert isinstance(event, ResponseHead)
                        response_head = event
                if parser.done:
                    break
        if scope.cancelled_caught:
            raise TransportTimeout("read" if phase == "read" else "write", getattr(timeouts, phase))
        assert response_head is not None
        content_bytes = b"".join(body)
        encoding = response_head.headers.get("content-encoding")
        if encoding is not None and content_bytes:
            content_bytes = _decode(encoding, content_bytes)
        self.idle_since = anyio.current_time()
        response = RawResponse(
            response_head.status,
            response_head.reason,
            response_head.headers,
            content_bytes,
            response_head.http_version,
        )
        return response, parser.reusable

    @staticmethod
    def _head(request: WireRequest, content: bytes | object) -> bytes:
        extra = "".join(f"{name}: {value}\r\n" for name, value in request.extra)
        if isinstance(content, bytes):
            framing = f"Content-Length: {len(content)}\r\n" if content or request.method != "GET" else ""
        else:
            framing = "Transfer-Encoding: chunked\r\n"
        return b"%s %s HTTP/1.1\r\nHost: %s\r\n%b%s%s\r\n" % (
            request.method.encode("ascii"),
            request.target.encode("ascii"),
            request.origin.host_header.encode("ascii"),
            request.headers.encoded,
            extra.encode("latin-1"),
            framing.encode("ascii"),
        )

    async def aclose(self) -> None:
        # Shielded: a connection is often closed because its request was cancelled.
        with anyio.CancelScope(shield=True):
            with contextlib.suppress(OSError, anyio.BrokenResourceError, anyio.ClosedResourceError):
                await self._stream.aclose()


def _decode(encoding: str, data: bytes) -> bytes:
    codings = [c.strip().lower() for c in encoding.split(",") if c.strip()]
    try:
        for coding in reversed(codings):
            if coding in ("gzip", "x-gzip"):
                data = zlib.decompress(data, 16 + zlib.MAX_WBITS)
            elif coding == "deflate":
                try:
                    data = zlib.decompress(data)
                except zlib.error:
                    data = zlib.decompress(data, -zlib.MAX_WBITS)  # raw deflate, as some servers send
            elif coding != "identity":
                raise TransportError(f"the response has an unsupported content-encoding {encoding!r}")
    except zlib.error as exc:
        raise TransportError(f"the response body could not be decoded as {encoding!r}: {exc}") from exc
    return data


class NativeTransport:
    """Channels that each own one HTTP/1.1 connection; the dispatcher decides how many."""

    follows_redirects = False

    def open_channel(self) -> Channel:
        return _NativeChannel()

    async def aclose(self) -> None:
        return None


async def _connect(origin: Origin, timeouts: Timeouts) -> _Connection:
    try:
        with anyio.fail_after(timeouts.connect):
            if origin.tls:
                stream: anyio.abc.ByteStream = await anyio.connect_tcp(
                    origin.host,
                    origin.port,
                    ssl_context=shared_ssl_context(),
                    tls_hostname=origin.host,
                    tls_standard_compatible=False,
                )
            else:
                stream = await anyio.connect_tcp(origin.host, origin.port)
    except TimeoutError:
        raise TransportTimeout("connect", timeouts.connect) from None
    except ssl.SSLError as exc:
        raise TransportError(f"TLS handshake with {origin} failed: {exc}") from exc
    except OSError as exc:
        raise TransportError(f"could not connect to {origin}: {exc}") from exc
    return _Connection(origin, stream)


class _NativeChannel:
    __slots__ = ("_conn",)

    def __init__(self) -> None:
        self._conn: _Connection | None = None

    async def round_trip(self, request: WireRequest, timeouts: Timeouts) -> RawResponse:
        conn = self._conn
        if conn is not None and (conn.origin != request.origin or not conn.usable()):
            self._conn = None
            await conn.aclose()
            conn = None
        if conn is None:
            conn = await _connect(request.origin, timeouts)
        self._conn = None
        try:
            response, reusable = await conn.round_trip(request, timeouts)
        except BaseException as exc:
            await conn.aclose()
            if isinstance(exc, ProtocolError):
                raise TransportError(str(exc)) from exc
            if isinstance(exc, (OSError, anyio.BrokenResourceError, anyio.EndOfStream)):
                raise TransportError(f"the connection to {request.origin} failed: {exc!r}") from exc
            raise
        if reusable:
            self._conn = conn
        else:
            await conn.aclose()
        return response

    async def aclose(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            await conn.aclose()
