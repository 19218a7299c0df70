"""`AsyncStream` and `Stream`: the typed events of a Server-Sent Events response.

The dispatcher hands a stream call's caller a `StreamBody` as soon as the
response head arrives, and keeps feeding it raw chunks through a bounded
channel. Everything here runs in the caller (task or thread): SSE decoding
(`_sse.py`), JSON, and building the typed objects, so a slow or heavy consumer
costs only itself.

As the official SDK does: `data: [DONE]` ends the stream, a data object
carrying `"error"` raises `APIError` from the iteration (after the items
that came before it), and events of types the caller's parser does not know
are still yielded. After `[DONE]` the rest of the body (normally just its
end, already on the way) is read for at most `DONE_GRACE` seconds, so the
connection is free for the next request; a server that lingers past that is
left to the lane, which drops the connection if the body does not end soon.

Leaving a `for` / `async for` loop early (`break`, an exception), `close()`,
the context manager's exit, the caller being cancelled mid-read, or the
stream being garbage-collected all close it: the lane stops reading and the
connection is closed at once. (So peek with `next(stream)` or
`await anext(stream)`, not `next(iter(stream))`: dropping an iterator closes
the stream.) Reading a closed stream again raises a RuntimeError; a stream the
client's shutdown cut off raises ClientClosedError, never ends short and clean.
"""

from __future__ import annotations

import enum
import json
import time
import weakref
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterator
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from ._call import DONE_GRACE, Call, StreamBody
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
# What a non-event-stream answer to a stream=True request keeps, to show in the error.
_EXCERPT = 2000


class _State(enum.Enum):
    OPEN = "open"
    DONE = "done"  # [DONE] seen: no more items; the rest of the body is to be drained
    COMPLETE = "complete"  # every item is out and the body is settled
    CLOSED = "closed"  # stopped early: by the reader, a failure, or garbage collection


class _Events(Generic[T]):
    """Raw body chunks in, typed items out; the part both stream kinds share."""

    __slots__ = ("_body", "_call", "_decoder", "_not_sse", "_parse", "done", "first_item_at", "started_at")

    def __init__(self, call: Call, body: StreamBody, parse: Callable[[Any], T]) -> None:
        self._call = call
        self._body = body
        self._decoder = SSEDecoder()
        self._parse = parse
        self.done = False  # [DONE] seen
        self.started_at = call.submitted_at
        self.first_item_at: float | None = None
        content_type = body.headers.get("content-type", "text/event-stream")
        # A server that ignores stream=True answers with JSON (or an HTML error
        # page): keep the start of it to say so, instead of yielding nothing.
        self._not_sse: bytearray | None = None if "event-stream" in content_type else bytearray()

    def feed(self, chunks: list[bytes], out: deque[T]) -> None:
        """Decode `chunks` into `out`; what decoded before a bad event stays in `out`."""
        if self._not_sse is not None:
            for chunk in chunks:
                self._not_sse += chunk[: _EXCERPT - len(self._not_sse)]
            return
        before = len(out)
        try:
            for chunk in chunks:
                for event in self._decoder.feed(chunk):
                    self._add(event, out)
                    if self.done:
                        return
        finally:
            if len(out) > before and self.first_item_at is None:
                self.first_item_at = time.perf_counter()

    def end(self, out: deque[T]) -> None:
        if self._not_sse is not None:
            content_type = self._body.headers.get("content-type")
            excerpt = self._not_sse.decode("utf-8", errors="replace")
            raise APIResponseValidationError(
                self._response(),
                excerpt,
                message=f"the server answered a streaming request with {content_type}, not an event stream: "
                f"{excerpt[:200]!r}",
            )
        for event in self._decoder.close():
            self._add(event, out)

    def _add(self, event: ServerSentEvent, out: deque[T]) -> None:
        data = event.data
        if data.startswith("[DONE]"):
            self.done = True
            return
        try:
            value = json.loads(data)
        except (ValueError, RecursionError):
            raise self._invalid(f"a streamed event is not JSON: {data[:200]!r}", data) from None
        if not isinstance(value, dict):
            raise self._invalid(f"a streamed event is not a JSON object: {data[:200]!r}", value)
        name = event.event
        if name is not None and name.startswith("thread."):
            # The Assistants stream names each event in its `event:` line and sends only
            # the object (a Run, a MessageDelta) as data; the event types carry both.
            out.append(self._parse({"event": name, "data": value}))
            return
        if value.get("error"):
            error = value["error"]
            message = error.get("message") if isinstance(error, dict) else None
            if not isinstance(message, str) or not message:
                message = "An error occurred during streaming"
            raise APIError(message, http_request(self._call), body=error)
        out.append(self._parse(value))

    def _invalid(self, message: str, body: object) -> APIResponseValidationError:
        return APIResponseValidationError(self._response(), body, message=message)

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
    def __init__(self, call: Call, body: StreamBody, parse: Callable[[Any], T], owner: object) -> None:
        self._call = call
        self._body = body
        self._events = _Events(call, body, parse)
        self._pending: deque[T] = deque()
        self._state = _State.OPEN
        self._error: BaseException | None = None  # raised once the items before it are out
        # The client, kept alive while its stream is: its garbage collection
        # would stop the dispatcher that feeds this stream.
        self._owner = owner

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

    @property
    def queued(self) -> float | None:
        """Seconds the request waited in the client before its first attempt was sent."""
        return self._call.queued

    def _next_ready(self) -> T | None:
        """The next item if one is ready; raises at the end or after a failure; None: read more."""
        if self._pending:
            return self._pending.popleft()
        if self._error is not None:
            error, self._error = self._error, None
            raise error
        if self._state is _State.COMPLETE:
            raise StopIteration
        if self._state is _State.DONE:
            return None  # the caller drains the body, then stops
        if self._state is _State.CLOSED:
            raise RuntimeError("this stream was closed; iterate a stream only once, and within its block")
        return None

    def _take(self, chunks: list[bytes] | None) -> None:
        """Decode what arrived; a bad event is kept in `_error`, behind the items before it."""
        events = self._events
        try:
            if chunks is None:
                events.end(self._pending)
                self._state = _State.COMPLETE
                self._detach()
                return
            events.feed(chunks, self._pending)
        except Exception as exc:
            self._error = exc
            self._close()
            return
        if events.done:
            self._state = _State.DONE

    def _failed(self, exc: BaseException) -> BaseException:
        self._close()
        if isinstance(exc, TransportError):
            return transport_error(self._call, exc)
        return exc

    def _close(self) -> None:
        if self._state in (_State.OPEN, _State.DONE):
            self._state = _State.CLOSED
            self._detach()
            self._close_body()

    def _detach(self) -> None:
        raise NotImplementedError

    def _close_body(self) -> None:
        raise NotImplementedError

    def _drained(self) -> None:
        self._state = _State.COMPLETE
        self._detach()


class AsyncStream(_StreamBase[T]):
    """An async iterator of a streamed response's events: `async for chunk in stream`."""

    def __init__(
        self, call: Call, body: StreamBody, parse: Callable[[Any], T], loop: Any, owner: object
    ) -> None:
        super().__init__(call, body, parse, owner)
        self._loop = loop
        # A stream dropped without being closed must not hold its lane and
        # connection forever: close it, from the loop it belongs to.
        self._finalizer = weakref.finalize(self, call_in_loop, loop, body.close)

    def __aiter__(self) -> AsyncIterator[T]:
        # A fresh iterator object, not self: when a loop over it is left early
        # (`break`, an exception) the iterator is dropped, and dropping it
        # closes the stream, so the connection is not left waiting for the
        # server. (An async generator would do the same, but trio warns about
        # every one abandoned unexhausted, which is what `break` does.)
        return _LoopIterator(self)

    async def __anext__(self) -> T:
        while True:
            try:
                item = self._next_ready()
            except StopIteration:
                raise StopAsyncIteration from None
            if item is not None:
                return item
            if self._state is _State.DONE:
                try:
                    await self._body.drain(DONE_GRACE)
                finally:
                    self._drained()
                continue
            try:
                chunks = await self._body.receive_many()
            except BaseException as exc:  # a failed body, or this reader cancelled
                raise self._failed(exc) from (exc if isinstance(exc, TransportError) else None)
            self._take(chunks)

    def _detach(self) -> None:
        self._finalizer.detach()

    def _close_body(self) -> None:
        self._body.close()

    def _close_soon(self) -> None:
        """`close` for a finalizer (`__del__`), which may run anywhere: deferred to the loop.

        A stream left at [DONE] is let finish rather than cut, so its connection
        can still be reused.
        """
        state = self._state
        if state in (_State.OPEN, _State.DONE):
            self._state = _State.CLOSED
            self._detach()
            call_in_loop(self._loop, self._body.finish if state is _State.DONE else self._body.close)

    async def close(self) -> None:
        """Stop reading; the connection is closed unless the stream had already ended."""
        self._close()

    aclose = close

    async def __aenter__(self) -> AsyncStream[T]:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self._close()


class _LoopIterator(Generic[T]):
    """What `async for` iterates; dropping it unfinished closes its stream."""

    __slots__ = ("_stream",)

    def __init__(self, stream: AsyncStream[T]) -> None:
        self._stream = stream

    def __aiter__(self) -> _LoopIterator[T]:
        return self

    async def __anext__(self) -> T:
        return await self._stream.__anext__()

    async def aclose(self) -> None:
        await self._stream.close()

    def __del__(self) -> None:
        self._stream._close_soon()


class Stream(_StreamBase[T]):
    """An iterator of a streamed response's events, for the sync client: `for chunk in stream`.

    Chunks cross from the dispatcher's thread in batches (everything that has
    arrived per hop), and decoding happens in the calling thread.
    """

    def __init__(
        self, call: Call, body: StreamBody, parse: Callable[[Any], T], portal: PortalThread, owner: object
    ) -> None:
        super().__init__(call, body, parse, owner)
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
            self._close()

    def __next__(self) -> T:
        while True:
            item = self._next_ready()
            if item is not None:
                return item
            if self._state is _State.DONE:
                try:
                    self._portal.call(self._body.drain, DONE_GRACE)
                finally:
                    self._drained()
                continue
            try:
                chunks = self._portal.call(self._body.receive_many)
            except BaseException as exc:
                raise self._failed(exc) from (exc if isinstance(exc, TransportError) else None)
            self._take(chunks)

    def _detach(self) -> None:
        self._finalizer.detach()

    def _close_body(self) -> None:
        self._portal.call_soon(self._body.close)

    def close(self) -> None:
        """Stop reading; the connection is closed unless the stream had already ended."""
        self._close()

    def __enter__(self) -> Stream[T]:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._close()
