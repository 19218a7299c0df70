"""Specification of openai_actors.mock, the OpenAI-compatible mock server.

Every test talks to a real server over loopback sockets, through httpx or, for
the HTTP details httpx hides, through a raw socket.
"""

from __future__ import annotations

import base64
import concurrent.futures
import json
import math
import os
import socket
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import openai_actors.mock
from openai_actors.mock import Fault, MockServer, RecordedRequest

CHAT = "/chat/completions"
CHAT_PATH = "/v1/chat/completions"


def chat_body(content: Any = "hello", **extra: Any) -> dict[str, Any]:
    return {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": content}], **extra}


# --- raw HTTP helpers -------------------------------------------------------


def raw_connect(server: MockServer) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=5.0)
    return sock


def read_until_closed(sock: socket.socket) -> bytes:
    chunks = []
    while chunk := sock.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


def read_exactly_responses(sock: socket.socket, count: int) -> list[tuple[int, dict[str, str], bytes]]:
    data = b""
    while True:
        responses, _ = parse_responses(data)
        if len(responses) >= count:
            return responses
        chunk = sock.recv(65536)
        assert chunk, "server closed before sending all responses"
        data += chunk


def parse_responses(data: bytes) -> tuple[list[tuple[int, dict[str, str], bytes]], bytes]:
    """Split a byte stream into (status, headers, body) responses; also return the rest."""
    responses = []
    while (end := data.find(b"\r\n\r\n")) >= 0:
        status_line, *header_lines = data[:end].decode("latin-1").split("\r\n")
        headers = {}
        for line in header_lines:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length", "0"))
        if len(data) < end + 4 + length:
            break
        responses.append((int(status_line.split(" ")[1]), headers, data[end + 4 : end + 4 + length]))
        data = data[end + 4 + length :]
    return responses, data


def raw_request(method: str, path: str, body: bytes = b"", headers: str = "") -> bytes:
    head = f"{method} {path} HTTP/1.1\r\nhost: test\r\ncontent-length: {len(body)}\r\n{headers}\r\n"
    return head.encode() + body


def raw_chat(content: str, headers: str = "") -> bytes:
    body = json.dumps(chat_body(content)).encode()
    return raw_request("POST", CHAT_PATH, body, "content-type: application/json\r\n" + headers)


def echo_of(body: bytes) -> str:
    content: str = json.loads(body)["choices"][0]["message"]["content"]
    return content


# --- chat completions -------------------------------------------------------


def test_chat_completion_has_openai_shape(client: httpx.Client) -> None:
    """A chat completion reply has every field OpenAI's has, with the request's model."""
    response = client.post(CHAT, json=chat_body("hi there", model="my-model"))

    assert 200 == response.status_code
    assert "application/json" == response.headers["content-type"]
    assert response.headers["x-request-id"].startswith("req_")
    reply = response.json()
    assert reply["id"].startswith("chatcmpl-")
    assert "chat.completion" == reply["object"]
    assert isinstance(reply["created"], int)
    assert "my-model" == reply["model"]
    assert "fp_mock" == reply["system_fingerprint"]
    expected_choice = {
        "index": 0,
        "message": {"role": "assistant", "content": "echo: hi there", "refusal": None},
        "logprobs": None,
        "finish_reason": "stop",
    }
    assert [expected_choice] == reply["choices"]
    assert {"prompt_tokens", "completion_tokens", "total_tokens"} == set(reply["usage"])


def test_chat_echoes_the_last_message_deterministically(client: httpx.Client) -> None:
    """The reply is "echo: " + the last message's content, the same every time."""
    body = {
        "model": "m",
        "messages": [
            {"role": "system", "content": "be brief"},
            {"role": "user", "content": "first"},
            {"role": "assistant", "content": "ok"},
            {"role": "user", "content": "second ünïcode ✓"},
        ],
    }
    first = client.post(CHAT, json=body).json()
    again = client.post(CHAT, json=body).json()

    assert "echo: second ünïcode ✓" == first["choices"][0]["message"]["content"]
    assert first["choices"] == again["choices"]
    assert first["usage"] == again["usage"]
    assert first["id"] != again["id"]


def test_chat_content_parts_are_joined(client: httpx.Client) -> None:
    """List content echoes the concatenated texts of its text parts, skipping other parts."""
    parts = [
        {"type": "text", "text": "look "},
        {"type": "image_url", "image_url": {"url": "data:,"}},
        {"type": "text", "text": "here"},
    ]
    reply = client.post(CHAT, json=chat_body(parts)).json()

    assert "echo: look here" == reply["choices"][0]["message"]["content"]


def test_chat_usage_counts_four_characters_per_token(client: httpx.Client) -> None:
    """prompt_tokens = ceil(chars of all contents / 4), completion_tokens = ceil(reply chars / 4)."""
    body = {
        "model": "m",
        "messages": [{"role": "system", "content": "abcde"}, {"role": "user", "content": "xyz"}],
    }
    usage = client.post(CHAT, json=body).json()["usage"]

    assert 2 == usage["prompt_tokens"]  # 8 characters
    assert 3 == usage["completion_tokens"]  # "echo: xyz" is 9 characters
    assert 5 == usage["total_tokens"]


@pytest.mark.parametrize("limit_field", ["max_tokens", "max_completion_tokens"])
def test_chat_token_limit_truncates_with_finish_reason_length(client: httpx.Client, limit_field: str) -> None:
    """A token limit cuts the reply to 4 characters per token and reports finish_reason "length"."""
    reply = client.post(CHAT, json=chat_body("a long message indeed", **{limit_field: 3})).json()

    assert "echo: a long" == reply["choices"][0]["message"]["content"]
    assert "length" == reply["choices"][0]["finish_reason"]
    assert 3 == reply["usage"]["completion_tokens"]


def test_chat_token_limit_that_fits_finishes_with_stop(client: httpx.Client) -> None:
    """A limit the reply fits in leaves it whole, with finish_reason "stop"."""
    reply = client.post(CHAT, json=chat_body("short", max_tokens=100)).json()

    assert "echo: short" == reply["choices"][0]["message"]["content"]
    assert "stop" == reply["choices"][0]["finish_reason"]


def test_chat_n_returns_that_many_choices(client: httpx.Client) -> None:
    """n asks for n identical choices, indexed 0..n-1, with usage counting all of them."""
    reply = client.post(CHAT, json=chat_body("hey", n=3)).json()

    assert [0, 1, 2] == [choice["index"] for choice in reply["choices"]]
    assert {"echo: hey"} == {choice["message"]["content"] for choice in reply["choices"]}
    assert 9 == reply["usage"]["completion_tokens"]  # 3 x ceil(9 / 4)


def test_concurrent_callers_each_get_their_own_answer(server: MockServer) -> None:
    """Many requests in flight at once over several connections are never mixed up."""
    with httpx.Client(base_url=server.url, timeout=5.0) as http:

        def ask(index: int) -> str:
            return echo_of(http.post(CHAT, json=chat_body(f"question {index}")).content)

        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(ask, range(64)))

    assert [f"echo: question {index}" for index in range(64)] == answers


# --- embeddings -------------------------------------------------------------


def test_embeddings_have_openai_shape(client: httpx.Client) -> None:
    """An embeddings reply lists one unit vector of 8 float32 values per input, in order."""
    reply = client.post(
        "/embeddings", json={"model": "text-embedding-3-small", "input": ["one", "two"]}
    ).json()

    assert "list" == reply["object"]
    assert "text-embedding-3-small" == reply["model"]
    assert [0, 1] == [item["index"] for item in reply["data"]]
    assert {"embedding"} == {item["object"] for item in reply["data"]}
    assert {"prompt_tokens": 2, "total_tokens": 2} == reply["usage"]
    for item in reply["data"]:
        vector = item["embedding"]
        assert 8 == len(vector)
        assert vector == [struct.unpack("<f", struct.pack("<f", value))[0] for value in vector]
        assert math.isclose(1.0, math.fsum(value * value for value in vector), rel_tol=1e-5)
    assert reply["data"][0]["embedding"] != reply["data"][1]["embedding"]


def test_embeddings_are_deterministic_per_text(client: httpx.Client) -> None:
    """The same text always maps to the same vector, alone or in a batch."""
    alone = client.post("/embeddings", json={"model": "m", "input": "two"}).json()
    batch = client.post("/embeddings", json={"model": "m", "input": ["one", "two"]}).json()

    assert alone["data"][0]["embedding"] == batch["data"][1]["embedding"]


def test_embeddings_dimensions(client: httpx.Client) -> None:
    """dimensions sets the vector length."""
    reply = client.post("/embeddings", json={"model": "m", "input": "x", "dimensions": 1536}).json()

    assert 1536 == len(reply["data"][0]["embedding"])


def test_embeddings_base64_decodes_to_the_float_reply(client: httpx.Client) -> None:
    """encoding_format "base64" carries the little-endian float32 bytes of the same vector."""
    request = {"model": "m", "input": ["alpha", "beta"], "dimensions": 16}
    floats = client.post("/embeddings", json={**request, "encoding_format": "float"}).json()
    encoded = client.post("/embeddings", json={**request, "encoding_format": "base64"}).json()

    for float_item, base64_item in zip(floats["data"], encoded["data"], strict=True):
        raw = base64.b64decode(base64_item["embedding"])
        assert float_item["embedding"] == list(struct.unpack("<16f", raw))


def test_embeddings_accept_token_arrays(client: httpx.Client) -> None:
    """Token-array inputs (one array, or a list of arrays) embed too, counting one token per id."""
    single = client.post("/embeddings", json={"model": "m", "input": [1, 2, 3]}).json()
    several = client.post("/embeddings", json={"model": "m", "input": [[1, 2, 3], [4]]}).json()

    assert 1 == len(single["data"])
    assert 3 == single["usage"]["prompt_tokens"]
    assert 2 == len(several["data"])
    assert 4 == several["usage"]["prompt_tokens"]
    assert single["data"][0]["embedding"] == several["data"][0]["embedding"]


# --- models -----------------------------------------------------------------


def test_models_list(client: httpx.Client) -> None:
    """GET /v1/models lists the fixed models in OpenAI's shape."""
    reply = client.get("/models").json()

    assert "list" == reply["object"]
    ids = [model["id"] for model in reply["data"]]
    assert {"gpt-4o-mini", "text-embedding-3-small", "mock-model"} <= set(ids)
    for model in reply["data"]:
        assert {"id", "object", "created", "owned_by"} == set(model)
        assert "model" == model["object"]


def test_model_retrieve_and_unknown_model(client: httpx.Client) -> None:
    """GET /v1/models/{id} returns that model, or a 404 error naming it."""
    found = client.get("/models/mock-model")
    missing = client.get("/models/no-such-model")

    assert 200 == found.status_code
    assert "mock-model" == found.json()["id"]
    assert 404 == missing.status_code
    assert "no-such-model" in missing.json()["error"]["message"]
    assert "model_not_found" == missing.json()["error"]["code"]


# --- errors -----------------------------------------------------------------


def assert_openai_error(response: httpx.Response, status: int) -> dict[str, Any]:
    assert status == response.status_code
    assert "application/json" == response.headers["content-type"]
    error: dict[str, Any] = response.json()["error"]
    assert {"message", "type", "param", "code"} == set(error)
    return error


def test_unknown_path_is_404(client: httpx.Client) -> None:
    """An unknown path gets a 404 in OpenAI's error shape."""
    error = assert_openai_error(client.post("/nothing/here", json={}), 404)

    assert "/v1/nothing/here" in error["message"]


def test_wrong_method_is_405(client: httpx.Client) -> None:
    """A known path with the wrong method gets a 405 with an allow header."""
    response = client.put(CHAT)

    assert_openai_error(response, 405)
    assert "POST, GET" == response.headers["allow"]


def test_body_that_is_not_json_is_400(client: httpx.Client) -> None:
    """A body that does not parse as a JSON object gets a 400."""
    assert_openai_error(client.post(CHAT, content=b"{not json"), 400)
    assert_openai_error(client.post(CHAT, json=["a", "list"]), 400)


@pytest.mark.parametrize(
    ("path", "body", "missing"),
    [
        (CHAT, {"messages": [{"role": "user", "content": "x"}]}, "model"),
        (CHAT, {"model": "m"}, "messages"),
        ("/embeddings", {"model": "m"}, "input"),
        ("/embeddings", {"input": "x"}, "model"),
    ],
)
def test_missing_field_is_400_naming_it(
    client: httpx.Client, path: str, body: dict[str, Any], missing: str
) -> None:
    """A missing required field gets a 400 whose message and param name the field."""
    error = assert_openai_error(client.post(path, json=body), 400)

    assert f"'{missing}'" in error["message"]
    assert missing == error["param"]


def test_invalid_values_are_400(client: httpx.Client) -> None:
    """Wrongly typed or out-of-range parameters get a 400 rather than a crash."""
    invalid = [
        (CHAT, chat_body(max_tokens=0)),
        (CHAT, chat_body(max_tokens="ten")),
        (CHAT, {"model": "m", "messages": []}),
        (CHAT, {"model": "m", "messages": ["not an object"]}),
        (CHAT, chat_body(stream="yes")),
        (CHAT, chat_body(stream_options={"include_usage": True})),
        ("/embeddings", {"model": "m", "input": "x", "encoding_format": "hex"}),
        ("/embeddings", {"model": "m", "input": [1.5]}),
        ("/embeddings", {"model": "m", "input": "x", "dimensions": -1}),
    ]
    for path, body in invalid:
        assert_openai_error(client.post(path, json=body), 400)
    assert 200 == client.get("/models").status_code


def test_body_over_the_limit_is_413() -> None:
    """A body larger than max_body_size gets a 413, and the server keeps serving."""
    with MockServer(max_body_size=1024) as small, httpx.Client(base_url=small.url, timeout=5.0) as http:
        response = http.post(CHAT, json=chat_body("x" * 2000))

        assert_openai_error(response, 413)
        assert 200 == http.post(CHAT, json=chat_body("fits")).status_code


@pytest.mark.parametrize(
    ("request_bytes", "status"),
    [
        (b"NOT A REQUEST\r\n\r\n", 400),
        (b"GET /v1/models HTTP/1.1\r\nno colon here\r\n\r\n", 400),
        (b"GET /v1/models HTTP/1.1\r\nhost: x\r\ncontent-length: ten\r\n\r\n", 400),
        (b"POST /v1/embeddings HTTP/1.1\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n", 400),
        (b"GET /v1/models HTTP/2.0\r\n\r\n", 505),
        (b"GET /v1/models HTTP/1.1\r\nx: " + b"a" * 70_000 + b"\r\n\r\n", 431),
    ],
)
def test_malformed_request_gets_error_and_close(
    server: MockServer, request_bytes: bytes, status: int
) -> None:
    """A request that cannot be parsed gets an error response, then the connection closes."""
    with raw_connect(server) as sock:
        sock.sendall(request_bytes)
        responses, rest = parse_responses(read_until_closed(sock))

    assert [status] == [response[0] for response in responses]
    assert "close" == responses[0][1]["connection"]
    assert b"" == rest
    with httpx.Client(base_url=server.url) as http:
        assert 200 == http.get("/models").status_code


_VALID_PREFIXES = [
    b"",
    b"GET /v1/models HTTP/1.1\r\n",
    b"POST /v1/chat/completions HTTP/1.1\r\ncontent-length: 3\r\n\r\n",
    b"POST /v1/embeddings HTTP/1.1\r\ntransfer-encoding: chunked\r\n\r\n",
]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(prefix=st.sampled_from(_VALID_PREFIXES), garbage=st.binary(max_size=300))
def test_arbitrary_bytes_never_break_the_server(
    server: MockServer, client: httpx.Client, prefix: bytes, garbage: bytes
) -> None:
    """Whatever bytes a client sends, its connection ends cleanly and the server goes on serving."""
    with raw_connect(server) as sock:
        sock.sendall(prefix + garbage)
        sock.shutdown(socket.SHUT_WR)
        _, rest = parse_responses(read_until_closed(sock))

    assert b"" == rest
    assert 200 == client.get("/models").status_code


# --- HTTP/1.1 ---------------------------------------------------------------


def test_pipelined_requests_are_answered_in_order(server: MockServer) -> None:
    """Requests sent back to back on one connection get their responses in request order."""
    with raw_connect(server) as sock:
        sock.sendall(b"".join(raw_chat(f"n{index}") for index in range(20)))
        responses = read_exactly_responses(sock, 20)

    assert [f"echo: n{index}" for index in range(20)] == [echo_of(body) for _, _, body in responses]
    ids = [int(headers["x-request-id"].removeprefix("req_")) for _, headers, _ in responses]
    assert sorted(ids) == ids


def test_identical_heads_are_separate_requests() -> None:
    """The parser remembers heads it has parsed; each request still gets its own headers and framing."""
    from openai_actors.mock._http import Request, RequestParser

    both = (
        b"POST /v1/x HTTP/1.1\r\nhost: a\r\ncontent-length: 2\r\ntransfer-encoding: chunked\r\n\r\n0\r\n\r\n"
    )
    plain = b"POST /v1/x HTTP/1.1\r\nhost: a\r\ncontent-length: 2\r\n\r\n"
    parser = RequestParser(max_body_size=1024)
    requests = parser.feed(plain + b"{}" + both + plain + b"[]" + both)
    assert all(isinstance(request, Request) for request in requests)
    requests = [request for request in requests if isinstance(request, Request)]

    assert [b"{}", b"", b"[]", b""] == [request.body for request in requests]
    # Both framings at once must not reuse the connection; that verdict is the
    # request's own, not carried over to the next request with the same head.
    assert [True, False, True, False] == [request.keep_alive for request in requests]
    requests[0].headers["host"] = "changed"
    assert "a" == requests[2].headers["host"]


def test_pipelined_order_holds_behind_a_delayed_response(server: MockServer) -> None:
    """A delayed first response still comes out before the pipelined ones behind it."""
    server.script(Fault(delay=0.05))
    with raw_connect(server) as sock:
        sock.sendall(raw_chat("slow") + raw_chat("fast") + raw_chat("faster"))
        responses = read_exactly_responses(sock, 3)

    assert ["echo: slow", "echo: fast", "echo: faster"] == [echo_of(body) for _, _, body in responses]


def test_chunked_request_body_over_raw_socket(server: MockServer) -> None:
    """A chunked body (with a chunk extension and a trailer) is reassembled."""
    body = json.dumps(chat_body("chunky")).encode()
    chunks = b"".join(
        b"%x;ext=1\r\n%s\r\n" % (len(part), part) for part in (body[:10], body[10:11], body[11:])
    )
    request = (
        b"POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n"
        + chunks
        + b"0\r\nx-trailer: yes\r\n\r\n"
    )
    with raw_connect(server) as sock:
        for offset in range(0, len(request), 7):  # split across many reads
            sock.sendall(request[offset : offset + 7])
        [(status, _, reply)] = read_exactly_responses(sock, 1)

    assert 200 == status
    assert "echo: chunky" == echo_of(reply)
    assert body == server.requests[-1].body


def test_chunked_request_body_from_httpx(client: httpx.Client, server: MockServer) -> None:
    """httpx streaming a body (chunked transfer encoding) is understood."""
    body = json.dumps(chat_body("streamed up")).encode()
    response = client.post(CHAT, content=iter([body[:5], body[5:]]))

    assert "echo: streamed up" == echo_of(response.content)
    assert "chunked" == server.requests[-1].headers["transfer-encoding"]


def test_connection_close_is_honoured(server: MockServer) -> None:
    """A request with "Connection: close" is answered, then the connection closes."""
    with raw_connect(server) as sock:
        sock.sendall(raw_chat("bye", "connection: close\r\n"))
        responses, rest = parse_responses(read_until_closed(sock))

    assert ["echo: bye"] == [echo_of(body) for _, _, body in responses]
    assert "close" == responses[0][1]["connection"]
    assert b"" == rest


def test_http10_closes_unless_keep_alive(server: MockServer) -> None:
    """HTTP/1.0 closes after the response by default, and stays open with "Connection: keep-alive"."""
    with raw_connect(server) as sock:
        sock.sendall(b"GET /v1/models HTTP/1.0\r\n\r\n")
        responses, _ = parse_responses(read_until_closed(sock))
    assert [200] == [status for status, _, _ in responses]

    with raw_connect(server) as sock:
        sock.sendall(b"GET /v1/models HTTP/1.0\r\nconnection: keep-alive\r\n\r\n" * 2)
        responses = read_exactly_responses(sock, 2)
    assert ["keep-alive", "keep-alive"] == [headers["connection"] for _, headers, _ in responses]


def test_expect_100_continue(server: MockServer) -> None:
    """A client sending "Expect: 100-continue" is told to continue before it sends the body."""
    body = json.dumps(chat_body("after continue")).encode()
    with raw_connect(server) as sock:
        sock.sendall(
            raw_request("POST", CHAT_PATH, b"", "expect: 100-continue\r\n").replace(
                b"length: 0", b"length: %d" % len(body)
            )
        )
        assert b"HTTP/1.1 100 Continue\r\n\r\n" == sock.recv(100)
        sock.sendall(body)
        [(status, _, reply)] = read_exactly_responses(sock, 1)

    assert 200 == status
    assert "echo: after continue" == echo_of(reply)


def test_keep_alive_reuses_one_connection(server: MockServer, client: httpx.Client) -> None:
    """Sequential requests from one client share a single connection."""
    for _ in range(5):
        client.get("/models")

    assert 1 == server.connections_opened
    assert 1 == server.open_connections
    assert 5 == server.requests_served


# --- recording --------------------------------------------------------------


def test_requests_are_recorded(server: MockServer, client: httpx.Client) -> None:
    """Each request is recorded with method, path, parsed query, lowercase headers and body."""
    client.post(
        CHAT + "?api-version=2024&tag=a&tag=b",
        json=chat_body("recorded"),
        headers=[("X-Custom", "one"), ("x-custom", "two")],
    )
    client.get("/models")

    first, second = server.requests
    assert isinstance(first, RecordedRequest)
    assert "POST" == first.method
    assert CHAT_PATH == first.path
    assert {"api-version": ["2024"], "tag": ["a", "b"]} == first.query
    assert "one, two" == first.headers["x-custom"]
    assert "application/json" == first.headers["content-type"]
    assert chat_body("recorded") == first.json()
    assert ("GET", "/v1/models", {}, b"") == (second.method, second.path, second.query, second.body)


def test_clear_empties_the_recording(server: MockServer, client: httpx.Client) -> None:
    """clear() forgets recorded requests; later requests are recorded afresh."""
    client.get("/models")
    server.clear()
    assert [] == server.requests

    client.get("/models/mock-model")
    assert ["/v1/models/mock-model"] == [request.path for request in server.requests]


def test_recording_keeps_the_last_10000(server: MockServer) -> None:
    """The recording is bounded: only the last 10,000 requests are kept."""
    total = 10_005
    payload = b"".join(b"GET /v1/models/r%d HTTP/1.1\r\n\r\n" % index for index in range(total))
    with raw_connect(server) as sock:
        sender = threading.Thread(target=sock.sendall, args=(payload,))
        sender.start()
        read_exactly_responses_fast(sock, total)
        sender.join()

    paths = [request.path for request in server.requests]
    assert 10_000 == len(paths)
    assert "/v1/models/r5" == paths[0]
    assert f"/v1/models/r{total - 1}" == paths[-1]


def read_exactly_responses_fast(sock: socket.socket, count: int) -> None:
    """Read until ``count`` status lines have arrived (cheaper than parsing 10,000 responses)."""
    marker = b"HTTP/1.1 "
    seen = 0
    tail = b""
    while seen < count:
        chunk = sock.recv(1 << 20)
        assert chunk
        # Keep a tail shorter than the marker, so one split across reads is counted once.
        data = tail + chunk
        seen += data.count(marker)
        tail = data[-(len(marker) - 1) :]


def test_record_false_records_nothing() -> None:
    """MockServer(record=False) keeps no requests but still counts them."""
    with MockServer(record=False) as quiet, httpx.Client(base_url=quiet.url) as http:
        http.post(CHAT, json=chat_body())

        assert [] == quiet.requests
        assert 1 == quiet.requests_served


# --- faults -----------------------------------------------------------------


def test_fault_status_gets_openai_error_and_headers(server: MockServer, client: httpx.Client) -> None:
    """A status-only fault answers with an OpenAI-style error body plus the given headers."""
    server.script(Fault(status=429, headers={"retry-after-ms": "10", "x-should-retry": "true"}))

    response = client.post(CHAT, json=chat_body())

    error = assert_openai_error(response, 429)
    assert "rate_limit_exceeded" == error["code"]
    assert "10" == response.headers["retry-after-ms"]
    assert "true" == response.headers["x-should-retry"]
    assert response.headers["x-request-id"].startswith("req_")
    assert 200 == client.post(CHAT, json=chat_body()).status_code


def test_fault_bodies_dict_str_bytes(server: MockServer, client: httpx.Client) -> None:
    """A fault's body is sent as given: dicts JSON-encoded, str and bytes verbatim."""
    server.script(
        Fault(status=500, body={"error": {"message": "boom"}}),
        Fault(status=503, body="overloaded", headers={"content-type": "text/plain"}),
        Fault(status=502, body=b"\x00\x01"),
    )

    first, second, third = (client.get("/models") for _ in range(3))

    assert (500, {"error": {"message": "boom"}}) == (first.status_code, first.json())
    assert (503, "overloaded", "text/plain") == (
        second.status_code,
        second.text,
        second.headers["content-type"],
    )
    assert (502, b"\x00\x01") == (third.status_code, third.content)


def test_fault_headers_alone_decorate_the_normal_reply(server: MockServer, client: httpx.Client) -> None:
    """A fault with headers but no status sends the normal reply with those headers."""
    server.script(Fault(headers={"x-ratelimit-remaining-requests": "0"}))

    response = client.post(CHAT, json=chat_body("decorated"))

    assert 200 == response.status_code
    assert "echo: decorated" == echo_of(response.content)
    assert "0" == response.headers["x-ratelimit-remaining-requests"]


def test_fault_delay_postpones_the_normal_reply(server: MockServer, client: httpx.Client) -> None:
    """A delay-only fault answers normally, but only after the delay."""
    server.script(Fault(delay=0.1))

    started = time.monotonic()
    response = client.post(CHAT, json=chat_body("late"))
    elapsed = time.monotonic() - started

    assert "echo: late" == echo_of(response.content)
    assert elapsed >= 0.1


def test_fault_close_is_a_remote_protocol_error(server: MockServer, client: httpx.Client) -> None:
    """action="close" drops the connection without a response."""
    server.script(Fault(action="close"))

    with pytest.raises(httpx.RemoteProtocolError):
        client.post(CHAT, json=chat_body())
    assert 1 == len(server.requests)
    assert 0 == server.requests_served


def test_fault_reset_is_a_read_error(server: MockServer, client: httpx.Client) -> None:
    """action="reset" aborts the connection with an RST: the client sees a connection reset."""
    server.script(Fault(action="reset"))

    with pytest.raises(httpx.ReadError, match="reset"):
        client.post(CHAT, json=chat_body())


def test_fault_truncate_is_an_incomplete_body(server: MockServer, client: httpx.Client) -> None:
    """action="truncate" promises more body than it sends, then closes."""
    server.script(Fault(action="truncate"))

    with pytest.raises(httpx.RemoteProtocolError, match="complete message body"):
        client.post(CHAT, json=chat_body())


def test_fault_hang_times_out_and_the_disconnect_is_seen(server: MockServer) -> None:
    """action="hang" never answers; when the client gives up, the server counts a disconnect."""
    server.script(Fault(action="hang"))

    with httpx.Client(base_url=server.url, timeout=0.2) as http, pytest.raises(httpx.ReadTimeout):
        http.post(CHAT, json=chat_body())

    server.wait_for(lambda s: s.disconnects == 1 and s.hanging == 0)
    assert (1, 0, 0) == (len(server.requests), server.requests_served, server.open_connections)


def test_hanging_request_is_released_by_stop() -> None:
    """stop() ends a hanging request's connection too."""
    server = MockServer().start()
    server.script(Fault(action="hang"))
    with raw_connect(server) as sock:
        sock.sendall(raw_chat("wait"))
        server.wait_for(lambda s: s.hanging == 1)
        server.stop()

        assert b"" == sock.recv(100)
    assert 0 == server.hanging
    assert 0 == server.disconnects


def test_faults_are_consumed_in_fifo_order(server: MockServer, client: httpx.Client) -> None:
    """Scripted faults apply to successive requests in the order given, then replies are normal."""
    server.script(Fault(status=500), Fault(status=429))
    server.script(Fault(status=503))
    assert 3 == server.pending_faults

    statuses = [client.get("/models").status_code for _ in range(4)]

    assert [500, 429, 503, 200] == statuses
    assert 0 == server.pending_faults


def test_faults_filter_by_path(server: MockServer, client: httpx.Client) -> None:
    """A fault with a path is consumed only by a request to that path."""
    server.script(Fault(status=500, path="/v1/embeddings"))

    models = client.get("/models")
    chat = client.post(CHAT, json=chat_body())
    assert (200, 200, 1) == (models.status_code, chat.status_code, server.pending_faults)

    embeddings = client.post("/embeddings", json={"model": "m", "input": "x"})
    assert (500, 0) == (embeddings.status_code, server.pending_faults)


def test_script_clear_drops_pending_faults(server: MockServer, client: httpx.Client) -> None:
    """script_clear() empties the fault queue."""
    server.script(Fault(status=500), Fault(status=500))
    server.script_clear()

    assert 0 == server.pending_faults
    assert 200 == client.get("/models").status_code


def test_fault_rejects_invalid_settings() -> None:
    """Fault validates its fields up front."""
    with pytest.raises(ValueError, match="action"):
        Fault(action="explode")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="status"):
        Fault(status=99)
    with pytest.raises(ValueError, match="delay"):
        Fault(delay=-1)
    with pytest.raises(ValueError, match="CR or LF"):
        Fault(headers={"x": "a\r\nb: c"})


# --- latency and concurrency ------------------------------------------------


def test_latency_delays_every_reply_without_blocking_others() -> None:
    """latency delays each normal reply, yet concurrent requests wait in parallel: the server
    received the last of ten requests before it could have answered the first."""
    latency = 1.0
    with MockServer(latency=latency) as slow, httpx.Client(base_url=slow.url, timeout=10.0) as http:

        def ask(index: int) -> str:
            return echo_of(http.post(CHAT, json=chat_body(f"c{index}")).content)

        started = time.monotonic()
        with concurrent.futures.ThreadPoolExecutor(10) as pool:
            answers = list(pool.map(ask, range(10)))
        elapsed = time.monotonic() - started
        received = [r.received_at for r in slow.requests]

    assert [f"echo: c{index}" for index in range(10)] == answers
    assert latency <= elapsed
    assert 10 == len(received)
    assert max(received) < min(received) + latency


# --- lifecycle, counters, waiting -------------------------------------------


def test_start_and_stop_explicitly(client: httpx.Client) -> None:
    """start() listens before returning; stop() is idempotent, closes the port and ends the thread."""
    threads_before = set(threading.enumerate())
    server = MockServer(host="127.0.0.1", port=0)
    assert server is server.start()
    assert f"http://127.0.0.1:{server.port}/v1" == server.url
    with httpx.Client(base_url=server.url) as http:
        assert 200 == http.get("/models").status_code

    server.stop()
    server.stop()

    assert threads_before == set(threading.enumerate())
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", server.port), timeout=1.0).close()


def test_server_thread_is_a_daemon(server: MockServer) -> None:
    """The server's thread never keeps the process alive."""
    mock_threads = [
        thread for thread in threading.enumerate() if thread.name.startswith("openai_actors.mock")
    ]

    assert [True] == [thread.daemon for thread in mock_threads]


def test_stop_closes_client_connections() -> None:
    """stop() closes open client connections; they are not counted as client disconnects."""
    server = MockServer().start()
    with raw_connect(server) as sock:
        server.wait_for(lambda s: s.open_connections == 1)
        server.stop()

        assert b"" == sock.recv(100)
    assert (1, 0, 0) == (server.connections_opened, server.open_connections, server.disconnects)


def test_counters_track_connections_and_disconnects(server: MockServer) -> None:
    """connections_opened, open_connections and disconnects follow the clients."""
    with httpx.Client(base_url=server.url) as first, httpx.Client(base_url=server.url) as second:
        first.get("/models")
        second.get("/models")
        assert (2, 2, 0) == (server.connections_opened, server.open_connections, server.disconnects)

    server.wait_for(lambda s: s.open_connections == 0)
    assert (2, 0, 2, 2) == (
        server.connections_opened,
        server.open_connections,
        server.disconnects,
        server.requests_served,
    )


def test_wait_for_times_out(server: MockServer) -> None:
    """wait_for raises TimeoutError when the predicate does not become true in time."""
    with pytest.raises(TimeoutError):
        server.wait_for(lambda s: s.requests_served > 0, timeout=0.05)


def test_port_in_use_fails_start(server: MockServer) -> None:
    """start() raises the bind error when the port is taken, and leaves no thread behind."""
    threads_before = set(threading.enumerate())

    with pytest.raises(OSError, match="in use"):
        MockServer(port=server.port).start()
    assert threads_before == set(threading.enumerate())


# --- CLI --------------------------------------------------------------------


def test_cli_prints_its_url_and_serves() -> None:
    """`python -m openai_actors.mock --port 0` prints its base URL, serves, and stops on SIGTERM."""
    package_root = Path(openai_actors.mock.__file__).resolve().parents[2]
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(package_root), os.environ.get("PYTHONPATH")])),
    }
    command = [sys.executable, "-m", "openai_actors.mock", "--port", "0", "--no-record"]
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    ) as process:
        try:
            assert process.stdout is not None
            url = process.stdout.readline().strip()
            assert url.startswith("http://127.0.0.1:")
            assert url.endswith("/v1")
            with httpx.Client(base_url=url, timeout=5.0) as http:
                assert "echo: cli" == echo_of(http.post(CHAT, json=chat_body("cli")).content)
        finally:
            process.terminate()
            _, errors = process.communicate(timeout=10)

    assert 0 == process.returncode, errors
