"""Raw access, pagination, files, batches, moderations, webhooks: over real sockets."""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import json
import time
from pathlib import Path

import pytest

from openai_actors import AsyncOpenAI, BadRequestError, NotFoundError, OpenAI
from openai_actors._multipart import encode_multipart, read_file
from openai_actors.mock import Fault, MockServer
from openai_actors.types import Batch, FileObject

from .conftest import chat_body, client_for, until

pytestmark = pytest.mark.anyio


class TestRawResponses:
    async def test_with_raw_response_exposes_the_http_details_and_parses(self, server: MockServer) -> None:
        server.script(
            Fault(status=500, headers={"retry-after-ms": "1"}, path="/v1/chat/completions"),
            Fault(headers={"x-ratelimit-remaining-requests": "42"}, path="/v1/chat/completions"),
        )
        async with client_for(server) as client:
            raw = await client.chat.completions.with_raw_response.create(**chat_body("raw"))
        completion = raw.parse()
        assert (200, "42", 1) == (
            raw.status_code,
            raw.headers["x-ratelimit-remaining-requests"],
            raw.retries_taken,
        )
        assert raw.request_id is not None and raw.request_id == completion._request_id
        assert raw.elapsed.total_seconds() >= 0
        assert "echo: raw" == completion.choices[0].message.content
        assert "echo: raw" == raw.json()["choices"][0]["message"]["content"]
        assert raw.http_request.url.path == "/v1/chat/completions"

    async def test_with_raw_response_of_a_stream_parses_to_the_stream(self, server: MockServer) -> None:
        async with client_for(server) as client:
            raw = await client.chat.completions.with_raw_response.create(**chat_body("s"), stream=True)
            text = "".join([c.choices[0].delta.content or "" async for c in raw.parse() if c.choices])
        assert ("echo: s", "text/event-stream") == (text, raw.headers["content-type"].split(";")[0])

    async def test_with_streaming_response_reads_lines_as_they_come(self, server: MockServer) -> None:
        async with client_for(server) as client:
            async with client.chat.completions.with_streaming_response.create(
                **chat_body("lines"), stream=True
            ) as response:
                assert 200 == response.status_code
                lines = [line async for line in response.iter_lines()]
        data = [json.loads(line[6:]) for line in lines if line.startswith("data: {")]
        assert "echo: lines" == "".join(
            d["choices"][0]["delta"].get("content", "") for d in data if d["choices"]
        )
        assert "data: [DONE]" in lines

    async def test_with_streaming_response_parse_read_and_json(self, server: MockServer) -> None:
        async with client_for(server) as client:
            async with client.models.with_streaming_response.retrieve("gpt-4o-mini") as response:
                model = await response.parse()
            async with client.models.with_streaming_response.retrieve("gpt-4o-mini") as response:
                as_json = await response.json()
            async with client.embeddings.with_streaming_response.create(model="e", input="x") as response:
                chunks = [c async for c in response.iter_bytes(7)]
        assert ("gpt-4o-mini", "gpt-4o-mini") == (model.id, as_json["id"])
        assert all(len(c) == 7 for c in chunks[:-1])
        assert json.loads(b"".join(chunks))["object"] == "list"

    async def test_errors_are_raised_in_raw_mode_too(self, server: MockServer) -> None:
        async with client_for(server) as client:
            with pytest.raises(NotFoundError):
                await client.models.with_raw_response.retrieve("no-such-model")

    def test_sync_raw_and_streaming_responses(self, server: MockServer) -> None:
        with OpenAI(api_key="sk", base_url=server.url) as client:
            raw = client.chat.completions.with_raw_response.create(**chat_body("sync raw"))
            with client.chat.completions.with_streaming_response.create(**chat_body("sync")) as response:
                completion = response.parse()
            with client.files.with_streaming_response.create(file=b"abc", purpose="batch") as response:
                uploaded = json.loads(response.read())
        assert "echo: sync raw" == raw.parse().choices[0].message.content
        assert "echo: sync" == completion.choices[0].message.content
        assert 3 == uploaded["bytes"]


class TestFilesAndPages:
    async def test_upload_in_every_form_and_read_back(self, server: MockServer, tmp_path: Path) -> None:
        path = tmp_path / "data.jsonl"
        path.write_bytes(b'{"a": 1}\n')
        async with client_for(server) as client:
            from_bytes = await client.files.create(file=b"raw bytes", purpose="batch")
            from_path = await client.files.create(file=path, purpose="batch")
            from_io = await client.files.create(file=io.BytesIO(b"io"), purpose="assistants")
            from_tuple = await client.files.create(
                file=("named.txt", b"tuple", "text/plain"), purpose="batch"
            )
            content = await client.files.content(from_path.id)
            retrieved = await client.files.retrieve(from_tuple.id)
            deleted = await client.files.delete(from_bytes.id)
            with pytest.raises(NotFoundError):
                await client.files.retrieve(from_bytes.id)
        assert isinstance(from_bytes, FileObject)
        assert ("data.jsonl", 9) == (from_path.filename, from_path.bytes)
        assert b'{"a": 1}\n' == content.content
        assert ("named.txt", 2) == (retrieved.filename, from_io.bytes)
        assert deleted.deleted

    async def test_listing_walks_every_page_by_cursor(self, server: MockServer) -> None:
        async with client_for(server) as client:
            ids = [(await client.files.create(file=f"f{i}".encode(), purpose="batch")).id for i in range(7)]
            first = await client.files.list(limit=3, order="asc")
            everything = [f.id async for f in client.files.list(limit=3, order="asc")]
            second = await first.get_next_page()
        assert ids == everything
        assert (ids[:3], True) == ([f.id for f in first.data], first.has_next_page())
        assert ids[3:6] == [f.id for f in second.data]
        assert {"limit": ["3"], "order": ["asc"], "after": [ids[2]]} == server.requests[-1].query

    def test_sync_pages_iterate_across_pages(self, server: MockServer) -> None:
        with OpenAI(api_key="sk", base_url=server.url) as client:
            ids = [client.files.create(file=b"x", purpose="batch").id for _ in range(5)]
            page = client.files.list(limit=2, order="asc")
            assert ids == [f.id for f in page]
            assert [2, 2, 1] == [len(p.data) for p in page.iter_pages()]

    async def test_a_file_argument_of_the_wrong_kind_fails_in_the_caller(self, server: MockServer) -> None:
        async with client_for(server) as client:
            with pytest.raises(TypeError, match="must be bytes, a binary file object, a path"):
                await client.files.create(file=12, purpose="batch")  # type: ignore[typeddict-item]
            with pytest.raises(FileNotFoundError):
                await client.files.create(file=Path("/nonexistent/file.jsonl"), purpose="batch")
        assert [] == server.requests


class TestBatches:
    async def test_a_batch_runs_end_to_end(self, server: MockServer) -> None:
        lines = [
            {
                "custom_id": f"req-{i}",
                "method": "POST",
                "url": "/v1/chat/completions",
                "body": chat_body(f"b{i}"),
            }
            for i in range(3)
        ]
        jsonl = "".join(json.dumps(line) + "\n" for line in lines).encode()
        async with client_for(server) as client:
            upload = await client.files.create(file=("batch.jsonl", jsonl), purpose="batch")
            batch = await client.batches.create(
                input_file_id=upload.id, endpoint="/v1/chat/completions", completion_window="24h"
            )
            await until(server, lambda s: (s.batch(batch.id) or {}).get("status") == "completed")
            batch = await client.batches.retrieve(batch.id)
            assert batch.output_file_id is not None
            output = await client.files.content(batch.output_file_id)
            listed = [b.id async for b in client.batches.list()]
        results = {r["custom_id"]: r for r in map(json.loads, output.text.splitlines())}
        assert {f"req-{i}": f"echo: b{i}" for i in range(3)} == {
            k: v["response"]["body"]["choices"][0]["message"]["content"] for k, v in results.items()
        }
        assert isinstance(batch, Batch) and 3 == batch.request_counts.completed  # type: ignore[union-attr]
        assert batch.id in listed

    async def test_a_running_batch_can_be_cancelled(self) -> None:
        with MockServer(batch_delay=5) as server:
            async with client_for(server) as client:
                upload = await client.files.create(file=("b.jsonl", b'{"custom_id": "a"}\n'), purpose="batch")
                batch = await client.batches.create(
                    input_file_id=upload.id, endpoint="/v1/chat/completions", completion_window="24h"
                )
                cancelled = await client.batches.cancel(batch.id)
        assert (batch.id, "cancelling") == (cancelled.id, cancelled.status)

    async def test_a_bad_batch_is_a_bad_request(self, server: MockServer) -> None:
        async with client_for(server) as client:
            with pytest.raises(BadRequestError):
                await client.batches.create(
                    input_file_id="file-nope", endpoint="/v1/chat/completions", completion_window="24h"
                )


class TestModerations:
    async def test_moderation_results(self, server: MockServer) -> None:
        async with client_for(server) as client:
            result = await client.moderations.create(input=["a nice day", "something bad"])
        assert [False, True] == [r.flagged for r in result.results]


class TestWebhooks:
    def test_the_clients_secret_verifies_a_delivery(self) -> None:
        secret_key = b"0123456789abcdef"
        secret = "whsec_" + base64.b64encode(secret_key).decode()
        body = json.dumps(
            {
                "id": "evt_1",
                "object": "event",
                "created_at": 1,
                "type": "batch.completed",
                "data": {"id": "batch_1"},
            }
        )
        stamp = str(int(time.time()))
        signature = base64.b64encode(
            hmac.new(secret_key, f"msg_1.{stamp}.{body}".encode(), hashlib.sha256).digest()
        )
        headers = {
            "webhook-id": "msg_1",
            "webhook-timestamp": stamp,
            "webhook-signature": f"v1,{signature.decode()}",
        }
        for client in (
            AsyncOpenAI(api_key="sk", webhook_secret=secret),
            OpenAI(api_key="sk", webhook_secret=secret),
        ):
            client.webhooks.verify_signature(body, headers)
            event = client.webhooks.unwrap(body, headers)
            assert ("batch.completed", "batch_1") == (event.type, event.data.id)


class TestMultipart:
    def test_the_body_has_each_field_and_file_once(self) -> None:
        content_type, body = encode_multipart(
            {"purpose": "batch", "flag": True}, {"file": read_file(('a"b.txt', b"payload"))}
        )
        boundary = content_type.split("boundary=")[1]
        assert content_type.startswith("multipart/form-data; boundary=")
        assert body.endswith(f"--{boundary}--\r\n".encode())
        assert b'name="purpose"\r\n\r\nbatch\r\n' in body
        assert b'name="flag"\r\n\r\ntrue\r\n' in body
        assert b'filename="a%22b.txt"\r\nContent-Type: text/plain\r\n\r\npayload\r\n' in body

    def test_text_mode_files_are_refused(self) -> None:
        with pytest.raises(TypeError, match="binary mode"):
            read_file(io.StringIO("text"))


class TestResponsesStreamedAgain:
    """`responses.retrieve(id, stream=True, starting_after=N)`: a background response's events again."""

    async def test_async_retrieve_streams_the_events_after_a_sequence_number(
        self, server: MockServer
    ) -> None:
        async with client_for(server) as client:
            async with await client.responses.create(
                model="gpt-4o-mini", input="hello", background=True, stream=True
            ) as first:
                events = [event async for event in first]
            response_id = events[0].response.id  # type: ignore[union-attr]
            async with await client.responses.retrieve(
                response_id=response_id, stream=True, starting_after=1
            ) as again:
                rest = [event async for event in again]
        assert rest, "no events were streamed again"
        assert all(event.sequence_number > 1 for event in rest)
        assert [e.sequence_number for e in events if e.sequence_number > 1] == [
            e.sequence_number for e in rest
        ]

    def test_sync_retrieve_streams_and_plain_retrieve_still_returns_the_response(
        self, server: MockServer
    ) -> None:
        with OpenAI(api_key="sk-test", base_url=server.url) as client:
            with client.responses.create(
                model="gpt-4o-mini", input="hello", background=True, stream=True
            ) as s:
                events = list(s)
            response_id = events[0].response.id  # type: ignore[union-attr]
            with client.responses.retrieve(response_id, stream=True) as again:
                replayed = list(again)
            plain = client.responses.retrieve(response_id)
        assert [e.type for e in events] == [e.type for e in replayed]
        assert response_id == plain.id
