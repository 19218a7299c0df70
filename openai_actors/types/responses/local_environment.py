from __future__ import annotations

from typing import Literal

from ..._models import BaseModel
from .local_skill import LocalSkill

__all__ = ["LocalEnvironment"]


class LocalEnvironment(BaseModel):
    type: Literal["local"]
    skills: list[LocalSkill] | None = None
