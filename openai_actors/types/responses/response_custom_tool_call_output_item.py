from __future__ import annotations

from typing import Literal

from .response_custom_tool_call_output import ResponseCustomToolCallOutput

__all__ = ["ResponseCustomToolCallOutputItem"]


class ResponseCustomToolCallOutputItem(ResponseCustomToolCallOutput):
    id: str
    status: Literal["in_progress", "completed", "incomplete"]
    created_by: str | None = None
