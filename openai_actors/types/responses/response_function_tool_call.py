from __future__ import annotations

from typing import Literal, TypeAlias

from ..._models import BaseModel
from .._alias import Alias

__all__ = ["Caller", "CallerDirect", "CallerProgram", "ResponseFunctionToolCall"]


class CallerDirect(BaseModel):
    type: Literal["direct"]


class CallerProgram(BaseModel):
    caller_id: str
    type: Literal["program"]


Caller: TypeAlias = CallerDirect | CallerProgram | None


class ResponseFunctionToolCall(BaseModel):
    arguments: str
    call_id: str
    name: str
    type: Literal["function_call"]
    id: str | None = None
    async_ = Alias[bool | None]("async", required=False)
    caller: Caller | None = None
    namespace: str | None = None
    status: Literal["in_progress", "completed", "incomplete"] | None = None
