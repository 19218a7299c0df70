"""`openai.lib._pydantic`'s `to_strict_json_schema`, where ported code imports it from.

Private in the official SDK too; kept at the same path because libraries built on the
official SDK import it. The implementation is `openai_actors/_helpers/_schema.py`.
"""

from __future__ import annotations

from .._helpers._schema import is_pydantic_model as is_basemodel_type
from .._helpers._schema import to_strict_json_schema

__all__ = ["is_basemodel_type", "to_strict_json_schema"]
