"""The Assistants stream's sans-IO core (openai_actors/_helpers/_assistant_state.py): events in, snapshots and callbacks out.

No I/O: each test feeds event dicts, as the stream parses them, and checks the
snapshots and the callbacks (names and arguments) each event fires.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from openai_actors._helpers._assistant_state import AssistantStreamState, Callback, merge_delta, merge_entries
from openai_actors._models import as_cast
from openai_actors.types.beta import AssistantStreamEvent

_parse = as_cast(AssistantStreamEvent)


def event(name: str, data: dict[str, Any]) -> AssistantStreamEvent:
    event: AssistantStreamEvent = _parse({"event": name, "data": data})
    return event


def run(status: str, **changes: Any) -> dict[str, Any]:
    return {
        "id": "run_1",
        "object": "thread.run",
        "created_at": 1,
        "thread_id": "thread_1",
        "assistant_id": "asst_1",
        "status": status,
        "model": "gpt-4o-mini",
        "instructions": "",
        "tools": [],
        **changes,
    }


def message(
    status: str = "in_progress", content: list[Any] | None = None, id: str = "msg_1"
) -> dict[str, Any]:
    return {
        "id": id,
        "object": "thread.message",
        "created_at": 1,
        "thread_id": "thread_1",
        "role": "assistant",
        "status": status,
        "content": content or [],
    }


def text_delta(index: int, value: str, id: str = "msg_1") -> dict[str, Any]:
    block = {"index": index, "type": "text", "text": {"value": value}}
    return {"id": id, "object": "thread.message.delta", "delta": {"content": [block]}}


def step(kind: str, status: str = "in_progress", details: dict[str, Any] | None = None) -> dict[str, Any]:
    if details is None:
        details = (
            {"type": "tool_calls", "tool_calls": []}
            if kind == "tool_calls"
            else {"type": "message_creation", "message_creation": {"message_id": "msg_1"}}
        )
    return {
        "id": "step_1",
        "object": "thread.run.step",
        "created_at": 1,
        "run_id": "run_1",
        "thread_id": "thread_1",
        "assistant_id": "asst_1",
        "type": kind,
        "status": status,
        "step_details": details,
    }


def call_delta(index: int, **fields: Any) -> dict[str, Any]:
    call = {"index": index, "type": "function", **fields}
    return {
        "id": "step_1",
        "object": "thread.run.step.delta",
        "delta": {"step_details": {"type": "tool_calls", "tool_calls": [call]}},
    }


def names(calls: list[Callback]) -> list[str]:
    return [name for name, _ in calls]


def feed_all(state: AssistantStreamState, *events: tuple[str, dict[str, Any]]) -> list[Callback]:
    calls: list[Callback] = []
    for name, data in events:
        calls += state.feed(event(name, data))
    return calls


class TestMergeDelta:
    def test_strings_are_appended_and_objects_merged_key_by_key(self) -> None:
        """Text and arguments grow; a key only the delta has is added."""
        snapshot = {"text": {"value": "Hel", "annotations": []}, "type": "text"}
        merged = merge_delta(snapshot, {"text": {"value": "lo"}, "extra": 1})
        assert {"text": {"value": "Hello", "annotations": []}, "type": "text", "extra": 1} == merged

    def test_index_and_type_are_replaced_never_added_up(self) -> None:
        """`index` names an entry and `type` a union member: the delta's value stands."""
        assert {"index": 0, "type": "function"} == merge_delta(
            {"index": 0, "type": "fun"}, {"index": 0, "type": "function"}
        )

    def test_a_null_in_the_delta_keeps_the_snapshots_value(self) -> None:
        """A later delta saying `"id": null` does not erase the id the first one gave."""
        assert {"id": "call_1", "output": None} == merge_delta(
            {"id": "call_1", "output": None}, {"id": None, "output": None}
        )

    def test_a_null_in_the_snapshot_takes_the_deltas_value(self) -> None:
        assert {"output": "42"} == merge_delta({"output": None}, {"output": "42"})

    def test_other_values_are_replaced(self) -> None:
        """Numbers and booleans are new values, not amounts to add."""
        assert {"n": 2, "ok": False} == merge_delta({"n": 1, "ok": True}, {"n": 2, "ok": False})

    def test_neither_argument_is_changed(self) -> None:
        """Copy-on-write: snapshots already handed out stay as they were."""
        snapshot = {"content": [{"index": 0, "type": "text", "text": {"value": "a"}}], "ids": ["x"]}
        delta = {
            "content": [{"index": 0, "text": {"value": "b"}}, {"index": 1, "type": "text"}],
            "ids": ["y"],
        }
        before = (copy.deepcopy(snapshot), copy.deepcopy(delta))
        merged = merge_delta(snapshot, delta)
        assert before == (snapshot, delta)
        assert "ab" == merged["content"][0]["text"]["value"]
        assert ["x", "y"] == merged["ids"]


class TestMergeEntries:
    def test_entries_merge_at_their_index_and_the_next_index_appends(self) -> None:
        merged = merge_entries([{"index": 0, "v": "a"}], [{"index": 0, "v": "b"}, {"index": 1, "v": "c"}])
        assert [{"index": 0, "v": "ab"}, {"index": 1, "v": "c"}] == merged

    def test_entries_of_the_snapshot_without_an_index_merge_by_position(self) -> None:
        """A run step's tool calls come without `index`; the deltas' index is their position."""
        merged = merge_entries([{"id": "call_1", "arguments": "{"}], [{"index": 0, "arguments": "}"}])
        assert [{"id": "call_1", "arguments": "{}", "index": 0}] == merged

    def test_a_list_of_plain_values_only_grows(self) -> None:
        assert ["a", "b", "c"] == merge_entries(["a"], ["b", "c"])

    def test_an_index_past_the_end_is_refused_with_what_was_wrong(self) -> None:
        with pytest.raises(ValueError, match=r"'content' entry has index 2, past the 1 entries so far"):
            merge_entries([{"index": 0}], [{"index": 2}], "content")

    @pytest.mark.parametrize(
        "entry", [{"value": "x"}, {"index": "0"}, {"index": -1}, {"index": True}, "text"]
    )
    def test_an_object_entry_without_a_valid_index_is_refused(self, entry: Any) -> None:
        with pytest.raises(ValueError, match=r"'tool_calls' entry has no valid 'index'"):
            merge_entries([], [{"index": 0}, entry], "tool_calls")


class TestRuns:
    def test_every_run_event_updates_the_run_and_fires_on_event_only(self) -> None:
        state = AssistantStreamState()
        statuses = []
        for name, status in [
            ("thread.run.created", "queued"),
            ("thread.run.queued", "queued"),
            ("thread.run.in_progress", "in_progress"),
            ("thread.run.completed", "completed"),
        ]:
            assert ["on_event"] == names(state.feed(event(name, run(status))))
            assert state.run is not None
            statuses.append(state.run.status)
        assert ["queued", "queued", "in_progress", "completed"] == statuses

    @pytest.mark.parametrize(
        "name", ["thread.created", "thread.message.in_progress", "thread.run.future_event"]
    )
    def test_events_without_a_snapshot_fire_on_event_only(self, name: str) -> None:
        """Including event names this version does not know: they pass, they do not fail the stream."""
        calls = AssistantStreamState().feed(event(name, {"id": "x", "object": "thread"}))
        assert ["on_event"] == names(calls)
        assert name == calls[0][1][0].event


class TestMessages:
    def test_a_text_message_fires_created_deltas_and_done_with_the_text_so_far(self) -> None:
        state = AssistantStreamState()
        calls = feed_all(
            state,
            ("thread.message.created", message()),
            ("thread.message.delta", text_delta(0, "Hel")),
            ("thread.message.delta", text_delta(0, "lo")),
            (
                "thread.message.completed",
                message("completed", [{"type": "text", "text": {"value": "Hello", "annotations": []}}]),
            ),
        )
        assert [
            "on_event",
            "on_message_created",
            "on_event",
            "on_text_created",
            "on_text_delta",
            "on_message_delta",
            "on_event",
            "on_text_delta",
            "on_message_delta",
            "on_event",
            "on_text_done",
            "on_message_done",
        ] == names(calls)
        deltas = [args for name, args in calls if name == "on_text_delta"]
        assert [("Hel", "Hel"), ("lo", "Hello")] == [(d.value, snap.value) for d, snap in deltas]
        assert "Hello" == dict(calls)["on_text_done"][0].value
        assert state.message is not None and "completed" == state.message.status
        assert ["msg_1"] == list(state.messages)

    def test_a_snapshot_handed_out_does_not_change_afterwards(self) -> None:
        """Each delta makes a new snapshot; the one a callback got keeps its text."""
        state = AssistantStreamState()
        feed_all(state, ("thread.message.created", message()))
        first = dict(state.feed(event("thread.message.delta", text_delta(0, "one"))))["on_message_delta"][1]
        second = dict(state.feed(event("thread.message.delta", text_delta(0, " two"))))["on_message_delta"][1]
        assert "one" == first.content[0].text.value
        assert "one two" == second.content[0].text.value
        assert "one two" == state.messages["msg_1"].content[0].text.value

    def test_the_events_fed_are_left_as_they_came(self) -> None:
        """The state shares the events' data instead of copying it, so it must never change it."""
        state = AssistantStreamState()
        datas = [message(), text_delta(0, "a"), text_delta(0, "b"), text_delta(1, "c")]
        before = copy.deepcopy(datas)
        events = [event("thread.message.created", datas[0])] + [
            event("thread.message.delta", d) for d in datas[1:]
        ]
        for e in events:
            state.feed(e)
        assert before == [e.data.to_dict() for e in events]
        assert state.message is not None
        assert ["ab", "c"] == [block.text.value for block in state.message.content if block.type == "text"]

    def test_moving_to_the_next_block_ends_the_one_before_first(self) -> None:
        """Text, then an image file, then text: each block is done before the next is created."""
        state = AssistantStreamState()
        image = {
            "id": "msg_1",
            "object": "thread.message.delta",
            "delta": {"content": [{"index": 1, "type": "image_file", "image_file": {"file_id": "file_1"}}]},
        }
        calls = feed_all(
            state,
            ("thread.message.created", message()),
            ("thread.message.delta", text_delta(0, "Look:")),
            ("thread.message.delta", image),
            ("thread.message.delta", text_delta(2, "Done.")),
        )
        block_calls = [
            (n, a[0]) for n, a in calls if n in ("on_text_created", "on_text_done", "on_image_file_done")
        ]
        assert [
            ("on_text_created", "Look:"),
            ("on_text_done", "Look:"),
            ("on_image_file_done", "file_1"),
            ("on_text_created", "Done."),
        ] == [(n, getattr(a, "value", None) or getattr(a, "file_id", None)) for n, a in block_calls]

    def test_a_message_done_ends_its_last_block(self) -> None:
        state = AssistantStreamState()
        final = message("incomplete", [{"type": "text", "text": {"value": "cut", "annotations": []}}])
        calls = feed_all(
            state,
            ("thread.message.created", message()),
            ("thread.message.delta", text_delta(0, "cut")),
            ("thread.message.incomplete", final),
        )
        assert ["on_event", "on_text_done", "on_message_done"] == names(calls[-3:])

    def test_two_messages_each_get_their_callbacks_and_snapshots(self) -> None:
        """The block being written is per message: the second message's block 0 is created anew."""
        state = AssistantStreamState()
        done = [{"type": "text", "text": {"value": "A", "annotations": []}}]
        calls = feed_all(
            state,
            ("thread.message.created", message()),
            ("thread.message.delta", text_delta(0, "A")),
            ("thread.message.completed", message("completed", done)),
            ("thread.message.created", message(id="msg_2")),
            ("thread.message.delta", text_delta(0, "B", id="msg_2")),
        )
        assert 2 == names(calls).count("on_text_created")
        assert ["msg_1", "msg_2"] == list(state.messages)
        assert state.message is not None and "B" == state.message.content[0].text.value

    def test_a_delta_of_a_message_never_created_is_an_error_that_says_so(self) -> None:
        with pytest.raises(RuntimeError, match=r"delta of message 'msg_9' before creating it"):
            AssistantStreamState().feed(event("thread.message.delta", text_delta(0, "x", id="msg_9")))

    def test_annotations_accumulate_inside_a_text_block(self) -> None:
        state = AssistantStreamState()
        annotated = text_delta(0, " [1]")
        annotated["delta"]["content"][0]["text"]["annotations"] = [
            {"index": 0, "type": "file_citation", "text": "[1]", "file_citation": {"file_id": "file_1"}}
        ]
        feed_all(
            state, ("thread.message.created", message()), ("thread.message.delta", text_delta(0, "Fact"))
        )
        state.feed(event("thread.message.delta", annotated))
        assert state.message is not None
        text = state.message.content[0].text
        assert "Fact [1]" == text.value
        assert ["file_1"] == [a.file_citation.file_id for a in text.annotations]


class TestToolCalls:
    def test_arguments_accumulate_and_each_call_is_created_and_done_once(self) -> None:
        state = AssistantStreamState()
        calls = feed_all(
            state,
            ("thread.run.step.created", step("tool_calls")),
            ("thread.run.step.delta", call_delta(0, id="call_a", function={"name": "f", "arguments": ""})),
            ("thread.run.step.delta", call_delta(0, function={"arguments": '{"x":'})),
            ("thread.run.step.delta", call_delta(0, function={"arguments": "1}"})),
            ("thread.run.step.delta", call_delta(1, id="call_b", function={"name": "g", "arguments": "{}"})),
            (
                "thread.run.step.completed",
                step("tool_calls", "completed", {"type": "tool_calls", "tool_calls": []}),
            ),
            ("thread.run.completed", run("completed")),
        )
        tool = [(n, a[-1]) for n, a in calls if n.startswith("on_tool_call")]
        assert [
            ("on_tool_call_created", "call_a"),
            ("on_tool_call_delta", "call_a"),
            ("on_tool_call_delta", "call_a"),
            ("on_tool_call_delta", "call_a"),
            ("on_tool_call_done", "call_a"),
            ("on_tool_call_created", "call_b"),
            ("on_tool_call_delta", "call_b"),
            ("on_tool_call_done", "call_b"),
        ] == [(n, snapshot.id) for n, snapshot in tool]
        done_a = next(a for n, a in tool if n == "on_tool_call_done")
        assert ("f", '{"x":1}') == (done_a.function.name, done_a.function.arguments)
        assert ["on_run_step_done"] == [n for n in names(calls) if n == "on_run_step_done"]

    def test_the_step_snapshot_holds_the_calls_so_far_until_the_server_sends_it_complete(self) -> None:
        state = AssistantStreamState()
        feed_all(
            state,
            ("thread.run.step.created", step("tool_calls")),
            ("thread.run.step.delta", call_delta(0, id="call_a", function={"name": "f", "arguments": "{"})),
        )
        snapshot = state.run_step
        assert snapshot is not None and snapshot.step_details.type == "tool_calls"
        assert "{" == snapshot.step_details.tool_calls[0].function.arguments
        final_call = {
            "id": "call_a",
            "type": "function",
            "function": {"name": "f", "arguments": "{}", "output": "ok"},
        }
        final = step("tool_calls", "completed", {"type": "tool_calls", "tool_calls": [final_call]})
        calls = state.feed(event("thread.run.step.completed", final))
        assert "ok" == dict(calls)["on_tool_call_done"][0].function.output  # the server's final call
        assert state.run_step is None  # none in progress
        [kept] = state.run_steps.values()
        assert "completed" == kept.status
        assert "ok" == kept.step_details.tool_calls[0].function.output

    def test_a_run_that_requires_action_ends_the_call_being_written(self) -> None:
        """The run stops for the call's output: the call is done (and not again later)."""
        state = AssistantStreamState()
        calls = feed_all(
            state,
            ("thread.run.step.created", step("tool_calls")),
            ("thread.run.step.delta", call_delta(0, id="call_a", function={"name": "f", "arguments": "{}"})),
            ("thread.run.requires_action", run("requires_action")),
            ("thread.run.expired", run("expired")),
        )
        assert 1 == names(calls).count("on_tool_call_done")
        assert state.run is not None and "expired" == state.run.status

    def test_calls_of_a_second_step_are_new_calls(self) -> None:
        """Index 0 of another step is another call: created, not a delta of the first."""
        state = AssistantStreamState()
        second = step("tool_calls")
        second["id"] = "step_2"
        delta_2 = call_delta(0, id="call_b", function={"name": "g", "arguments": ""})
        delta_2["id"] = "step_2"
        calls = feed_all(
            state,
            ("thread.run.step.created", step("tool_calls")),
            ("thread.run.step.delta", call_delta(0, id="call_a", function={"name": "f", "arguments": ""})),
            ("thread.run.step.created", second),
            ("thread.run.step.delta", delta_2),
        )
        assert 2 == names(calls).count("on_tool_call_created")

    def test_a_delta_of_a_step_never_created_is_an_error_that_says_so(self) -> None:
        with pytest.raises(RuntimeError, match=r"delta of run step 'step_1' before creating it"):
            AssistantStreamState().feed(
                event("thread.run.step.delta", call_delta(0, function={"arguments": "{"}))
            )

    def test_a_step_joined_in_progress_is_taken_as_it_is(self) -> None:
        """A stream that starts at step.in_progress (no created) still merges the step's deltas."""
        state = AssistantStreamState()
        state.feed(event("thread.run.step.in_progress", step("tool_calls")))
        calls = state.feed(
            event(
                "thread.run.step.delta", call_delta(0, id="call_a", function={"name": "f", "arguments": "{}"})
            )
        )
        assert "on_tool_call_created" in names(calls)
        assert state.run_step is not None and state.run_step.id == "step_1"
