from __future__ import annotations

from typing import Literal

from ..._models import BaseModel
from .tool import Tool

__all__ = ["ResponseToolSearchOutputItem"]


class ResponseToolSearchOutputItem(BaseModel):
    id: str
    call_id: str | None = None
    execution: Literal["server", "client"]
    status: Literal["in_progress", "completed", "incomplete"]
    tools: list[Tool]
    type: Literal["tool_search_output"]
    created_by: str | None = None
