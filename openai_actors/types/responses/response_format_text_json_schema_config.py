from __future__ import annotations

from typing import Literal

from ..._models import BaseModel
from .._alias import Alias

__all__ = ["ResponseFormatTextJSONSchemaConfig"]


class ResponseFormatTextJSONSchemaConfig(BaseModel):
    name: str
    schema_ = Alias[dict[str, object]]("schema")
    type: Literal["json_schema"]
    description: str | None = None
    strict: bool | None = None
