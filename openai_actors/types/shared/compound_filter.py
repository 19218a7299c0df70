from __future__ import annotations

from typing import Literal, TypeAlias

from ..._models import BaseModel
from .comparison_filter import ComparisonFilter

__all__ = ["CompoundFilter", "Filter"]


Filter: TypeAlias = ComparisonFilter | object


class CompoundFilter(BaseModel):
    filters: list[Filter]
    type: Literal["and", "or"]
