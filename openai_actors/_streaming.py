"""`AsyncStream` and `Stream`: the typed events of a Server-Sent Events response.

The dispatcher hands a stream call's caller a `StreamBody` as soon as the
response head arrives, and keeps feeding it raw chunks through a bounded
channel. Everything here runs in the caller (task or thread): SSE decoding
(`_sse.py`), JSON, and building the typed objects, so a slow or heavy consumer
costs only itself.

As the official SDK does: `data: [DONE]` ends the stream (what follows is read
and dropped, so the connection can be reused), a data object carrying
`"error"` raises `APIError` from the iteration, and events of types the
caller's parser does not know are still yielded.

Leaving the loop early, `close()`, the context manager's exit, the caller
being cancelled mid-read, or the stream being garbage-collected all close it:
the lane stops reading and the connection is closed at once, never left
waiting for the server's next byte.
"""

from __future__ import annotations

import json
import time
import weakref
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterator
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from ._call import Call, StreamBody
from ._core import call_in_loop
from ._exceptions import APIError, APIResponseValidationError
from ._response import http_request, http_response, transport_error
from ._sse import ServerSentEvent, SSEDecoder
from ._transport import RawResponse, TransportError

if TYPE_CHECKING:
    import httpx

    from ._portal import PortalThread

__all__ = ["AsyncStream", "Stream"]

T = TypeVar("T")


class _Events(Generic[T]):
    """Raw body chunks in, typed items out; the part both stream kinds share."""

    __slots__ = ("_body", "_call", "_decoder", "_parse", "done", "first_item_at", "started_at")

    def __init__(self, call: Call, body: StreamBody, parse: Callable[[Any], T]) -> None:
        self._call = call
        self._body = body
        self._decoder = SSEDecoder()
        self._parse = parse
        self.done = False  # [DONE] seen: the rest of the body is read and dropped
        self.started_at = call.submitted_at
        self.first_item_at: float | None = None

    def feed(self, chunks: list[bytes]) -> list[T]:
        items: list[T] = []
        for chunk in chunks:
            for event in self._decoder.feed(chunk):
                self._add(event, items)
        if items and self.first_item_at is None:
            self.first_item_at = time.perf_counter()
        return items

    def end(self) -> list[T]:
        items: list[T] = []
        for event in self._decoder.close():
            self._add(event, items)
        return items

    def _add(self, event: ServerSentEvent, items: list[T]) -> None:
        if self.done:
            return
        data = event.data
        if data.startswith("[DONE]"):
            self.done = True
            return
        try:
            value = json.loads(data)
        except (ValueError, RecursionError):
            raise APIResponseValidationError(
                self._response(), data[:200], message=f"a streamed event is not JSON: {data[:200]!r}"
            ) from None
        if isinstance(value, dict) and value.get("error"):
            error = value["error"]
            message = error.get("message") if isinstance(error, dict) else None
            if not isinstance(message, str) or not message:
                message = "An error occurred during streaming"
            raise APIError(message, http_request(self._call), body=error)
        items.append(self._parse(value))

    def _response(self) -> httpx.Response:
        body = self._body
        return http_response(
            self._call, RawResponse(body.status, body.reason, body.headers, b"", body.http_version)
        )

    @property
    def time_to_first_token(self) -> float | None:
        if self.first_item_at is None:
            return None
        return self.first_item_at - self.started_at


class _StreamBase(Generic[T]):
    def __init__(self, call: Call, body: StreamBody, parse: Callable[[Any], T]) -> None:
        self._call = call
        self._body = body
        self._events = _Events(call, body, parse)
        self._pending: deque[T] = deque()
        self._finished = False

    @property
    def response(self) -> httpx.Response:
        """The HTTP response (status and headers; its body is this stream)."""
        return self._events._response()

    @property
    def time_to_first_token(self) -> float | None:
        """Seconds from the request being made to the first item arriving, or None before it."""
        return self._events.time_to_first_token

    @property
    def request_id(self) -> str | None:
        return self._body.headers.get("x-request-id")

    def _take(self, chunks: list[bytes] | None) -> None:
        if chunks is None:
            self._pending.extend(self._events.end())
            self._stop()
        else:
            self._pending.extend(self._events.feed(chunks))

    def _stop(self) -> None:
        raise NotImplementedError


class AsyncStream(_StreamBase[T]):
    """An async iterator of a streamed response's events: `async for chunk in stream`."""

    def __init__(self, call: Call, body: StreamBody, parse: Callable[[Any], T], loop: Any) -> None:
        super().__init__(call, body, parse)

        # A stream dropped without being closed must not hold its lane and
        # connection forever: close it from the loop it belongs to.
        self._loop = loop
        self._finalizer = weakref.finalize(self, call_in_loop, loop, body.close)

    def __aiter__(self) -> AsyncIterator[T]:
        # A fresh iterator object, not self: when a loop over it is left early
        # (`break`, an exception) the iterator is dropped, and dropping it
        # closes the stream, so the connection is not left waiting for the
        # server. (An async generator would do the same, but trio warns about
        # every one abandoned unexhausted, which is what `break` does.)
        return _LoopIterator(self)

    async def __anext__(self) -> T:
        pending = self._pending
        while not pending:
            if self._finished:
                raise StopAsyncIteration
            try:
                self._take(await self._body.receive_many())
            except TransportError as exc:
                self._stop()
                raise transport_error(self._call, exc) from exc
            except BaseException:
                self._stop()  # cancelled, or a bad event: the stream is over either way
                raise
        return pending.popleft()

    def _stop(self) -> None:
        if not self._finished:
            self._finished = True
            self._finalizer.detach()
            self._body.close()

    def _stop_from_anywhere(self) -> None:
        """`_stop` for a finalizer, which may run in any thread."""
        if not self._finished:
            self._finished = True
            self._finalizer.detach()
            call_in_loop(self._loop, self._body.close)

    async def close(self) -> None:
        """Stop reading; the connection is closed unless the stream had already ended."""
        self._stop()

    aclose = close

    async def __aenter__(self) -> AsyncStream[T]:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self._stop()


class _LoopIterator(Generic[T]):
    """What `async for` iterates; dropping it unfinished closes its stream."""

    __slots__ = ("_stream",)

    def __init__(self, stream: AsyncStream[T]) -> None:
        self._stream = stream

    def __aiter__(self) -> _LoopIterator[T]:
        return self

    async def __anext__(self) -> T:
        return await self._stream.__anext__()

    def __del__(self) -> None:
        self._stream._stop_from_anywhere()


class Stream(_StreamBase[T]):
    """An iterator of a streamed response's events, for the sync client: `for chunk in stream`.

    Chunks cross from the dispatcher's thread in batches (everything that has
    arrived per hop), and decoding happens in the calling thread.
    """

    def __init__(self, call: Call, body: StreamBody, parse: Callable[[Any], T], portal: PortalThread) -> None:
        super().__init__(call, body, parse)
        self._portal = portal
        self._finalizer = weakref.finalize(self, portal.call_soon, body.close)

    def __iter__(self) -> Iterator[T]:
        # As for AsyncStream: leaving a `for` loop early closes the stream.
        return self._items()

    def _items(self) -> Iterator[T]:
        try:
            while True:
                try:
                    item = self.__next__()
                except StopIteration:
                    return
                yield item
        finally:
            self._stop()

    def __next__(self) -> T:
        pending = self._pending
        while not pending:
            if self._finished:
                raise StopIteration
            try:
                self._take(self._portal.call(self._body.receive_many))
            except TransportError as exc:
                self._stop()
                raise transport_error(self._call, exc) from exc
            except BaseException:
                self._stop()
                raise
        return pending.popleft()

    def _stop(self) -> None:
        if not self._finished:
            self._finished = True
            self._finalizer.detach()
            self._portal.call_soon(self._body.close)

    def close(self) -> None:
        """Stop reading; the connection is closed unless the stream had already ended."""
        self._stop()

    def __enter__(self) -> Stream[T]:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop()
