"""`client.chat.completions`."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from functools import cached_property
from typing import Any, Literal, Required, Unpack, overload

from .._raw import (
    async_to_raw_response_wrapper,
    async_to_streamed_response_wrapper,
    to_raw_response_wrapper,
    to_streamed_response_wrapper,
)
from .._streaming import AsyncStream, Stream
from ..types.chat import ChatCompletion, ChatCompletionChunk
from ._base import AsyncResource, RequestOptionParams, SyncResource, make_call

__all__ = [
    "AsyncChat",
    "AsyncCompletions",
    "Chat",
    "CompletionCreateParams",
    "CompletionCreateParamsNonStreaming",
    "CompletionCreateParamsStreaming",
    "Completions",
]

ChatCompletionMessageParam = Mapping[str, Any]


class CompletionCreateParamsBase(RequestOptionParams, total=False):
    messages: Required[Iterable[ChatCompletionMessageParam]]
    model: Required[str]
    audio: Mapping[str, Any] | None
    frequency_penalty: float | None
    function_call: str | Mapping[str, Any]
    functions: Iterable[Mapping[str, Any]]
    logit_bias: dict[str, int] | None
    logprobs: bool | None
    max_completion_tokens: int | None
    max_tokens: int | None
    metadata: dict[str, str] | None
    modalities: list[Literal["text", "audio"]] | None
    moderation: Mapping[str, Any] | None
    n: int | None
    parallel_tool_calls: bool
    prediction: Mapping[str, Any] | None
    presence_penalty: float | None
    prompt_cache_key: str | None
    prompt_cache_options: Mapping[str, Any]
    prompt_cache_retention: Literal["in_memory", "24h"] | None
    reasoning_effort: str | None
    response_format: Mapping[str, Any]
    safety_identifier: str | None
    seed: int | None
    service_tier: str | None
    stop: str | Sequence[str] | None
    store: bool | None
    stream_options: Mapping[str, Any] | None
    temperature: float | None
    tool_choice: str | Mapping[str, Any]
    tools: Iterable[Mapping[str, Any]]
    top_logprobs: int | None
    top_p: float | None
    user: str
    verbosity: Literal["low", "medium", "high"] | None
    web_search_options: Mapping[str, Any]


class CompletionCreateParamsNonStreaming(CompletionCreateParamsBase, total=False):
    stream: Literal[False] | None


class CompletionCreateParamsStreaming(CompletionCreateParamsBase, total=False):
    stream: Required[Literal[True]]


class CompletionCreateParams(CompletionCreateParamsBase, total=False):
    stream: bool | None


class Completions(SyncResource):
    @overload
    def create(self, **params: Unpack[CompletionCreateParamsNonStreaming]) -> ChatCompletion: ...
    @overload
    def create(self, **params: Unpack[CompletionCreateParamsStreaming]) -> Stream[ChatCompletionChunk]: ...
    @overload
    def create(
        self, **params: Unpack[CompletionCreateParams]
    ) -> ChatCompletion | Stream[ChatCompletionChunk]: ...
    def create(self, **params: Any) -> ChatCompletion | Stream[ChatCompletionChunk]:
        """Create a model response for the given chat conversation (`stream=True`: chunks as they come)."""
        call = make_call(self._client, "create", params, CompletionCreateParams, "POST", "chat/completions")
        result: ChatCompletion | Stream[ChatCompletionChunk] = self._client._request(
            call, ChatCompletion._from_raw, ChatCompletionChunk._from_raw
        )
        return result

    @cached_property
    def with_raw_response(self) -> CompletionsWithRawResponse:
        return CompletionsWithRawResponse(self)

    @cached_property
    def with_streaming_response(self) -> CompletionsWithStreamingResponse:
        return CompletionsWithStreamingResponse(self)


class AsyncCompletions(AsyncResource):
    @overload
    async def create(self, **params: Unpack[CompletionCreateParamsNonStreaming]) -> ChatCompletion: ...
    @overload
    async def create(
        self, **params: Unpack[CompletionCreateParamsStreaming]
    ) -> AsyncStream[ChatCompletionChunk]: ...
    @overload
    async def create(
        self, **params: Unpack[CompletionCreateParams]
    ) -> ChatCompletion | AsyncStream[ChatCompletionChunk]: ...
    async def create(self, **params: Any) -> ChatCompletion | AsyncStream[ChatCompletionChunk]:
        """Create a model response for the given chat conversation (`stream=True`: chunks as they come)."""
        call = make_call(self._client, "create", params, CompletionCreateParams, "POST", "chat/completions")
        result: ChatCompletion | AsyncStream[ChatCompletionChunk] = await self._client._request(
            call, ChatCompletion._from_raw, ChatCompletionChunk._from_raw
        )
        return result

    @cached_property
    def with_raw_response(self) -> AsyncCompletionsWithRawResponse:
        return AsyncCompletionsWithRawResponse(self)

    @cached_property
    def with_streaming_response(self) -> AsyncCompletionsWithStreamingResponse:
        return AsyncCompletionsWithStreamingResponse(self)


class CompletionsWithRawResponse:
    def __init__(self, completions: Completions) -> None:
        self.create = to_raw_response_wrapper(completions.create)


class CompletionsWithStreamingResponse:
    def __init__(self, completions: Completions) -> None:
        self.create = to_streamed_response_wrapper(completions.create)


class AsyncCompletionsWithRawResponse:
    def __init__(self, completions: AsyncCompletions) -> None:
        self.create = async_to_raw_response_wrapper(completions.create)


class AsyncCompletionsWithStreamingResponse:
    def __init__(self, completions: AsyncCompletions) -> None:
        self.create = async_to_streamed_response_wrapper(completions.create)


class Chat(SyncResource):
    @cached_property
    def completions(self) -> Completions:
        return Completions(self._client)


class AsyncChat(AsyncResource):
    @cached_property
    def completions(self) -> AsyncCompletions:
        return AsyncCompletions(self._client)
