"""`client.responses` with `parse`: structured outputs into the caller's type.

Its own module, not `responses.py`: the generated `Response` model imports
`responses.py` (for `output_text`), and the generated resource imports
`Response`, so a resource subclass there would import itself half-built.

`parse` is `create` with `text_format` turned into `text.format` (a strict JSON
schema) and `pydantic_function_tool(...)` tools into Responses function tools,
one request, and the answer rebuilt as a `ParsedResponse` in the caller.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, Literal, Unpack

from .._operations import one_request
from .._resources._base import RequestOptionParams
from .._types import Omit, omit
from ..resources.responses.responses import _CREATE
from ..resources.responses.responses import AsyncResponses as _AsyncResponses
from ..resources.responses.responses import Responses as _Responses
from ..types.responses.response import Response
from ._parsing import make_responses_tools, parse_response, type_to_text_format

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
    from ..resources.responses.responses import (
        AsyncResponsesWithRawResponse,
        AsyncResponsesWithStreamingResponse,
        ResponsesWithRawResponse,
        ResponsesWithStreamingResponse,
    )
    from ..types._spec_params.conversation_param import ConversationParam
    from ..types._spec_params.input_param import InputParam
    from ..types._spec_params.tool_choice_param import ToolChoiceParam
    from ..types.chat.chat_completion_function_tool_param import ChatCompletionFunctionToolParam
    from ..types.chat.completion_create_params import Moderation, PromptCacheOptions
    from ..types.responses.response_create_params import ContextManagement, StreamOptions
    from ..types.responses.response_includable import ResponseIncludable
    from ..types.responses.response_prompt_param import ResponsePromptParam
    from ..types.responses.response_text_config_param import ResponseTextConfigParam
    from ..types.responses.service_tier import ServiceTier
    from ..types.responses.tool_param import ToolParam
    from ..types.shared.responses_model import ResponsesModel
    from ..types.shared_params.metadata import Metadata
    from ..types.shared_params.reasoning import Reasoning
    from .parsed_response import ParsedResponse

    # None when no type is given: no text is parsed, as in the official SDK.
    TextFormatT = TypeVar("TextFormatT", default=None)
else:
    from typing import TypeVar

    TextFormatT = TypeVar("TextFormatT")

__all__ = ["AsyncResponses", "Responses"]

# `create`'s endpoint under `parse`'s name, with the keywords the official `parse` adds:
# `text_format` (taken by `parse` itself) and `verbosity` (sent as it is).
_PARSE = dataclasses.replace(_CREATE, name="parse", keys=(*_CREATE.keys, "text_format", "verbosity"))
_HELPER_HEADER = {"X-Stainless-Helper-Method": "responses.parse"}


class ResponsesParseArgs(RequestOptionParams, total=False):
    """What `responses.parse` and `responses.stream` take besides `text_format` and
    `tools`: `create`'s parameters (tests/test_parsing.py checks the lists agree)."""

    background: bool | Omit | None
    context_management: Iterable[ContextManagement] | Omit | None
    conversation: ConversationParam | Omit | None
    include: Iterable[ResponseIncludable] | Omit | None
    input: InputParam | Omit
    instructions: str | Omit | None
    max_output_tokens: int | Omit | None
    max_tool_calls: int | Omit | None
    metadata: Metadata | Omit
    model: ResponsesModel | Omit
    moderation: Moderation | Omit | None
    parallel_tool_calls: bool | Omit | None
    previous_response_id: str | Omit | None
    prompt: ResponsePromptParam | Omit
    prompt_cache_key: str | Omit | None
    prompt_cache_options: PromptCacheOptions | Omit
    prompt_cache_retention: Literal["in_memory", "24h"] | Omit | None
    reasoning: Reasoning | Omit | None
    safety_identifier: str | Omit | None
    service_tier: ServiceTier | Omit
    store: bool | Omit | None
    stream: Literal[False] | Omit | None
    stream_options: StreamOptions | Omit
    temperature: float | Omit | None
    text: ResponseTextConfigParam | Omit
    tool_choice: ToolChoiceParam | Omit
    top_logprobs: int | Omit
    top_p: float | Omit | None
    truncation: Literal["auto", "disabled"] | Omit | None
    user: str | Omit


class _ParseArgs(ResponsesParseArgs, total=False):
    """`responses.parse` alone takes the official `verbosity` too (sent as it is);
    `responses.stream`, which shares `ResponsesParseArgs`, does not, as in the official SDK."""

    verbosity: Literal["low", "medium", "high"] | Omit | None


def build_parse_call(
    client: OpenAI | AsyncOpenAI, text_format: object, tools: object, params: Mapping[str, Any]
) -> tuple[Call, Callable[[dict[str, Any]], Any]]:
    """The request `responses.parse` sends, and how its answer becomes a `ParsedResponse`.

    Every check runs here, in the caller, before anything is queued."""
    if params.get("stream"):
        raise TypeError(
            "responses.parse() does not stream; use responses.stream() for a streamed structured output"
        )
    body = dict(params)
    if text_format is not None and not isinstance(text_format, Omit):
        text = body.get("text")
        text = dict(text) if isinstance(text, Mapping) else {}
        if "format" in text:
            raise TypeError("Cannot mix and match text.format with text_format")
        text["format"] = type_to_text_format(text_format)
        body["text"] = text
    converted_tools = make_responses_tools(tools)
    body["tools"] = converted_tools
    body["extra_headers"] = {**_HELPER_HEADER, **(params.get("extra_headers") or {})}
    call, _ = _PARSE.build(client, body, {})

    def parse(raw: dict[str, Any]) -> Any:
        return parse_response(
            text_format=text_format, input_tools=converted_tools, response=Response._from_raw(raw)
        )

    return call, parse


class Responses(_Responses):
    if TYPE_CHECKING:  # the generated views, and `parse` through them

        @property
        def with_raw_response(self) -> _ResponsesWithRawResponse: ...

        @property
        def with_streaming_response(self) -> _ResponsesWithStreamingResponse: ...

    @one_request
    def parse(
        self,
        *,
        text_format: type[TextFormatT] | Omit = omit,
        tools: Iterable[ToolParam | ChatCompletionFunctionToolParam] | Omit = omit,
        **params: Unpack[_ParseArgs],
    ) -> ParsedResponse[TextFormatT]:
        """`create`, with the output text parsed into `text_format` (a pydantic model class,
        a dataclass or a TypedDict): the type is sent as a strict JSON schema in
        `text.format` and the answer comes back as a `ParsedResponse`, `output_parsed`
        an instance of it. Calls of tools made with `pydantic_function_tool(Model)` or
        `pydantic_responses_function_tool(Model)` get `parsed_arguments`."""
        call, parse = build_parse_call(self._client, text_format, tools, params)
        result: ParsedResponse[TextFormatT] = self._client._request(call, parse)
        return result


class AsyncResponses(_AsyncResponses):
    if TYPE_CHECKING:  # the generated views, and `parse` through them

        @property
        def with_raw_response(self) -> _AsyncResponsesWithRawResponse: ...

        @property
        def with_streaming_response(self) -> _AsyncResponsesWithStreamingResponse: ...

    @one_request
    async def parse(
        self,
        *,
        text_format: type[TextFormatT] | Omit = omit,
        tools: Iterable[ToolParam | ChatCompletionFunctionToolParam] | Omit = omit,
        **params: Unpack[_ParseArgs],
    ) -> ParsedResponse[TextFormatT]:
        """`create`, with the output text parsed into `text_format`: see `Responses.parse`."""
        call, parse = build_parse_call(self._client, text_format, tools, params)
        result: ParsedResponse[TextFormatT] = await self._client._request(call, parse)
        return result


if TYPE_CHECKING:

    class _ResponsesWithRawResponse(ResponsesWithRawResponse):
        def __init__(self, resource: Responses) -> None:
            super().__init__(resource)
            self.parse = to_raw_response_wrapper(resource.parse)

    class _ResponsesWithStreamingResponse(ResponsesWithStreamingResponse):
        def __init__(self, resource: Responses) -> None:
            super().__init__(resource)
            self.parse = to_streamed_response_wrapper(resource.parse)

    class _AsyncResponsesWithRawResponse(AsyncResponsesWithRawResponse):
        def __init__(self, resource: AsyncResponses) -> None:
            super().__init__(resource)
            self.parse = async_to_raw_response_wrapper(resource.parse)

    class _AsyncResponsesWithStreamingResponse(AsyncResponsesWithStreamingResponse):
        def __init__(self, resource: AsyncResponses) -> None:
            super().__init__(resource)
            self.parse = async_to_streamed_response_wrapper(resource.parse)
