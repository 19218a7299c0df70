"""`OpenAI.realtime.connect()`: the same connection from plain threads, through the client's loop thread."""

from __future__ import annotations

import base64
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from openai_actors import (
    ClientClosedError,
    ConnectionClosedError,
    ConnectionClosedOK,
    OpenAI,
    ReconnectingEvent,
    WebSocketQueueFullError,
)
from openai_actors._realtime import RealtimeConnection

from .ws_server import RealtimeTestServer, user_message

pytestmark = pytest.mark.timeout(20)


@pytest.fixture
def rt() -> Iterator[RealtimeTestServer]:
    with RealtimeTestServer() as srv:
        yield srv


def client_of(srv: RealtimeTestServer, **options: Any) -> OpenAI:
    return OpenAI(api_key=options.pop("api_key", "sk-test"), base_url=srv.url, **options)


def types_until(connection: RealtimeConnection, last: str) -> list[str]:
    seen = []
    for event in connection:
        seen.append(event.type)
        if event.type == last:
            return seen
    raise AssertionError(f"the connection closed before {last}: {seen}")


def test_a_text_conversation_streams_its_response(rt: RealtimeTestServer) -> None:
    """The sync connection: helpers send, iteration receives typed events in order."""
    with client_of(rt) as client, client.realtime.connect(model="gpt-realtime") as connection:
        connection.session.update(session={"type": "realtime", "output_modalities": ["text"]})
        connection.conversation.item.create(item=user_message("Say hello"))
        connection.response.create()
        deltas = []
        for event in connection:
            if event.type == "response.output_text.delta":
                deltas.append(event.delta)
            if event.type == "response.done":
                break
    assert ["part0 ", "part1 ", "part2 "] == deltas


def test_audio_append_commit_and_response(rt: RealtimeTestServer) -> None:
    with client_of(rt) as client, client.realtime.connect(model="m") as connection:
        for i in range(4):
            connection.input_audio_buffer.append(audio=base64.b64encode(bytes([i]) * 1000).decode())
        connection.input_audio_buffer.commit()
        connection.response.create()
        seen = types_until(connection, "response.done")
    assert ["session.created", "input_audio_buffer.committed", "response.created"] == seen[:3]
    assert 4 == sum(1 for e in rt.connections[0].events if e["type"] == "input_audio_buffer.append")


def test_a_server_close_ends_iteration(rt: RealtimeTestServer) -> None:
    with client_of(rt) as client, client.realtime.connect(model="m") as connection:
        connection.conversation.item.create(item=user_message("close 1000"))
        assert ["session.created"] == [event.type for event in connection]
        with pytest.raises(ConnectionClosedOK) as caught:
            connection.recv()
    assert 1000 == caught.value.code


def test_an_abnormal_close_raises_its_code(rt: RealtimeTestServer) -> None:
    with client_of(rt) as client, client.realtime.connect(model="m") as connection:
        connection.conversation.item.create(item=user_message("close 1011"))
        with pytest.raises(ConnectionClosedError) as caught:
            for _ in connection:
                pass
    assert 1011 == caught.value.code


def test_a_dropped_connection_reconnects(rt: RealtimeTestServer) -> None:
    """The handler runs, the session.update is resent, the conversation goes on over the new connection."""
    told: list[ReconnectingEvent] = []
    with (
        client_of(rt) as client,
        client.realtime.connect(model="m", on_reconnecting=told.append, initial_delay=0.01) as connection,
    ):
        connection.session.update(session={"instructions": "terse"})
        types_until(connection, "session.updated")
        connection.conversation.item.create(item=user_message("drop"))
        assert ["session.created", "session.updated"] == types_until(connection, "session.updated")
        connection.response.create()
        types_until(connection, "response.done")
    assert [1006] == [e.close_code for e in told]
    assert ["session.update", "response.create"] == [e["type"] for e in rt.connections[1].events]


def test_a_full_send_queue_refuses_the_event(rt: RealtimeTestServer) -> None:
    with client_of(rt) as client:
        manager = client.realtime.connect(model="m", max_queue_size=64)
        manager.send({"type": "input_audio_buffer.append", "audio": "A" * 12})
        with pytest.raises(WebSocketQueueFullError):
            manager.send({"type": "input_audio_buffer.append", "audio": "B" * 60})
        with manager as connection:
            connection.input_audio_buffer.commit()
            types_until(connection, "input_audio_buffer.committed")
    assert ["A" * 12] == [e["audio"] for e in rt.connections[0].events if "audio" in e]


def test_a_callable_key_is_fetched_off_the_loop() -> None:
    """A sync api_key provider runs in a worker thread, not the loop's, and its key opens the socket."""
    threads: list[str] = []

    def key() -> str:
        threads.append(threading.current_thread().name)
        return "sk-provided"

    with RealtimeTestServer(keys=frozenset({"sk-provided"})) as srv:
        with client_of(srv, api_key=key) as client, client.realtime.connect(model="m") as connection:
            assert "session.created" == connection.recv().type
    assert 1 == len(threads)
    assert "openai-actors-dispatcher" != threads[0]


def test_threads_share_one_connection(rt: RealtimeTestServer) -> None:
    """One thread receives while others send: every event reaches the server once."""
    with client_of(rt) as client, client.realtime.connect(model="m") as connection:
        senders = [
            threading.Thread(
                target=connection.conversation.item.create, kwargs={"item": user_message(f"m{i}")}
            )
            for i in range(8)
        ]
        for thread in senders:
            thread.start()
        created = 0
        for event in connection:
            if event.type == "conversation.item.created":
                created += 1
                if created == 8:
                    break
        for thread in senders:
            thread.join()
    texts = sorted(e["item"]["content"][0]["text"] for e in rt.connections[0].events)
    assert [f"m{i}" for i in range(8)] == texts


def test_a_message_fetched_for_an_interrupted_recv_is_the_next_ones(rt: RealtimeTestServer) -> None:
    """The loop took a message for a recv() whose thread then stopped waiting (Ctrl-C): it is not lost."""
    with client_of(rt) as client, client.realtime.connect(model="m") as connection:
        connection.response.create()
        client._portal.call(connection._fetch)  # what an interrupted recv() leaves behind
        assert ["session.created", "response.created"] == [connection.recv().type, connection.recv().type]


def test_closing_the_client_wakes_a_thread_waiting_in_recv(rt: RealtimeTestServer) -> None:
    """A thread in recv() (waiting, or just about to) when the client closes gets ClientClosedError, not a hang."""
    client = client_of(rt)
    connection = client.realtime.connect(model="m").enter()
    assert "session.created" == connection.recv().type
    raised: list[BaseException] = []
    waiting = threading.Thread(target=lambda: _record(connection.recv, raised))
    waiting.start()
    client.close()
    waiting.join(timeout=10)
    assert not waiting.is_alive()
    assert [ClientClosedError] == [type(e) for e in raised]


def _record(fn: Any, into: list[BaseException]) -> None:
    try:
        fn()
    except BaseException as exc:
        into.append(exc)
