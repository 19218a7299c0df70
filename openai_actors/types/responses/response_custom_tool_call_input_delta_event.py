from __future__ import annotations

from typing import Literal

from ..._models import BaseModel

__all__ = ["ResponseCustomToolCallInputDeltaEvent"]


class ResponseCustomToolCallInputDeltaEvent(BaseModel):
    delta: str
    item_id: str
    output_index: int
    sequence_number: int
    type: Literal["response.custom_tool_call_input.delta"]
