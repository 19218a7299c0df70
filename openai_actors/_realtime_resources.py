"""The realtime connection's helpers (`connection.session.update(...)` and the rest): the official 3.3.1 surface.

Each helper builds one client event and hands it to the connection's `send`.
Written once for both connections: `R` is what that `send` returns, an
awaitable for `AsyncRealtimeConnection` (so `await connection.session.update(...)`)
and None for the sync `RealtimeConnection`.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from ._types import Omit, omit

if TYPE_CHECKING:
    from .types.realtime.client_secret_create_params import SessionRealtime, SessionTranscription
    from .types.realtime.conversation_item_param import ConversationItemParam
    from .types.realtime.realtime_response_create_params_param import RealtimeResponseCreateParamsParam

__all__ = [
    "ConversationItemResource",
    "ConversationResource",
    "InputAudioBufferResource",
    "OutputAudioBufferResource",
    "ResponseResource",
    "SessionResource",
]

R = TypeVar("R")


class _Resource(Generic[R]):
    def __init__(self, send: Callable[[dict[str, Any]], R]) -> None:
        self._send = send

    def _event(self, kind: str, **fields: object) -> R:
        # Omitted arguments are left out of the event, as the official SDK's strip_not_given does.
        return self._send({"type": kind, **{k: v for k, v in fields.items() if not isinstance(v, Omit)}})


class SessionResource(_Resource[R]):
    def update(self, *, session: SessionRealtime | SessionTranscription, event_id: str | Omit = omit) -> R:
        """Update the session's configuration (`session.update`); the server answers `session.updated`."""
        return self._event("session.update", session=session, event_id=event_id)


class ResponseResource(_Resource[R]):
    def create(
        self, *, event_id: str | Omit = omit, response: RealtimeResponseCreateParamsParam | Omit = omit
    ) -> R:
        """Ask the model for a response (`response.create`), with optional per-response settings."""
        return self._event("response.create", event_id=event_id, response=response)

    def cancel(self, *, event_id: str | Omit = omit, response_id: str | Omit = omit) -> R:
        """Cancel the response in progress, or the one named (`response.cancel`)."""
        return self._event("response.cancel", event_id=event_id, response_id=response_id)


class InputAudioBufferResource(_Resource[R]):
    def clear(self, *, event_id: str | Omit = omit) -> R:
        """Empty the input audio buffer (`input_audio_buffer.clear`)."""
        return self._event("input_audio_buffer.clear", event_id=event_id)

    def commit(self, *, event_id: str | Omit = omit) -> R:
        """Make the buffered audio a user message (`input_audio_buffer.commit`)."""
        return self._event("input_audio_buffer.commit", event_id=event_id)

    def append(self, *, audio: str, event_id: str | Omit = omit) -> R:
        """Append base64-encoded audio to the input buffer (`input_audio_buffer.append`)."""
        if not isinstance(audio, str):
            raise TypeError(f"audio must be base64-encoded audio as a str, not {type(audio).__name__}")
        return self._event("input_audio_buffer.append", audio=audio, event_id=event_id)


class OutputAudioBufferResource(_Resource[R]):
    def clear(self, *, event_id: str | Omit = omit) -> R:
        """Stop the audio being played out and empty the output buffer (`output_audio_buffer.clear`, WebRTC/SIP)."""
        return self._event("output_audio_buffer.clear", event_id=event_id)


class ConversationItemResource(_Resource[R]):
    def create(
        self, *, item: ConversationItemParam, event_id: str | Omit = omit, previous_item_id: str | Omit = omit
    ) -> R:
        """Add an item (a message, a function call or its output) to the conversation."""
        return self._event(
            "conversation.item.create", item=item, event_id=event_id, previous_item_id=previous_item_id
        )

    def delete(self, *, item_id: str, event_id: str | Omit = omit) -> R:
        return self._event("conversation.item.delete", item_id=item_id, event_id=event_id)

    def truncate(
        self, *, audio_end_ms: int, content_index: int, item_id: str, event_id: str | Omit = omit
    ) -> R:
        """Cut an assistant message's audio at `audio_end_ms` (what the user actually heard)."""
        return self._event(
            "conversation.item.truncate",
            audio_end_ms=audio_end_ms,
            content_index=content_index,
            item_id=item_id,
            event_id=event_id,
        )

    def retrieve(self, *, item_id: str, event_id: str | Omit = omit) -> R:
        """Ask for the server's copy of an item (`conversation.item.retrieve`)."""
        return self._event("conversation.item.retrieve", item_id=item_id, event_id=event_id)


class ConversationResource(_Resource[R]):
    @cached_property
    def item(self) -> ConversationItemResource[R]:
        return ConversationItemResource(self._send)
