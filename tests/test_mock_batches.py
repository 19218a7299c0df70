"""Specification of the mock server's Batch API: batches really run, through the same
handlers as live requests, and leave output and error files."""

from __future__ import annotations

import gc
import json
from typing import Any

import httpx
import pytest

from openai_actors.mock import MockServer

from .test_mock_server import assert_openai_error

CHAT = "/v1/chat/completions"


def line(custom_id: str, body: dict[str, Any], url: str = CHAT) -> dict[str, Any]:
    return {"custom_id": custom_id, "method": "POST", "url": url, "body": body}


def chat_line(custom_id: str, content: str) -> dict[str, Any]:
    return line(custom_id, {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": content}]})


def upload_jsonl(client: httpx.Client, lines: list[Any]) -> str:
    data = b"".join(
        (item if isinstance(item, bytes) else json.dumps(item).encode()) + b"\n" for item in lines
    )
    response = client.post("/files", data={"purpose": "batch"}, files={"file": ("batch.jsonl", data)})
    file_id: str = response.json()["id"]
    return file_id


def create(client: httpx.Client, file_id: str, endpoint: str = CHAT, **extra: Any) -> Any:
    body = {"input_file_id": file_id, "endpoint": endpoint, "completion_window": "24h", **extra}
    return client.post("/batches", json=body)


def finished(server: MockServer, batch_id: str, status: str = "completed") -> None:
    server.wait_for(lambda s: (s.batch(batch_id) or {}).get("status") == status)


def jsonl(client: httpx.Client, file_id: str) -> list[Any]:
    return [json.loads(text) for text in client.get(f"/files/{file_id}/content").text.splitlines()]


BATCH_FIELDS = [
    "id",
    "object",
    "endpoint",
    "errors",
    "input_file_id",
    "completion_window",
    "status",
    "output_file_id",
    "error_file_id",
    "created_at",
    "in_progress_at",
    "expires_at",
    "finalizing_at",
    "completed_at",
    "failed_at",
    "expired_at",
    "cancelling_at",
    "cancelled_at",
    "request_counts",
    "metadata",
]


def test_batch_runs_end_to_end(server: MockServer, client: httpx.Client) -> None:
    """Upload a JSONL, create a batch (validating), wait until it completes, and download
    one output line per good request with its real answer; failures go to the error file."""
    file_id = upload_jsonl(
        client,
        [
            chat_line("a", "first"),
            chat_line("b", "second"),
            b"{not json",
            line("c", {"messages": [{"role": "user", "content": "no model"}]}),
            line("d", {"model": "m", "input": "x"}, url="/v1/embeddings"),
            chat_line("e", "third"),
        ],
    )

    created = create(client, file_id, metadata={"job": "nightly"}).json()
    finished(server, created["id"])
    batch = client.get(f"/batches/{created['id']}").json()

    assert BATCH_FIELDS == list(created)
    assert created["id"].startswith("batch_")
    assert ("batch", "validating", CHAT, file_id, "24h") == (
        created["object"],
        created["status"],
        created["endpoint"],
        created["input_file_id"],
        created["completion_window"],
    )
    assert {"total": 0, "completed": 0, "failed": 0} == created["request_counts"]
    assert created["created_at"] + 24 * 3600 == created["expires_at"]
    assert {"job": "nightly"} == batch["metadata"]
    assert "completed" == batch["status"]
    assert {"total": 6, "completed": 3, "failed": 3} == batch["request_counts"]
    for stamp in ("in_progress_at", "finalizing_at", "completed_at"):
        assert isinstance(batch[stamp], int)
    assert (None, None, None) == (batch["failed_at"], batch["cancelled_at"], batch["errors"])

    outputs = {entry["custom_id"]: entry for entry in jsonl(client, batch["output_file_id"])}
    assert ["a", "b", "e"] == list(outputs)
    for custom_id, text in (("a", "first"), ("b", "second"), ("e", "third")):
        entry = outputs[custom_id]
        assert entry["id"].startswith("batch_req_")
        assert None is entry["error"]
        assert 200 == entry["response"]["status_code"]
        assert entry["response"]["request_id"].startswith("req_")
        assert f"echo: {text}" == entry["response"]["body"]["choices"][0]["message"]["content"]

    errors = jsonl(client, batch["error_file_id"])
    assert [None, "c", "d"] == [entry["custom_id"] for entry in errors]
    assert "invalid_json_line" == errors[0]["error"]["code"]
    assert (400, None) == (errors[1]["response"]["status_code"], errors[1]["error"])
    assert "model" == errors[1]["response"]["body"]["error"]["param"]
    assert "mismatched_endpoint" == errors[2]["error"]["code"]
    files = {file["id"]: file for file in client.get("/files").json()["data"]}
    assert ("batch_output", f"{batch['id']}_output.jsonl") == (
        files[batch["output_file_id"]]["purpose"],
        files[batch["output_file_id"]]["filename"],
    )


@pytest.mark.parametrize(
    ("endpoint", "body", "check"),
    [
        ("/v1/completions", {"model": "m", "prompt": "p"}, ("choices", 0, "text")),
        ("/v1/embeddings", {"model": "m", "input": "p"}, ("object",)),
        ("/v1/responses", {"model": "m", "input": "p"}, ("output", 0, "content", 0, "text")),
        ("/v1/moderations", {"input": "bad p"}, ("results", 0, "flagged")),
    ],
)
def test_batches_run_every_endpoint(
    server: MockServer, client: httpx.Client, endpoint: str, body: dict[str, Any], check: tuple[Any, ...]
) -> None:
    """Each supported endpoint runs in a batch and answers as it would live."""
    live = client.post(endpoint.removeprefix("/v1"), json=body).json()
    batch = create(client, upload_jsonl(client, [line("only", body, url=endpoint)]), endpoint).json()
    finished(server, batch["id"])

    done = server.batch(batch["id"])
    assert done is not None
    [entry] = jsonl(client, done["output_file_id"])
    answer = entry["response"]["body"]
    for key in check:
        answer, live = answer[key], live[key]
    assert live == answer


def test_streaming_lines_fail_in_a_batch(server: MockServer, client: httpx.Client) -> None:
    """A line asking to stream is a 400 in the error file: the Batch API does not stream."""
    body = {"model": "m", "messages": [{"role": "user", "content": "x"}], "stream": True}
    batch = create(client, upload_jsonl(client, [line("s", body)])).json()
    finished(server, batch["id"])

    done = server.batch(batch["id"])
    assert done is not None
    assert None is done["output_file_id"]
    [entry] = jsonl(client, done["error_file_id"])
    assert (400, "stream") == (entry["response"]["status_code"], entry["response"]["body"]["error"]["param"])


def test_empty_input_fails_the_batch(server: MockServer, client: httpx.Client) -> None:
    """A batch whose input has no lines fails, with the reason in errors."""
    batch = create(client, upload_jsonl(client, [])).json()
    finished(server, batch["id"], "failed")

    failed = client.get(f"/batches/{batch['id']}").json()
    assert isinstance(failed["failed_at"], int)
    assert ["empty_file"] == [error["code"] for error in failed["errors"]["data"]]


def test_cancel_stops_a_running_batch() -> None:
    """Cancelling answers "cancelling", and the batch soon becomes "cancelled" without
    running its remaining lines; a second cancel changes nothing."""
    with MockServer(batch_delay=30.0) as server, httpx.Client(base_url=server.url, timeout=5.0) as http:
        batch = create(http, upload_jsonl(http, [chat_line("a", "x"), chat_line("b", "y")])).json()
        cancelling = http.post(f"/batches/{batch['id']}/cancel").json()
        finished(server, batch["id"], "cancelled")
        cancelled = http.get(f"/batches/{batch['id']}").json()
        again = http.post(f"/batches/{batch['id']}/cancel").json()

    assert "cancelling" == cancelling["status"]
    assert isinstance(cancelling["cancelling_at"], int)
    assert isinstance(cancelled["cancelled_at"], int)
    assert 0 == cancelled["request_counts"]["completed"]
    assert (None, None) == (cancelled["output_file_id"], cancelled["completed_at"])
    assert cancelled == again


def test_cancelling_a_finished_batch_is_409(server: MockServer, client: httpx.Client) -> None:
    """A completed batch cannot be cancelled."""
    batch = create(client, upload_jsonl(client, [chat_line("a", "x")])).json()
    finished(server, batch["id"])

    assert_openai_error(client.post(f"/batches/{batch['id']}/cancel"), 409)


def test_batch_list_pages_newest_first(server: MockServer, client: httpx.Client) -> None:
    """GET /v1/batches lists newest first (default limit 20) with an after cursor."""
    file_id = upload_jsonl(client, [chat_line("a", "x")])
    ids = [create(client, file_id).json()["id"] for _ in range(3)]

    first = client.get("/batches", params={"limit": 2}).json()
    second = client.get("/batches", params={"limit": 2, "after": first["last_id"]}).json()
    everything = client.get("/batches").json()

    assert ([ids[2], ids[1]], True) == ([batch["id"] for batch in first["data"]], first["has_more"])
    assert ([ids[0]], False) == ([batch["id"] for batch in second["data"]], second["has_more"])
    assert (ids[2], ids[0]) == (everything["first_id"], everything["last_id"])
    assert_openai_error(client.get("/batches", params={"limit": 101}), 400)


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"endpoint": CHAT, "completion_window": "24h"}, "input_file_id"),
        ({"input_file_id": "file-999", "endpoint": CHAT, "completion_window": "24h"}, "input_file_id"),
        ({"input_file_id": "FILE", "endpoint": "/v1/images", "completion_window": "24h"}, "endpoint"),
        ({"input_file_id": "FILE", "endpoint": CHAT, "completion_window": "1h"}, "completion_window"),
        ({"input_file_id": "FILE", "endpoint": CHAT, "completion_window": "24h", "metadata": 1}, "metadata"),
    ],
)
def test_invalid_batch_creation_is_400(client: httpx.Client, body: dict[str, Any], param: str) -> None:
    """Unknown input files, unsupported endpoints or windows and bad metadata are a 400."""
    file_id = upload_jsonl(client, [chat_line("a", "x")])
    body = {name: file_id if value == "FILE" else value for name, value in body.items()}

    assert param == assert_openai_error(client.post("/batches", json=body), 400)["param"]


def test_unknown_batch_is_404(client: httpx.Client, server: MockServer) -> None:
    """Retrieving or cancelling an unknown batch is a 404."""
    assert_openai_error(client.get("/batches/batch_404"), 404)
    assert_openai_error(client.post("/batches/batch_404/cancel"), 404)
    assert None is server.batch("batch_404")


def test_stop_ends_a_running_batch_cleanly(caplog: pytest.LogCaptureFixture) -> None:
    """stop() with a batch still running cancels it without complaint from asyncio."""
    server = MockServer(batch_delay=30.0).start()
    with httpx.Client(base_url=server.url, timeout=5.0) as http:
        batch = create(http, upload_jsonl(http, [chat_line("a", "x")])).json()
    server.wait_for(lambda s: (s.batch(batch["id"]) or {}).get("status") == "in_progress")

    server.stop()
    del server
    gc.collect()  # a batch task left pending would complain when collected

    assert [] == [record.getMessage() for record in caplog.records if record.name == "asyncio"]
