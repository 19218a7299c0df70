"""`client.responses`: the Responses API (create, retrieve, delete, cancel; streaming)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import cached_property
from typing import Any, Literal, Required, Unpack, overload

from .._raw import (
    async_to_raw_response_wrapper,
    async_to_streamed_response_wrapper,
    to_raw_response_wrapper,
    to_streamed_response_wrapper,
)
from .._request import path_param
from .._response import no_content
from .._streaming import AsyncStream, Stream
from ..types.responses import Response, ResponseStreamEvent
from ..types.responses.response_stream_event import parse_response_stream_event
from ._base import AsyncResource, RequestOptionParams, SyncResource, make_call

__all__ = ["AsyncResponses", "ResponseCreateParams", "Responses"]


class ResponseCreateParamsBase(RequestOptionParams, total=False):
    background: bool | None
    context_management: Iterable[Mapping[str, Any]] | None
    conversation: str | Mapping[str, Any] | None
    include: list[str] | None
    input: str | Iterable[Mapping[str, Any]]
    instructions: str | None
    max_output_tokens: int | None
    max_tool_calls: int | None
    metadata: dict[str, str] | None
    model: str
    moderation: Mapping[str, Any] | None
    parallel_tool_calls: bool | None
    previous_response_id: str | None
    prompt: Mapping[str, Any] | None
    prompt_cache_key: str | None
    prompt_cache_options: Mapping[str, Any]
    prompt_cache_retention: Literal["in_memory", "24h"] | None
    reasoning: Mapping[str, Any] | None
    safety_identifier: str | None
    service_tier: str | None
    store: bool | None
    stream_options: Mapping[str, Any] | None
    temperature: float | None
    text: Mapping[str, Any]
    tool_choice: str | Mapping[str, Any]
    tools: Iterable[Mapping[str, Any]]
    top_logprobs: int | None
    top_p: float | None
    truncation: Literal["auto", "disabled"] | None
    user: str


class ResponseCreateParamsNonStreaming(ResponseCreateParamsBase, total=False):
    stream: Literal[False] | None


class ResponseCreateParamsStreaming(ResponseCreateParamsBase, total=False):
    stream: Required[Literal[True]]


class ResponseCreateParams(ResponseCreateParamsBase, total=False):
    stream: bool | None


class ResponseRetrieveParamsBase(RequestOptionParams, total=False):
    include: list[str]
    include_obfuscation: bool
    starting_after: int


class ResponseRetrieveParamsNonStreaming(ResponseRetrieveParamsBase, total=False):
    stream: Literal[False]


class ResponseRetrieveParamsStreaming(ResponseRetrieveParamsBase, total=False):
    stream: Required[Literal[True]]


class ResponseRetrieveParams(ResponseRetrieveParamsBase, total=False):
    stream: bool


def _path(response_id: str, suffix: str = "") -> str:
    return f"responses/{path_param(response_id, 'response_id')}{suffix}"


class Responses(SyncResource):
    @overload
    def create(self, **params: Unpack[ResponseCreateParamsNonStreaming]) -> Response: ...
    @overload
    def create(self, **params: Unpack[ResponseCreateParamsStreaming]) -> Stream[ResponseStreamEvent]: ...
    @overload
    def create(self, **params: Unpack[ResponseCreateParams]) -> Response | Stream[ResponseStreamEvent]: ...
    def create(self, **params: Any) -> Response | Stream[ResponseStreamEvent]:
        """Create a model response (`stream=True`: its events as they come)."""
        call = make_call(self._client, "create", params, ResponseCreateParams, "POST", "responses")
        result: Response | Stream[ResponseStreamEvent] = self._client._request(
            call, Response._from_raw, parse_response_stream_event
        )
        return result

    @overload
    def retrieve(
        self, response_id: str, **params: Unpack[ResponseRetrieveParamsNonStreaming]
    ) -> Response: ...
    @overload
    def retrieve(
        self, response_id: str, **params: Unpack[ResponseRetrieveParamsStreaming]
    ) -> Stream[ResponseStreamEvent]: ...
    @overload
    def retrieve(
        self, response_id: str, **params: Unpack[ResponseRetrieveParams]
    ) -> Response | Stream[ResponseStreamEvent]: ...
    def retrieve(self, response_id: str, **params: Any) -> Response | Stream[ResponseStreamEvent]:
        """A stored response; `stream=True` replays a background response's events
        (from after `starting_after`, a sequence number) and follows it to its end."""
        call = make_call(
            self._client, "retrieve", params, ResponseRetrieveParams, "GET", _path(response_id), in_query=True
        )
        result: Response | Stream[ResponseStreamEvent] = self._client._request(
            call, Response._from_raw, parse_response_stream_event
        )
        return result

    def delete(self, response_id: str, **params: Unpack[RequestOptionParams]) -> None:
        call = make_call(self._client, "delete", params, RequestOptionParams, "DELETE", _path(response_id))
        self._client._request(call, no_content)

    def cancel(self, response_id: str, **params: Unpack[RequestOptionParams]) -> Response:
        """Cancel a response created with `background=True`."""
        call = make_call(
            self._client, "cancel", params, RequestOptionParams, "POST", _path(response_id, "/cancel")
        )
        result: Response = self._client._request(call, Response._from_raw)
        return result

    @cached_property
    def with_raw_response(self) -> ResponsesWithRawResponse:
        return ResponsesWithRawResponse(self)

    @cached_property
    def with_streaming_response(self) -> ResponsesWithStreamingResponse:
        return ResponsesWithStreamingResponse(self)


class AsyncResponses(AsyncResource):
    @overload
    async def create(self, **params: Unpack[ResponseCreateParamsNonStreaming]) -> Response: ...
    @overload
    async def create(
        self, **params: Unpack[ResponseCreateParamsStreaming]
    ) -> AsyncStream[ResponseStreamEvent]: ...
    @overload
    async def create(
        self, **params: Unpack[ResponseCreateParams]
    ) -> Response | AsyncStream[ResponseStreamEvent]: ...
    async def create(self, **params: Any) -> Response | AsyncStream[ResponseStreamEvent]:
        """Create a model response (`stream=True`: its events as they come)."""
        call = make_call(self._client, "create", params, ResponseCreateParams, "POST", "responses")
        result: Response | AsyncStream[ResponseStreamEvent] = await self._client._request(
            call, Response._from_raw, parse_response_stream_event
        )
        return result

    @overload
    async def retrieve(
        self, response_id: str, **params: Unpack[ResponseRetrieveParamsNonStreaming]
    ) -> Response: ...
    @overload
    async def retrieve(
        self, response_id: str, **params: Unpack[ResponseRetrieveParamsStreaming]
    ) -> AsyncStream[ResponseStreamEvent]: ...
    @overload
    async def retrieve(
        self, response_id: str, **params: Unpack[ResponseRetrieveParams]
    ) -> Response | AsyncStream[ResponseStreamEvent]: ...
    async def retrieve(self, response_id: str, **params: Any) -> Response | AsyncStream[ResponseStreamEvent]:
        """A stored response; `stream=True` replays a background response's events
        (from after `starting_after`, a sequence number) and follows it to its end."""
        call = make_call(
            self._client, "retrieve", params, ResponseRetrieveParams, "GET", _path(response_id), in_query=True
        )
        result: Response | AsyncStream[ResponseStreamEvent] = await self._client._request(
            call, Response._from_raw, parse_response_stream_event
        )
        return result

    async def delete(self, response_id: str, **params: Unpack[RequestOptionParams]) -> None:
        call = make_call(self._client, "delete", params, RequestOptionParams, "DELETE", _path(response_id))
        await self._client._request(call, no_content)

    async def cancel(self, response_id: str, **params: Unpack[RequestOptionParams]) -> Response:
        """Cancel a response created with `background=True`."""
        call = make_call(
            self._client, "cancel", params, RequestOptionParams, "POST", _path(response_id, "/cancel")
        )
        result: Response = await self._client._request(call, Response._from_raw)
        return result

    @cached_property
    def with_raw_response(self) -> AsyncResponsesWithRawResponse:
        return AsyncResponsesWithRawResponse(self)

    @cached_property
    def with_streaming_response(self) -> AsyncResponsesWithStreamingResponse:
        return AsyncResponsesWithStreamingResponse(self)


class ResponsesWithRawResponse:
    def __init__(self, responses: Responses) -> None:
        self.create = to_raw_response_wrapper(responses.create)
        self.retrieve = to_raw_response_wrapper(responses.retrieve)
        self.delete = to_raw_response_wrapper(responses.delete)
        self.cancel = to_raw_response_wrapper(responses.cancel)


class ResponsesWithStreamingResponse:
    def __init__(self, responses: Responses) -> None:
        self.create = to_streamed_response_wrapper(responses.create)
        self.retrieve = to_streamed_response_wrapper(responses.retrieve)
        self.delete = to_streamed_response_wrapper(responses.delete)
        self.cancel = to_streamed_response_wrapper(responses.cancel)


class AsyncResponsesWithRawResponse:
    def __init__(self, responses: AsyncResponses) -> None:
        self.create = async_to_raw_response_wrapper(responses.create)
        self.retrieve = async_to_raw_response_wrapper(responses.retrieve)
        self.delete = async_to_raw_response_wrapper(responses.delete)
        self.cancel = async_to_raw_response_wrapper(responses.cancel)


class AsyncResponsesWithStreamingResponse:
    def __init__(self, responses: AsyncResponses) -> None:
        self.create = async_to_streamed_response_wrapper(responses.create)
        self.retrieve = async_to_streamed_response_wrapper(responses.retrieve)
        self.delete = async_to_streamed_response_wrapper(responses.delete)
        self.cancel = async_to_streamed_response_wrapper(responses.cancel)
