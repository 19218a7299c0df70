"""Specification of the mock's Realtime conversation (openai_actors.mock._realtime), without I/O.

Client events go in as text, server events come out as dicts; a response's
events after ``response.created`` are pulled one at a time, as the connection
does. Every event the session produces is also checked against the GA types
(ours, and the official SDK's when it is installed).
"""

from __future__ import annotations

import base64
import json
import typing
from typing import Any

import pytest

from openai_actors._models import as_cast
from openai_actors.mock._realtime import RealtimeSession
from openai_actors.types.realtime import RealtimeServerEvent

_parse = as_cast(RealtimeServerEvent)


def say(text: str) -> str:
    return json.dumps(
        {
            "type": "conversation.item.create",
            "item": {"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]},
        }
    )


def drain(session: RealtimeSession) -> list[dict[str, Any]]:
    events = []
    while (event := session.next_event()) is not None:
        events.append(event)
    return events


def text_session() -> RealtimeSession:
    session = RealtimeSession("gpt-realtime", 7, now=lambda: 1_000)
    session.receive(
        '{"type": "session.update", "session": {"type": "realtime", "output_modalities": ["text"]}}'
    )
    return session


class TestSession:
    def test_the_session_starts_with_ga_defaults_and_a_fixed_clock(self) -> None:
        """`now` is passed in: expires_at is an hour after it; ids carry the connection number."""
        [created] = RealtimeSession("m", 7, now=lambda: 1_000).opened()
        assert ("session.created", "event_7_1") == (created["type"], created["event_id"])
        session = created["session"]
        assert ("sess_7", "m", 4_600, None) == (
            session["id"],
            session["model"],
            session["expires_at"],
            session["audio"]["input"]["turn_detection"],
        )

    def test_an_update_merges_nested_objects(self) -> None:
        """Only what the update names changes: the voice, not the output format beside it."""
        session = RealtimeSession("m", 1)
        [updated] = session.receive(
            '{"type": "session.update", "session": {"type": "realtime", "audio": {"output": {"voice": "verse"}}}}'
        )
        output = updated["session"]["audio"]["output"]
        assert ("verse", {"type": "audio/pcm", "rate": 24000}) == (output["voice"], output["format"])

    def test_a_session_of_another_type_is_refused(self) -> None:
        session = RealtimeSession("m", 1)
        [error] = session.receive('{"type": "session.update", "session": {"type": "transcription"}}')
        assert ("invalid_value", "session.type") == (error["error"]["code"], error["error"]["param"])


class TestConversation:
    def test_items_go_where_previous_item_id_says(self) -> None:
        """`root` puts an item first; an unknown previous item is an error naming it."""
        session = RealtimeSession("m", 1)
        first = session.receive(say("one"))[0]["item"]["id"]
        added = session.receive(json.dumps({**json.loads(say("zero")), "previous_item_id": "root"}))[0]
        assert None is added["previous_item_id"]
        [retrieved] = session.receive(json.dumps({"type": "conversation.item.retrieve", "item_id": first}))
        assert "one" == retrieved["item"]["content"][0]["text"]
        [error] = session.receive(json.dumps({**json.loads(say("x")), "previous_item_id": "nope"}))
        assert "previous_item_id" == error["error"]["param"]

    def test_an_item_id_cannot_be_used_twice(self) -> None:
        session = RealtimeSession("m", 1)
        item = {"id": "mine", "type": "message", "role": "user", "content": []}
        session.receive(json.dumps({"type": "conversation.item.create", "item": item}))
        [error] = session.receive(json.dumps({"type": "conversation.item.create", "item": item}))
        assert "item.id" == error["error"]["param"]

    def test_a_deleted_item_is_gone(self) -> None:
        session = RealtimeSession("m", 1)
        item_id = session.receive(say("x"))[0]["item"]["id"]
        assert ["conversation.item.deleted"] == [
            e["type"]
            for e in session.receive(json.dumps({"type": "conversation.item.delete", "item_id": item_id}))
        ]
        [error] = session.receive(json.dumps({"type": "conversation.item.retrieve", "item_id": item_id}))
        assert "item_not_found" == error["error"]["code"]

    def test_only_assistant_items_are_truncated(self) -> None:
        session = text_session()
        user_id = session.receive(say("hi"))[0]["item"]["id"]
        session.receive('{"type": "response.create"}')
        events = drain(session)
        assistant_id = events[-1]["response"]["output"][0]["id"]
        truncate = {"type": "conversation.item.truncate", "content_index": 0, "audio_end_ms": 10}
        [error] = session.receive(json.dumps({**truncate, "item_id": user_id}))
        assert "error" == error["type"]
        [truncated] = session.receive(json.dumps({**truncate, "item_id": assistant_id}))
        assert ("conversation.item.truncated", 10) == (truncated["type"], truncated["audio_end_ms"])


class TestInputAudio:
    def test_commit_needs_100_ms(self) -> None:
        """4,799 bytes of PCM16 at 24 kHz are 99.98 ms: too few; one byte more is enough."""
        session = RealtimeSession("m", 1)
        session.receive(
            json.dumps({"type": "input_audio_buffer.append", "audio": base64.b64encode(bytes(4798)).decode()})
        )
        [error] = session.receive('{"type": "input_audio_buffer.commit"}')
        assert "input_audio_buffer_commit_empty" == error["error"]["code"]
        assert "99.96ms" in error["error"]["message"]
        session.receive(
            json.dumps({"type": "input_audio_buffer.append", "audio": base64.b64encode(bytes(2)).decode()})
        )
        assert ["input_audio_buffer.committed", "conversation.item.added", "conversation.item.done"] == [
            e["type"] for e in session.receive('{"type": "input_audio_buffer.commit"}')
        ]

    def test_g711_audio_is_measured_at_8_khz(self) -> None:
        session = RealtimeSession("m", 1)
        session.receive(
            '{"type": "session.update", "session": {"type": "realtime", '
            '"audio": {"input": {"format": {"type": "audio/pcmu"}}}}}'
        )
        session.receive(
            json.dumps({"type": "input_audio_buffer.append", "audio": base64.b64encode(bytes(800)).decode()})
        )
        assert (
            "input_audio_buffer.committed"
            == session.receive('{"type": "input_audio_buffer.commit"}')[0]["type"]
        )


class TestResponses:
    def test_max_output_tokens_cuts_the_text_and_says_incomplete(self) -> None:
        session = text_session()
        session.receive(say("a long enough sentence to cut"))
        session.receive('{"type": "response.create", "response": {"max_output_tokens": 2}}')
        events = drain(session)
        response = events[-1]["response"]
        assert ("incomplete", "max_output_tokens") == (
            response["status"],
            response["status_details"]["reason"],
        )
        assert "echo: a " == response["output"][0]["content"][0]["text"]  # 2 mock tokens of 4 characters
        assert 2 == response["usage"]["output_tokens"]

    def test_an_out_of_band_response_stays_out_of_the_conversation(self) -> None:
        """`conversation: "none"`: no conversation.item.* events, no conversation_id, and the next
        response does not count it as input."""
        session = text_session()
        session.receive(say("hi"))
        session.receive(
            '{"type": "response.create", "response": {"conversation": "none", "metadata": {"k": "v"}}}'
        )
        events = drain(session)
        assert not [e for e in events if e["type"].startswith("conversation.")]
        assert (None, {"k": "v"}) == (
            events[-1]["response"]["conversation_id"],
            events[-1]["response"]["metadata"],
        )

    def test_the_input_option_chooses_what_is_echoed(self) -> None:
        session = text_session()
        session.receive(say("in the conversation"))
        item = json.loads(say("given inline"))["item"]
        session.receive(json.dumps({"type": "response.create", "response": {"input": [item]}}))
        assert "echo: given inline" == drain(session)[-1]["response"]["output"][0]["content"][0]["text"]

    def test_nothing_is_pumped_without_a_response(self) -> None:
        session = RealtimeSession("m", 1)
        assert (False, None) == (session.responding, session.next_event())

    def test_a_cancel_for_another_response_id_is_refused(self) -> None:
        session = text_session()
        session.receive('{"type": "response.create"}')
        [error] = session.receive('{"type": "response.cancel", "response_id": "resp_other"}')
        assert "response_cancel_not_active" == error["error"]["code"]
        assert session.responding

    def test_a_cancel_before_any_output_has_no_item(self) -> None:
        session = text_session()
        session.receive('{"type": "response.create"}')
        [done] = session.receive('{"type": "response.cancel"}')
        assert ("cancelled", []) == (done["response"]["status"], done["response"]["output"])
        assert not session.responding


WEATHER = {
    "type": "function",
    "name": "get_weather",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
}


class TestFunctionCalls:
    def test_an_offered_function_is_called_then_its_output_echoed(self) -> None:
        """With a tool in the session, the response is a function_call item with arguments fitting
        its schema, streamed as deltas; after the caller's output, the next response echoes it."""
        session = text_session()
        session.receive(
            json.dumps({"type": "session.update", "session": {"type": "realtime", "tools": [WEATHER]}})
        )
        session.receive(say("weather in Paris?"))
        session.receive('{"type": "response.create"}')
        events = drain(session)
        deltas = "".join(e["delta"] for e in events if e["type"] == "response.function_call_arguments.delta")
        done = next(e for e in events if e["type"] == "response.function_call_arguments.done")
        assert ("get_weather", deltas) == (done["name"], done["arguments"])
        assert isinstance(json.loads(deltas)["city"], str)
        [item] = events[-1]["response"]["output"]
        assert ("function_call", "completed", done["call_id"]) == (
            item["type"],
            item["status"],
            item["call_id"],
        )
        output = {"type": "function_call_output", "call_id": item["call_id"], "output": "sunny"}
        session.receive(json.dumps({"type": "conversation.item.create", "item": output}))
        session.receive('{"type": "response.create"}')
        assert "echo: sunny" == drain(session)[-1]["response"]["output"][0]["content"][0]["text"]

    def test_tool_choice_none_answers_in_text(self) -> None:
        session = text_session()
        session.receive(
            json.dumps({"type": "session.update", "session": {"type": "realtime", "tools": [WEATHER]}})
        )
        session.receive(say("hi"))
        session.receive('{"type": "response.create", "response": {"tool_choice": "none"}}')
        assert "message" == drain(session)[-1]["response"]["output"][0]["type"]

    def test_a_cancelled_call_keeps_the_arguments_so_far(self) -> None:
        session = text_session()
        session.receive(json.dumps({"type": "response.create", "response": {"tools": [WEATHER]}}))
        while (event := session.next_event()) is not None and event[
            "type"
        ] != "response.function_call_arguments.delta":
            pass
        events = session.receive('{"type": "response.cancel"}')
        item = events[-1]["response"]["output"][0]
        assert ("incomplete", 4) == (item["status"], len(item["arguments"]))


class TestAgainstTheTypes:
    @pytest.fixture
    def events(self) -> list[dict[str, Any]]:
        """One of most kinds of server event the mock sends."""
        session = RealtimeSession("gpt-realtime", 1)
        events = session.opened()
        events += session.receive(say("hello"))
        events += session.receive('{"type": "response.create"}')
        events += drain(session)
        events += session.receive(
            '{"type": "session.update", "session": {"type": "realtime", "output_modalities": ["text"]}}'
        )
        events += session.receive('{"type": "response.create"}')
        events += drain(session)
        events += session.receive('{"type": "response.create"}')
        events += [session.next_event() or {}, session.next_event() or {}, session.next_event() or {}]
        events += session.receive('{"type": "response.create"}')  # an error: one is active
        events += session.receive('{"type": "response.cancel"}')
        events += session.receive(
            json.dumps({"type": "input_audio_buffer.append", "audio": base64.b64encode(bytes(4800)).decode()})
        )
        events += session.receive('{"type": "input_audio_buffer.commit"}')
        events += session.receive('{"type": "input_audio_buffer.clear"}')
        item_id = events[1]["item"]["id"]
        events += session.receive(json.dumps({"type": "conversation.item.retrieve", "item_id": item_id}))
        events += session.receive(json.dumps({"type": "conversation.item.delete", "item_id": item_id}))
        events += session.receive(json.dumps({"type": "response.create", "response": {"tools": [WEATHER]}}))
        events += drain(session)
        return events

    def test_every_event_parses_as_the_union_member_of_its_type(self, events: list[dict[str, Any]]) -> None:
        """Our GA union dispatches on `type`: each event becomes the class whose literal is its type."""
        assert len({e["type"] for e in events}) >= 22
        for event in events:
            parsed = _parse(event)
            assert event["type"] == parsed.type
            assert event["event_id"] == parsed.event_id
            assert (event["type"],) == typing.get_args(type(parsed).__field_types__()["type"])

    def test_every_event_validates_as_the_official_sdks(self, events: list[dict[str, Any]]) -> None:
        """The official 3.3.1 pydantic models accept every event (fields, types, literals)."""
        pydantic = pytest.importorskip("pydantic")
        official = pytest.importorskip("openai.types.realtime")
        adapter = pydantic.TypeAdapter(official.RealtimeServerEvent)
        for event in events:
            assert event["type"] == adapter.validate_python(event).type
