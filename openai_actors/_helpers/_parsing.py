"""Structured outputs, sans I/O: what `.parse` sends for a user's type, and how the answer is read back.

The request side turns a type into the `response_format` (Chat Completions) or
`text.format` (Responses) the API reads, and checks and converts the tools; the
answer side rebuilds a `ChatCompletion` / `Response` as its `Parsed*` twin with
the content validated into the user's type and each function call's arguments
parsed. Nothing here does I/O: the resources (`chat_completions.py`,
`responses_resource.py`) call these around one request, and the stream helpers
call them on the completion they accumulated.

pydantic is imported only on paths that hold a user's pydantic type (or a
dataclass / TypedDict to validate through a `TypeAdapter`): a `.parse` call with
a plain `response_format` dict, or none, never imports it.

Behaviour follows the official SDK 3.3.1's `openai.lib._parsing`:

* a type gives `{"type": "json_schema", "json_schema": {"schema": <strict schema>,
  "name": <class name>, "strict": true}}`; a dict is sent as it is and nothing is
  parsed (`message.parsed` stays None);
* `finish_reason` "length" or "content_filter" on any choice raises
  `LengthFinishReasonError` / `ContentFilterFinishReasonError`: the content is cut
  short or withheld, so there is nothing valid to parse;
* a refusal (`message.refusal`) leaves `parsed` None;
* tools given to chat `.parse` must all be strict function tools; a call of a
  `pydantic_function_tool` gets an instance of its model, of another strict
  function tool the decoded JSON, of a tool not given None; a custom tool call is
  dropped from `tool_calls` with a warning (nothing here can call it).

Besides the official SDK, stdlib dataclasses and TypedDicts are accepted as
`response_format` / `text_format` (through a pydantic `TypeAdapter`); the
official accepts only pydantic models and pydantic dataclasses.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from .._exceptions import ContentFilterFinishReasonError, LengthFinishReasonError
from .._types import NotGiven, Omit, omit
from ._schema import (
    is_adaptable_type,
    is_pydantic_model,
    schema_name,
    shared_strict_json_schema,
    type_adapter,
)
from ._tools import PydanticFunctionTool, ResponsesPydanticFunctionTool

if TYPE_CHECKING:
    from ..types.chat.chat_completion import ChatCompletion
    from ..types.chat.chat_completion_message import ChatCompletionMessage
    from ..types.chat.chat_completion_message_function_tool_call import Function
    from ..types.responses.response import Response
    from ..types.responses.response_function_tool_call import ResponseFunctionToolCall
    from .parsed_chat_completion import ParsedChatCompletion, ParsedFunction
    from .parsed_response import ParsedResponse

__all__ = [
    "check_response_format_type",
    "has_parseable_input",
    "has_rich_response_format",
    "is_parseable_tool",
    "make_responses_tools",
    "maybe_parse_content",
    "parse_chat_completion",
    "parse_content",
    "parse_function_tool_arguments",
    "parse_response",
    "parse_response_function_tool_arguments",
    "parse_text",
    "refuse_type_in_chat_create",
    "refuse_type_in_create",
    "responses_tool_by_name",
    "tool_by_name",
    "type_to_response_format",
    "type_to_text_format",
    "validate_input_tools",
]

T = TypeVar("T")


def _given(value: object) -> bool:
    return value is not None and not isinstance(value, NotGiven | Omit)


# -- the request side ------------------------------------------------------------


def check_response_format_type(tp: object, parameter: str = "response_format") -> None:
    """A TypeError saying what was wrong, unless `tp` is a type `.parse` can send and validate."""
    if is_pydantic_model(tp) or is_adaptable_type(tp):
        return
    if isinstance(tp, type):
        raise TypeError(
            f"{parameter}={tp.__name__} is not a type .parse() can derive a JSON schema from: "
            "pass a pydantic BaseModel subclass, a dataclass or a TypedDict"
        )
    raise TypeError(
        f"{parameter} must be a type (a pydantic BaseModel subclass, a dataclass or a TypedDict)"
        + (" or a response_format dict" if parameter == "response_format" else "")
        + f", not {type(tp).__name__} {tp!r}"
    )


def type_to_response_format(response_format: object) -> Any:
    """The `response_format` to send for what the caller passed to `chat.completions.parse`.

    A type becomes a strict `json_schema` format named after it; a dict is sent
    as it is; omitted stays omitted. Anything else is a TypeError. The schema in it
    is shared by every call with the same type: send it, do not change it."""
    if not _given(response_format):
        return omit
    if isinstance(response_format, Mapping):
        return response_format
    check_response_format_type(response_format)
    return {
        "type": "json_schema",
        "json_schema": {
            "schema": shared_strict_json_schema(response_format),
            "name": schema_name(cast(type, response_format)),
            "strict": True,
        },
    }


def type_to_text_format(text_format: object) -> dict[str, Any]:
    """The Responses `text.format` for `text_format`: the same schema, flattened as Responses reads it."""
    check_response_format_type(text_format, "text_format")
    tp = cast(type, text_format)
    return {
        "type": "json_schema",
        "strict": True,
        "name": schema_name(tp),
        "schema": shared_strict_json_schema(tp),
    }


def refuse_type_in_create(params: Mapping[str, Any], method: str, instead: str) -> None:
    """`create` sends JSON: a type given as `response_format` belongs to `parse` (the official SDK's TypeError)."""
    response_format = params.get("response_format")
    if isinstance(response_format, type):
        raise TypeError(
            f"You tried to pass a `{response_format.__name__}` class to `{method}()`; "
            f"You must use `{instead}()` instead"
        )


def refuse_type_in_chat_create(body: dict[str, Any]) -> None:
    """The `prepare` hook of `chat.completions.create` (codegen/overrides.toml): a model class
    as `response_format` is refused there with the official SDK's TypeError, pointing to
    `parse`, rather than failing later as a body that cannot be encoded. Changes nothing."""
    refuse_type_in_create(body, "chat.completions.create", "chat.completions.parse")


def validate_input_tools(tools: object) -> list[Any] | Omit:
    """The tools of a chat `.parse` call, as a list, once checked: only strict function tools can be parsed.

    A ValueError names the first tool that is not one (the official SDK's check);
    a TypeError says when `tools` is not a list of tool dicts."""
    if not _given(tools):
        return omit
    if isinstance(tools, str | bytes | Mapping) or not isinstance(tools, Iterable):
        raise TypeError(f"tools must be a list of tool dicts, not {type(tools).__name__}")
    checked = list(tools)
    for i, tool in enumerate(checked):
        if not isinstance(tool, Mapping):
            raise TypeError(f"tools[{i}] must be a tool dict, not {type(tool).__name__}")
        kind = tool.get("type")
        if kind != "function":
            raise ValueError(f"Currently only `function` tool types support auto-parsing; Received `{kind}`")
        function = tool.get("function")
        if not isinstance(function, Mapping):
            raise TypeError(f"tools[{i}]['function'] must be a function definition dict")
        if function.get("strict") is not True:
            raise ValueError(
                f"`{function.get('name')}` is not strict. Only `strict` function tools can be auto-parsed"
            )
    return checked


def make_responses_tools(tools: object) -> list[Any] | Omit:
    """The tools of a `responses.parse` call in the Responses shape.

    A Chat Completions tool made by `pydantic_function_tool()` becomes the
    Responses function tool with the same schema (remembering its model); tools
    already in the Responses shape pass as they are. A Chat Completions function
    tool written by hand has no Responses twin here: a TypeError says so."""
    if not _given(tools):
        return omit
    if isinstance(tools, str | bytes | Mapping) or not isinstance(tools, Iterable):
        raise TypeError(f"tools must be a list of tool dicts, not {type(tools).__name__}")
    converted: list[Any] = []
    for i, tool in enumerate(tools):
        if not isinstance(tool, Mapping):
            raise TypeError(f"tools[{i}] must be a tool dict, not {type(tool).__name__}")
        if tool.get("type") != "function" or "function" not in tool:
            converted.append(tool)
            continue
        function = tool["function"]
        if not isinstance(function, PydanticFunctionTool):
            raise TypeError(
                f"tools[{i}] is a Chat Completions function tool: responses.parse() converts only those made "
                "with pydantic_function_tool(); write others in the Responses shape "
                '({"type": "function", "name": ..., "parameters": ..., "strict": ...})'
            )
        converted.append(
            ResponsesPydanticFunctionTool(
                {
                    "type": "function",
                    "name": function["name"],
                    "description": function.get("description"),
                    "parameters": function["parameters"],
                    "strict": function.get("strict") or False,
                },
                function.model,
            )
        )
    return converted


# -- reading the answer back -----------------------------------------------------


def has_rich_response_format(response_format: object) -> bool:
    """Whether `.parse` will validate the content: a type was given (not a dict, not omitted)."""
    return _given(response_format) and not isinstance(response_format, Mapping)


def is_parseable_tool(tool: Mapping[str, Any]) -> bool:
    """Whether a chat tool's calls get `parsed_arguments`: a strict function tool."""
    if tool.get("type") != "function":
        return False
    function = tool.get("function")
    if isinstance(function, PydanticFunctionTool):
        return True
    return isinstance(function, Mapping) and function.get("strict") is True


def has_parseable_input(*, response_format: object, input_tools: object = omit) -> bool:
    """Whether anything of the answer will be parsed (a type, or a strict function tool)."""
    if has_rich_response_format(response_format):
        return True
    if not _given(input_tools):
        return False
    return any(isinstance(t, Mapping) and is_parseable_tool(t) for t in cast(Iterable[Any], input_tools))


def parse_content(tp: type[T], content: str | bytes) -> T:
    """`content` (JSON text) validated into `tp`: `model_validate_json` for a pydantic
    model, a `TypeAdapter` for a dataclass or TypedDict. Raises pydantic's ValidationError
    when the JSON does not fit the type."""
    if is_pydantic_model(tp):
        return cast(T, cast(Any, tp).model_validate_json(content))
    if is_adaptable_type(tp):
        return cast(T, type_adapter(tp).validate_json(content))
    check_response_format_type(tp)
    raise AssertionError("unreachable: check_response_format_type raised")


def maybe_parse_content(*, response_format: object, message: ChatCompletionMessage) -> Any:
    """The message's content parsed into `response_format`, or None: no type was given,
    the model refused, or there is no content (it called tools instead)."""
    if has_rich_response_format(response_format) and message.content and not message.refusal:
        return parse_content(cast(type, response_format), message.content)
    return None


def tool_by_name(input_tools: Iterable[Any], name: str) -> Mapping[str, Any] | None:
    """The chat function tool named `name` among `input_tools`, or None."""
    for tool in input_tools:
        if not isinstance(tool, Mapping) or tool.get("type") != "function":
            continue
        function = tool.get("function")
        if isinstance(function, Mapping) and function.get("name") == name:
            return tool
    return None


def parse_function_tool_arguments(
    *, input_tools: Iterable[Any], function: Function | ParsedFunction
) -> object:
    """A chat tool call's arguments: an instance of the tool's model (`pydantic_function_tool`),
    the decoded JSON (another strict function tool), or None (a tool not given, or not strict)."""
    tool = tool_by_name(input_tools, function.name)
    if tool is None:
        return None
    definition = tool["function"]
    if isinstance(definition, PydanticFunctionTool):
        return definition.model.model_validate_json(function.arguments)
    if definition.get("strict") is not True:
        return None
    return json.loads(function.arguments)


def _json_of(content: str | None) -> Any:
    """The JSON value a parsed object was validated from, kept in the model's data so
    `to_dict()`, `to_json()` and `repr` show it (a pydantic object is not JSON)."""
    return json.loads(content) if content else None


def _data(model: Any) -> dict[str, Any]:
    """A shallow copy of a lazy model's JSON: the input object is left as it was."""
    return dict(model.__dict__["_data"])


def _raw(value: Any) -> Any:
    """The JSON of a lazy model, or the value itself (an item the model left as it came)."""
    data = getattr(value, "__dict__", None)
    return data["_data"] if data is not None and "_data" in data else value


def parse_chat_completion(
    *, response_format: object, input_tools: object, chat_completion: ChatCompletion
) -> ParsedChatCompletion[Any]:
    """`chat_completion` as a `ParsedChatCompletion`: each message's `parsed`, each function
    call's `parsed_arguments`. Raises `LengthFinishReasonError` or
    `ContentFilterFinishReasonError` when a choice stopped early; pydantic's
    ValidationError (or json's JSONDecodeError) when the content does not fit."""
    from .parsed_chat_completion import (
        ParsedChatCompletion,
        ParsedChatCompletionMessage,
        ParsedChoice,
        ParsedFunctionToolCall,
    )

    tools = list(cast(Iterable[Any], input_tools)) if _given(input_tools) else []
    choices: list[ParsedChoice[Any]] = []
    for choice in chat_completion.choices:
        if choice.finish_reason == "length":
            raise LengthFinishReasonError(completion=chat_completion)
        if choice.finish_reason == "content_filter":
            raise ContentFilterFinishReasonError()
        message = choice.message

        calls: list[Any] = []
        for call in message.tool_calls or ():
            kind = getattr(call, "type", None)
            if kind == "function":
                function = call.function  # type: ignore[union-attr]
                call_data = _data(call)
                function_data = _data(function)
                arguments = parse_function_tool_arguments(input_tools=tools, function=function)
                # A model instance is kept in its JSON form; decoded JSON is its own.
                function_data["parsed_arguments"] = (
                    _json_of(function.arguments) if is_pydantic_model(type(arguments)) else arguments
                )
                call_data["function"] = function_data
                parsed_call = ParsedFunctionToolCall._from_raw(call_data)
                parsed_call.function.__dict__["parsed_arguments"] = arguments
                calls.append(parsed_call)
            elif kind == "custom":
                from .._logging import warn

                # Custom tools take free text, not JSON arguments: there is nothing to parse.
                warn("custom tool call not parsed", tool_call_id=getattr(call, "id", None))
            else:
                calls.append(call)

        parsed = maybe_parse_content(response_format=response_format, message=message)
        message_data = _data(message)
        message_data["parsed"] = _json_of(message.content) if parsed is not None else None
        message_data["tool_calls"] = [_raw(c) for c in calls] or None
        parsed_message: ParsedChatCompletionMessage[Any] = ParsedChatCompletionMessage._from_raw(message_data)
        parsed_message.__dict__["parsed"] = parsed
        parsed_message.__dict__["tool_calls"] = calls or None

        choice_data = _data(choice)
        choice_data["message"] = message_data
        parsed_choice: ParsedChoice[Any] = ParsedChoice._from_raw(choice_data)
        parsed_choice.__dict__["message"] = parsed_message
        choices.append(parsed_choice)

    data = _data(chat_completion)
    data["choices"] = [_raw(c) for c in choices]
    result: ParsedChatCompletion[Any] = ParsedChatCompletion._from_raw(data)
    result.__dict__["choices"] = choices
    if "_request_id" in chat_completion.__dict__:
        result.__dict__["_request_id"] = chat_completion.__dict__["_request_id"]
    return result


# -- the Responses API -------------------------------------------------------------


def parse_text(text: str, text_format: object) -> Any:
    """An output text parsed into `text_format`, or None when no type was given."""
    if not _given(text_format):
        return None
    return parse_content(cast(type, text_format), text)


def responses_tool_by_name(input_tools: Iterable[Any], name: str) -> Mapping[str, Any] | None:
    """The Responses function tool named `name` among `input_tools`, or None."""
    for tool in input_tools:
        if isinstance(tool, Mapping) and tool.get("type") == "function" and tool.get("name") == name:
            return tool
    return None


def parse_response_function_tool_arguments(
    *, input_tools: object, function_call: ResponseFunctionToolCall
) -> object:
    """A Responses function call's arguments: an instance of the tool's model, the decoded
    JSON (another strict function tool), or None (a tool not given, or not strict)."""
    if not _given(input_tools):
        return None
    tool = responses_tool_by_name(cast(Iterable[Any], input_tools), function_call.name)
    if tool is None:
        return None
    if isinstance(tool, ResponsesPydanticFunctionTool):
        return tool.model.model_validate_json(function_call.arguments)
    if not tool.get("strict"):
        return None
    return json.loads(function_call.arguments)


def parse_response(*, text_format: object, input_tools: object, response: Response) -> ParsedResponse[Any]:
    """`response` as a `ParsedResponse`: each `output_text` part's `parsed`, each function
    call's `parsed_arguments`; every other item as it came."""
    from .parsed_response import (
        ParsedResponse,
        ParsedResponseFunctionToolCall,
        ParsedResponseOutputMessage,
        ParsedResponseOutputText,
    )

    tools = list(cast(Iterable[Any], input_tools)) if _given(input_tools) else omit
    output: list[Any] = []
    for item in response.output:
        kind = getattr(item, "type", None)
        if kind == "message":
            parts: list[Any] = []
            for part in item.content:  # type: ignore[union-attr]
                if getattr(part, "type", None) != "output_text":
                    parts.append(part)
                    continue
                text: str = part.text  # type: ignore[union-attr]
                parsed = parse_text(text, text_format)
                part_data = _data(part)
                part_data["parsed"] = _json_of(text) if parsed is not None else None
                parsed_part: ParsedResponseOutputText[Any] = ParsedResponseOutputText._from_raw(part_data)
                parsed_part.__dict__["parsed"] = parsed
                parts.append(parsed_part)
            message_data = _data(item)
            message_data["content"] = [_raw(p) for p in parts]
            message: ParsedResponseOutputMessage[Any] = ParsedResponseOutputMessage._from_raw(message_data)
            message.__dict__["content"] = parts
            output.append(message)
        elif kind == "function_call":
            call = cast("ResponseFunctionToolCall", item)
            arguments = parse_response_function_tool_arguments(input_tools=tools, function_call=call)
            # Not in the call's data: sent back as `input`, the API would refuse the field.
            parsed_call = ParsedResponseFunctionToolCall._from_raw(_data(call))
            parsed_call.__dict__["parsed_arguments"] = arguments
            output.append(parsed_call)
        else:
            output.append(item)

    data = _data(response)
    data["output"] = [_raw(o) for o in output]
    result: ParsedResponse[Any] = ParsedResponse._from_raw(data)
    result.__dict__["output"] = output
    if "_request_id" in response.__dict__:
        result.__dict__["_request_id"] = response.__dict__["_request_id"]
    return result
