"""Specification of what the mock answers the official SDK's examples (`bench/examples_check.py`).

The examples themselves are not here (they come from the `openai` source tree);
these are the answers they need, over real sockets: JSON fitting a requested
schema (`response_format`, `text.format`), calls of offered function tools
(plain and streamed, chat and responses), and a stored response's events
streamed again (`GET /v1/responses/{id}?stream=true&starting_after=N`).
"""

from __future__ import annotations

import json
from enum import Enum
from typing import Any, Optional, Union

import httpx
import pytest
from pydantic import BaseModel

from openai_actors.mock import MockServer
from openai_actors.mock._structured import json_sample

from .test_mock_streaming import data_of, parse_sse

pytestmark = pytest.mark.timeout(30)


class Step(BaseModel):
    explanation: str
    output: str


class MathResponse(BaseModel):
    steps: list[Step]
    final_answer: str


class Operator(str, Enum):  # noqa: UP042 (as the example writes it)
    eq = "="
    gt = ">"


class DynamicValue(BaseModel):
    column_name: str


class Condition(BaseModel):
    column: str
    operator: Operator
    value: Union[str, int, DynamicValue]  # noqa: UP007 (as the example writes it)


class Query(BaseModel):
    table_name: str
    conditions: list[Condition]
    limit: Optional[int] = None  # noqa: UP045


class Tree(BaseModel):
    name: str
    children: list[Tree]
    parent: Optional[Tree] = None  # noqa: UP045


def _strict(model: type[BaseModel]) -> dict[str, Any]:
    return model.model_json_schema()


def _function(name: str, model: type[BaseModel]) -> dict[str, Any]:
    return {"type": "function", "function": {"name": name, "parameters": _strict(model), "strict": True}}


def _chat(**extra: Any) -> dict[str, Any]:
    return {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "solve 8x + 31 = 2"}], **extra}


def _json_format(model: type[BaseModel]) -> dict[str, Any]:
    return {
        "type": "json_schema",
        "json_schema": {"name": model.__name__, "schema": _strict(model), "strict": True},
    }


# --- samples of a schema ---------------------------------------------------------


@pytest.mark.parametrize("model", [MathResponse, Query, Tree, Condition])
def test_a_sample_fits_its_schema(model: type[BaseModel]) -> None:
    """$defs and $ref, unions, enums, optional and recursive models: the sample validates."""
    model.model_validate_json(json.dumps(json_sample(_strict(model))))


def test_samples_follow_formats_and_bounds() -> None:
    schema = {
        "type": "object",
        "properties": {
            "when": {"type": "string", "format": "date-time"},
            "code": {"type": "string", "minLength": 8},
            "count": {"type": "integer", "minimum": 3},
            "ratio": {"type": ["number", "null"], "exclusiveMinimum": 0},
            "tags": {"type": "array", "items": {"type": "string"}, "minItems": 2},
            "kind": {"const": "fixed"},
            "both": {"allOf": [{"$ref": "#/$defs/A"}, {"properties": {"b": {"type": "boolean"}}}]},
        },
        "$defs": {"A": {"type": "object", "properties": {"a": {"enum": [None, "x"]}}}},
    }

    assert {
        "when": "2023-11-14T22:13:20Z",
        "code": "codexxxx",
        "count": 3,
        "ratio": 1.0,
        "tags": ["tag", "tag"],
        "kind": "fixed",
        "both": {"a": "x", "b": False},
    } == json_sample(schema)


# --- chat completions ------------------------------------------------------------


def test_chat_answers_json_of_the_requested_schema(client: httpx.Client) -> None:
    """`response_format: json_schema`: the content parses into the model, plain and streamed;
    `json_object`: a JSON object."""
    plain = client.post("/chat/completions", json=_chat(response_format=_json_format(MathResponse))).json()
    streamed = data_of(
        parse_sse(
            client.post(
                "/chat/completions", json=_chat(response_format=_json_format(MathResponse), stream=True)
            ).text
        )
    )
    json_object = client.post("/chat/completions", json=_chat(response_format={"type": "json_object"})).json()

    content = plain["choices"][0]["message"]["content"]
    MathResponse.model_validate_json(content)
    assert "stop" == plain["choices"][0]["finish_reason"]
    assert content == "".join(chunk["choices"][0]["delta"].get("content") or "" for chunk in streamed[:-1])
    assert {"echo": "solve 8x + 31 = 2"} == json.loads(json_object["choices"][0]["message"]["content"])


def test_chat_calls_an_offered_function(client: httpx.Client) -> None:
    """With function tools the answer calls one (the first, or the one `tool_choice` names),
    arguments fitting its parameters, finish reason "tool_calls"."""
    tools = [_function("query", Query), _function("solve", MathResponse)]
    first = client.post("/chat/completions", json=_chat(tools=tools)).json()
    named = client.post(
        "/chat/completions",
        json=_chat(tools=tools, tool_choice={"type": "function", "function": {"name": "solve"}}, n=2),
    ).json()

    choice = first["choices"][0]
    (call,) = choice["message"]["tool_calls"]
    assert ("tool_calls", None, "function", "query") == (
        choice["finish_reason"],
        choice["message"]["content"],
        call["type"],
        call["function"]["name"],
    )
    Query.model_validate_json(call["function"]["arguments"])
    assert first["usage"]["completion_tokens"] > 0
    assert [["solve"], ["solve"]] == [
        [call["function"]["name"] for call in choice["message"]["tool_calls"]] for choice in named["choices"]
    ]
    assert 2 == len({choice["message"]["tool_calls"][0]["id"] for choice in named["choices"]})


def test_chat_answers_text_when_no_call_is_wanted(client: httpx.Client) -> None:
    """`tool_choice: "none"`, or a conversation ending with a tool's output: plain text."""
    tools = [_function("query", Query)]
    none = client.post("/chat/completions", json=_chat(tools=tools, tool_choice="none")).json()
    messages = [
        {"role": "user", "content": "look it up"},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {"id": "call_1", "type": "function", "function": {"name": "query", "arguments": "{}"}}
            ],
        },
        {"role": "tool", "tool_call_id": "call_1", "content": "3 orders"},
    ]
    after_tool = client.post(
        "/chat/completions", json={"model": "m", "messages": messages, "tools": tools}
    ).json()

    assert "echo: solve 8x + 31 = 2" == none["choices"][0]["message"]["content"]
    assert ("stop", "echo: 3 orders") == (
        after_tool["choices"][0]["finish_reason"],
        after_tool["choices"][0]["message"]["content"],
    )


def test_chat_streams_a_function_call(client: httpx.Client) -> None:
    """As OpenAI streams one: a chunk naming the call (arguments ""), the arguments in pieces,
    an empty delta with finish reason "tool_calls", the usage when asked, then [DONE]."""
    body = _chat(tools=[_function("query", Query)], stream=True, stream_options={"include_usage": True})
    chunks = data_of(parse_sse(client.post("/chat/completions", json=body).text))

    assert "[DONE]" == chunks[-1]
    usage = chunks[-2]
    assert ([], usage["usage"]["completion_tokens"] > 0) == (usage["choices"], True)
    head, *middle, finish = [chunk["choices"][0] for chunk in chunks[:-2]]
    (named,) = head["delta"]["tool_calls"]
    assert ("assistant", 0, "function", "query", "") == (
        head["delta"]["role"],
        named["index"],
        named["type"],
        named["function"]["name"],
        named["function"]["arguments"],
    )
    assert named["id"].startswith("call_")
    arguments = "".join(choice["delta"]["tool_calls"][0]["function"]["arguments"] for choice in middle)
    Query.model_validate_json(arguments)
    assert ({}, "tool_calls") == (finish["delta"], finish["finish_reason"])


# --- responses -------------------------------------------------------------------


def _response(**extra: Any) -> dict[str, Any]:
    return {"model": "gpt-4o-mini", "input": "solve 8x + 31 = 2", **extra}


def _text_format(model: type[BaseModel]) -> dict[str, Any]:
    return {
        "format": {"type": "json_schema", "name": model.__name__, "schema": _strict(model), "strict": True}
    }


def _response_function(name: str, model: type[BaseModel]) -> dict[str, Any]:
    return {"type": "function", "name": name, "parameters": _strict(model), "strict": True}


def test_response_answers_json_of_the_requested_schema(client: httpx.Client) -> None:
    reply = client.post("/responses", json=_response(text=_text_format(MathResponse))).json()

    (message,) = reply["output"]
    MathResponse.model_validate_json(message["content"][0]["text"])
    assert "json_schema" == reply["text"]["format"]["type"]


def test_response_calls_an_offered_function(client: httpx.Client) -> None:
    """A `function_call` output item; a built-in tool alone, or an input ending with the
    function's output, gets a message."""
    reply = client.post("/responses", json=_response(tools=[_response_function("query", Query)])).json()
    builtin = client.post("/responses", json=_response(tools=[{"type": "web_search"}])).json()
    follow_up = [
        {"role": "user", "content": "look it up"},
        {"type": "function_call", "call_id": "call_1", "name": "query", "arguments": "{}"},
        {"type": "function_call_output", "call_id": "call_1", "output": "3 orders"},
    ]
    answered = client.post(
        "/responses", json=_response(input=follow_up, tools=[_response_function("query", Query)])
    ).json()

    (call,) = reply["output"]
    assert ("function_call", "completed", "query", "completed") == (
        call["type"],
        call["status"],
        call["name"],
        reply["status"],
    )
    assert call["id"].startswith("fc_") and call["call_id"].startswith("call_")
    Query.model_validate_json(call["arguments"])
    assert "message" == builtin["output"][0]["type"]
    assert "echo: look it up" == answered["output"][0]["content"][0]["text"]


def test_response_streams_a_function_call(client: httpx.Client) -> None:
    body = _response(tools=[_response_function("query", Query)], stream=True)
    events = data_of(parse_sse(client.post("/responses", json=body).text))

    kinds = [event["type"] for event in events]
    deltas = kinds.count("response.function_call_arguments.delta")
    assert [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        *["response.function_call_arguments.delta"] * deltas,
        "response.function_call_arguments.done",
        "response.output_item.done",
        "response.completed",
    ] == kinds
    assert list(range(len(events))) == [event["sequence_number"] for event in events]
    added, done = events[2]["item"], events[-2]["item"]
    assert ("in_progress", "") == (added["status"], added["arguments"])
    arguments = "".join(event["delta"] for event in events if event["type"].endswith("arguments.delta"))
    assert arguments == events[-3]["arguments"] == done["arguments"]
    assert "query" == events[-3]["name"]
    assert [done] == events[-1]["response"]["output"]


# --- a stored response streamed again ---------------------------------------------


def _stream_again(client: httpx.Client, response_id: str, **query: Any) -> list[Any]:
    response = client.get(f"/responses/{response_id}", params={"stream": "true", **query})
    assert "text/event-stream; charset=utf-8" == response.headers["content-type"]
    return data_of(parse_sse(response.text))


def test_a_stored_response_streams_again(client: httpx.Client) -> None:
    """`?stream=true`: the events of its stream again, or those after `starting_after`;
    without `stream` the response itself."""
    first = data_of(parse_sse(client.post("/responses", json=_response(stream=True)).text))
    response_id = first[0]["response"]["id"]

    again = _stream_again(client, response_id)
    after = _stream_again(client, response_id, starting_after=10)
    plain = client.get(f"/responses/{response_id}")

    assert first == again
    assert first[11:] == after
    assert "response.completed" == after[-1]["type"]
    assert ("response", "completed") == (plain.json()["object"], plain.json()["status"])


def test_a_background_stream_left_early_still_finishes(server: MockServer) -> None:
    """The examples' background streams: leave after a few events, then stream the rest."""
    with httpx.Client(base_url=server.url, timeout=5.0) as client:
        body = _response(stream=True, background=True, text=_text_format(MathResponse))
        with client.stream("POST", "/responses", json=body) as response:
            lines = response.iter_lines()
            head = next(line for line in lines if line.startswith("data: "))
        response_id = json.loads(head.removeprefix("data: "))["response"]["id"]

        stored = client.get(f"/responses/{response_id}").json()
        rest = _stream_again(client, response_id, starting_after=10)

    assert "completed" == stored["status"]
    assert 11 == rest[0]["sequence_number"]
    final = rest[-1]["response"]
    assert ("response.completed", True) == (rest[-1]["type"], final["background"])
    MathResponse.model_validate_json(final["output"][0]["content"][0]["text"])


def test_a_response_cancelled_while_streaming_stays_cancelled(server: MockServer) -> None:
    """Its stream runs to its end, but the stored response stays cancelled, without output."""
    server.stream_chunk_delay = 0.02  # the stream still runs when the cancel comes
    with httpx.Client(base_url=server.url, timeout=5.0) as client:
        with client.stream("POST", "/responses", json=_response(stream=True)) as response:
            lines = response.iter_lines()
            head = next(line for line in lines if line.startswith("data: "))
            response_id = json.loads(head.removeprefix("data: "))["response"]["id"]
            cancelled = client.post(f"/responses/{response_id}/cancel").json()
            rest = [line for line in lines if line.startswith("data: ")]
        stored = client.get(f"/responses/{response_id}").json()
        again = _stream_again(client, response_id)

    assert '"response.completed"' in rest[-1]
    assert ("cancelled", "cancelled") == (cancelled["status"], stored["status"])
    assert ["response.created", "response.in_progress"] == [event["type"] for event in again]


def test_a_bad_starting_after_is_400(client: httpx.Client) -> None:
    response_id = client.post("/responses", json=_response()).json()["id"]

    response = client.get(f"/responses/{response_id}", params={"stream": "true", "starting_after": "x"})

    assert 400 == response.status_code
    assert "starting_after" == response.json()["error"]["param"]
