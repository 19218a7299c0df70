"""The responses stream helper's state machine, sans-IO: event dicts in, the helper's events out."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import BaseModel

from openai_actors import pydantic_function_tool
from openai_actors.lib.streaming.responses import (
    ResponseCompletedEvent,
    ResponseFunctionCallArgumentsDeltaEvent,
    ResponseStreamState,
    ResponseTextDeltaEvent,
    ResponseTextDoneEvent,
)
from openai_actors.types.responses import ResponseErrorEvent, parse_response_stream_event


class Answer(BaseModel):
    value: int
    note: str


RESPONSE: dict[str, Any] = {
    "id": "resp_1",
    "object": "response",
    "created_at": 1,
    "status": "in_progress",
    "model": "gpt-4o",
    "output": [],
    "parallel_tool_calls": True,
    "tool_choice": "auto",
    "tools": [],
}


def events_of(
    text: str, call: tuple[str, str] | None = None, status: str = "completed"
) -> list[dict[str, Any]]:
    """A response's events as the API streams them: a message, then optionally a function call."""
    out: list[dict[str, Any]] = []

    def add(kind: str, **fields: Any) -> None:
        out.append({"type": kind, "sequence_number": len(out), **fields})

    message = {"id": "msg_1", "type": "message", "status": "completed", "role": "assistant"}
    part = {"type": "output_text", "annotations": [], "text": text}
    where = {"item_id": "msg_1", "output_index": 0, "content_index": 0}
    add("response.created", response=RESPONSE)
    add("response.in_progress", response=RESPONSE)
    add(
        "response.output_item.added", output_index=0, item={**message, "status": "in_progress", "content": []}
    )
    add("response.content_part.added", **where, part={**part, "text": ""})
    for start in range(0, len(text), 5):
        add("response.output_text.delta", **where, delta=text[start : start + 5], logprobs=[])
    add("response.output_text.done", **where, text=text, logprobs=[])
    add("response.content_part.done", **where, part=part)
    add("response.output_item.done", output_index=0, item={**message, "content": [part]})
    output: list[dict[str, Any]] = [{**message, "content": [part]}]
    if call is not None:
        name, arguments = call
        item = {
            "id": "fc_1",
            "type": "function_call",
            "status": "completed",
            "call_id": "call_1",
            "name": name,
        }
        add(
            "response.output_item.added",
            output_index=1,
            item={**item, "status": "in_progress", "arguments": ""},
        )
        for start in range(0, len(arguments), 6):
            add(
                "response.function_call_arguments.delta",
                item_id="fc_1",
                output_index=1,
                delta=arguments[start : start + 6],
            )
        add(
            "response.function_call_arguments.done",
            item_id="fc_1",
            output_index=1,
            name=name,
            arguments=arguments,
        )
        add("response.output_item.done", output_index=1, item={**item, "arguments": arguments})
        output.append({**item, "arguments": arguments})
    add(f"response.{status}", response={**RESPONSE, "status": status, "output": output})
    return out


def run(events: list[dict[str, Any]], **options: Any) -> tuple[ResponseStreamState[Any], list[Any]]:
    state: ResponseStreamState[Any] = ResponseStreamState(**options)
    return state, [out for data in events for out in state.handle_event(parse_response_stream_event(data))]


class TestEvents:
    def test_text_deltas_carry_the_text_so_far(self) -> None:
        _, events = run(events_of("Hello, streaming world"))
        deltas = [e for e in events if isinstance(e, ResponseTextDeltaEvent)]
        assert ["Hello", ", str", "eamin", "g wor", "ld"] == [e.delta for e in deltas]
        assert "Hello, streaming world" == deltas[-1].snapshot
        assert [d["sequence_number"] for d in events_of("Hello, streaming world")] == [
            e.sequence_number for e in events
        ]

    def test_structured_text_is_parsed_when_done_and_in_the_final_response(self) -> None:
        text = json.dumps({"value": 42, "note": "answer"})
        state, events = run(events_of(text), text_format=Answer)
        (done,) = [e for e in events if isinstance(e, ResponseTextDoneEvent)]
        assert Answer(value=42, note="answer") == done.parsed
        (completed,) = [e for e in events if isinstance(e, ResponseCompletedEvent)]
        assert Answer(value=42, note="answer") == completed.response.output_parsed
        assert completed.response is state.final_response()

    def test_function_call_arguments_accumulate_and_are_parsed_into_the_tool_model(self) -> None:
        arguments = json.dumps({"value": 7, "note": "tool"})
        tools = [pydantic_function_tool(Answer)]
        from openai_actors._helpers._parsing import make_responses_tools

        state, events = run(
            events_of("calling", ("Answer", arguments)), input_tools=make_responses_tools(tools)
        )
        deltas = [e for e in events if isinstance(e, ResponseFunctionCallArgumentsDeltaEvent)]
        assert arguments == deltas[-1].snapshot
        assert arguments[:6] == deltas[0].snapshot
        call = state.final_response().output[1]
        assert Answer(value=7, note="tool") == call.parsed_arguments  # type: ignore[union-attr]

    def test_other_events_pass_through_unchanged(self) -> None:
        error = {
            "type": "error",
            "sequence_number": 3,
            "code": "server_error",
            "message": "boom",
            "param": None,
        }
        _, events = run([events_of("x")[0], error])
        assert isinstance(events[1], ResponseErrorEvent)
        assert "boom" == events[1].message


class TestEnds:
    def test_a_stream_must_begin_with_response_created(self) -> None:
        with pytest.raises(
            RuntimeError, match=r"must begin with `response.created`, not 'response.output_text.delta'"
        ):
            run(events_of("abc")[4:])

    def test_a_response_that_did_not_complete_has_no_final_response_and_says_why(self) -> None:
        state, _ = run(events_of("cut", status="incomplete"))
        with pytest.raises(RuntimeError, match=r"without a `response.completed` event.*'incomplete'"):
            state.final_response()


def test_agrees_with_the_official_sdk() -> None:
    """The same events through this state and openai 3.3.1's: the same events out."""
    official = pytest.importorskip("openai")
    from openai.lib.streaming.responses import ResponseStreamState as Official

    events = events_of(json.dumps({"value": 1, "note": "n"}), ("lookup", '{"q": "x"}'))
    tool = {"type": "function", "name": "lookup", "parameters": {}, "strict": True}
    theirs = Official(text_format=Answer, input_tools=[tool])
    expected = []
    for data in events:
        event = official.types.responses.ResponseStreamEvent  # the union, validated through a TypeAdapter
        from pydantic import TypeAdapter

        for out in theirs.handle_event(TypeAdapter(event).validate_python(data)):
            expected.append(
                (out.type, out.sequence_number, getattr(out, "snapshot", None), getattr(out, "parsed", None))
            )
    _, ours = run(events, text_format=Answer, input_tools=[tool])
    got = [
        (e.type, e.sequence_number, getattr(e, "snapshot", None), getattr(e, "parsed", None)) for e in ours
    ]
    assert expected == got
    official_final = theirs._completed_response
    assert official_final is not None
    assert official_final.output_parsed == run(events, text_format=Answer)[0].final_response().output_parsed
