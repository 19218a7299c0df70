from __future__ import annotations

from .._models import BaseModel
from .moderation import Moderation

__all__ = ["CreateModerationResponse", "ModerationCreateResponse"]


class ModerationCreateResponse(BaseModel):
    id: str
    model: str
    results: list[Moderation]


# The name this response has in the API reference ("CreateModerationResponse").
CreateModerationResponse = ModerationCreateResponse
