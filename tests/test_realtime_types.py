"""The GA Realtime types (`openai_actors.types.realtime`), generated from the spec's Realtime schemas.

They carry the official SDK 3.3.1's names; the server and client unions parse by
`type`; each event class has the official class's fields.
"""

from __future__ import annotations

import typing

import pytest

from openai_actors._models import BaseModel, as_cast
from openai_actors.types import realtime
from openai_actors.types.realtime import (
    ConversationItemAdded,
    RealtimeClientEvent,
    RealtimeClientEventParam,
    RealtimeServerEvent,
    ResponseTextDeltaEvent,
    SessionUpdateEventParam,
)


def _members(union: object) -> list[type[BaseModel]]:
    return [m for m in typing.get_args(union) if isinstance(m, type)]


def test_the_official_names_import_and_the_server_union_parses_by_type() -> None:
    """A text delta becomes ResponseTextDeltaEvent, an item event ConversationItemAdded."""
    parse = as_cast(RealtimeServerEvent)
    delta = parse(
        {
            "event_id": "e1",
            "type": "response.output_text.delta",
            "response_id": "r",
            "item_id": "i",
            "output_index": 0,
            "content_index": 0,
            "delta": "Hi",
        }
    )
    assert isinstance(delta, ResponseTextDeltaEvent)
    assert "Hi" == delta.delta
    item = {"id": "i", "type": "message", "role": "user", "content": [{"type": "input_text", "text": "x"}]}
    added = parse({"event_id": "e2", "type": "conversation.item.added", "item": item})
    assert isinstance(added, ConversationItemAdded)
    assert "x" == added.item.content[0].text


def test_every_member_of_either_union_has_its_own_type() -> None:
    """No two members share a `type`, so the tag alone picks the class."""
    for union in (RealtimeServerEvent, RealtimeClientEvent):
        tags = [typing.get_args(m.__field_types__()["type"]) for m in _members(union)]
        assert all(len(tag) == 1 for tag in tags)
        assert len(tags) == len(set(tags))
    assert 11 == len(_members(RealtimeClientEvent))


def test_client_events_are_typed_dicts_with_a_required_type() -> None:
    """What `connection.send(...)` takes: the Param forms, `type` required."""
    event: SessionUpdateEventParam = {"type": "session.update", "session": {"type": "realtime"}}
    assert "session.update" == event["type"]
    for member in typing.get_args(RealtimeClientEventParam):
        hints = typing.get_type_hints(member, include_extras=True)
        assert typing.Required is typing.get_origin(hints["type"]), member


def test_each_event_class_has_the_official_fields() -> None:
    """Against the official 3.3.1 classes of the same names: the same field names."""
    official = pytest.importorskip("openai.types.realtime")
    compared = 0
    for union_name in ("RealtimeServerEvent", "RealtimeClientEvent"):
        union = getattr(official, union_name)
        if typing.get_origin(union) is typing.Annotated:  # the official unions carry a discriminator
            union = typing.get_args(union)[0]
        theirs = {m.__name__: m for m in typing.get_args(union) if isinstance(m, type)}
        for ours in _members(getattr(realtime, union_name)):
            twin = theirs[ours.__name__]
            assert set(twin.model_fields) == set(ours.__fields__), ours.__name__
            compared += 1
    assert compared >= 55
