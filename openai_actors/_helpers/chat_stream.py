"""`chat.completions.stream()`: the context managers and the event iterators around a raw stream.

The request is made when the block is entered, and the stream is closed when it is left,
however it is left: the rest of the body is not read, the connection is closed and its
lane freed. Inside the block the events come from `ChatCompletionStreamState`, chunk by
chunk as they arrive; a `for` loop left early (`break`) leaves the stream open, so a
second loop, `until_done()` or `get_final_completion()` carry on where it stopped, as in
the official SDK. Everything here runs in the caller's task or thread.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from .._types import Omit, omit
from ._chat_stream_events import ChatCompletionStreamEvent, ParsedChatCompletionSnapshot, ResponseFormatT
from ._chat_stream_state import ChatCompletionStreamState

if TYPE_CHECKING:
    import httpx

    from .._streaming import AsyncStream, Stream
    from ..types.chat.chat_completion_chunk import ChatCompletionChunk
    from .parsed_chat_completion import ParsedChatCompletion

_T = TypeVar("_T")

__all__ = [
    "AsyncChatCompletionStream",
    "AsyncChatCompletionStreamManager",
    "ChatCompletionStream",
    "ChatCompletionStreamManager",
]


async def started(request: Callable[[], Awaitable[_T]] | Awaitable[_T]) -> _T:
    """The result of an async manager's request: a callable making it, or its awaitable."""
    return await (request() if callable(request) else request)


def _is_chunk(chunk: ChatCompletionChunk) -> bool:
    # Azure's asynchronous content filter sends events of its own (`object` ""): skipped,
    # as the official SDK skips them.
    return bool(chunk.__dict__["_data"].get("object") == "chat.completion.chunk")


class ChatCompletionStream(Generic[ResponseFormatT]):
    """The events of a streamed chat completion (`for event in stream`), and the completion."""

    def __init__(
        self,
        *,
        raw_stream: Stream[ChatCompletionChunk],
        response_format: type[ResponseFormatT] | Any | Omit = omit,
        input_tools: Iterable[Any] | Omit = omit,
    ) -> None:
        self._raw_stream = raw_stream
        self._state: ChatCompletionStreamState[ResponseFormatT] = ChatCompletionStreamState(
            response_format=response_format, input_tools=input_tools
        )
        self._pending: deque[ChatCompletionStreamEvent[ResponseFormatT]] = deque()

    @property
    def response(self) -> httpx.Response:
        """The HTTP response (status and headers)."""
        return self._raw_stream.response

    @property
    def current_completion_snapshot(self) -> ParsedChatCompletionSnapshot:
        """The completion accumulated from the chunks read so far."""
        return self._state.current_completion_snapshot

    def __iter__(self) -> ChatCompletionStream[ResponseFormatT]:
        return self

    def __next__(self) -> ChatCompletionStreamEvent[ResponseFormatT]:
        pending = self._pending
        while not pending:
            chunk = self._raw_stream.__next__()  # StopIteration at the end ends this iterator too
            if _is_chunk(chunk):
                pending.extend(self._state.handle_chunk(chunk))
        return pending.popleft()

    def until_done(self) -> ChatCompletionStream[ResponseFormatT]:
        """Read the stream to its end."""
        for _ in self:
            pass
        return self

    def get_final_completion(self) -> ParsedChatCompletion[ResponseFormatT]:
        """Read the stream to its end; the completion, parsed as `.parse()` parses one."""
        self.until_done()
        return self._state.get_final_completion()

    def close(self) -> None:
        """Stop reading; the connection is closed unless the stream had ended. Events not
        read yet are dropped: reading on raises, as it does from a closed raw stream."""
        self._pending.clear()
        self._raw_stream.close()

    def __enter__(self) -> ChatCompletionStream[ResponseFormatT]:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class ChatCompletionStreamManager(Generic[ResponseFormatT]):
    """What `chat.completions.stream()` returns: `with` it to make the request and read the events."""

    def __init__(
        self,
        api_request: Callable[[], Stream[ChatCompletionChunk]],
        *,
        response_format: type[ResponseFormatT] | Any | Omit,
        input_tools: Iterable[Any] | Omit,
    ) -> None:
        self._api_request = api_request
        self._response_format = response_format
        self._input_tools = input_tools
        self._stream: ChatCompletionStream[ResponseFormatT] | None = None

    def __enter__(self) -> ChatCompletionStream[ResponseFormatT]:
        if self._stream is not None:
            raise RuntimeError("this chat.completions.stream() was entered already; call stream() again")
        self._stream = ChatCompletionStream(
            raw_stream=self._api_request(),
            response_format=self._response_format,
            input_tools=self._input_tools,
        )
        return self._stream

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._stream is not None:
            self._stream.close()


class AsyncChatCompletionStream(Generic[ResponseFormatT]):
    """The events of a streamed chat completion (`async for event in stream`), and the completion."""

    def __init__(
        self,
        *,
        raw_stream: AsyncStream[ChatCompletionChunk],
        response_format: type[ResponseFormatT] | Any | Omit = omit,
        input_tools: Iterable[Any] | Omit = omit,
    ) -> None:
        self._raw_stream = raw_stream
        self._state: ChatCompletionStreamState[ResponseFormatT] = ChatCompletionStreamState(
            response_format=response_format, input_tools=input_tools
        )
        self._pending: deque[ChatCompletionStreamEvent[ResponseFormatT]] = deque()

    @property
    def response(self) -> httpx.Response:
        """The HTTP response (status and headers)."""
        return self._raw_stream.response

    @property
    def current_completion_snapshot(self) -> ParsedChatCompletionSnapshot:
        """The completion accumulated from the chunks read so far."""
        return self._state.current_completion_snapshot

    def __aiter__(self) -> AsyncChatCompletionStream[ResponseFormatT]:
        return self

    async def __anext__(self) -> ChatCompletionStreamEvent[ResponseFormatT]:
        pending = self._pending
        while not pending:
            chunk = await self._raw_stream.__anext__()  # StopAsyncIteration ends this iterator too
            if _is_chunk(chunk):
                pending.extend(self._state.handle_chunk(chunk))
        return pending.popleft()

    async def until_done(self) -> AsyncChatCompletionStream[ResponseFormatT]:
        """Read the stream to its end."""
        async for _ in self:
            pass
        return self

    async def get_final_completion(self) -> ParsedChatCompletion[ResponseFormatT]:
        """Read the stream to its end; the completion, parsed as `.parse()` parses one."""
        await self.until_done()
        return self._state.get_final_completion()

    async def close(self) -> None:
        """Stop reading; the connection is closed unless the stream had ended. Events not
        read yet are dropped: reading on raises, as it does from a closed raw stream."""
        self._pending.clear()
        await self._raw_stream.close()

    async def __aenter__(self) -> AsyncChatCompletionStream[ResponseFormatT]:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()


class AsyncChatCompletionStreamManager(Generic[ResponseFormatT]):
    """What `chat.completions.stream()` returns on `AsyncOpenAI`: `async with` it.

    The request is made on entering, not when `stream()` is called, so a manager never
    entered leaves no coroutine behind un-awaited. (Made by hand, it also takes the
    request's awaitable itself, as the official SDK's does.)"""

    def __init__(
        self,
        api_request: Callable[[], Awaitable[AsyncStream[ChatCompletionChunk]]]
        | Awaitable[AsyncStream[ChatCompletionChunk]],
        *,
        response_format: type[ResponseFormatT] | Any | Omit,
        input_tools: Iterable[Any] | Omit,
    ) -> None:
        self._api_request = api_request
        self._response_format = response_format
        self._input_tools = input_tools
        self._stream: AsyncChatCompletionStream[ResponseFormatT] | None = None

    async def __aenter__(self) -> AsyncChatCompletionStream[ResponseFormatT]:
        if self._stream is not None:
            raise RuntimeError("this chat.completions.stream() was entered already; call stream() again")
        self._stream = AsyncChatCompletionStream(
            raw_stream=await started(self._api_request),
            response_format=self._response_format,
            input_tools=self._input_tools,
        )
        return self._stream

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._stream is not None:
            await self._stream.close()
