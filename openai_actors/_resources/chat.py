"""`client.chat.completions`."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from functools import cached_property
from typing import TYPE_CHECKING, Any, Literal, Required, Unpack

from .._call import Call
from ..types.chat import ChatCompletion
from ._base import AsyncResource, RequestOptionParams, SyncResource, check_params, split_options

if TYPE_CHECKING:
    from .._client import AsyncOpenAI, OpenAI

__all__ = ["AsyncChat", "AsyncCompletions", "Chat", "CompletionCreateParams", "Completions"]

ChatCompletionMessageParam = Mapping[str, Any]


class CompletionCreateParams(RequestOptionParams, total=False):
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
    stream: Literal[False] | None
    stream_options: Mapping[str, Any] | None
    temperature: float | None
    tool_choice: str | Mapping[str, Any]
    tools: Iterable[Mapping[str, Any]]
    top_logprobs: int | None
    top_p: float | None
    user: str
    verbosity: Literal["low", "medium", "high"] | None
    web_search_options: Mapping[str, Any]


def _create_call(client: OpenAI | AsyncOpenAI, params: Mapping[str, Any]) -> Call:
    check_params("create", params, CompletionCreateParams)
    body, options = split_options(params)
    if body.get("stream"):
        raise NotImplementedError("stream=True is not supported by this version of openai_actors")
    return client._build("POST", "chat/completions", body=body, extra=options)


class Completions(SyncResource):
    def create(self, **params: Unpack[CompletionCreateParams]) -> ChatCompletion:
        """Create a model response for the given chat conversation."""
        return self._client._request(_create_call(self._client, params), ChatCompletion._from_raw)


class AsyncCompletions(AsyncResource):
    async def create(self, **params: Unpack[CompletionCreateParams]) -> ChatCompletion:
        """Create a model response for the given chat conversation."""
        return await self._client._request(_create_call(self._client, params), ChatCompletion._from_raw)


class Chat(SyncResource):
    @cached_property
    def completions(self) -> Completions:
        return Completions(self._client)


class AsyncChat(AsyncResource):
    @cached_property
    def completions(self) -> AsyncCompletions:
        return AsyncCompletions(self._client)
