from __future__ import annotations

from typing import Literal

from ..._models import BaseModel
from .inline_skill_source import InlineSkillSource

__all__ = ["InlineSkill"]


class InlineSkill(BaseModel):
    description: str
    name: str
    source: InlineSkillSource
    type: Literal["inline"]
