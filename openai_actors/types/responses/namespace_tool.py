from __future__ import annotations

from typing import Literal, TypeAlias

from ..._models import BaseModel
from .._alias import Alias
from .custom_tool import CustomTool

__all__ = ["NamespaceTool", "Tool", "ToolFunction"]


class ToolFunction(BaseModel):
    name: str
    type: Literal["function"]
    allowed_callers: list[Literal["direct", "programmatic"]] | None = None
    async_ = Alias[bool | None]("async", required=False)
    defer_loading: bool | None = None
    description: str | None = None
    output_schema: dict[str, object] | None = None
    parameters: object | None = None
    strict: bool | None = None


Tool: TypeAlias = ToolFunction | CustomTool


class NamespaceTool(BaseModel):
    description: str
    name: str
    tools: list[Tool]
    type: Literal["namespace"]
