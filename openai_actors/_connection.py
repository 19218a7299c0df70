"""The native transport: keep-alive HTTP/1.1 connections over byte streams (`_sockets.py`).

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

import os
import ssl
import sys
import time
import zlib
from collections.abc import Mapping
from typing import Any, Final

import anyio

from ._http11 import END_OF_MESSAGE, ProtocolError, ResponseHead, ResponseParser
from ._respx import RespxRoute, respx_mocking
from ._sockets import Wire, connect
from ._transport import (
    Channel,
    Deadline,
    Origin,
    ResponseStream,
    Timeouts,
    TransportError,
    WireRequest,
)

__all__ = ["KEEPALIVE_EXPIRY", "NativeTransport", "shared_ssl_context"]

KEEPALIVE_EXPIRY: Final = 5.0
# Bodies up to this size are sent in the same write as the head: one syscall,
# one packet; bigger ones are not worth copying.
COALESCE_LIMIT: Final = 64 * 1024

_ssl_context: ssl.SSLContext | None = None
_MODULES: Final = sys.modules


def shared_ssl_context() -> ssl.SSLContext:
    """One TLS context for the whole process: building one costs about 20 ms."""
    global _ssl_context
    if _ssl_context is None:
        cafile, capath = verify_locations(os.environ)
        context = ssl.create_default_context(cafile=cafile, capath=capath)
        context.set_alpn_protocols(["http/1.1"])
        _ssl_context = context
    return _ssl_context


def verify_locations(environ: Mapping[str, str]) -> tuple[str | None, str | None]:
    """(cafile, capath) as httpx picks them: SSL_CERT_FILE, else SSL_CERT_DIR, else certifi's bundle.

    A variable set but empty counts as unset, and only one of them is used.
    """
    if environ.get("SSL_CERT_FILE"):
        return environ["SSL_CERT_FILE"], None
    if environ.get("SSL_CERT_DIR"):
        return None, environ["SSL_CERT_DIR"]
    import certifi

    return certifi.where(), None


class _Connection:
    __slots__ = ("_stream", "idle_since", "origin")

    def __init__(self, origin: Origin, stream: Wire) -> None:
        self.origin = origin
        self._stream = stream
        self.idle_since = time.monotonic()

    def usable(self) -> bool:
        if time.monotonic() - self.idle_since > KEEPALIVE_EXPIRY:
            return False
        # An idle keep-alive connection has nothing to read: anything that came
        # is the server's EOF or bytes we did not ask for, either way unusable.
        return self._stream.idle_clean()

    async def send_request(self, request: WireRequest, deadline: Deadline, limit: float | None) -> None:
        stream = self._stream
        content = request.content
        head = self._head(request, content)
        deadline.arm("write", limit)
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
                deadline.arm("write", limit)
            await stream.send(b"0\r\n\r\n")

    async def receive_into(self, parser: ResponseParser, deadline: Deadline, limit: float | None) -> None:
        """Feed the parser whatever the socket yields next (or its EOF)."""
        deadline.arm("read", limit)
        data = await self._stream.receive()
        if data:
            parser.feed(data)
        else:
            parser.feed_eof()

    @staticmethod
    def _head(request: WireRequest, content: bytes | object) -> bytes:
        extra = "".join(f"{name}: {value}\r\n" for name, value in request.extra)
        if isinstance(content, bytes):
            framing = f"Content-Length: {len(content)}\r\n" if content or request.method != "GET" else ""
        else:
            framing = "Transfer-Encoding: chunked\r\n"
        host = (
            b"" if request.headers.has_host else b"Host: %s\r\n" % request.origin.host_header.encode("ascii")
        )
        return b"%s %s HTTP/1.1\r\n%b%b%s%s\r\n" % (
            request.method.encode("ascii"),
            request.target.encode("ascii"),
            host,
            request.headers.encoded,
            extra.encode("latin-1"),
            framing.encode("ascii"),
        )

    async def aclose(self) -> None:
        # Shielded: a connection is often closed because its request was cancelled.
        with anyio.CancelScope(shield=True):
            try:
                await self._stream.aclose()
            except (OSError, anyio.BrokenResourceError, anyio.ClosedResourceError):
                pass


class _Response:
    """A response on a native connection: the head has been read, the body follows."""

    __slots__ = (
        "_channel",
        "_conn",
        "_deadline",
        "_decoder",
        "_parser",
        "_read_timeout",
        "headers",
        "http_version",
        "reason",
        "status",
    )

    def __init__(
        self,
        channel: _NativeChannel,
        conn: _Connection,
        parser: ResponseParser,
        head: ResponseHead,
        timeout: float | None,
        deadline: Deadline,
    ) -> None:
        self._deadline = deadline
        self._channel = channel
        self._conn: _Connection | None = conn
        self._parser = parser
        self._read_timeout = timeout
        self.status = head.status
        self.reason = head.reason
        self.headers = head.headers
        self.http_version = head.http_version
        encoding = head.headers.get("content-encoding")
        self._decoder = _ContentDecoder(encoding) if encoding else None

    async def next_chunk(self) -> bytes | None:
        parser = self._parser
        conn = self._conn
        if conn is None or parser.done:
            return None
        try:
            while True:
                event = parser.next_event()
                if event is None:
                    await conn.receive_into(parser, self._deadline, self._read_timeout)
                    continue
                if event is END_OF_MESSAGE:
                    self._deadline.disarm()
                    return self._decoder.flush() or None if self._decoder else None
                assert isinstance(event, bytes)
                if self._decoder is None:
                    return event
                decoded = self._decoder.decode(event)
                if decoded:
                    return decoded
        except ProtocolError as exc:
            raise TransportError(str(exc)) from exc
        except (OSError, anyio.BrokenResourceError) as exc:
            raise TransportError(f"the connection to {conn.origin} failed: {exc!r}") from exc

    async def aclose(self) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        self._deadline.disarm()
        if self._parser.reusable:
            conn.idle_since = time.monotonic()
            self._channel.release(conn)
        else:
            await conn.aclose()


class _ContentDecoder:
    """Undoes Content-Encoding (gzip, deflate, identity) chunk by chunk."""

    __slots__ = ("_encoding", "_steps")

    def __init__(self, encoding: str) -> None:
        self._encoding = encoding
        codings = [c.strip().lower() for c in encoding.split(",") if c.strip()]
        self._steps: list[Any] = []
        if not set(codings) <= {"gzip", "x-gzip", "deflate", "identity"}:
            # Not asked for (we accept gzip and deflate only): hand the bytes over
            # as they came, as httpx does, rather than fail (and retry) the request.
            return
        for coding in reversed(codings):
            if coding in ("gzip", "x-gzip"):
                self._steps.append(zlib.decompressobj(16 + zlib.MAX_WBITS))
            elif coding == "deflate":
                self._steps.append(_Deflate())

    def decode(self, data: bytes) -> bytes:
        try:
            for step in self._steps:
                data = step.decompress(data)
        except zlib.error as exc:
            raise TransportError(
                f"the response body could not be decoded as {self._encoding!r}: {exc}"
            ) from exc
        return data

    def flush(self) -> bytes:
        data = b""
        try:
            for step in self._steps:
                data = step.decompress(data) + step.flush()
        except zlib.error as exc:
            raise TransportError(
                f"the response body could not be decoded as {self._encoding!r}: {exc}"
            ) from exc
        return data


class _Deflate:
    """'deflate' is meant to be zlib-wrapped, but some servers send raw deflate: accept both."""

    __slots__ = ("_inner",)

    def __init__(self) -> None:
        self._inner: Any = None

    def decompress(self, data: bytes) -> bytes:
        if self._inner is None:
            if not data:
                return b""
            # A zlib stream starts with a header whose first byte has 8 in its low nibble.
            wbits = zlib.MAX_WBITS if data[0] & 0x0F == 8 else -zlib.MAX_WBITS
            self._inner = zlib.decompressobj(wbits)
        return self._inner.decompress(data)  # type: ignore[no-any-return]

    def flush(self) -> bytes:
        return self._inner.flush() if self._inner is not None else b""


class NativeTransport:
    """Channels that each own one HTTP/1.1 connection; the dispatcher decides how many.

    While respx is mocking, requests go through httpx instead, where respx
    answers them (`_respx.py`); `sync`: this transport serves the sync client.
    """

    follows_redirects = False  # the dispatcher follows them

    def __init__(self, *, sync: bool = False) -> None:
        self.respx = RespxRoute(sync=sync)

    def open_channel(self) -> Channel:
        return _NativeChannel(self)

    async def aclose(self) -> None:
        await self.respx.aclose()


async def _connect(origin: Origin, timeouts: Timeouts, deadline: Deadline) -> _Connection:
    deadline.arm("connect", timeouts.connect)
    try:
        stream = await connect(origin.host, origin.port, shared_ssl_context() if origin.tls else None)
    except ssl.SSLError as exc:
        raise TransportError(f"TLS handshake with {origin} failed: {exc}") from exc
    except OSError as exc:
        raise TransportError(f"could not connect to {origin}: {exc}") from exc
    return _Connection(origin, stream)


class _NativeChannel:
    __slots__ = ("_conn", "_transport")

    def __init__(self, transport: NativeTransport) -> None:
        self._transport = transport
        self._conn: _Connection | None = None

    def release(self, conn: _Connection) -> None:
        """A response finished cleanly: keep its connection for the next request."""
        if self._conn is None:
            self._conn = conn

    async def open(self, request: WireRequest, timeouts: Timeouts, deadline: Deadline) -> ResponseStream:
        if "respx" in _MODULES and respx_mocking():
            # A test's respx routes answer, not the network; httpx times its own phases.
            return await self._transport.respx.transport.open(request, timeouts)
        deadline.arm("connect", timeouts.connect)  # before the first await, as Channel requires
        conn = self._conn
        self._conn = None
        if conn is not None and (conn.origin != request.origin or not conn.usable()):
            await conn.aclose()
            conn = None
        if conn is None:
            conn = await _connect(request.origin, timeouts, deadline)
        parser = ResponseParser(head_request=request.method == "HEAD")
        try:
            await conn.send_request(request, deadline, timeouts.write)
            while (event := parser.next_event()) is None:
                await conn.receive_into(parser, deadline, timeouts.read)
        except BaseException as exc:
            await conn.aclose()
            if isinstance(exc, ProtocolError):
                raise TransportError(str(exc)) from exc
            if isinstance(exc, (OSError, anyio.BrokenResourceError)):
                raise TransportError(f"the connection to {request.origin} failed: {exc!r}") from exc
            raise
        assert isinstance(event, ResponseHead)
        try:
            return _Response(self, conn, parser, event, timeouts.read, deadline)
        except TransportError:
            await conn.aclose()
            raise

    async def aclose(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            await conn.aclose()
