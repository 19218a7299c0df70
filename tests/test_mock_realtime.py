"""Specification of the mock server's Realtime endpoint, over real WebSocket connections.

The client is tests/realtime_ws.py (wsproto over anyio sockets), so every test
runs on asyncio and trio; the server runs in its own thread, on asyncio.
"""

from __future__ import annotations

import base64
import json
import socket
from typing import Any

import anyio
import httpx
import pytest
from wsproto.events import BytesMessage, CloseConnection, Ping, Pong, TextMessage

from openai_actors.mock import Fault, MockServer

from .conftest import until
from .realtime_ws import Closed, Refused, WsClient, connected

pytestmark = [pytest.mark.anyio, pytest.mark.timeout(10)]

USER_HELLO = {
    "type": "conversation.item.create",
    "item": {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "hello there"}]},
}
TEXT_ONLY = {"type": "session.update", "session": {"type": "realtime", "output_modalities": ["text"]}}
PCM_100MS = base64.b64encode(bytes(4800)).decode()


def types_of(events: list[dict[str, Any]]) -> list[str]:
    return [event["type"] for event in events]


async def refused(server: MockServer, target: str = "/v1/realtime?model=m", **options: Any) -> Refused:
    answer = await WsClient.connect(server, target, **options)
    assert isinstance(answer, Refused), "the upgrade was accepted"
    return answer


class TestHandshake:
    async def test_a_connection_starts_with_session_created(self, server: MockServer) -> None:
        """The first event names the session, the model asked for in the query, and GA defaults."""
        client = await WsClient.connect(server, "/v1/realtime?model=gpt-realtime-mini")
        assert isinstance(client, WsClient)
        created = await client.recv()
        assert "session.created" == created["type"]
        session = created["session"]
        assert ("realtime", "realtime.session", "gpt-realtime-mini") == (
            session["type"],
            session["object"],
            session["model"],
        )
        assert ["audio"] == session["output_modalities"]
        assert client.headers["x-request-id"].startswith("req_")
        await client.close()

    async def test_the_upgrade_request_is_recorded_with_its_query_and_headers(
        self, server: MockServer
    ) -> None:
        """Like an HTTP request: the path, the query and the headers (the key included) are in `requests`."""
        client = await connected(server, "/v1/realtime?model=m&extra=1")
        await client.close()
        [request] = server.requests
        assert ("GET", "/v1/realtime") == (request.method, request.path)
        assert {"model": ["m"], "extra": ["1"]} == request.query
        assert "Bearer sk-test" == request.headers["authorization"]

    async def test_an_upgrade_without_a_key_is_refused_with_401(self, server: MockServer) -> None:
        """No Authorization and no api-key: 401 in OpenAI's error shape, no WebSocket."""
        answer = await refused(server, headers=[])
        assert 401 == answer.status
        assert "missing_api_key" == answer.json()["error"]["code"]

    async def test_an_empty_bearer_token_is_no_key(self, server: MockServer) -> None:
        """`Authorization: Bearer` with no token is refused like no header at all."""
        assert 401 == (await refused(server, headers=[(b"authorization", b"Bearer")])).status

    @pytest.mark.parametrize(
        "target",
        [
            "/openai/realtime?api-version=2025-04-01-preview&deployment=my-dep",
            "/openai/v1/realtime?model=my-dep",
        ],
    )
    async def test_azure_paths_and_the_api_key_header_are_accepted(
        self, server: MockServer, target: str
    ) -> None:
        """Azure's `/openai/realtime?deployment=...` (or its v1 API's `/openai/v1/realtime?model=...`)
        with `api-key`: the deployment is the model."""
        client = await WsClient.connect(server, target, headers=[(b"api-key", b"k")])
        assert isinstance(client, WsClient)
        assert "my-dep" == (await client.recv())["session"]["model"]
        await client.close()

    def test_a_plain_get_is_told_to_upgrade(self, client: httpx.Client) -> None:
        """GET /v1/realtime without an upgrade: 426, the endpoint speaks WebSocket only."""
        response = client.get("/realtime", params={"model": "m"}, headers={"authorization": "Bearer k"})
        assert 426 == response.status_code
        assert "upgrade_required" == response.json()["error"]["code"]

    async def test_a_websocket_upgrade_elsewhere_is_answered_as_http_and_the_connection_goes_on(
        self, server: MockServer
    ) -> None:
        """An upgrade to a path that is not the Realtime endpoint is an ordinary request (404 here),
        and a request pipelined behind it is still read as HTTP."""
        stream = await anyio.connect_tcp("127.0.0.1", server.port)
        upgrade = (
            b"GET /v1/nowhere HTTP/1.1\r\nhost: x\r\nconnection: Upgrade\r\nupgrade: websocket\r\n"
            b"sec-websocket-version: 13\r\nsec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
        )
        await stream.send(upgrade + b"GET /v1/models HTTP/1.1\r\nhost: x\r\n\r\n")
        data = b""
        with anyio.fail_after(5):
            while data.count(b"HTTP/1.1 ") < 2 or not data.rstrip().endswith(b"}"):
                data += await stream.receive()
        await stream.aclose()
        assert data.startswith(b"HTTP/1.1 404 ")
        assert b"HTTP/1.1 200 OK" in data

    async def test_a_request_pipelined_before_the_upgrade_is_answered_first(self, server: MockServer) -> None:
        """`GET /v1/models` and the upgrade in one write: its 200, then the 101, then the frames."""
        stream = await anyio.connect_tcp("127.0.0.1", server.port)
        await stream.send(
            b"GET /v1/models HTTP/1.1\r\nhost: x\r\n\r\n"
            b"GET /v1/realtime?model=m HTTP/1.1\r\nhost: x\r\nconnection: Upgrade\r\nupgrade: websocket\r\n"
            b"sec-websocket-version: 13\r\nsec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
            b"authorization: Bearer k\r\n\r\n"
        )
        data = b""
        with anyio.fail_after(5):
            while b"session.created" not in data:
                data += await stream.receive()
        await stream.aclose()
        assert data.startswith(b"HTTP/1.1 200 OK")
        assert data.index(b"HTTP/1.1 200 OK") < data.index(b"HTTP/1.1 101 ") < data.index(b"session.created")

    async def test_a_bad_websocket_version_is_refused_with_426(self, server: MockServer) -> None:
        """Only version 13 exists; the refusal says so in `sec-websocket-version`."""
        stream = await anyio.connect_tcp("127.0.0.1", server.port)
        await stream.send(
            b"GET /v1/realtime HTTP/1.1\r\nhost: x\r\nconnection: Upgrade\r\nupgrade: websocket\r\n"
            b"sec-websocket-version: 8\r\nsec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
            b"authorization: Bearer k\r\n\r\n"
        )
        data = b""
        with anyio.fail_after(5):
            while b"}" not in data:
                data += await stream.receive()
        await stream.aclose()
        assert data.startswith(b"HTTP/1.1 426 ")
        assert b"sec-websocket-version: 13" in data

    async def test_permessage_deflate_is_accepted_when_offered(self, server: MockServer) -> None:
        """Offered, the extension is agreed and a whole conversation runs compressed."""
        client = await connected(server, deflate=True)
        assert "permessage-deflate" in [extension.name for extension in client.accepted.extensions]
        await client.send(TEXT_ONLY)
        await client.send(USER_HELLO)
        await client.send({"type": "response.create"})
        events = await client.recv_until("response.done")
        assert "echo: hello there" == events[-1]["response"]["output"][0]["content"][0]["text"]
        await client.close()

    async def test_the_endpoint_is_served_over_tls_too(self) -> None:
        """With an `ssl_context`, the same upgrade and conversation over TLS (wss://)."""
        import ssl

        import trustme

        ca = trustme.CA()
        server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ca.issue_cert("127.0.0.1").configure_cert(server_context)
        client_context = ssl.create_default_context()
        ca.configure_trust(client_context)
        with MockServer(ssl_context=server_context) as server:
            client = await connected(server, ssl_context=client_context)
            await client.send(TEXT_ONLY)
            assert "session.updated" == (await client.recv())["type"]
            await client.close()

    async def test_without_an_offer_there_is_no_extension(self, server: MockServer) -> None:
        client = await connected(server)
        assert [] == client.accepted.extensions
        await client.close()

    async def test_events_sent_with_the_upgrade_request_are_read(self, server: MockServer) -> None:
        """Frames in the same packet as the upgrade request are not lost (nor parsed as HTTP)."""
        from wsproto import ConnectionType
        from wsproto.connection import Connection

        frame = Connection(ConnectionType.CLIENT).send(TextMessage(json.dumps(TEXT_ONLY)))
        client = await connected(server, trailing=frame)
        assert "session.updated" == (await client.recv())["type"]
        await client.close()


class TestConversation:
    async def test_a_text_response_is_streamed_as_deltas(self, server: MockServer) -> None:
        """item.create → added/done; response.create → the GA event sequence, the deltas adding up
        to the echo, and response.done with the output and usage."""
        client = await connected(server)
        await client.send(TEXT_ONLY)
        assert ["text"] == (await client.recv())["session"]["output_modalities"]
        await client.send(USER_HELLO)
        added, done = await client.recv(), await client.recv()
        assert ["conversation.item.added", "conversation.item.done"] == types_of([added, done])
        assert added["item"]["id"] == done["item"]["id"]
        await client.send({"type": "response.create"})
        events = await client.recv_until("response.done")
        kinds = types_of(events)
        assert [
            "response.created",
            "rate_limits.updated",
            "response.output_item.added",
            "conversation.item.added",
            "response.content_part.added",
        ] == kinds[:5]
        assert [
            "response.output_text.done",
            "response.content_part.done",
            "response.output_item.done",
            "conversation.item.done",
            "response.done",
        ] == kinds[-5:]
        deltas = [event["delta"] for event in events if event["type"] == "response.output_text.delta"]
        assert "echo: hello there" == "".join(deltas)
        assert len(deltas) > 1
        response = events[-1]["response"]
        assert "completed" == response["status"]
        assert response["usage"]["output_tokens"] == len(deltas)
        assert response["usage"]["total_tokens"] == response["usage"]["input_tokens"] + len(deltas)
        await client.close()

    async def test_audio_in_and_audio_out(self, server: MockServer) -> None:
        """Appended audio committed becomes a user item; the default (audio) response streams
        base64 PCM chunks next to the transcript's deltas."""
        client = await connected(server)
        for _ in range(2):
            await client.send({"type": "input_audio_buffer.append", "audio": PCM_100MS})
        await client.send({"type": "input_audio_buffer.commit"})
        committed, added, _done = await client.recv(), await client.recv(), await client.recv()
        assert "input_audio_buffer.committed" == committed["type"]
        assert committed["item_id"] == added["item"]["id"]
        assert [{"type": "input_audio", "transcript": None}] == added["item"]["content"]
        await client.send({"type": "response.create"})
        events = await client.recv_until("response.done")
        audio = [base64.b64decode(e["delta"]) for e in events if e["type"] == "response.output_audio.delta"]
        transcript = "".join(
            e["delta"] for e in events if e["type"] == "response.output_audio_transcript.delta"
        )
        assert "echo: 200 ms of audio" == transcript
        assert audio and all(len(chunk) == 2400 for chunk in audio)
        assert "response.output_audio.done" in types_of(events)
        assert events[-1]["response"]["usage"]["output_token_details"]["audio_tokens"] == len(audio)
        await client.close()

    async def test_clearing_the_buffer_leaves_nothing_to_commit(self, server: MockServer) -> None:
        client = await connected(server)
        await client.send({"type": "input_audio_buffer.append", "audio": PCM_100MS})
        await client.send({"type": "input_audio_buffer.clear"})
        assert "input_audio_buffer.cleared" == (await client.recv())["type"]
        await client.send({"type": "input_audio_buffer.commit", "event_id": "c1"})
        error = await client.recv()
        assert ("error", "input_audio_buffer_commit_empty", "c1") == (
            error["type"],
            error["error"]["code"],
            error["error"]["event_id"],
        )
        await client.close()

    async def test_a_response_can_be_cancelled_midway(self, server: MockServer) -> None:
        """With events paced, response.cancel ends the response: response.done says cancelled, with
        the text produced so far, and no delta follows it."""
        server.script(Fault(path="/v1/realtime", chunk_delay=0.02))
        client = await connected(server)
        await client.send(TEXT_ONLY)
        await client.recv()
        await client.send(
            {
                **USER_HELLO,
                "item": {**USER_HELLO["item"], "content": [{"type": "input_text", "text": "x" * 200}]},
            }
        )
        await client.recv_until("conversation.item.done")
        await client.send({"type": "response.create"})
        await client.recv_until("response.output_text.delta")
        await client.send({"type": "response.cancel"})
        events = await client.recv_until("response.done")
        response = events[-1]["response"]
        assert ("cancelled", "client_cancelled") == (response["status"], response["status_details"]["reason"])
        produced = response["output"][0]["content"][0]["text"]
        assert "echo: " + "x" * 200 != produced
        assert ("echo: " + "x" * 200).startswith(produced)
        await client.send({"type": "response.cancel", "event_id": "again"})
        error = await client.recv()
        assert ("response_cancel_not_active", "again") == (error["error"]["code"], error["error"]["event_id"])
        await client.close()

    async def test_the_query_paces_a_response_for_a_mock_in_another_process(self, server: MockServer) -> None:
        """`mock_chunk_delay`: with events 20 ms apart, a cancel sent after the first delta lands
        before the last."""
        client = await connected(server, "/v1/realtime?model=m&mock_chunk_delay=0.02")
        await client.send(TEXT_ONLY)
        long_text = [{"type": "input_text", "text": "z" * 200}]  # 52 deltas: a second to land in
        await client.send({**USER_HELLO, "item": {**USER_HELLO["item"], "content": long_text}})
        await client.send({"type": "response.create"})
        await client.recv_until("response.output_text.delta")
        await client.send({"type": "response.cancel"})
        assert "cancelled" == (await client.recv_until("response.done"))[-1]["response"]["status"]
        await client.close()

    async def test_a_fault_delay_holds_the_upgrade_back(self, server: MockServer) -> None:
        """A fault's `delay` postpones the 101 (the request is recorded at once); its action then applies."""
        server.script(Fault(path="/v1/realtime", delay=0.05, action="stream_drop", after=1))
        client = await connected(server)
        with pytest.raises(Closed):
            await client.recv()
        await client.aclose()
        assert 0 == server.pending_faults

    async def test_one_response_at_a_time(self, server: MockServer) -> None:
        """A second response.create while one is in progress is an error; the first goes on."""
        server.script(Fault(path="/v1/realtime", chunk_delay=0.02))
        client = await connected(server)
        await client.send(TEXT_ONLY)
        long_text = [{"type": "input_text", "text": "z" * 200}]  # a second of deltas
        await client.send({**USER_HELLO, "item": {**USER_HELLO["item"], "content": long_text}})
        await client.send({"type": "response.create"})
        await client.recv_until("response.created")
        await client.send({"type": "response.create", "event_id": "second"})
        events = await client.recv_until("error")
        assert "conversation_already_has_active_response" == events[-1]["error"]["code"]
        await client.recv_until("response.done")
        await client.close()


class TestBadClientEvents:
    @pytest.mark.parametrize(
        ("message", "code", "param"),
        [
            ("{not json", "invalid_json", None),
            ('["a list"]', "invalid_request_error", None),
            ('{"event_id": "e1"}', "missing_required_parameter", "type"),
            ('{"type": "no.such.event", "event_id": "e1"}', "invalid_value", "type"),
            (
                '{"type": "session.update", "session": {"output_modalities": ["text"]}}',
                "missing_required_parameter",
                "session.type",
            ),
            (
                '{"type": "session.update", "session": {"type": "realtime", "voices": 1}}',
                "unknown_parameter",
                "session.voices",
            ),
            ('{"type": "conversation.item.create"}', "missing_required_parameter", "item"),
            ('{"type": "input_audio_buffer.append", "audio": "@@@"}', "invalid_value", "audio"),
            ('{"type": "conversation.item.delete", "item_id": "nope"}', "item_not_found", "item_id"),
        ],
    )
    async def test_an_error_event_names_what_was_wrong_and_the_connection_goes_on(
        self, server: MockServer, message: str, code: str, param: str | None
    ) -> None:
        client = await connected(server)
        await client.send(message)
        error = await client.recv()
        assert ("error", code, param) == (error["type"], error["error"]["code"], error["error"]["param"])
        if '"event_id": "e1"' in message:
            assert "e1" == error["error"]["event_id"]
        await client.send(TEXT_ONLY)
        assert "session.updated" == (await client.recv())["type"]
        await client.close()

    async def test_a_binary_message_is_an_error_event(self, server: MockServer) -> None:
        client = await connected(server)
        await client.send_raw(BytesMessage(b"\x00\x01"))
        assert "error" == (await client.recv())["type"]
        await client.close()
        assert [None] == [message.text for message in server.realtime_messages]

    async def test_a_message_over_the_size_limit_closes_with_1009(self) -> None:
        with MockServer(max_body_size=1000) as server:
            client = await connected(server)
            await client.send({"type": "input_audio_buffer.append", "audio": "A" * 2000})
            with pytest.raises(Closed) as closed:
                await client.recv()
            assert 1009 == closed.value.code
            await client.aclose()


class TestConnection:
    async def test_a_ping_is_answered(self, server: MockServer) -> None:
        client = await connected(server)
        await client.send_raw(Ping(b"p1"))
        frame = await client.next_frame()
        assert Pong(b"p1") == frame
        await client.close()

    async def test_a_client_close_is_answered_and_counted(self, server: MockServer) -> None:
        """The server answers the close frame, closes TCP, and counts a client disconnect."""
        client = await connected(server)
        answer = await client.close(code=1000)
        assert 1000 == answer.code
        await until(server, lambda s: s.open_connections == 0 and s.disconnects == 1)

    async def test_received_messages_are_recorded(self, server: MockServer) -> None:
        client = await connected(server)
        await client.send(TEXT_ONLY)
        await client.recv()
        await client.close()
        [message] = server.realtime_messages
        assert TEXT_ONLY == message.json()
        assert server.requests[0].headers  # the upgrade request, numbered as the connection
        assert f"req_{message.connection}" == client.headers["x-request-id"]
        server.clear()
        assert [] == server.realtime_messages

    async def test_stopping_the_server_ends_open_connections(self) -> None:
        server = MockServer().start()
        client = await connected(server)
        await anyio.to_thread.run_sync(server.stop)
        with pytest.raises(Closed):
            await client.recv()
        await client.aclose()


class TestConcurrency:
    async def test_two_connections_are_two_sessions(self, server: MockServer) -> None:
        """Interleaved on two connections: each hears its own echo, with ids of its own."""
        first, second = await connected(server), await connected(server)
        for client, text in ((first, "one"), (second, "two")):
            await client.send(TEXT_ONLY)
            await client.send(
                {
                    **USER_HELLO,
                    "item": {**USER_HELLO["item"], "content": [{"type": "input_text", "text": text}]},
                }
            )
            await client.send({"type": "response.create"})
        second_done = (await second.recv_until("response.done"))[-1]
        first_done = (await first.recv_until("response.done"))[-1]
        assert "echo: one" == first_done["response"]["output"][0]["content"][0]["text"]
        assert "echo: two" == second_done["response"]["output"][0]["content"][0]["text"]
        assert first_done["event_id"] != second_done["event_id"]
        await first.close()
        await second.close()

    async def test_a_client_that_stops_reading_holds_the_response_back(self, server: MockServer) -> None:
        """Backpressure: a long audio response stops at the socket's limit (the server pauses, its
        buffer stays small), and every delta arrives once the client reads again."""
        client = await connected(server)
        await client.send(
            {
                **USER_HELLO,
                "item": {**USER_HELLO["item"], "content": [{"type": "input_text", "text": "y" * 8000}]},
            }
        )
        await client.send({"type": "response.create"})
        await until(server, lambda s: s.write_pauses >= 1)
        events = await client.recv_until("response.done")
        audio = [e for e in events if e["type"] == "response.output_audio.delta"]
        assert len("echo: " + "y" * 8000) // 4 + 1 == len(audio)
        assert 0 < server.peak_stream_buffer < 1024 * 1024
        await client.close()

    async def test_a_bug_in_the_session_closes_with_1011_saying_so(
        self, server: MockServer, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
    ) -> None:
        from openai_actors.mock import _realtime

        def broken(self: object, text: str) -> list[dict[str, Any]]:
            raise RuntimeError("broken on purpose")

        client = await connected(server)
        monkeypatch.setattr(_realtime.RealtimeSession, "receive", broken)
        await client.send(TEXT_ONLY)
        with pytest.raises(Closed) as closed:
            await client.recv()
        assert 1011 == closed.value.code
        assert "broken on purpose" in closed.value.reason
        await client.aclose()
        assert "failed in a realtime session" in caplog.text


class TestScriptedEnds:
    async def test_a_drop_fault_aborts_the_connection_after_n_events_once(self, server: MockServer) -> None:
        """`stream_drop` after 2 events: dropped right after the second; the next connection (a
        reconnection) is served normally, the fault being spent."""
        server.script(Fault(path="/v1/realtime", action="stream_drop", after=2))
        client = await connected(server)
        await client.send(TEXT_ONLY)
        assert "session.updated" == (await client.recv())["type"]
        with pytest.raises(Closed) as closed:
            await client.recv()
        assert 1006 == closed.value.code
        await client.aclose()
        again = await connected(server)
        await again.send(TEXT_ONLY)
        await again.send(TEXT_ONLY)
        assert ["session.updated"] * 2 == [(await again.recv())["type"] for _ in range(2)]
        await again.close()

    async def test_an_error_fault_closes_with_1011_and_its_reason(self, server: MockServer) -> None:
        server.script(Fault(path="/v1/realtime", action="stream_error", after=1, body="overloaded"))
        client = await connected(server)
        with pytest.raises(Closed) as closed:
            await client.recv()
        assert (1011, "overloaded") == (closed.value.code, closed.value.reason)
        await client.send_raw(CloseConnection(code=1011))
        await until(server, lambda s: s.open_connections == 0)
        await client.aclose()

    async def test_a_stall_fault_goes_silent_pings_included(self, server: MockServer) -> None:
        """After a stall the server answers nothing, neither a ping nor a close: what a keepalive
        and a close timeout must catch."""
        server.script(Fault(path="/v1/realtime", action="stream_stall", after=1))
        client = await connected(server)
        await client.send(TEXT_ONLY)  # read by a stalled server, never answered
        await until(server, lambda s: s.hanging == 1)
        await client.send_raw(Ping(b"anyone"))
        await client.send_raw(CloseConnection(code=1000))
        with anyio.move_on_after(0.3) as waited:
            await client.next_frame()
        assert waited.cancelled_caught  # neither a pong nor a close frame came back
        await client.aclose()
        await until(server, lambda s: s.hanging == 0 and s.open_connections == 0)

    async def test_a_truncate_fault_ends_tcp_without_a_close_frame(self, server: MockServer) -> None:
        server.script(Fault(path="/v1/realtime", action="truncate", after=1))
        client = await connected(server)
        with pytest.raises(Closed) as closed:
            await client.recv()
        assert 1006 == closed.value.code
        await client.aclose()

    async def test_a_status_fault_refuses_the_upgrade(self, server: MockServer) -> None:
        server.script(Fault(path="/v1/realtime", status=503))
        assert 503 == (await refused(server)).status
        client = await connected(server)
        await client.close()

    async def test_the_query_switch_closes_every_connection_with_the_code_asked(
        self, server: MockServer
    ) -> None:
        """`mock_fault=close&mock_after=1&mock_close_code=4000`, for a server in another process."""
        for _ in range(2):
            client = await connected(
                server, "/v1/realtime?model=m&mock_fault=close&mock_after=1&mock_close_code=4000"
            )
            with pytest.raises(Closed) as closed:
                await client.recv()
            assert 4000 == closed.value.code
            await client.aclose()

    async def test_the_query_switch_drops_before_the_first_event(self, server: MockServer) -> None:
        client = await WsClient.connect(server, "/v1/realtime?model=m&mock_fault=drop")
        assert isinstance(client, WsClient)
        with pytest.raises(Closed):
            await client.recv()
        await client.aclose()

    @pytest.mark.parametrize(
        "query",
        [
            "mock_fault=explode",
            "mock_after=-1",
            "mock_after=x",
            "mock_close_code=1006",
            "mock_chunk_delay=-1",
        ],
    )
    async def test_a_bad_query_switch_is_refused_naming_it(self, server: MockServer, query: str) -> None:
        answer = await refused(server, f"/v1/realtime?model=m&{query}")
        assert 400 == answer.status
        assert query.split("=")[0] in answer.json()["error"]["message"]


class TestWithTheMockOpenAIFixture:
    async def test_answers_scripted_for_the_route_apply_to_the_upgrade(self, mock_openai: Any) -> None:
        """`respond("GET /v1/realtime", ...)`: a status refuses one upgrade, a stream fault ends one
        connection after its events; then the endpoint serves as usual."""
        from openai_actors.testing import Answer

        mock_openai.respond("GET /v1/realtime", [Answer(status=503), Answer(fault="stream_drop", after=1)])
        server = mock_openai.server
        assert 503 == (await refused(server)).status
        dropped = await connected(server)
        with pytest.raises(Closed):
            await dropped.recv()
        await dropped.aclose()
        client = await connected(server)
        await client.send(TEXT_ONLY)
        assert "session.updated" == (await client.recv())["type"]
        await client.close()
        assert [TEXT_ONLY] == [message.json() for message in server.realtime_messages]


def test_upgrade_heads_are_not_remembered_by_the_parser() -> None:
    """Each upgrade head is unique (its key), so the parser's cache of repeated heads skips them."""
    from openai_actors.mock import _http

    parser = _http.RequestParser(1024)
    head = (
        b"GET /v1/realtime HTTP/1.1\r\nhost: x\r\nconnection: Upgrade\r\nupgrade: websocket\r\n"
        b"sec-websocket-version: 13\r\nsec-websocket-key: %b\r\n\r\n"
    )
    [request] = parser.feed(head % b"a2V5LW9uZS1zaXh0ZWVuIQ==")
    assert parser.held is request
    assert not any(b"a2V5LW9uZS1zaXh0ZWVuIQ==" in known for known in _http._heads_seen)


def test_a_raw_socket_upgrade_gets_101_with_the_accept_token(server: MockServer) -> None:
    """The RFC 6455 example key yields its example accept token (a check independent of wsproto)."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(
            b"GET /v1/realtime?model=m HTTP/1.1\r\nhost: x\r\nconnection: Upgrade\r\nupgrade: websocket\r\n"
            b"sec-websocket-version: 13\r\nsec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
            b"authorization: Bearer k\r\n\r\n"
        )
        data = b""
        while b"\r\n\r\n" not in data:
            data += sock.recv(4096)
    head = data.split(b"\r\n\r\n")[0].decode()
    assert head.startswith("HTTP/1.1 101 Switching Protocols")
    assert "sec-websocket-accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" in head


def _raw_upgrade_answer(server: MockServer, extra: bytes) -> str:
    """The head of the mock's answer to an upgrade request with the `extra` header lines."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(
            b"GET /v1/realtime?model=m HTTP/1.1\r\nhost: x\r\nconnection: Upgrade\r\nupgrade: websocket\r\n"
            b"sec-websocket-version: 13\r\nauthorization: Bearer k\r\n" + extra + b"\r\n"
        )
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(4096)
            if not chunk:
                break
            data += chunk
    return data.decode("latin-1")


@pytest.mark.parametrize(
    "offer",
    [b"permessage-deflate; client_max_window_bits=abc", b"permessage-deflate; server_max_window_bits="],
)
def test_a_malformed_extension_offer_is_refused_with_400_naming_the_header(
    server: MockServer, offer: bytes
) -> None:
    """A bad permessage-deflate parameter is the client's error, answered as such (it used to drop the
    connection without a word); the server goes on serving."""
    answer = _raw_upgrade_answer(
        server, b"sec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\nsec-websocket-extensions: " + offer + b"\r\n"
    )
    assert answer.startswith("HTTP/1.1 400 ")
    assert "Sec-WebSocket-Extensions" in answer
    answer = _raw_upgrade_answer(server, b"sec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\n")
    assert answer.startswith("HTTP/1.1 101 ")


@pytest.mark.parametrize("key", [b"!!", b"c2hvcnQ=", "\u00e9t\u00e9".encode("latin-1")])
def test_a_key_that_is_not_16_base64_bytes_is_refused_with_400(server: MockServer, key: bytes) -> None:
    """RFC 6455 4.2.1: the key is 16 random bytes in base64; a server answers anything else with 400."""
    answer = _raw_upgrade_answer(server, b"sec-websocket-key: " + key + b"\r\n")
    assert answer.startswith("HTTP/1.1 400 ")
    assert "Sec-WebSocket-Key" in answer
