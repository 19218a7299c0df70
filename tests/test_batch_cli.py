"""`openai-actors batch INPUT OUTPUT`, run as a separate process against a mock server in the test."""

from __future__ import annotations

import json
import os
import random
import shlex
import signal
import socket
import ssl
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import trustme

from openai_actors._batch_files import open_output
from openai_actors.mock import Fault, MockServer

from .conftest import chat_body

CHAT = "/v1/chat/completions"
ENDPOINT_BODIES: dict[str, dict[str, Any]] = {
    "/v1/chat/completions": chat_body("hi"),
    "/v1/completions": {"model": "m", "prompt": "hi"},
    "/v1/embeddings": {"model": "e", "input": "hi"},
    "/v1/responses": {"model": "m", "input": "hi"},
    "/v1/moderations": {"input": "hi"},
}


def request_line(i: int, url: str = CHAT) -> dict[str, Any]:
    return {"custom_id": f"r{i}", "method": "POST", "url": url, "body": ENDPOINT_BODIES[url]}


def write_input(path: Path, count: int, *extra: object, urls: tuple[str, ...] = (CHAT,)) -> list[str]:
    """INPUT with `count` requests (cycling through `urls`), then `extra` lines; the custom_ids."""
    with path.open("wb") as file:
        for i in range(count):
            file.write(json.dumps(request_line(i, urls[i % len(urls)])).encode() + b"\n")
        for line in extra:
            file.write(line if isinstance(line, bytes) else json.dumps(line).encode() + b"\n")
    return [f"r{i}" for i in range(count)]


def command(tmp_path: Path, server: MockServer, *options: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "openai_actors",
        "batch",
        str(tmp_path / "in.jsonl"),
        str(tmp_path / "out.jsonl"),
        "--base-url",
        server.url,
        "--api-key",
        "sk-test",
        *options,
    ]


def run(tmp_path: Path, server: MockServer, *options: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command(tmp_path, server, *options), capture_output=True, text=True, timeout=50)


def start(tmp_path: Path, server: MockServer, *options: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        command(tmp_path, server, *options), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def output_records(path: Path, *, allow_torn: bool = False) -> list[dict[str, Any]]:
    """Every line of OUTPUT, decoded; each must be whole (a torn last one is allowed if asked)."""
    data = path.read_bytes()
    lines = data.split(b"\n")
    tail = lines.pop()  # after the last newline: empty unless a write was cut short
    assert allow_torn or b"" == tail, f"torn last line: {tail[:80]!r}"
    return [json.loads(line) for line in lines]


def answered_ids(path: Path, **options: bool) -> Counter[str | None]:
    return Counter(record["custom_id"] for record in output_records(path, **options))


def complete_lines(path: Path) -> int:
    try:
        return path.read_bytes().count(b"\n")
    except FileNotFoundError:
        return 0


def wait_for_lines(path: Path, count: int, process: subprocess.Popen[str], timeout: float = 20) -> None:
    """Wait until OUTPUT has `count` complete lines (or the process ended)."""
    deadline = time.monotonic() + timeout
    while complete_lines(path) < count:
        assert process.poll() is None, f"ended early: {process.communicate()}"
        assert time.monotonic() < deadline, f"OUTPUT stayed at {complete_lines(path)} lines"
        time.sleep(0.005)


def posts(server: MockServer) -> int:
    return sum(r.method == "POST" for r in server.requests)


class TestAJob:
    def test_every_custom_id_is_answered_once_in_the_batch_api_format(
        self, tmp_path: Path, server: MockServer
    ) -> None:
        """Through 5xx, resets, truncated bodies and 429 bursts, on all five endpoints: one line each."""
        ids = write_input(tmp_path / "in.jsonl", 150, urls=tuple(ENDPOINT_BODIES))
        server.script(
            Fault(status=500, headers={"retry-after-ms": "10"}),
            Fault(action="reset"),
            Fault(action="truncate"),
            Fault(status=503, headers={"retry-after-ms": "10"}),
            *[Fault(status=429, headers={"retry-after-ms": "50"})] * 6,
            Fault(action="truncate", path="/v1/embeddings"),
        )
        done = run(tmp_path, server, "--max-in-flight", "16")
        assert 0 == done.returncode, done.stderr
        records = output_records(tmp_path / "out.jsonl")
        assert Counter(ids) == Counter(record["custom_id"] for record in records)
        for record in records:
            assert ["id", "custom_id", "response", "error"] == list(record)
            assert record["id"].startswith("batch_req_")
            assert None is record["error"]
            assert ["status_code", "request_id", "body"] == list(record["response"])
            assert 200 == record["response"]["status_code"]
        assert 0 == server.pending_faults
        assert "succeeded   150" in done.stderr

    def test_requests_that_fail_after_retries_are_error_lines(
        self, tmp_path: Path, server: MockServer
    ) -> None:
        """The status and the server's error body are kept; the run completes, with exit status 1."""
        write_input(tmp_path / "in.jsonl", 10)
        server.script(Fault(status=500), Fault(status=500), Fault(action="reset"))
        done = run(tmp_path, server, "--max-retries", "0", "--max-in-flight", "1")
        assert 1 == done.returncode, done.stderr
        records = output_records(tmp_path / "out.jsonl")
        failed = [r for r in records if r["error"] or r["response"]["status_code"] >= 400]
        assert [500, 500] == [r["response"]["status_code"] for r in failed if r["response"]]
        assert all("error" in r["response"]["body"] for r in failed if r["response"])
        assert ["connection_error"] == [r["error"]["code"] for r in failed if r["error"]]
        assert 10 == len(records)

    def test_retry_failed_sends_just_the_failures_again(self, tmp_path: Path, server: MockServer) -> None:
        """A rerun skips error lines; --retry-failed replaces them, ending with one line per custom_id."""
        ids = write_input(tmp_path / "in.jsonl", 10)
        server.script(Fault(status=500), Fault(status=500), Fault(status=500))
        assert 1 == run(tmp_path, server, "--max-retries", "0").returncode
        assert 10 == posts(server)
        assert 1 == run(tmp_path, server).returncode  # failures count as answered
        assert 10 == posts(server)
        again = run(tmp_path, server, "--retry-failed")
        assert 0 == again.returncode, again.stderr
        assert 13 == posts(server)
        records = output_records(tmp_path / "out.jsonl")
        assert Counter(ids) == Counter(r["custom_id"] for r in records)
        assert all(r["response"]["status_code"] == 200 for r in records)
        assert ["in.jsonl", "out.jsonl"] == sorted(p.name for p in tmp_path.iterdir())


class TestBadInput:
    def test_duplicate_custom_ids_stop_the_run_before_anything_is_sent(
        self, tmp_path: Path, server: MockServer
    ) -> None:
        """The error names each repeated id and its lines; the server sees nothing."""
        write_input(tmp_path / "in.jsonl", 5, request_line(3), request_line(1), request_line(3))
        done = run(tmp_path, server)
        assert 2 == done.returncode
        assert "custom_id 'r3' on lines 4, 6, 8" in done.stderr
        assert "custom_id 'r1' on lines 2, 7" in done.stderr
        assert 0 == posts(server)

    def test_invalid_lines_become_error_lines_and_the_run_goes_on(
        self, tmp_path: Path, server: MockServer
    ) -> None:
        """Reported with their line numbers; written once, and not again on a rerun."""
        bad = {"custom_id": "x", "method": "POST", "url": "/v1/files", "body": {}}
        write_input(tmp_path / "in.jsonl", 3, b"{not json\n", bad)
        done = run(tmp_path, server)
        assert 1 == done.returncode
        assert "line 4: not valid JSON" in done.stderr
        assert "line 5: 'url'" in done.stderr
        errors = {r["custom_id"]: r["error"] for r in output_records(tmp_path / "out.jsonl") if r["error"]}
        assert {None: "invalid_json_line", "x": "invalid_url"} == {k: v["code"] for k, v in errors.items()}
        assert 4 == errors[None]["line"]
        assert 3 == posts(server)
        assert 1 == run(tmp_path, server).returncode
        assert 5 == len(output_records(tmp_path / "out.jsonl"))

    def test_strict_stops_before_sending_anything(self, tmp_path: Path, server: MockServer) -> None:
        """--strict: an invalid line is an error for the whole run."""
        write_input(tmp_path / "in.jsonl", 3, {"custom_id": "x", "url": CHAT, "body": {}})
        done = run(tmp_path, server, "--strict")
        assert 2 == done.returncode
        assert "line 4: 'method' must be \"POST\"" in done.stderr
        assert 0 == posts(server)
        assert not (tmp_path / "out.jsonl").exists()  # nothing sent, no empty OUTPUT left behind

    def test_usage_errors_exit_2(self, tmp_path: Path, server: MockServer) -> None:
        """A missing key or INPUT, a bad option: said at once, exit status 2."""
        write_input(tmp_path / "in.jsonl", 1)
        no_key = command(tmp_path, server)
        no_key.remove("--api-key")
        no_key.remove("sk-test")
        assert 2 == subprocess.run(no_key, capture_output=True, timeout=50).returncode
        (tmp_path / "in.jsonl").unlink()
        assert "cannot read INPUT" in run(tmp_path, server).stderr
        assert 2 == run(tmp_path, server, "--rpm", "0").returncode


class TestResuming:
    def test_killed_at_random_points_and_resumed_ends_with_one_line_per_id(
        self, tmp_path: Path, server: MockServer
    ) -> None:
        """SIGKILL four times mid-run, resume each time: exactly one whole line per custom_id at the end."""
        seed = int.from_bytes(os.urandom(4))
        rng = random.Random(seed)
        ids = write_input(tmp_path / "in.jsonl", 300)
        output = tmp_path / "out.jsonl"
        server.latency = 0.01
        for _ in range(4):
            process = start(tmp_path, server, "--max-in-flight", "4", "--quiet")
            wait_for_lines(output, complete_lines(output) + rng.randint(1, 40), process)
            process.kill()
            process.communicate()
            seen = answered_ids(output, allow_torn=True)
            assert all(count == 1 for count in seen.values()), f"seed {seed}: {seen.most_common(3)}"
        done = run(tmp_path, server, "--quiet")
        assert 0 == done.returncode, (seed, done.stderr)
        assert Counter(ids) == answered_ids(output), f"seed {seed}"

    def test_a_torn_last_line_is_cut_off_and_its_request_sent_again(
        self, tmp_path: Path, server: MockServer
    ) -> None:
        """The half-written line of a crash is detected, removed, and answered once."""
        ids = write_input(tmp_path / "in.jsonl", 5)
        record = {"id": "batch_req_1", "response": {"status_code": 200, "request_id": "q", "body": {}}}
        whole = b"".join(
            json.dumps({**record, "custom_id": f"r{i}", "error": None}).encode() + b"\n" for i in (0, 1)
        )
        (tmp_path / "out.jsonl").write_bytes(whole + b'{"id": "batch_req_2", "custom_id": "r2", "respo')
        done = run(tmp_path, server)
        assert 0 == done.returncode, done.stderr
        assert "incomplete line" in done.stderr
        assert Counter(ids) == answered_ids(tmp_path / "out.jsonl")
        assert 3 == posts(server)

    def test_a_write_cut_short_stops_the_run_and_the_next_run_repairs_it(
        self, tmp_path: Path, server: MockServer
    ) -> None:
        """A full disk (here a file size limit) tears a line: the run stops cleanly, the next one finishes."""
        ids = write_input(tmp_path / "in.jsonl", 60)
        output = tmp_path / "out.jsonl"
        # Python ignores SIGXFSZ: past the limit, a write is cut short, then fails with EFBIG.
        limit = "import os, resource, sys; resource.setrlimit(resource.RLIMIT_FSIZE, (6000, 6000)); "
        limit += "os.execv(sys.executable, sys.argv[1:])"
        limited = [sys.executable, "-c", limit, *command(tmp_path, server)]
        done = subprocess.run(limited, capture_output=True, text=True, timeout=50)
        assert 1 == done.returncode, done.stderr
        assert "cannot write" in done.stderr
        assert "run the same command again" in done.stderr
        assert 6000 == len(output.read_bytes())
        assert not output.read_bytes().endswith(b"\n")
        again = run(tmp_path, server)
        assert 0 == again.returncode, again.stderr
        assert "incomplete line" in again.stderr
        assert Counter(ids) == answered_ids(output)

    def test_an_invalid_line_in_the_middle_of_output_is_not_repaired(
        self, tmp_path: Path, server: MockServer
    ) -> None:
        """Only a crash's torn tail is ours to cut; anything else stops the run untouched."""
        write_input(tmp_path / "in.jsonl", 2)
        content = (
            b"garbage\n" + json.dumps({"custom_id": "r0", "response": None, "error": {}}).encode() + b"\n"
        )
        (tmp_path / "out.jsonl").write_bytes(content)
        done = run(tmp_path, server)
        assert 2 == done.returncode
        assert "line 1 of OUTPUT" in done.stderr
        assert content == (tmp_path / "out.jsonl").read_bytes()

    def test_an_output_in_use_by_another_run_is_refused(self, tmp_path: Path, server: MockServer) -> None:
        """Two runs never append to the same OUTPUT."""
        write_input(tmp_path / "in.jsonl", 2)
        fd = open_output(str(tmp_path / "out.jsonl"))
        try:
            done = run(tmp_path, server)
        finally:
            os.close(fd)
        assert 2 == done.returncode
        assert "another run" in done.stderr
        assert 0 == posts(server)


class TestSignals:
    def test_sigterm_lets_the_requests_in_flight_finish_then_says_how_to_resume(
        self, tmp_path: Path, server: MockServer
    ) -> None:
        """Exit 143; every answer the server gave is in OUTPUT; resuming sends each request once in all."""
        ids = write_input(tmp_path / "in.jsonl", 120)
        output = tmp_path / "out.jsonl"
        server.latency = 0.1
        process = start(tmp_path, server, "--max-in-flight", "10", "--grace", "20")
        wait_for_lines(output, 15, process)
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=30)
        assert 143 == process.returncode, stderr
        assert "To resume, run the same command again" in stderr
        assert "--api-key …" in stderr
        assert "sk-test" not in stderr
        answered = answered_ids(output)
        assert server.requests_served == sum(answered.values())
        assert set(answered.values()) == {1}
        server.latency = 0.0
        done = run(tmp_path, server)
        assert 0 == done.returncode, done.stderr
        assert Counter(ids) == answered_ids(output)
        assert 120 == posts(server)

    def test_requests_waiting_for_the_rate_limit_are_not_sent_after_a_signal(
        self, tmp_path: Path, server: MockServer
    ) -> None:
        """Stopping means sending nothing new: what waits for the limiter is withdrawn, not given the grace."""
        ids = write_input(tmp_path / "in.jsonl", 200)
        output = tmp_path / "out.jsonl"
        process = start(
            tmp_path, server, "--rpm", "20", "--window", "1", "--max-in-flight", "50", "--grace", "20"
        )
        wait_for_lines(output, 5, process)
        sent_before = posts(server)
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=30)
        assert 143 == process.returncode, stderr
        assert "not yet sent withdrawn" in stderr
        # Had the ~45 waiting requests been given the grace period, they would all have been sent.
        assert posts(server) < sent_before + 10
        assert posts(server) == len(output_records(output))
        done = run(tmp_path, server)
        assert 0 == done.returncode, done.stderr
        assert Counter(ids) == answered_ids(output)

    @pytest.mark.usefixtures("sigint_reaches_children")
    def test_sigint_cancels_what_outlasts_the_grace_period(self, tmp_path: Path, server: MockServer) -> None:
        """A request that hangs is cancelled after --grace; exit 130; it is sent again on resume."""
        ids = write_input(tmp_path / "in.jsonl", 40)
        output = tmp_path / "out.jsonl"
        server.script(Fault(action="hang", path=CHAT))
        server.latency = 0.02
        process = start(tmp_path, server, "--max-in-flight", "4", "--grace", "1")
        wait_for_lines(output, 5, process)
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=30)
        assert 130 == process.returncode, stderr
        assert "cancelling 1 request(s) still in flight" in stderr
        assert server.requests_served == sum(answered_ids(output).values())
        server.latency = 0.0
        done = run(tmp_path, server)
        assert 0 == done.returncode, done.stderr
        assert Counter(ids) == answered_ids(output)


def refused_url() -> str:
    """A loopback URL that nothing listens on: a port just bound, then released."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"


class TestFastFail:
    def test_a_refused_port_stops_the_run_with_nothing_written(
        self, tmp_path: Path, server: MockServer
    ) -> None:
        write_input(tmp_path / "in.jsonl", 200)
        argv = command(tmp_path, server, "--max-retries", "0", "--max-in-flight", "4")
        argv[argv.index("--base-url") + 1] = refused_url()
        done = subprocess.run(argv, capture_output=True, text=True, timeout=50)
        assert 3 == done.returncode, done.stderr
        stopped = [line for line in done.stderr.splitlines() if "stopped:" in line]
        assert 1 == len(stopped), done.stderr
        assert "the connection was refused" in stopped[0]
        assert "openai-actors batch: stopped early in " in done.stderr
        assert "run the same command again" in stopped[0]
        assert not (tmp_path / "out.jsonl").exists()

    def test_a_certificate_the_client_does_not_trust_stops_the_run(self, tmp_path: Path) -> None:
        write_input(tmp_path / "in.jsonl", 30)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        trustme.CA().issue_cert("127.0.0.1").configure_cert(context)
        env = {k: v for k, v in os.environ.items() if k not in ("SSL_CERT_FILE", "SSL_CERT_DIR")}
        with MockServer(ssl_context=context) as tls:
            argv = command(tmp_path, tls, "--max-retries", "0", "--max-in-flight", "2")
            done = subprocess.run(argv, capture_output=True, text=True, timeout=50, env=env)
            assert 0 == posts(tls)
        assert 3 == done.returncode, done.stderr
        assert "TLS verification failed" in done.stderr
        assert not (tmp_path / "out.jsonl").exists()

    def test_a_401_server_stops_after_the_first_answers_and_the_run_resumes(
        self, tmp_path: Path, server: MockServer
    ) -> None:
        ids = write_input(tmp_path / "in.jsonl", 40)
        server.script(*[Fault(status=401)] * 40)
        done = run(tmp_path, server, "--max-retries", "0", "--max-in-flight", "1")
        assert 3 == done.returncode, done.stderr
        assert "HTTP 401" in done.stderr
        assert 10 == posts(server)  # the threshold, then nothing more
        assert not (tmp_path / "out.jsonl").exists()
        # Once the key is fixed, the same command sends everything.
        server.script_clear()
        again = run(tmp_path, server, "--max-retries", "0", "--max-in-flight", "1")
        assert 0 == again.returncode, again.stderr
        assert Counter(ids) == answered_ids(tmp_path / "out.jsonl")

    def test_keep_going_sends_every_line_anyway(self, tmp_path: Path, server: MockServer) -> None:
        ids = write_input(tmp_path / "in.jsonl", 15)
        server.script(*[Fault(status=401)] * 15)
        done = run(tmp_path, server, "--max-retries", "0", "--max-in-flight", "1", "--keep-going")
        assert 1 == done.returncode, done.stderr
        assert "stopped:" not in done.stderr
        assert 15 == posts(server)
        records = output_records(tmp_path / "out.jsonl")
        assert Counter(ids) == Counter(r["custom_id"] for r in records)
        assert {401} == {r["response"]["status_code"] for r in records}
        assert "HTTP 401: 15" in done.stderr

    def test_a_401_after_output_has_answers_keeps_them(self, tmp_path: Path, server: MockServer) -> None:
        """Stopping never removes an OUTPUT that holds earlier answers."""
        write_input(tmp_path / "in.jsonl", 5)
        assert 0 == run(tmp_path, server).returncode
        write_input(tmp_path / "in.jsonl", 30)
        server.script(*[Fault(status=404)] * 30)
        done = run(tmp_path, server, "--max-retries", "0", "--max-in-flight", "1")
        assert 3 == done.returncode, done.stderr
        assert "HTTP 404" in done.stderr
        assert 5 == len(output_records(tmp_path / "out.jsonl"))

    def test_a_server_failing_half_the_requests_with_500_never_stops(
        self, tmp_path: Path, server: MockServer
    ) -> None:
        """Even when the first dozen all fail: a 500 says nothing about the next request."""
        ids = write_input(tmp_path / "in.jsonl", 40)
        normal = Fault(headers={"x-fault": "none"})
        server.script(*[Fault(status=500)] * 12, *[Fault(status=500), normal] * 14)
        done = run(tmp_path, server, "--max-retries", "0", "--max-in-flight", "1")
        assert 1 == done.returncode, done.stderr
        assert "stopped:" not in done.stderr
        records = output_records(tmp_path / "out.jsonl")
        assert Counter(ids) == Counter(r["custom_id"] for r in records)
        statuses = Counter(r["response"]["status_code"] for r in records)
        assert {500: 26, 200: 14} == statuses
        assert "HTTP 500: 26" in done.stderr


class TestSummaries:
    def test_a_rerun_over_earlier_failures_counts_them_and_prints_the_retry_command(
        self, tmp_path: Path, server: MockServer
    ) -> None:
        """The command printed is the one to run: run it (key filled in), and every failure is answered."""
        ids = write_input(tmp_path / "in.jsonl", 10)
        server.script(Fault(status=500), Fault(status=500), Fault(status=503))
        first = run(tmp_path, server, "--max-retries", "0", "--max-in-flight", "1")
        assert 1 == first.returncode
        assert "failed      3 (HTTP 500: 2, HTTP 503: 1)" in first.stderr
        again = run(tmp_path, server, "--max-retries", "0", "--max-in-flight", "1")
        assert 1 == again.returncode
        assert "failed before, in OUTPUT  3 (HTTP 500: 2, HTTP 503: 1)" in again.stderr
        lines = again.stderr.splitlines()
        shown = lines[lines.index("to send the 3 failed request(s) again, run:") + 1].strip()
        assert "sk-test" not in again.stderr  # the key never shows
        argv = shlex.split(shown)
        assert ["openai-actors", "batch"] == argv[:2]
        assert "--retry-failed" == argv[-1]
        argv = [sys.executable, "-m", "openai_actors", *argv[1:]]
        argv[argv.index("…")] = "sk-test"
        retried = subprocess.run(argv, capture_output=True, text=True, timeout=50)
        assert 0 == retried.returncode, retried.stderr
        assert "failed request(s) again" not in retried.stderr
        records = output_records(tmp_path / "out.jsonl")
        assert Counter(ids) == Counter(r["custom_id"] for r in records)
        assert all(200 == r["response"]["status_code"] for r in records)

    def test_no_retry_command_when_all_succeeded(self, tmp_path: Path, server: MockServer) -> None:
        write_input(tmp_path / "in.jsonl", 3)
        done = run(tmp_path, server)
        assert 0 == done.returncode
        assert "--retry-failed" not in done.stderr


class TestPlainProgress:
    def test_progress_lines_when_stderr_is_a_pipe(self, tmp_path: Path) -> None:
        """No bar, no escape codes: a plain line every --progress-interval seconds while it runs."""
        write_input(tmp_path / "in.jsonl", 30)
        with MockServer(latency=0.05) as slow:
            done = run(tmp_path, slow, "--max-in-flight", "1", "--progress-interval", "0.2")
        assert 0 == done.returncode, done.stderr
        progress = [line for line in done.stderr.splitlines() if " answered (" in line]
        assert len(progress) >= 2, done.stderr
        assert all(line.startswith("openai-actors batch: ") and "/30 answered" in line for line in progress)
        assert "\x1b" not in done.stderr and "\r" not in done.stderr

    def test_quiet_prints_no_progress(self, tmp_path: Path) -> None:
        write_input(tmp_path / "in.jsonl", 10)
        with MockServer(latency=0.05) as slow:
            done = run(tmp_path, slow, "-q", "--max-in-flight", "1", "--progress-interval", "0.1")
        assert 0 == done.returncode
        assert "" == done.stderr


class TestNoEmptyOutput:
    def test_nothing_sent_leaves_no_output_file(self, tmp_path: Path, server: MockServer) -> None:
        """A missing INPUT, duplicate ids: refused, and OUTPUT is not created."""
        assert 2 == run(tmp_path, server).returncode  # no INPUT at all
        assert not (tmp_path / "out.jsonl").exists()
        write_input(tmp_path / "in.jsonl", 2, request_line(1))
        assert 2 == run(tmp_path, server).returncode
        assert not (tmp_path / "out.jsonl").exists()
        assert 0 == posts(server)

    def test_an_existing_output_is_kept_even_if_empty(self, tmp_path: Path, server: MockServer) -> None:
        write_input(tmp_path / "in.jsonl", 2, request_line(1))
        (tmp_path / "out.jsonl").write_bytes(b"")
        assert 2 == run(tmp_path, server).returncode
        assert (tmp_path / "out.jsonl").exists()


class TestMessages:
    def test_a_missing_key_names_the_option_and_the_variable(
        self, tmp_path: Path, server: MockServer
    ) -> None:
        write_input(tmp_path / "in.jsonl", 1)
        argv = command(tmp_path, server)
        del argv[argv.index("--api-key") : argv.index("--api-key") + 2]
        env = {k: v for k, v in os.environ.items() if k != "OPENAI_API_KEY"}
        done = subprocess.run(argv, capture_output=True, text=True, timeout=50, env=env)
        assert 2 == done.returncode
        assert "--api-key" in done.stderr
        assert "OPENAI_API_KEY" in done.stderr
        assert "passing api_key" not in done.stderr
        assert not (tmp_path / "out.jsonl").exists()

    def test_help_says_asyncio_and_documents_exit_3(self, tmp_path: Path, server: MockServer) -> None:
        done = subprocess.run(
            [sys.executable, "-m", "openai_actors", "batch", "--help"],
            capture_output=True,
            text=True,
            timeout=50,
        )
        assert 0 == done.returncode
        text = " ".join(done.stdout.split())
        assert "runs on asyncio" in text
        assert "3 stopped early" in text
        assert "--progress-interval" in text
