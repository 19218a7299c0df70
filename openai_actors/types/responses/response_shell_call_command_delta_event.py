from __future__ import annotations

from typing import Literal

from ..._models import BaseModel

__all__ = ["ResponseShellCallCommandDeltaEvent"]


class ResponseShellCallCommandDeltaEvent(BaseModel):
    command_index: int
    delta: str
    output_index: int
    sequence_number: int
    type: Literal["response.shell_call_command.delta"]
    obfuscation: str | None = None
