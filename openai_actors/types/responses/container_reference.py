from __future__ import annotations

from typing import Literal

from ..._models import BaseModel

__all__ = ["ContainerReference"]


class ContainerReference(BaseModel):
    container_id: str
    type: Literal["container_reference"]
