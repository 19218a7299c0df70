"""`chat.completions.stream()` and `responses.stream()` against the mock server: asyncio, trio, sync."""

from __future__ import annotations

from typing import Any

import anyio
import pytest
from pydantic import BaseModel

from openai_actors import APIError, OpenAI, pydantic_function_tool
from openai_actors.lib.streaming.chat import (
    ChunkEvent,
    ContentDeltaEvent,
    ContentDoneEvent,
    FunctionToolCallArgumentsDeltaEvent,
    FunctionToolCallArgumentsDoneEvent,
    RefusalDoneEvent,
)
from openai_actors.lib.streaming.responses import (
    ResponseFunctionCallArgumentsDeltaEvent,
    ResponseTextDeltaEvent,
    ResponseTextDoneEvent,
)
from openai_actors.mock import Fault, MockServer
from openai_actors.types.responses import ResponseErrorEvent

from .conftest import client_for, until

CHAT = "/v1/chat/completions"
RESPONSES = "/v1/responses"
MESSAGES: list[Any] = [{"role": "user", "content": "hello there"}]
LONG = [{"role": "user", "content": "streaming " * 40}]


class Step(BaseModel):
    explanation: str
    output: str


class MathResponse(BaseModel):
    steps: list[Step]
    final_answer: str


class GetWeather(BaseModel):
    city: str
    country: str


EXPECTED_MATH = MathResponse(
    steps=[Step(explanation="explanation", output="output")], final_answer="final_answer"
)


def sync_client(server: MockServer) -> OpenAI:
    return OpenAI(api_key="sk-test", base_url=server.url)


@pytest.mark.anyio
class TestChatStream:
    async def test_text_comes_as_deltas_with_the_text_so_far_and_adds_up(self, server: MockServer) -> None:
        async with client_for(server) as client:
            async with client.chat.completions.stream(model="gpt-4o", messages=MESSAGES) as stream:
                events = [event async for event in stream]
                final = await stream.get_final_completion()
        deltas = [e for e in events if isinstance(e, ContentDeltaEvent)]
        assert "echo: hello there" == "".join(e.delta for e in deltas) == deltas[-1].snapshot
        assert [("content.done", "echo: hello there")] == [
            (e.type, e.content) for e in events if isinstance(e, ContentDoneEvent)
        ]
        assert "echo: hello there" == final.choices[0].message.content
        assert final.choices[0].message.parsed is None
        assert isinstance(events[0], ChunkEvent)
        request = server.requests[0]
        assert request.json()["stream"] is True
        assert "chat.completions.stream" == request.headers["x-stainless-helper-method"]

    async def test_a_structured_output_is_parsed_when_done_and_in_the_final_completion(
        self, server: MockServer
    ) -> None:
        async with client_for(server) as client:
            async with client.chat.completions.stream(
                model="gpt-4o", messages=MESSAGES, response_format=MathResponse
            ) as stream:
                events = [event async for event in stream]
            final = await stream.get_final_completion()
        (done,) = [e for e in events if isinstance(e, ContentDoneEvent)]
        assert EXPECTED_MATH == done.parsed
        assert EXPECTED_MATH == final.choices[0].message.parsed
        previews = [e.parsed for e in events if isinstance(e, ContentDeltaEvent) and e.delta]
        assert {"steps": [{"explanation": "explanation", "output": "output"}]} in previews
        sent = server.requests[0].json()["response_format"]
        assert "json_schema" == sent["type"] and "MathResponse" == sent["json_schema"]["name"]

    async def test_tool_call_arguments_stream_and_are_parsed_into_the_tool_model(
        self, server: MockServer
    ) -> None:
        async with client_for(server) as client:
            async with client.chat.completions.stream(
                model="gpt-4o",
                messages=MESSAGES,
                tools=[pydantic_function_tool(GetWeather, name="get_weather")],
            ) as stream:
                events = [event async for event in stream]
            final = await stream.get_final_completion()
        deltas = [e for e in events if isinstance(e, FunctionToolCallArgumentsDeltaEvent)]
        assert '{"city":"city","country":"country"}' == deltas[-1].arguments
        assert {"city": "city", "country": "country"} == deltas[-1].parsed_arguments
        (done,) = [e for e in events if isinstance(e, FunctionToolCallArgumentsDoneEvent)]
        assert ("get_weather", GetWeather(city="city", country="country")) == (
            done.name,
            done.parsed_arguments,
        )
        calls = final.choices[0].message.tool_calls
        assert (
            calls is not None
            and GetWeather(city="city", country="country") == calls[0].function.parsed_arguments
        )

    async def test_a_refusal_comes_as_refusal_events_and_nothing_is_parsed(self, server: MockServer) -> None:
        messages: list[Any] = [{"role": "user", "content": "[mock:refuse] something"}]
        async with client_for(server) as client:
            async with client.chat.completions.stream(
                model="gpt-4o", messages=messages, response_format=MathResponse
            ) as stream:
                events = [event async for event in stream]
            final = await stream.get_final_completion()
        refusal = "I'm sorry, I can't assist with that request."
        assert [refusal] == [e.refusal for e in events if isinstance(e, RefusalDoneEvent)]
        assert refusal == "".join(e.delta for e in events if e.type == "refusal.delta")
        assert not [e for e in events if e.type.startswith("content")]
        assert (None, refusal, None) == (
            final.choices[0].message.content,
            final.choices[0].message.refusal,
            final.choices[0].message.parsed,
        )

    async def test_leaving_the_block_early_closes_the_stream_and_the_client_goes_on(
        self, server: MockServer
    ) -> None:
        server.script(Fault(chunk_delay=0.2, path=CHAT))
        async with client_for(server) as client:
            async with client.chat.completions.stream(model="gpt-4o", messages=LONG) as stream:
                await stream.__anext__()
            await until(server, lambda s: s.disconnects == 1)
            with pytest.raises(RuntimeError, match="closed"):
                await stream.__anext__()
            answer = await client.chat.completions.create(model="gpt-4o", messages=MESSAGES)
        assert "echo: hello there" == answer.choices[0].message.content

    async def test_a_loop_left_with_break_leaves_the_rest_for_the_block(self, server: MockServer) -> None:
        async with client_for(server) as client:
            async with client.chat.completions.stream(model="gpt-4o", messages=MESSAGES) as stream:
                async for event in stream:
                    if event.type == "content.delta":
                        break
                final = await stream.get_final_completion()
            await client.chat.completions.create(model="gpt-4o", messages=MESSAGES)
        assert "echo: hello there" == final.choices[0].message.content
        assert 1 == server.connections_opened  # read to its end, the stream left its connection for reuse

    async def test_a_task_cancelled_inside_the_block_closes_its_stream(self, server: MockServer) -> None:
        server.script(Fault(action="stream_stall", after=2, path=CHAT))
        async with client_for(server) as client:
            with anyio.move_on_after(30) as deadline:
                async with anyio.create_task_group() as tg:
                    started = anyio.Event()

                    async def reader() -> None:
                        async with client.chat.completions.stream(model="gpt-4o", messages=LONG) as stream:
                            async for _ in stream:
                                started.set()

                    tg.start_soon(reader)
                    await started.wait()
                    await until(server, lambda s: s.hanging == 1)
                    tg.cancel_scope.cancel()
            assert not deadline.cancelled_caught
            await until(server, lambda s: s.disconnects == 1)
            answer = await client.chat.completions.create(model="gpt-4o", messages=MESSAGES)
        assert "echo: hello there" == answer.choices[0].message.content

    async def test_an_error_event_raises_api_error_from_the_loop(self, server: MockServer) -> None:
        body = {"error": {"message": "the model overloaded", "type": "server_error", "code": None}}
        server.script(Fault(action="stream_error", after=3, body=body, path=CHAT))
        async with client_for(server) as client:
            async with client.chat.completions.stream(model="gpt-4o", messages=LONG) as stream:
                with pytest.raises(APIError, match="the model overloaded"):
                    await stream.until_done()

    async def test_events_that_are_not_chunks_are_skipped(self, server: MockServer) -> None:
        """Azure's asynchronous content filter sends events with `object` "" between the chunks."""
        head = '{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":['
        lines = [
            head + '{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}',
            '{"id":"","object":"","created":0,"model":"","choices":[{"index":0,"content_filter_offsets":{}}]}',
            head + '{"index":0,"delta":{"content":"filtered"},"finish_reason":null}]}',
            head + '{"index":0,"delta":{},"finish_reason":"stop"}]}',
            "[DONE]",
        ]
        body = "".join(f"data: {line}\n\n" for line in lines)
        server.script(Fault(status=200, body=body, headers={"content-type": "text/event-stream"}, path=CHAT))
        async with client_for(server) as client:
            async with client.chat.completions.stream(model="gpt-4o", messages=MESSAGES) as stream:
                kinds = [event.type async for event in stream]
            final = await stream.get_final_completion()
        assert ["chunk", "content.delta", "chunk", "content.delta", "chunk", "content.done"] == kinds
        assert "filtered" == final.choices[0].message.content

    async def test_a_manager_made_by_hand_takes_the_request_itself_as_the_official_one_does(
        self, server: MockServer
    ) -> None:
        from openai_actors import omit
        from openai_actors.lib.streaming.chat import AsyncChatCompletionStreamManager

        async with client_for(server) as client:
            request = client.chat.completions.create(model="gpt-4o", messages=MESSAGES, stream=True)
            async with AsyncChatCompletionStreamManager(
                request, response_format=omit, input_tools=omit
            ) as stream:
                final = await stream.get_final_completion()
        assert "echo: hello there" == final.choices[0].message.content

    async def test_many_streams_at_once_each_get_their_own_answer(self, server: MockServer) -> None:
        """Thirty helpers on one client, interleaved: every one ends with its own completion."""
        finals: dict[int, str | None] = {}
        async with client_for(server) as client:

            async def one(i: int) -> None:
                messages: list[Any] = [{"role": "user", "content": f"caller {i}"}]
                async with client.chat.completions.stream(model="gpt-4o", messages=messages) as stream:
                    finals[i] = (await stream.get_final_completion()).choices[0].message.content

            async with anyio.create_task_group() as tg:
                for i in range(30):
                    tg.start_soon(one, i)
        assert {i: f"echo: caller {i}" for i in range(30)} == finals

    async def test_bad_arguments_fail_when_stream_is_called(self, server: MockServer) -> None:
        async with client_for(server) as client:
            with pytest.raises(TypeError, match="always streams"):
                client.chat.completions.stream(model="gpt-4o", messages=MESSAGES, stream=True)  # type: ignore[call-arg]
            with pytest.raises(TypeError, match="response_format"):
                client.chat.completions.stream(model="gpt-4o", messages=MESSAGES, response_format=int)
        assert [] == server.requests


@pytest.mark.anyio
class TestResponsesStream:
    async def test_text_deltas_carry_the_text_so_far(self, server: MockServer) -> None:
        async with client_for(server) as client:
            async with client.responses.stream(model="gpt-4o", input="hello there") as stream:
                events = [event async for event in stream]
            final = await stream.get_final_response()
        deltas = [e for e in events if isinstance(e, ResponseTextDeltaEvent)]
        assert "echo: hello there" == deltas[-1].snapshot == "".join(e.delta for e in deltas)
        assert "echo: hello there" == final.output_text
        assert list(range(len(events))) == [e.sequence_number for e in events]

    async def test_a_structured_output_is_parsed(self, server: MockServer) -> None:
        async with client_for(server) as client:
            async with client.responses.stream(
                model="gpt-4o", input="solve", text_format=MathResponse
            ) as stream:
                events = [event async for event in stream]
            final = await stream.get_final_response()
        (done,) = [e for e in events if isinstance(e, ResponseTextDoneEvent)]
        assert EXPECTED_MATH == done.parsed == final.output_parsed
        assert "json_schema" == server.requests[0].json()["text"]["format"]["type"]

    async def test_function_call_arguments_stream_and_are_parsed(self, server: MockServer) -> None:
        async with client_for(server) as client:
            async with client.responses.stream(
                model="gpt-4o", input="weather?", tools=[pydantic_function_tool(GetWeather)]
            ) as stream:
                events = [event async for event in stream]
            final = await stream.get_final_response()
        deltas = [e for e in events if isinstance(e, ResponseFunctionCallArgumentsDeltaEvent)]
        assert '{"city":"city","country":"country"}' == deltas[-1].snapshot
        call = final.output[0]
        assert GetWeather(city="city", country="country") == call.parsed_arguments  # type: ignore[union-attr]
        assert "GetWeather" == server.requests[0].json()["tools"][0]["name"]

    async def test_resuming_after_n_gives_each_later_event_once(self, server: MockServer) -> None:
        async with client_for(server) as client:
            first: list[Any] = []
            async with client.responses.stream(
                model="gpt-4o", input="solve", text_format=MathResponse, background=True
            ) as stream:
                async for event in stream:
                    first.append(event)
                    if event.sequence_number == 10:
                        break
            response_id = first[0].response.id
            async with client.responses.stream(
                response_id=response_id, starting_after=10, text_format=MathResponse
            ) as stream:
                rest = [event async for event in stream]
                final = await stream.get_final_response()
            async with client.responses.stream(response_id=response_id, text_format=MathResponse) as stream:
                whole = [event async for event in stream]
        numbers = [e.sequence_number for e in first + rest]
        assert list(range(len(whole))) == numbers
        assert [e.type for e in whole] == [e.type for e in first + rest]
        deltas = [e for e in rest if isinstance(e, ResponseTextDeltaEvent)]
        assert final.output_text == deltas[-1].snapshot  # accumulated from the start, not from N
        assert EXPECTED_MATH == final.output_parsed
        resumed = server.requests[1]
        assert "GET" == resumed.method and ["true"] == resumed.query["stream"]

    async def test_retrieve_with_stream_and_starting_after_replays_the_rest(self, server: MockServer) -> None:
        async with client_for(server) as client:
            created = await client.responses.create(model="gpt-4o", input="again", background=True)
            stream = await client.responses.retrieve(created.id, stream=True, starting_after=5)
            numbers = [event.sequence_number async for event in stream]
        assert 6 == numbers[0] and list(range(6, 6 + len(numbers))) == numbers

    async def test_an_error_before_the_response_starts_raises_api_error(self, server: MockServer) -> None:
        server.script(Fault(action="stream_error", after=0, path=RESPONSES))
        async with client_for(server) as client:
            with pytest.raises(APIError, match="The server had an error"):
                async with client.responses.stream(model="gpt-4o", input="x") as stream:
                    await stream.until_done()

    async def test_an_error_event_midway_is_yielded_and_there_is_no_final_response(
        self, server: MockServer
    ) -> None:
        server.script(Fault(action="stream_error", after=4, path=RESPONSES))
        async with client_for(server) as client:
            async with client.responses.stream(model="gpt-4o", input="x") as stream:
                events = [event async for event in stream]
                with pytest.raises(RuntimeError, match=r"without a `response.completed` event"):
                    await stream.get_final_response()
        assert isinstance(events[-1], ResponseErrorEvent)
        assert 4 == events[-1].sequence_number

    async def test_a_refusal_streams_as_refusal_events_and_nothing_is_parsed(
        self, server: MockServer
    ) -> None:
        async with client_for(server) as client:
            async with client.responses.stream(
                model="gpt-4o", input="[mock:refuse] solve", text_format=MathResponse
            ) as stream:
                events = [event async for event in stream]
            final = await stream.get_final_response()
        refusal = "I'm sorry, I can't assist with that request."
        assert refusal == "".join(e.delta for e in events if e.type == "response.refusal.delta")
        assert [refusal] == [e.refusal for e in events if e.type == "response.refusal.done"]
        assert not [e for e in events if "output_text" in e.type]
        assert final.output_parsed is None
        assert "refusal" == final.output[0].content[0].type  # type: ignore[union-attr]

    async def test_leaving_the_block_early_closes_the_stream(self, server: MockServer) -> None:
        server.script(Fault(chunk_delay=0.2, path=RESPONSES))
        async with client_for(server) as client:
            async with client.responses.stream(model="gpt-4o", input="streaming " * 40) as stream:
                await stream.__anext__()
            await until(server, lambda s: s.disconnects == 1)

    async def test_resuming_and_creating_at_once_is_refused_before_sending(self, server: MockServer) -> None:
        async with client_for(server) as client:
            with pytest.raises(ValueError, match="together with input, model"):
                client.responses.stream(response_id="resp_1", model="gpt-4o", input="x")
            with pytest.raises(ValueError, match="input must be provided"):
                client.responses.stream(model="gpt-4o")
            with pytest.raises(TypeError, match=r"text.format with text_format"):
                client.responses.stream(
                    model="gpt-4o", input="x", text_format=MathResponse, text={"format": {"type": "text"}}
                )
        assert [] == server.requests


@pytest.mark.anyio
async def test_the_mock_refuses_a_marked_structured_output_without_streaming_too(server: MockServer) -> None:
    """`.parse` meets the same refusal: content null, the text in `refusal`, nothing parsed."""
    messages: list[Any] = [{"role": "user", "content": "[mock:refuse] please"}]
    async with client_for(server) as client:
        completion = await client.chat.completions.parse(
            model="gpt-4o", messages=messages, response_format=MathResponse
        )
        plain = await client.chat.completions.create(model="gpt-4o", messages=messages)
    message = completion.choices[0].message
    assert (None, "I'm sorry, I can't assist with that request.", None) == (
        message.content,
        message.refusal,
        message.parsed,
    )
    assert "echo: [mock:refuse] please" == plain.choices[0].message.content  # no schema, no refusal


def test_streams_without_a_type_never_import_pydantic(tmp_path: Any, server: MockServer) -> None:
    """A strict tool given as a dict, a plain response: both parse without pydantic."""
    import subprocess
    import sys

    script = tmp_path / "plain.py"
    script.write_text(
        "import sys\n"
        "from openai_actors import OpenAI\n"
        f"client = OpenAI(api_key='sk-test', base_url={server.url!r})\n"
        "tool = {'type': 'function', 'function': {'name': 'f', 'strict': True, 'parameters': {'type': 'object', "
        "'properties': {'a': {'type': 'string'}}, 'required': ['a']}}}\n"
        "with client.chat.completions.stream(model='m', messages=[{'role': 'user', 'content': 'x'}], tools=[tool]) as s:\n"
        "    calls = s.get_final_completion().choices[0].message.tool_calls\n"
        "with client.responses.stream(model='m', input='x') as r:\n"
        "    text = r.get_final_response().output_text\n"
        "client.close()\n"
        "print(calls[0].function.parsed_arguments, text, 'pydantic' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=60, check=True
    )
    assert "{'a': 'a'} echo: x False" == done.stdout.strip()


class TestSync:
    def test_chat_structured_output_events_and_final_completion(self, server: MockServer) -> None:
        with sync_client(server) as client:
            with client.chat.completions.stream(
                model="gpt-4o", messages=MESSAGES, response_format=MathResponse
            ) as stream:
                kinds = [event.type for event in stream]
            final = stream.get_final_completion()
        assert "content.done" in kinds and "chunk" == kinds[0]
        assert EXPECTED_MATH == final.choices[0].message.parsed

    def test_chat_text_tool_calls_and_refusal(self, server: MockServer) -> None:
        refuse: list[Any] = [{"role": "user", "content": "[mock:refuse] x"}]
        with sync_client(server) as client:
            with client.chat.completions.stream(model="gpt-4o", messages=MESSAGES) as stream:
                text = "".join(e.delta for e in stream if isinstance(e, ContentDeltaEvent))
            with client.chat.completions.stream(
                model="gpt-4o", messages=MESSAGES, tools=[pydantic_function_tool(GetWeather)]
            ) as stream:
                done = [e for e in stream if isinstance(e, FunctionToolCallArgumentsDoneEvent)]
            with client.chat.completions.stream(
                model="gpt-4o", messages=refuse, response_format=MathResponse
            ) as stream:
                refusals = [e.refusal for e in stream if isinstance(e, RefusalDoneEvent)]
                refused = stream.get_final_completion()
        assert "echo: hello there" == text
        assert [GetWeather(city="city", country="country")] == [e.parsed_arguments for e in done]
        assert ["I'm sorry, I can't assist with that request."] == refusals
        assert refused.choices[0].message.parsed is None

    def test_responses_text_and_structured_output(self, server: MockServer) -> None:
        with sync_client(server) as client:
            with client.responses.stream(model="gpt-4o", input="hello there") as stream:
                snapshots = [e.snapshot for e in stream if isinstance(e, ResponseTextDeltaEvent)]
            with client.responses.stream(model="gpt-4o", input="solve", text_format=MathResponse) as stream:
                parsed = [e.parsed for e in stream if isinstance(e, ResponseTextDoneEvent)]
                final = stream.get_final_response()
        assert "echo: hello there" == snapshots[-1]
        assert [EXPECTED_MATH] == parsed
        assert EXPECTED_MATH == final.output_parsed

    def test_chat_leaving_the_block_early_closes_the_connection(self, server: MockServer) -> None:
        server.script(Fault(chunk_delay=0.2, path=CHAT))
        with sync_client(server) as client:
            with client.chat.completions.stream(model="gpt-4o", messages=LONG) as stream:
                next(stream)
            server.wait_for(lambda s: s.disconnects == 1)
            assert (
                "echo: x"
                == client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "x"}])
                .choices[0]
                .message.content
            )

    def test_responses_resume_after_n(self, server: MockServer) -> None:
        with sync_client(server) as client:
            first: list[Any] = []
            with client.responses.stream(
                model="gpt-4o", input="solve", text_format=MathResponse, background=True
            ) as stream:
                for event in stream:
                    first.append(event)
                    if event.sequence_number == 10:
                        break
            with client.responses.stream(
                response_id=first[0].response.id, starting_after=10, text_format=MathResponse
            ) as stream:
                rest = [event.sequence_number for event in stream]
                final = stream.get_final_response()
        assert 11 == rest[0] and list(range(11, 11 + len(rest))) == rest
        assert EXPECTED_MATH == final.output_parsed

    def test_responses_function_call(self, server: MockServer) -> None:
        with sync_client(server) as client:
            with client.responses.stream(
                model="gpt-4o", input="weather?", tools=[pydantic_function_tool(GetWeather)]
            ) as stream:
                final = stream.get_final_response()
        assert GetWeather(city="city", country="country") == final.output[0].parsed_arguments  # type: ignore[union-attr]


@pytest.mark.parametrize("module", ["lib.streaming.chat", "lib.streaming.responses"])
def test_every_official_name_is_importable_from_the_same_path(module: str) -> None:
    """Ported code imports the helpers' events and classes from `openai.lib.streaming...`."""
    import importlib

    pytest.importorskip("openai")
    official = importlib.import_module(f"openai.{module}")
    ours = importlib.import_module(f"openai_actors.{module}")
    names = {name for name in dir(official) if not name.startswith("_")}
    assert names and [] == sorted(name for name in names if not hasattr(ours, name))
    assert sorted(ours.__all__) == sorted(
        # `@py_builtins` / `@pytest_ar`: pytest rewrites the asserts of an installed
        # package that registers a plugin (the `mock_openai` fixture's entry point).
        name
        for name in dir(ours)
        if not name.startswith(("_", "@")) and name != "annotations"
    )
