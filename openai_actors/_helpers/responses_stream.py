"""`responses.stream()`: the context managers and the event iterators around a raw stream.

As chat_stream.py: the request is made when the block is entered and the stream closed
when it is left; a loop left early leaves it open for the rest of the block.

Resuming (`responses.stream(response_id=..., starting_after=N)`) streams the stored
response's events from its start, as the official SDK does, so the text and arguments
accumulate from their beginning, and yields only those numbered above N: each event once,
none twice across the two streams.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic

from .._exceptions import APIError
from .._types import Omit, omit
from ._responses_stream_events import ResponseStreamEvent, TextFormatT
from ._responses_stream_state import ResponseStreamState
from .chat_stream import started

if TYPE_CHECKING:
    import httpx

    from .._streaming import AsyncStream, Stream
    from ..types.responses.response_stream_event import ResponseStreamEvent as RawResponseStreamEvent
    from .parsed_response import ParsedResponse

__all__ = ["AsyncResponseStream", "AsyncResponseStreamManager", "ResponseStream", "ResponseStreamManager"]


class _Reader(Generic[TextFormatT]):
    """What both kinds share: raw events in, the events to yield out (sans-IO)."""

    def __init__(
        self, text_format: Any, input_tools: Iterable[Any] | Omit, starting_after: int | None
    ) -> None:
        self.state: ResponseStreamState[TextFormatT] = ResponseStreamState(
            text_format=text_format, input_tools=input_tools
        )
        self.starting_after = starting_after
        self.pending: deque[ResponseStreamEvent[TextFormatT]] = deque()
        self.first = True

    def take(self, event: RawResponseStreamEvent, response: Callable[[], httpx.Response]) -> None:
        if self.first:
            self.first = False
            _raise_if_error(event, response)
        after = self.starting_after
        for out in self.state.handle_event(event):
            if after is None or _sequence_number(out) > after:
                self.pending.append(out)


def _sequence_number(event: object) -> int:
    number = event.__dict__["_data"].get("sequence_number")
    return number if isinstance(number, int) else -1


def _raise_if_error(event: RawResponseStreamEvent, response: Callable[[], httpx.Response]) -> None:
    """A stream that fails before it starts (its first event an `error`) raises APIError with
    the server's message, rather than the state's "must begin with response.created"."""
    data = event.__dict__["_data"]
    if data.get("type") != "error":
        return
    message = data.get("message")
    raise APIError(
        message if isinstance(message, str) and message else "An error occurred during streaming",
        response().request,
        body=data,
    )


class ResponseStream(Generic[TextFormatT]):
    """The events of a streamed response (`for event in stream`), and the parsed response."""

    def __init__(
        self,
        *,
        raw_stream: Stream[RawResponseStreamEvent],
        text_format: type[TextFormatT] | Omit = omit,
        input_tools: Iterable[Any] | Omit = omit,
        starting_after: int | None = None,
    ) -> None:
        self._raw_stream = raw_stream
        self._reader: _Reader[TextFormatT] = _Reader(text_format, input_tools, starting_after)

    @property
    def response(self) -> httpx.Response:
        """The HTTP response (status and headers)."""
        return self._raw_stream.response

    def __iter__(self) -> ResponseStream[TextFormatT]:
        return self

    def __next__(self) -> ResponseStreamEvent[TextFormatT]:
        reader = self._reader
        while not reader.pending:
            reader.take(self._raw_stream.__next__(), lambda: self._raw_stream.response)
        return reader.pending.popleft()

    def until_done(self) -> ResponseStream[TextFormatT]:
        """Read the stream to its end."""
        for _ in self:
            pass
        return self

    def get_final_response(self) -> ParsedResponse[TextFormatT]:
        """Read the stream to its end; the response, parsed as `responses.parse` parses one.
        A RuntimeError if it did not complete (it failed, or is incomplete)."""
        self.until_done()
        return self._reader.state.final_response()

    def close(self) -> None:
        """Stop reading; the connection is closed unless the stream had ended. Events not
        read yet are dropped: reading on raises, as it does from a closed raw stream."""
        self._reader.pending.clear()
        self._raw_stream.close()

    def __enter__(self) -> ResponseStream[TextFormatT]:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class ResponseStreamManager(Generic[TextFormatT]):
    """What `responses.stream()` returns: `with` it to make the request and read the events."""

    def __init__(
        self,
        api_request: Callable[[], Stream[RawResponseStreamEvent]],
        *,
        text_format: type[TextFormatT] | Omit,
        input_tools: Iterable[Any] | Omit,
        starting_after: int | None,
    ) -> None:
        self._api_request = api_request
        self._text_format = text_format
        self._input_tools = input_tools
        self._starting_after = starting_after
        self._stream: ResponseStream[TextFormatT] | None = None

    def __enter__(self) -> ResponseStream[TextFormatT]:
        if self._stream is not None:
            raise RuntimeError("this responses.stream() was entered already; call stream() again")
        self._stream = ResponseStream(
            raw_stream=self._api_request(),
            text_format=self._text_format,
            input_tools=self._input_tools,
            starting_after=self._starting_after,
        )
        return self._stream

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._stream is not None:
            self._stream.close()


class AsyncResponseStream(Generic[TextFormatT]):
    """The events of a streamed response (`async for event in stream`), and the parsed response."""

    def __init__(
        self,
        *,
        raw_stream: AsyncStream[RawResponseStreamEvent],
        text_format: type[TextFormatT] | Omit = omit,
        input_tools: Iterable[Any] | Omit = omit,
        starting_after: int | None = None,
    ) -> None:
        self._raw_stream = raw_stream
        self._reader: _Reader[TextFormatT] = _Reader(text_format, input_tools, starting_after)

    @property
    def response(self) -> httpx.Response:
        """The HTTP response (status and headers)."""
        return self._raw_stream.response

    def __aiter__(self) -> AsyncResponseStream[TextFormatT]:
        return self

    async def __anext__(self) -> ResponseStreamEvent[TextFormatT]:
        reader = self._reader
        while not reader.pending:
            reader.take(await self._raw_stream.__anext__(), lambda: self._raw_stream.response)
        return reader.pending.popleft()

    async def until_done(self) -> AsyncResponseStream[TextFormatT]:
        """Read the stream to its end."""
        async for _ in self:
            pass
        return self

    async def get_final_response(self) -> ParsedResponse[TextFormatT]:
        """Read the stream to its end; the response, parsed as `responses.parse` parses one.
        A RuntimeError if it did not complete (it failed, or is incomplete)."""
        await self.until_done()
        return self._reader.state.final_response()

    async def close(self) -> None:
        """Stop reading; the connection is closed unless the stream had ended. Events not
        read yet are dropped: reading on raises, as it does from a closed raw stream."""
        self._reader.pending.clear()
        await self._raw_stream.close()

    async def __aenter__(self) -> AsyncResponseStream[TextFormatT]:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()


class AsyncResponseStreamManager(Generic[TextFormatT]):
    """What `responses.stream()` returns on `AsyncOpenAI`: `async with` it.

    The request is made on entering, not when `stream()` is called. (Made by hand, it also
    takes the request's awaitable itself, as the official SDK's does.)"""

    def __init__(
        self,
        api_request: Callable[[], Awaitable[AsyncStream[RawResponseStreamEvent]]]
        | Awaitable[AsyncStream[RawResponseStreamEvent]],
        *,
        text_format: type[TextFormatT] | Omit,
        input_tools: Iterable[Any] | Omit,
        starting_after: int | None,
    ) -> None:
        self._api_request = api_request
        self._text_format = text_format
        self._input_tools = input_tools
        self._starting_after = starting_after
        self._stream: AsyncResponseStream[TextFormatT] | None = None

    async def __aenter__(self) -> AsyncResponseStream[TextFormatT]:
        if self._stream is not None:
            raise RuntimeError("this responses.stream() was entered already; call stream() again")
        self._stream = AsyncResponseStream(
            raw_stream=await started(self._api_request),
            text_format=self._text_format,
            input_tools=self._input_tools,
            starting_after=self._starting_after,
        )
        return self._stream

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._stream is not None:
            await self._stream.close()
