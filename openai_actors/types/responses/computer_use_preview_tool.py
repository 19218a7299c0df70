from __future__ import annotations

from typing import Literal

from ..._models import BaseModel

__all__ = ["ComputerUsePreviewTool"]


class ComputerUsePreviewTool(BaseModel):
    display_height: int
    display_width: int
    environment: Literal["windows", "mac", "linux", "ubuntu", "browser"]
    type: Literal["computer_use_preview"]
