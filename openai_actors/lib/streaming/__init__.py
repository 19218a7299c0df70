"""The official SDK's `openai.lib.streaming`: the Assistants event handlers and stream managers
here, as there (the chat and responses stream helpers are in its `chat` and `responses`
subpackages)."""

from ..._helpers.assistant_events import (
    AssistantEventHandler,
    AssistantEventHandlerT,
    AssistantStreamManager,
    AsyncAssistantEventHandler,
    AsyncAssistantEventHandlerT,
    AsyncAssistantStreamManager,
)

__all__ = [
    "AssistantEventHandler",
    "AssistantEventHandlerT",
    "AssistantStreamManager",
    "AsyncAssistantEventHandler",
    "AsyncAssistantEventHandlerT",
    "AsyncAssistantStreamManager",
]
