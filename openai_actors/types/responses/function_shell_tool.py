from __future__ import annotations

from typing import Literal, TypeAlias

from ..._models import BaseModel
from .container_auto import ContainerAuto
from .container_reference import ContainerReference
from .local_environment import LocalEnvironment

__all__ = ["Environment", "FunctionShellTool"]


Environment: TypeAlias = ContainerAuto | LocalEnvironment | ContainerReference | None


class FunctionShellTool(BaseModel):
    type: Literal["shell"]
    allowed_callers: list[Literal["direct", "programmatic"]] | None = None
    environment: Environment | None = None
