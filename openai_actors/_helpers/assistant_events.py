"""The Assistants stream helpers' event handlers and stream managers, sync and async.

`client.beta.threads.runs.stream(...)` (and `create_and_stream`,
`submit_tool_outputs_stream`, `beta.threads.create_and_run_stream`) returns a
stream manager; entering it sends the request and gives back the event
handler, attached to the stream. Reading the handler (iterating it,
`text_deltas`, `until_done()`, `get_final_*()`) reads the stream: each event
goes through `AssistantStreamState` (`_assistant_state.py`, where the merging
and the choice of callbacks live) and the callbacks it names are called on
the handler, which a caller subclasses to override them.

Life cycle, the same for both handlers: a handler is attached to one stream,
once. Reading ends at the stream's end, or at the first exception, whether
the stream's or a callback's: an `Exception` goes to `on_exception` (a
timeout to `on_timeout` first), the stream is closed, `on_end` is called and
the exception propagates; reading again then stops at once. Leaving the
manager's block closes the stream (the connection with it, if unfinished) and
calls `on_end` if reading had begun and not ended. So `on_end` is called at
most once, and always once for a handler that was read.
"""

from __future__ import annotations

import enum
import functools
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, TypeVar, cast

from .._exceptions import APITimeoutError
from .._request import path_param
from .._resources._base import check_keys
from ._assistant_state import AssistantStreamState

if TYPE_CHECKING:
    from .._operations import Operation
    from .._streaming import AsyncStream, Stream
    from ..types.beta.assistant_stream_event import AssistantStreamEvent
    from ..types.beta.threads.image_file import ImageFile
    from ..types.beta.threads.message import Message
    from ..types.beta.threads.message_delta import MessageDelta
    from ..types.beta.threads.run import Run
    from ..types.beta.threads.runs.run_step import RunStep
    from ..types.beta.threads.runs.run_step_delta import RunStepDelta
    from ..types.beta.threads.runs.tool_call import ToolCall
    from ..types.beta.threads.runs.tool_call_delta import ToolCallDelta
    from ..types.beta.threads.text import Text
    from ..types.beta.threads.text_delta import TextDelta

__all__ = [
    "AssistantEventHandler",
    "AssistantEventHandlerT",
    "AssistantStreamManager",
    "AsyncAssistantEventHandler",
    "AsyncAssistantEventHandlerT",
    "AsyncAssistantStreamManager",
    "async_stream",
    "sync_stream",
]

# What the managers call to send the request.
SyncRequest = Callable[[], "Stream[AssistantStreamEvent]"]
AsyncRequest = Callable[[], Awaitable["AsyncStream[AssistantStreamEvent]"]]

# What a timeout is, once it reaches the handler: the client's, or the caller's own deadline.
_TIMEOUTS = (APITimeoutError, TimeoutError)


class _Phase(enum.Enum):
    NEW = "new"  # no stream yet
    ATTACHED = "attached"  # a stream, not read yet
    READING = "reading"
    ENDED = "ended"  # read to its end, failed, or closed: reading stops at once


def _attach_error(handler: object) -> RuntimeError:
    return RuntimeError(
        f"this {type(handler).__name__} is already attached to a stream: an event handler "
        "serves one stream; make a new one for each call"
    )


def _check_fresh(handler: _HandlerBase) -> None:
    """A handler a manager may attach: initialised, and not attached to a stream before."""
    phase = getattr(handler, "_phase", None)
    if phase is None:
        raise TypeError(
            f"{type(handler).__name__}.__init__ did not call super().__init__(): the handler has no state"
        )
    if phase is not _Phase.NEW:
        raise _attach_error(handler)


def _not_attached_error(handler: object) -> RuntimeError:
    return RuntimeError(
        f"this {type(handler).__name__} has no stream yet: read it inside the block of the stream "
        "manager it was given to (`with client.beta.threads.runs.stream(..., event_handler=handler) as h`)"
    )


def _text_values(event: AssistantStreamEvent) -> list[str]:
    """The pieces of text a `thread.message.delta` event brings, in order."""
    if event.event != "thread.message.delta":
        return []
    return [
        block.text.value
        for block in event.data.delta.content or []
        if block.type == "text" and block.text is not None and block.text.value
    ]


class _HandlerBase:
    """What both handlers keep: the state, the phase, the snapshots' accessors."""

    def __init__(self) -> None:
        self._state = AssistantStreamState()
        self._phase = _Phase.NEW
        self._current_event: AssistantStreamEvent | None = None

    @property
    def current_event(self) -> AssistantStreamEvent | None:
        """The event whose callbacks are running (None outside a callback)."""
        return self._current_event

    @property
    def current_run(self) -> Run | None:
        """The run as the last run event gave it."""
        return self._state.run

    @property
    def current_run_step_snapshot(self) -> RunStep | None:
        """The run step in progress, with the deltas so far merged in."""
        return self._state.run_step

    @property
    def current_message_snapshot(self) -> Message | None:
        """The message being written (or the last one done), with the deltas so far merged in."""
        return self._state.message

    def _final_run(self) -> Run:
        run = self._state.run
        if run is None:
            raise RuntimeError("the stream ended without sending a run")
        return run

    def _final_run_steps(self) -> list[RunStep]:
        if not self._state.run_steps:
            raise RuntimeError("the stream ended without sending a run step")
        return list(self._state.run_steps.values())

    def _final_messages(self) -> list[Message]:
        if not self._state.messages:
            raise RuntimeError("the stream ended without sending a message")
        return list(self._state.messages.values())


class AssistantEventHandler(_HandlerBase):
    """The events of a streamed run, read by iterating; subclass it and override the `on_*` callbacks."""

    text_deltas: Iterator[str]
    """Only the text of the stream's message deltas: `for text in handler.text_deltas: print(text, end="")`."""

    def __init__(self) -> None:
        super().__init__()
        self._stream: Stream[AssistantStreamEvent] | None = None
        self.text_deltas = _TextDeltas(self)

    def _init(self, stream: Stream[AssistantStreamEvent]) -> None:
        if self._phase is not _Phase.NEW:
            raise _attach_error(self)
        self._stream = stream
        self._phase = _Phase.ATTACHED

    def __iter__(self) -> Iterator[AssistantStreamEvent]:
        return self

    def __next__(self) -> AssistantStreamEvent:
        stream = self._stream
        if stream is None:
            raise _not_attached_error(self)
        if self._phase is _Phase.ENDED:
            raise StopIteration
        self._phase = _Phase.READING
        try:
            try:
                event = stream.__next__()
            except StopIteration:
                event = None
            if event is not None:
                self._emit(event)
        except BaseException as exc:
            self._fail(stream, exc)
            raise
        if event is None:
            self._phase = _Phase.ENDED
            self.on_end()
            raise StopIteration
        return event

    def _emit(self, event: AssistantStreamEvent) -> None:
        self._current_event = event
        try:
            for name, args in self._state.feed(event):
                getattr(self, name)(*args)
        finally:
            self._current_event = None

    def _fail(self, stream: Stream[AssistantStreamEvent], exc: BaseException) -> None:
        self._phase = _Phase.ENDED
        try:
            if isinstance(exc, Exception):
                if isinstance(exc, _TIMEOUTS):
                    self.on_timeout()
                self.on_exception(exc)
        finally:
            stream.close()
            self.on_end()

    def close(self) -> None:
        """Stop reading and close the stream (and its connection, if unfinished); the manager's exit does it."""
        if self._stream is not None:
            self._stream.close()
        reading = self._phase is _Phase.READING
        if self._phase is not _Phase.NEW:
            self._phase = _Phase.ENDED
        if reading:
            self.on_end()

    def until_done(self) -> None:
        """Read the stream to its end (every callback runs)."""
        for _ in self:
            pass

    def get_final_run(self) -> Run:
        """Read the stream to its end; the run as it last was."""
        self.until_done()
        return self._final_run()

    def get_final_run_steps(self) -> list[RunStep]:
        """Read the stream to its end; every run step it sent, complete."""
        self.until_done()
        return self._final_run_steps()

    def get_final_messages(self) -> list[Message]:
        """Read the stream to its end; every message it sent, complete."""
        self.until_done()
        return self._final_messages()

    # -- the callbacks: each does nothing here ----------------------------------------

    def on_event(self, event: AssistantStreamEvent) -> None:
        """Every event, before the callbacks it fires."""

    def on_run_step_created(self, run_step: RunStep) -> None:
        """A run step began."""

    def on_run_step_delta(self, delta: RunStepDelta, snapshot: RunStep) -> None:
        """A run step grew: `delta` is what came, `snapshot` the step with it merged in."""

    def on_run_step_done(self, run_step: RunStep) -> None:
        """A run step ended (completed, failed, cancelled or expired)."""

    def on_tool_call_created(self, tool_call: ToolCall) -> None:
        """A run step began a tool call."""

    def on_tool_call_delta(self, delta: ToolCallDelta, snapshot: ToolCall) -> None:
        """A tool call grew (its arguments, its code): `snapshot` is the call so far."""

    def on_tool_call_done(self, tool_call: ToolCall) -> None:
        """A tool call is complete (the next began, its step ended, or the run stopped for it)."""

    def on_message_created(self, message: Message) -> None:
        """A message began."""

    def on_message_delta(self, delta: MessageDelta, snapshot: Message) -> None:
        """A message grew: `delta` is what came, `snapshot` the message with it merged in."""

    def on_message_done(self, message: Message) -> None:
        """A message ended (completed or incomplete)."""

    def on_text_created(self, text: Text) -> None:
        """A message began a text block."""

    def on_text_delta(self, delta: TextDelta, snapshot: Text) -> None:
        """A text block grew: `delta.value` is the new text, `snapshot.value` all of it so far."""

    def on_text_done(self, text: Text) -> None:
        """A text block is complete."""

    def on_image_file_done(self, image_file: ImageFile) -> None:
        """An image file block is complete."""

    def on_exception(self, exception: Exception) -> None:
        """Reading failed (the stream, or a callback): called before the exception propagates."""

    def on_timeout(self) -> None:
        """Reading timed out (called before `on_exception`)."""

    def on_end(self) -> None:
        """Reading is over: the stream ended, failed, or was closed while being read."""


class _TextDeltas:
    """`handler.text_deltas`: reads the handler's events, yields their text."""

    __slots__ = ("_handler", "_pending")

    def __init__(self, handler: AssistantEventHandler) -> None:
        self._handler = handler
        self._pending: deque[str] = deque()

    def __iter__(self) -> _TextDeltas:
        return self

    def __next__(self) -> str:
        while not self._pending:
            self._pending.extend(_text_values(self._handler.__next__()))
        return self._pending.popleft()


AssistantEventHandlerT = TypeVar("AssistantEventHandlerT", bound=AssistantEventHandler)


class AssistantStreamManager(Generic[AssistantEventHandlerT]):
    """What the sync stream helpers return: `with ... as handler` sends the request, the exit closes it."""

    def __init__(
        self,
        api_request: Callable[[], Stream[AssistantStreamEvent]],
        *,
        event_handler: AssistantEventHandlerT,
    ) -> None:
        self._api_request = api_request
        self._handler = event_handler

    def __enter__(self) -> AssistantEventHandlerT:
        handler = self._handler
        _check_fresh(handler)  # before sending anything
        handler._init(self._api_request())
        return handler

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        exc_tb: TracebackType | None,
    ) -> None:
        self._handler.close()


class AsyncAssistantEventHandler(_HandlerBase):
    """The async twin of `AssistantEventHandler`: read with `async for`, callbacks are coroutines."""

    text_deltas: AsyncIterator[str]
    """Only the text of the stream's message deltas: `async for text in handler.text_deltas: ...`."""

    def __init__(self) -> None:
        super().__init__()
        self._stream: AsyncStream[AssistantStreamEvent] | None = None
        self.text_deltas = _AsyncTextDeltas(self)

    def _init(self, stream: AsyncStream[AssistantStreamEvent]) -> None:
        if self._phase is not _Phase.NEW:
            raise _attach_error(self)
        self._stream = stream
        self._phase = _Phase.ATTACHED

    # An iterator object, not an async generator: one left unfinished (a `break`)
    # would be finalized by the event loop later, and trio warns about each.
    def __aiter__(self) -> AsyncIterator[AssistantStreamEvent]:
        return self

    async def __anext__(self) -> AssistantStreamEvent:
        stream = self._stream
        if stream is None:
            raise _not_attached_error(self)
        if self._phase is _Phase.ENDED:
            raise StopAsyncIteration
        self._phase = _Phase.READING
        try:
            try:
                event = await stream.__anext__()
            except StopAsyncIteration:
                event = None
            if event is not None:
                await self._emit(event)
        except BaseException as exc:
            await self._fail(stream, exc)
            raise
        if event is None:
            self._phase = _Phase.ENDED
            await self.on_end()
            raise StopAsyncIteration
        return event

    async def _emit(self, event: AssistantStreamEvent) -> None:
        self._current_event = event
        try:
            for name, args in self._state.feed(event):
                await getattr(self, name)(*args)
        finally:
            self._current_event = None

    async def _fail(self, stream: AsyncStream[AssistantStreamEvent], exc: BaseException) -> None:
        self._phase = _Phase.ENDED
        try:
            if isinstance(exc, Exception):
                if isinstance(exc, _TIMEOUTS):
                    await self.on_timeout()
                await self.on_exception(exc)
        finally:
            await stream.close()  # no checkpoint in it: runs even while the task is being cancelled
            await self.on_end()

    async def close(self) -> None:
        """Stop reading and close the stream (and its connection, if unfinished); the manager's exit does it."""
        if self._stream is not None:
            await self._stream.close()
        reading = self._phase is _Phase.READING
        if self._phase is not _Phase.NEW:
            self._phase = _Phase.ENDED
        if reading:
            await self.on_end()

    async def until_done(self) -> None:
        """Read the stream to its end (every callback runs)."""
        async for _ in self:
            pass

    async def get_final_run(self) -> Run:
        """Read the stream to its end; the run as it last was."""
        await self.until_done()
        return self._final_run()

    async def get_final_run_steps(self) -> list[RunStep]:
        """Read the stream to its end; every run step it sent, complete."""
        await self.until_done()
        return self._final_run_steps()

    async def get_final_messages(self) -> list[Message]:
        """Read the stream to its end; every message it sent, complete."""
        await self.until_done()
        return self._final_messages()

    # -- the callbacks: each does nothing here ----------------------------------------

    async def on_event(self, event: AssistantStreamEvent) -> None:
        """Every event, before the callbacks it fires."""

    async def on_run_step_created(self, run_step: RunStep) -> None:
        """A run step began."""

    async def on_run_step_delta(self, delta: RunStepDelta, snapshot: RunStep) -> None:
        """A run step grew: `delta` is what came, `snapshot` the step with it merged in."""

    async def on_run_step_done(self, run_step: RunStep) -> None:
        """A run step ended (completed, failed, cancelled or expired)."""

    async def on_tool_call_created(self, tool_call: ToolCall) -> None:
        """A run step began a tool call."""

    async def on_tool_call_delta(self, delta: ToolCallDelta, snapshot: ToolCall) -> None:
        """A tool call grew (its arguments, its code): `snapshot` is the call so far."""

    async def on_tool_call_done(self, tool_call: ToolCall) -> None:
        """A tool call is complete (the next began, its step ended, or the run stopped for it)."""

    async def on_message_created(self, message: Message) -> None:
        """A message began."""

    async def on_message_delta(self, delta: MessageDelta, snapshot: Message) -> None:
        """A message grew: `delta` is what came, `snapshot` the message with it merged in."""

    async def on_message_done(self, message: Message) -> None:
        """A message ended (completed or incomplete)."""

    async def on_text_created(self, text: Text) -> None:
        """A message began a text block."""

    async def on_text_delta(self, delta: TextDelta, snapshot: Text) -> None:
        """A text block grew: `delta.value` is the new text, `snapshot.value` all of it so far."""

    async def on_text_done(self, text: Text) -> None:
        """A text block is complete."""

    async def on_image_file_done(self, image_file: ImageFile) -> None:
        """An image file block is complete."""

    async def on_exception(self, exception: Exception) -> None:
        """Reading failed (the stream, or a callback): called before the exception propagates."""

    async def on_timeout(self) -> None:
        """Reading timed out (called before `on_exception`)."""

    async def on_end(self) -> None:
        """Reading is over: the stream ended, failed, or was closed while being read."""


class _AsyncTextDeltas:
    """`handler.text_deltas` of an async handler."""

    __slots__ = ("_handler", "_pending")

    def __init__(self, handler: AsyncAssistantEventHandler) -> None:
        self._handler = handler
        self._pending: deque[str] = deque()

    def __aiter__(self) -> _AsyncTextDeltas:
        return self

    async def __anext__(self) -> str:
        while not self._pending:
            self._pending.extend(_text_values(await self._handler.__anext__()))
        return self._pending.popleft()


AsyncAssistantEventHandlerT = TypeVar("AsyncAssistantEventHandlerT", bound=AsyncAssistantEventHandler)


class AsyncAssistantStreamManager(Generic[AsyncAssistantEventHandlerT]):
    """What the async stream helpers return: `async with ... as handler` sends the request, the exit closes it.

    `api_request` is a function that makes the request (nothing is sent before
    the block is entered), or, as the official SDK takes it, an awaitable.
    """

    def __init__(
        self,
        api_request: Callable[[], Awaitable[AsyncStream[AssistantStreamEvent]]]
        | Awaitable[AsyncStream[AssistantStreamEvent]],
        *,
        event_handler: AsyncAssistantEventHandlerT,
    ) -> None:
        self._api_request = api_request
        self._handler = event_handler

    async def __aenter__(self) -> AsyncAssistantEventHandlerT:
        handler = self._handler
        _check_fresh(handler)  # before sending anything
        request = self._api_request
        stream = await (request() if callable(request) else request)
        handler._init(stream)
        return handler

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        exc_tb: TracebackType | None,
    ) -> None:
        await self._handler.close()


def sync_stream(
    function: str,
    op: Operation[Any],
    send: Callable[..., Any],
    handler: AssistantEventHandler | None,
    params: Mapping[str, Any],
    *,
    helper: str,
    path: tuple[tuple[str, str], ...] = (),
) -> AssistantStreamManager[Any]:
    """What a sync stream helper returns: the call checked now; on entering,
    `send(*path values, **params, stream=True)`, the generated method."""
    checked = _checked(function, op, handler, AssistantEventHandler, "OpenAI", params, path)
    request = functools.partial(send, *(value for _, value in path), **_with_headers(helper, handler, params))
    return AssistantStreamManager(cast("SyncRequest", request), event_handler=checked)


def async_stream(
    function: str,
    op: Operation[Any],
    send: Callable[..., Any],
    handler: AsyncAssistantEventHandler | None,
    params: Mapping[str, Any],
    *,
    helper: str,
    path: tuple[tuple[str, str], ...] = (),
) -> AsyncAssistantStreamManager[Any]:
    """`sync_stream` for the async client: `send` is the generated coroutine method."""
    checked = _checked(function, op, handler, AsyncAssistantEventHandler, "AsyncOpenAI", params, path)
    request = functools.partial(send, *(value for _, value in path), **_with_headers(helper, handler, params))
    return AsyncAssistantStreamManager(cast("AsyncRequest", request), event_handler=checked)


def _checked(
    function: str,
    op: Operation[Any],
    handler: object,
    expected: type[Any],
    client: str,
    params: Mapping[str, object],
    path: tuple[tuple[str, str], ...],
) -> Any:
    """The handler to use, once the call is known good: the TypeError or ValueError a bad
    call gets at once, before anything is sent."""
    if "stream" in params:
        raise TypeError(f"{function}() always streams: leave out `stream`")
    for name, value in path:
        path_param(value, name)
    check_keys(function, params, op.allowed, op.required)
    if handler is None:
        return expected()
    if isinstance(handler, expected):
        return handler
    if isinstance(handler, type):
        problem = f"the class {handler.__name__}; pass an instance: event_handler={handler.__name__}()"
    else:
        problem = f"a {type(handler).__name__}"
    raise TypeError(f"event_handler must be an {expected.__name__} for {client}, not {problem}")


def _with_headers(helper: str, handler: object, params: Mapping[str, Any]) -> dict[str, Any]:
    """`params`, with the headers the official SDK's stream helpers send (the caller's win) and `stream`.

    `OpenAI-Beta: assistants=v2` is not among them: the Operation sends it, as on every call of the resource.
    """
    headers = {
        "X-Stainless-Stream-Helper": helper,
        "X-Stainless-Custom-Event-Handler": "false" if handler is None else "true",
        **(params.get("extra_headers") or {}),
    }
    return {**params, "extra_headers": headers, "stream": True}
