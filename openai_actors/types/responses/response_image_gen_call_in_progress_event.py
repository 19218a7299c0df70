from __future__ import annotations

from typing import Literal

from ..._models import BaseModel

__all__ = ["ResponseImageGenCallInProgressEvent"]


class ResponseImageGenCallInProgressEvent(BaseModel):
    item_id: str
    output_index: int
    sequence_number: int
    type: Literal["response.image_generation_call.in_progress"]
