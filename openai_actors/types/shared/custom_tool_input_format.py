from __future__ import annotations

from typing import Literal, TypeAlias

from ..._models import BaseModel

__all__ = ["CustomToolInputFormat", "Grammar", "Text"]


class Text(BaseModel):
    type: Literal["text"]


class Grammar(BaseModel):
    definition: str
    syntax: Literal["lark", "regex"]
    type: Literal["grammar"]


CustomToolInputFormat: TypeAlias = Text | Grammar
