from __future__ import annotations

from typing import Literal

from ..._models import BaseModel

__all__ = ["ComputerTool"]


class ComputerTool(BaseModel):
    type: Literal["computer"]
