"""`client.completions`: the legacy text completions endpoint, streaming too."""

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
from ..types.completion import Completion
from ._base import AsyncResource, RequestOptionParams, SyncResource, make_call

__all__ = ["AsyncCompletions", "CompletionCreateParams", "Completions"]


class CompletionCreateParamsBase(RequestOptionParams, total=False):
    model: Required[str]
    prompt: Required[str | Sequence[str] | Iterable[int] | Iterable[Iterable[int]] | None]
    best_of: int | None
    echo: bool | None
    frequency_penalty: float | None
    logit_bias: dict[str, int] | None
    logprobs: int | None
    max_tokens: int | None
    n: int | None
    presence_penalty: float | None
    seed: int | None
    stop: str | Sequence[str] | None
    stream_options: Mapping[str, Any] | None
    suffix: str | None
    temperature: float | None
    top_p: float | None
    user: str


class CompletionCreateParamsNonStreaming(CompletionCreateParamsBase, total=False):
    stream: Literal[False] | None


class CompletionCreateParamsStreaming(CompletionCreateParamsBase, total=False):
    stream: Required[Literal[True]]


class CompletionCreateParams(CompletionCreateParamsBase, total=False):
    stream: bool | None


class Completions(SyncResource):
    @overload
    def create(self, **params: Unpack[CompletionCreateParamsNonStreaming]) -> Completion: ...
    @overload
    def create(self, **params: Unpack[CompletionCreateParamsStreaming]) -> Stream[Completion]: ...
    @overload
    def create(self, **params: Unpack[CompletionCreateParams]) -> Completion | Stream[Completion]: ...
    def create(self, **params: Any) -> Completion | Stream[Completion]:
        """Complete a prompt (`stream=True`: pieces as they come)."""
        call = make_call(self._client, "create", params, CompletionCreateParams, "POST", "completions")
        result: Completion | Stream[Completion] = self._client._request(
            call, Completion._from_raw, Completion._from_raw
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
    async def create(self, **params: Unpack[CompletionCreateParamsNonStreaming]) -> Completion: ...
    @overload
    async def create(self, **params: Unpack[CompletionCreateParamsStreaming]) -> AsyncStream[Completion]: ...
    @overload
    async def create(
        self, **params: Unpack[CompletionCreateParams]
    ) -> Completion | AsyncStream[Completion]: ...
    async def create(self, **params: Any) -> Completion | AsyncStream[Completion]:
        """Complete a prompt (`stream=True`: pieces as they come)."""
        call = make_call(self._client, "create", params, CompletionCreateParams, "POST", "completions")
        result: Completion | AsyncStream[Completion] = await self._client._request(
            call, Completion._from_raw, Completion._from_raw
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
