from __future__ import annotations

from typing import Literal, TypeAlias

from ..._models import BaseModel

__all__ = [
    "Caller",
    "CallerDirect",
    "CallerProgram",
    "Output",
    "OutputOutcome",
    "OutputOutcomeExit",
    "OutputOutcomeTimeout",
    "ResponseFunctionShellToolCallOutput",
]


class OutputOutcomeTimeout(BaseModel):
    type: Literal["timeout"]


class OutputOutcomeExit(BaseModel):
    exit_code: int
    type: Literal["exit"]


OutputOutcome: TypeAlias = OutputOutcomeTimeout | OutputOutcomeExit


class Output(BaseModel):
    outcome: OutputOutcome
    stderr: str
    stdout: str
    created_by: str | None = None


class CallerDirect(BaseModel):
    type: Literal["direct"]


class CallerProgram(BaseModel):
    caller_id: str
    type: Literal["program"]


Caller: TypeAlias = CallerDirect | CallerProgram | None


class ResponseFunctionShellToolCallOutput(BaseModel):
    id: str
    call_id: str
    max_output_length: int | None = None
    output: list[Output]
    status: Literal["in_progress", "completed", "incomplete"]
    type: Literal["shell_call_output"]
    caller: Caller | None = None
    created_by: str | None = None
