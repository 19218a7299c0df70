from __future__ import annotations

from typing import Literal, TypeAlias

from ..._models import BaseModel

__all__ = [
    "Caller",
    "CallerDirect",
    "CallerProgram",
    "Operation",
    "OperationCreateFile",
    "OperationDeleteFile",
    "OperationUpdateFile",
    "ResponseApplyPatchToolCall",
]


class OperationCreateFile(BaseModel):
    diff: str
    path: str
    type: Literal["create_file"]


class OperationDeleteFile(BaseModel):
    path: str
    type: Literal["delete_file"]


class OperationUpdateFile(BaseModel):
    diff: str
    path: str
    type: Literal["update_file"]


Operation: TypeAlias = OperationCreateFile | OperationDeleteFile | OperationUpdateFile


class CallerDirect(BaseModel):
    type: Literal["direct"]


class CallerProgram(BaseModel):
    caller_id: str
    type: Literal["program"]


Caller: TypeAlias = CallerDirect | CallerProgram | None


class ResponseApplyPatchToolCall(BaseModel):
    id: str
    call_id: str
    operation: Operation
    status: Literal["in_progress", "completed"]
    type: Literal["apply_patch_call"]
    caller: Caller | None = None
    created_by: str | None = None
