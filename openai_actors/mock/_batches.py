"""``/v1/batches``: the mock really runs a batch, in a task on the server's loop.

Each line of the input file goes through the same handlers as a live request
(no network, no faults, no recording). Results land in an output file (status
< 400) and an error file (status >= 400, or a line that is not a valid Batch
API request), as on OpenAI. Without ``batch_delay`` a batch completes within
a few loop turns of its creation.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, Final

from ._common import (
    ApiError,
    Reply,
    Result,
    StreamReply,
    dumps,
    error_body,
    invalid_type,
    load_object,
    now,
    paginate,
    query_params,
    string,
)
from ._files import Files
from ._http import Request

__all__ = ["ENDPOINTS", "Batches"]

ENDPOINTS: Final = (
    "/v1/chat/completions",
    "/v1/completions",
    "/v1/embeddings",
    "/v1/responses",
    "/v1/moderations",
)
PREFIX: Final = "batch_"
MAX_STORED: Final = 10_000
_WINDOW_SECONDS: Final = 24 * 60 * 60
_JSON_HEADERS: Final = {"content-type": "application/json"}


class _Job:
    __slots__ = ("batch", "cancel")

    def __init__(self, batch: dict[str, Any]) -> None:
        self.batch = batch
        self.cancel = asyncio.Event()


class Batches:
    """The handlers and the runner.

    Batch objects change on the loop thread and are read by :meth:`snapshot`
    from any thread, so every change happens under a lock.
    """

    def __init__(
        self,
        files: Files,
        dispatch: Callable[[Request, int], Result],
        next_number: Callable[[], int],
        notify: Callable[[], None],
        delay: float = 0.0,
    ) -> None:
        self.delay = delay
        self._files = files
        self._dispatch = dispatch
        self._next_number = next_number
        self._notify = notify
        self._jobs: OrderedDict[str, _Job] = OrderedDict()
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._request_ids = itertools.count(1)
        self._tasks: set[asyncio.Task[None]] = set()

    # --- any thread ---------------------------------------------------------

    def snapshot(self, batch_id: str) -> dict[str, Any] | None:
        with self._lock:
            job = self._jobs.get(batch_id)
            return None if job is None else json.loads(json.dumps(job.batch))

    # --- loop thread --------------------------------------------------------

    async def aclose(self) -> None:
        """Stop running batches (at server shutdown)."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def create(self, request: Request, number: int) -> Reply:
        payload = load_object(request.body)
        input_file_id = string(payload, "input_file_id")
        endpoint = string(payload, "endpoint")
        window = string(payload, "completion_window")
        metadata = payload.get("metadata")
        if endpoint not in ENDPOINTS:
            raise ApiError(
                400,
                f"Invalid value for 'endpoint': {endpoint!r}; expected one of {', '.join(ENDPOINTS)}.",
                param="endpoint",
                code="invalid_value",
            )
        if window != "24h":
            raise ApiError(
                400,
                f"Invalid value for 'completion_window': {window!r}; only '24h' is supported.",
                param="completion_window",
                code="invalid_value",
            )
        if metadata is not None and not isinstance(metadata, dict):
            raise invalid_type("metadata", "an object", metadata)
        content = self._files.content(input_file_id)
        if content is None:
            raise ApiError(400, f"No such File object: {input_file_id}", param="input_file_id")
        created_at = now()
        batch_id = f"{PREFIX}{next(self._ids)}"
        batch: dict[str, Any] = {
            "id": batch_id,
            "object": "batch",
            "endpoint": endpoint,
            "errors": None,
            "input_file_id": input_file_id,
            "completion_window": window,
            "status": "validating",
            "output_file_id": None,
            "error_file_id": None,
            "created_at": created_at,
            "in_progress_at": None,
            "expires_at": created_at + _WINDOW_SECONDS,
            "finalizing_at": None,
            "completed_at": None,
            "failed_at": None,
            "expired_at": None,
            "cancelling_at": None,
            "cancelled_at": None,
            "request_counts": {"total": 0, "completed": 0, "failed": 0},
            "metadata": metadata,
        }
        job = _Job(batch)
        with self._lock:
            self._jobs[batch_id] = job
            reply = dumps(batch)
            while len(self._jobs) > MAX_STORED:
                self._jobs.popitem(last=False)
        # The input is read now: deleting the file later does not change the batch.
        task = asyncio.get_running_loop().create_task(self._run(job, content))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return 200, reply, None

    def retrieve(self, request: Request, number: int, batch_id: str) -> Reply:
        job = self._get(batch_id)
        with self._lock:
            return 200, dumps(job.batch), None

    def list_batches(self, request: Request, number: int) -> Reply:
        with self._lock:
            batches = [job.batch for job in self._jobs.values()]
            return paginate(
                batches, PREFIX, query_params(request), default_limit=20, max_limit=100, descending=True
            )

    def cancel(self, request: Request, number: int, batch_id: str) -> Reply:
        """Ask a running batch to stop: "cancelling" now, "cancelled" a moment
        later with the results so far. Cancelling a cancelled batch is a no-op;
        a finished one is a 409."""
        job = self._get(batch_id)
        status = job.batch["status"]
        if status in ("validating", "in_progress"):
            self._update(job, status="cancelling", cancelling_at=now())
            job.cancel.set()
        elif status not in ("cancelling", "cancelled"):
            raise ApiError(409, f"Cannot cancel a batch with status '{status}'.", code="invalid_state")
        return self.retrieve(request, number, batch_id)

    def _get(self, batch_id: str) -> _Job:
        job = self._jobs.get(batch_id)
        if job is None:
            raise ApiError(404, f"No batch found with id '{batch_id}'.", param="batch_id")
        return job

    def _update(self, job: _Job, **fields: Any) -> None:
        with self._lock:
            job.batch.update(fields)
        self._notify()

    # --- running ------------------------------------------------------------

    async def _run(self, job: _Job, content: bytes) -> None:
        lines = [line for line in content.split(b"\n") if line.strip()]
        await asyncio.sleep(0)
        if job.cancel.is_set():
            self._update(job, status="cancelled", cancelled_at=now())
            return
        if not lines:
            error = {"code": "empty_file", "message": "The input file is empty.", "param": None, "line": None}
            self._update(job, status="failed", failed_at=now(), errors={"object": "list", "data": [error]})
            return
        counts = {"total": len(lines), "completed": 0, "failed": 0}
        self._update(job, status="in_progress", in_progress_at=now(), request_counts=dict(counts))
        outputs: list[bytes] = []
        failures: list[bytes] = []
        seen: set[str] = set()
        endpoint = job.batch["endpoint"]
        for line_number, line in enumerate(lines, 1):
            # A loop turn per line at least, so the server keeps serving, and a
            # cancel is noticed, while a big batch runs.
            if self.delay > 0:
                try:
                    await asyncio.wait_for(job.cancel.wait(), self.delay)
                except TimeoutError:
                    pass
            else:
                await asyncio.sleep(0)
            if job.cancel.is_set():
                break
            ok, result = self._run_line(line, line_number, endpoint, seen)
            (outputs if ok else failures).append(result)
            counts["completed" if ok else "failed"] += 1
            self._update(job, request_counts=dict(counts))
        cancelled = job.cancel.is_set()
        if not cancelled:
            self._update(job, status="finalizing", finalizing_at=now())
        batch_id = job.batch["id"]
        files = {
            "output_file_id": self._write(f"{batch_id}_output.jsonl", outputs),
            "error_file_id": self._write(f"{batch_id}_error.jsonl", failures),
        }
        if cancelled:
            self._update(job, status="cancelled", cancelled_at=now(), **files)
        else:
            self._update(job, status="completed", completed_at=now(), **files)

    def _write(self, filename: str, lines: list[bytes]) -> str | None:
        if not lines:
            return None
        file: dict[str, Any] = self._files.add(filename, "batch_output", b"".join(lines))
        return str(file["id"])

    def _run_line(self, line: bytes, line_number: int, endpoint: str, seen: set[str]) -> tuple[bool, bytes]:
        """Answer one input line; return (succeeded, its output line)."""
        request_id = f"batch_req_{next(self._request_ids)}"
        try:
            item = json.loads(line)
        except (ValueError, RecursionError):
            return False, _failed(
                request_id, None, "invalid_json_line", f"Line {line_number} is not valid JSON."
            )
        if not isinstance(item, dict):
            return False, _failed(
                request_id, None, "invalid_request", f"Line {line_number} is not a JSON object."
            )
        custom_id = item.get("custom_id")
        if not isinstance(custom_id, str):
            return False, _failed(
                request_id, None, "missing_custom_id", f"Line {line_number} has no string 'custom_id'."
            )
        if custom_id in seen:
            return False, _failed(
                request_id,
                custom_id,
                "duplicate_custom_id",
                f"Line {line_number} repeats custom_id {custom_id!r}.",
            )
        seen.add(custom_id)
        problem = _line_problem(item, line_number, endpoint)
        if problem is not None:
            return False, _failed(request_id, custom_id, *problem)
        number = self._next_number()
        status, body = self._answer(item["url"], item["body"], number)
        response = {"status_code": status, "request_id": f"req_{number}", "body": json.loads(body)}
        entry = {"id": request_id, "custom_id": custom_id, "response": response, "error": None}
        return status < 400, dumps(entry) + b"\n"

    def _answer(self, url: str, body: dict[str, Any], number: int) -> tuple[int, bytes]:
        if body.get("stream"):
            # Checked before dispatching: a streamed Responses call would store a response.
            message = "Streaming is not supported in the Batch API."
            return 400, error_body(message, "invalid_request_error", "stream", "invalid_value")
        request = Request("POST", url, "", dict(_JSON_HEADERS), True, False)
        request.body = dumps(body)
        try:
            result = self._dispatch(request, number)
        except Exception as error:  # a bug in the mock: a 500 line, not a dead batch
            return 500, error_body(f"Mock server error: {error!r}", "server_error")
        if isinstance(result, StreamReply):
            return 400, error_body("Streaming is not supported in the Batch API.", "invalid_request_error")
        status, reply, _ = result
        return status, reply


def _line_problem(item: dict[str, Any], line_number: int, endpoint: str) -> tuple[str, str] | None:
    """What makes a line with a custom_id unrunnable: (error code, message), or None."""
    if item.get("method") != "POST":
        return "invalid_method", f"Line {line_number}: 'method' must be 'POST'."
    if item.get("url") != endpoint:
        return (
            "mismatched_endpoint",
            f"Line {line_number}: 'url' {item.get('url')!r} does not match the batch's endpoint {endpoint!r}.",
        )
    if not isinstance(item.get("body"), dict):
        return "invalid_body", f"Line {line_number}: 'body' must be a JSON object."
    return None


def _failed(request_id: str, custom_id: str | None, code: str, message: str) -> bytes:
    entry = {
        "id": request_id,
        "custom_id": custom_id,
        "response": None,
        "error": {"code": code, "message": message},
    }
    return dumps(entry) + b"\n"
