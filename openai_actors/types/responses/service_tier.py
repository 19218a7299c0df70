from __future__ import annotations

from typing import Literal, TypeAlias

__all__ = ["ServiceTier"]


ServiceTier: TypeAlias = Literal["auto", "default", "flex", "scale", "priority", "fast", "ultrafast"] | None
