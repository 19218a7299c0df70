from __future__ import annotations

from typing import Literal

from ..._models import BaseModel

__all__ = ["ResponseErrorEvent"]


class ResponseErrorEvent(BaseModel):
    code: str | None = None
    message: str
    param: str | None = None
    sequence_number: int
    type: Literal["error"]
