"""`openai.lib._parsing._responses`, over `openai_actors/_helpers/_parsing.py`."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

from ..._helpers._parsing import parse_response, parse_text
from ..._helpers._parsing import parse_response_function_tool_arguments as parse_function_tool_arguments
from ..._helpers._parsing import responses_tool_by_name as _responses_tool_by_name
from ..._helpers._parsing import type_to_text_format as type_to_text_format_param

__all__ = [
    "TextFormatT",
    "get_input_tool_by_name",
    "parse_function_tool_arguments",
    "parse_response",
    "parse_text",
    "type_to_text_format_param",
]

TextFormatT = TypeVar("TextFormatT")


def get_input_tool_by_name(*, input_tools: Iterable[Any], name: str) -> Mapping[str, Any] | None:
    """The Responses function tool named `name` among `input_tools`, or None."""
    return _responses_tool_by_name(input_tools, name)
