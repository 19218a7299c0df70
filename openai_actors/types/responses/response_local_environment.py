from __future__ import annotations

from typing import Literal

from ..._models import BaseModel

__all__ = ["ResponseLocalEnvironment"]


class ResponseLocalEnvironment(BaseModel):
    type: Literal["local"]
