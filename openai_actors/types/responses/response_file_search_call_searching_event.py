from __future__ import annotations

from typing import Literal

from ..._models import BaseModel

__all__ = ["ResponseFileSearchCallSearchingEvent"]


class ResponseFileSearchCallSearchingEvent(BaseModel):
    item_id: str
    output_index: int
    sequence_number: int
    type: Literal["response.file_search_call.searching"]
