"""`openai.lib._parsing._completions`, over `openai_actors/_helpers/_parsing.py`."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

from ..._helpers._parsing import (
    has_parseable_input,
    has_rich_response_format,
    is_parseable_tool,
    maybe_parse_content,
    parse_chat_completion,
    parse_function_tool_arguments,
    validate_input_tools,
)
from ..._helpers._parsing import tool_by_name as _tool_by_name
from ..._helpers._parsing import type_to_response_format as type_to_response_format_param

__all__ = [
    "ResponseFormatT",
    "get_input_tool_by_name",
    "has_parseable_input",
    "has_rich_response_format",
    "is_parseable_tool",
    "maybe_parse_content",
    "parse_chat_completion",
    "parse_function_tool_arguments",
    "type_to_response_format_param",
    "validate_input_tools",
]

ResponseFormatT = TypeVar("ResponseFormatT")


def get_input_tool_by_name(*, input_tools: Iterable[Any], name: str) -> Mapping[str, Any] | None:
    """The chat function tool named `name` among `input_tools`, or None."""
    return _tool_by_name(input_tools, name)
