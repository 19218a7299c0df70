from __future__ import annotations

from typing import Literal, TypeAlias

from ..._models import BaseModel
from .._alias import Alias

__all__ = ["Caller", "CallerDirect", "CallerProgram", "ResponseCustomToolCall"]


class CallerDirect(BaseModel):
    type: Literal["direct"]


class CallerProgram(BaseModel):
    caller_id: str
    type: Literal["program"]


Caller: TypeAlias = CallerDirect | CallerProgram | None


class ResponseCustomToolCall(BaseModel):
    call_id: str
    input: str
    name: str
    type: Literal["custom_tool_call"]
    id: str | None = None
    async_ = Alias[bool | None]("async", required=False)
    caller: Caller | None = None
    namespace: str | None = None
