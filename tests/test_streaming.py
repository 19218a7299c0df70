"""Streaming over real sockets: typed chunks, early exits, stalls, drops, errors, threads."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import anyio
import pytest

from openai_actors import APIConnectionError, APIError, APITimeoutError, OpenAI
from openai_actors.mock import Fault, MockServer
from openai_actors.types.chat import ChatCompletionChunk
from openai_actors.types.responses import ResponseCompletedEvent, ResponseTextDeltaEvent

from .conftest import chat_body, client_for, until

pytestmark = pytest.mark.anyio
CHAT = "/v1/chat/completions"
LONG = "streaming " * 40  # a reply of about a hundred pieces


async def collect(stream: Any) -> str:
    return "".join([c.choices[0].delta.content or "" async for c in stream if c.choices])


class TestChat:
    async def test_chunks_are_typed_and_add_up_to_the_answer(self, server: MockServer) -> None:
        async with client_for(server) as client:
            stream = await client.chat.completions.create(**chat_body("hello world"), stream=True)
            chunks = [chunk async for chunk in stream]
        assert all(isinstance(c, ChatCompletionChunk) for c in chunks)
        assert "echo: hello world" == "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
        assert "assistant" == chunks[0].choices[0].delta.role
        assert "stop" == chunks[-1].choices[0].finish_reason
        assert stream.response.status_code == 200
        assert "text/event-stream" in stream.response.headers["content-type"]

    async def test_usage_arrives_in_the_last_chunk_when_asked_for(self, server: MockServer) -> None:
        async with client_for(server) as client:
            stream = await client.chat.completions.create(
                **chat_body("count me"), stream=True, stream_options={"include_usage": True}
            )
            chunks = [chunk async for chunk in stream]
        assert [] == chunks[-1].choices
        assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens > 0

    async def test_a_finished_stream_leaves_its_connection_for_the_next_request(
        self, server: MockServer
    ) -> None:
        async with client_for(server) as client:
            for _ in range(3):
                await collect(await client.chat.completions.create(**chat_body(), stream=True))
            await client.chat.completions.create(**chat_body())
        assert 1 == server.connections_opened

    async def test_time_to_first_token_is_measured(self, server: MockServer) -> None:
        server.script(Fault(first_delay=0.05, path=CHAT))
        async with client_for(server) as client:
            stream = await client.chat.completions.create(**chat_body(), stream=True)
            assert stream.time_to_first_token is None
            await collect(stream)
        assert stream.time_to_first_token is not None and stream.time_to_first_token >= 0.05

    async def test_a_failure_before_the_first_byte_is_retried(self, server: MockServer) -> None:
        server.script(Fault(status=503, headers={"retry-after-ms": "1"}, path=CHAT))
        async with client_for(server) as client:
            text = await collect(await client.chat.completions.create(**chat_body("retried"), stream=True))
        assert "echo: retried" == text
        assert 2 == len(server.requests)


class TestLeavingEarly:
    async def test_breaking_out_of_the_loop_closes_the_connection_at_once(self, server: MockServer) -> None:
        """The official SDK leaked the connection here (openai-python #763)."""
        server.script(Fault(chunk_delay=0.2, path=CHAT))
        async with client_for(server) as client:
            stream = await client.chat.completions.create(**chat_body(LONG), stream=True)
            async for _ in stream:
                break
            await until(server, lambda s: s.disconnects == 1)
            assert (
                "echo: x"
                == (await client.chat.completions.create(**chat_body("x"))).choices[0].message.content
            )

    async def test_async_with_closes_a_stream_left_unfinished(self, server: MockServer) -> None:
        server.script(Fault(chunk_delay=0.2, path=CHAT))
        async with client_for(server) as client:
            async with await client.chat.completions.create(**chat_body(LONG), stream=True) as stream:
                await stream.__anext__()
            await until(server, lambda s: s.disconnects == 1)

    async def test_a_cancelled_reader_closes_its_stream_and_others_go_on(self, server: MockServer) -> None:
        server.script(Fault(action="stream_stall", after=2, path=CHAT))
        async with client_for(server) as client:
            got: list[str] = []
            two_read = anyio.Event()
            with anyio.move_on_after(5) as deadline:
                async with anyio.create_task_group() as tg:

                    async def reader() -> None:
                        stream = await client.chat.completions.create(**chat_body(LONG), stream=True)
                        async for chunk in stream:
                            got.append(chunk.id)
                            if len(got) == 2:
                                two_read.set()

                    tg.start_soon(reader)
                    await two_read.wait()
                    await until(server, lambda s: s.hanging == 1)
                    tg.cancel_scope.cancel()
            assert not deadline.cancelled_caught
            await until(server, lambda s: s.disconnects == 1)
            text = await collect(await client.chat.completions.create(**chat_body("next"), stream=True))
        assert 2 == len(got)
        assert "echo: next" == text


class TestMidStreamFailures:
    async def test_a_stalled_stream_raises_api_timeout_error(self, server: MockServer) -> None:
        server.script(Fault(action="stream_stall", after=2, path=CHAT))
        async with client_for(server, timeout=0.3) as client:
            stream = await client.chat.completions.create(**chat_body(LONG), stream=True)
            seen: list[object] = []

            async def read_all() -> None:
                async for chunk in stream:
                    seen.append(chunk)

            with pytest.raises(APITimeoutError, match="read timed out"):
                await read_all()
        assert 2 == len(seen)
        assert 1 == len(server.requests)  # mid-stream: never retried

    async def test_a_dropped_connection_raises_api_connection_error(self, server: MockServer) -> None:
        server.script(Fault(action="stream_drop", after=3, path=CHAT))
        async with client_for(server) as client:
            stream = await client.chat.completions.create(**chat_body(LONG), stream=True)
            with pytest.raises(APIConnectionError):
                await collect(stream)
        assert 1 == len(server.requests)

    async def test_an_error_event_raises_api_error(self, server: MockServer) -> None:
        body = {"error": {"message": "the model overloaded", "type": "server_error", "code": None}}
        server.script(Fault(action="stream_error", after=2, body=body, path=CHAT))
        async with client_for(server) as client:
            stream = await client.chat.completions.create(**chat_body(LONG), stream=True)
            with pytest.raises(APIError, match="the model overloaded") as info:
                await collect(stream)
        assert body["error"] == info.value.body


class TestBackpressure:
    async def test_a_reader_that_stops_reading_stops_the_server_writing(self, server: MockServer) -> None:
        """The chunks between lane and reader are bounded, so a stalled reader stalls the
        socket and the server has to pause: nothing buffers the whole stream."""
        async with client_for(server) as client:
            stream = await client.chat.completions.create(**chat_body("y" * 400_000), stream=True)
            await stream.__anext__()
            await until(server, lambda s: s.write_pauses > 0)
            await stream.close()


class TestResponsesAPI:
    async def test_events_are_typed_and_unknown_ones_are_kept(self, server: MockServer) -> None:
        async with client_for(server) as client:
            stream = await client.responses.create(model="m", input="stream me", stream=True)
            events = [event async for event in stream]
        kinds = [e.type for e in events]
        assert "response.created" == kinds[0] and "response.completed" == kinds[-1]
        deltas = [e.delta for e in events if isinstance(e, ResponseTextDeltaEvent)]
        assert "echo: stream me" == "".join(deltas)
        completed = events[-1]
        assert isinstance(completed, ResponseCompletedEvent)
        assert "echo: stream me" == completed.response.output_text

    async def test_non_streaming_response_and_its_life_cycle(self, server: MockServer) -> None:
        async with client_for(server) as client:
            response = await client.responses.create(model="m", input=[{"role": "user", "content": "hi"}])
            again = await client.responses.retrieve(response.id)
            cancelled = await client.responses.cancel(response.id)
            assert await client.responses.delete(response.id) is None
        assert ("echo: hi", response.id) == (response.output_text, again.id)
        assert "cancelled" == cancelled.status


class TestLegacyCompletions:
    async def test_streamed_and_whole(self, server: MockServer) -> None:
        async with client_for(server) as client:
            whole = await client.completions.create(model="m", prompt="say")
            stream = await client.completions.create(model="m", prompt="say", stream=True)
            pieces = [c.choices[0].text async for c in stream if c.choices]
        assert "echo: say" == whole.choices[0].text == "".join(pieces)


def test_sync_streams_from_many_threads_at_once(server: MockServer) -> None:
    with OpenAI(api_key="sk", base_url=server.url) as client:

        def read(i: int) -> str:
            stream = client.chat.completions.create(**chat_body(f"thread {i}"), stream=True)
            return "".join(c.choices[0].delta.content or "" for c in stream if c.choices)

        with ThreadPoolExecutor(32) as pool:
            texts = list(pool.map(read, range(64)))
    assert [f"echo: thread {i}" for i in range(64)] == texts


def test_sync_break_closes_the_connection(server: MockServer) -> None:
    server.script(Fault(chunk_delay=0.2, path=CHAT))
    with OpenAI(api_key="sk", base_url=server.url) as client:
        for _ in client.chat.completions.create(**chat_body(LONG), stream=True):
            break
        server.wait_for(lambda s: s.disconnects == 1)


def test_sync_stalled_stream_times_out(server: MockServer) -> None:
    server.script(Fault(action="stream_stall", after=1, path=CHAT))
    with OpenAI(api_key="sk", base_url=server.url, timeout=0.3) as client:
        stream = client.chat.completions.create(**chat_body(LONG), stream=True)
        with pytest.raises(APITimeoutError):
            list(stream)


def test_a_dropped_sync_stream_is_closed_when_collected(server: MockServer) -> None:
    """A stream nobody closes or finishes is closed when it is garbage-collected."""
    import gc

    server.script(Fault(action="stream_stall", after=1, path=CHAT))
    with OpenAI(api_key="sk", base_url=server.url) as client:
        stream = client.chat.completions.create(**chat_body(LONG), stream=True)
        stream.__next__()  # read without a for loop, so only the finalizer can close it
        assert 0 == server.disconnects
        del stream
        gc.collect()
        server.wait_for(lambda s: s.disconnects == 1)
