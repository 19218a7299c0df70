from __future__ import annotations

from typing import Literal, TypeAlias

from ..._models import BaseModel
from .response_output_refusal import ResponseOutputRefusal
from .response_output_text import ResponseOutputText

__all__ = ["Part", "PartReasoningText", "ResponseContentPartAddedEvent"]


class PartReasoningText(BaseModel):
    text: str
    type: Literal["reasoning_text"]


Part: TypeAlias = ResponseOutputText | ResponseOutputRefusal | PartReasoningText


class ResponseContentPartAddedEvent(BaseModel):
    content_index: int
    item_id: str
    output_index: int
    part: Part
    sequence_number: int
    type: Literal["response.content_part.added"]
