from __future__ import annotations

from typing import Literal

from ..._models import BaseModel

__all__ = ["ResponseReasoningTextDeltaEvent"]


class ResponseReasoningTextDeltaEvent(BaseModel):
    content_index: int
    delta: str
    item_id: str
    output_index: int
    sequence_number: int
    type: Literal["response.reasoning_text.delta"]
