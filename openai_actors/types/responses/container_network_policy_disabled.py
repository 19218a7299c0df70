from __future__ import annotations

from typing import Literal

from ..._models import BaseModel

__all__ = ["ContainerNetworkPolicyDisabled"]


class ContainerNetworkPolicyDisabled(BaseModel):
    type: Literal["disabled"]
