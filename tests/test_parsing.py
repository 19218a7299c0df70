"""Structured outputs: `chat.completions.parse`, `responses.parse` and their sans-IO core.

The core (`_helpers/_parsing.py`) is tested on its own, JSON in and objects out;
the clients (sync, and async on asyncio and trio) against the bundled mock
server, which answers a `json_schema` response format and function tools with
schema-valid JSON, and through an `httpx.MockTransport` for the answers the mock
does not give (a refusal, the content filter, content that does not validate).
What the request carries is compared with the official SDK in
tests/test_parsing_differential.py.
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from enum import Enum
from typing import Any, Literal, Union

import httpx
import pydantic
import pytest
from pydantic import BaseModel
from typing_extensions import TypedDict  # pydantic needs this one below Python 3.12

import openai_actors
from openai_actors import (
    AsyncOpenAI,
    ContentFilterFinishReasonError,
    LengthFinishReasonError,
    OpenAI,
    pydantic_function_tool,
    pydantic_responses_function_tool,
)
from openai_actors._helpers import _parsing
from openai_actors.mock import MockServer
from openai_actors.types.chat import (
    ChatCompletion,
    ParsedChatCompletion,
    ParsedChatCompletionMessage,
    ParsedChoice,
    ParsedFunction,
    ParsedFunctionToolCall,
)
from openai_actors.types.responses import (
    ParsedResponse,
    ParsedResponseFunctionToolCall,
    ParsedResponseOutputMessage,
    ParsedResponseOutputText,
    Response,
)

from .conftest import client_for

MESSAGES = [{"role": "user", "content": "solve 8x + 31 = 2"}]


class Step(BaseModel):
    explanation: str
    output: str


class MathResponse(BaseModel):
    steps: list[Step]
    final_answer: str


class Table(str, Enum):  # noqa: UP042 (as users write it)
    orders = "orders"
    customers = "customers"


class Operator(str, Enum):  # noqa: UP042
    eq = "="
    gt = ">"


class DynamicValue(BaseModel):
    column_name: str


class Condition(BaseModel):
    column: str
    operator: Operator
    value: Union[str, int, DynamicValue]  # noqa: UP007


class Query(BaseModel):
    """Look rows up in a table."""

    table_name: Table
    conditions: list[Condition]
    order_by: Literal["asc", "desc"]
    limit: int | None = None


@dataclasses.dataclass
class Movie:
    title: str
    year: int


class Book(TypedDict):
    title: str
    pages: int


# -- canned answers ------------------------------------------------------------------


def completion(
    content: str | None = None,
    *,
    finish_reason: str = "stop",
    refusal: str | None = None,
    tool_calls: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1,
        "model": "gpt-4o",
        "choices": [
            {
                "index": 0,
                "finish_reason": finish_reason,
                "message": {
                    "role": "assistant",
                    "content": content,
                    "refusal": refusal,
                    "tool_calls": tool_calls,
                },
                "logprobs": None,
            }
        ],
        "usage": {"prompt_tokens": 5, "completion_tokens": 7, "total_tokens": 12},
    }


def function_call(name: str, arguments: Any, call_id: str = "call_1") -> dict[str, Any]:
    text = arguments if isinstance(arguments, str) else json.dumps(arguments)
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": text}}


MATH = {"steps": [{"explanation": "subtract 31", "output": "8x = -29"}], "final_answer": "x = -29/8"}
QUERY = {
    "table_name": "orders",
    "conditions": [{"column": "status", "operator": "=", "value": {"column_name": "shipped"}}],
    "order_by": "asc",
    "limit": None,
}


def response(output: list[dict[str, Any]]) -> dict[str, Any]:
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


def output_message(*parts: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "message",
        "id": "msg_1",
        "role": "assistant",
        "status": "completed",
        "content": list(parts),
    }


def output_text(text: str) -> dict[str, Any]:
    return {"type": "output_text", "text": text, "annotations": []}


# -- the sans-IO core ----------------------------------------------------------------


class TestParseChatCompletion:
    def parse(self, raw: dict[str, Any], response_format: Any = MathResponse, tools: Any = None) -> Any:
        return _parsing.parse_chat_completion(
            response_format=response_format,
            input_tools=_parsing.validate_input_tools(tools),
            chat_completion=ChatCompletion._from_raw(raw),
        )

    def test_the_content_becomes_an_instance_of_the_model(self) -> None:
        """`message.parsed` is the model built from the content; the rest is the completion's."""
        result = self.parse(completion(json.dumps(MATH)))
        assert isinstance(result, ParsedChatCompletion)
        assert isinstance(result.choices[0], ParsedChoice)
        assert isinstance(result.choices[0].message, ParsedChatCompletionMessage)
        assert MathResponse.model_validate(MATH) == result.choices[0].message.parsed
        assert ("chatcmpl-1", 12) == (result.id, result.usage.total_tokens)

    def test_dataclasses_and_typeddicts_validate_through_a_type_adapter(self) -> None:
        """A dataclass comes back as an instance, a TypedDict as a checked dict."""
        movie = self.parse(completion('{"title": "Heat", "year": 1995}'), Movie)
        assert Movie("Heat", 1995) == movie.choices[0].message.parsed
        book = self.parse(completion('{"title": "Dune", "pages": "412"}'), Book)
        assert {"title": "Dune", "pages": 412} == book.choices[0].message.parsed

    def test_to_dict_carries_parsed_as_json_and_the_input_is_left_alone(self) -> None:
        """The parsed value is in `to_dict()`/`to_json()` as JSON; the ChatCompletion given is not changed."""
        raw = completion(json.dumps(MATH))
        before = json.dumps(raw)
        result = self.parse(raw)
        assert MATH == result.to_dict()["choices"][0]["message"]["parsed"]
        assert MATH == json.loads(result.to_json())["choices"][0]["message"]["parsed"]
        assert before == json.dumps(raw)

    def test_every_choice_is_parsed(self) -> None:
        """With `n` > 1, each choice's message gets its own parsed object."""
        raw = completion(json.dumps(MATH))
        second = json.loads(json.dumps(raw["choices"][0]))
        second["index"] = 1
        second["message"]["content"] = json.dumps({**MATH, "final_answer": "x = -3.625"})
        raw["choices"].append(second)
        result = self.parse(raw)
        assert ["x = -29/8", "x = -3.625"] == [c.message.parsed.final_answer for c in result.choices]

    def test_a_refusal_leaves_parsed_none(self) -> None:
        """The model refused: `refusal` says why, `parsed` is None, nothing raises."""
        result = self.parse(completion(None, refusal="I can't help with that."))
        message = result.choices[0].message
        assert (None, "I can't help with that.") == (message.parsed, message.refusal)

    def test_a_cut_answer_raises_length_finish_reason_error(self) -> None:
        """finish_reason "length": the JSON is cut short; the error carries the completion and its usage."""
        with pytest.raises(LengthFinishReasonError, match="length limit was reached - ") as caught:
            self.parse(completion('{"steps": [', finish_reason="length"))
        assert 12 == caught.value.completion.usage.total_tokens

    def test_a_filtered_answer_raises_content_filter_finish_reason_error(self) -> None:
        """finish_reason "content_filter": the content was withheld, so nothing is parsed."""
        with pytest.raises(ContentFilterFinishReasonError, match="rejected by the content filter"):
            self.parse(completion(None, finish_reason="content_filter"))

    def test_content_that_does_not_fit_the_model_raises_pydantics_error(self) -> None:
        """Content the model does not accept raises pydantic's own error, not a silent None."""
        with pytest.raises(pydantic.ValidationError):
            self.parse(completion('{"steps": "none"}'))

    def test_tool_calls_get_parsed_arguments_by_tool(self) -> None:
        """A pydantic tool's call: an instance; a strict dict tool's: decoded JSON; a tool not given: None."""
        strict = {"type": "function", "function": {"name": "lookup", "strict": True, "parameters": {}}}
        calls = [
            function_call("Query", QUERY, "c1"),
            function_call("lookup", {"id": 3}, "c2"),
            function_call("unknown", {"x": 1}, "c3"),
        ]
        result = self.parse(completion(None, tool_calls=calls), None, [pydantic_function_tool(Query), strict])
        parsed = [c.function.parsed_arguments for c in result.choices[0].message.tool_calls]
        assert [Query.model_validate(QUERY), {"id": 3}, None] == parsed
        call = result.choices[0].message.tool_calls[0]
        assert isinstance(call, ParsedFunctionToolCall)
        assert isinstance(call.function, ParsedFunction)
        assert Table.orders is call.function.parsed_arguments.table_name
        assert (
            QUERY
            == result.to_dict()["choices"][0]["message"]["tool_calls"][0]["function"]["parsed_arguments"]
        )
        assert result.choices[0].message.parsed is None

    def test_custom_tool_calls_are_dropped_and_an_empty_list_is_none(self) -> None:
        """A custom tool's call has free text, not JSON: it is left out (with a warning)."""
        custom = {"id": "c1", "type": "custom", "custom": {"name": "grammar", "input": "x"}}
        result = self.parse(completion(None, tool_calls=[custom]), None)
        assert result.choices[0].message.tool_calls is None

    def test_pickle_and_deepcopy_keep_the_parsed_objects(self) -> None:
        """A pickled (or deep-copied) result still holds instances of the caller's types."""
        import copy
        import pickle

        tools = [pydantic_function_tool(Query)]
        result = self.parse(
            completion(json.dumps(MATH), tool_calls=[function_call("Query", QUERY)]), MathResponse, tools
        )
        for again in (pickle.loads(pickle.dumps(result)), copy.deepcopy(result)):
            message = again.choices[0].message
            assert isinstance(message.parsed, MathResponse)
            assert Query.model_validate(QUERY) == message.tool_calls[0].function.parsed_arguments
            assert result.to_dict() == again.to_dict()

    def test_a_completion_read_back_from_json_has_the_parsed_classes(self) -> None:
        """`_from_raw` of a dumped ParsedChatCompletion gives the same classes, `parsed` as JSON."""
        dumped = self.parse(completion(json.dumps(MATH))).to_dict()
        again: ParsedChatCompletion[Any] = ParsedChatCompletion._from_raw(dumped)
        assert isinstance(again.choices[0].message, ParsedChatCompletionMessage)
        assert MATH == again.choices[0].message.parsed


class TestRequestSide:
    def test_a_type_becomes_a_strict_json_schema_format(self) -> None:
        """A model class is sent as a strict json_schema format named after it, every object closed."""
        sent = _parsing.type_to_response_format(MathResponse)
        assert ("json_schema", "MathResponse", True) == (
            sent["type"],
            sent["json_schema"]["name"],
            sent["json_schema"]["strict"],
        )
        step = sent["json_schema"]["schema"]["$defs"]["Step"]
        assert (False, ["explanation", "output"]) == (step["additionalProperties"], step["required"])

    def test_a_types_schema_is_derived_once_and_a_tools_copy_is_its_own(self) -> None:
        """pydantic derives a type's schema once (it costs ~1 ms); what a user is handed
        (`pydantic_function_tool`'s parameters) is a copy they may change."""
        from openai_actors._helpers import _schema

        first = _parsing.type_to_response_format(MathResponse)["json_schema"]["schema"]
        assert first is _parsing.type_to_response_format(MathResponse)["json_schema"]["schema"]
        assert first is _parsing.type_to_text_format(MathResponse)["schema"]
        mine = pydantic_function_tool(MathResponse)["function"]["parameters"]
        assert first == mine
        mine["properties"].clear()
        assert {"steps", "final_answer"} == set(_schema.to_strict_json_schema(MathResponse)["properties"])

    def test_optional_fields_are_required_and_nullable_without_a_default(self) -> None:
        """Strict mode: every property required; a None default dropped, the null type kept."""
        limit = _parsing.type_to_response_format(Query)["json_schema"]["schema"]["properties"]["limit"]
        assert {"anyOf": [{"type": "integer"}, {"type": "null"}], "title": "Limit"} == limit

    def test_a_dict_passes_through_and_omitted_stays_omitted(self) -> None:
        """A response_format dict is sent as given; an omitted one is not sent."""
        fmt = {"type": "json_object"}
        assert fmt is _parsing.type_to_response_format(fmt)
        assert isinstance(_parsing.type_to_response_format(openai_actors.omit), openai_actors.Omit)

    @pytest.mark.parametrize(
        ("bad", "message"),
        [
            (MathResponse.model_validate(MATH), "must be a type .* not MathResponse"),
            ("MathResponse", "must be a type .* not str"),
            (int, "response_format=int is not a type .parse"),
            (list[int], "must be a type"),
        ],
    )
    def test_a_response_format_that_is_not_a_model_type_is_a_clear_type_error(
        self, bad: Any, message: str
    ) -> None:
        """An instance, a string, a builtin or a generic alias is a TypeError naming what was expected."""
        with pytest.raises(TypeError, match=message):
            _parsing.type_to_response_format(bad)

    @pytest.mark.parametrize(
        ("tools", "error", "message"),
        [
            (
                [{"type": "function", "function": {"name": "f", "parameters": {}}}],
                ValueError,
                "`f` is not strict",
            ),
            ([{"type": "custom", "custom": {"name": "g"}}], ValueError, "Received `custom`"),
            ({"type": "function"}, TypeError, "tools must be a list"),
            (["f"], TypeError, r"tools\[0\] must be a tool dict"),
        ],
    )
    def test_tools_parse_cannot_read_are_refused(
        self, tools: Any, error: type[Exception], message: str
    ) -> None:
        """Non-strict or non-function tools, and tools that are not a list of dicts, are refused before sending."""
        with pytest.raises(error, match=message):
            _parsing.validate_input_tools(tools)

    def test_a_hand_written_chat_tool_cannot_go_to_responses_parse(self) -> None:
        """Only pydantic_function_tool's chat tools have a Responses twin; another is a TypeError saying so."""
        plain = {"type": "function", "function": {"name": "f", "strict": True, "parameters": {}}}
        with pytest.raises(TypeError, match="only those made with pydantic_function_tool"):
            _parsing.make_responses_tools([plain])

    def test_pydantic_function_tool_takes_name_and_description(self) -> None:
        """`name` and `description` override the class name and docstring, which are the defaults."""
        tool = pydantic_function_tool(Query, name="query_db", description="Query the database.")
        function = tool["function"]
        assert ("query_db", "Query the database.", True) == (
            function["name"],
            function.get("description"),
            function.get("strict"),
        )
        default = pydantic_function_tool(Query)["function"]
        assert ("Query", "Look rows up in a table.") == (default["name"], default.get("description"))

    def test_the_tool_helpers_refuse_what_is_not_a_pydantic_model(self) -> None:
        """The tool helpers take pydantic models only (a dataclass has no model to validate arguments into)."""
        with pytest.raises(TypeError, match="takes a pydantic BaseModel subclass"):
            pydantic_function_tool(Movie)  # type: ignore[arg-type]
        with pytest.raises(TypeError, match="takes a pydantic BaseModel subclass"):
            pydantic_responses_function_tool(dict)  # type: ignore[arg-type]


class TestParseResponse:
    def test_output_text_is_parsed_and_output_parsed_finds_it(self) -> None:
        """Each output_text part gets `parsed`; other parts and items pass as they came."""
        raw = response(
            [
                {"type": "reasoning", "id": "rs_1", "summary": []},
                output_message({"type": "refusal", "refusal": "no"}, output_text(json.dumps(MATH))),
            ]
        )
        result = _parsing.parse_response(
            text_format=MathResponse, input_tools=None, response=Response._from_raw(raw)
        )
        assert isinstance(result, ParsedResponse)
        message = result.output[1]
        assert isinstance(message, ParsedResponseOutputMessage)
        assert isinstance(message.content[1], ParsedResponseOutputText)
        assert MathResponse.model_validate(MATH) == result.output_parsed
        assert json.dumps(MATH) == result.output_text
        assert MATH == result.to_dict()["output"][1]["content"][1]["parsed"]

    def test_without_text_format_nothing_is_parsed(self) -> None:
        """No text_format: `output_parsed` is None and the text is left as text."""
        raw = response([output_message(output_text('{"a": 1}'))])
        result = _parsing.parse_response(
            text_format=openai_actors.omit, input_tools=None, response=Response._from_raw(raw)
        )
        assert result.output_parsed is None

    def test_function_calls_get_parsed_arguments_kept_out_of_the_json(self) -> None:
        """An instance for a pydantic tool; not in `to_dict()`, so sending the item back
        as `input` sends only what the API takes."""
        raw = response(
            [
                {"type": "function_call", "call_id": "c1", "name": "Query", "arguments": json.dumps(QUERY)},
                {"type": "function_call", "call_id": "c2", "name": "other", "arguments": "{}"},
            ]
        )
        tools = _parsing.make_responses_tools([pydantic_function_tool(Query)])
        result = _parsing.parse_response(
            text_format=openai_actors.omit, input_tools=tools, response=Response._from_raw(raw)
        )
        first, second = result.output
        assert isinstance(first, ParsedResponseFunctionToolCall)
        assert (Query.model_validate(QUERY), None) == (first.parsed_arguments, second.parsed_arguments)
        assert "parsed_arguments" not in first.to_dict()
        assert "parsed_arguments=Query(" in repr(first)
        import pickle

        again = pickle.loads(pickle.dumps(result))
        assert Query.model_validate(QUERY) == again.output[0].parsed_arguments


# -- through the clients -------------------------------------------------------------


def transport_client(answer: dict[str, Any], *, sync: bool) -> Any:
    """A client whose requests all get `answer` (through an httpx MockTransport)."""

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=answer)

    transport = httpx.MockTransport(handler)
    if sync:
        return OpenAI(
            api_key="sk-test", base_url="http://api.test/v1", http_client=httpx.Client(transport=transport)
        )
    return AsyncOpenAI(
        api_key="sk-test", base_url="http://api.test/v1", http_client=httpx.AsyncClient(transport=transport)
    )


@pytest.mark.anyio
class TestAsyncClient:
    async def test_parse_returns_an_instance_of_the_model(self, server: MockServer) -> None:
        """Through the dispatcher and the mock: `parsed` is the model, the request id is kept."""
        async with client_for(server) as client:
            result = await client.chat.completions.parse(
                model="gpt-4o", messages=MESSAGES, response_format=MathResponse
            )
        parsed = result.choices[0].message.parsed
        assert isinstance(parsed, MathResponse)
        assert all(isinstance(step, Step) for step in parsed.steps)
        assert result._request_id is not None

    async def test_concurrent_parses_each_get_their_own_type(self, server: MockServer) -> None:
        """Thirty calls at once, two types interleaved: every call ends with one result,
        parsed into the type that call asked for."""
        import anyio

        results: dict[int, Any] = {}

        async def one(i: int) -> None:
            fmt: type[BaseModel] = MathResponse if i % 2 else Query
            done = await client.chat.completions.parse(model="gpt-4o", messages=MESSAGES, response_format=fmt)
            results[i] = done.choices[0].message.parsed

        async with client_for(server) as client, anyio.create_task_group() as tg:
            for i in range(30):
                tg.start_soon(one, i)
        assert list(range(30)) == sorted(results)
        assert all(isinstance(parsed, MathResponse if i % 2 else Query) for i, parsed in results.items())

    async def test_nested_enum_and_union_models_round_trip(self, server: MockServer) -> None:
        """Nested models, str enums and unions come back as their Python types."""
        async with client_for(server) as client:
            result = await client.chat.completions.parse(
                model="gpt-4o", messages=MESSAGES, response_format=Query
            )
        parsed = result.choices[0].message.parsed
        assert isinstance(parsed, Query)
        assert isinstance(parsed.table_name, Table)
        assert all(isinstance(c.operator, Operator) for c in parsed.conditions)

    async def test_tool_calls_come_back_with_parsed_arguments(self, server: MockServer) -> None:
        """A pydantic tool's call carries an instance of its model."""
        async with client_for(server) as client:
            result = await client.chat.completions.parse(
                model="gpt-4o", messages=MESSAGES, tools=[pydantic_function_tool(Query)]
            )
        calls = result.choices[0].message.tool_calls or []
        assert 1 == len(calls)
        assert isinstance(calls[0].function.parsed_arguments, Query)

    async def test_the_token_limit_raises_length_finish_reason_error(self, server: MockServer) -> None:
        """A cut answer (max_completion_tokens) raises, and the client serves the next call."""
        async with client_for(server) as client:
            with pytest.raises(LengthFinishReasonError):
                await client.chat.completions.parse(
                    model="gpt-4o", messages=MESSAGES, response_format=MathResponse, max_completion_tokens=2
                )
            # The client is unharmed: the next call gets its answer.
            again = await client.chat.completions.parse(
                model="gpt-4o", messages=MESSAGES, response_format=MathResponse
            )
        assert isinstance(again.choices[0].message.parsed, MathResponse)

    async def test_a_refusal_comes_back_with_parsed_none(self) -> None:
        """A refusal is an answer, not an error: `parsed` None, `refusal` the text."""
        async with transport_client(completion(None, refusal="I can't."), sync=False) as client:
            result = await client.chat.completions.parse(
                model="gpt-4o", messages=MESSAGES, response_format=MathResponse
            )
        assert (None, "I can't.") == (result.choices[0].message.parsed, result.choices[0].message.refusal)

    async def test_content_that_does_not_validate_fails_that_call_only(self) -> None:
        """pydantic's ValidationError reaches the caller; the dispatcher and the next call are fine."""
        async with transport_client(completion('{"final_answer": 1}'), sync=False) as client:
            with pytest.raises(pydantic.ValidationError):
                await client.chat.completions.parse(
                    model="gpt-4o", messages=MESSAGES, response_format=MathResponse
                )
            plain = await client.chat.completions.create(model="gpt-4o", messages=MESSAGES)
        assert '{"final_answer": 1}' == plain.choices[0].message.content

    async def test_the_content_filter_raises_its_error(self) -> None:
        """finish_reason "content_filter" raises ContentFilterFinishReasonError in the caller."""
        async with transport_client(completion(None, finish_reason="content_filter"), sync=False) as client:
            with pytest.raises(ContentFilterFinishReasonError):
                await client.chat.completions.parse(
                    model="gpt-4o", messages=MESSAGES, response_format=MathResponse
                )

    async def test_bad_arguments_fail_in_the_caller_and_the_client_goes_on(self, server: MockServer) -> None:
        """Each bad call raises its own error before anything is sent; a good call then works."""
        loose = {"type": "function", "function": {"name": "loose", "parameters": {}}}
        async with client_for(server) as client:
            with pytest.raises(ValueError, match="`loose` is not strict"):
                await client.chat.completions.parse(model="gpt-4o", messages=MESSAGES, tools=[loose])
            with pytest.raises(TypeError, match="response_format must be a type"):
                await client.chat.completions.parse(model="gpt-4o", messages=MESSAGES, response_format="json")  # type: ignore[arg-type]
            with pytest.raises(
                TypeError, match=r"unexpected keyword argument 'stream': parse\(\) does not stream"
            ):
                await client.chat.completions.parse(model="gpt-4o", messages=MESSAGES, stream=True)  # type: ignore[call-arg]
            with pytest.raises(TypeError, match=r"must use `chat\.completions\.parse"):
                await client.chat.completions.create(
                    model="gpt-4o", messages=MESSAGES, response_format=MathResponse
                )  # type: ignore[arg-type]
            with pytest.raises(TypeError, match="unexpected keyword argument 'tempreature'"):
                await client.chat.completions.parse(model="gpt-4o", messages=MESSAGES, tempreature=1)  # type: ignore[call-arg]
            assert 0 == client.stats().submitted
            result = await client.chat.completions.parse(
                model="gpt-4o", messages=MESSAGES, response_format=MathResponse
            )
        assert isinstance(result.choices[0].message.parsed, MathResponse)

    async def test_with_raw_response_parse_gives_headers_and_the_parsed_completion(
        self, server: MockServer
    ) -> None:
        """The raw view offers `parse`: headers first, the parsed completion from `.parse()`."""
        async with client_for(server) as client:
            raw = await client.chat.completions.with_raw_response.parse(
                model="gpt-4o", messages=MESSAGES, response_format=MathResponse
            )
            result = raw.parse()
        assert raw.headers.get("x-request-id")
        assert isinstance(result.choices[0].message.parsed, MathResponse)

    async def test_with_streaming_response_parse_reads_the_body_then_parses(self, server: MockServer) -> None:
        """The streaming view offers `parse` too; `await .parse()` reads the body and parses it."""
        async with client_for(server) as client:
            async with client.chat.completions.with_streaming_response.parse(
                model="gpt-4o", messages=MESSAGES, response_format=MathResponse
            ) as response:
                result = await response.parse()
        assert isinstance(result.choices[0].message.parsed, MathResponse)

    async def test_responses_parse_with_text_format(self, server: MockServer) -> None:
        """`output_parsed` is the model, the same object as the text part's `parsed`."""
        async with client_for(server) as client:
            result = await client.responses.parse(
                model="gpt-4o", input="solve 8x + 31 = 2", text_format=MathResponse
            )
        assert isinstance(result.output_parsed, MathResponse)
        message = result.output[0]
        assert message.type == "message"
        text = message.content[0]
        assert text.type == "output_text"
        assert result.output_parsed == text.parsed

    @pytest.mark.parametrize("helper", [pydantic_function_tool, pydantic_responses_function_tool])
    async def test_responses_parse_with_tools(self, server: MockServer, helper: Any) -> None:
        """Either tool helper's calls come back with `parsed_arguments`, an instance of the model."""
        async with client_for(server) as client:
            result = await client.responses.parse(model="gpt-4o", input="find orders", tools=[helper(Query)])
        call = result.output[0]
        assert call.type == "function_call"
        assert isinstance(call.parsed_arguments, Query)

    async def test_responses_parse_refuses_stream_and_a_double_format(self, server: MockServer) -> None:
        """`stream=True` and text.format beside text_format are TypeErrors, and nothing is sent."""
        async with client_for(server) as client:
            with pytest.raises(TypeError, match=r"responses.parse\(\) does not stream"):
                await client.responses.parse(model="gpt-4o", input="x", stream=True)  # type: ignore[typeddict-item]
            with pytest.raises(TypeError, match=r"Cannot mix and match text\.format with text_format"):
                await client.responses.parse(
                    model="gpt-4o", input="x", text_format=MathResponse, text={"format": {"type": "text"}}
                )
            assert 0 == client.stats().submitted


class TestSyncClient:
    def test_parse_with_a_model_and_with_tools(self, server: MockServer) -> None:
        """The sync client: chat with a model, chat with tools, responses with text_format."""
        with OpenAI(api_key="sk-test", base_url=server.url) as client:
            result = client.chat.completions.parse(model="gpt-4o", messages=MESSAGES, response_format=Query)
            tools = client.chat.completions.parse(
                model="gpt-4o", messages=MESSAGES, tools=[pydantic_function_tool(Query)]
            )
            parsed_response = client.responses.parse(model="gpt-4o", input="x", text_format=MathResponse)
        assert isinstance(result.choices[0].message.parsed, Query)
        assert isinstance((tools.choices[0].message.tool_calls or [])[0].function.parsed_arguments, Query)
        assert isinstance(parsed_response.output_parsed, MathResponse)

    def test_beta_chat_completions_parse_is_chat_completions_parse(self, server: MockServer) -> None:
        """`client.beta.chat.completions.parse`, where 2024's code calls it, is the same helper."""
        with OpenAI(api_key="sk-test", base_url=server.url) as client:
            result = client.beta.chat.completions.parse(
                model="gpt-4o", messages=MESSAGES, response_format=MathResponse
            )
            assert type(client.chat.completions) is type(client.beta.chat.completions)
        assert isinstance(result.choices[0].message.parsed, MathResponse)

    def test_with_raw_and_streaming_response_parse(self, server: MockServer) -> None:
        """The sync client's raw and streaming views offer `parse`."""
        with OpenAI(api_key="sk-test", base_url=server.url) as client:
            raw = client.responses.with_raw_response.parse(
                model="gpt-4o", input="x", text_format=MathResponse
            )
        assert raw.headers.get("x-request-id")
        assert isinstance(raw.parse().output_parsed, MathResponse)
        with OpenAI(api_key="sk-test", base_url=server.url) as client:
            with client.responses.with_streaming_response.parse(
                model="gpt-4o", input="x", text_format=MathResponse
            ) as response:
                assert isinstance(response.parse().output_parsed, MathResponse)

    def test_length_refusal_and_content_filter(self, server: MockServer) -> None:
        """The sync client: length and content_filter raise, a refusal gives `parsed` None."""
        with OpenAI(api_key="sk-test", base_url=server.url) as client, pytest.raises(LengthFinishReasonError):
            client.chat.completions.parse(
                model="gpt-4o", messages=MESSAGES, response_format=MathResponse, max_completion_tokens=1
            )
        with transport_client(completion(None, refusal="no"), sync=True) as client:
            refused = client.chat.completions.parse(
                model="gpt-4o", messages=MESSAGES, response_format=MathResponse
            )
        assert refused.choices[0].message.parsed is None
        with transport_client(completion("{}", finish_reason="content_filter"), sync=True) as client:
            with pytest.raises(ContentFilterFinishReasonError):
                client.chat.completions.parse(model="gpt-4o", messages=MESSAGES, response_format=MathResponse)

    def test_invalid_content_raises_validation_error_in_the_caller(self) -> None:
        """Content that does not validate raises in the calling thread; the client goes on."""
        with transport_client(completion('{"steps": 3}'), sync=True) as client:
            with pytest.raises(pydantic.ValidationError):
                client.chat.completions.parse(model="gpt-4o", messages=MESSAGES, response_format=MathResponse)
            with pytest.raises(
                TypeError, match=r"unexpected keyword argument 'stream': parse\(\) does not stream"
            ):
                client.chat.completions.parse(model="gpt-4o", messages=MESSAGES, stream=True)  # type: ignore[call-arg]
            # The client goes on: the same answer, unparsed, through create.
            plain = client.chat.completions.create(model="gpt-4o", messages=MESSAGES)
        assert '{"steps": 3}' == plain.choices[0].message.content


# -- the surface -----------------------------------------------------------------------


def _has_openai() -> bool:
    import importlib.util

    return importlib.util.find_spec("openai") is not None


class TestSurface:
    def test_parse_takes_every_create_parameter(self) -> None:
        """`ParseArgs` lists what `create` takes less `response_format` and `tools` (explicit
        parameters of `parse`) and `stream` (not taken, as in the official SDK); the
        Responses `parse` adds the official `verbosity`. A parameter added to the spec shows up here."""
        from openai_actors._helpers.chat_completions import ParseArgs
        from openai_actors._helpers.responses_resource import ResponsesParseArgs, _ParseArgs
        from openai_actors._resources._base import REQUEST_OPTION_NAMES
        from openai_actors.resources.chat.completions.completions import _CREATE as CHAT_CREATE
        from openai_actors.resources.responses.responses import _CREATE as RESPONSES_CREATE

        assert (
            set(CHAT_CREATE.keys) - {"response_format", "tools", "stream"}
            == set(ParseArgs.__annotations__) - REQUEST_OPTION_NAMES
        )
        assert (
            set(RESPONSES_CREATE.keys) - {"tools"}
            == set(ResponsesParseArgs.__annotations__) - REQUEST_OPTION_NAMES
        )
        assert {"verbosity"} == set(_ParseArgs.__annotations__) - set(ResponsesParseArgs.__annotations__)

    @pytest.mark.parametrize(
        "module",
        [
            "types.chat",
            "types.chat.parsed_chat_completion",
            "types.chat.parsed_function_tool_call",
            "types.responses",
            "types.responses.parsed_response",
        ],
    )
    def test_the_parsed_types_are_where_the_official_sdk_has_them(self, module: str) -> None:
        """Every `Parsed*` name of the official module is importable from ours, and is one class."""
        import importlib

        official = importlib.import_module(f"openai.{module}") if _has_openai() else None
        if official is None:
            pytest.skip("the official openai package is not installed")
        from openai_actors._helpers import parsed_chat_completion, parsed_response

        ours = importlib.import_module(f"openai_actors.{module}")
        names = [n for n in dir(official) if n.startswith("Parsed")]
        assert names
        for name in names:
            defined = getattr(parsed_chat_completion, name, None) or getattr(parsed_response, name)
            assert defined is getattr(ours, name), name

    def test_import_and_plain_requests_do_not_import_pydantic(self) -> None:
        """pydantic is the user's: importing the package, reaching the resources and parsing
        with a response_format dict never import it."""
        code = """if True:
            import sys
            import openai_actors
            from openai_actors import OpenAI, pydantic_function_tool, LengthFinishReasonError
            from openai_actors.types.chat import ParsedChatCompletion
            from openai_actors.types.responses import ParsedResponse
            from openai_actors._helpers import _parsing
            from openai_actors.types.chat import ChatCompletion
            client = OpenAI(api_key="sk-x")
            client.chat.completions, client.responses
            fmt = _parsing.type_to_response_format({"type": "json_object"})
            raw = {"id": "c", "choices": [{"index": 0, "finish_reason": "stop",
                   "message": {"role": "assistant", "content": "{}"}}]}
            done = _parsing.parse_chat_completion(response_format=fmt, input_tools=None,
                                                  chat_completion=ChatCompletion._from_raw(raw))
            assert done.choices[0].message.parsed is None
            assert "pydantic" not in sys.modules, "pydantic was imported"
        """
        subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
