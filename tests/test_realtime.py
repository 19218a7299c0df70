"""`AsyncOpenAI.realtime.connect()` on asyncio and trio, against a scripted WebSocket server."""

from __future__ import annotations

import base64
import json
import logging
import ssl
import traceback
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
import anyio.abc
import pytest
import trustme

import openai_actors
from openai_actors import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AsyncAzureOpenAI,
    AsyncOpenAI,
    AuthenticationError,
    ClientClosedError,
    ConnectionClosedError,
    ConnectionClosedOK,
    OpenAIError,
    ReconnectingEvent,
    ReconnectingOverrides,
    WebSocketConnectionClosedError,
    WebSocketQueueFullError,
    _connection,
)
from openai_actors._realtime import AsyncRealtimeConnection

from .ws_server import RealtimeTestServer, user_message

pytestmark = [pytest.mark.anyio, pytest.mark.timeout(20)]


@pytest.fixture
def rt() -> Iterator[RealtimeTestServer]:
    with RealtimeTestServer() as srv:
        yield srv


def client_of(srv: RealtimeTestServer, **options: Any) -> AsyncOpenAI:
    return AsyncOpenAI(api_key=options.pop("api_key", "sk-test"), base_url=srv.url, **options)


async def types_until(connection: AsyncRealtimeConnection, last: str) -> list[str]:
    """The types of the events received up to and including the first of type `last`."""
    seen = []
    async for event in connection:
        seen.append(event.type)
        if event.type == last:
            return seen
    raise AssertionError(f"the connection closed before {last}: {seen}")


class TestConversation:
    async def test_a_text_conversation_streams_its_response(self, rt: RealtimeTestServer) -> None:
        """Session update, a user message and response.create: the server's events arrive typed, in order."""
        async with client_of(rt) as client, client.realtime.connect(model="gpt-realtime") as connection:
            await connection.session.update(session={"type": "realtime", "output_modalities": ["text"]})
            await connection.conversation.item.create(item=user_message("Say hello"))
            await connection.response.create()
            events = []
            async for event in connection:
                events.append(event)
                if event.type == "response.done":
                    break
        assert [
            "session.created",
            "session.updated",
            "conversation.item.created",
            "response.created",
            "response.output_text.delta",
            "response.output_text.delta",
            "response.output_text.delta",
            "response.done",
        ] == [e.type for e in events]
        assert "part0 part1 part2 " == "".join(e.delta for e in events if e.type.endswith(".delta"))
        assert ["session.update", "conversation.item.create", "response.create"] == [
            e["type"] for e in rt.connections[0].events
        ]

    async def test_audio_is_appended_committed_and_answered(self, rt: RealtimeTestServer) -> None:
        """Base64 audio chunks reach the server whole; the commit reports every byte; a response streams."""
        chunks = [bytes([i]) * 3000 for i in range(5)]
        async with client_of(rt) as client, client.realtime.connect(model="gpt-realtime") as connection:
            for chunk in chunks:
                await connection.input_audio_buffer.append(audio=base64.b64encode(chunk).decode())
            await connection.input_audio_buffer.commit()
            await connection.response.create(response={"output_modalities": ["text"]})
            events = []
            async for event in connection:
                events.append(event)
                if event.type == "response.done":
                    break
        committed = next(e for e in events if e.type == "input_audio_buffer.committed")
        assert 15000 == committed.model_dump()["bytes"]
        assert {"output_modalities": ["text"]} == rt.connections[0].events[-1]["response"]

    async def test_the_handshake_carries_identity_options_and_the_key(self, rt: RealtimeTestServer) -> None:
        """Bearer key, organization, project, default and extra headers, model and extra query, deflate."""
        client = client_of(rt, organization="org-1", project="proj-1", default_headers={"X-Default": "1"})
        async with (
            client,
            client.realtime.connect(
                model="gpt-realtime", extra_query={"trace": "t1"}, extra_headers={"X-Extra": "2"}
            ) as connection,
        ):
            assert "session.created" == (await connection.recv()).type
        seen = rt.connections[0]
        assert "/v1/realtime?model=gpt-realtime&trace=t1" == seen.target
        assert ("Bearer sk-test", "org-1", "proj-1", "1", "2") == (
            seen.headers["authorization"],
            seen.headers["openai-organization"],
            seen.headers["openai-project"],
            seen.headers["x-default"],
            seen.headers["x-extra"],
        )
        assert seen.compressed

    async def test_compression_none_does_not_offer_deflate(self, rt: RealtimeTestServer) -> None:
        async with (
            client_of(rt) as client,
            client.realtime.connect(
                model="m", websocket_connection_options={"compression": None}
            ) as connection,
        ):
            await connection.recv()
        assert not rt.connections[0].compressed

    async def test_websocket_base_url_is_used_when_set(self, rt: RealtimeTestServer) -> None:
        """The WebSocket goes to websocket_base_url + /realtime, not to base_url."""
        client = AsyncOpenAI(
            api_key="sk-test",
            base_url="http://127.0.0.1:9/unused",
            websocket_base_url=f"ws://127.0.0.1:{rt.port}/ws",
        )
        async with client, client.realtime.connect(model="m") as connection:
            await connection.recv()
        assert "/ws/realtime?model=m" == rt.connections[0].target

    async def test_call_id_joins_the_query(self, rt: RealtimeTestServer) -> None:
        """`call_id` (attaching to a SIP/WebRTC call) is sent in the query, after the model."""
        async with client_of(rt) as client, client.realtime.connect(model="m", call_id="rtc_1") as connection:
            await connection.recv()
        assert "/v1/realtime?model=m&call_id=rtc_1" == rt.connections[0].target

    async def test_connecting_on_a_closed_client_is_refused(self, rt: RealtimeTestServer) -> None:
        client = client_of(rt)
        await client.close()
        with pytest.raises(ClientClosedError):
            await client.realtime.connect(model="m").enter()
        assert [] == rt.connections

    async def test_events_sent_to_the_manager_go_first(self, rt: RealtimeTestServer) -> None:
        """`manager.send()` before entering queues the event; it is the first the server gets."""
        async with client_of(rt) as client:
            manager = client.realtime.connect(model="m")
            manager.send({"type": "session.update", "session": {"instructions": "be brief"}})
            async with manager as connection:
                await connection.response.create()
                await types_until(connection, "response.done")
        assert ["session.update", "response.create"] == [e["type"] for e in rt.connections[0].events]

    async def test_fragmented_messages_are_joined(self, rt: RealtimeTestServer) -> None:
        """A server that splits each message into frames: every event still arrives whole."""
        rt.fragment = True
        async with client_of(rt) as client, client.realtime.connect(model="m") as connection:
            await connection.response.create()
            assert "response.done" == (await types_until(connection, "response.done"))[-1]

    async def test_two_receivers_share_the_events_without_duplicates(self, rt: RealtimeTestServer) -> None:
        """Two tasks calling recv() at once: each event goes to exactly one of them."""
        rt.deltas = 200
        got: list[list[str]] = [[], []]
        async with client_of(rt) as client, client.realtime.connect(model="m") as connection:
            await connection.response.create()

            async def receive(mine: list[str]) -> None:
                while True:
                    event = await connection.recv()
                    if event.type == "response.output_text.delta":
                        mine.append(event.delta)
                    elif event.type == "response.done":
                        tg.cancel_scope.cancel()

            async with anyio.create_task_group() as tg:
                tg.start_soon(receive, got[0])
                tg.start_soon(receive, got[1])
        assert sorted(f"part{i} " for i in range(200)) == sorted(got[0] + got[1])

    async def test_handlers_run_from_dispatch_events(self, rt: RealtimeTestServer) -> None:
        """on() per type and for every event, once() for one; dispatch_events returns when the server closes."""
        seen: list[str] = []
        async with client_of(rt) as client, client.realtime.connect(model="m") as connection:

            async def delta(event: Any) -> None:
                seen.append(event.delta)

            connection.on("response.output_text.delta", delta)
            connection.once("event", lambda event: seen.append(f"first:{event.type}"))
            await connection.response.create()
            await connection.conversation.item.create(item=user_message("close 1000"))
            await connection.dispatch_events()
        assert ["first:session.created", "part0 ", "part1 ", "part2 "] == seen


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


async def test_wss_over_the_clients_tls(ca: trustme.CA, monkeypatch: pytest.MonkeyPatch) -> None:
    """An https base URL becomes wss: the handshake and the messages go over the client's own TLS."""
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server_context)
    trusting = ssl.create_default_context()
    ca.configure_trust(trusting)
    monkeypatch.setattr(_connection, "_ssl_context", trusting)
    with RealtimeTestServer(ssl_context=server_context) as srv:
        assert srv.url.startswith("https://")
        async with client_of(srv) as client, client.realtime.connect(model="m") as connection:
            await connection.response.create()
            assert "response.done" == (await types_until(connection, "response.done"))[-1]


class TestFaults:
    async def test_a_server_close_ends_iteration_and_recv_says_how(self, rt: RealtimeTestServer) -> None:
        """A 1000 close: `async for` ends after the events before it; recv() then raises ConnectionClosedOK."""
        async with client_of(rt) as client, client.realtime.connect(model="m") as connection:
            await connection.conversation.item.create(item=user_message("close 1000"))
            assert ["session.created"] == [event.type async for event in connection]
            with pytest.raises(ConnectionClosedOK) as caught:
                await connection.recv()
        assert (1000, "scripted close") == (caught.value.code, caught.value.reason)

    async def test_an_abnormal_close_without_reconnection_raises_its_code(
        self, rt: RealtimeTestServer
    ) -> None:
        """A 1011 close with no on_reconnecting: the iteration raises ConnectionClosedError with code and reason."""
        async with client_of(rt) as client, client.realtime.connect(model="m") as connection:
            await connection.conversation.item.create(item=user_message("close 1011"))
            with pytest.raises(ConnectionClosedError) as caught:
                async for _ in connection:
                    pass
        assert (1011, "scripted close") == (caught.value.code, caught.value.reason)
        assert "code 1011 (scripted close)" in str(caught.value)

    async def test_a_dropped_connection_reconnects_and_resends_the_session(
        self, rt: RealtimeTestServer
    ) -> None:
        """After a drop (1006): on_reconnecting is told, its overrides apply, the session.update goes again,
        and no event is delivered or sent twice."""
        told: list[ReconnectingEvent] = []

        def reconnecting(event: ReconnectingEvent) -> ReconnectingOverrides:
            told.append(event)
            return {"extra_query": {"resume": "1"}}

        async with (
            client_of(rt) as client,
            client.realtime.connect(
                model="m", on_reconnecting=reconnecting, initial_delay=0.01
            ) as connection,
        ):
            await connection.session.update(session={"instructions": "terse"})
            assert ["session.created", "session.updated"] == await types_until(connection, "session.updated")
            await connection.conversation.item.create(item=user_message("drop"))
            # The drop, then the new connection's own session.created and the resent update's answer.
            assert ["session.created", "session.updated"] == await types_until(connection, "session.updated")
            await connection.response.create()
            assert "response.done" == (await types_until(connection, "response.done"))[-1]
        assert [(1, 5, 1006)] == [(e.attempt, e.max_attempts, e.close_code) for e in told]
        assert 0.0075 <= told[0].delay <= 0.01
        assert 2 == len(rt.connections)
        assert "/v1/realtime?model=m&resume=1" == rt.connections[1].target
        assert ["session.update", "conversation.item.create"] == [e["type"] for e in rt.connections[0].events]
        assert ["session.update", "response.create"] == [e["type"] for e in rt.connections[1].events]

    async def test_abort_from_the_handler_ends_with_the_close(self, rt: RealtimeTestServer) -> None:
        async with (
            client_of(rt) as client,
            client.realtime.connect(
                model="m", on_reconnecting=lambda event: {"abort": True}, initial_delay=0.01
            ) as connection,
        ):
            await connection.conversation.item.create(item=user_message("close 1012"))
            with pytest.raises(ConnectionClosedError) as caught:
                async for _ in connection:
                    pass
        assert 1012 == caught.value.code
        assert 1 == len(rt.connections)

    async def test_a_close_that_is_not_recoverable_is_not_retried(self, rt: RealtimeTestServer) -> None:
        """1008 (policy violation) is not in the recoverable set: the handler is never called."""
        told: list[ReconnectingEvent] = []
        async with (
            client_of(rt) as client,
            client.realtime.connect(
                model="m", on_reconnecting=lambda event: told.append(event), initial_delay=0.01
            ) as connection,
        ):
            await connection.conversation.item.create(item=user_message("close 1008"))
            with pytest.raises(ConnectionClosedError):
                async for _ in connection:
                    pass
        assert [] == told

    async def test_a_full_send_queue_refuses_the_event(self, rt: RealtimeTestServer) -> None:
        """Past max_queue_size bytes, send raises WebSocketQueueFullError; what was queued is still sent."""
        async with client_of(rt) as client:
            manager = client.realtime.connect(model="m", max_queue_size=200)
            manager.send({"type": "input_audio_buffer.append", "audio": "A" * 100})
            with pytest.raises(WebSocketQueueFullError, match="150 of 200 bytes queued"):
                manager.send({"type": "input_audio_buffer.append", "audio": "B" * 100})
            async with manager as connection:
                await connection.input_audio_buffer.commit()
                await types_until(connection, "input_audio_buffer.committed")
        assert ["A" * 100] == [e["audio"] for e in rt.connections[0].events if "audio" in e]

    async def test_a_fast_sender_waits_for_room_while_connected(self, rt: RealtimeTestServer) -> None:
        """Connected, a queue far smaller than what is sent is backpressure, not an error: all arrive, in order."""
        chunk = "A" * 400
        async with (
            client_of(rt) as client,
            client.realtime.connect(model="m", max_queue_size=1000) as connection,
        ):
            for _ in range(100):
                await connection.input_audio_buffer.append(audio=chunk)
            await connection.input_audio_buffer.commit()
            await types_until(connection, "input_audio_buffer.committed")
            await connection.send(
                {"type": "input_audio_buffer.append", "audio": "B" * 4000}
            )  # over the budget
        appends = [e["audio"] for e in rt.connections[0].events if "audio" in e]
        assert [chunk] * 100 + ["B" * 4000] == appends

    async def test_a_full_queue_while_reconnecting_raises(self, rt: RealtimeTestServer) -> None:
        """No connection to drain it: the queue's budget is a hard limit, as the official SDK's."""
        reconnecting = anyio.Event()
        async with (
            client_of(rt) as client,
            client.realtime.connect(
                model="m",
                on_reconnecting=lambda event: reconnecting.set(),
                initial_delay=0.3,
                max_queue_size=500,
            ) as connection,
        ):
            await connection.conversation.item.create(item=user_message("drop"))
            await reconnecting.wait()
            await connection.input_audio_buffer.append(audio="A" * 400)
            with pytest.raises(WebSocketQueueFullError):
                await connection.input_audio_buffer.append(audio="B" * 400)
            await connection.input_audio_buffer.commit()
            await types_until(connection, "input_audio_buffer.committed")
        assert ["input_audio_buffer.append", "input_audio_buffer.commit"] == [
            e["type"] for e in rt.connections[1].events
        ]

    async def test_events_queued_while_reconnecting_go_to_the_new_connection(
        self, rt: RealtimeTestServer
    ) -> None:
        """Sent while no connection can take them, events wait in the queue and are sent once reconnected."""
        gate = anyio.Event()
        attempts: list[int] = []

        async def reconnect_later(connection: AsyncRealtimeConnection) -> None:
            await connection.conversation.item.create(item=user_message("drop"))

        def reconnecting(event: ReconnectingEvent) -> None:
            attempts.append(event.attempt)
            gate.set()

        async with (
            client_of(rt) as client,
            client.realtime.connect(model="m", on_reconnecting=reconnecting, initial_delay=0.2) as connection,
        ):
            await reconnect_later(connection)
            await gate.wait()
            await connection.response.create()  # queued: the new connection is not open yet
            assert "response.done" == (await types_until(connection, "response.done"))[-1]
        assert [1] == attempts
        assert ["response.create"] == [e["type"] for e in rt.connections[1].events]

    async def test_unsent_events_are_handed_back_when_reconnection_fails(self) -> None:
        """The server gone for good: after max_retries the close raises with the events never sent."""
        reconnecting = anyio.Event()
        with RealtimeTestServer() as srv:
            async with client_of(srv) as client:
                connection = await client.realtime.connect(
                    model="m", on_reconnecting=lambda e: reconnecting.set(), max_retries=2, initial_delay=0.05
                ).enter()
                await connection.recv()
                srv.stop()  # the drop, and nothing to reconnect to
                await reconnecting.wait()
                await connection.response.create()  # queued for a connection that never comes
                with pytest.raises(WebSocketConnectionClosedError) as caught:
                    await connection.recv()
                with pytest.raises(WebSocketConnectionClosedError):
                    await connection.send({"type": "response.cancel"})  # the session has ended
                await connection.close()
        assert (1006, ['{"type": "response.create"}']) == (caught.value.code, caught.value.unsent_messages)

    async def test_a_cancelled_recv_loses_nothing(self, rt: RealtimeTestServer) -> None:
        """Each delta is received once, in order, though every other recv() is cancelled."""
        rt.deltas = 40
        async with client_of(rt) as client, client.realtime.connect(model="m") as connection:
            await connection.response.create()
            deltas: list[str] = []
            while True:
                with anyio.move_on_after(0):
                    await connection.recv()
                    raise AssertionError("a recv cancelled at once returned an event")
                event = await connection.recv()
                if event.type == "response.output_text.delta":
                    deltas.append(event.delta)
                if event.type == "response.done":
                    break
        assert [f"part{i} " for i in range(40)] == deltas

    async def test_a_message_over_max_size_closes_with_1009(self, rt: RealtimeTestServer) -> None:
        """The events before it arrive; the oversized one is not delivered; the close says why."""
        rt.delta_text = "x" * 5000
        async with (
            client_of(rt) as client,
            client.realtime.connect(
                model="m", websocket_connection_options={"max_size": 4096, "compression": None}
            ) as connection,
        ):
            await connection.response.create()
            received = []
            with pytest.raises(ConnectionClosedError) as caught:
                async for event in connection:
                    received.append(event.type)
        assert ["session.created", "response.created"] == received
        assert 1009 == caught.value.code

    @pytest.mark.parametrize("text", ["not json", "[1, 2]", '"a string"', "{}", '{"type": 5}'])
    async def test_a_message_that_is_not_an_event_is_a_clear_error_and_the_session_goes_on(
        self, rt: RealtimeTestServer, text: str
    ) -> None:
        """Not JSON, or JSON that is no event: recv() raises an OpenAIError (and ValueError, as a JSON
        error would) saying so; that message is consumed and the next event still arrives."""
        async with client_of(rt) as client, client.realtime.connect(model="m") as connection:
            assert "session.created" == (await connection.recv()).type
            await connection.conversation.item.create(item=user_message(f"say {text}"))
            with pytest.raises(
                openai_actors.InvalidServerEventError, match="not a realtime server event"
            ) as caught:
                await connection.recv()
            assert isinstance(caught.value, ValueError) and isinstance(caught.value, OpenAIError)
            await connection.response.create()
            assert "response.done" == (await types_until(connection, "response.done"))[-1]

    async def test_dispatch_events_stops_with_the_clear_error_on_a_message_that_is_not_an_event(
        self, rt: RealtimeTestServer
    ) -> None:
        """A handler loop meets a JSON array: it ends with the clear error, not an AttributeError."""
        async with client_of(rt) as client, client.realtime.connect(model="m") as connection:
            seen: list[str] = []
            connection.on("event", lambda event: seen.append(event.type))
            await connection.conversation.item.create(item=user_message("say [1]"))
            with pytest.raises(OpenAIError, match="not a realtime server event"):
                await connection.dispatch_events()
        assert ["session.created"] == seen

    async def test_a_text_frame_that_is_not_utf8_closes_with_1007(self, rt: RealtimeTestServer) -> None:
        """Invalid UTF-8 is a protocol failure (RFC 6455 8.1): the end says so, recv() does not hang."""
        async with client_of(rt) as client, client.realtime.connect(model="m") as connection:
            assert "session.created" == (await connection.recv()).type
            await connection.conversation.item.create(item=user_message("badutf8"))
            with pytest.raises(ConnectionClosedError) as caught:
                await connection.recv()
        assert 1007 == caught.value.code

    async def test_max_size_counts_the_bytes_of_a_text_message_not_its_characters(
        self, rt: RealtimeTestServer
    ) -> None:
        """3,000 two-byte characters are 6,000 bytes: over a 4,096-byte max_size, though fewer characters."""
        async with (
            client_of(rt) as client,
            client.realtime.connect(
                model="m", websocket_connection_options={"max_size": 4096, "compression": None}
            ) as connection,
        ):
            assert "session.created" == (await connection.recv()).type
            text = json.dumps({"type": "x", "text": "\u00e9" * 3000}, ensure_ascii=False)
            await connection.conversation.item.create(item=user_message(f"say {text}"))
            with pytest.raises(ConnectionClosedError) as caught:
                await connection.recv()
        assert 1009 == caught.value.code

    async def test_close_does_not_wait_for_a_reader_nobody_empties(self, rt: RealtimeTestServer) -> None:
        """Leaving early while the server streams into a full mailbox: close() drops the rest and
        completes the closing handshake (with no close_timeout, a stuck close would hang the test)."""
        rt.deltas = 2000
        async with client_of(rt) as client:
            async with client.realtime.connect(
                model="m", websocket_connection_options={"max_queue": 4, "close_timeout": None}
            ) as connection:
                await connection.response.create()
                assert "session.created" == (await connection.recv()).type
            with pytest.raises(ConnectionClosedOK) as caught:
                while True:
                    await connection.recv()  # what was already buffered, then the end
        assert 1000 == caught.value.code

    async def test_keepalive_counts_a_silent_server_as_dropped(self) -> None:
        """No pong within ping_timeout: the connection ends with 1011 (keepalive ping timeout)."""
        with RealtimeTestServer(answer_pings=False) as srv:
            async with (
                client_of(srv) as client,
                client.realtime.connect(
                    model="m", websocket_connection_options={"ping_interval": 0.05, "ping_timeout": 0.1}
                ) as connection,
            ):
                with pytest.raises(ConnectionClosedError) as caught:
                    async for _ in connection:
                        pass
        assert (1011, "keepalive ping timeout") == (caught.value.code, caught.value.reason)

    async def test_keepalive_pings_an_answering_server(self, rt: RealtimeTestServer) -> None:
        async with (
            client_of(rt) as client,
            client.realtime.connect(
                model="m", websocket_connection_options={"ping_interval": 0.02, "ping_timeout": 1}
            ) as connection,
        ):
            await connection.recv()
            await anyio.to_thread.run_sync(rt.wait_for, lambda: rt.connections[0].pings >= 3)
            await connection.response.create()
            await types_until(connection, "response.done")

    async def test_closing_the_client_ends_the_connection(self, rt: RealtimeTestServer) -> None:
        """client.close() stops the dispatcher, and with it the session: recv() raises ClientClosedError."""
        client = client_of(rt)
        connection = await client.realtime.connect(model="m").enter()
        await connection.recv()
        await client.close()
        with pytest.raises(ClientClosedError):
            await connection.recv()


class TestEnds:
    async def test_closing_the_client_ends_a_pending_recv(self, rt: RealtimeTestServer) -> None:
        """A task waiting in recv() when the client closes ends with ClientClosedError, once."""
        outcomes: list[str] = []
        client = client_of(rt)
        connection = await client.realtime.connect(model="m").enter()
        assert "session.created" == (await connection.recv()).type

        async def waiting() -> None:
            with pytest.raises(ClientClosedError):
                await connection.recv()
            outcomes.append("closed")

        async with anyio.create_task_group() as tg:
            tg.start_soon(waiting)
            await anyio.wait_all_tasks_blocked()
            with anyio.fail_after(5):
                await client.close()
        assert ["closed"] == outcomes

    async def test_cancelling_the_task_inside_connect_closes_the_connection(
        self, rt: RealtimeTestServer
    ) -> None:
        """The task in `async with connect()` is cancelled: the exit still sends the close frame and the
        session ends; later calls say the connection is closed."""
        async with client_of(rt) as client:
            entered = anyio.Event()
            kept: list[AsyncRealtimeConnection] = []

            async def user() -> None:
                async with client.realtime.connect(model="m") as connection:
                    kept.append(connection)
                    entered.set()
                    await connection.recv()
                    await anyio.sleep_forever()

            async with anyio.create_task_group() as tg:
                tg.start_soon(user)
                await entered.wait()
                tg.cancel_scope.cancel()
            [connection] = kept
            with anyio.fail_after(5):
                await connection._session._done.wait()
            with pytest.raises(ConnectionClosedOK):
                await connection.send({"type": "response.create"})


class TestKeysAndErrors:
    async def test_a_callable_key_is_fetched_for_the_handshake(self) -> None:
        """An async api_key provider: its key is the one the server sees."""
        calls = []

        async def key() -> str:
            calls.append(1)
            return "sk-from-provider"

        with RealtimeTestServer(keys=frozenset({"sk-from-provider"})) as srv:
            async with (
                client_of(srv, api_key=key) as client,
                client.realtime.connect(model="m") as connection,
            ):
                assert "session.created" == (await connection.recv()).type
        assert [1] == calls

    async def test_a_refused_callable_key_is_fetched_again_once(self) -> None:
        """The provider's first key is refused (401): it is dropped, the next one opens the socket."""
        handed: list[str] = []

        def key() -> str:
            handed.append(f"sk-{len(handed) + 1}")
            return handed[-1]

        with RealtimeTestServer(keys=frozenset({"sk-2"})) as srv:
            async with (
                client_of(srv, api_key=key) as client,
                client.realtime.connect(model="m") as connection,
            ):
                await connection.recv()
        assert (["sk-1", "sk-2"], "Bearer sk-2") == (handed, srv.connections[0].headers["authorization"])

    async def test_azure_ad_token_is_sent_as_bearer(self, rt: RealtimeTestServer) -> None:
        client = AsyncAzureOpenAI(
            azure_ad_token="entra-token", api_version="v1", azure_endpoint=f"http://127.0.0.1:{rt.port}"
        )
        async with client, client.realtime.connect(model="dep") as connection:
            await connection.recv()
        assert ("Bearer entra-token", None) == (
            rt.connections[0].headers.get("authorization"),
            rt.connections[0].headers.get("api-key"),
        )

    async def test_a_refused_key_is_an_authentication_error_without_the_key(self) -> None:
        with RealtimeTestServer(keys=frozenset({"sk-good"})) as srv:
            async with client_of(srv, api_key="sk-secret-bad") as client:
                with pytest.raises(AuthenticationError) as caught:
                    await client.realtime.connect(model="m").enter()
        assert 401 == caught.value.status_code
        assert "Incorrect API key" in str(caught.value)
        assert "sk-secret-bad" not in str(caught.value) + repr(caught.value)

    async def test_no_server_is_a_connection_error(self) -> None:
        async with AsyncOpenAI(api_key="sk", base_url="http://127.0.0.1:9/v1") as client:
            with pytest.raises(APIConnectionError, match="WebSocket"):
                await client.realtime.connect(model="m").enter()

    async def test_bad_options_are_refused_when_connect_is_called(self) -> None:
        client = AsyncOpenAI(api_key="sk", base_url="http://127.0.0.1:9/v1")
        with pytest.raises(TypeError, match="extensions"):
            client.realtime.connect(model="m", websocket_connection_options={"extensions": []})  # type: ignore[typeddict-unknown-key]
        with pytest.raises(ValueError, match="max_retries"):
            client.realtime.connect(model="m", max_retries=-1)

    async def test_azure_sends_deployment_api_version_and_api_key(self, rt: RealtimeTestServer) -> None:
        """As the official AzureOpenAI: /openai/realtime?api-version=...&deployment=<model>, `api-key` header."""
        client = AsyncAzureOpenAI(
            api_key="azure-key",
            api_version="2025-04-01-preview",
            azure_endpoint=f"http://127.0.0.1:{rt.port}",
        )
        async with client, client.realtime.connect(model="my-deployment") as connection:
            await connection.recv()
        seen = rt.connections[0]
        assert "/openai/realtime?api-version=2025-04-01-preview&deployment=my-deployment" == seen.target
        assert ("azure-key", None) == (seen.headers.get("api-key"), seen.headers.get("authorization"))


@asynccontextmanager
async def raw_http_server(answer: bytes | None) -> AsyncIterator[int]:
    """A TCP server (its port) that reads the upgrade request and sends `answer`, or nothing ever."""
    done = anyio.Event()

    async def handle(stream: anyio.abc.SocketStream) -> None:
        async with stream:
            await stream.receive()
            if answer is not None:
                await stream.send(answer)
            await done.wait()

    listener = await anyio.create_tcp_listener(local_host="127.0.0.1")
    async with listener, anyio.create_task_group() as tg:
        tg.start_soon(listener.serve, handle)
        yield listener.extra(anyio.abc.SocketAttribute.local_port)
        done.set()
        tg.cancel_scope.cancel()


SECRET = "sk-do-not-show-me-123"
_ANSWERS = {
    "silent": (None, APITimeoutError),
    "500": (b"HTTP/1.1 500 Oops\r\ncontent-length: 2\r\n\r\nno", APIStatusError),
    "redirect": (
        b"HTTP/1.1 301 Moved\r\nlocation: http://elsewhere/\r\ncontent-length: 0\r\n\r\n",
        APIStatusError,
    ),
    "not http": (b"SMTP ready\r\n\r\n", APIConnectionError),
}


class TestHandshakeFailures:
    @pytest.mark.parametrize("case", sorted(_ANSWERS))
    @pytest.mark.parametrize("azure", [None, "key", "token"])
    async def test_each_failure_is_its_error_and_never_shows_the_key(
        self, case: str, azure: str | None, caplog: pytest.LogCaptureFixture
    ) -> None:
        """A server that never answers the upgrade (open_timeout), refuses it, redirects or speaks
        something else: the error says which, and neither it (message, repr, traceback, request) nor
        the debug log holds the API key, the Azure key or the Entra token."""
        answer, expected = _ANSWERS[case]
        caplog.set_level(logging.DEBUG)
        async with raw_http_server(answer) as port:
            base = f"http://127.0.0.1:{port}"
            client: AsyncOpenAI
            if azure is None:
                client = AsyncOpenAI(api_key=SECRET, base_url=f"{base}/v1")
            elif azure == "key":
                client = AsyncAzureOpenAI(api_key=SECRET, api_version="v1", azure_endpoint=base)
            else:
                client = AsyncAzureOpenAI(azure_ad_token=SECRET, api_version="v1", azure_endpoint=base)
            async with client:
                manager = client.realtime.connect(
                    model="m", websocket_connection_options={"open_timeout": 0.3}
                )
                with pytest.raises(expected) as caught:
                    await manager.enter()
        error = caught.value
        shown = [str(error), repr(error), "".join(traceback.format_exception(error)), str(error.request.url)]
        shown.append(repr(error.request.headers))
        if isinstance(error, APIStatusError):
            shown += [repr(error.response.request.headers), repr(error.body)]
        shown += [record.getMessage() for record in caplog.records]
        assert [] == [text for text in shown if SECRET in text]
        if case == "silent":
            assert "timed out" in str(error)

    async def test_a_tls_failure_is_a_connection_error_without_the_key(self) -> None:
        """wss:// to a server that does not speak TLS: APIConnectionError naming the URL, not the key."""
        async with (
            raw_http_server(b"HTTP/1.1 400 Bad\r\n\r\n") as port,
            AsyncOpenAI(api_key=SECRET, base_url=f"https://127.0.0.1:{port}/v1") as client,
        ):
            with pytest.raises(APIConnectionError) as caught:
                await client.realtime.connect(model="m").enter()
        assert f"wss://127.0.0.1:{port}/v1/realtime" in str(caught.value)
        assert SECRET not in str(caught.value) + repr(caught.value) + str(caught.value.__cause__)
