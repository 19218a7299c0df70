from __future__ import annotations

from typing import Literal, TypeAlias

__all__ = ["ResponseStatus"]


ResponseStatus: TypeAlias = Literal["completed", "failed", "in_progress", "cancelled", "queued", "incomplete"]
