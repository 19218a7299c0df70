from __future__ import annotations

from typing import Literal, TypeAlias

from ..._models import BaseModel

__all__ = [
    "Output",
    "OutputOutcome",
    "OutputOutcomeExit",
    "OutputOutcomeTimeout",
    "ResponseShellCallOutputContentDoneEvent",
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


class ResponseShellCallOutputContentDoneEvent(BaseModel):
    command_index: int
    item_id: str
    output: list[Output]
    output_index: int
    sequence_number: int
    type: Literal["response.shell_call_output_content.done"]
