from __future__ import annotations

from typing import Literal, TypeAlias

from ..._models import BaseModel
from ..completion_usage import CompletionUsage
from .chat_completion import ChatCompletionTokenLogprob

__all__ = [
    "ChatCompletionChunk",
    "Choice",
    "ChoiceDelta",
    "ChoiceDeltaAudio",
    "ChoiceDeltaFunctionCall",
    "ChoiceDeltaToolCall",
    "ChoiceDeltaToolCallFunction",
    "ChoiceLogprobs",
    "Moderation",
    "ModerationInput",
    "ModerationInputError",
    "ModerationInputModerationResults",
    "ModerationInputModerationResultsResult",
    "ModerationOutput",
    "ModerationOutputError",
    "ModerationOutputModerationResults",
    "ModerationOutputModerationResultsResult",
]


class ChoiceDeltaAudio(BaseModel):
    id: str | None = None
    data: str | None = None
    expires_at: int | None = None
    transcript: str | None = None


class ChoiceDeltaFunctionCall(BaseModel):
    arguments: str | None = None
    name: str | None = None


class ChoiceDeltaToolCallFunction(BaseModel):
    arguments: str | None = None
    name: str | None = None


class ChoiceDeltaToolCall(BaseModel):
    index: int
    id: str | None = None
    function: ChoiceDeltaToolCallFunction | None = None
    type: Literal["function"] | None = None


class ChoiceDelta(BaseModel):
    audio: ChoiceDeltaAudio | None = None
    content: str | None = None
    function_call: ChoiceDeltaFunctionCall | None = None
    refusal: str | None = None
    role: Literal["developer", "system", "user", "assistant", "tool"] | None = None
    tool_calls: list[ChoiceDeltaToolCall] | None = None
    # Not in the official schema: sent by OpenAI-compatible servers (vLLM, DeepSeek)
    # that stream a reasoning model's thinking apart from its answer.
    reasoning_content: str | None = None


class ChoiceLogprobs(BaseModel):
    content: list[ChatCompletionTokenLogprob] | None = None
    refusal: list[ChatCompletionTokenLogprob] | None = None


class Choice(BaseModel):
    delta: ChoiceDelta
    index: int
    finish_reason: Literal["stop", "length", "tool_calls", "content_filter", "function_call"] | None = None
    logprobs: ChoiceLogprobs | None = None


# Moderation results attached to a chunk (the API's in-stream moderation). Category
# names are the API's own keys ("self-harm/intent"), so these are plain dicts.


class ModerationInputModerationResultsResult(BaseModel):
    categories: dict[str, bool]
    category_applied_input_types: dict[str, list[Literal["text", "image"]]]
    category_scores: dict[str, float]
    flagged: bool
    model: str
    type: Literal["moderation_result"]


class ModerationInputModerationResults(BaseModel):
    model: str
    results: list[ModerationInputModerationResultsResult]
    type: Literal["moderation_results"]


class ModerationInputError(BaseModel):
    code: str
    message: str
    type: Literal["error"]


ModerationInput: TypeAlias = ModerationInputModerationResults | ModerationInputError


class ModerationOutputModerationResultsResult(BaseModel):
    categories: dict[str, bool]
    category_applied_input_types: dict[str, list[Literal["text", "image"]]]
    category_scores: dict[str, float]
    flagged: bool
    model: str
    type: Literal["moderation_result"]


class ModerationOutputModerationResults(BaseModel):
    model: str
    results: list[ModerationOutputModerationResultsResult]
    type: Literal["moderation_results"]


class ModerationOutputError(BaseModel):
    code: str
    message: str
    type: Literal["error"]


ModerationOutput: TypeAlias = ModerationOutputModerationResults | ModerationOutputError


class Moderation(BaseModel):
    input: ModerationInput
    output: ModerationOutput


class ChatCompletionChunk(BaseModel):
    id: str
    choices: list[Choice]
    created: int
    model: str
    object: Literal["chat.completion.chunk"]
    moderation: Moderation | None = None
    obfuscation: str | None = None
    service_tier: Literal["auto", "default", "flex", "scale", "priority", "fast"] | None = None
    system_fingerprint: str | None = None
    usage: CompletionUsage | None = None
