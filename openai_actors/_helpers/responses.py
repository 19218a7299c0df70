"""The Responses API's hand-written parts, beside its generated types and resource.

* `ResponseOutputTextMixin` gives the generated `Response` its `output_text`
  property, as the official SDK's: a base class of it (codegen/overrides.toml
  `[model_bases]`). The spec lists `output_text` among the fields, marked as
  computed by the SDKs; no server sends it.
* `parse_response_stream_event` builds each event of `responses.create(stream=True)`
  and `responses.retrieve(stream=True)` (overrides.toml `stream_item`): the class
  is picked by the event's `type` in one dict lookup, and an event of a type this
  package does not know (newer than this release, or a server's own) is yielded
  as `UnknownResponseStreamEvent`, never dropped and never read as another class.
  Both are exported by `openai_actors.types.responses` too (overrides.toml
  `[package_exports]`).

Nothing here imports the generated types at import time: the generated
`Response` module imports this one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast, get_args

from .._models import BaseModel

if TYPE_CHECKING:
    from ..types.responses.response_stream_event import ResponseStreamEvent

__all__ = ["ResponseOutputTextMixin", "UnknownResponseStreamEvent", "parse_response_stream_event"]


class ResponseOutputTextMixin:
    """`output_text`: the text of every `output_text` part of every `message` output item."""

    @property
    def output_text(self) -> str:
        """The text of every `output_text` part of every `message` output item, joined
        (empty when there is none). Items and parts of other types are skipped."""
        texts: list[str] = []
        # getattr: an item or part of a type this package does not know may lack the fields.
        for item in getattr(self, "output", None) or ():
            if getattr(item, "type", None) != "message":
                continue
            for part in getattr(item, "content", None) or ():
                text = getattr(part, "text", None) if getattr(part, "type", None) == "output_text" else None
                if isinstance(text, str):
                    texts.append(text)
        return "".join(texts)


class UnknownResponseStreamEvent(BaseModel):
    """An event whose `type` this package does not know: newer than this release, or a
    server's own. Everything it carries stays readable as attributes and in `to_dict()`."""

    type: str
    sequence_number: int | None = None


# `ResponseStreamEvent` leaves `UnknownResponseStreamEvent` out, as the official union
# does: with a member whose `type` is a plain `str`, type checkers stop narrowing on
# `event.type == "response.output_text.delta"`, the way every streaming example reads
# events. The parser still returns the unknown class at run time; tell it apart with
# `isinstance(event, UnknownResponseStreamEvent)`.

_event_classes: dict[str, type[BaseModel]] | None = None


def _build_event_classes() -> dict[str, type[BaseModel]]:
    global _event_classes
    from ..types.responses.response_stream_event import ResponseStreamEvent

    table: dict[str, type[BaseModel]] = {}
    for cls in get_args(ResponseStreamEvent):
        for tag in get_args(cls.__field_types__()["type"]):
            table[tag] = cls
    _event_classes = table  # published whole, so no thread sees a half-built table
    return table


def parse_response_stream_event(data: dict[str, Any]) -> ResponseStreamEvent:
    """The typed event for one decoded server-sent event of a streamed response.

    Picks the class by `data["type"]` with one dict lookup; a type not known here
    gives an `UnknownResponseStreamEvent` (never dropped, never another class)."""
    table = _event_classes
    if table is None:
        table = _build_event_classes()
    tag = data.get("type")
    cls = table.get(tag, UnknownResponseStreamEvent) if isinstance(tag, str) else UnknownResponseStreamEvent
    return cast("ResponseStreamEvent", cls._from_raw(data))
