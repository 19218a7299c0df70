from __future__ import annotations

from typing import Literal

from .._models import BaseModel
from ._alias import Alias

__all__ = ["Categories", "CategoryAppliedInputTypes", "CategoryScores", "Moderation"]


class Categories(BaseModel):
    harassment: bool
    harassment_threatening = Alias[bool]("harassment/threatening")
    hate: bool
    hate_threatening = Alias[bool]("hate/threatening")
    illicit: bool | None = None
    illicit_violent = Alias[bool | None]("illicit/violent", required=False)
    self_harm = Alias[bool]("self-harm")
    self_harm_instructions = Alias[bool]("self-harm/instructions")
    self_harm_intent = Alias[bool]("self-harm/intent")
    sexual: bool
    sexual_minors = Alias[bool]("sexual/minors")
    violence: bool
    violence_graphic = Alias[bool]("violence/graphic")


class CategoryAppliedInputTypes(BaseModel):
    harassment: list[Literal["text"]]
    harassment_threatening = Alias[list[Literal["text"]]]("harassment/threatening")
    hate: list[Literal["text"]]
    hate_threatening = Alias[list[Literal["text"]]]("hate/threatening")
    illicit: list[Literal["text"]]
    illicit_violent = Alias[list[Literal["text"]]]("illicit/violent")
    self_harm = Alias[list[Literal["text", "image"]]]("self-harm")
    self_harm_instructions = Alias[list[Literal["text", "image"]]]("self-harm/instructions")
    self_harm_intent = Alias[list[Literal["text", "image"]]]("self-harm/intent")
    sexual: list[Literal["text", "image"]]
    sexual_minors = Alias[list[Literal["text"]]]("sexual/minors")
    violence: list[Literal["text", "image"]]
    violence_graphic = Alias[list[Literal["text", "image"]]]("violence/graphic")


class CategoryScores(BaseModel):
    harassment: float
    harassment_threatening = Alias[float]("harassment/threatening")
    hate: float
    hate_threatening = Alias[float]("hate/threatening")
    illicit: float
    illicit_violent = Alias[float]("illicit/violent")
    self_harm = Alias[float]("self-harm")
    self_harm_instructions = Alias[float]("self-harm/instructions")
    self_harm_intent = Alias[float]("self-harm/intent")
    sexual: float
    sexual_minors = Alias[float]("sexual/minors")
    violence: float
    violence_graphic = Alias[float]("violence/graphic")


class Moderation(BaseModel):
    categories: Categories
    category_applied_input_types: CategoryAppliedInputTypes
    category_scores: CategoryScores
    flagged: bool
