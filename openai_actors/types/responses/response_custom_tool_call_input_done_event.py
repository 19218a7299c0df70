from __future__ import annotations

from typing import Literal

from ..._models import BaseModel

__all__ = ["ResponseCustomToolCallInputDoneEvent"]


class ResponseCustomToolCallInputDoneEvent(BaseModel):
    input: str
    item_id: str
    output_index: int
    sequence_number: int
    type: Literal["response.custom_tool_call_input.done"]
