"""`client.chat.completions` with `parse`: structured outputs into the caller's type.

`parse` is `create` with the type turned into a strict `json_schema`
`response_format` (and `stream: false`), one request, and the answer rebuilt as
a `ParsedChatCompletion` in the caller (`_parsing.py` does both halves, without
I/O). (`create` refusing a type as `response_format` is its `prepare` hook,
`_parsing.refuse_type_in_chat_create`.)
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, Literal, Required, Unpack

from .._operations import one_request
from .._resources._base import RequestOptionParams
from .._types import Omit, omit
from ..resources.chat.completions.completions import _CREATE
from ..resources.chat.completions.completions import AsyncCompletions as _AsyncCompletions
from ..resources.chat.completions.completions import Completions as _Completions
from ..types.chat.chat_completion import ChatCompletion
from ._parsing import (
    parse_chat_completion,
    type_to_response_format,
    validate_input_tools,
)

if TYPE_CHECKING:
    from typing_extensions import TypeVar

    from .._call import Call
    from .._client import AsyncOpenAI, OpenAI
    from .._raw import (
        async_to_raw_response_wrapper,
        async_to_streamed_response_wrapper,
        to_raw_response_wrapper,
        to_streamed_response_wrapper,
    )
    from ..resources.chat.completions.completions import (
        AsyncCompletionsWithRawResponse,
        AsyncCompletionsWithStreamingResponse,
        CompletionsWithRawResponse,
        CompletionsWithStreamingResponse,
    )
    from ..types._spec.model_ids_shared import ModelIdsShared
    from ..types._spec.response_modalities import ResponseModalities
    from ..types._spec.stop_configuration import StopConfiguration
    from ..types.chat.chat_completion_audio_param import ChatCompletionAudioParam
    from ..types.chat.chat_completion_function_call_option_param import ChatCompletionFunctionCallOptionParam
    from ..types.chat.chat_completion_message_param import ChatCompletionMessageParam
    from ..types.chat.chat_completion_prediction_content_param import ChatCompletionPredictionContentParam
    from ..types.chat.chat_completion_stream_options_param import ChatCompletionStreamOptionsParam
    from ..types.chat.chat_completion_tool_choice_option_param import ChatCompletionToolChoiceOptionParam
    from ..types.chat.chat_completion_tool_union_param import ChatCompletionToolUnionParam
    from ..types.chat.completion_create_params import (
        Function,
        Moderation,
        PromptCacheOptions,
        WebSearchOptions,
    )
    from ..types.shared.reasoning_effort import ReasoningEffort
    from ..types.shared_params.metadata import Metadata
    from ..types.shared_params.response_format_json_object import ResponseFormatJSONObject
    from ..types.shared_params.response_format_json_schema import ResponseFormatJSONSchema
    from ..types.shared_params.response_format_text import ResponseFormatText
    from .parsed_chat_completion import ParsedChatCompletion

    # None when no type is given: `parsed` is then always None, as in the official SDK.
    ResponseFormatT = TypeVar("ResponseFormatT", default=None)
else:
    from typing import TypeVar

    ResponseFormatT = TypeVar("ResponseFormatT")

__all__ = ["AsyncCompletions", "Completions"]

# `create`'s endpoint under `parse`'s name (a bad keyword is reported against `parse()`),
# less `stream`, which the official `parse` does not take either; `stream: false` is sent.
_PARSE = dataclasses.replace(_CREATE, name="parse", keys=tuple(k for k in _CREATE.keys if k != "stream"))
_HELPER_HEADER = {"X-Stainless-Helper-Method": "chat.completions.parse"}


class ParseArgs(RequestOptionParams, total=False):
    """What `parse` takes besides `response_format` and `tools`: `create`'s parameters,
    less `stream` (tests/test_parsing.py checks the two lists agree)."""

    messages: Required[Iterable[ChatCompletionMessageParam]]
    model: Required[ModelIdsShared]
    audio: ChatCompletionAudioParam | Omit
    frequency_penalty: float | Omit | None
    function_call: Literal["none", "auto"] | ChatCompletionFunctionCallOptionParam | Omit
    functions: Iterable[Function] | Omit
    logit_bias: dict[str, int] | Omit | None
    logprobs: bool | Omit | None
    max_completion_tokens: int | Omit | None
    max_tokens: int | Omit | None
    metadata: Metadata | Omit
    modalities: ResponseModalities | Omit
    moderation: Moderation | Omit | None
    n: int | Omit | None
    parallel_tool_calls: bool | Omit
    prediction: ChatCompletionPredictionContentParam | Omit | None
    presence_penalty: float | Omit | None
    prompt_cache_key: str | Omit | None
    prompt_cache_options: PromptCacheOptions | Omit
    prompt_cache_retention: Literal["in_memory", "24h"] | Omit | None
    reasoning_effort: ReasoningEffort | Omit
    safety_identifier: str | Omit | None
    seed: int | Omit | None
    service_tier: Literal["auto", "default", "flex", "scale", "priority", "fast"] | Omit | None
    stop: StopConfiguration | Omit
    store: bool | Omit | None
    stream_options: ChatCompletionStreamOptionsParam | Omit
    temperature: float | Omit | None
    tool_choice: ChatCompletionToolChoiceOptionParam | Omit
    top_logprobs: int | Omit | None
    top_p: float | Omit | None
    user: str | Omit
    verbosity: Literal["low", "medium", "high"] | Omit | None
    web_search_options: WebSearchOptions | Omit


def build_parse_call(
    client: OpenAI | AsyncOpenAI, response_format: object, tools: object, params: Mapping[str, Any]
) -> tuple[Call, Callable[[dict[str, Any]], Any]]:
    """The request `parse` sends, and how its answer becomes a `ParsedChatCompletion`.

    Every check runs here, in the caller, before anything is queued: a bad type,
    a tool that cannot be parsed or `stream=True` never reaches the dispatcher."""
    if "stream" in params:
        raise TypeError(
            "chat.completions.parse() got an unexpected keyword argument 'stream': parse() does not "
            "stream; use chat.completions.stream() for a streamed structured output"
        )
    checked_tools = validate_input_tools(tools)
    body = dict(params)
    body["response_format"] = type_to_response_format(response_format)
    body["tools"] = checked_tools
    body["extra_headers"] = {**_HELPER_HEADER, **(params.get("extra_headers") or {})}
    # Sent as the official SDK sends it; `stream` is not a keyword `parse` takes.
    body["extra_body"] = {"stream": False, **(params.get("extra_body") or {})}
    call, _ = _PARSE.build(client, body, {})

    def parse(raw: dict[str, Any]) -> Any:
        return parse_chat_completion(
            response_format=response_format,
            input_tools=checked_tools,
            chat_completion=ChatCompletion._from_raw(raw),
        )

    return call, parse


class Completions(_Completions):
    if TYPE_CHECKING:  # the generated views, and `parse` through them

        @property
        def with_raw_response(self) -> _CompletionsWithRawResponse: ...

        @property
        def with_streaming_response(self) -> _CompletionsWithStreamingResponse: ...

    @one_request
    def parse(
        self,
        *,
        response_format: type[ResponseFormatT]
        | ResponseFormatText
        | ResponseFormatJSONSchema
        | ResponseFormatJSONObject
        | Omit = omit,
        tools: Iterable[ChatCompletionToolUnionParam] | Omit = omit,
        **params: Unpack[ParseArgs],
    ) -> ParsedChatCompletion[ResponseFormatT]:
        """`create`, with the content parsed into `response_format` (a pydantic model class,
        a dataclass or a TypedDict): the type is sent as a strict JSON schema and the
        answer comes back as a `ParsedChatCompletion`, `choices[i].message.parsed` an
        instance of it (None on a refusal). Calls of strict function tools (such as
        `pydantic_function_tool(Model)`) get `function.parsed_arguments`.

        Raises `LengthFinishReasonError` / `ContentFilterFinishReasonError` when the
        model stopped before the content was complete."""
        call, parse = build_parse_call(self._client, response_format, tools, params)
        result: ParsedChatCompletion[ResponseFormatT] = self._client._request(call, parse)
        return result


class AsyncCompletions(_AsyncCompletions):
    if TYPE_CHECKING:  # the generated views, and `parse` through them

        @property
        def with_raw_response(self) -> _AsyncCompletionsWithRawResponse: ...

        @property
        def with_streaming_response(self) -> _AsyncCompletionsWithStreamingResponse: ...

    @one_request
    async def parse(
        self,
        *,
        response_format: type[ResponseFormatT]
        | ResponseFormatText
        | ResponseFormatJSONSchema
        | ResponseFormatJSONObject
        | Omit = omit,
        tools: Iterable[ChatCompletionToolUnionParam] | Omit = omit,
        **params: Unpack[ParseArgs],
    ) -> ParsedChatCompletion[ResponseFormatT]:
        """`create`, with the content parsed into `response_format`: see `Completions.parse`."""
        call, parse = build_parse_call(self._client, response_format, tools, params)
        result: ParsedChatCompletion[ResponseFormatT] = await self._client._request(call, parse)
        return result


if TYPE_CHECKING:

    class _CompletionsWithRawResponse(CompletionsWithRawResponse):
        def __init__(self, resource: Completions) -> None:
            super().__init__(resource)
            self.parse = to_raw_response_wrapper(resource.parse)

    class _CompletionsWithStreamingResponse(CompletionsWithStreamingResponse):
        def __init__(self, resource: Completions) -> None:
            super().__init__(resource)
            self.parse = to_streamed_response_wrapper(resource.parse)

    class _AsyncCompletionsWithRawResponse(AsyncCompletionsWithRawResponse):
        def __init__(self, resource: AsyncCompletions) -> None:
            super().__init__(resource)
            self.parse = async_to_raw_response_wrapper(resource.parse)

    class _AsyncCompletionsWithStreamingResponse(AsyncCompletionsWithStreamingResponse):
        def __init__(self, resource: AsyncCompletions) -> None:
            super().__init__(resource)
            self.parse = async_to_streamed_response_wrapper(resource.parse)
