"""An in-memory transport: a function answers each request, with no sockets.

The shape of httpx's `MockTransport`: `MockTransport(handler)`, where the
handler takes a `MockRequest` and returns a `MockResponse` (or a coroutine
giving one), or raises `TransportError` to act as a failed connection. The
dispatcher runs over it exactly as over the network: lanes open channels,
deadlines are armed and enforced, bodies stream chunk by chunk. So the
dispatcher's behaviour (retries, pauses, lanes retiring, timeouts, streams)
is tested without sockets, and, run under an event loop with a fake clock,
without waiting for real time to pass: a handler that sleeps 30 s, or a
retry-after of 60 s, costs nothing.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ._transport import Deadline, Origin, ResponseStream, Timeouts, WireRequest

__all__ = ["MockRequest", "MockResponse", "MockTransport"]


@dataclass(frozen=True, slots=True)
class MockRequest:
    """One request as the server would see it (its body read whole)."""

    method: str
    origin: Origin
    target: str
    headers: dict[str, str]
    """Lower-case names; a repeated header keeps its last value."""
    content: bytes

    @property
    def url(self) -> str:
        return f"{self.origin}{self.target}"

    @property
    def path(self) -> str:
        return self.target.partition("?")[0]

    def json(self) -> Any:
        return json.loads(self.content)

    def __repr__(self) -> str:
        return f"<MockRequest {self.method} {self.url}>"  # never the headers: they hold the key


@dataclass(slots=True)
class MockResponse:
    """What the handler answers; `body` may arrive in chunks (an async iterable, e.g. with sleeps between)."""

    status: int = 200
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes | AsyncIterable[bytes] = b""
    reason: str = ""

    @classmethod
    def json(cls, data: object, status: int = 200, headers: Mapping[str, str] | None = None) -> MockResponse:
        return cls(status, {"content-type": "application/json", **(headers or {})}, json.dumps(data).encode())


Handler = Callable[[MockRequest], MockResponse | Awaitable[MockResponse]]


class MockTransport:
    """Requests answered by `handler`; counts the connections the dispatcher's lanes would hold.

    A lane's channel "connects" on its first request, and keeps that connection
    while each response is read to its end, as a keep-alive connection is; a
    response closed before its end (a timeout, a reader that stopped) closes
    it, and the channel's next request connects again.
    """

    follows_redirects = False  # the dispatcher follows them, as over the native transport

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.requests: list[MockRequest] = []
        self.connections_opened = 0
        self.connections_closed = 0
        self.closed = False

    @property
    def connections_open(self) -> int:
        return self.connections_opened - self.connections_closed

    def open_channel(self) -> _MockChannel:
        return _MockChannel(self)

    async def aclose(self) -> None:
        self.closed = True


class _MockChannel:
    __slots__ = ("_transport", "connected")

    def __init__(self, transport: MockTransport) -> None:
        self._transport = transport
        self.connected = False

    async def open(self, request: WireRequest, timeouts: Timeouts, deadline: Deadline) -> ResponseStream:
        # The whole exchange counts as reading: memory takes no time to connect or write to.
        deadline.arm("read", timeouts.read)
        if not self.connected:
            self.connected = True
            self._transport.connections_opened += 1
        # Until the response is read to its end, the connection is in use: if
        # anything stops this exchange early, it is closed (see _MockStream).
        stream = _MockStream(self, deadline, timeouts.read)
        try:
            content = request.content
            if not isinstance(content, bytes):
                content = b"".join([chunk async for chunk in content])
            headers = {name.lower(): value for name, value in request.all_headers()}
            seen = MockRequest(request.method, request.origin, request.target, headers, content)
            self._transport.requests.append(seen)
            answer = self._transport.handler(seen)
            response = await answer if inspect.isawaitable(answer) else answer
            if not isinstance(response, MockResponse):
                raise TypeError(
                    f"a MockTransport handler must return a MockResponse, not {type(response).__name__}"
                )
        except BaseException:
            self.disconnect()
            raise
        stream.start(response)
        return stream

    def disconnect(self) -> None:
        if self.connected:
            self.connected = False
            self._transport.connections_closed += 1

    async def aclose(self) -> None:
        self.disconnect()


class _MockStream:
    __slots__ = (
        "_body",
        "_channel",
        "_deadline",
        "_ended",
        "_read",
        "headers",
        "http_version",
        "reason",
        "status",
    )

    def __init__(self, channel: _MockChannel, deadline: Deadline, read: float | None) -> None:
        self._channel = channel
        self._deadline = deadline
        self._read = read
        self._ended = False
        self._body: bytes | AsyncIterator[bytes] | None = None
        self.status = 0
        self.reason = ""
        self.headers: dict[str, str] = {}
        self.http_version = "1.1"

    def start(self, response: MockResponse) -> None:
        self.status = response.status
        self.reason = response.reason
        self.headers = {name.lower(): value for name, value in response.headers.items()}
        body = response.body
        self._body = body if isinstance(body, bytes) else aiter(body)
        self._deadline.disarm()

    async def next_chunk(self) -> bytes | None:
        body = self._body
        if body is None:
            return None
        if isinstance(body, bytes):
            self._end()
            return body or None
        self._deadline.arm("read", self._read)
        try:
            chunk = await anext(body)
        except StopAsyncIteration:
            self._end()
            return None
        finally:
            self._deadline.disarm()
        return chunk

    def _end(self) -> None:
        self._body = None
        self._ended = True

    async def aclose(self) -> None:
        body, self._body = self._body, None
        if not self._ended:
            self._channel.disconnect()
        if body is not None and not isinstance(body, bytes):
            aclose = getattr(body, "aclose", None)
            if aclose is not None:
                await aclose()
