from __future__ import annotations

from typing import Literal, TypeAlias

from ..._models import BaseModel
from .response_output_refusal import ResponseOutputRefusal
from .response_output_text import ResponseOutputText

__all__ = ["Content", "ResponseOutputMessage"]


Content: TypeAlias = ResponseOutputText | ResponseOutputRefusal


class ResponseOutputMessage(BaseModel):
    id: str
    content: list[Content]
    role: Literal["assistant"]
    status: Literal["in_progress", "completed", "incomplete"]
    type: Literal["message"]
    phase: Literal["commentary", "final_answer"] | None = None
