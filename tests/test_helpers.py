"""The hand-written helpers (openai_actors/_helpers): polling, concurrent and chunked uploads.

Two harnesses. The mock server, over real sockets, answers every route with a
sample whose status is already final: each helper runs end to end on the sync
client and on asyncio and trio, and the polls carry the helper headers. The
scripted transport (tests/scripted.py) answers in memory, as an API whose
objects go through the statuses a test gives them, with or without an
`openai-poll-after-ms` header: there the async clients run on a fake clock
(tests/virtual_time.py), so the waits between polls are exact and cost
nothing, and the sync client's waits go to a fake `time` that records them.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import anyio
import pytest

from openai_actors import NOT_GIVEN, AsyncOpenAI, BadRequestError, OpenAI
from openai_actors._helpers import _polling
from openai_actors._mock_transport import MockRequest, MockResponse, MockTransport
from openai_actors.mock import MockServer
from openai_actors.mock._multipart import boundary_of, parse
from openai_actors.types.beta.threads.run_submit_tool_outputs_params import ToolOutput

from .scripted import client_over
from .virtual_time import fake_clock_backend

pytestmark = pytest.mark.timeout(60)

RUN_TERMINAL = ["requires_action", "cancelled", "completed", "failed", "expired", "incomplete"]


# --- an API in memory ----------------------------------------------------------------------------


def run_body(status: str) -> dict[str, Any]:
    return {
        "id": "run_1",
        "object": "thread.run",
        "created_at": 1,
        "thread_id": "thread_1",
        "assistant_id": "asst_1",
        "status": status,
        "model": "gpt-4o",
        "instructions": "",
        "tools": [],
    }


def vector_store_file_body(status: str) -> dict[str, Any]:
    return {
        "id": "file-1",
        "object": "vector_store.file",
        "created_at": 1,
        "vector_store_id": "vs_1",
        "status": status,
        "usage_bytes": 0,
        "last_error": None,
    }


def batch_body(in_progress: int) -> dict[str, Any]:
    return {
        "id": "vsfb_1",
        "object": "vector_store.files_batch",
        "created_at": 1,
        "vector_store_id": "vs_1",
        "status": "in_progress" if in_progress else "completed",
        "file_counts": {
            "in_progress": in_progress,
            "completed": 2 - min(in_progress, 2),
            "failed": 0,
            "cancelled": 0,
            "total": 2,
        },
    }


def video_body(status: str) -> dict[str, Any]:
    return {"id": "video_1", "object": "video", "created_at": 1, "status": status, "model": "sora-2"}


def file_body(status: str, file_id: str = "file-1") -> dict[str, Any]:
    return {
        "id": file_id,
        "object": "file",
        "bytes": 1,
        "created_at": 1,
        "filename": "f.txt",
        "purpose": "assistants",
        "status": status,
    }


# What a GET of each polled object answers, from the status the script is at.
POLLED: list[tuple[str, Callable[[Any], dict[str, Any]]]] = [
    (r"threads/[^/]+/runs/[^/]+", run_body),
    (r"vector_stores/[^/]+/files/[^/]+", vector_store_file_body),
    (r"vector_stores/[^/]+/file_batches/[^/]+", batch_body),
    (r"videos/[^/]+", video_body),
    (r"files/[^/]+", file_body),
]


# What a POST that creates each polled object answers.
CREATED: list[tuple[str, Callable[[], dict[str, Any]]]] = [
    (r"threads/runs|threads/[^/]+/runs(/[^/]+/submit_tool_outputs)?", lambda: run_body("queued")),
    (r"vector_stores/[^/]+/files", lambda: vector_store_file_body("in_progress")),
    (r"vector_stores/[^/]+/file_batches", lambda: batch_body(2)),
    (r"videos", lambda: video_body("queued")),
]


def form(request: MockRequest) -> dict[str, bytes]:
    """The multipart fields of a request, by name."""
    return {
        part.name: part.data for part in parse(request.content, boundary_of(request.headers["content-type"]))
    }


class FakeAPI:
    """Answers the helpers' routes in memory.

    Every object polled goes through `statuses`, one per GET (the last one
    repeated), each answer with the `poll_after` header of the same index (none
    when missing or None). It records every request, the polls with the time
    each arrived, the contents uploaded to /files and the parts sent. Uploads
    whose contents are in `refuse` get a 400. With `barrier` set, each upload
    waits until that many are in flight at once (so a test knows they ran
    together), and `peak` says how many ever were.
    """

    def __init__(
        self,
        clock: Callable[[], float],
        statuses: Sequence[Any] = ("completed",),
        poll_after: Sequence[str | None] = (),
    ) -> None:
        self.clock = clock
        self.statuses = list(statuses)
        self.poll_after = list(poll_after)
        self.requests: list[MockRequest] = []
        self.polls: list[tuple[float, MockRequest]] = []
        self.uploaded: list[bytes] = []
        self.parts: list[bytes] = []
        self.refuse: set[bytes] = set()
        self.barrier = 0
        self.peak = 0
        self._in_flight = 0
        self._all_in: anyio.Event | None = None

    async def __call__(self, request: MockRequest) -> MockResponse:
        self.requests.append(request)
        path = request.path.removeprefix("/v1/")
        if request.method == "GET":
            for pattern, body in POLLED:
                if re.fullmatch(pattern, path):
                    return self._poll(request, body)
        elif request.method == "POST":
            return await self._post(request, path)
        return MockResponse.json({"error": {"message": f"no route {request.method} {path}"}}, 404)

    def _poll(self, request: MockRequest, body: Callable[[Any], dict[str, Any]]) -> MockResponse:
        index = len(self.polls)
        self.polls.append((self.clock(), request))
        status = self.statuses[min(index, len(self.statuses) - 1)]
        after = self.poll_after[index] if index < len(self.poll_after) else None
        return MockResponse.json(body(status), headers={"openai-poll-after-ms": after} if after else {})

    async def _post(self, request: MockRequest, path: str) -> MockResponse:
        if path == "files":
            return await self._upload(request)
        if re.fullmatch(r"uploads/[^/]+/parts", path):
            self.parts.append(form(request)["data"])
            return MockResponse.json(
                {"id": f"part_{len(self.parts)}", "object": "upload.part", "upload_id": "upload_1"}
            )
        if re.fullmatch(r"uploads/[^/]+/complete", path):
            return MockResponse.json({**self.upload(), "status": "completed"})
        if path == "uploads":
            return MockResponse.json(self.upload())
        for pattern, body in CREATED:
            if re.fullmatch(pattern, path):
                return MockResponse.json(body())
        return MockResponse.json({"error": {"message": f"no route POST {path}"}}, 404)

    async def _upload(self, request: MockRequest) -> MockResponse:
        content = form(request)["file"]
        if self.barrier:
            if self._all_in is None:
                self._all_in = anyio.Event()
            self._in_flight += 1
            self.peak = max(self.peak, self._in_flight)
            if self._in_flight >= self.barrier:
                self._all_in.set()
            try:
                with anyio.fail_after(10):
                    await self._all_in.wait()
            finally:
                self._in_flight -= 1
        if content in self.refuse:
            return MockResponse.json({"error": {"message": "bad file", "type": "invalid_request_error"}}, 400)
        self.uploaded.append(content)
        return MockResponse.json(file_body("uploaded", f"file-{content.decode()}"))

    @staticmethod
    def upload() -> dict[str, Any]:
        return {
            "id": "upload_1",
            "object": "upload",
            "bytes": 0,
            "created_at": 1,
            "filename": "f",
            "purpose": "assistants",
            "status": "pending",
            "expires_at": 2,
        }

    def sent(self, method: str, pattern: str) -> list[MockRequest]:
        """The requests to paths matching `pattern` (after /v1/)."""
        return [
            r
            for r in self.requests
            if r.method == method and re.fullmatch(pattern, r.path.removeprefix("/v1/"))
        ]

    def gaps(self, start: float) -> list[float]:
        """From `start` to the first poll, then between each poll and the next."""
        times = [start] + [t for t, _ in self.polls]
        return [round(b - a, 6) for a, b in itertools.pairwise(times)]


def sync_client_over(
    monkeypatch: pytest.MonkeyPatch, handler: FakeAPI, **options: Any
) -> tuple[OpenAI, MockTransport]:
    """An OpenAI whose requests `handler` answers in memory (as tests/scripted.py's client_over)."""
    from openai_actors import _client

    transport = MockTransport(handler)
    with monkeypatch.context() as patch:
        patch.setattr(_client, "_native_or_httpx", lambda *args, **kwargs: transport)
        client = OpenAI(api_key="sk-test", base_url="http://mock.test/v1", **options)
    return client, transport


class FakeTime:
    """Stands for the `time` module in openai_actors._helpers._polling: sleeps are recorded, not slept."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def monotonic(self) -> float:
        return self.now


@pytest.fixture
def fake_time(monkeypatch: pytest.MonkeyPatch) -> FakeTime:
    fake = FakeTime()
    monkeypatch.setattr(_polling, "time", fake)
    return fake


OPTIONS: dict[str, Any] = {"max_retries": 0, "rate_limit": None}


# --- the async clients, scripted, on a fake clock -------------------------------------------------


def now() -> float:
    return anyio.current_time()


@pytest.mark.anyio
class TestAsyncPolling:
    @pytest.fixture(params=["asyncio", "trio"])
    def anyio_backend(self, request: pytest.FixtureRequest) -> tuple[str, dict[str, Any]]:
        return fake_clock_backend(request)

    def api(self, monkeypatch: pytest.MonkeyPatch, *args: Any) -> tuple[FakeAPI, AsyncOpenAI]:
        api = FakeAPI(now, *args)
        client, _ = client_over(monkeypatch, api, **OPTIONS)
        return api, client

    async def test_a_run_is_polled_until_it_completes_a_second_apart(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """No interval from the caller or the server: one second between polls, the first at once."""
        api, client = self.api(monkeypatch, ["queued", "in_progress", "cancelling", "completed"])
        async with client:
            start = now()
            run = await client.beta.threads.runs.create_and_poll(thread_id="thread_1", assistant_id="asst_1")
        assert "completed" == run.status
        assert [0.0, 1.0, 1.0, 1.0] == api.gaps(start)
        created = api.sent("POST", "threads/thread_1/runs")
        assert [{"assistant_id": "asst_1", "stream": False}] == [r.json() for r in created]
        assert {"threads/thread_1/runs/run_1"} == {r.path.removeprefix("/v1/") for _, r in api.polls}
        assert all("true" == r.headers["x-stainless-poll-helper"] for _, r in api.polls)
        assert all("x-stainless-custom-poll-interval" not in r.headers for _, r in api.polls)

    @pytest.mark.parametrize("terminal", RUN_TERMINAL)
    async def test_a_run_stops_at_each_terminal_state(
        self, monkeypatch: pytest.MonkeyPatch, terminal: str
    ) -> None:
        api, client = self.api(monkeypatch, ["in_progress", terminal, "completed"])
        async with client:
            run = await client.beta.threads.runs.poll("run_1", "thread_1")
        assert terminal == run.status
        assert 2 == len(api.polls)

    async def test_the_poll_after_header_sets_each_wait(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Each answer's own header: 250 ms, then 2 s, then (none) the default second."""
        api, client = self.api(
            monkeypatch, ["queued", "in_progress", "in_progress", "completed"], ["250", "2000", None]
        )
        async with client:
            start = now()
            run = await client.beta.threads.runs.poll("run_1", "thread_1")
        assert "completed" == run.status
        assert [0.0, 0.25, 2.0, 1.0] == api.gaps(start)

    async def test_the_callers_interval_wins_over_the_header_and_is_sent(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        api, client = self.api(monkeypatch, ["in_progress", "in_progress", "completed"], ["5000", "5000"])
        async with client:
            start = now()
            await client.beta.threads.runs.poll("run_1", "thread_1", poll_interval_ms=300)
        assert [0.0, 0.3, 0.3] == api.gaps(start)
        assert all("300" == r.headers["x-stainless-custom-poll-interval"] for _, r in api.polls)

    async def test_the_request_options_reach_every_poll(self, monkeypatch: pytest.MonkeyPatch) -> None:
        api, client = self.api(monkeypatch, ["in_progress", "completed"])
        async with client:
            await client.beta.threads.runs.create_and_poll(
                thread_id="thread_1",
                assistant_id="asst_1",
                extra_headers={"x-team": "a"},
                extra_query={"trace": "1"},
                poll_interval_ms=10,
            )
        assert 2 == len(api.polls)
        for request in [*api.sent("POST", "threads/thread_1/runs"), *(r for _, r in api.polls)]:
            assert "a" == request.headers["x-team"]
            assert request.target.endswith("?trace=1")

    async def test_create_and_run_poll_polls_the_run_of_the_new_thread(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        api, client = self.api(monkeypatch, ["in_progress", "requires_action"], ["100"])
        async with client:
            start = now()
            run = await client.beta.threads.create_and_run_poll(
                assistant_id="asst_1", thread={"messages": [{"role": "user", "content": "hi"}]}
            )
        assert "requires_action" == run.status
        assert [0.0, 0.1] == api.gaps(start)
        body = api.sent("POST", "threads/runs")[0].json()
        assert (False, "asst_1") == (body["stream"], body["assistant_id"])
        assert {"threads/thread_1/runs/run_1"} == {r.path.removeprefix("/v1/") for _, r in api.polls}

    async def test_submit_tool_outputs_and_poll(self, monkeypatch: pytest.MonkeyPatch) -> None:
        api, client = self.api(monkeypatch, ["in_progress", "in_progress", "completed"])
        outputs: list[ToolOutput] = [{"tool_call_id": "call_1", "output": "42"}]
        async with client:
            run = await client.beta.threads.runs.submit_tool_outputs_and_poll(
                run_id="run_1", thread_id="thread_1", tool_outputs=outputs, poll_interval_ms=50
            )
        assert "completed" == run.status
        sent = api.sent("POST", "threads/thread_1/runs/run_1/submit_tool_outputs")
        assert [{"tool_outputs": outputs, "stream": False}] == [r.json() for r in sent]
        assert 3 == len(api.polls)

    async def test_a_vector_store_file_is_polled_while_in_progress(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        api, client = self.api(monkeypatch, ["in_progress", "in_progress", "failed"], ["1500"])
        async with client:
            start = now()
            file = await client.vector_stores.files.create_and_poll(
                "file-1", vector_store_id="vs_1", chunking_strategy={"type": "auto"}
            )
        assert "failed" == file.status  # failed is final too: the caller reads last_error
        assert [0.0, 1.5, 1.0] == api.gaps(start)
        sent = api.sent("POST", "vector_stores/vs_1/files")
        assert [{"file_id": "file-1", "chunking_strategy": {"type": "auto"}}] == [r.json() for r in sent]
        assert {"vector_stores/vs_1/files/file-1"} == {r.path.removeprefix("/v1/") for _, r in api.polls}

    async def test_vector_store_file_upload_and_upload_and_poll(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        api, client = self.api(monkeypatch, ["in_progress", "completed"])
        async with client:
            attached = await client.vector_stores.files.upload(vector_store_id="vs_1", file=("a.txt", b"a"))
            assert [] == api.polls  # upload does not wait
            done = await client.vector_stores.files.upload_and_poll(
                vector_store_id="vs_1", file=("b.txt", b"b"), attributes={"k": "v"}, poll_interval_ms=10
            )
        assert ("in_progress", "completed") == (attached.status, done.status)
        assert [b"a", b"b"] == api.uploaded
        assert [b"assistants", b"assistants"] == [form(r)["purpose"] for r in api.sent("POST", "files")]
        assert [{"file_id": "file-a"}, {"file_id": "file-b", "attributes": {"k": "v"}}] == [
            r.json() for r in api.sent("POST", "vector_stores/vs_1/files")
        ]
        assert {"vector_stores/vs_1/files/file-b"} == {r.path.removeprefix("/v1/") for _, r in api.polls}

    async def test_a_file_batch_is_polled_until_no_file_is_in_progress(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        api, client = self.api(monkeypatch, [2, 1, 0], ["400", "600"])
        async with client:
            start = now()
            batch = await client.vector_stores.file_batches.create_and_poll("vs_1", file_ids=["f1", "f2"])
        assert (0, 2) == (batch.file_counts.in_progress, batch.file_counts.completed)
        assert [0.0, 0.4, 0.6] == api.gaps(start)
        assert [{"file_ids": ["f1", "f2"]}] == [
            r.json() for r in api.sent("POST", "vector_stores/vs_1/file_batches")
        ]
        assert {"vector_stores/vs_1/file_batches/vsfb_1"} == {
            r.path.removeprefix("/v1/") for _, r in api.polls
        }

    async def test_upload_and_poll_uploads_max_concurrency_at_once_then_batches_them(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        api, client = self.api(monkeypatch, [1, 0])
        api.barrier = 3  # each upload waits until three are in flight: they must run together
        files = [(f"{i}.txt", str(i).encode()) for i in range(7)]
        async with client:
            batch = await client.vector_stores.file_batches.upload_and_poll(
                "vs_1", files=iter(files), max_concurrency=3, file_ids=["old"], poll_interval_ms=10
            )
        assert 0 == batch.file_counts.in_progress
        assert 3 == api.peak
        assert sorted(str(i).encode() for i in range(7)) == sorted(api.uploaded)
        # The files' ids in the order the files were given, after those uploaded before.
        [created] = api.sent("POST", "vector_stores/vs_1/file_batches")
        assert {"file_ids": ["old", *(f"file-{i}" for i in range(7))]} == created.json()
        assert 2 == len(api.polls)

    async def test_a_failed_upload_raises_its_own_error_and_nothing_is_batched(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        api, client = self.api(monkeypatch)
        api.refuse = {b"1"}
        async with client:
            with pytest.raises(BadRequestError, match="bad file"):
                await client.vector_stores.file_batches.upload_and_poll(
                    "vs_1", files=[("0.txt", b"0"), ("1.txt", b"1"), ("2.txt", b"2")], max_concurrency=1
                )
        assert [b"0"] == api.uploaded
        assert 2 == len(api.sent("POST", "files"))  # the third was never sent
        assert [] == api.sent("POST", "vector_stores/vs_1/file_batches")

    async def test_max_concurrency_below_one_is_refused(self, monkeypatch: pytest.MonkeyPatch) -> None:
        api, client = self.api(monkeypatch)
        async with client:
            with pytest.raises(ValueError, match="max_concurrency"):
                await client.vector_stores.file_batches.upload_and_poll(
                    "vs_1", files=[b"x"], max_concurrency=0
                )
        assert [] == api.requests

    async def test_a_video_is_polled_while_queued_or_in_progress(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        api, client = self.api(monkeypatch, ["queued", "in_progress", "in_progress", "completed"], ["3000"])
        async with client:
            start = now()
            video = await client.videos.create_and_poll(prompt="a cat", seconds="4")
        assert "completed" == video.status
        assert [0.0, 3.0, 1.0, 1.0] == api.gaps(start)
        assert {"prompt": b"a cat", "seconds": b"4"} == form(api.sent("POST", "videos")[0])
        assert {"videos/video_1"} == {r.path.removeprefix("/v1/") for _, r in api.polls}

    async def test_wait_for_processing_polls_every_poll_interval(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        api, client = self.api(monkeypatch, ["uploaded", "uploaded", "processed"])
        async with client:
            start = now()
            file = await client.files.wait_for_processing("file-1", poll_interval=2)
        assert "processed" == file.status
        assert [0.0, 2.0, 2.0] == api.gaps(start)

    async def test_wait_for_processing_gives_up_after_max_wait_seconds(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        api, client = self.api(monkeypatch, ["uploaded"])
        async with client:
            start = now()
            with pytest.raises(RuntimeError, match="file-1 to finish processing after 5 seconds"):
                await client.files.wait_for_processing("file-1", poll_interval=2, max_wait_seconds=5)
        assert [0.0, 2.0, 2.0, 2.0] == api.gaps(start)  # 6 s in: past 5, no more polls

    async def test_upload_file_chunked_from_bytes(self, monkeypatch: pytest.MonkeyPatch) -> None:
        api, client = self.api(monkeypatch)
        data = b"0123456789"
        async with client:
            upload = await client.uploads.upload_file_chunked(
                file=data,
                filename="digits.txt",
                bytes=len(data),
                mime_type="text/plain",
                purpose="batch",
                part_size=4,
            )
        assert "completed" == upload.status
        assert [b"0123", b"4567", b"89"] == api.parts
        [created] = api.sent("POST", "uploads")
        assert {
            "filename": "digits.txt",
            "bytes": 10,
            "mime_type": "text/plain",
            "purpose": "batch",
        } == created.json()
        [completed] = api.sent("POST", "uploads/upload_1/complete")
        assert {"part_ids": ["part_1", "part_2", "part_3"]} == completed.json()
        # Create, the parts one after another, complete.
        assert ["uploads", "parts", "parts", "parts", "complete"] == [
            r.path.rsplit("/")[-1] for r in api.requests
        ]

    async def test_upload_file_chunked_from_a_path(
        self, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
    ) -> None:
        api, client = self.api(monkeypatch)
        path = tmp_path / "paper.pdf"
        path.write_bytes(b"abcdefghi")
        async with client:
            await client.uploads.upload_file_chunked(
                file=path, mime_type="application/pdf", purpose="assistants", part_size=4, md5="d41d8"
            )
        assert [b"abcd", b"efgh", b"i"] == api.parts
        [created] = api.sent("POST", "uploads")
        assert {"filename": "paper.pdf", "bytes": 9} == {k: created.json()[k] for k in ("filename", "bytes")}
        [completed] = api.sent("POST", "uploads/upload_1/complete")
        assert {"part_ids": ["part_1", "part_2", "part_3"], "md5": "d41d8"} == completed.json()

    async def test_upload_file_chunked_refuses_bytes_without_filename_or_size(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        api, client = self.api(monkeypatch)
        async with client:
            with pytest.raises(TypeError, match="`filename`"):
                await client.uploads.upload_file_chunked(  # type: ignore[call-overload]
                    file=b"x", bytes=1, mime_type="text/plain", purpose="batch"
                )
            with pytest.raises(TypeError, match="`bytes`"):
                await client.uploads.upload_file_chunked(  # type: ignore[call-overload]
                    file=b"x", filename="x", mime_type="text/plain", purpose="batch"
                )
            with pytest.raises(ValueError, match="part_size"):
                await client.uploads.upload_file_chunked(
                    file=b"x", filename="x", bytes=1, mime_type="text/plain", purpose="batch", part_size=0
                )
        assert [] == api.requests


# --- the sync client, scripted, its waits recorded -------------------------------------------------


class TestSyncPolling:
    def api(self, monkeypatch: pytest.MonkeyPatch, *args: Any) -> tuple[FakeAPI, OpenAI]:
        import time

        api = FakeAPI(time.monotonic, *args)
        client, _ = sync_client_over(monkeypatch, api, **OPTIONS)
        return api, client

    def test_a_run_is_polled_until_it_completes(
        self, monkeypatch: pytest.MonkeyPatch, fake_time: FakeTime
    ) -> None:
        api, client = self.api(monkeypatch, ["queued", "in_progress", "completed"])
        with client:
            run = client.beta.threads.runs.create_and_poll(thread_id="thread_1", assistant_id="asst_1")
        assert "completed" == run.status
        assert [1.0, 1.0] == fake_time.sleeps
        assert 3 == len(api.polls)

    def test_the_poll_after_header_sets_each_wait(
        self, monkeypatch: pytest.MonkeyPatch, fake_time: FakeTime
    ) -> None:
        _, client = self.api(
            monkeypatch, ["in_progress", "in_progress", "in_progress", "requires_action"], ["250", "2000"]
        )
        with client:
            run = client.beta.threads.runs.poll("run_1", "thread_1", poll_interval_ms=NOT_GIVEN)  # type: ignore[arg-type]
        assert "requires_action" == run.status
        assert [0.25, 2.0, 1.0] == fake_time.sleeps

    def test_a_malformed_header_means_the_default_wait(
        self, monkeypatch: pytest.MonkeyPatch, fake_time: FakeTime
    ) -> None:
        """Not a number, not finite: one second; below zero: no wait."""
        _, client = self.api(monkeypatch, ["in_progress"] * 4 + ["completed"], ["soon", "inf", "-5", "1e3"])
        with client:
            client.videos.poll("video_1")
        assert [1.0, 1.0, 0.0, 1.0] == fake_time.sleeps

    def test_the_callers_interval_wins(self, monkeypatch: pytest.MonkeyPatch, fake_time: FakeTime) -> None:
        api, client = self.api(monkeypatch, ["in_progress", "completed"], ["9000"])
        with client:
            client.beta.threads.create_and_run_poll(assistant_id="asst_1", poll_interval_ms=20)
        assert [0.02] == fake_time.sleeps
        assert all("20" == r.headers["x-stainless-custom-poll-interval"] for _, r in api.polls)

    def test_submit_tool_outputs_and_poll(self, monkeypatch: pytest.MonkeyPatch, fake_time: FakeTime) -> None:
        api, client = self.api(monkeypatch, ["in_progress", "expired"])
        with client:
            run = client.beta.threads.runs.submit_tool_outputs_and_poll(
                run_id="run_1", thread_id="thread_1", tool_outputs=[{"tool_call_id": "c", "output": "o"}]
            )
        assert "expired" == run.status
        assert [1.0] == fake_time.sleeps
        assert 1 == len(api.sent("POST", "threads/thread_1/runs/run_1/submit_tool_outputs"))

    def test_vector_store_files(self, monkeypatch: pytest.MonkeyPatch, fake_time: FakeTime) -> None:
        api, client = self.api(monkeypatch, ["in_progress", "in_progress", "cancelled"], ["700"])
        with client:
            file = client.vector_stores.files.create_and_poll("file-1", vector_store_id="vs_1")
            attached = client.vector_stores.files.upload(vector_store_id="vs_1", file=("a.txt", b"a"))
            polled = client.vector_stores.files.upload_and_poll(vector_store_id="vs_1", file=("b.txt", b"b"))
        assert ("cancelled", "in_progress", "cancelled") == (file.status, attached.status, polled.status)
        assert [0.7, 1.0] == fake_time.sleeps
        assert [b"a", b"b"] == api.uploaded
        assert ["file-1", "file-a", "file-b"] == [
            r.json()["file_id"] for r in api.sent("POST", "vector_stores/vs_1/files")
        ]

    def test_file_batches(self, monkeypatch: pytest.MonkeyPatch, fake_time: FakeTime) -> None:
        api, client = self.api(monkeypatch, [2, 2, 0], ["100", "200"])
        api.barrier = 2
        with client:
            batch = client.vector_stores.file_batches.upload_and_poll(
                "vs_1",
                files=[("0.txt", b"0"), ("1.txt", b"1"), ("2.txt", b"2"), ("3.txt", b"3")],
                max_concurrency=2,
            )
        assert 0 == batch.file_counts.in_progress
        assert 2 == api.peak
        assert [0.1, 0.2] == fake_time.sleeps
        [created] = api.sent("POST", "vector_stores/vs_1/file_batches")
        assert {"file_ids": ["file-0", "file-1", "file-2", "file-3"]} == created.json()

    def test_a_failed_upload_raises_its_own_error(
        self, monkeypatch: pytest.MonkeyPatch, fake_time: FakeTime
    ) -> None:
        api, client = self.api(monkeypatch)
        api.refuse = {b"0"}
        with client, pytest.raises(BadRequestError, match="bad file"):
            client.vector_stores.file_batches.upload_and_poll("vs_1", files=[b"0", b"1"], max_concurrency=1)
        assert [] == api.sent("POST", "vector_stores/vs_1/file_batches")

    def test_videos(self, monkeypatch: pytest.MonkeyPatch, fake_time: FakeTime) -> None:
        _, client = self.api(monkeypatch, ["queued", "failed"], ["4000"])
        with client:
            video = client.videos.create_and_poll(prompt="a dog")
        assert "failed" == video.status
        assert [4.0] == fake_time.sleeps

    def test_wait_for_processing(self, monkeypatch: pytest.MonkeyPatch, fake_time: FakeTime) -> None:
        api, client = self.api(monkeypatch, ["uploaded", "error"])
        with client:
            assert "error" == client.files.wait_for_processing("file-1").status
            assert [5.0] == fake_time.sleeps
            api.statuses = ["uploaded"]
            with pytest.raises(RuntimeError, match="after 12 seconds"):
                client.files.wait_for_processing("file-1", poll_interval=5, max_wait_seconds=12)
        assert [5.0, 5.0, 5.0, 5.0] == fake_time.sleeps  # 15 s in: past 12, no more polls

    def test_upload_file_chunked_from_bytes_and_from_a_path(
        self, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
    ) -> None:
        api, client = self.api(monkeypatch)
        path = tmp_path / "data.jsonl"
        path.write_bytes(b"x" * 7)
        with client:
            client.uploads.upload_file_chunked(
                file=b"abcde", filename="a.txt", bytes=5, mime_type="text/plain", purpose="batch", part_size=2
            )
            client.uploads.upload_file_chunked(
                file=path, mime_type="application/jsonl", purpose="batch", part_size=3
            )
            client.uploads.upload_file_chunked(file=path, mime_type="application/jsonl", purpose="batch")
        assert [b"ab", b"cd", b"e", b"xxx", b"xxx", b"x", b"x" * 7] == api.parts
        assert [("a.txt", 5), ("data.jsonl", 7), ("data.jsonl", 7)] == [
            (r.json()["filename"], r.json()["bytes"]) for r in api.sent("POST", "uploads")
        ]
        assert [["part_1", "part_2", "part_3"], ["part_4", "part_5", "part_6"], ["part_7"]] == [
            r.json()["part_ids"] for r in api.sent("POST", "uploads/upload_1/complete")
        ]


# --- against the mock server, over sockets ---------------------------------------------------------


@pytest.fixture(scope="module")
def mock() -> Iterator[MockServer]:
    with MockServer() as server:
        yield server


def _polls_sent_helper_headers(mock: MockServer) -> None:
    polls = [r for r in mock.requests if r.method == "GET"]
    assert len(polls) >= 5
    assert all("true" == r.headers.get("x-stainless-poll-helper") for r in polls if "/files/" not in r.path)


def test_every_helper_against_the_mock_on_the_sync_client(mock: MockServer, tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_bytes(b"hello mock")
    mock.clear()
    with OpenAI(api_key="sk-test", base_url=mock.url, max_retries=0, timeout=10) as client:
        runs = client.beta.threads.runs
        assert "completed" == runs.create_and_poll(thread_id="thread_1", assistant_id="asst_1").status
        assert "completed" == runs.poll("run_1", "thread_1").status
        tool_outputs: list[ToolOutput] = [{"tool_call_id": "c", "output": "o"}]
        assert runs.submit_tool_outputs_and_poll(
            run_id="run_1", thread_id="thread_1", tool_outputs=tool_outputs
        )
        assert client.beta.threads.create_and_run_poll(assistant_id="asst_1").status in RUN_TERMINAL
        files = client.vector_stores.files
        assert "completed" == files.create_and_poll("file-1", vector_store_id="vs_1").status
        assert files.upload(vector_store_id="vs_1", file=path)
        assert "completed" == files.upload_and_poll(vector_store_id="vs_1", file=path).status
        batches = client.vector_stores.file_batches
        assert 0 == batches.create_and_poll("vs_1", file_ids=["f"]).file_counts.in_progress
        assert 0 == batches.upload_and_poll("vs_1", files=[path, ("b.txt", b"b")]).file_counts.in_progress
        assert "completed" == client.videos.create_and_poll(prompt="p").status
        uploaded = client.files.create(file=path, purpose="assistants")
        assert "processed" == client.files.wait_for_processing(uploaded.id).status
        assert client.uploads.upload_file_chunked(file=path, mime_type="text/plain", purpose="assistants")
    _polls_sent_helper_headers(mock)


@pytest.mark.anyio
async def test_every_helper_against_the_mock_on_the_async_client(mock: MockServer, tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_bytes(b"hello mock")
    mock.clear()
    async with AsyncOpenAI(api_key="sk-test", base_url=mock.url, max_retries=0, timeout=10) as client:
        runs = client.beta.threads.runs
        assert "completed" == (await runs.create_and_poll(thread_id="thread_1", assistant_id="asst_1")).status
        assert "completed" == (await runs.poll("run_1", "thread_1")).status
        tool_outputs: list[ToolOutput] = [{"tool_call_id": "c", "output": "o"}]
        assert await runs.submit_tool_outputs_and_poll(
            run_id="run_1", thread_id="thread_1", tool_outputs=tool_outputs
        )
        assert (await client.beta.threads.create_and_run_poll(assistant_id="asst_1")).status in RUN_TERMINAL
        files = client.vector_stores.files
        assert "completed" == (await files.create_and_poll("file-1", vector_store_id="vs_1")).status
        assert await files.upload(vector_store_id="vs_1", file=path)
        assert "completed" == (await files.upload_and_poll(vector_store_id="vs_1", file=path)).status
        batches = client.vector_stores.file_batches
        assert 0 == (await batches.create_and_poll("vs_1", file_ids=["f"])).file_counts.in_progress
        batch = await batches.upload_and_poll("vs_1", files=[path, ("b.txt", b"b")])
        assert 0 == batch.file_counts.in_progress
        assert "completed" == (await client.videos.create_and_poll(prompt="p")).status
        uploaded = await client.files.create(file=path, purpose="assistants")
        assert "processed" == (await client.files.wait_for_processing(uploaded.id)).status
        assert await client.uploads.upload_file_chunked(
            file=path, mime_type="text/plain", purpose="assistants"
        )
    _polls_sent_helper_headers(mock)
