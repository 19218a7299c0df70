"""Raw access: `.with_raw_response` and `.with_streaming_response`, as in the official SDK.

    raw = await client.chat.completions.with_raw_response.create(...)
    raw.headers["x-ratelimit-remaining-requests"], raw.status_code, raw.request_id,
    raw.retries_taken, raw.elapsed
    completion = raw.parse()

    async with client.chat.completions.with_streaming_response.create(...) as response:
        async for line in response.iter_lines(): ...

How: the wrappers set a context variable around the call of the ordinary
method, and the client's request path returns one of these objects instead of
the parsed result when it sees it. One code path for every resource method,
and nothing to pay when it is unset (one `ContextVar.get()` per request).
A streaming response asks the dispatcher for the body as it arrives (the
same `StreamBody` as SSE streams), so a large download is never held whole.
"""

from __future__ import annotations

import datetime
import functools
import json
import os
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, Generic, Literal, ParamSpec, TypeVar, cast

from ._call import Call, StreamBody
from ._response import decode_utf8, http_response, transport_error, utf8_decoder
from ._transport import RawResponse, TransportError

if TYPE_CHECKING:
    import httpx

    from ._portal import PortalThread

__all__ = [
    "APIResponse",
    "AsyncAPIResponse",
    "LegacyAPIResponse",
    "async_to_raw_response_wrapper",
    "async_to_streamed_response_wrapper",
    "response_mode",
    "to_raw_response_wrapper",
    "to_streamed_response_wrapper",
]

P = ParamSpec("P")
R = TypeVar("R")
Mode = Literal["raw", "streaming"]
_MODE: ContextVar[Mode | None] = ContextVar("openai_actors_response_mode", default=None)


def response_mode() -> Mode | None:
    return _MODE.get()


class _Meta(Generic[R]):
    """What every raw response shows: status, headers, ids, timing.

    A response whose body is still arriving (a StreamBody) is closed when the
    object is garbage-collected unread, through `close_soon` (which runs the
    close in the dispatcher's loop); it also keeps the client alive meanwhile.
    """

    def __init__(
        self,
        call: Call,
        head: RawResponse | StreamBody,
        parse: Callable[[Any], R],
        close_soon: Callable[[Callable[[], None]], None],
        owner: object,
    ) -> None:
        self._call = call
        self._head = head
        self._parse = parse
        self._owner = owner
        self._finalizer = (
            weakref.finalize(self, close_soon, head.close) if isinstance(head, StreamBody) else None
        )

    @functools.cached_property
    def http_response(self) -> httpx.Response:
        head = self._head
        content = head.content if isinstance(head, RawResponse) else b""
        return http_response(
            self._call, RawResponse(head.status, head.reason, head.headers, content, head.http_version)
        )

    @property
    def headers(self) -> httpx.Headers:
        return self.http_response.headers

    @property
    def http_request(self) -> httpx.Request:
        return self.http_response.request

    @property
    def status_code(self) -> int:
        return self._head.status

    @property
    def url(self) -> httpx.URL:
        return self.http_request.url

    @property
    def method(self) -> str:
        return self._call.method

    @property
    def http_version(self) -> str:
        return f"HTTP/{self._head.http_version}"

    @property
    def request_id(self) -> str | None:
        return self._head.headers.get("x-request-id")

    @property
    def retries_taken(self) -> int:
        return self._call.retries_taken

    @property
    def queued(self) -> float | None:
        """Seconds the request waited in the client (for admission and a connection) before
        its first attempt was sent. This package's own addition."""
        return self._call.queued

    @property
    def elapsed(self) -> datetime.timedelta:
        """From sending the (last) attempt to having its response."""
        return datetime.timedelta(seconds=self._call.elapsed)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} [{self.status_code}] {self._call.method} {self._call.url}>"


class LegacyAPIResponse(_Meta[R]):
    """What `with_raw_response` returns: the response, read; `parse()` for the usual object.

    For a `stream=True` call, `parse()` returns the stream (the body is not read here).
    """

    def __init__(
        self,
        call: Call,
        head: RawResponse | StreamBody,
        parse: Callable[[Any], R],
        close_soon: Callable[[Callable[[], None]], None],
        owner: object,
    ) -> None:
        super().__init__(call, head, parse, close_soon, owner)
        self._parsed: R | None = None

    @property
    def content(self) -> bytes:
        head = self._head
        if isinstance(head, StreamBody):
            raise RuntimeError("the body of a streamed response is read by iterating parse()")
        return head.content

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", errors="replace")

    def json(self) -> Any:
        return json.loads(self.content)

    def parse(self) -> R:
        if self._parsed is None:
            if self._finalizer is not None:
                self._finalizer.detach()  # the stream parse() returns takes over closing it
            self._parsed = self._parse(self._head)
        return self._parsed

    def close(self) -> None:
        """Close a streamed body that will not be parsed (a whole one needs nothing)."""
        if isinstance(self._head, StreamBody) and self._parsed is None:
            if self._finalizer is not None:
                self._finalizer.detach()
            self._head.close()


class _Streamed(_Meta[R]):
    def __init__(
        self,
        call: Call,
        head: StreamBody,
        parse: Callable[[Any], R],
        close_soon: Callable[[Callable[[], None]], None],
        owner: object,
    ) -> None:
        super().__init__(call, head, parse, close_soon, owner)
        self._body = head
        self._content: bytes | None = None
        self._consumed = False
        self._parsed: R | None = None

    def _check_fresh(self) -> None:
        if self._consumed:
            raise RuntimeError("the response body has already been consumed")
        self._consumed = True


class AsyncAPIResponse(_Streamed[R]):
    """What `with_streaming_response` yields on the async client: the body arrives as you read it."""

    async def _chunks(self) -> AsyncIterator[bytes]:
        try:
            while (chunks := await self._body.receive_many()) is not None:
                for chunk in chunks:
                    yield chunk
        except TransportError as exc:
            raise transport_error(self._call, exc) from exc
        finally:
            self._body.close()

    async def iter_bytes(self, chunk_size: int | None = None) -> AsyncIterator[bytes]:
        self._check_fresh()
        async for chunk in _rechunk(self._chunks(), chunk_size):
            yield chunk

    async def stream_to_file(self, file: str | os.PathLike[str], *, chunk_size: int | None = None) -> None:
        """Write the body to `file` as it arrives (an audio file, a download), without holding it whole."""
        import anyio

        async with await anyio.Path(file).open("wb") as f:
            async for chunk in self.iter_bytes(chunk_size):
                await f.write(chunk)

    async def iter_text(self, chunk_size: int | None = None) -> AsyncIterator[str]:
        decoder = utf8_decoder()
        async for chunk in self.iter_bytes(chunk_size):
            if text := decoder.decode(chunk):
                yield text
        if tail := decoder.decode(b"", final=True):
            yield tail

    async def iter_lines(self) -> AsyncIterator[str]:
        splitter = _LineSplitter()
        async for text in self.iter_text():
            for line in splitter.feed(text):
                yield line
        for line in splitter.flush():
            yield line

    async def read(self) -> bytes:
        if self._content is None:
            self._content = b"".join([chunk async for chunk in self.iter_bytes()])
        return self._content

    async def text(self) -> str:
        return (await self.read()).decode("utf-8", errors="replace")

    async def json(self) -> Any:
        return json.loads(await self.read())

    async def parse(self) -> R:
        """The usual object: for a `stream=True` call, the stream; otherwise built from the body."""
        if self._parsed is None:
            if self._content is None and not self._consumed and self._is_event_stream():
                self._consumed = True
                self._parsed = self._parse(self._body)
            else:
                body = self._body
                self._parsed = self._parse(
                    RawResponse(body.status, body.reason, body.headers, await self.read())
                )
        return self._parsed

    def _is_event_stream(self) -> bool:
        return self._body.headers.get("content-type", "").startswith("text/event-stream")

    async def close(self) -> None:
        self._body.close()


class APIResponse(_Streamed[R]):
    """What `with_streaming_response` yields on the sync client."""

    def __init__(
        self, call: Call, head: StreamBody, parse: Callable[[Any], R], portal: PortalThread, owner: object
    ) -> None:
        super().__init__(call, head, parse, portal.call_soon, owner)
        self._portal = portal

    def _chunks(self) -> Iterator[bytes]:
        try:
            while (chunks := self._portal.call(self._body.receive_many)) is not None:
                yield from chunks
        except TransportError as exc:
            raise transport_error(self._call, exc) from exc
        finally:
            self._portal.call_soon(self._body.close)

    def iter_bytes(self, chunk_size: int | None = None) -> Iterator[bytes]:
        self._check_fresh()
        yield from _rechunk_sync(self._chunks(), chunk_size)

    def stream_to_file(self, file: str | os.PathLike[str], *, chunk_size: int | None = None) -> None:
        """Write the body to `file` as it arrives (an audio file, a download), without holding it whole."""
        with open(file, "wb") as f:
            for chunk in self.iter_bytes(chunk_size):
                f.write(chunk)

    def iter_text(self, chunk_size: int | None = None) -> Iterator[str]:
        return decode_utf8(self.iter_bytes(chunk_size))

    def iter_lines(self) -> Iterator[str]:
        splitter = _LineSplitter()
        for text in self.iter_text():
            yield from splitter.feed(text)
        yield from splitter.flush()

    def read(self) -> bytes:
        if self._content is None:
            self._content = b"".join(self.iter_bytes())
        return self._content

    def text(self) -> str:
        return self.read().decode("utf-8", errors="replace")

    def json(self) -> Any:
        return json.loads(self.read())

    def parse(self) -> R:
        """The usual object: for a `stream=True` call, the stream; otherwise built from the body."""
        if self._parsed is None:
            if self._content is None and not self._consumed and self._is_event_stream():
                self._consumed = True
                self._parsed = self._parse(self._body)
            else:
                body = self._body
                self._parsed = self._parse(RawResponse(body.status, body.reason, body.headers, self.read()))
        return self._parsed

    def _is_event_stream(self) -> bool:
        return self._body.headers.get("content-type", "").startswith("text/event-stream")

    def close(self) -> None:
        self._portal.call_soon(self._body.close)


# -- small helpers for the iterators -------------------------------------------------


class _LineSplitter:
    """Text in any pieces, lines out (without their ending: \\n, \\r\\n or \\r)."""

    def __init__(self) -> None:
        self._buffer = ""

    def feed(self, text: str) -> list[str]:
        text = self._buffer + text
        lines = text.splitlines(keepends=True)
        # The last piece may be an unfinished line, or a \\r whose \\n is still to come.
        if lines and (lines[-1] == _no_ending(lines[-1]) or lines[-1].endswith("\r")):
            self._buffer = lines.pop()
        else:
            self._buffer = ""
        return [_no_ending(line) for line in lines]

    def flush(self) -> list[str]:
        rest, self._buffer = self._buffer, ""
        return [_no_ending(rest)] if rest else []


def _no_ending(line: str) -> str:
    # Whatever line end str.splitlines() knows (\n, \r, \x0c, \u2028, ...), as httpx does.
    parts = line.splitlines()
    return parts[0] if parts else ""


async def _rechunk(chunks: AsyncIterator[bytes], size: int | None) -> AsyncIterator[bytes]:
    if size is None:
        async for chunk in chunks:
            yield chunk
        return
    buffer = b""
    async for chunk in chunks:
        buffer += chunk
        while len(buffer) >= size:
            yield buffer[:size]
            buffer = buffer[size:]
    if buffer:
        yield buffer


def _rechunk_sync(chunks: Iterator[bytes], size: int | None) -> Iterator[bytes]:
    if size is None:
        yield from chunks
        return
    buffer = b""
    for chunk in chunks:
        buffer += chunk
        while len(buffer) >= size:
            yield buffer[:size]
            buffer = buffer[size:]
    if buffer:
        yield buffer


# -- the wrappers ------------------------------------------------------------------


def to_raw_response_wrapper(func: Callable[P, R]) -> Callable[P, LegacyAPIResponse[R]]:
    @functools.wraps(func)
    def wrapped(*args: P.args, **kwargs: P.kwargs) -> LegacyAPIResponse[R]:
        token = _MODE.set("raw")
        try:
            return cast("LegacyAPIResponse[R]", func(*args, **kwargs))
        finally:
            _MODE.reset(token)

    return wrapped


def async_to_raw_response_wrapper(
    func: Callable[P, Awaitable[R]],
) -> Callable[P, Awaitable[LegacyAPIResponse[R]]]:
    @functools.wraps(func)
    async def wrapped(*args: P.args, **kwargs: P.kwargs) -> LegacyAPIResponse[R]:
        token = _MODE.set("raw")
        try:
            return cast("LegacyAPIResponse[R]", await func(*args, **kwargs))
        finally:
            _MODE.reset(token)

    return wrapped


class ResponseContextManager(Generic[R]):
    def __init__(self, make: Callable[[], Any]) -> None:
        self._make = make
        self._response: Any = None

    def __enter__(self) -> APIResponse[R]:
        token = _MODE.set("streaming")
        try:
            self._response = self._make()
        finally:
            _MODE.reset(token)
        return cast("APIResponse[R]", self._response)

    def __exit__(self, *exc_info: object) -> None:
        if self._response is not None:
            self._response.close()


class AsyncResponseContextManager(Generic[R]):
    def __init__(self, make: Callable[[], Awaitable[Any]]) -> None:
        self._make = make
        self._response: Any = None

    async def __aenter__(self) -> AsyncAPIResponse[R]:
        token = _MODE.set("streaming")
        try:
            self._response = await self._make()
        finally:
            _MODE.reset(token)
        return cast("AsyncAPIResponse[R]", self._response)

    async def __aexit__(self, *exc_info: object) -> None:
        if self._response is not None:
            await self._response.close()


def to_streamed_response_wrapper(func: Callable[P, R]) -> Callable[P, ResponseContextManager[R]]:
    @functools.wraps(func)
    def wrapped(*args: P.args, **kwargs: P.kwargs) -> ResponseContextManager[R]:
        return ResponseContextManager(functools.partial(func, *args, **kwargs))

    return wrapped


def async_to_streamed_response_wrapper(
    func: Callable[P, Awaitable[R]],
) -> Callable[P, AsyncResponseContextManager[R]]:
    @functools.wraps(func)
    def wrapped(*args: P.args, **kwargs: P.kwargs) -> AsyncResponseContextManager[R]:
        async def make() -> Any:
            return await func(*args, **kwargs)

        return AsyncResponseContextManager(make)

    return wrapped
