"""The official SDK's `openai.lib`, where ported code imports helpers from.

`openai_actors.lib.streaming.chat` and `openai_actors.lib.streaming.responses` hold the
stream helpers' events and classes; `pydantic_function_tool` is here as it is there.
"""

from __future__ import annotations

from .._helpers._chat_stream_events import ResponseFormatT
from .._helpers._tools import pydantic_function_tool

__all__ = ["ResponseFormatT", "pydantic_function_tool"]
