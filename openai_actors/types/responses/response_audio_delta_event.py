from __future__ import annotations

from typing import Literal

from ..._models import BaseModel

__all__ = ["ResponseAudioDeltaEvent"]


class ResponseAudioDeltaEvent(BaseModel):
    delta: str
    sequence_number: int
    type: Literal["response.audio.delta"]
