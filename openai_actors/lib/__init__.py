"""The official SDK's `openai.lib` paths that user code imports from: `openai.lib.azure`,
`openai.lib.streaming.chat` and `openai.lib.streaming.responses` (the stream helpers'
events and classes); `pydantic_function_tool` is here as it is there.
"""

from __future__ import annotations

from .._helpers._chat_stream_events import ResponseFormatT
from .._helpers._tools import pydantic_function_tool

__all__ = ["ResponseFormatT", "pydantic_function_tool"]
