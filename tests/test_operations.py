"""What every generated method goes through (`_operations.py`), over the in-memory transport.

Each test answers the requests itself, so it can check what was sent and send
what a server really sends (plain-text transcripts, an `event: error` line).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from openai_actors import NOT_GIVEN
from openai_actors._mock_transport import MockRequest, MockResponse
from openai_actors._response import BinaryContent

from .scripted import client_over

pytestmark = pytest.mark.anyio


def _sse(*events: tuple[str | None, dict[str, object]]) -> bytes:
    lines = []
    for name, data in events:
        if name is not None:
            lines.append(f"event: {name}")
        lines.append(f"data: {json.dumps(data)}\n")
    return ("\n".join(lines) + "\n").encode()


async def test_a_transcript_as_text_srt_or_vtt_is_a_str(monkeypatch: pytest.MonkeyPatch) -> None:
    def answer(request: MockRequest) -> MockResponse:
        if b'name="response_format"\r\n\r\njson' in request.content:
            return MockResponse.json({"text": "hello world"})
        return MockResponse(200, {"content-type": "text/plain"}, "héllo world\n".encode())

    client, _ = client_over(monkeypatch, answer)
    async with client:
        for fmt in ("text", "srt", "vtt"):
            text = await client.audio.transcriptions.create(
                file=b"RIFF", model="whisper-1", response_format=fmt
            )
            assert "héllo world\n" == text
        translated = await client.audio.translations.create(
            file=b"RIFF", model="whisper-1", response_format="text"
        )
        assert "héllo world\n" == translated
        as_json = await client.audio.transcriptions.create(
            file=b"RIFF", model="whisper-1", response_format="json"
        )
    assert "hello world" == as_json.text  # type: ignore[union-attr]


async def test_a_file_content_as_text_is_a_str(monkeypatch: pytest.MonkeyPatch) -> None:
    client, _ = client_over(
        monkeypatch, lambda r: MockResponse(200, {"content-type": "application/octet-stream"}, b'{"a": 1}\n')
    )
    async with client:
        assert '{"a": 1}\n' == await client.files.retrieve_content("file-1")


async def test_a_streamed_error_event_is_an_event_not_an_exception(monkeypatch: pytest.MonkeyPatch) -> None:
    """As the official SDK: an `event: error` whose data has no `error` key is yielded as an event."""
    body = _sse(
        ("response.created", {"type": "response.created", "sequence_number": 0, "response": {"id": "r"}}),
        ("error", {"type": "error", "code": "x", "message": "boom", "param": None, "sequence_number": 1}),
    )
    client, _ = client_over(
        monkeypatch, lambda r: MockResponse(200, {"content-type": "text/event-stream"}, body)
    )
    async with client:
        stream = await client.responses.create(model="m", input="hi", stream=True)
        events = [event async for event in stream]
    assert ["response.created", "error"] == [e.type for e in events]
    assert "boom" == events[1].message  # type: ignore[union-attr]


async def test_beta_responses_retrieve_streams_with_stream_true(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[str] = []

    def answer(request: MockRequest) -> MockResponse:
        seen.append(request.target)
        event = {"type": "response.in_progress", "sequence_number": 3, "response": {"id": "r"}}
        return MockResponse(200, {"content-type": "text/event-stream"}, _sse(("response.in_progress", event)))

    client, _ = client_over(monkeypatch, answer)
    async with client:
        stream = await client.beta.responses.retrieve("resp_1", stream=True, starting_after=2)
        events = [event async for event in stream]
    assert [3] == [e.sequence_number for e in events]
    assert "/v1/responses/resp_1" == seen[0].partition("?")[0]
    assert {"stream=true", "starting_after=2"} <= set(seen[0].partition("?")[2].split("&"))


async def test_query_parameters_go_in_one_order(monkeypatch: pytest.MonkeyPatch) -> None:
    """Sorted by name, whatever the process's hash seed: the same call gives the same URL."""
    targets: list[str] = []

    def answer(request: MockRequest) -> MockResponse:
        targets.append(request.target)
        return MockResponse.json({"object": "list", "data": [], "has_more": False})

    client, _ = client_over(monkeypatch, answer)
    async with client:
        await client.beta.threads.runs.list("t", order="asc", limit=5, before="b", after="a")
    assert "/v1/threads/t/runs?after=a&before=b&limit=5&order=asc" == targets[0]


async def test_a_path_parameter_left_out_is_a_value_error_before_sending(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sent: list[MockRequest] = []

    def answer(request: MockRequest) -> MockResponse:
        sent.append(request)
        return MockResponse.json({})

    client, _ = client_over(monkeypatch, answer)
    async with client:
        with pytest.raises(ValueError, match="thread_id"):
            await client.beta.threads.runs.retrieve("run_1", thread_id=NOT_GIVEN)  # type: ignore[arg-type]
    assert [] == sent


async def test_an_upload_from_a_path_is_read_and_sent(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """On the async client a path is read off the event loop, then sent as the same form part."""
    bodies: list[bytes] = []

    def answer(request: MockRequest) -> MockResponse:
        bodies.append(request.content)
        return MockResponse.json(
            {
                "id": "file-1",
                "object": "file",
                "bytes": 7,
                "created_at": 1,
                "filename": "a.jsonl",
                "purpose": "batch",
            }
        )

    (tmp_path / "a.jsonl").write_bytes(b"payload")
    client, _ = client_over(monkeypatch, answer)
    async with client:
        created = await client.files.create(file=tmp_path / "a.jsonl", purpose="batch")
        await client.files.create(file=("named.jsonl", tmp_path / "a.jsonl"), purpose="batch")
    assert "file-1" == created.id
    assert b'filename="a.jsonl"' in bodies[0] and b"\r\n\r\npayload\r\n" in bodies[0]
    assert b'filename="named.jsonl"' in bodies[1] and b"\r\n\r\npayload\r\n" in bodies[1]


async def test_raw_views_offer_single_requests_only(monkeypatch: pytest.MonkeyPatch) -> None:
    client, _ = client_over(monkeypatch, lambda r: MockResponse.json({}))
    async with client:
        assert callable(client.files.with_raw_response.retrieve)
        with pytest.raises(AttributeError, match="wait_for_processing"):
            _ = client.files.with_raw_response.wait_for_processing
        with pytest.raises(AttributeError, match="create_and_poll"):
            _ = client.beta.threads.runs.with_streaming_response.create_and_poll


async def test_binary_text_is_decoded_across_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    text = "héllo wörld"
    client, _ = client_over(
        monkeypatch, lambda r: MockResponse(200, {"content-type": "application/octet-stream"}, text.encode())
    )
    async with client:
        content = await client.files.content("file-1")
    assert isinstance(content, BinaryContent)
    assert text == "".join(content.iter_text(2))
    assert text == "".join([chunk async for chunk in content.aiter_text(2)])
