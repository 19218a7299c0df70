from __future__ import annotations

from typing import Literal

from ..._models import BaseModel
from ..completion_usage import CompletionUsage

__all__ = [
    "Annotation",
    "AnnotationURLCitation",
    "ChatCompletion",
    "ChatCompletionAudio",
    "ChatCompletionMessage",
    "ChatCompletionMessageCustomToolCall",
    "ChatCompletionMessageFunctionToolCall",
    "ChatCompletionMessageToolCall",
    "ChatCompletionMessageToolCallUnion",
    "ChatCompletionTokenLogprob",
    "Choice",
    "ChoiceLogprobs",
    "Custom",
    "Function",
    "FunctionCall",
    "TopLogprob",
]


class TopLogprob(BaseModel):
    token: str
    bytes: list[int] | None = None
    logprob: float


class ChatCompletionTokenLogprob(BaseModel):
    token: str
    bytes: list[int] | None = None
    logprob: float
    top_logprobs: list[TopLogprob]


class ChoiceLogprobs(BaseModel):
    content: list[ChatCompletionTokenLogprob] | None = None
    refusal: list[ChatCompletionTokenLogprob] | None = None


class AnnotationURLCitation(BaseModel):
    end_index: int
    start_index: int
    title: str
    url: str


class Annotation(BaseModel):
    type: Literal["url_citation"]
    url_citation: AnnotationURLCitation


class ChatCompletionAudio(BaseModel):
    id: str
    data: str
    expires_at: int
    transcript: str


class FunctionCall(BaseModel):
    arguments: str
    name: str


class Function(BaseModel):
    arguments: str
    name: str


class ChatCompletionMessageFunctionToolCall(BaseModel):
    id: str
    function: Function
    type: Literal["function"]


# The name older code imports.
ChatCompletionMessageToolCall = ChatCompletionMessageFunctionToolCall


class Custom(BaseModel):
    input: str
    name: str


class ChatCompletionMessageCustomToolCall(BaseModel):
    id: str
    custom: Custom
    type: Literal["custom"]


ChatCompletionMessageToolCallUnion = (
    ChatCompletionMessageFunctionToolCall | ChatCompletionMessageCustomToolCall
)


class ChatCompletionMessage(BaseModel):
    content: str | None = None
    refusal: str | None = None
    role: Literal["assistant"]
    annotations: list[Annotation] | None = None
    audio: ChatCompletionAudio | None = None
    function_call: FunctionCall | None = None
    tool_calls: list[ChatCompletionMessageToolCallUnion] | None = None
    reasoning_content: str | None = None
    """Sent by some OpenAI-compatible servers (vLLM, DeepSeek) for reasoning models."""


class Choice(BaseModel):
    finish_reason: Literal["stop", "length", "tool_calls", "content_filter", "function_call"]
    index: int
    logprobs: ChoiceLogprobs | None = None
    message: ChatCompletionMessage


class ChatCompletion(BaseModel):
    id: str
    choices: list[Choice]
    created: int
    model: str
    object: Literal["chat.completion"]
    service_tier: str | None = None
    system_fingerprint: str | None = None
    usage: CompletionUsage | None = None
