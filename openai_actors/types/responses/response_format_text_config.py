from __future__ import annotations

from typing import TypeAlias

from ..shared.response_format_json_object import ResponseFormatJSONObject
from ..shared.response_format_text import ResponseFormatText
from .response_format_text_json_schema_config import ResponseFormatTextJSONSchemaConfig

__all__ = ["ResponseFormatTextConfig"]


ResponseFormatTextConfig: TypeAlias = (
    ResponseFormatText | ResponseFormatTextJSONSchemaConfig | ResponseFormatJSONObject
)
