"""The events `chat.completions.stream()` yields, under the official SDK's names and fields.

Public as `openai_actors.lib.streaming.chat`. Each event is a lazy model like every
response type here; the state machine (`_chat_stream_state.py`) builds them with
their values already read (`make_event`), so reading a field converts nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Generic, Literal, TypeAlias, TypeVar

from .._models import BaseModel, _to_raw
from ..types.chat.chat_completion_chunk import ChatCompletionChunk
from ..types.chat.chat_completion_token_logprob import ChatCompletionTokenLogprob
from .parsed_chat_completion import ParsedChatCompletion, ParsedChatCompletionMessage, ParsedChoice

if TYPE_CHECKING:
    from typing_extensions import TypeVar as _DefaultTypeVar

    # Unsolved (no `response_format` type given), it is None, as in the official SDK.
    ResponseFormatT = _DefaultTypeVar("ResponseFormatT", default=None)
else:
    ResponseFormatT = TypeVar("ResponseFormatT")

__all__ = [
    "ChatCompletionStreamEvent",
    "ChunkEvent",
    "ContentDeltaEvent",
    "ContentDoneEvent",
    "FunctionToolCallArgumentsDeltaEvent",
    "FunctionToolCallArgumentsDoneEvent",
    "LogprobsContentDeltaEvent",
    "LogprobsContentDoneEvent",
    "LogprobsRefusalDeltaEvent",
    "LogprobsRefusalDoneEvent",
    "ParsedChatCompletionMessageSnapshot",
    "ParsedChatCompletionSnapshot",
    "ParsedChoiceSnapshot",
    "RefusalDeltaEvent",
    "RefusalDoneEvent",
    "ResponseFormatT",
]

ParsedChatCompletionSnapshot: TypeAlias = ParsedChatCompletion[object]
"""The completion accumulated so far. While its content streams in, `message.parsed` is
the JSON parsed so far (a dict); once the content is done, an instance of the
`response_format` type."""
ParsedChatCompletionMessageSnapshot: TypeAlias = ParsedChatCompletionMessage[object]
ParsedChoiceSnapshot: TypeAlias = ParsedChoice[object]

_E = TypeVar("_E", bound=BaseModel)


def make_event(cls: type[_E], **fields: Any) -> _E:
    """An event of `fields`. Models and parsed instances are held as they are, so reading
    one returns that very object; JSON values are read as the field's type, as from a server."""
    event = cls._from_raw({name: _to_raw(value) for name, value in fields.items()})
    for name, value in fields.items():
        if not (value is None or isinstance(value, str | int | float | bool | list | dict)):
            event.__dict__[name] = value
    return event


class ChunkEvent(BaseModel):
    """Every chunk, as it came, with the completion accumulated so far."""

    type: Literal["chunk"]
    chunk: ChatCompletionChunk
    snapshot: ParsedChatCompletionSnapshot


class ContentDeltaEvent(BaseModel):
    """A chunk of a choice's content: `delta` is the new text, `snapshot` all of it so far,
    `parsed` the JSON parsed so far when a `response_format` type was given."""

    type: Literal["content.delta"]
    delta: str
    snapshot: str
    parsed: object | None = None


class ContentDoneEvent(BaseModel, Generic[ResponseFormatT]):
    """A choice's content is complete; `parsed` is it as the `response_format` type."""

    type: Literal["content.done"]
    content: str
    parsed: ResponseFormatT | None = None


class RefusalDeltaEvent(BaseModel):
    type: Literal["refusal.delta"]
    delta: str
    snapshot: str


class RefusalDoneEvent(BaseModel):
    type: Literal["refusal.done"]
    refusal: str


class FunctionToolCallArgumentsDeltaEvent(BaseModel):
    """A chunk of a function tool call's arguments."""

    type: Literal["tool_calls.function.arguments.delta"]
    name: str
    index: int
    arguments: str
    """The arguments so far (JSON text)."""
    parsed_arguments: object
    """The arguments parsed so far, for a strict tool (None for another)."""
    arguments_delta: str
    """The new piece of the arguments."""


class FunctionToolCallArgumentsDoneEvent(BaseModel):
    """A function tool call's arguments are complete."""

    type: Literal["tool_calls.function.arguments.done"]
    name: str
    index: int
    arguments: str
    parsed_arguments: object
    """An instance of the tool's model (`pydantic_function_tool`), the decoded JSON for
    another strict tool, None for a tool that is not strict."""


class LogprobsContentDeltaEvent(BaseModel):
    type: Literal["logprobs.content.delta"]
    content: list[ChatCompletionTokenLogprob]
    snapshot: list[ChatCompletionTokenLogprob]


class LogprobsContentDoneEvent(BaseModel):
    type: Literal["logprobs.content.done"]
    content: list[ChatCompletionTokenLogprob]


class LogprobsRefusalDeltaEvent(BaseModel):
    type: Literal["logprobs.refusal.delta"]
    refusal: list[ChatCompletionTokenLogprob]
    snapshot: list[ChatCompletionTokenLogprob]


class LogprobsRefusalDoneEvent(BaseModel):
    type: Literal["logprobs.refusal.done"]
    refusal: list[ChatCompletionTokenLogprob]


ChatCompletionStreamEvent: TypeAlias = (
    ChunkEvent
    | ContentDeltaEvent
    | ContentDoneEvent[ResponseFormatT]
    | RefusalDeltaEvent
    | RefusalDoneEvent
    | FunctionToolCallArgumentsDeltaEvent
    | FunctionToolCallArgumentsDoneEvent
    | LogprobsContentDeltaEvent
    | LogprobsContentDoneEvent
    | LogprobsRefusalDeltaEvent
    | LogprobsRefusalDoneEvent
)
