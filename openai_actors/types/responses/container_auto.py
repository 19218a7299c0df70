from __future__ import annotations

from typing import Literal, TypeAlias

from ..._models import BaseModel
from .container_network_policy_allowlist import ContainerNetworkPolicyAllowlist
from .container_network_policy_disabled import ContainerNetworkPolicyDisabled
from .inline_skill import InlineSkill
from .skill_reference import SkillReference

__all__ = ["ContainerAuto", "NetworkPolicy", "Skill"]


NetworkPolicy: TypeAlias = ContainerNetworkPolicyDisabled | ContainerNetworkPolicyAllowlist


Skill: TypeAlias = SkillReference | InlineSkill


class ContainerAuto(BaseModel):
    type: Literal["container_auto"]
    file_ids: list[str] | None = None
    memory_limit: Literal["1g", "4g", "16g", "64g"] | None = None
    network_policy: NetworkPolicy | None = None
    skills: list[Skill] | None = None
