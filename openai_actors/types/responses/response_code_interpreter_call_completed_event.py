from __future__ import annotations

from typing import Literal

from ..._models import BaseModel

__all__ = ["ResponseCodeInterpreterCallCompletedEvent"]


class ResponseCodeInterpreterCallCompletedEvent(BaseModel):
    item_id: str
    output_index: int
    sequence_number: int
    type: Literal["response.code_interpreter_call.completed"]
