"""The seam between the dispatcher and the network.

The dispatcher's lanes talk to the network only through a `Transport`: each lane
opens one `Channel` and sends its requests through it, one at a time. What is
behind a channel is the transport's business:

* `NativeTransport` (`_connection.py`): one keep-alive HTTP/1.1 connection per
  channel, this package's own sans-IO parser, one shared TLS context. This is
  the default because its CPU cost per request stays flat as concurrency grows
  (bench/README.md has the numbers against httpx's shared pool).
* `HttpxTransport` (here): every channel shares the user's `httpx.AsyncClient`
  (or runs a sync `httpx.Client` in worker threads), so proxies, custom
  transports and mounts work exactly as the user configured them. `httpx2`'s
  clients (the official SDK's since 3.x) have the same API and go the same way.

Switching the HTTP stack means writing one more `Transport`; nothing outside
this file and `_connection.py` knows which one runs. Failures leave a channel
only as `TransportError` / `TransportTimeout`, with a message saying what went
wrong; the caller-facing exceptions are built from those elsewhere.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final, Literal, NamedTuple, Protocol

import anyio

if TYPE_CHECKING:
    from types import ModuleType

    import httpx

__all__ = [
    "Channel",
    "Deadline",
    "DeliverAsIs",
    "HeaderBlock",
    "HttpxTransport",
    "Origin",
    "RawResponse",
    "ResponseStream",
    "Timeouts",
    "Transport",
    "TransportError",
    "TransportTimeout",
    "WireRequest",
    "read_response",
]

Phase = Literal["connect", "write", "read", "pool"]
_INF: Final = float("inf")


class TransportError(Exception):
    """The exchange with the server failed; the message says how."""


class TransportTimeout(TransportError):
    def __init__(self, phase: Phase, seconds: float | None) -> None:
        super().__init__(f"{phase} timed out after {seconds} s")
        self.phase: Phase = phase


class DeliverAsIs(Exception):
    """Carries an error that is not the exchange's fault to the caller, as it is, never retried.

    An AssertionError raised inside an httpx transport is a test failing
    (respx's "not mocked!", a `MockTransport` handler checking the request):
    httpx lets it through to its caller untouched, and so does this client.
    """

    def __init__(self, error: Exception) -> None:
        super().__init__(error)
        self.error = error


class Deadline:
    """When the attempt in progress on a lane must give up, and in which phase.

    Transports arm it as they go ("connect", "write", "read"): arming is an
    attribute write, not a timer. The dispatcher's watchdog compares every
    lane's deadline with the clock a few times a second and cancels the
    attempt (`scope`) whose deadline has passed, recording the phase in
    `fired`. So a request costs no timer at all, at the price of timeouts
    firing up to one watchdog tick late (`WATCH_TICK`).
    """

    __slots__ = ("_clock", "at", "fired", "phase", "scope", "seconds")

    def __init__(self, clock: Callable[[], float]) -> None:
        # The watchdog's clock, which the dispatcher passes: its event loop's.
        self._clock = clock
        self.at = _INF
        self.phase: Phase = "read"
        self.seconds: float | None = None
        self.fired: Phase | None = None
        self.scope: anyio.CancelScope | None = None

    def arm(self, phase: Phase, seconds: float | None) -> None:
        self.phase = phase
        self.seconds = seconds
        self.at = _INF if seconds is None else self._clock() + seconds

    def disarm(self) -> None:
        self.at = _INF

    def fire(self) -> None:
        """Called by the watchdog once `at` has passed."""
        self.at = _INF
        if self.scope is not None:
            self.fired = self.phase
            self.scope.cancel()


class Timeouts(NamedTuple):
    """Seconds per phase, or None for no limit; the meaning is httpx's."""

    connect: float | None
    read: float | None
    write: float | None
    pool: float | None


@dataclass(frozen=True, slots=True)
class Origin:
    scheme: str
    host: str
    port: int

    @property
    def tls(self) -> bool:
        return self.scheme == "https"

    @property
    def host_header(self) -> str:
        default = 443 if self.tls else 80
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == default else f"{host}:{self.port}"

    def __str__(self) -> str:
        return f"{self.scheme}://{self.host_header}"


@dataclass(frozen=True, slots=True, repr=False)
class HeaderBlock:
    """Headers in send order, with their HTTP/1.1 encoding computed once."""

    pairs: tuple[tuple[str, str], ...]
    encoded: bytes = field(init=False)
    has_host: bool = field(init=False)
    """A caller-set Host header, which then replaces the one made from the URL."""

    def __post_init__(self) -> None:
        text = "".join(f"{name}: {value}\r\n" for name, value in self.pairs)
        object.__setattr__(self, "encoded", text.encode("latin-1"))
        object.__setattr__(self, "has_host", any(name.lower() == "host" for name, _ in self.pairs))

    @property
    def names(self) -> frozenset[str]:
        return frozenset(name.lower() for name, _ in self.pairs)

    def without(self, names: frozenset[str]) -> HeaderBlock:
        """These headers minus the given (lower-case) names."""
        return HeaderBlock(tuple((n, v) for n, v in self.pairs if n.lower() not in names))

    def __repr__(self) -> str:
        # Names only: values may be credentials.
        return f"HeaderBlock({', '.join(name for name, _ in self.pairs)})"


# A request body: bytes (can be sent again), or a stream of chunks (once only).
Content = bytes | AsyncIterator[bytes]


@dataclass(slots=True, repr=False)
class WireRequest:
    """One attempt, as it goes on the wire. `headers` then `extra` are sent in order."""

    method: str
    origin: Origin
    target: str
    headers: HeaderBlock
    extra: list[tuple[str, str]]
    content: Content

    @property
    def url(self) -> str:
        return f"{self.origin}{self.target}"

    def __repr__(self) -> str:
        # Never the headers or body: they hold the key.
        return f"<WireRequest {self.method} {self.url}>"

    def all_headers(self) -> Iterable[tuple[str, str]]:
        yield from self.headers.pairs
        yield from self.extra


@dataclass(slots=True)
class RawResponse:
    status: int
    reason: str
    headers: dict[str, str]
    """Lower-case names."""
    content: bytes
    http_version: str = "1.1"


class ResponseStream(Protocol):
    """A response whose head has arrived and whose body is read chunk by chunk.

    `next_chunk` returns the next piece of the (decoded) body, or None at its
    end, and raises TransportError / TransportTimeout if the body cannot be
    read. `aclose` must be called exactly once, whatever happened: it gives a
    cleanly finished connection back for reuse and closes any other.
    """

    status: int
    reason: str
    headers: dict[str, str]
    http_version: str

    async def next_chunk(self) -> bytes | None: ...

    async def aclose(self) -> None: ...


async def read_response(stream: ResponseStream) -> RawResponse:
    """The whole response, read and closed."""
    try:
        chunks: list[bytes] = []
        while (chunk := await stream.next_chunk()) is not None:
            chunks.append(chunk)
    finally:
        await stream.aclose()
    content = chunks[0] if len(chunks) == 1 else b"".join(chunks)
    return RawResponse(stream.status, stream.reason, stream.headers, content, stream.http_version)


class Channel(Protocol):
    """A lane's own way to the server; used by one task, one request at a time."""

    async def open(self, request: WireRequest, timeouts: Timeouts, deadline: Deadline) -> ResponseStream:
        """Send the request and wait for the response head.

        A channel that times its phases itself arms `deadline` as it goes (it
        must arm before its first await); one whose stack has its own timeouts
        (httpx) may ignore it.
        """
        ...

    async def aclose(self) -> None: ...


class Transport(Protocol):
    follows_redirects: bool

    def open_channel(self) -> Channel: ...

    async def aclose(self) -> None: ...


# -- httpx -------------------------------------------------------------------

_THREADS_FOR_SYNC_CLIENT: Final = 64


def _translate(exc: Exception, timeouts: Timeouts, httpx: ModuleType) -> TransportError:
    """`exc`, raised by `httpx` (the module: httpx or httpx2), as this package's transport error."""
    if isinstance(exc, httpx.TimeoutException):
        phase: Phase = (
            "connect"
            if isinstance(exc, httpx.ConnectTimeout)
            else "write"
            if isinstance(exc, httpx.WriteTimeout)
            else "pool"
            if isinstance(exc, httpx.PoolTimeout)
            else "read"
        )
        return TransportTimeout(phase, getattr(timeouts, phase))
    return TransportError(f"{type(exc).__name__}: {exc}")


class HttpxTransport:
    """Requests go through the user's httpx client: their proxies, transports, limits.

    The client's own `follow_redirects` setting decides redirects, unless
    `follow_redirects` is set here (False for an X.509 identity, whose token
    must not follow a redirect to another origin). `httpx` is
    the module the client comes from, httpx or httpx2 (the same API): its
    Timeout and its exceptions are the ones used with the client.
    """

    follows_redirects = True  # (that is, the dispatcher leaves redirects to httpx)

    def __init__(
        self,
        client: httpx.AsyncClient | httpx.Client,
        *,
        owned: bool = False,
        threads: int = _THREADS_FOR_SYNC_CLIENT,
        httpx: ModuleType | None = None,
    ) -> None:
        if httpx is None:
            httpx = importlib.import_module("httpx")
        self._httpx = httpx
        self._client = client
        # Owned: made by this package (for proxies), so closed with the dispatcher.
        self._owned = owned
        self._is_async = isinstance(client, httpx.AsyncClient)
        # Worker threads for a sync client; created on first use so that
        # construction does not need a running event loop.
        self._limiter: anyio.CapacityLimiter | None = None
        self._threads = threads
        self.follow_redirects: bool | None = None

    def open_channel(self) -> Channel:
        return _HttpxChannel(self)

    async def aclose(self) -> None:
        # The user's client is theirs to close: the official SDK does not close
        # an http_client it was given either, and it may be shared.
        if not self._owned:
            return
        with anyio.CancelScope(shield=True):
            if self._is_async:
                await self._client.aclose()  # type: ignore[union-attr]
            else:
                await anyio.to_thread.run_sync(self._client.close)  # type: ignore[union-attr]

    async def _in_thread(self, fn: Any, *args: Any) -> Any:
        if self._limiter is None:
            self._limiter = anyio.CapacityLimiter(self._threads)
        return await anyio.to_thread.run_sync(fn, *args, limiter=self._limiter, abandon_on_cancel=True)

    async def open(
        self,
        request: WireRequest,
        timeouts: Timeouts,
        deadline: Deadline | None = None,
        *,
        follow_redirects: bool | None = None,
    ) -> ResponseStream:
        """`follow_redirects`: this request's own setting, over the transport's and the client's."""
        httpx = self._httpx
        req = self._client.build_request(
            request.method,
            request.url,
            headers=list(request.all_headers()),
            content=request.content,
            timeout=httpx.Timeout(
                connect=timeouts.connect, read=timeouts.read, write=timeouts.write, pool=timeouts.pool
            ),
        )
        options: dict[str, Any] = {"stream": True}
        if follow_redirects is None:
            follow_redirects = self.follow_redirects
        if follow_redirects is not None:
            options["follow_redirects"] = follow_redirects
        try:
            if self._is_async:
                response = await self._client.send(req, **options)  # type: ignore[misc]
            else:
                response = await self._in_thread(functools.partial(self._client.send, req, **options))
        except httpx.HTTPError as exc:
            error = _translate(exc, timeouts, httpx)
        except AssertionError as exc:
            raise DeliverAsIs(exc) from None
        except Exception as exc:
            # Raised by the user's transport (or a respx side effect): a failed
            # exchange, retried and then an APIConnectionError, as the official SDK has it.
            error = TransportError(f"{type(exc).__name__}: {exc}")
        else:
            return _HttpxResponse(self, response, timeouts)
        # Raised out here, so not chained to httpx's exception: that holds the
        # request, Authorization header and all.
        raise error


class _HttpxResponse:
    def __init__(self, transport: HttpxTransport, response: httpx.Response, timeouts: Timeouts) -> None:
        self._transport = transport
        self._response = response
        self._timeouts = timeouts
        self.status = response.status_code
        self.reason = response.reason_phrase
        self.headers = {k.lower(): v for k, v in response.headers.items()}
        self.http_version = response.http_version.removeprefix("HTTP/")
        self._chunks: Any = None

    async def next_chunk(self) -> bytes | None:
        httpx = self._transport._httpx
        try:
            return await self._next_chunk()
        except httpx.HTTPError as exc:
            error = _translate(exc, self._timeouts, httpx)
        raise error  # out here: not chained (see HttpxTransport.open)

    async def _next_chunk(self) -> bytes | None:
        if self._transport._is_async:
            if self._chunks is None:
                self._chunks = self._response.aiter_bytes()
            try:
                return await self._chunks.__anext__()  # type: ignore[no-any-return]
            except StopAsyncIteration:
                return None
        if self._chunks is None:
            self._chunks = self._response.iter_bytes()
        chunk: bytes | None = await self._transport._in_thread(next, self._chunks, None)
        return chunk

    async def aclose(self) -> None:
        with anyio.CancelScope(shield=True):
            if self._transport._is_async:
                await self._response.aclose()
            else:
                await self._transport._in_thread(self._response.close)


class _HttpxChannel:
    __slots__ = ("_transport",)

    def __init__(self, transport: HttpxTransport) -> None:
        self._transport = transport

    async def open(self, request: WireRequest, timeouts: Timeouts, deadline: Deadline) -> ResponseStream:
        return await self._transport.open(request, timeouts)  # httpx times its own phases

    async def aclose(self) -> None:
        return None
