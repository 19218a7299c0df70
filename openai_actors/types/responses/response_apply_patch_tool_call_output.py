from __future__ import annotations

from typing import Literal, TypeAlias

from ..._models import BaseModel

__all__ = ["Caller", "CallerDirect", "CallerProgram", "ResponseApplyPatchToolCallOutput"]


class CallerDirect(BaseModel):
    type: Literal["direct"]


class CallerProgram(BaseModel):
    caller_id: str
    type: Literal["program"]


Caller: TypeAlias = CallerDirect | CallerProgram | None


class ResponseApplyPatchToolCallOutput(BaseModel):
    id: str
    call_id: str
    status: Literal["completed", "failed"]
    type: Literal["apply_patch_call_output"]
    caller: Caller | None = None
    created_by: str | None = None
    output: str | None = None
