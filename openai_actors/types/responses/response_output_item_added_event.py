from __future__ import annotations

from typing import Literal

from ..._models import BaseModel
from .response_output_item import ResponseOutputItem

__all__ = ["ResponseOutputItemAddedEvent"]


class ResponseOutputItemAddedEvent(BaseModel):
    item: ResponseOutputItem
    output_index: int
    sequence_number: int
    type: Literal["response.output_item.added"]
