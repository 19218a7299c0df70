from __future__ import annotations

from typing import Literal

from ..._models import BaseModel

__all__ = ["SkillReference"]


class SkillReference(BaseModel):
    skill_id: str
    type: Literal["skill_reference"]
    version: str | None = None
