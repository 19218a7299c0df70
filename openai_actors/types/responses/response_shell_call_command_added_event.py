from __future__ import annotations

from typing import Literal

from ..._models import BaseModel

__all__ = ["ResponseShellCallCommandAddedEvent"]


class ResponseShellCallCommandAddedEvent(BaseModel):
    command: str
    command_index: int
    output_index: int
    sequence_number: int
    type: Literal["response.shell_call_command.added"]
