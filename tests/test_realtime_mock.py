"""`client.realtime.connect()` against the bundled mock's Realtime endpoint: asyncio, trio and the sync client."""

from __future__ import annotations

import base64
import struct
from collections.abc import Iterator
from typing import Any

import anyio
import pytest

from openai_actors import (
    AsyncOpenAI,
    ConnectionClosedError,
    ConnectionClosedOK,
    OpenAI,
    OpenAIError,
    ReconnectingEvent,
    WebSocketQueueFullError,
)
from openai_actors.mock import Fault, MockServer
from openai_actors.types.realtime import ResponseCreateEvent

pytestmark = pytest.mark.timeout(20)

REALTIME = "/v1/realtime"
# 200 ms of PCM16 at 24 kHz: above the API's 100 ms minimum for a commit.
AUDIO = base64.b64encode(b"".join(struct.pack("<h", (i * 37) % 2000 - 1000) for i in range(4800))).decode()


def say(text: str) -> dict[str, Any]:
    return {"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]}


def sent_types(server: MockServer) -> dict[int, list[str]]:
    """The client events the mock received, by connection, in order."""
    by_connection: dict[int, list[str]] = {}
    for message in server.realtime_messages:
        by_connection.setdefault(message.connection, []).append(message.json()["type"])
    return by_connection


@pytest.fixture
def mock() -> Iterator[MockServer]:
    with MockServer() as server:
        yield server


class TestAsync:
    pytestmark = pytest.mark.anyio

    async def test_a_text_conversation(self, mock: MockServer) -> None:
        """The mock echoes the user's text, streamed as deltas; the deltas join into its answer."""
        async with AsyncOpenAI(api_key="sk-test", base_url=mock.url) as client:
            async with client.realtime.connect(model="gpt-realtime") as connection:
                await connection.session.update(session={"type": "realtime", "output_modalities": ["text"]})
                await connection.conversation.item.create(item=say("Say hello"))
                await connection.response.create()
                text, kinds = "", []
                async for event in connection:
                    kinds.append(event.type)
                    if event.type == "response.output_text.delta":
                        text += event.delta
                    if event.type == "response.done":
                        break
        assert "echo: Say hello" == text
        assert ["session.created", "session.updated", "conversation.item.added"] == kinds[:3]
        assert ("response.created", "response.done") == (kinds[4], kinds[-1])

    async def test_audio_append_and_a_streamed_audio_response(self, mock: MockServer) -> None:
        """200 ms of audio appended in chunks and committed; the response streams base64 audio deltas."""
        async with AsyncOpenAI(api_key="sk-test", base_url=mock.url) as client:
            async with client.realtime.connect(model="gpt-realtime") as connection:
                for start in range(0, len(AUDIO), 3200):
                    await connection.input_audio_buffer.append(audio=AUDIO[start : start + 3200])
                await connection.input_audio_buffer.commit()
                await connection.response.create()
                audio = b""
                kinds = []
                async for event in connection:
                    kinds.append(event.type)
                    if event.type == "response.output_audio.delta":
                        audio += base64.b64decode(event.delta)
                    if event.type == "response.done":
                        break
        assert "input_audio_buffer.committed" in kinds
        assert audio and 0 == len(audio) % 2  # PCM16 samples

    async def test_a_scripted_server_error_closes_with_1011(self, mock: MockServer) -> None:
        mock.script(Fault(path=REALTIME, action="stream_error", after=1))
        async with AsyncOpenAI(api_key="sk-test", base_url=mock.url) as client:
            async with client.realtime.connect(model="gpt-realtime") as connection:
                with pytest.raises(ConnectionClosedError) as caught:
                    async for _ in connection:
                        pass
        assert 1011 == caught.value.code

    async def test_a_normal_server_close_ends_iteration(self, mock: MockServer) -> None:
        async with AsyncOpenAI(api_key="sk-test", base_url=mock.url) as client:
            async with client.realtime.connect(
                model="gpt-realtime",
                extra_query={"mock_fault": "close", "mock_close_code": 1000, "mock_after": 1},
            ) as connection:
                assert ["session.created"] == [event.type async for event in connection]
                with pytest.raises(ConnectionClosedOK):
                    await connection.recv()

    async def test_a_dropped_connection_reconnects(self, mock: MockServer) -> None:
        """The first connection is dropped (RST) after session.created; the second carries on, with the
        session configuration sent again and every other event sent once."""
        mock.script(Fault(path=REALTIME, action="stream_drop", after=2))
        told: list[ReconnectingEvent] = []
        async with AsyncOpenAI(api_key="sk-test", base_url=mock.url) as client:
            async with client.realtime.connect(
                model="gpt-realtime", on_reconnecting=told.append, initial_delay=0.01
            ) as connection:
                await connection.session.update(session={"type": "realtime", "output_modalities": ["text"]})
                created = 0
                async for event in connection:
                    if event.type == "session.created":
                        created += 1
                        if created == 2:
                            break
                await connection.conversation.item.create(item=say("again"))
                await connection.response.create()
                text = ""
                async for event in connection:
                    if event.type == "response.output_text.delta":
                        text += event.delta
                    if event.type == "response.done":
                        break
        assert [1006] == [e.close_code for e in told]
        assert "echo: again" == text
        first, second = sorted(sent_types(mock).items())
        assert ["session.update"] == first[1]
        assert ["session.update", "conversation.item.create", "response.create"] == second[1]

    async def test_a_stalled_server_is_caught_by_keepalive_and_reconnected(self, mock: MockServer) -> None:
        """The mock goes silent (no events, no pongs): the keepalive counts it dropped (1011), and the
        connection is made again."""
        mock.script(Fault(path=REALTIME, action="stream_stall", after=1))
        told: list[ReconnectingEvent] = []
        async with AsyncOpenAI(api_key="sk-test", base_url=mock.url) as client:
            async with client.realtime.connect(
                model="gpt-realtime",
                on_reconnecting=told.append,
                initial_delay=0.01,
                websocket_connection_options={"ping_interval": 0.05, "ping_timeout": 0.2},
            ) as connection:
                assert "session.created" == (await connection.recv()).type
                assert "session.created" == (await connection.recv()).type  # the second connection's
        assert [1011] == [e.close_code for e in told]

    async def test_a_client_event_model_is_sent_as_its_json(self, mock: MockServer) -> None:
        """send() takes the GA event models too, as the official send does."""
        async with AsyncOpenAI(api_key="sk-test", base_url=mock.url) as client:
            async with client.realtime.connect(model="gpt-realtime") as connection:
                await connection.send(ResponseCreateEvent(type="response.create"))
                async for event in connection:
                    if event.type == "response.done":
                        break
        assert [{"type": "response.create"}] == [m.json() for m in mock.realtime_messages]

    async def test_dispatch_events_raises_an_unhandled_error_event(self, mock: MockServer) -> None:
        """An `error` event with no "error" or "event" handler raises, as in the official SDK; with one, it is handled."""
        errors: list[str] = []
        async with AsyncOpenAI(api_key="sk-test", base_url=mock.url) as client:
            async with client.realtime.connect(model="gpt-realtime") as connection:
                await connection.send_raw('{"type": "no.such.event"}')
                with pytest.raises(OpenAIError, match="WebSocket error"):
                    await connection.dispatch_events()

                async def on_error(event: Any) -> None:
                    errors.append(event.error.message)
                    await connection.close()  # dispatch_events then returns

                connection.on("error", on_error)
                await connection.send_raw('{"type": "no.such.event"}')
                await connection.dispatch_events()
        assert 1 == len(errors)

    async def test_a_full_send_queue(self, mock: MockServer) -> None:
        async with AsyncOpenAI(api_key="sk-test", base_url=mock.url) as client:
            manager = client.realtime.connect(model="gpt-realtime", max_queue_size=4096)
            manager.send({"type": "input_audio_buffer.append", "audio": AUDIO[:3200]})
            with pytest.raises(WebSocketQueueFullError):
                manager.send({"type": "input_audio_buffer.append", "audio": AUDIO[:3200]})
            async with manager as connection:
                await connection.input_audio_buffer.clear()
                async for event in connection:
                    if event.type == "input_audio_buffer.cleared":
                        break
        assert ["input_audio_buffer.append", "input_audio_buffer.clear"] == next(
            iter(sent_types(mock).values())
        )

    async def test_a_callable_key(self, mock: MockServer) -> None:
        async def key() -> str:
            await anyio.lowlevel.checkpoint()
            return "sk-from-vault"

        async with AsyncOpenAI(api_key=key, base_url=mock.url) as client:
            async with client.realtime.connect(model="gpt-realtime") as connection:
                assert "session.created" == (await connection.recv()).type
        upgrade = next(r for r in mock.requests if r.path.startswith(REALTIME))
        assert "Bearer sk-from-vault" == upgrade.headers["authorization"]


class TestSync:
    def test_a_text_conversation(self, mock: MockServer) -> None:
        with OpenAI(api_key="sk-test", base_url=mock.url) as client:
            with client.realtime.connect(model="gpt-realtime") as connection:
                connection.session.update(session={"type": "realtime", "output_modalities": ["text"]})
                connection.conversation.item.create(item=say("Say hello"))
                connection.response.create()
                text = ""
                for event in connection:
                    if event.type == "response.output_text.delta":
                        text += event.delta
                    if event.type == "response.done":
                        break
        assert "echo: Say hello" == text

    def test_a_dropped_connection_reconnects(self, mock: MockServer) -> None:
        mock.script(Fault(path=REALTIME, action="stream_drop", after=1))
        told: list[ReconnectingEvent] = []
        with OpenAI(api_key="sk-test", base_url=mock.url) as client:
            with client.realtime.connect(
                model="gpt-realtime", on_reconnecting=told.append, initial_delay=0.01
            ) as connection:
                assert "session.created" == connection.recv().type
                assert "session.created" == connection.recv().type  # the new connection's
                connection.response.create()
                assert "response.done" == [e.type for e in _until_done(connection)][-1]
        assert [1006] == [e.close_code for e in told]

    def test_a_callable_key_and_a_server_close(self, mock: MockServer) -> None:
        with OpenAI(api_key=lambda: "sk-sync-provider", base_url=mock.url) as client:
            with client.realtime.connect(
                model="gpt-realtime",
                extra_query={"mock_fault": "close", "mock_close_code": 1000, "mock_after": 1},
            ) as connection:
                assert ["session.created"] == [event.type for event in connection]
        upgrade = next(r for r in mock.requests if r.path.startswith(REALTIME))
        assert "Bearer sk-sync-provider" == upgrade.headers["authorization"]


def _until_done(connection: Any) -> Iterator[Any]:
    for event in connection:
        yield event
        if event.type == "response.done":
            return
