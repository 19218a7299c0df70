"""`openai_actors.ray.process` on a real local Ray instance, against the bundled mock server.

One Ray instance for the module (it takes seconds to start), two logical CPUs;
the actors reserve none, so they never starve the tasks that read the dataset.
Ray runs each actor's async `__call__` on an asyncio loop of its own: trio has
no part here (the sans-IO journal is tested in test_ray_journal.py).
"""

from __future__ import annotations

import importlib.util
import json
import logging
import os
import signal
import subprocess
import sys
import threading
import warnings
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

if importlib.util.find_spec("ray") is None and not os.environ.get("CI"):
    # Locally only: in CI (CI set) the import below fails the run instead.
    pytest.skip('ray is not installed (pip install "openai-actors[ray]")', allow_module_level=True)

# Importing ray installs a LogRecord factory for the whole process, adding `_ray_timestamp_ns`
# to every record; the other test files read a record's extra attributes as its event's fields.
_record_factory = logging.getLogRecordFactory()
import ray
import ray.data

import openai_actors.ray
from openai_actors import RateLimit
from openai_actors._batch_cli import main as batch_main
from openai_actors._ray_journal import SUFFIX
from openai_actors.mock import Fault, MockServer

from ._redis import RedisServer
from .ray_driver import job, request_rows

logging.setLogRecordFactory(_record_factory)

ROOT = Path(__file__).resolve().parent.parent
# Rows an actor of `ray_driver.job` may have taken and not yet written: Ray runs one block at a
# time in an actor (its max_concurrency is 1), up to 4 of the block's batches (of 10 rows) at once.
IN_PROGRESS = 4 * 10
pytestmark = [
    pytest.mark.timeout(120),
    # Ray's DataContext warns about its own deprecated defaults when it is made.
    pytest.mark.filterwarnings("ignore::DeprecationWarning:ray.data.context"),
    # Small datasets on purpose: fewer blocks than actors is fine here.
    pytest.mark.filterwarnings("ignore:The minimum number of concurrent actors:UserWarning"),
]


@pytest.fixture(scope="module", autouse=True)
def ray_instance() -> Iterator[None]:
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # see pytestmark
        ray.data.DataContext.get_current().enable_progress_bars = False
    try:
        yield
    finally:
        ray.shutdown()
        logging.setLogRecordFactory(_record_factory)  # whatever ray.init() did to it


def run(
    server: MockServer, journal: Path, rows: list[dict[str, Any]], **options: Any
) -> list[dict[str, Any]]:
    dataset = ray.data.from_items(rows, override_num_blocks=min(4, len(rows)))
    options = {"api_key": "sk-test", "base_url": server.url, "concurrency": 2, **options}
    return openai_actors.ray.process(dataset, journal=str(journal), **options).take_all()


def sent(server: MockServer) -> Counter[str]:
    """How many times the server got each custom_id (the request rows' message is their custom_id)."""
    return Counter(
        r.json()["messages"][0]["content"] for r in server.requests if r.path == "/v1/chat/completions"
    )


def ids(count: int) -> list[str]:
    """The custom_ids of `request_rows(count)`, sorted."""
    return sorted(f"r{i}" for i in range(count))


def journal_lines(journal: Path) -> list[dict[str, Any]]:
    """The complete lines of every journal file."""
    lines = []
    for path in journal.glob(f"*{SUFFIX}"):
        for raw in path.read_bytes().splitlines(keepends=True):
            if raw.endswith(b"\n"):
                lines.append(json.loads(raw))
    return lines


def pid_of(journal_file: Path) -> int:
    """The pid of the worker that writes a journal file (named <host>-<pid>-<random>.jsonl)."""
    return int(journal_file.name.rsplit("-", 2)[1])


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


class TestRows:
    def test_every_row_is_answered_once_in_the_batch_output_format(
        self, server: MockServer, tmp_path: Path
    ) -> None:
        """Rows out are the Batch API output lines, as the journal holds them, one per custom_id."""
        rows = request_rows(40)
        out = run(server, tmp_path / "journal", rows)
        assert ids(40) == sorted(r["custom_id"] for r in out) == sorted(sent(server))
        assert 40 == sent(server).total()
        journal = {line["custom_id"]: line for line in journal_lines(tmp_path / "journal")}
        for row in out:
            assert ["id", "custom_id", "response", "error"] == list(row)
            assert journal[row["custom_id"]] == row
            assert 200 == row["response"]["status_code"]
            assert f"echo: {row['custom_id']}" == row["response"]["body"]["choices"][0]["message"]["content"]
            assert row["id"].startswith("batch_req_")
            assert row["error"] is None

    def test_one_actor_keeps_many_requests_in_flight(self, tmp_path: Path) -> None:
        """128 rows, one actor, answers after 1 s: all 128 reach the server before the first answer is due."""
        with MockServer(latency=1.0) as server:
            dataset = ray.data.from_items(request_rows(128), override_num_blocks=1)
            openai_actors.ray.process(
                dataset, journal=str(tmp_path), concurrency=1, api_key="sk-test", base_url=server.url
            ).materialize()
            received = sorted(r.received_at for r in server.requests)
        assert 128 == len(received)
        assert received[-1] - received[0] < 1.0

    def test_write_json_writes_the_batch_output_lines(self, server: MockServer, tmp_path: Path) -> None:
        """`write_json` of the rows gives the journal's lines: the Batch API output file, in pieces."""
        dataset = ray.data.from_items(request_rows(8), override_num_blocks=2)
        answers = openai_actors.ray.process(
            dataset, journal=str(tmp_path / "journal"), concurrency=1, api_key="sk-test", base_url=server.url
        )
        answers.write_json(str(tmp_path / "out"))
        written = [
            json.loads(line)
            for path in (tmp_path / "out").iterdir()
            for line in path.read_text().splitlines()
        ]
        key = lambda line: line["custom_id"]  # noqa: E731
        assert sorted(journal_lines(tmp_path / "journal"), key=key) == sorted(written, key=key)
        assert 8 == len(written)

    def test_the_journal_is_output_the_batch_command_takes_as_its_own(
        self, server: MockServer, tmp_path: Path
    ) -> None:
        """`openai-actors batch` on the same input, pointed at the journal's lines, finds nothing left to send."""
        rows = request_rows(12)
        run(server, tmp_path / "journal", rows)
        requests = tmp_path / "in.jsonl"
        requests.write_text("".join(json.dumps(row) + "\n" for row in rows))
        output = tmp_path / "out.jsonl"
        output.write_bytes(b"".join(p.read_bytes() for p in (tmp_path / "journal").glob(f"*{SUFFIX}")))
        before = len(server.requests)
        status = batch_main([str(requests), str(output), "--base-url", server.url, "--api-key", "sk-test"])
        assert 0 == status
        assert before == len(server.requests)

    def test_a_second_run_on_the_same_journal_sends_nothing(self, server: MockServer, tmp_path: Path) -> None:
        """The rerun answers every row from the journal, with the same rows."""
        rows = request_rows(30)
        first = run(server, tmp_path / "journal", rows)
        second = run(server, tmp_path / "journal", rows)
        assert 30 == len(server.requests)
        key = lambda row: row["custom_id"]  # noqa: E731
        assert sorted(first, key=key) == sorted(second, key=key)

    def test_failures_are_answers_unless_retried(self, server: MockServer, tmp_path: Path) -> None:
        """A row that failed (HTTP 400, not retried) is an error row; retry_failed=True sends just it again."""
        server.script(Fault(status=400))
        rows = request_rows(6)
        first = run(server, tmp_path / "journal", rows, concurrency=1, max_in_flight=1)
        failed = [row for row in first if row["response"]["status_code"] == 400]
        assert 1 == len(failed)
        assert "error" in failed[0]["response"]["body"]
        run(server, tmp_path / "journal", rows)
        assert 6 == len(server.requests)
        again = run(server, tmp_path / "journal", rows, retry_failed=True)
        assert 7 == len(server.requests)
        assert 2 == sent(server)[failed[0]["custom_id"]]
        assert all(row["response"]["status_code"] == 200 for row in again)

    def test_a_job_whose_first_answers_all_fail_for_one_lasting_cause_stops_recording_none(
        self, server: MockServer, tmp_path: Path
    ) -> None:
        """As the batch command's fast fail: ten HTTP 401s in a row stop the job; the journal keeps none."""
        server.script(*[Fault(status=401)] * 10)
        with pytest.raises(
            Exception, match=r"the first 10 answers all failed: the API key was refused \(HTTP 401\)"
        ):
            run(server, tmp_path / "journal", request_rows(30), concurrency=1, max_in_flight=1)
        assert [] == journal_lines(tmp_path / "journal")
        out = run(server, tmp_path / "journal", request_rows(30))
        assert all(200 == row["response"]["status_code"] for row in out)
        assert 30 == len(out)

    def test_keep_going_records_lasting_failures_as_answers(self, server: MockServer, tmp_path: Path) -> None:
        server.script(*[Fault(status=401)] * 10)
        out = run(
            server, tmp_path / "journal", request_rows(12), concurrency=1, max_in_flight=1, keep_going=True
        )
        assert 10 == sum(row["response"]["status_code"] == 401 for row in out)
        assert 12 == len(journal_lines(tmp_path / "journal"))

    def test_invalid_rows_become_error_rows_and_are_never_sent(
        self, server: MockServer, tmp_path: Path
    ) -> None:
        """A row the Batch API would refuse is answered by an error naming what is wrong."""
        rows: list[dict[str, Any]] = [
            *request_rows(2),
            {"custom_id": "get", "method": "GET", "url": "/v1/chat/completions", "body": {"model": "m"}},
            {"custom_id": "where", "method": "POST", "url": "/v1/nowhere", "body": {"model": "m"}},
            {"custom_id": "text", "method": "POST", "url": "/v1/chat/completions", "body": "not json"},
        ]
        # Bodies as JSON text (one column type for Arrow); a body that is not JSON stays as it is.
        rows = [
            {**row, "body": row["body"] if isinstance(row["body"], str) else json.dumps(row["body"])}
            for row in rows
        ]
        out = {row["custom_id"]: row for row in run(server, tmp_path / "journal", rows)}
        assert 2 == len(server.requests)
        assert ("invalid_method", "invalid_url", "invalid_body") == tuple(
            out[c]["error"]["code"] for c in ("get", "where", "text")
        )
        assert "'method' must be \"POST\", not 'GET'" in out["get"]["error"]["message"]
        assert all(out[c]["response"] is None for c in ("get", "where", "text"))
        assert {"r0", "r1"} == {line["custom_id"] for line in journal_lines(tmp_path / "journal")}

    def test_read_requests_sends_each_body_exactly_as_written(
        self, server: MockServer, tmp_path: Path
    ) -> None:
        """Bodies of different shapes in one file reach the server as written: no key of another body added."""
        bodies = [
            {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "a"}], "max_tokens": 5},
            {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "b", "name": "n"}], "seed": 1},
        ]
        path = tmp_path / "in.jsonl"
        path.write_text(
            "".join(
                json.dumps(
                    {"custom_id": f"c{i}", "method": "POST", "url": "/v1/chat/completions", "body": body}
                )
                + "\n"
                for i, body in enumerate(bodies)
            )
            + "not json\n"
        )
        dataset = openai_actors.ray.read_requests(str(path))
        out = openai_actors.ray.process(
            dataset, journal=str(tmp_path / "journal"), concurrency=1, api_key="sk-test", base_url=server.url
        ).take_all()
        received = sorted((r.json() for r in server.requests), key=lambda b: b["messages"][0]["content"])
        assert bodies == received
        assert ["c0", "c1", None] == [row["custom_id"] for row in out]
        assert "missing_custom_id" == out[2]["error"]["code"]
        assert 2 == len(server.requests)

    def test_actors_keep_together_to_one_limit_shared_through_redis(
        self, server: MockServer, tmp_path: Path, redis_server: RedisServer, shared_key: str
    ) -> None:
        """RateLimit(shared=SharedLimits(...)) pickles to every actor, and the two keep to it together.

        600/min is 10/s together, where two actors pacing at 600/min each
        (nothing shared) would send 20/s.
        """
        from openai_actors import SharedLimits

        limit = RateLimit(requests_per_minute=600, shared=SharedLimits(redis_server.url, key=shared_key))
        out = run(server, tmp_path / "journal", request_rows(40), rate_limit=limit)
        assert 40 == len(out) == len(server.requests)
        received = sorted(r.received_at for r in server.requests)
        # The last 30 at 10/s span 2.9 s (2 actors at 10/s each: 1.45 s). Not the first 10: the
        # first lease is spent at once.
        assert received[-1] - received[-30] >= 2.5
        assert redis_server.client().keys(f"*{shared_key}*")  # type: ignore[attr-defined]

    def test_the_rate_limit_reaches_the_actors(self, server: MockServer, tmp_path: Path) -> None:
        """A RateLimit is pickled to every actor: a request over its token limit fails there, unsent."""
        out = run(server, tmp_path / "journal", request_rows(3), rate_limit=RateLimit(tokens_per_minute=10))
        assert {"request_too_large"} == {row["error"]["code"] for row in out}
        assert 0 == len(server.requests)


class TestFindDuplicates:
    def test_repeated_custom_ids_are_named_with_their_counts(self) -> None:
        """Only the repeated ids, each with its count (one shuffle costs seconds here: one test)."""
        rows = [*request_rows(5), *request_rows(2), request_rows(1)[0]]
        assert {"r0": 3, "r1": 2} == openai_actors.ray.find_duplicates(ray.data.from_items(rows))


class TestOptions:
    def test_bad_numbers_are_named(self, tmp_path: Path) -> None:
        dataset = ray.data.from_items(request_rows(1))
        for name in ("concurrency", "max_in_flight", "batch_size"):
            with pytest.raises(ValueError, match=f"{name} must be a positive int, not 0"):
                openai_actors.ray.process(dataset, journal=str(tmp_path), api_key="sk", **{name: 0})
        with pytest.raises(ValueError, match="num_cpus must be a number >= 0"):
            openai_actors.ray.process(dataset, journal=str(tmp_path), api_key="sk", num_cpus=-1)

    def test_a_journal_that_cannot_be_a_directory_fails_in_the_driver(self, tmp_path: Path) -> None:
        (tmp_path / "taken").write_text("")
        dataset = ray.data.from_items(request_rows(1))
        with pytest.raises(FileExistsError, match="taken"):
            openai_actors.ray.process(dataset, journal=str(tmp_path / "taken"), api_key="sk")

    def test_not_a_dataset_is_a_type_error(self, tmp_path: Path) -> None:
        with pytest.raises(TypeError, match=r"dataset must be a ray\.data\.Dataset, not list"):
            openai_actors.ray.process([], journal=str(tmp_path), api_key="sk")  # type: ignore[arg-type]

    def test_a_bad_client_option_fails_in_the_driver(self, tmp_path: Path) -> None:
        """The client's own checks run before any actor starts: unknown option, no key."""
        dataset = ray.data.from_items(request_rows(1))
        with pytest.raises(TypeError, match="colour"):
            openai_actors.ray.process(dataset, journal=str(tmp_path), api_key="sk", colour="red")
        with pytest.raises(Exception, match="OPENAI_API_KEY"):
            openai_actors.ray.process(dataset, journal=str(tmp_path))
        with pytest.raises(TypeError, match="http_client"):
            openai_actors.ray.process(dataset, journal=str(tmp_path), api_key="sk", http_client=object())

    def test_an_option_that_does_not_pickle_is_named_without_its_value(self, tmp_path: Path) -> None:
        """A key provider holding a lock cannot reach the actors; the error names the option, not the secret."""
        lock = threading.Lock()

        def key() -> str:
            with lock:
                return "sk-secret-value"

        dataset = ray.data.from_items(request_rows(1))
        with pytest.raises(TypeError, match="'api_key' option cannot be sent to Ray actors") as caught:
            openai_actors.ray.process(dataset, journal=str(tmp_path), api_key=key)
        assert "sk-secret" not in str(caught.value)

    def test_the_key_from_the_environment_is_passed_to_the_actors(
        self, server: MockServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """OPENAI_API_KEY is read in the driver: actors on other hosts do not have its environment."""
        monkeypatch.setenv("OPENAI_API_KEY", "sk-from-env")
        dataset = ray.data.from_items(request_rows(1))
        openai_actors.ray.process(dataset, journal=str(tmp_path), base_url=server.url).take_all()
        assert ["Bearer sk-from-env"] == [r.headers["authorization"] for r in server.requests]


class TestExactlyOnce:
    def test_an_actor_killed_mid_run_leaves_one_row_per_custom_id(self, tmp_path: Path) -> None:
        """SIGKILL to an actor while requests run: Ray retries its block, the journal answers what it finished.

        What the dead actor wrote is never sent again; sent twice at most: the
        rows it had taken and not written (its batches in progress, 10 rows
        each, a few at once: in flight, or answered and not yet written); the
        output has every custom_id once.
        """
        journal = tmp_path / "journal"
        with MockServer(latency=0.1) as server, ThreadPoolExecutor(1) as pool:
            running = pool.submit(lambda: job(server.url, str(journal), 240, 4).take_all())
            server.wait_for(lambda s: len(s.requests) >= 60, timeout=60)
            victim = sorted(journal.glob(f"*{SUFFIX}"), key=lambda p: p.stat().st_size)[-1]
            os.kill(pid_of(victim), signal.SIGKILL)
            assert not running.done()
            server.wait_for(lambda s: not alive(pid_of(victim)), timeout=10)
            done_by_victim = [
                json.loads(raw)["custom_id"]
                for raw in victim.read_bytes().splitlines(keepends=True)
                if raw.endswith(b"\n")
            ]
            out = running.result(timeout=90)
            counts = sent(server)
        assert ids(240) == sorted(row["custom_id"] for row in out)
        assert 0 < len(done_by_victim) < 240
        assert all(1 == counts[custom_id] for custom_id in done_by_victim)
        assert 240 == len(counts)
        assert counts.total() - 240 <= IN_PROGRESS

    def test_a_rerun_after_the_driver_was_killed_sends_only_what_is_not_in_the_journal(
        self, tmp_path: Path
    ) -> None:
        """The driver (another process) gets SIGKILL mid-run; the same job run again sends only the rest."""
        journal = tmp_path / "journal"
        address = ray.get_runtime_context().gcs_address
        with MockServer(latency=0.1) as server:
            driver = subprocess.Popen(
                [sys.executable, "-m", "tests.ray_driver", address, server.url, str(journal), "240"], cwd=ROOT
            )
            try:
                server.wait_for(lambda s: len(s.requests) >= 60 or driver.poll() is not None, timeout=60)
                driver.kill()
            finally:
                driver.wait(timeout=30)
            assert -signal.SIGKILL == driver.returncode
            # Its actors die with it: wait for them, so that nothing more is written behind our back.
            workers = [pid_of(p) for p in journal.glob(f"*{SUFFIX}")]
            server.wait_for(lambda s: not any(alive(pid) for pid in workers), timeout=30)
            answered = {line["custom_id"] for line in journal_lines(journal)}
            sent_before = sent(server)
            out = job(server.url, str(journal), 240, 4).take_all()
            counts = sent(server)
        assert 0 < len(answered) < 240
        assert ids(240) == sorted(row["custom_id"] for row in out)
        assert all(1 == counts[custom_id] for custom_id in answered)
        assert 240 == len(counts)
        # Sent twice at most: what the two actors had taken and not written when they died.
        assert counts.total() - 240 <= 2 * IN_PROGRESS
        assert sent_before.total() >= len(answered)


def test_importing_the_package_does_not_import_ray() -> None:
    """ray is an optional extra: only openai_actors.ray imports it."""
    code = (
        "import sys, openai_actors\n"
        "from openai_actors import AsyncOpenAI, OpenAI, RateLimit\n"
        "AsyncOpenAI(api_key='sk'); import openai_actors._batch_cli, openai_actors._ray_journal\n"
        "assert 'ray' not in sys.modules, 'ray imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT, timeout=60)
