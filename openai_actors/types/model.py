from __future__ import annotations

from typing import Literal

from .._models import BaseModel

__all__ = ["Model", "ModelDeleted"]


class Model(BaseModel):
    id: str
    created: int
    object: Literal["model"]
    owned_by: str
    shutdown_date: str | None = None


class ModelDeleted(BaseModel):
    id: str
    deleted: bool
    object: str
