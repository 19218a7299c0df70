from __future__ import annotations

from typing import Literal, TypeAlias

from ..._models import BaseModel
from .response_container_reference import ResponseContainerReference
from .response_local_environment import ResponseLocalEnvironment

__all__ = [
    "Action",
    "Caller",
    "CallerDirect",
    "CallerProgram",
    "Environment",
    "ResponseFunctionShellToolCall",
]


class Action(BaseModel):
    commands: list[str]
    max_output_length: int | None = None
    timeout_ms: int | None = None


Environment: TypeAlias = ResponseLocalEnvironment | ResponseContainerReference | None


class CallerDirect(BaseModel):
    type: Literal["direct"]


class CallerProgram(BaseModel):
    caller_id: str
    type: Literal["program"]


Caller: TypeAlias = CallerDirect | CallerProgram | None


class ResponseFunctionShellToolCall(BaseModel):
    id: str
    action: Action
    call_id: str
    environment: Environment | None = None
    status: Literal["in_progress", "completed", "incomplete"]
    type: Literal["shell_call"]
    caller: Caller | None = None
    created_by: str | None = None
