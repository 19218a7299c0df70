from __future__ import annotations

from ..._models import BaseModel

__all__ = ["ContainerNetworkPolicyDomainSecret"]


class ContainerNetworkPolicyDomainSecret(BaseModel):
    domain: str
    name: str
    value: str
