from __future__ import annotations

from ..._models import BaseModel

__all__ = ["LocalSkill"]


class LocalSkill(BaseModel):
    description: str
    name: str
    path: str
