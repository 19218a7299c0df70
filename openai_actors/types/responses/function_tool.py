from __future__ import annotations

from typing import Literal

from ..._models import BaseModel
from .._alias import Alias

__all__ = ["FunctionTool"]


class FunctionTool(BaseModel):
    name: str
    parameters: dict[str, object] | None = None
    strict: bool | None = None
    type: Literal["function"]
    allowed_callers: list[Literal["direct", "programmatic"]] | None = None
    async_ = Alias[bool | None]("async", required=False)
    defer_loading: bool | None = None
    description: str | None = None
    output_schema: dict[str, object] | None = None
