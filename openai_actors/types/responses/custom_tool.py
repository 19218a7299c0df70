from __future__ import annotations

from typing import Literal

from ..._models import BaseModel
from .._alias import Alias
from ..shared.custom_tool_input_format import CustomToolInputFormat

__all__ = ["CustomTool"]


class CustomTool(BaseModel):
    name: str
    type: Literal["custom"]
    allowed_callers: list[Literal["direct", "programmatic"]] | None = None
    async_ = Alias[bool | None]("async", required=False)
    defer_loading: bool | None = None
    description: str | None = None
    format: CustomToolInputFormat | None = None
