"""`openai-actors bench --processes N`: the shares and the merge exactly, the command end to end.

The end-to-end tests run the command in a subprocess against the mock server
it starts (or a scripted one), as in test_bench_cli.py; they assert counts
and the document's shape, never timings.
"""

from __future__ import annotations

import itertools
import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from openai_actors._bench._drivers import Connection
from openai_actors._bench._load import Level, Ramp, Stop, arrival_offsets
from openai_actors._bench._plan import MockSettings, Plan
from openai_actors._bench._processes import share, shares
from openai_actors._bench._record import Record
from openai_actors._bench._report import cpu_bound_notes
from openai_actors._bench._runner import Job, Part, Sample, merge
from openai_actors._bench._stats import Slo
from openai_actors._bench._workload import Workload
from openai_actors._ratelimit import RateLimit
from openai_actors.mock import MockServer

from .conftest import RawServer
from .test_bench_cli import COMPLETION, HAS_OPENAI, _raw, _reply, bench, check_document

WORKLOAD = Workload("chat", "m", 8, 8, stream=False)


def _job(processes: int, level: Level, requests: int | None = 100, **fields: object) -> Job:
    """`openai_actors` at `level` in `processes` processes (against nothing: the pure parts need no server)."""
    values: dict[str, object] = {
        "base_url": None,
        "api_key": "sk-test",
        "max_retries": 0,
        "timeout": 5.0,
        "mock": MockSettings(),
        "workload": WORKLOAD,
        "shape": "rate" if level.rate is not None else "concurrency",
        "levels": (level,),
        "stop": Stop(requests, None),
        "warmup": 3,
        "warmup_concurrency": 32,
        "rate_limit": None,
        "backend": "asyncio",
        "compare": (),
        "slo": Slo(),
        "processes": processes,
    }
    values.update(fields)
    plan = Plan(**values)  # type: ignore[arg-type]
    return Job(plan, Connection("http://127.0.0.1:1/v1", "sk-test", 0, 5.0), "openai_actors", level)


def _ok(start: float, end: float, error: str | None = None) -> Record:
    return Record(start, end, None, None, None, 1, 2, error)


# --- the shares -------------------------------------------------------------------------


class TestShares:
    def test_whole_shares_as_even_as_can_be_larger_first(self) -> None:
        """10 over 4 is 3, 3, 2, 2; the shares always add up to the whole."""
        assert (3, 3, 2, 2) == shares(10, 4)
        assert (1, 1, 1) == shares(3, 3)
        for total, parts in itertools.product(range(0, 40), range(1, 9)):
            split = shares(total, parts)
            assert (total, parts) == (sum(split), len(split))
            assert max(split) - min(split) <= 1

    def test_no_parts_is_an_error(self) -> None:
        with pytest.raises(ValueError, match="cannot be split into 0 parts"):
            shares(3, 0)

    def test_each_process_gets_its_share_of_concurrency_requests_and_limits(self) -> None:
        """Concurrency, requests and max_in_flight split in whole shares; rpm and tpm divided; warm-up kept."""
        limits = RateLimit(requests_per_minute=600, tokens_per_minute=90_000, max_in_flight=5)
        job = _job(3, Level(concurrency=10), requests=100, rate_limit=limits)
        split = [share(job, index) for index in range(3)]
        assert [10, 100, 5] == [
            sum(mine.level.concurrency or 0 for mine in split),
            sum(mine.plan.stop.requests or 0 for mine in split),
            sum(mine.plan.rate_limit.max_in_flight or 0 for mine in split if mine.plan.rate_limit),
        ]
        first = split[0].plan
        assert first.rate_limit is not None
        assert (200.0, 30_000.0, 3, 1) == (
            first.rate_limit.requests_per_minute,
            first.rate_limit.tokens_per_minute,
            first.warmup,
            first.processes,
        )

    def test_a_duration_is_each_process_s_whole_duration(self) -> None:
        job = _job(2, Level(concurrency=4), stop=Stop(None, 7.5))
        assert Stop(None, 7.5) == share(job, 1).plan.stop

    def test_evenly_spaced_arrivals_interleave_into_the_whole_rate(self) -> None:
        """Three processes at 10/3 per second, phased 0, 0.1 and 0.2 s: together, one arrival every 0.1 s."""
        job = _job(3, Level(rate=10.0))
        together = []
        for index in range(3):
            mine = share(job, index).level
            assert mine.rate is not None
            offsets = arrival_offsets(mine.rate, mine.burstiness, mine.seed, mine.ramp)
            together += [offset + mine.phase for offset in itertools.islice(offsets, 10)]
        assert pytest.approx([index / 10 for index in range(30)]) == sorted(together)

    def test_random_arrivals_draw_from_seeds_of_their_own(self) -> None:
        """Poisson at R over N processes: each at R / N, unphased, each from its own seed."""
        job = _job(3, Level(rate=30.0, burstiness=1.0, seed=5))
        split = [share(job, index).level for index in range(3)]
        assert {10.0} == {mine.rate for mine in split}
        assert {0.0} == {mine.phase for mine in split}
        assert 3 == len({mine.seed for mine in split})

    def test_a_ramp_is_split_like_the_rate(self) -> None:
        level = Level(rate=40.0, ramp=Ramp("linear", 4.0, 40.0), concurrency=8)
        mine = share(_job(4, level), 0).level
        assert (Ramp("linear", 1.0, 10.0), 10.0, 2) == (mine.ramp, mine.rate, mine.concurrency)


# --- the merge --------------------------------------------------------------------------


class TestMerge:
    def _part(
        self, records: list[Record], started: float, ended: float, cpu: float, **fields: object
    ) -> Part:
        values: dict[str, object] = {"complete": True, "error_examples": {}, "learned_limits": None}
        values.update(fields)
        return Part(Sample(records, started, ended, cpu), **values)  # type: ignore[arg-type]

    def test_counts_add_up_and_percentiles_cover_every_sample(self) -> None:
        """Two processes: one fast (90 requests of 10 ms), one slow (10 of 1 s). The pooled p90 is 10 ms
        and the p99 1 s (averaging each process's p99 would give 505 ms, a latency nobody had)."""
        fast = [_ok(0.0, 0.01)] * 90
        slow = [_ok(0.0, 1.0)] * 9 + [_ok(0.0, 0.5, error="APITimeoutError")]
        run = merge(
            _job(2, Level(concurrency=2)),
            [
                self._part(fast, 10.0, 12.0, 0.5),
                self._part(slow, 10.5, 14.0, 1.5, error_examples={"APITimeoutError": "slow"}),
            ],
        )
        f = run.figures
        assert (100, 99, {"APITimeoutError": 1}) == (f.requests, f.ok, f.errors)
        assert f.latency is not None
        assert (0.01, 1.0) == (f.latency.p90, f.latency.p99)
        assert (4.0, 2.0, 99 / 4.0) == (f.wall_s, f.cpu_s, f.requests_per_s)
        assert (20_000.0, 0.5) == (f.cpu_us_per_request, f.cpu_share)
        assert (2, (0.25, 1.5 / 3.5)) == (run.processes, run.process_cpu_shares)
        assert ({"APITimeoutError": "slow"}, True) == (run.error_examples, run.complete)
        assert "openai_actors/asyncio x2" == run.label

    def test_one_part_cut_short_cuts_the_run_short(self) -> None:
        parts = [self._part([_ok(0, 1)], 0, 1, 0), self._part([], 0, 1, 0, complete=False)]
        assert False is merge(_job(2, Level(concurrency=2)), parts).complete

    def test_one_part_is_the_run_of_one_process(self) -> None:
        """One process: the figures as before, no per-process shares, the plain label."""
        run = merge(_job(1, Level(concurrency=2)), [self._part([_ok(0, 1)], 3.0, 5.0, 1.0)])
        assert (1, (), 2.0, 0.5, "openai_actors/asyncio") == (
            run.processes,
            run.process_cpu_shares,
            run.figures.wall_s,
            run.busiest_cpu_share,
            run.label,
        )

    def test_nothing_to_merge_is_an_error(self) -> None:
        with pytest.raises(ValueError, match="one part or more"):
            merge(_job(1, Level(concurrency=1)), [])

    def test_the_cpu_note_names_the_busiest_process(self) -> None:
        """Four processes together at 2.4 cores: bound only because one of them used 95 % of its core."""
        job = _job(4, Level(concurrency=4))
        busy = [self._part([_ok(0, 1)], 0.0, 1.0, cpu) for cpu in (0.95, 0.5, 0.5, 0.45)]
        calm = [self._part([_ok(0, 1)], 0.0, 1.0, cpu) for cpu in (0.85, 0.85, 0.85, 0.85)]
        notes = cpu_bound_notes([merge(job, busy)])
        assert "the busiest of its 4 client processes used 95% of a core" in notes[1]
        assert [] == cpu_bound_notes([merge(job, calm)])


# --- the command ----------------------------------------------------------------------------


class TestProcessesCommand:
    @pytest.mark.parametrize("backend", ["asyncio", "trio"])
    def test_two_processes_one_table(self, tmp_path: Path, backend: str) -> None:
        """21 requests, 5 in flight over 2 processes: one run of 21, the CPU of each process, a labelled row."""
        done, document = bench(
            tmp_path, "--processes", "2", "--requests", "21", "--concurrency", "5", "--backend", backend
        )
        assert 0 == done.returncode, done.stderr
        check_document(document)
        [run] = document["runs"]
        assert (backend, 2, 5, 21, 21) == (
            run["backend"],
            run["processes"],
            run["concurrency"],
            run["requests"],
            run["ok"],
        )
        assert 2 == len(run["process_cpu_shares"])
        assert 21 == run["latency_s"]["count"] == run["queued_s"]["count"]
        assert 2 == document["load"]["processes"]
        assert f"openai_actors/{backend} x2" in done.stdout
        assert "2 client processes sharing the load" in done.stdout

    def test_streamed_sweep(self, tmp_path: Path) -> None:
        """A sweep of streamed runs: every level measured by both processes, token figures pooled."""
        done, document = bench(
            tmp_path,
            *("--processes", "2", "--sweep", "2,4", "--requests", "8", "--stream", "--max-tokens", "4"),
        )
        assert 0 == done.returncode, done.stderr
        check_document(document)
        assert [(2, 2, 8, 8, 32), (4, 2, 8, 8, 32)] == [
            (r["concurrency"], r["processes"], r["ok"], r["ttft_s"]["count"], r["output_tokens"])
            for r in document["runs"]
        ]

    def test_rate_for_a_duration(self, tmp_path: Path) -> None:
        """--rate 40 for half a second over 2 processes: requests started by both, all answered."""
        done, document = bench(tmp_path, "--processes", "2", "--rate", "40", "--duration", "0.5")
        assert 0 == done.returncode, done.stderr
        check_document(document)
        [run] = document["runs"]
        assert (40.0, 2) == (run["rate"], run["processes"])
        assert run["requests"] == run["ok"] > 0

    @pytest.mark.skipif(not HAS_OPENAI, reason="the official openai package is not installed")
    def test_compared_with_the_official_client_in_as_many_processes(self, tmp_path: Path) -> None:
        """--compare openai: the official client is measured by 2 processes as well, and compared."""
        done, document = bench(
            tmp_path, "--processes", "2", "--compare", "openai", "--requests", "8", "--concurrency", "2"
        )
        assert 0 == done.returncode, done.stderr
        check_document(document)
        assert [("openai_actors", 2, 8), ("openai", 2, 8)] == [
            (run["client"], run["processes"], run["ok"]) for run in document["runs"]
        ]
        assert 1 == len(document["comparisons"])
        assert "openai x2" in done.stdout

    def test_limits_learned_by_each_process_are_flagged(self, tmp_path: Path) -> None:
        """A server announcing limits: the run reports them, and the note says each process paced itself
        to the whole of them (only shared limits would split them)."""
        with MockServer(record=False, rate_limit_requests=100_000, rate_limit_tokens=50_000_000) as server:
            done, document = bench(
                tmp_path,
                "--base-url",
                server.url,
                "--processes",
                "2",
                "--requests",
                "10",
                "--concurrency",
                "2",
            )
        assert 0 == done.returncode, done.stderr
        [run] = document["runs"]
        assert {"requests_per_minute": 100_000, "tokens_per_minute": 50_000_000} == run["learned_limits"]
        assert "each client process paced itself to the whole limit the server announced" in done.stdout

    @pytest.mark.parametrize(
        ("args", "message"),
        [
            (["--processes", "0"], "must be at least 1"),
            (["--processes", "4", "--requests", "3"], "--requests must be at least 4"),
            (["--processes", "3", "--concurrency", "2"], "--concurrency must be at least 3, not 2"),
            (["--processes", "2", "--sweep", "1,4"], "the smallest --sweep level must be at least 2, not 1"),
            (["--processes", "2", "--max-in-flight", "1"], "--max-in-flight: it must be at least 2"),
        ],
    )
    def test_bad_arguments(self, tmp_path: Path, args: list[str], message: str) -> None:
        """A share that would leave a process nothing is an error saying which, exit status 2."""
        done, document = bench(tmp_path, *args)
        assert (2, {}) == (done.returncode, document)
        assert message in done.stderr

    def test_unreachable_target(self, tmp_path: Path) -> None:
        """Nobody listening: every process's warm-up fails; the usual message, exit status 1."""
        done, _ = bench(
            tmp_path,
            *("--processes", "2", "--base-url", "http://127.0.0.1:1/v1", "--max-retries", "0"),
        )
        assert 1 == done.returncode
        assert "every warm-up request to http://127.0.0.1:1/v1 failed (APIConnectionError" in done.stderr

    def test_one_process_failing_its_warm_up_stops_the_others(
        self, tmp_path: Path, raw_server: RawServer
    ) -> None:
        """One warm-up answered, the other refused (401): the warm process is told to stop, nothing is
        measured, and the refusal is the message, exit status 1."""
        raw_server.replies = [_reply(200, COMPLETION), _reply(401, b'{"error": {"message": "bad key"}}')]
        done, document = bench(tmp_path, *_raw(raw_server), "--processes", "2", "--requests", "10")
        assert (1, {}) == (done.returncode, document)
        assert "every warm-up request to" in done.stderr and "failed (AuthenticationError" in done.stderr
        assert 2 == raw_server.requests

    @pytest.mark.skipif(sys.platform != "linux", reason="finds the workers through /proc")
    def test_a_killed_worker_is_an_error_not_a_hang(self, tmp_path: Path, raw_server: RawServer) -> None:
        """SIGKILL to one worker while measuring: the bench says which process died and how, exit status 1,
        and leaves no worker behind."""
        workers: list[int] = []

        def kill_a_worker(bench: subprocess.Popen[str], count: int) -> None:
            if count == 4:  # after both warm-ups (one request each): measuring
                workers.extend(_workers(bench.pid))
                os.kill(workers[0], signal.SIGKILL)

        status, _, stderr = _scripted_bench(raw_server, tmp_path / "out.json", kill_a_worker)
        assert 1 == status, stderr
        assert 2 == len(workers)
        assert "client process" in stderr and " of 2 was killed by SIGKILL while measuring" in stderr
        assert not (tmp_path / "out.json").exists()  # nothing measured to write
        assert [] == [worker for worker in workers if b"spawn_main" in _cmdline(worker)]

    @pytest.mark.parametrize("group", [False, True], ids=["the-bench-alone", "its-process-group"])
    @pytest.mark.usefixtures("sigint_reaches_children")
    def test_an_interrupted_run_keeps_what_every_process_measured(
        self, tmp_path: Path, raw_server: RawServer, group: bool
    ) -> None:
        """SIGINT to the bench alone (it stops its workers), or to its whole process group as Ctrl-C in a
        terminal does (the workers stop themselves too): their requests so far, reported as cut short."""
        out = tmp_path / "bench.json"

        def interrupt(bench: subprocess.Popen[str], count: int) -> None:
            # Two warm-ups, then measured requests 3 to 5 answered; 6 is answered
            # only once the bench has ended, so that the run cannot end first.
            if count == 6:
                if group:
                    os.killpg(bench.pid, signal.SIGINT)  # its own session: the group is the bench's
                else:
                    bench.send_signal(signal.SIGINT)
                bench.wait(timeout=50)

        status, stdout, stderr = _scripted_bench(raw_server, out, interrupt)
        assert 130 == status, stderr
        document = json.loads(out.read_text())
        check_document(document)
        [run] = document["runs"]
        assert (2, False) == (run["processes"], run["complete"])
        assert run["requests"] == run["ok"] <= 3
        assert "interrupted" == document["stopped"]
        assert "(cut short)" in stdout

    @pytest.mark.skipif(sys.platform != "linux", reason="finds the workers through /proc, waits with pidfds")
    @pytest.mark.usefixtures("sigint_reaches_children")
    def test_a_process_done_before_the_interruption_keeps_its_part(
        self, tmp_path: Path, raw_server: RawServer
    ) -> None:
        """4 requests, 2 a process. As the last arrives (held), the other process has had both answered,
        sent back its part and exited; then Ctrl-C: its part counts with the one cut short, 3 in all."""
        out = tmp_path / "bench.json"
        workers: list[int] = []

        def interrupt(bench: subprocess.Popen[str], count: int) -> None:
            if count == 3:  # both measuring
                workers.extend(_workers(bench.pid))
            if count == 6:  # two warm-ups, then the 4 measured: the last one's process is the one left
                _until_one_exits(workers)
                os.killpg(bench.pid, signal.SIGINT)
                bench.wait(timeout=50)

        status, _, stderr = _scripted_bench(raw_server, out, interrupt, requests=4)
        assert (130, 2) == (status, len(workers)), stderr
        [run] = json.loads(out.read_text())["runs"]
        assert (3, 3, False) == (run["requests"], run["ok"], run["complete"])


def _until_one_exits(pids: list[int]) -> None:
    """Until one of `pids` (not children of this process) has exited, at most 20 s."""
    import select

    fds: list[int] = []
    try:
        for pid in pids:
            fds.append(os.pidfd_open(pid))
        select.select(fds, [], [], 20)
    except ProcessLookupError:
        pass  # gone already
    finally:
        for fd in fds:
            os.close(fd)


def _scripted_bench(
    raw_server: RawServer,
    out: Path,
    on_request: Callable[[subprocess.Popen[str], int], None],
    requests: int = 50,
) -> tuple[int, str, str]:
    """The bench in 2 processes against `raw_server` (answering every request), `on_request` called with
    it and each request's count; its exit status, stdout and stderr."""
    raw_server.replies = [_reply(200, COMPLETION)] * 100
    command = [sys.executable, "-m", "openai_actors", "bench", *_raw(raw_server), "--processes", "2"]
    command += ["--requests", str(requests), "--concurrency", "2", "--json", str(out)]
    bench = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
    )
    raw_server.on_request = lambda count: on_request(bench, count)
    try:
        stdout, stderr = bench.communicate(timeout=50)
    finally:
        bench.kill()
    return bench.returncode, stdout, stderr


def _workers(pid: int) -> list[int]:
    """The bench's worker processes (spawned by multiprocessing), by pid."""
    children: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            children += [int(child) for child in (task / "children").read_text().split()]
        except FileNotFoundError:
            pass
    return [child for child in children if b"spawn_main" in _cmdline(child)]


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except FileNotFoundError:
        return b""
