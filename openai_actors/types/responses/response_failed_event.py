from __future__ import annotations

from typing import Literal

from ..._models import BaseModel
from .response import Response

__all__ = ["ResponseFailedEvent"]


class ResponseFailedEvent(BaseModel):
    response: Response
    sequence_number: int
    type: Literal["response.failed"]
