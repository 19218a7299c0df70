"""Function tools made from pydantic models: `pydantic_function_tool` and its Responses twin.

A tool is sent as the plain dict the API reads; the model class rides along
on the dict (a `dict` subclass with a `model` attribute), so `.parse` can turn
the call's arguments back into an instance of it, and the dict still goes
through every layer that takes a tool param unchanged. `json` encodes a
`dict` subclass as its items, so the attribute never reaches the wire.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from ._schema import to_strict_json_schema

if TYPE_CHECKING:
    import pydantic

    from ..types.chat.chat_completion_function_tool_param import ChatCompletionFunctionToolParam
    from ..types.responses.function_tool_param import FunctionToolParam
    from ..types.shared_params.function_definition import FunctionDefinition

__all__ = [
    "PydanticFunctionTool",
    "ResponsesPydanticFunctionTool",
    "pydantic_function_tool",
    "pydantic_responses_function_tool",
]


class PydanticFunctionTool(dict[str, Any]):
    """A Chat Completions function definition that remembers the model it was made from."""

    model: type[pydantic.BaseModel]

    def __init__(
        self, definition: FunctionDefinition | dict[str, Any], model: type[pydantic.BaseModel]
    ) -> None:
        super().__init__(definition)
        self.model = model


class ResponsesPydanticFunctionTool(dict[str, Any]):
    """A Responses API function tool that remembers the model it was made from."""

    model: type[pydantic.BaseModel]

    def __init__(self, tool: FunctionToolParam | dict[str, Any], model: type[pydantic.BaseModel]) -> None:
        super().__init__(tool)
        self.model = model


def _check_model(model: object, helper: str) -> None:
    from ._schema import is_pydantic_model

    if not is_pydantic_model(model):
        raise TypeError(f"{helper}() takes a pydantic BaseModel subclass, not {model!r}")


def pydantic_function_tool(
    model: type[pydantic.BaseModel],
    *,
    name: str | None = None,
    description: str | None = None,
) -> ChatCompletionFunctionToolParam:
    """A strict Chat Completions function tool whose parameters are `model`'s schema.

    `name` defaults to the class name, `description` to its docstring (the class's
    own `__doc__`, not an inherited one, so pydantic's never leaks in). Pass it in
    `tools=` to `chat.completions.parse` (or `responses.parse`) and each call of it
    comes back with `function.parsed_arguments`, an instance of `model`.
    """
    _check_model(model, "pydantic_function_tool")
    if description is None:
        description = model.__doc__
    definition: dict[str, Any] = {
        "name": name or model.__name__,
        "strict": True,
        "parameters": to_strict_json_schema(model),
    }
    if description is not None:
        definition["description"] = description
    return cast(
        "ChatCompletionFunctionToolParam",
        {"type": "function", "function": PydanticFunctionTool(definition, model)},
    )


def pydantic_responses_function_tool(
    model: type[pydantic.BaseModel],
    *,
    name: str | None = None,
    description: str | None = None,
) -> FunctionToolParam:
    """A strict Responses API function tool whose parameters are `model`'s schema.

    The same tool as `responses.parse` makes of a `pydantic_function_tool(...)`,
    in the Responses shape already (`name`, `parameters` at the top level), for
    code that builds Responses tools by hand; each call of it comes back from
    `responses.parse` with `parsed_arguments`, an instance of `model`.
    """
    _check_model(model, "pydantic_responses_function_tool")
    if description is None:
        description = model.__doc__
    tool = ResponsesPydanticFunctionTool(
        {
            "type": "function",
            "name": name or model.__name__,
            "description": description,
            "parameters": to_strict_json_schema(model),
            "strict": True,
        },
        model,
    )
    return cast("FunctionToolParam", tool)
