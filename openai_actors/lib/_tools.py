"""`openai.lib._tools`: the pydantic function tools, where ported code imports them from.

The implementation is `openai_actors/_helpers/_tools.py`.
"""

from __future__ import annotations

from .._helpers._tools import (
    PydanticFunctionTool,
    ResponsesPydanticFunctionTool,
    pydantic_function_tool,
    pydantic_responses_function_tool,
)

__all__ = [
    "PydanticFunctionTool",
    "ResponsesPydanticFunctionTool",
    "pydantic_function_tool",
    "pydantic_responses_function_tool",
]
