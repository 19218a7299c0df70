from __future__ import annotations

from typing import Literal

from ..._models import BaseModel

__all__ = ["ApplyPatchTool"]


class ApplyPatchTool(BaseModel):
    type: Literal["apply_patch"]
    allowed_callers: list[Literal["direct", "programmatic"]] | None = None
