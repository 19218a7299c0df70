"""The Assistants stream helpers against the mock server: sync client, asyncio and trio.

`runs.stream`, `runs.create_and_stream`, `runs.submit_tool_outputs_stream` and
`threads.create_and_run_stream`, each with the default handler and with a
subclass recording its callbacks: the text, the final run and messages, a
function call answered with `submit_tool_outputs_stream`, leaving the block
early (the connection is closed), and a callback that raises. Also the
mock's event sequence itself, read as plain SSE.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import anyio
import httpx
import pytest

from openai_actors import (
    APIError,
    APITimeoutError,
    AssistantEventHandler,
    AsyncAssistantEventHandler,
    BadRequestError,
    NotFoundError,
    OpenAI,
)
from openai_actors.lib.streaming import AssistantStreamManager, AsyncAssistantStreamManager
from openai_actors.mock import Fault, MockServer
from openai_actors.types.beta.threads import Message, Text, TextDelta
from openai_actors.types.beta.threads.runs import ToolCall, ToolCallDelta

from .conftest import client_for, until

pytestmark = pytest.mark.anyio

TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "parameters": {
                "type": "object",
                "properties": {"city": {"type": "string"}},
                "required": ["city"],
            },
        },
    }
]
LONG = "streaming " * 40  # about a hundred message deltas
RUNS = "/v1/threads/thread_1/runs"


def said(text: str) -> list[dict[str, Any]]:
    return [{"role": "user", "content": text}]


class Recorder(AssistantEventHandler):
    """Writes down each callback it gets, with what it says."""

    def __init__(self) -> None:
        super().__init__()
        self.log: list[tuple[str, Any]] = []
        self.events: list[str] = []

    def on_event(self, event: Any) -> None:
        self.events.append(event.event)
        assert self.current_event is event

    def on_text_created(self, text: Text) -> None:
        self.log.append(("text_created", text.value))

    def on_text_delta(self, delta: TextDelta, snapshot: Text) -> None:
        self.log.append(("text_delta", (delta.value, snapshot.value)))

    def on_text_done(self, text: Text) -> None:
        self.log.append(("text_done", text.value))

    def on_message_done(self, message: Message) -> None:
        self.log.append(("message_done", message.id))

    def on_tool_call_created(self, tool_call: ToolCall) -> None:
        self.log.append(("tool_call_created", tool_call.id))

    def on_tool_call_delta(self, delta: ToolCallDelta, snapshot: ToolCall) -> None:
        assert snapshot.type == "function"
        self.log.append(("tool_call_delta", snapshot.function.arguments))

    def on_tool_call_done(self, tool_call: ToolCall) -> None:
        assert tool_call.type == "function"
        self.log.append(("tool_call_done", tool_call.function.arguments))

    def on_exception(self, exception: Exception) -> None:
        self.log.append(("exception", exception))

    def on_timeout(self) -> None:
        self.log.append(("timeout", None))

    def on_end(self) -> None:
        self.log.append(("end", None))


class AsyncRecorder(AsyncAssistantEventHandler):
    """The async twin of Recorder."""

    def __init__(self) -> None:
        super().__init__()
        self.log: list[tuple[str, Any]] = []
        self.events: list[str] = []

    async def on_event(self, event: Any) -> None:
        self.events.append(event.event)
        assert self.current_event is event

    async def on_text_created(self, text: Text) -> None:
        self.log.append(("text_created", text.value))

    async def on_text_delta(self, delta: TextDelta, snapshot: Text) -> None:
        self.log.append(("text_delta", (delta.value, snapshot.value)))

    async def on_text_done(self, text: Text) -> None:
        self.log.append(("text_done", text.value))

    async def on_message_done(self, message: Message) -> None:
        self.log.append(("message_done", message.id))

    async def on_tool_call_created(self, tool_call: ToolCall) -> None:
        self.log.append(("tool_call_created", tool_call.id))

    async def on_tool_call_delta(self, delta: ToolCallDelta, snapshot: ToolCall) -> None:
        assert snapshot.type == "function"
        self.log.append(("tool_call_delta", snapshot.function.arguments))

    async def on_tool_call_done(self, tool_call: ToolCall) -> None:
        assert tool_call.type == "function"
        self.log.append(("tool_call_done", tool_call.function.arguments))

    async def on_exception(self, exception: Exception) -> None:
        self.log.append(("exception", exception))

    async def on_timeout(self) -> None:
        self.log.append(("timeout", None))

    async def on_end(self) -> None:
        self.log.append(("end", None))


TEXT_RUN_EVENTS = [
    "thread.run.created",
    "thread.run.queued",
    "thread.run.in_progress",
    "thread.run.step.created",
    "thread.run.step.in_progress",
    "thread.message.created",
    "thread.message.in_progress",
    *["thread.message.delta"] * 5,  # "echo: hello world" in pieces of four characters
    "thread.message.completed",
    "thread.run.step.completed",
    "thread.run.completed",
]


def check_text_log(log: list[tuple[str, Any]]) -> None:
    """The callbacks of one streamed message, "echo: hello world", in order."""
    deltas = [value for kind, value in log if kind == "text_delta"]
    assert ["echo", ": he", "llo ", "worl", "d"] == [d for d, _ in deltas]
    assert "echo: hello world" == deltas[-1][1]  # the snapshot has it all
    kinds = [kind for kind, _ in log]
    assert ["text_created", *["text_delta"] * 5, "text_done", "message_done", "end"] == kinds
    assert ("text_done", "echo: hello world") == log[-3]


def helper_headers(server: MockServer, path: str) -> dict[str, str]:
    [request] = [r for r in server.requests if r.path == path]
    assert True is request.json()["stream"]
    return request.headers


class TestMockStream:
    """The mock's streamed runs, read as raw Server-Sent Events."""

    def test_a_run_streams_openais_events_then_done(self, server: MockServer, client: httpx.Client) -> None:
        body = {"assistant_id": "asst_1", "additional_messages": said("hello world"), "stream": True}
        reply = client.post("/threads/thread_1/runs", json=body)
        assert "text/event-stream" in reply.headers["content-type"]
        events = [
            line.removeprefix("event: ") for line in reply.text.splitlines() if line.startswith("event: ")
        ]
        assert [*TEXT_RUN_EVENTS, "done"] == events
        assert reply.text.endswith("event: done\ndata: [DONE]\n\n")

    def test_a_malformed_request_gets_an_error_naming_the_field(self, client: httpx.Client) -> None:
        bad = client.post(
            "/threads/runs", json={"assistant_id": "a", "thread": {"messages": "hi"}, "stream": True}
        )
        assert 400 == bad.status_code
        assert "thread.messages" == bad.json()["error"]["param"]
        missing = client.post("/threads/thread_1/runs", json={"stream": True})
        assert "assistant_id" == missing.json()["error"]["param"]

    def test_a_run_that_is_not_streamed_is_answered_from_the_samples(self, client: httpx.Client) -> None:
        reply = client.post("/threads/thread_1/runs", json={"assistant_id": "asst_1"})
        assert 200 == reply.status_code
        assert "thread.run" == reply.json()["object"]

    def test_tool_outputs_for_another_call_are_refused_and_the_run_still_waits(
        self, client: httpx.Client
    ) -> None:
        body = {"assistant_id": "asst_1", "tools": TOOLS, "stream": True}
        stream = client.post("/threads/runs", json=body).text
        run = json.loads(stream.split("event: thread.run.requires_action\ndata: ")[1].split("\n")[0])
        call_id = run["required_action"]["submit_tool_outputs"]["tool_calls"][0]["id"]
        url = f"/threads/{run['thread_id']}/runs/{run['id']}/submit_tool_outputs"
        wrong = client.post(
            url, json={"tool_outputs": [{"tool_call_id": "call_x", "output": "1"}], "stream": True}
        )
        assert 400 == wrong.status_code
        assert (
            f"Expected tool outputs for call_ids ['{call_id}'], got ['call_x']"
            == wrong.json()["error"]["message"]
        )
        right = client.post(
            url, json={"tool_outputs": [{"tool_call_id": call_id, "output": "1"}], "stream": True}
        )
        assert "event: thread.run.completed" in right.text
        again = client.post(
            url, json={"tool_outputs": [{"tool_call_id": call_id, "output": "1"}], "stream": True}
        )
        assert 404 == again.status_code


def test_the_mock_keeps_only_the_latest_runs_waiting_for_outputs() -> None:
    """A bounded store: past its limit the oldest waiting run is forgotten (404), the newest kept."""
    from openai_actors.mock._assistants import Assistants
    from openai_actors.mock._common import ApiError, StreamReply
    from openai_actors.mock._http import Request

    def post(path: str, body: dict[str, Any], number: int) -> Any:
        request = Request("POST", path, "", {"content-type": "application/json"}, True, False)
        request.body = json.dumps(body).encode()
        return assistants.dispatch(request, number)

    assistants = Assistants(limit=1)
    for number in (1, 2):
        reply = post(
            "/v1/threads/thread_1/runs", {"assistant_id": "a", "tools": TOOLS, "stream": True}, number
        )
        assert isinstance(reply, StreamReply)
        b"".join(reply.events)
    outputs = {"tool_outputs": [{"tool_call_id": "call_1", "output": "x"}], "stream": True}
    with pytest.raises(ApiError, match="No run found with id 'run_1'"):
        post("/v1/threads/thread_1/runs/run_1/submit_tool_outputs", outputs, 3)
    outputs = {"tool_outputs": [{"tool_call_id": "call_2", "output": "x"}], "stream": True}
    assert isinstance(post("/v1/threads/thread_1/runs/run_2/submit_tool_outputs", outputs, 4), StreamReply)
    assert post("/v1/threads/thread_1/runs", {"assistant_id": "a"}, 5) is None  # not streamed: not here


class TestAsync:
    async def test_stream_gives_the_text_the_final_run_and_messages(self, server: MockServer) -> None:
        async with client_for(server) as client:
            async with client.beta.threads.runs.stream(
                thread_id="thread_1", assistant_id="asst_1", additional_messages=said("hello world")
            ) as stream:
                assert isinstance(stream, AsyncAssistantEventHandler)
                text = [piece async for piece in stream.text_deltas]
                run = await stream.get_final_run()
                messages = await stream.get_final_messages()
                steps = await stream.get_final_run_steps()
        assert "echo: hello world" == "".join(text)
        assert ("completed", "thread_1", "asst_1") == (run.status, run.thread_id, run.assistant_id)
        assert run.usage is not None and run.usage.total_tokens > 0
        assert ["echo: hello world"] == [
            m.content[0].text.value for m in messages if m.content[0].type == "text"
        ]
        assert ["completed"] == [s.status for s in steps]
        headers = helper_headers(server, "/v1/threads/thread_1/runs")
        assert "threads.runs.create_and_stream" == headers["x-stainless-stream-helper"]
        assert "false" == headers["x-stainless-custom-event-handler"]
        assert "assistants=v2" == headers["openai-beta"]

    async def test_a_handlers_callbacks_run_in_order(self, server: MockServer) -> None:
        async with client_for(server) as client:
            async with client.beta.threads.runs.stream(
                thread_id="thread_1",
                assistant_id="asst_1",
                additional_messages=said("hello world"),
                event_handler=AsyncRecorder(),
            ) as stream:
                await stream.until_done()
                assert stream.current_event is None  # outside a callback
        assert TEXT_RUN_EVENTS == stream.events
        check_text_log(stream.log)
        assert (
            "true" == helper_headers(server, "/v1/threads/thread_1/runs")["x-stainless-custom-event-handler"]
        )

    async def test_create_and_run_stream_starts_a_thread(self, server: MockServer) -> None:
        async with client_for(server) as client:
            async with client.beta.threads.create_and_run_stream(
                assistant_id="asst_1", thread={"messages": said("hello world")}, event_handler=AsyncRecorder()
            ) as stream:
                run = await stream.get_final_run()
        assert ["thread.created", *TEXT_RUN_EVENTS] == stream.events
        assert run.thread_id.startswith("thread_") and "completed" == run.status
        check_text_log(stream.log)
        assert (
            "threads.create_and_run_stream"
            == helper_headers(server, "/v1/threads/runs")["x-stainless-stream-helper"]
        )

    async def test_a_tool_call_then_its_outputs_complete_the_run(self, server: MockServer) -> None:
        async with client_for(server) as client:
            async with client.beta.threads.runs.stream(
                thread_id="thread_1", assistant_id="asst_1", tools=TOOLS, event_handler=AsyncRecorder()
            ) as stream:
                run = await stream.get_final_run()
            assert "requires_action" == run.status and run.required_action is not None
            [call] = run.required_action.submit_tool_outputs.tool_calls
            assert ("get_weather", '{"city":"city"}') == (call.function.name, call.function.arguments)
            log = stream.log
            assert ("tool_call_created", call.id) == log[0]
            assert ("tool_call_done", '{"city":"city"}') == log[-2]
            assert '{"city":"city"}' == [v for k, v in log if k == "tool_call_delta"][-1]
            assert 1 == [k for k, _ in log].count("tool_call_done")

            async with client.beta.threads.runs.submit_tool_outputs_stream(
                thread_id=run.thread_id,
                run_id=run.id,
                tool_outputs=[{"tool_call_id": call.id, "output": "sunny"}],
                event_handler=AsyncRecorder(),
            ) as after:
                text = [piece async for piece in after.text_deltas]
            assert "echo: sunny" == "".join(text)
            assert after.current_run is not None and "completed" == after.current_run.status
            assert "thread.run.step.completed" == after.events[0]  # the call's step, with its output
        path = f"/v1/threads/{run.thread_id}/runs/{run.id}/submit_tool_outputs"
        assert (
            "threads.runs.submit_tool_outputs_stream"
            == helper_headers(server, path)["x-stainless-stream-helper"]
        )

    async def test_create_and_stream_is_stream_and_warns_that_it_is_deprecated(
        self, server: MockServer
    ) -> None:
        async with client_for(server) as client:
            with pytest.warns(DeprecationWarning, match="use `stream`"):
                manager = client.beta.threads.runs.create_and_stream(
                    thread_id="thread_1", assistant_id="asst_1", additional_messages=said("hello world")
                )
            async with manager as stream:
                assert "echo: hello world" == "".join([piece async for piece in stream.text_deltas])

    async def test_leaving_the_block_early_closes_the_connection(self, server: MockServer) -> None:
        handler = AsyncRecorder()
        async with client_for(server) as client:
            async with client.beta.threads.runs.stream(
                thread_id="thread_1",
                assistant_id="asst_1",
                additional_messages=said(LONG),
                event_handler=handler,
            ) as stream:
                async for event in stream:
                    if event.event == "thread.message.delta":
                        break
            await until(server, lambda s: s.disconnects == 1)
            assert [("end", None)] == [entry for entry in handler.log if entry[0] == "end"]
            assert [] == [event async for event in stream]  # closed: reading stops at once
            # The client goes on: the next stream is read to its end.
            async with client.beta.threads.runs.stream(
                thread_id="thread_1", assistant_id="asst_1", additional_messages=said("hello world")
            ) as stream:
                assert "completed" == (await stream.get_final_run()).status

    async def test_a_callback_that_raises_ends_the_stream_with_its_exception(
        self, server: MockServer
    ) -> None:
        class Failing(AsyncRecorder):
            async def on_text_delta(self, delta: TextDelta, snapshot: Text) -> None:
                raise ValueError("the callback failed")

        handler = Failing()
        async with client_for(server) as client:
            async with client.beta.threads.runs.stream(
                thread_id="thread_1",
                assistant_id="asst_1",
                additional_messages=said(LONG),
                event_handler=handler,
            ) as stream:
                with pytest.raises(ValueError, match="the callback failed"):
                    await stream.until_done()
                assert [] == [event async for event in stream]
            await until(server, lambda s: s.disconnects == 1)
        kinds = [kind for kind, _ in handler.log]
        assert ["text_created", "exception", "end"] == kinds
        assert isinstance(handler.log[1][1], ValueError)

    async def test_a_handler_serves_one_stream(self, server: MockServer) -> None:
        handler = AsyncAssistantEventHandler()
        async with client_for(server) as client:
            runs = client.beta.threads.runs
            async with runs.stream(
                thread_id="thread_1", assistant_id="asst_1", event_handler=handler
            ) as stream:
                await stream.until_done()
            sent = len(server.requests)
            with pytest.raises(RuntimeError, match="already attached to a stream"):
                async with runs.stream(thread_id="thread_1", assistant_id="asst_1", event_handler=handler):
                    pass
        assert sent == len(server.requests)  # refused before sending

    async def test_a_handler_whose_init_skips_the_base_class_is_refused_before_sending(
        self, server: MockServer
    ) -> None:
        class Forgetful(AsyncAssistantEventHandler):
            def __init__(self) -> None:
                self.seen = 0

        async with client_for(server) as client:
            manager = client.beta.threads.runs.stream(
                thread_id="t", assistant_id="a", event_handler=Forgetful()
            )
            with pytest.raises(TypeError, match=r"Forgetful.__init__ did not call super\(\).__init__\(\)"):
                async with manager:
                    pass
        assert [] == server.requests

    async def test_bad_arguments_are_refused_at_the_call(self, server: MockServer) -> None:
        async with client_for(server) as client:
            runs = client.beta.threads.runs
            with pytest.raises(
                TypeError, match=r"must be an AsyncAssistantEventHandler for AsyncOpenAI, not a Recorder"
            ):
                runs.stream(thread_id="t", assistant_id="a", event_handler=Recorder())
            with pytest.raises(TypeError, match=r"pass an instance: event_handler=AsyncRecorder\(\)"):
                runs.stream(thread_id="t", assistant_id="a", event_handler=AsyncRecorder)
            with pytest.raises(TypeError, match=r"stream\(\) always streams"):
                runs.stream(thread_id="t", assistant_id="a", stream=True)
            with pytest.raises(TypeError, match=r"stream\(\) got an unexpected keyword argument 'colour'"):
                runs.stream(thread_id="t", assistant_id="a", colour="red")
            with pytest.raises(ValueError, match="non-empty value for `thread_id`"):
                runs.stream(thread_id="", assistant_id="a")
            with pytest.raises(TypeError, match=r"missing 1 required keyword-only argument: 'tool_outputs'"):
                runs.submit_tool_outputs_stream(run_id="r", thread_id="t")
        assert [] == server.requests

    async def test_outputs_for_a_run_the_server_does_not_know_raise_not_found(
        self, server: MockServer
    ) -> None:
        async with client_for(server) as client:
            manager = client.beta.threads.runs.submit_tool_outputs_stream(
                thread_id="thread_1", run_id="run_404", tool_outputs=[{"tool_call_id": "c", "output": "o"}]
            )
            with pytest.raises(NotFoundError, match="No run found with id 'run_404'"):
                async with manager:
                    pass


class TestAsyncFailures:
    async def test_a_stalled_stream_calls_on_timeout_then_on_exception(self, server: MockServer) -> None:
        server.script(Fault(action="stream_stall", after=8, path=RUNS))
        handler = AsyncRecorder()
        async with client_for(server, timeout=0.3) as client:
            async with client.beta.threads.runs.stream(
                thread_id="thread_1",
                assistant_id="asst_1",
                additional_messages=said(LONG),
                event_handler=handler,
            ) as stream:
                with pytest.raises(APITimeoutError):
                    await stream.until_done()
        assert ["timeout", "exception", "end"] == [kind for kind, _ in handler.log][-3:]
        assert isinstance(handler.log[-2][1], APITimeoutError)
        assert 1 == len(server.requests)  # mid-stream: never retried

    async def test_an_error_event_raises_api_error_through_on_exception(self, server: MockServer) -> None:
        body = {"error": {"message": "the run failed", "type": "server_error", "code": None}}
        server.script(Fault(action="stream_error", after=9, body=body, path=RUNS))
        handler = AsyncRecorder()
        async with client_for(server) as client:
            async with client.beta.threads.runs.stream(
                thread_id="thread_1",
                assistant_id="asst_1",
                additional_messages=said(LONG),
                event_handler=handler,
            ) as stream:
                with pytest.raises(APIError, match="the run failed"):
                    await stream.until_done()
        assert 9 == len(handler.events)
        assert ["exception", "end"] == [kind for kind, _ in handler.log][-2:]

    async def test_a_reader_cancelled_mid_stream_closes_it_and_the_client_goes_on(
        self, server: MockServer
    ) -> None:
        server.script(Fault(action="stream_stall", after=9, path=RUNS))
        handler = AsyncRecorder()
        async with client_for(server) as client:
            with anyio.CancelScope() as scope:
                async with client.beta.threads.runs.stream(
                    thread_id="thread_1",
                    assistant_id="asst_1",
                    additional_messages=said(LONG),
                    event_handler=handler,
                ) as stream:
                    async for _ in stream:
                        if len(handler.events) == 9:
                            await until(server, lambda s: s.hanging == 1)
                            scope.cancel()
                    raise AssertionError("the stream stalls: the loop ends only by cancellation")
            assert scope.cancelled_caught
            await until(server, lambda s: s.disconnects == 1)
            assert [("end", None)] == [entry for entry in handler.log if entry[0] in ("end", "exception")]
            async with client.beta.threads.runs.stream(thread_id="thread_1", assistant_id="asst_1") as stream:
                assert "completed" == (await stream.get_final_run()).status


def sync_client(server: MockServer) -> OpenAI:
    return OpenAI(api_key="sk-test", base_url=server.url)


class TestSync:
    def test_stream_gives_the_text_the_final_run_and_messages(self, server: MockServer) -> None:
        with sync_client(server) as client:
            manager = client.beta.threads.runs.stream(
                thread_id="thread_1", assistant_id="asst_1", additional_messages=said("hello world")
            )
            assert isinstance(manager, AssistantStreamManager)
            with manager as stream:
                text = list(stream.text_deltas)
                run = stream.get_final_run()
                [message] = stream.get_final_messages()
        assert "echo: hello world" == "".join(text)
        assert "completed" == run.status
        assert message.content[0].type == "text" and "echo: hello world" == message.content[0].text.value

    def test_a_handlers_callbacks_run_in_order(self, server: MockServer) -> None:
        with sync_client(server) as client:
            with client.beta.threads.create_and_run_stream(
                assistant_id="asst_1", thread={"messages": said("hello world")}, event_handler=Recorder()
            ) as stream:
                stream.until_done()
        assert ["thread.created", *TEXT_RUN_EVENTS] == stream.events
        check_text_log(stream.log)

    def test_a_tool_call_then_its_outputs_complete_the_run(self, server: MockServer) -> None:
        with sync_client(server) as client:
            with client.beta.threads.create_and_run_stream(
                assistant_id="asst_1", tools=TOOLS, event_handler=Recorder()
            ) as stream:
                run = stream.get_final_run()
            assert run.required_action is not None
            [call] = run.required_action.submit_tool_outputs.tool_calls
            assert ["tool_call_created", "tool_call_done"] == [
                k for k, _ in stream.log if k != "tool_call_delta"
            ][:2]
            with client.beta.threads.runs.submit_tool_outputs_stream(
                thread_id=run.thread_id,
                run_id=run.id,
                tool_outputs=[{"tool_call_id": call.id, "output": "sunny"}],
            ) as after:
                assert "echo: sunny" == "".join(after.text_deltas)
                assert "completed" == after.get_final_run().status
                steps = after.get_final_run_steps()
        tool_step = steps[0].step_details
        assert tool_step.type == "tool_calls"
        [done] = tool_step.tool_calls
        assert done.type == "function" and "sunny" == done.function.output

    def test_the_official_readmes_handler_prints_the_code_its_output_and_the_answer(
        self, server: MockServer, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """helpers.md's example handler, unchanged, over a run that uses the code interpreter."""

        class EventHandler(AssistantEventHandler):
            def on_text_created(self, text: Text) -> None:
                print("\nassistant > ", end="", flush=True)

            def on_text_delta(self, delta: TextDelta, snapshot: Text) -> None:
                print(delta.value, end="", flush=True)

            def on_tool_call_created(self, tool_call: ToolCall) -> None:
                print(f"\nassistant > {tool_call.type}\n", flush=True)

            def on_tool_call_delta(self, delta: ToolCallDelta, snapshot: ToolCall) -> None:
                if delta.type == "code_interpreter" and delta.code_interpreter:
                    if delta.code_interpreter.input:
                        print(delta.code_interpreter.input, end="", flush=True)
                    if delta.code_interpreter.outputs:
                        print("\n\noutput >", flush=True)
                        for output in delta.code_interpreter.outputs:
                            if output.type == "logs":
                                print(f"\n{output.logs}", flush=True)

        with sync_client(server) as client:
            with client.beta.threads.runs.stream(
                thread_id="thread_1",
                assistant_id="asst_1",
                tools=[{"type": "code_interpreter"}],
                additional_messages=said("solve 3x + 11 = 14"),
                event_handler=EventHandler(),
            ) as stream:
                stream.until_done()
            steps = stream.get_final_run_steps()
        printed = capsys.readouterr().out
        expected = (
            "\nassistant > code_interpreter\n\n"
            'print("echo: solve 3x + 11 = 14")\n\noutput >\n\necho: solve 3x + 11 = 14\n\n'
            "\nassistant > echo: solve 3x + 11 = 14"
        )
        assert expected == printed
        assert ["tool_calls", "message_creation"] == [step.step_details.type for step in steps]

    def test_threads_sharing_one_client_each_read_their_own_run(self, server: MockServer) -> None:
        def ask(i: int) -> str:
            with client.beta.threads.runs.stream(
                thread_id=f"thread_{i}", assistant_id="asst_1", additional_messages=said(f"question {i}")
            ) as stream:
                text = "".join(stream.text_deltas)
                assert f"thread_{i}" == stream.get_final_run().thread_id
                return text

        with sync_client(server) as client, ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(ask, range(16)))
        assert [f"echo: question {i}" for i in range(16)] == answers

    def test_create_and_stream_warns_that_it_is_deprecated(self, server: MockServer) -> None:
        with sync_client(server) as client:
            with pytest.warns(DeprecationWarning, match="use `stream`"):
                manager = client.beta.threads.runs.create_and_stream(
                    thread_id="thread_1", assistant_id="asst_1"
                )
            with manager as stream:
                assert "Hello!" == "".join(stream.text_deltas)  # no user message given

    def test_leaving_the_block_early_closes_the_connection(self, server: MockServer) -> None:
        handler = Recorder()
        with sync_client(server) as client:
            with client.beta.threads.runs.stream(
                thread_id="thread_1",
                assistant_id="asst_1",
                additional_messages=said(LONG),
                event_handler=handler,
            ) as stream:
                for piece in stream.text_deltas:
                    assert "echo" == piece
                    break
            server.wait_for(lambda s: s.disconnects == 1)
            assert [] == list(stream)
        assert [("end", None)] == [entry for entry in handler.log if entry[0] == "end"]

    def test_a_callback_that_raises_ends_the_stream_with_its_exception(self, server: MockServer) -> None:
        class Failing(Recorder):
            def on_message_created(self, message: Message) -> None:
                raise KeyError(message.id)

        handler = Failing()
        with sync_client(server) as client:
            with client.beta.threads.runs.stream(
                thread_id="thread_1",
                assistant_id="asst_1",
                additional_messages=said(LONG),
                event_handler=handler,
            ) as stream:
                with pytest.raises(KeyError):
                    stream.until_done()
            server.wait_for(lambda s: s.disconnects == 1)
            assert [("exception", KeyError), ("end", None)] == [
                (kind, type(value) if value is not None else None) for kind, value in handler.log
            ]
            # The same client streams on.
            with client.beta.threads.runs.stream(thread_id="thread_1", assistant_id="asst_1") as stream:
                assert "completed" == stream.get_final_run().status

    def test_a_stalled_stream_calls_on_timeout_then_on_exception(self, server: MockServer) -> None:
        server.script(Fault(action="stream_stall", after=8, path=RUNS))
        handler = Recorder()
        with OpenAI(api_key="sk-test", base_url=server.url, timeout=0.3) as client:
            with client.beta.threads.runs.stream(
                thread_id="thread_1",
                assistant_id="asst_1",
                additional_messages=said(LONG),
                event_handler=handler,
            ) as stream:
                with pytest.raises(APITimeoutError):
                    stream.until_done()
        assert ["timeout", "exception", "end"] == [kind for kind, _ in handler.log][-3:]

    def test_an_error_in_the_request_is_raised_at_the_block(self, server: MockServer) -> None:
        with sync_client(server) as client:
            manager = client.beta.threads.runs.submit_tool_outputs_stream(
                thread_id="thread_1", run_id="run_404", tool_outputs=[{"tool_call_id": "c", "output": "o"}]
            )
            with pytest.raises(NotFoundError):
                with manager:
                    pass
            outputs = [{"tool_call_id": "c", "output": 1}]
            with pytest.raises(
                BadRequestError, match=r"expected a string 'tool_call_id' and a string 'output'"
            ):
                with client.beta.threads.runs.submit_tool_outputs_stream(
                    thread_id="thread_1", run_id="run_404", tool_outputs=outputs
                ):
                    pass


def test_the_managers_are_the_public_ones() -> None:
    """The names the official SDK exports (`openai.lib.streaming`, `openai.AssistantEventHandler`) are these."""
    import openai_actors
    import openai_actors.lib.streaming as streaming

    assert openai_actors.AssistantEventHandler is streaming.AssistantEventHandler
    assert openai_actors.AsyncAssistantEventHandler is streaming.AsyncAssistantEventHandler
    assert {
        "AssistantEventHandler",
        "AssistantEventHandlerT",
        "AssistantStreamManager",
        "AsyncAssistantEventHandler",
        "AsyncAssistantEventHandlerT",
        "AsyncAssistantStreamManager",
    } == set(streaming.__all__)
    assert AsyncAssistantStreamManager is streaming.AsyncAssistantStreamManager


def test_the_example_runs(capsys: pytest.CaptureFixture[str]) -> None:
    """examples/assistant_stream.py: a function call answered, then trio; it checks its own answers."""
    import runpy
    from pathlib import Path

    example = runpy.run_path(str(Path(__file__).parent.parent / "examples" / "assistant_stream.py"))
    example["main"]()
    printed = capsys.readouterr().out
    assert 'calls function: {"city":"city"}' in printed
    assert "async: echo: hello from trio" in printed


def test_each_helper_takes_what_its_method_takes_but_stream() -> None:
    """As the official SDK's tests check its helpers' signatures against the methods they stream:
    the arguments the type checker admits are those the generated method sends, less `stream`."""
    from openai_actors._helpers import runs, threads
    from openai_actors._resources._base import REQUEST_OPTION_NAMES
    from openai_actors.resources.beta.threads.runs.runs import _CREATE, _SUBMIT_TOOL_OUTPUTS
    from openai_actors.resources.beta.threads.threads import _CREATE_AND_RUN

    for arguments, operation in [
        (runs._StreamArgs, _CREATE),
        (runs._SubmitToolOutputsStreamArgs, _SUBMIT_TOOL_OUTPUTS),
        (threads._CreateAndRunStreamArgs, _CREATE_AND_RUN),
    ]:
        assert (set(operation.keys) - {"stream"}) | REQUEST_OPTION_NAMES == set(arguments.__annotations__)
