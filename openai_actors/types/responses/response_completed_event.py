from __future__ import annotations

from typing import Literal

from ..._models import BaseModel
from .response import Response

__all__ = ["ResponseCompletedEvent"]


class ResponseCompletedEvent(BaseModel):
    response: Response
    sequence_number: int
    type: Literal["response.completed"]
