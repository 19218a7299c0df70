"""Specification of the mock server's Server-Sent Events streams.

Chat completions, legacy completions and the Responses API stream over real
sockets: event shapes, chunked framing, delays, mid-stream faults, client
disconnects and TCP backpressure.
"""

from __future__ import annotations

import json
import socket
import time
from typing import Any

import httpx
import pytest

from openai_actors.mock import Fault, MockServer

from .test_mock_server import assert_openai_error, chat_body, raw_connect, raw_request

CHAT_PATH = "/v1/chat/completions"


def stream_body(content: Any = "hello", **extra: Any) -> dict[str, Any]:
    return chat_body(content, stream=True, **extra)


# --- SSE and chunk parsing --------------------------------------------------


def parse_sse(text: str) -> list[dict[str, str]]:
    """Split an event stream into events, each a dict of its fields ("event", "data")."""
    events = []
    for block in text.split("\n\n"):
        if block:
            fields = {}
            for line in block.split("\n"):
                name, _, value = line.partition(": ")
                fields[name] = value
            events.append(fields)
    return events


def data_of(events: list[dict[str, str]]) -> list[Any]:
    """The JSON data of each event; "[DONE]" stays a string."""
    return [event["data"] if event["data"] == "[DONE]" else json.loads(event["data"]) for event in events]


def stream_lines(response: httpx.Response) -> list[dict[str, str]]:
    return parse_sse(response.read().decode())


def post_stream(client: httpx.Client, path: str, body: dict[str, Any]) -> tuple[httpx.Response, list[Any]]:
    response = client.post(path, json=body)
    return response, data_of(parse_sse(response.text))


class ChunkReader:
    """Reads a chunked response from a raw socket, keeping each chunk as sent."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buffer = bytearray()

    def _fill(self) -> None:
        data = self.sock.recv(65536)
        if not data:
            raise EOFError("server closed the connection")
        self.buffer += data

    def head(self) -> tuple[int, dict[str, str]]:
        while (end := self.buffer.find(b"\r\n\r\n")) < 0:
            self._fill()
        status_line, *lines = bytes(self.buffer[:end]).decode("latin-1").split("\r\n")
        del self.buffer[: end + 4]
        headers = {}
        for line in lines:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        return int(status_line.split(" ")[1]), headers

    def chunk(self) -> bytes | None:
        """The next chunk's data; None for the last (zero-size) chunk."""
        while (end := self.buffer.find(b"\r\n")) < 0:
            self._fill()
        size = int(self.buffer[:end], 16)
        while len(self.buffer) < end + 2 + size + 2:
            self._fill()
        data = bytes(self.buffer[end + 2 : end + 2 + size])
        assert b"\r\n" == self.buffer[end + 2 + size : end + 4 + size]
        del self.buffer[: end + 4 + size]
        return data if size else None

    def chunks(self) -> list[bytes]:
        found = []
        while (chunk := self.chunk()) is not None:
            found.append(chunk)
        return found


def raw_stream_request(body: dict[str, Any], path: str = CHAT_PATH, headers: str = "") -> bytes:
    return raw_request(
        "POST", path, json.dumps(body).encode(), "content-type: application/json\r\n" + headers
    )


# --- chat completions -------------------------------------------------------


def test_chat_stream_has_openai_shape(client: httpx.Client) -> None:
    """A streamed chat completion is a chunked text/event-stream of chat.completion.chunk
    events: a role chunk, content pieces of at most 4 characters, a finish chunk, then [DONE]."""
    response, events = post_stream(client, "/chat/completions", stream_body("hello world", model="my-model"))

    assert 200 == response.status_code
    assert response.headers["content-type"].startswith("text/event-stream")
    assert "chunked" == response.headers["transfer-encoding"]
    assert "[DONE]" == events[-1]
    chunks = events[:-1]
    assert 1 == len({chunk["id"] for chunk in chunks})
    assert chunks[0]["id"].startswith("chatcmpl-")
    for chunk in chunks:
        assert ["id", "object", "created", "model", "system_fingerprint", "choices"] == list(chunk)
        assert ("chat.completion.chunk", "my-model") == (chunk["object"], chunk["model"])
    first_choice = {
        "index": 0,
        "delta": {"role": "assistant", "content": "", "refusal": None},
        "logprobs": None,
        "finish_reason": None,
    }
    assert [first_choice] == chunks[0]["choices"]
    pieces = [chunk["choices"][0]["delta"]["content"] for chunk in chunks[1:-1]]
    assert "echo: hello world" == "".join(pieces)
    assert ["echo", ": he", "llo ", "worl", "d"] == pieces
    assert {None} == {chunk["choices"][0]["finish_reason"] for chunk in chunks[:-1]}
    last_choice = {"index": 0, "delta": {}, "logprobs": None, "finish_reason": "stop"}
    assert [last_choice] == chunks[-1]["choices"]


def test_chat_stream_usage_chunk(client: httpx.Client) -> None:
    """With include_usage every chunk carries "usage": null, and a last chunk before
    [DONE] has no choices and the same usage as the non-streamed reply."""
    body = stream_body("count me", stream_options={"include_usage": True})
    _, events = post_stream(client, "/chat/completions", body)
    whole = client.post("/chat/completions", json=chat_body("count me")).json()

    assert "[DONE]" == events[-1]
    *chunks, usage_chunk = events[:-1]
    assert {None} == {chunk["usage"] for chunk in chunks}
    assert [] == usage_chunk["choices"]
    assert whole["usage"] == usage_chunk["usage"]


def test_chat_stream_respects_max_tokens(client: httpx.Client) -> None:
    """A streamed reply stops at the token limit and finishes with "length"."""
    _, events = post_stream(client, "/chat/completions", stream_body("a long message indeed", max_tokens=3))

    chunks = events[:-1]
    assert "echo: a long" == "".join(chunk["choices"][0]["delta"].get("content", "") for chunk in chunks)
    assert "length" == chunks[-1]["choices"][0]["finish_reason"]


def test_chat_stream_with_n_choices(client: httpx.Client) -> None:
    """With n, each choice index receives the whole reply and its own finish chunk."""
    _, events = post_stream(client, "/chat/completions", stream_body("hey", n=2))

    texts = {0: "", 1: ""}
    finishes = {}
    for chunk in events[:-1]:
        [choice] = chunk["choices"]
        texts[choice["index"]] += choice["delta"].get("content", "")
        if choice["finish_reason"]:
            finishes[choice["index"]] = choice["finish_reason"]
    assert {0: "echo: hey", 1: "echo: hey"} == texts
    assert {0: "stop", 1: "stop"} == finishes


def test_stream_false_is_a_normal_reply(client: httpx.Client) -> None:
    """ "stream": false answers with a plain chat completion."""
    response = client.post("/chat/completions", json=chat_body("plain", stream=False))

    assert "application/json" == response.headers["content-type"]
    assert "echo: plain" == response.json()["choices"][0]["message"]["content"]


def test_each_event_is_its_own_chunk_and_the_connection_stays_open(server: MockServer) -> None:
    """On the wire every SSE event is one HTTP chunk; a zero chunk ends the body, and
    the keep-alive connection then serves the next request."""
    with raw_connect(server) as sock:
        sock.sendall(raw_stream_request(stream_body("framing")))
        reader = ChunkReader(sock)
        status, headers = reader.head()
        chunks = reader.chunks()
        sock.sendall(raw_stream_request(chat_body("after")))
        next_status, next_headers = reader.head()

    assert (200, "chunked") == (status, headers["transfer-encoding"])
    assert "content-length" not in headers
    assert b"data: [DONE]\n\n" == chunks[-1]
    for chunk in chunks:
        assert chunk.startswith(b"data: ")
        assert chunk.endswith(b"\n\n")
        assert 1 == chunk.count(b"\n\n")
    assert "echo: framing" == "".join(
        json.loads(chunk[6:])["choices"][0]["delta"].get("content", "") for chunk in chunks[:-1]
    )
    assert 200 == next_status
    assert "application/json" == next_headers["content-type"]
    assert 1 == server.connections_opened


def test_pipelined_request_waits_behind_a_stream(server: MockServer) -> None:
    """A request pipelined behind a (delayed) stream is answered after the stream ends."""
    server.script(Fault(chunk_delay=0.01))
    with raw_connect(server) as sock:
        sock.sendall(raw_stream_request(stream_body("first")) + raw_stream_request(chat_body("second")))
        reader = ChunkReader(sock)
        reader.head()
        chunks = reader.chunks()
        status, headers = reader.head()
        length = int(headers["content-length"])
        while len(reader.buffer) < length:
            reader._fill()

    assert b"data: [DONE]\n\n" == chunks[-1]
    assert 200 == status
    assert "echo: second" == json.loads(bytes(reader.buffer[:length]))["choices"][0]["message"]["content"]


def test_http10_stream_is_delimited_by_close(server: MockServer) -> None:
    """An HTTP/1.0 client gets the events unchunked, and the close ends the body."""
    body = json.dumps(stream_body("old")).encode()
    with raw_connect(server) as sock:
        sock.sendall(
            b"POST /v1/chat/completions HTTP/1.0\r\ncontent-length: %d\r\n\r\n%s" % (len(body), body)
        )
        data = b""
        while chunk := sock.recv(65536):
            data += chunk

    head, _, payload = data.partition(b"\r\n\r\n")
    assert b"transfer-encoding" not in head.lower()
    assert b"connection: close" in head.lower()
    events = data_of(parse_sse(payload.decode()))
    assert "[DONE]" == events[-1]
    assert "echo: old" == "".join(event["choices"][0]["delta"].get("content", "") for event in events[:-1])


# --- legacy completions -----------------------------------------------------


def test_legacy_completion_stream(client: httpx.Client) -> None:
    """A streamed legacy completion sends text_completion chunks, a finish chunk per
    choice, the usage chunk when asked, then [DONE]."""
    body = {"model": "m", "prompt": "say it", "stream": True, "stream_options": {"include_usage": True}}
    response, events = post_stream(client, "/completions", body)

    assert response.headers["content-type"].startswith("text/event-stream")
    assert "[DONE]" == events[-1]
    *chunks, usage_chunk = events[:-1]
    assert {"text_completion"} == {chunk["object"] for chunk in chunks}
    assert "echo: say it" == "".join(chunk["choices"][0]["text"] for chunk in chunks)
    finish = {"text": "", "index": 0, "logprobs": None, "finish_reason": "stop"}
    assert [finish] == chunks[-1]["choices"]
    assert {None} == {chunk["usage"] for chunk in chunks}
    assert ([], 3, 3) == (
        usage_chunk["choices"],
        usage_chunk["usage"]["completion_tokens"],
        usage_chunk["usage"]["prompt_tokens"] + 1,
    )


# --- Responses API ----------------------------------------------------------

RESPONSE_EVENTS = [
    "response.created",
    "response.in_progress",
    "response.output_item.added",
    "response.content_part.added",
    "response.output_text.delta",
    "response.output_text.done",
    "response.content_part.done",
    "response.output_item.done",
    "response.completed",
]


def test_responses_stream_events(client: httpx.Client) -> None:
    """A streamed response names each event (event: line = data type), numbers them from
    0, streams the text as deltas and ends with response.completed, without [DONE]."""
    response = client.post("/responses", json={"model": "m", "input": "stream me", "stream": True})
    events = parse_sse(response.text)
    data = data_of(events)

    assert response.headers["content-type"].startswith("text/event-stream")
    assert [event["event"] for event in events] == [item["type"] for item in data]
    kinds = list(dict.fromkeys(item["type"] for item in data))
    assert RESPONSE_EVENTS == kinds
    assert list(range(len(data))) == [item["sequence_number"] for item in data]
    deltas = [item for item in data if item["type"] == "response.output_text.delta"]
    assert "echo: stream me" == "".join(item["delta"] for item in deltas)
    created, completed = data[0]["response"], data[-1]["response"]
    assert ("in_progress", [], None) == (created["status"], created["output"], created["usage"])
    item_id = completed["output"][0]["id"]
    assert {(item_id, 0, 0)} == {
        (item["item_id"], item["output_index"], item["content_index"]) for item in deltas
    }
    assert "completed" == completed["status"]
    assert "echo: stream me" == completed["output"][0]["content"][0]["text"]
    assert "echo: stream me" == data[-4]["text"]  # response.output_text.done


def test_streamed_response_is_stored_completed(client: httpx.Client) -> None:
    """After its stream ends, the response retrieved by id is the completed one."""
    response = client.post("/responses", json={"model": "m", "input": "keep", "stream": True})
    completed = data_of(parse_sse(response.text))[-1]["response"]

    assert completed == client.get(f"/responses/{completed['id']}").json()


def test_truncated_response_stream_ends_incomplete(client: httpx.Client) -> None:
    """max_output_tokens cuts the streamed text and the last event is response.incomplete."""
    body = {"model": "m", "input": "a long input", "stream": True, "max_output_tokens": 2}
    data = data_of(parse_sse(client.post("/responses", json=body).text))

    assert "response.incomplete" == data[-1]["type"]
    assert {"reason": "max_output_tokens"} == data[-1]["response"]["incomplete_details"]
    assert "echo: a " == data[-1]["response"]["output"][0]["content"][0]["text"]


# --- delays -----------------------------------------------------------------


def test_first_delay_holds_the_first_event_not_the_head() -> None:
    """stream_first_delay: the head comes at once; the first event only after the delay."""
    delay = 0.2
    with MockServer(stream_first_delay=delay) as slow, httpx.Client(base_url=slow.url, timeout=5.0) as http:
        started = time.monotonic()
        with http.stream("POST", "/chat/completions", json=stream_body("slow start")) as response:
            head_at = time.monotonic() - started
            lines = response.iter_lines()
            first = next(lines)
            first_at = time.monotonic() - started
            rest = list(lines)

    assert first.startswith("data: ")
    assert "data: [DONE]" in rest
    assert head_at < first_at
    assert first_at >= delay


def test_chunk_delay_spaces_every_event(server: MockServer, client: httpx.Client) -> None:
    """stream_chunk_delay waits between events: n events take at least (n - 1) delays."""
    delay = 0.02
    server.stream_chunk_delay = delay
    assert delay == server.stream_chunk_delay

    started = time.monotonic()
    _, events = post_stream(client, "/chat/completions", stream_body("spaced out"))
    elapsed = time.monotonic() - started

    assert 7 == len(events)  # role, 4 pieces, finish, [DONE]
    assert elapsed >= (len(events) - 1) * delay


def test_fault_delays_override_the_server_settings() -> None:
    """A fault's first_delay/chunk_delay replace the server's for that request only."""
    with (
        MockServer(stream_first_delay=30.0, stream_chunk_delay=30.0) as slow,
        httpx.Client(base_url=slow.url, timeout=5.0) as http,
    ):
        slow.script(Fault(first_delay=0.0, chunk_delay=0.0))
        _, events = post_stream(http, "/chat/completions", stream_body("quick"))

    assert "[DONE]" == events[-1]


def test_negative_stream_delays_are_rejected() -> None:
    """Stream delays, on the server or in a fault, must not be negative."""
    with pytest.raises(ValueError, match="stream_chunk_delay"):
        MockServer(stream_chunk_delay=-1)
    with pytest.raises(ValueError, match="first_delay"):
        Fault(first_delay=-0.1)
    with pytest.raises(ValueError, match="after"):
        Fault(action="stream_drop", after=-1)


# --- mid-stream faults ------------------------------------------------------


def test_stream_stall_sends_after_events_then_hangs(server: MockServer) -> None:
    """stream_stall sends `after` events, then nothing, holding the connection open
    (counted in hanging) until the client gives up."""
    server.script(Fault(action="stream_stall", after=2))
    lines: list[str] = []
    with httpx.Client(base_url=server.url, timeout=0.3) as http, pytest.raises(httpx.ReadTimeout):
        with http.stream("POST", "/chat/completions", json=stream_body("stall")) as response:
            lines.extend(line for line in response.iter_lines() if line)

    assert 2 == len(lines)
    server.wait_for(lambda s: s.disconnects == 1 and s.hanging == 0)
    assert 0 == server.requests_served


def test_stream_drop_resets_after_events(server: MockServer) -> None:
    """stream_drop sends `after` events, then aborts the connection with an RST."""
    server.script(Fault(action="stream_drop", after=3))
    with raw_connect(server) as sock:
        sock.sendall(raw_stream_request(stream_body("drop me please")))
        server.wait_for(lambda s: s.open_connections == 0)
        reader = ChunkReader(sock)
        status, _ = reader.head()
        events = [reader.chunk() for _ in range(3)]
        with pytest.raises(ConnectionResetError):
            reader.chunk()

    assert 200 == status
    assert [b"data: "] * 3 == [event[:6] for event in events if event]
    assert (0, 0) == (server.requests_served, server.disconnects)


def test_stream_error_sends_an_error_event_and_ends_cleanly(server: MockServer, client: httpx.Client) -> None:
    """stream_error sends `after` events, then an OpenAI error event, then ends the body
    properly (no [DONE]); the connection serves the next request."""
    server.script(Fault(action="stream_error", after=2))

    _, events = post_stream(client, "/chat/completions", stream_body("error soon"))
    follow_up = client.post("/chat/completions", json=chat_body("next"))

    assert 3 == len(events)
    assert {"chat.completion.chunk"} == {event["object"] for event in events[:2]}
    error = events[2]["error"]
    assert ("server_error", None) == (error["type"], error["code"])
    assert error["message"]
    assert 200 == follow_up.status_code
    assert (1, 2) == (server.connections_opened, server.requests_served)


def test_stream_error_body_is_the_error_event(server: MockServer, client: httpx.Client) -> None:
    """A stream_error fault's body becomes the error event's data."""
    body = {"error": {"message": "the model overloaded", "type": "server_error", "code": None}}
    server.script(Fault(action="stream_error", after=1, body=body))

    _, events = post_stream(client, "/chat/completions", stream_body("x"))

    assert body == events[-1]


def test_stream_error_in_a_responses_stream_is_an_error_event(
    server: MockServer, client: httpx.Client
) -> None:
    """In a Responses stream the error is OpenAI's "error" event, numbered in sequence."""
    server.script(Fault(action="stream_error", after=3))

    events = parse_sse(client.post("/responses", json={"model": "m", "input": "x", "stream": True}).text)

    assert 4 == len(events)
    assert "error" == events[-1]["event"]
    error = json.loads(events[-1]["data"])
    assert ("error", 3, "server_error") == (error["type"], error["sequence_number"], error["code"])


def test_stream_fault_after_more_events_than_the_stream_has(server: MockServer) -> None:
    """A fault whose `after` exceeds the stream's length hits after the last event."""
    server.script(Fault(action="stream_error", after=1000))
    with httpx.Client(base_url=server.url, timeout=5.0) as http:
        _, events = post_stream(http, "/chat/completions", stream_body("hi"))

    assert "[DONE]" == events[-2]
    assert "error" in events[-1]


def test_truncate_on_a_stream_is_an_incomplete_chunked_body(server: MockServer, client: httpx.Client) -> None:
    """truncate on a stream sends `after` events, then closes inside the chunked body."""
    server.script(Fault(action="truncate", after=2))

    lines: list[str] = []
    with pytest.raises(httpx.RemoteProtocolError):
        with client.stream("POST", "/chat/completions", json=stream_body("cut")) as response:
            lines.extend(line for line in response.iter_lines() if line)

    assert 2 == len(lines)


def test_stream_faults_on_plain_requests(server: MockServer, client: httpx.Client) -> None:
    """On a non-streaming request, stream_error answers 500, stream_drop resets and
    stream_stall hangs."""
    server.script(Fault(action="stream_error"), Fault(action="stream_drop"), Fault(action="stream_stall"))

    assert_openai_error(client.post("/chat/completions", json=chat_body()), 500)
    with pytest.raises(httpx.ReadError):
        client.post("/chat/completions", json=chat_body())
    with httpx.Client(base_url=server.url, timeout=0.2) as http, pytest.raises(httpx.ReadTimeout):
        http.post("/chat/completions", json=chat_body())
    server.wait_for(lambda s: s.hanging == 0)


# --- disconnects, shutdown, backpressure ------------------------------------


def test_client_disconnect_mid_stream_stops_it(server: MockServer, client: httpx.Client) -> None:
    """A client leaving mid-stream is counted as a disconnect and the stream stops at once."""
    server.stream_chunk_delay = 0.05
    with client.stream("POST", "/chat/completions", json=stream_body("long " * 100)) as response:
        first = next(response.iter_lines())

    server.wait_for(lambda s: s.disconnects == 1)
    assert first.startswith("data: ")
    assert (0, 0) == (server.open_connections, server.requests_served)


def test_stop_ends_a_waiting_stream() -> None:
    """stop() closes a connection whose stream is waiting on a delay."""
    server = MockServer(stream_first_delay=30.0).start()
    with raw_connect(server) as sock:
        sock.sendall(raw_stream_request(stream_body("never")))
        reader = ChunkReader(sock)
        assert 200 == reader.head()[0]
        server.stop()

        with pytest.raises(EOFError):
            reader.chunk()
    assert (0, 0) == (server.open_connections, server.disconnects)


def test_slow_reader_gets_a_huge_stream_whole_and_the_server_pauses(server: MockServer) -> None:
    """A stream far larger than the socket buffers, to a client that does not read for a
    while and then reads in small pieces: the server pauses writing, never queues more
    than about its 64 KiB high-water mark, and the client still gets every event."""
    prompt = "abcd" * 100_000  # 100,000 pieces of ~190 bytes: ~19 MB of events
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 32 * 1024)
        sock.settimeout(10.0)
        sock.connect(("127.0.0.1", server.port))
        sock.sendall(raw_stream_request(stream_body(prompt)))

        server.wait_for(lambda s: s.write_pauses >= 1)
        assert 0 == server.requests_served

        reader = ChunkReader(sock)
        reader.head()
        size = 0
        pieces = []
        done = False
        while not done:
            data = sock.recv(4096)
            assert data
            reader.buffer += data
            # Take every complete chunk in the buffer.
            while (end := reader.buffer.find(b"\r\n")) >= 0:
                length = int(reader.buffer[:end], 16)
                if len(reader.buffer) < end + 4 + length:
                    break
                event = bytes(reader.buffer[end + 2 : end + 2 + length])
                del reader.buffer[: end + 4 + length]
                size += len(event)
                if not length:
                    done = True
                elif event != b"data: [DONE]\n\n":
                    pieces.append(json.loads(event[6:])["choices"][0]["delta"].get("content", ""))

    assert "echo: " + prompt == "".join(pieces)
    assert size > 16_000_000
    server.wait_for(lambda s: s.requests_served == 1)
    assert server.write_pauses >= 1
    assert 64 * 1024 < server.peak_stream_buffer < 128 * 1024
