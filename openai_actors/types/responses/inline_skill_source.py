from __future__ import annotations

from typing import Literal

from ..._models import BaseModel

__all__ = ["InlineSkillSource"]


class InlineSkillSource(BaseModel):
    data: str
    media_type: Literal["application/zip"]
    type: Literal["base64"]
