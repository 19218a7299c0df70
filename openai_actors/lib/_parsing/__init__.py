"""`openai.lib._parsing`: the structured-output parsing functions, where ported code imports them from.

Private in the official SDK too; kept at the same paths (`._completions`, `._responses`)
because libraries built on the official SDK import them. The implementation is
`openai_actors/_helpers/_parsing.py`.
"""

from __future__ import annotations

from ._completions import (
    ResponseFormatT,
    get_input_tool_by_name,
    has_parseable_input,
    maybe_parse_content,
    parse_chat_completion,
    parse_function_tool_arguments,
    type_to_response_format_param,
    validate_input_tools,
)

__all__ = [
    "ResponseFormatT",
    "get_input_tool_by_name",
    "has_parseable_input",
    "maybe_parse_content",
    "parse_chat_completion",
    "parse_function_tool_arguments",
    "type_to_response_format_param",
    "validate_input_tools",
]
