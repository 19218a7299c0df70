"""`.parse` sends the request body the official SDK 3.3.1 sends, and reads the answer back the same way.

Both clients go through an `httpx.MockTransport` that records each request body
and answers with the same canned JSON, so the comparison is of what reached the
wire: the strict JSON schema derived from each model (key for key, in the same
order: the API caches a schema by its text), its `name`, `strict: true`, the
tools, `stream: false`. The official package is used only here, as the oracle;
the tests are skipped when it is not installed.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
from collections.abc import Callable, Iterator
from enum import Enum
from typing import Annotated, Any, Literal, Optional, Union

import httpx
import pytest
from pydantic import BaseModel, ConfigDict, Field
from pydantic.dataclasses import dataclass as pydantic_dataclass

import openai_actors

openai = pytest.importorskip("openai")


class Color(str, Enum):  # noqa: UP042 (the str-Enum form users write)
    red = "red"
    green = "green"


class Point(BaseModel):
    x: float
    y: float


class Flat(BaseModel):
    name: str
    count: int
    ratio: float
    ok: bool


class Nested(BaseModel):
    """A model with a docstring: the description goes in the tool."""

    origin: Point
    points: list[Point]
    label: str = Field(description="what the shape is called")


class WithEnum(BaseModel):
    color: Color
    mode: Literal["fast", "slow"]


class WithUnion(BaseModel):
    value: Union[str, int, Point]  # noqa: UP007
    other: float | None


class WithOptional(BaseModel):
    note: Optional[str] = None  # noqa: UP045 (a None default: dropped from the schema)
    limit: int = 10  # a default that is not None: kept
    tags: list[str] = Field(default_factory=list)


class DescribedRef(BaseModel):
    # A $ref with a sibling description: inlined, as strict mode reads a $ref only alone.
    where: Point = Field(description="the place")
    when: Color = Field(description="the colour")


class Tree(BaseModel):
    name: str
    children: list[Tree]


class Mapping_(BaseModel):
    counts: dict[str, int]


class Cat(BaseModel):
    kind: Literal["cat"]
    lives: int


class Dog(BaseModel):
    kind: Literal["dog"]
    good: bool


class Discriminated(BaseModel):
    # pydantic writes `oneOf` with a `discriminator` mapping: passed through as it is.
    pet: Annotated[Union[Cat, Dog], Field(discriminator="kind")]  # noqa: UP007


class Constrained(BaseModel):
    model_config = ConfigDict(title="Constrained thing", extra="allow")  # extra: additionalProperties kept

    code: str = Field(min_length=2, max_length=8, pattern="^[A-Z]+$")
    when: datetime.date
    maybe: Optional[Point] = None  # noqa: UP045 (an optional nested model: anyOf of a $ref and null)


@pydantic_dataclass
class PydanticDataclass:
    title: str
    year: int
    point: Point


MODELS: list[type[Any]] = [
    Flat,
    Nested,
    WithEnum,
    WithUnion,
    WithOptional,
    DescribedRef,
    Tree,
    Mapping_,
    Discriminated,
    Constrained,
    PydanticDataclass,
]


def _answer_for(model: type[Any]) -> str:
    """JSON content that validates into `model` (the same for both clients)."""
    samples: dict[type[Any], Any] = {
        Flat: {"name": "a", "count": 1, "ratio": 0.5, "ok": True},
        Nested: {"origin": {"x": 0, "y": 1}, "points": [{"x": 2, "y": 3}], "label": "line"},
        WithEnum: {"color": "red", "mode": "fast"},
        WithUnion: {"value": {"x": 1, "y": 2}, "other": None},
        WithOptional: {"note": None, "limit": 3, "tags": ["t"]},
        DescribedRef: {"where": {"x": 1, "y": 1}, "when": "green"},
        Tree: {"name": "root", "children": [{"name": "leaf", "children": []}]},
        Mapping_: {"counts": {"a": 1}},
        Discriminated: {"pet": {"kind": "dog", "good": True}},
        Constrained: {"code": "AB", "when": "2024-08-06", "maybe": {"x": 1, "y": 2}},
        PydanticDataclass: {"title": "T", "year": 2024, "point": {"x": 0, "y": 0}},
    }
    return json.dumps(samples[model])


def _completion(content: str | None, *, tool_calls: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1,
        "model": "gpt-4o",
        "choices": [
            {
                "index": 0,
                "finish_reason": "tool_calls" if tool_calls else "stop",
                "message": {
                    "role": "assistant",
                    "content": content,
                    "refusal": None,
                    "tool_calls": tool_calls,
                },
                "logprobs": None,
            }
        ],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }


def _response(output: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "id": "resp_1",
        "object": "response",
        "created_at": 1,
        "model": "gpt-4o",
        "status": "completed",
        "output": output,
        "parallel_tool_calls": True,
        "tool_choice": "auto",
        "tools": [],
    }


class Recorder:
    """A transport handler: records each JSON body, answers with `answer`."""

    def __init__(self, answer: dict[str, Any]) -> None:
        self.answer = answer
        self.bodies: list[dict[str, Any]] = []
        self.raw: list[bytes] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.raw.append(request.content)
        self.bodies.append(json.loads(request.content))
        return httpx.Response(200, json=self.answer, headers={"x-request-id": "req_1"})


@pytest.fixture
def both() -> Iterator[Callable[[dict[str, Any]], tuple[Any, Any, Recorder, Recorder]]]:
    """Make (ours, official, our recorder, official recorder) answering with the same JSON."""
    made: list[Any] = []

    def make(answer: dict[str, Any]) -> tuple[Any, Any, Recorder, Recorder]:
        ours_rec, theirs_rec = Recorder(answer), Recorder(answer)
        ours_http = httpx.Client(transport=httpx.MockTransport(ours_rec))
        theirs_http = httpx.Client(transport=httpx.MockTransport(theirs_rec))
        ours = openai_actors.OpenAI(api_key="sk-test", base_url="http://api.test/v1", http_client=ours_http)
        theirs = openai.OpenAI(api_key="sk-test", base_url="http://api.test/v1", http_client=theirs_http)
        made.extend([ours, theirs, ours_http, theirs_http])
        return ours, theirs, ours_rec, theirs_rec

    yield make
    for obj in made:
        obj.close()


MESSAGES = [{"role": "user", "content": "hi"}]


class TestChatParseBody:
    @pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
    def test_response_format_body_is_the_official_body(self, both: Any, model: type[Any]) -> None:
        """The whole body (schema, name, strict, stream: false) equals the official SDK's,
        and the schema's JSON text is the same byte for byte."""
        ours, theirs, ours_rec, theirs_rec = both(_completion(_answer_for(model)))
        mine = ours.chat.completions.parse(model="gpt-4o", messages=MESSAGES, response_format=model)
        official = theirs.chat.completions.parse(model="gpt-4o", messages=MESSAGES, response_format=model)

        assert theirs_rec.bodies == ours_rec.bodies
        schema = json.dumps(theirs_rec.bodies[0]["response_format"])
        assert schema == json.dumps(ours_rec.bodies[0]["response_format"])
        assert official.choices[0].message.parsed == mine.choices[0].message.parsed
        assert type(official.choices[0].message.parsed) is type(mine.choices[0].message.parsed)

    @pytest.mark.parametrize(
        "model", [Flat, Nested, WithEnum, WithUnion, DescribedRef, Tree], ids=lambda m: m.__name__
    )
    def test_pydantic_tool_body_and_parsed_arguments_match(self, both: Any, model: type[Any]) -> None:
        """`pydantic_function_tool(Model)` sends the official tool, and the call's
        `parsed_arguments` is the same instance."""
        call = {
            "id": "call_1",
            "type": "function",
            "function": {"name": "fn", "arguments": _answer_for(model)},
        }
        ours, theirs, ours_rec, theirs_rec = both(_completion(None, tool_calls=[call]))
        mine = ours.chat.completions.parse(
            model="gpt-4o", messages=MESSAGES, tools=[openai_actors.pydantic_function_tool(model, name="fn")]
        )
        official = theirs.chat.completions.parse(
            model="gpt-4o", messages=MESSAGES, tools=[openai.pydantic_function_tool(model, name="fn")]
        )

        assert theirs_rec.bodies == ours_rec.bodies
        assert json.dumps(theirs_rec.bodies[0]["tools"]) == json.dumps(ours_rec.bodies[0]["tools"])
        official_call = (official.choices[0].message.tool_calls or [])[0]
        my_call = (mine.choices[0].message.tool_calls or [])[0]
        assert official_call.function.parsed_arguments == my_call.function.parsed_arguments
        assert isinstance(my_call.function.parsed_arguments, model)

    def test_a_description_argument_and_a_plain_strict_tool(self, both: Any) -> None:
        """A tool's own `description`, and a hand-written strict tool beside it: the same
        body, and the strict tool's arguments come back as decoded JSON in both."""
        plain = {
            "type": "function",
            "function": {
                "name": "plain",
                "strict": True,
                "parameters": {
                    "type": "object",
                    "properties": {"a": {"type": "integer"}},
                    "required": ["a"],
                    "additionalProperties": False,
                },
            },
        }
        call = {"id": "call_1", "type": "function", "function": {"name": "plain", "arguments": '{"a": 1}'}}
        ours, theirs, ours_rec, theirs_rec = both(_completion(None, tool_calls=[call]))
        mine = ours.chat.completions.parse(
            model="gpt-4o",
            messages=MESSAGES,
            tools=[openai_actors.pydantic_function_tool(Flat, description="flat things"), plain],
        )
        official = theirs.chat.completions.parse(
            model="gpt-4o",
            messages=MESSAGES,
            tools=[openai.pydantic_function_tool(Flat, description="flat things"), plain],
        )
        assert theirs_rec.bodies == ours_rec.bodies
        assert {"a": 1} == (mine.choices[0].message.tool_calls or [])[0].function.parsed_arguments
        assert (official.choices[0].message.tool_calls or [])[0].function.parsed_arguments == (
            (mine.choices[0].message.tool_calls or [])[0].function.parsed_arguments
        )

    def test_a_response_format_dict_is_sent_as_it_is_and_not_parsed(self, both: Any) -> None:
        """A JSON-schema dict passes through untouched; `parsed` stays None in both."""
        response_format = {
            "type": "json_schema",
            "json_schema": {"name": "x", "schema": {"type": "object", "properties": {}}, "strict": False},
        }
        ours, theirs, ours_rec, theirs_rec = both(_completion('{"a": 1}'))
        mine = ours.chat.completions.parse(model="gpt-4o", messages=MESSAGES, response_format=response_format)
        official = theirs.chat.completions.parse(
            model="gpt-4o", messages=MESSAGES, response_format=response_format
        )
        assert theirs_rec.bodies == ours_rec.bodies
        assert official.choices[0].message.parsed is None
        assert mine.choices[0].message.parsed is None

    # The official SDK's own dump warns about its generic field (its problem, not this test's).
    @pytest.mark.filterwarnings("ignore:Pydantic serializer warnings:UserWarning")
    def test_the_parsed_completion_dumps_as_the_official_one(self, both: Any) -> None:
        """`to_dict()` of the result carries `parsed` as JSON, as the official's does."""
        ours, theirs, _, _ = both(_completion(_answer_for(Nested)))
        mine = ours.chat.completions.parse(model="gpt-4o", messages=MESSAGES, response_format=Nested)
        official = theirs.chat.completions.parse(model="gpt-4o", messages=MESSAGES, response_format=Nested)
        assert official.to_dict()["choices"] == mine.to_dict()["choices"]


class TestResponsesParseBody:
    @pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
    def test_text_format_body_is_the_official_body(self, both: Any, model: type[Any]) -> None:
        """`text_format=Model` becomes the official `text.format`, and `output_parsed` matches."""
        message = {
            "type": "message",
            "id": "msg_1",
            "role": "assistant",
            "status": "completed",
            "content": [{"type": "output_text", "text": _answer_for(model), "annotations": []}],
        }
        ours, theirs, ours_rec, theirs_rec = both(_response([message]))
        mine = ours.responses.parse(model="gpt-4o", input="hi", text_format=model)
        official = theirs.responses.parse(model="gpt-4o", input="hi", text_format=model)
        assert theirs_rec.bodies == ours_rec.bodies
        assert json.dumps(theirs_rec.bodies[0]["text"]) == json.dumps(ours_rec.bodies[0]["text"])
        assert official.output_parsed == mine.output_parsed
        assert mine.output_parsed is not None

    def test_text_format_joins_the_other_text_options(self, both: Any) -> None:
        """`text={"verbosity": ...}` keeps its keys beside the derived format; the official
        `parse`'s own `verbosity` keyword is sent as it sends it."""
        ours, theirs, ours_rec, theirs_rec = both(_response([]))
        ours.responses.parse(
            model="gpt-4o", input="hi", text_format=Flat, text={"verbosity": "low"}, verbosity="low"
        )
        theirs.responses.parse(
            model="gpt-4o", input="hi", text_format=Flat, text={"verbosity": "low"}, verbosity="low"
        )
        assert theirs_rec.bodies == ours_rec.bodies

    @pytest.mark.parametrize("description", [None, "find things"])
    def test_a_chat_pydantic_tool_becomes_the_official_responses_tool(
        self, both: Any, description: str | None
    ) -> None:
        """`pydantic_function_tool(Model)` given to responses.parse is converted as the
        official SDK converts it, and the call's `parsed_arguments` is the same."""
        call = {
            "type": "function_call",
            "id": "fc_1",
            "call_id": "call_1",
            "name": "Nested",
            "arguments": _answer_for(Nested),
            "status": "completed",
        }
        ours, theirs, ours_rec, theirs_rec = both(_response([call]))
        mine = ours.responses.parse(
            model="gpt-4o",
            input="hi",
            tools=[openai_actors.pydantic_function_tool(Nested, description=description)],
        )
        official = theirs.responses.parse(
            model="gpt-4o", input="hi", tools=[openai.pydantic_function_tool(Nested, description=description)]
        )
        assert theirs_rec.bodies == ours_rec.bodies
        assert official.output[0].parsed_arguments == mine.output[0].parsed_arguments
        assert isinstance(mine.output[0].parsed_arguments, Nested)

    def test_pydantic_responses_function_tool_is_the_converted_tool(self, both: Any) -> None:
        """The Responses-shaped helper sends what the conversion of the chat-shaped one sends."""
        ours, theirs, ours_rec, theirs_rec = both(_response([]))
        ours.responses.parse(
            model="gpt-4o", input="hi", tools=[openai_actors.pydantic_responses_function_tool(Tree)]
        )
        theirs.responses.parse(model="gpt-4o", input="hi", tools=[openai.pydantic_function_tool(Tree)])
        assert theirs_rec.bodies == ours_rec.bodies


class TestStrictSchema:
    @pytest.mark.parametrize("model", [m for m in MODELS if isinstance(m, type) and issubclass(m, BaseModel)])
    def test_to_strict_json_schema_is_the_officials(self, model: type[BaseModel]) -> None:
        """The pure schema rewrite gives the official `to_strict_json_schema` output, key order included."""
        from openai.lib._pydantic import to_strict_json_schema as official

        from openai_actors.lib._pydantic import to_strict_json_schema

        assert json.dumps(official(model)) == json.dumps(to_strict_json_schema(model))

    @pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
    def test_the_private_lib_paths_give_the_officials_formats(self, model: type[Any]) -> None:
        """`openai.lib._parsing`'s converters, at the same paths under `openai_actors.lib`
        (libraries built on the official SDK import them), give the same formats."""
        from openai.lib._parsing._completions import type_to_response_format_param as official_chat
        from openai.lib._parsing._responses import type_to_text_format_param as official_text

        from openai_actors.lib._parsing import type_to_response_format_param
        from openai_actors.lib._parsing._responses import type_to_text_format_param

        assert json.dumps(official_chat(model)) == json.dumps(type_to_response_format_param(model))
        assert json.dumps(official_text(model)) == json.dumps(type_to_text_format_param(model))


def test_a_stdlib_dataclass_the_official_sdk_refuses_is_accepted_here(both: Any) -> None:
    """Beyond the official SDK: a plain dataclass is sent as its strict schema and parsed back."""

    @dataclasses.dataclass
    class Movie:
        title: str
        year: int

    ours, theirs, ours_rec, _ = both(_completion('{"title": "T", "year": 1999}'))
    with pytest.raises(TypeError):
        theirs.chat.completions.parse(model="gpt-4o", messages=MESSAGES, response_format=Movie)
    mine = ours.chat.completions.parse(model="gpt-4o", messages=MESSAGES, response_format=Movie)
    assert Movie("T", 1999) == mine.choices[0].message.parsed
    sent = ours_rec.bodies[0]["response_format"]["json_schema"]
    assert {"name": "Movie", "strict": True} == {k: sent[k] for k in ("name", "strict")}
    assert {"title", "year"} == set(sent["schema"]["required"])
    assert sent["schema"]["additionalProperties"] is False
