from __future__ import annotations

from typing import Literal, TypeAlias

from ..._models import BaseModel
from .response_input_file import ResponseInputFile
from .response_input_image import ResponseInputImage
from .response_input_text import ResponseInputText

__all__ = [
    "Caller",
    "CallerDirect",
    "CallerProgram",
    "OutputOutputContentList",
    "ResponseFunctionToolCallOutputItem",
]


OutputOutputContentList: TypeAlias = ResponseInputText | ResponseInputImage | ResponseInputFile


class CallerDirect(BaseModel):
    type: Literal["direct"]


class CallerProgram(BaseModel):
    caller_id: str
    type: Literal["program"]


Caller: TypeAlias = CallerDirect | CallerProgram | None


class ResponseFunctionToolCallOutputItem(BaseModel):
    id: str
    output: str | list[OutputOutputContentList]
    status: Literal["in_progress", "completed", "incomplete"]
    type: Literal["function_call_output"]
    call_id: str | None = None
    caller: Caller | None = None
    created_by: str | None = None
    name: str | None = None
    namespace: str | None = None
