from __future__ import annotations

from typing import Literal

from ..._models import BaseModel

__all__ = ["ResponseContainerReference"]


class ResponseContainerReference(BaseModel):
    container_id: str
    type: Literal["container_reference"]
