"""`client.chat.completions` with `stream`, beside `parse` (chat_completions.py).

`stream()` returns a context manager at once and makes nothing: entering it sends
`create(stream=True)` with the `response_format` type turned into its strict JSON schema,
as `parse` sends it. Its machinery (chat_stream.py, the state machine, the event types)
is imported on the first `stream()` call, so a client that never calls it never loads it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Unpack

from .._types import Omit, omit
from .chat_completions import AsyncCompletions as _AsyncCompletions
from .chat_completions import Completions as _Completions
from .chat_completions import ParseArgs

if TYPE_CHECKING:
    from typing_extensions import TypeVar

    from ..types.chat.chat_completion_tool_union_param import ChatCompletionToolUnionParam
    from ..types.shared_params.response_format_json_object import ResponseFormatJSONObject
    from ..types.shared_params.response_format_json_schema import ResponseFormatJSONSchema
    from ..types.shared_params.response_format_text import ResponseFormatText
    from .chat_stream import AsyncChatCompletionStreamManager, ChatCompletionStreamManager

    ResponseFormatT = TypeVar("ResponseFormatT", default=None)
else:
    from typing import TypeVar

    ResponseFormatT = TypeVar("ResponseFormatT")

__all__ = ["AsyncCompletions", "Completions"]

_HELPER_HEADER = {"X-Stainless-Helper-Method": "chat.completions.stream"}


def stream_request(
    method: str, response_format: object, tools: object, params: dict[str, Any]
) -> tuple[dict[str, Any], list[Any] | Omit]:
    """The keyword arguments of the `create(stream=True)` a `stream()` sends, and its tools.

    Checked here, when `stream()` is called: a type that has no JSON schema, or `stream`
    passed again, fails before any block is entered."""
    from ._parsing import type_to_response_format

    if "stream" in params:
        raise TypeError(f"{method}() always streams: leave out `stream`")
    input_tools: list[Any] | Omit = omit
    if tools is not None and not isinstance(tools, Omit):
        if not isinstance(tools, Iterable) or isinstance(tools, str | bytes | dict):
            raise TypeError(f"tools must be a list of tool dicts, not {type(tools).__name__}")
        input_tools = list(tools)  # read once: it is sent, and searched by name later
    body = dict(params)
    body["response_format"] = type_to_response_format(response_format)
    body["tools"] = input_tools
    body["extra_headers"] = {**_HELPER_HEADER, **(params.get("extra_headers") or {})}
    body["stream"] = True
    return body, input_tools


class Completions(_Completions):
    def stream(
        self,
        *,
        response_format: type[ResponseFormatT]
        | ResponseFormatText
        | ResponseFormatJSONSchema
        | ResponseFormatJSONObject
        | Omit = omit,
        tools: Iterable[ChatCompletionToolUnionParam] | Omit = omit,
        **params: Unpack[ParseArgs],
    ) -> ChatCompletionStreamManager[ResponseFormatT]:
        """`create(stream=True)` as a context manager of events: `content.delta` (with the text
        so far and, for a `response_format` type, the JSON parsed so far), `content.done`
        (parsed into the type), refusals, function tool call arguments (parsed for strict
        tools), logprobs, and every chunk; `get_final_completion()` is the completion as
        `parse()` returns it. Leaving the block closes the stream::

            with client.chat.completions.stream(model=..., messages=..., response_format=Answer) as stream:
                for event in stream:
                    if event.type == "content.delta":
                        print(event.delta, end="")
            answer = stream.get_final_completion().choices[0].message.parsed
        """
        from .chat_stream import ChatCompletionStreamManager

        body, input_tools = stream_request("chat.completions.stream", response_format, tools, dict(params))
        create: Any = self.create
        return ChatCompletionStreamManager(
            lambda: create(**body), response_format=response_format, input_tools=input_tools
        )


class AsyncCompletions(_AsyncCompletions):
    def stream(
        self,
        *,
        response_format: type[ResponseFormatT]
        | ResponseFormatText
        | ResponseFormatJSONSchema
        | ResponseFormatJSONObject
        | Omit = omit,
        tools: Iterable[ChatCompletionToolUnionParam] | Omit = omit,
        **params: Unpack[ParseArgs],
    ) -> AsyncChatCompletionStreamManager[ResponseFormatT]:
        """`create(stream=True)` as an async context manager of events: see `Completions.stream`.
        Not a coroutine: `async with client.chat.completions.stream(...) as stream:`."""
        from .chat_stream import AsyncChatCompletionStreamManager

        body, input_tools = stream_request("chat.completions.stream", response_format, tools, dict(params))
        create: Any = self.create
        return AsyncChatCompletionStreamManager(
            lambda: create(**body), response_format=response_format, input_tools=input_tools
        )
