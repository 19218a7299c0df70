"""`client.responses` with `stream`, beside `parse` (responses_resource.py).

`stream()` either starts a response (`model=`, `input=`, ...: `create(stream=True)`, with
`text_format` sent as `text.format` as `parse` sends it), or reads a stored one again
(`response_id=`, optionally `starting_after=N`: `retrieve(stream=True)`, the events up to
N left out). Nothing is sent until the returned context manager is entered; the machinery
(responses_stream.py) is imported on the first call.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, Unpack

from .._types import Omit, omit
from .responses_resource import AsyncResponses as _AsyncResponses
from .responses_resource import Responses as _Responses
from .responses_resource import ResponsesParseArgs

if TYPE_CHECKING:
    from typing_extensions import TypeVar

    from ..types.chat.chat_completion_function_tool_param import ChatCompletionFunctionToolParam
    from ..types.responses.tool_param import ToolParam
    from .responses_stream import AsyncResponseStreamManager, ResponseStreamManager

    TextFormatT = TypeVar("TextFormatT", default=None)
else:
    from typing import TypeVar

    TextFormatT = TypeVar("TextFormatT")

__all__ = ["AsyncResponses", "Responses"]

_HELPER_HEADER = {"X-Stainless-Helper-Method": "responses.stream"}
# What may go with `response_id` (reading a stored response): the rest starts a new one.
_RETRIEVE_KEYS = frozenset(("include", "extra_headers", "extra_query", "extra_body", "timeout"))


def _given(value: object) -> bool:
    return value is not None and not isinstance(value, Omit)


class _Plan:
    """What one `stream()` call sends: `create(**kwargs)` or `retrieve(response_id, **kwargs)`."""

    __slots__ = ("input_tools", "kwargs", "response_id", "starting_after")

    def __init__(
        self,
        response_id: str | None,
        kwargs: dict[str, Any],
        input_tools: list[Any] | Omit,
        starting_after: int | None,
    ) -> None:
        self.response_id = response_id
        self.kwargs = kwargs
        self.input_tools = input_tools
        self.starting_after = starting_after


def plan_stream(
    response_id: object, starting_after: object, text_format: object, tools: object, params: dict[str, Any]
) -> _Plan:
    """Check a `responses.stream()` call's arguments (the official SDK's rules, its errors)
    and decide its request, before anything is sent."""
    from ._parsing import make_responses_tools, type_to_text_format

    if "stream" in params:
        raise TypeError("responses.stream() always streams: leave out `stream`")
    new_response = sorted(key for key, value in params.items() if key not in _RETRIEVE_KEYS and _given(value))
    resuming = _given(response_id) or _given(starting_after)
    if resuming and new_response:
        raise ValueError(
            "Cannot provide both response_id/starting_after can't be provided together with "
            + ", ".join(new_response)
        )
    if _given(starting_after) and (not isinstance(starting_after, int) or isinstance(starting_after, bool)):
        raise TypeError(
            f"starting_after must be an int (a sequence number), not {type(starting_after).__name__}"
        )
    input_tools = make_responses_tools(tools)
    headers = {**_HELPER_HEADER, **(params.get("extra_headers") or {})}
    if not resuming:
        if not _given(params.get("input")):
            raise ValueError("input must be provided when creating a new response")
        if not _given(params.get("model")):
            raise ValueError("model must be provided when creating a new response")
        kwargs = dict(params)
        if _given(text_format):
            text = kwargs.get("text")
            text = dict(text) if isinstance(text, Mapping) else {}
            if "format" in text:
                raise TypeError("Cannot mix and match text.format with text_format")
            text["format"] = type_to_text_format(text_format)
            kwargs["text"] = text
        kwargs.update(tools=input_tools, stream=True, extra_headers=headers)
        return _Plan(None, kwargs, input_tools, None)
    if not isinstance(response_id, str) or not response_id:
        raise ValueError(
            f"a non-empty response_id must be provided to stream an existing response, not {response_id!r}"
        )
    # The events from the first: the text and arguments accumulate from their beginning,
    # and those up to `starting_after` are left out on this side.
    kwargs = {key: value for key, value in params.items() if _given(value)}
    kwargs.update(stream=True, extra_headers=headers)
    return _Plan(
        response_id, kwargs, input_tools, starting_after if isinstance(starting_after, int) else None
    )


class Responses(_Responses):
    def stream(
        self,
        *,
        response_id: str | Omit = omit,
        starting_after: int | Omit = omit,
        text_format: type[TextFormatT] | Omit = omit,
        tools: Iterable[ToolParam | ChatCompletionFunctionToolParam] | Omit = omit,
        **params: Unpack[ResponsesParseArgs],
    ) -> ResponseStreamManager[TextFormatT]:
        """A response's events as a context manager: `response.output_text.delta` with the text
        so far (`snapshot`), `response.output_text.done` with the text parsed into
        `text_format`, function call arguments with what has come so far, and every other
        event as the server sends it; `get_final_response()` is the response as `parse()`
        returns it. Leaving the block closes the stream.

        `response_id=` (and `starting_after=N`) streams a stored (background) response again,
        yielding only the events numbered above N."""
        from .responses_stream import ResponseStreamManager

        plan = plan_stream(response_id, starting_after, text_format, tools, dict(params))
        call: Any = self.create if plan.response_id is None else self.retrieve
        args = () if plan.response_id is None else (plan.response_id,)
        return ResponseStreamManager(
            lambda: call(*args, **plan.kwargs),
            text_format=text_format,
            input_tools=plan.input_tools,
            starting_after=plan.starting_after,
        )


class AsyncResponses(_AsyncResponses):
    def stream(
        self,
        *,
        response_id: str | Omit = omit,
        starting_after: int | Omit = omit,
        text_format: type[TextFormatT] | Omit = omit,
        tools: Iterable[ToolParam | ChatCompletionFunctionToolParam] | Omit = omit,
        **params: Unpack[ResponsesParseArgs],
    ) -> AsyncResponseStreamManager[TextFormatT]:
        """A response's events as an async context manager: see `Responses.stream`. Not a
        coroutine: `async with client.responses.stream(...) as stream:`."""
        from .responses_stream import AsyncResponseStreamManager

        plan = plan_stream(response_id, starting_after, text_format, tools, dict(params))
        call: Any = self.create if plan.response_id is None else self.retrieve
        args = () if plan.response_id is None else (plan.response_id,)
        return AsyncResponseStreamManager(
            lambda: call(*args, **plan.kwargs),
            text_format=text_format,
            input_tools=plan.input_tools,
            starting_after=plan.starting_after,
        )
