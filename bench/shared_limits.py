"""Limits shared through Redis (issue 16's targets): 4 processes, one limit, a server that enforces it.

    python bench/shared_limits.py [--scenario requests,tokens,fault,cost] [--processes 4]
                                  [--rpm 600] [--tpm 60000] [--duration 120] [--backend asyncio|trio]
                                  [--json FILE]

Starts its own redis-server (no persistence, a free loopback port) and the
bundled mock server (in this process) enforcing the limit and answering after
`--latency` seconds, then per scenario
`--processes` client processes (this script, `worker` mode), each one
`AsyncOpenAI(rate_limit=RateLimit(..., shared=SharedLimits(redis, key)))` with
more demand than the limit allows (`--callers` callers each, numbered
requests), for `--duration` seconds; then each stops starting requests, lets
those started end, and exits.

Each request carries its id (`user` field: process and number). The server
records the arrival of each request it accepted (with its id) and counts its
429s; each process journals every answer (id, status, tokens), one line each,
flushed. From those:

- 429s (target 0);
- the most requests (tokens) that arrived in any sliding 60 s window (target:
  at most the limit), and the share of the limit used at steady state (from
  10 s after the first arrival to the stop; target at least 90 %);
- exactly once: every id answered appears once among the journals and once at
  the server, and every id the server accepted was answered;
- Redis round trips per 1,000 requests (from the server's INFO commandstats:
  the commands clients sent, script calls and connection set-up; not the
  commands the scripts ran inside Redis);
- client CPU per request (user + sys, each process from its client's opening to
  its closing, summed).

Scenarios:

- requests: `--rpm` shared, the server enforcing `--rpm`.
- tokens: `--tpm` shared, the server enforcing `--tpm` (requests unlimited);
  each request is estimated at 104 tokens and uses 82 (the client refunds the
  rest).
- fault: as requests, and at 30 s one process is killed with SIGKILL and a new
  one resumes its work from its journal (skipping what it answered); at 60 s
  redis-server is killed and started again, empty. The requests in flight in
  the killed process reached the server but their answers died with it: the
  resumed process sends them again, and the report counts them apart.
- cost: the same processes without a server limit, each at a quarter of
  `--cost-rpm` alone, then sharing `--cost-rpm` through Redis: CPU per request
  and Redis commands per 1,000 requests, side by side.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, TextIO

PROMPT = "x" * 160  # 40 tokens at 4 characters a token
MAX_TOKENS = 64  # the mock answers 42 tokens: 82 used of 104 estimated
WINDOW = 60.0
WARM = 10.0  # seconds after the first arrival before "steady state"
_RUNS = itertools.count(1)
# The commands a client sends itself, each a round trip; INFO commandstats also counts
# those the scripts run inside Redis (GET, SET, TIME...), which cost no round trip.
ROUND_TRIPS = ("eval", "fcall", "script", "hello", "client", "auth", "select", "ping")


# --- the worker (a client process) ---------------------------------------------------------


@dataclass
class WorkerSettings:
    name: str
    base_url: str
    journal: str
    count: int
    callers: int
    rpm: float | None
    tpm: float | None
    redis_url: str | None
    key: str
    backend: str = "asyncio"


def worker(settings: WorkerSettings) -> None:
    """Send numbered requests until SIGTERM (then let those started end); print a JSON summary."""
    import anyio

    path = Path(settings.journal)
    done = _answered(path)
    with path.open("a") as journal:
        if path.stat().st_size and not path.read_bytes().endswith(b"\n"):
            journal.write("\n")  # after a line torn by SIGKILL: the next answer on a line of its own
        summary = anyio.run(_work, settings, journal, done, backend=settings.backend)
    print(json.dumps(summary), flush=True)


def _answered(journal: Path) -> set[str]:
    """The ids a journal says were answered (a last line torn by SIGKILL is not an answer)."""
    if not journal.exists():
        return set()
    lines = journal.read_text().split("\n")
    return {line.split(" ")[0] for line in lines[:-1] if line.count(" ") == 2}


async def _work(settings: WorkerSettings, journal: TextIO, done: set[str]) -> dict[str, float]:
    import anyio

    from openai_actors import AsyncOpenAI, RateLimit, SharedLimits

    ids = (f"{settings.name}-{n:06d}" for n in range(settings.count))
    todo = (request_id for request_id in ids if request_id not in done)
    shared = None if settings.redis_url is None else SharedLimits(settings.redis_url, key=settings.key)
    limits = RateLimit(requests_per_minute=settings.rpm, tokens_per_minute=settings.tpm, shared=shared)
    stop = anyio.Event()
    sent = 0

    async def caller(client: AsyncOpenAI) -> None:
        nonlocal sent
        for request_id in todo:
            if stop.is_set():
                return
            try:
                reply = await client.chat.completions.create(
                    model="gpt-4o-mini",
                    messages=[{"role": "user", "content": PROMPT}],
                    max_tokens=MAX_TOKENS,
                    user=request_id,
                )
                status, tokens = "ok", reply.usage.total_tokens if reply.usage else 0
            except Exception as exc:
                status, tokens = type(exc).__name__, 0
            journal.write(f"{request_id} {status} {tokens}\n")
            journal.flush()
            sent += 1

    async def stop_on_sigterm() -> None:
        with anyio.open_signal_receiver(signal.SIGTERM) as signals:
            async for _ in signals:
                stop.set()
                return

    cpu = _cpu()
    started = time.monotonic()
    async with (
        AsyncOpenAI(
            base_url=settings.base_url, api_key="sk-bench", rate_limit=limits, max_retries=5
        ) as client,
        anyio.create_task_group() as tg,
    ):
        tg.start_soon(stop_on_sigterm)
        async with anyio.create_task_group() as callers:
            for _ in range(settings.callers):
                callers.start_soon(caller, client)
        tg.cancel_scope.cancel()
    return {"requests": sent, "cpu_s": _cpu() - cpu, "wall_s": time.monotonic() - started}


def _cpu() -> float:
    usage = os.times()
    return usage.user + usage.system


# --- the parent: redis-server, the mock, the processes ----------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Redis:
    """A redis-server without persistence on a free loopback port; `restart` starts it again empty."""

    def __init__(self) -> None:
        binary = shutil.which("redis-server") or "/usr/bin/redis-server"
        if not Path(binary).exists():
            sys.exit("redis-server is not installed (apt-get install redis-server)")
        self.binary = binary
        self.port = _free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        command = [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
        command += ["--appendonly", "no", "--loglevel", "warning"]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
        import redis

        client = redis.Redis.from_url(self.url)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.01)  # nothing to wait on but its port
        client.close()

    def kill(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None

    def commands(self) -> Counter[str]:
        """Calls per command since the server started (the INFO asking this not counted)."""
        import redis

        client = redis.Redis.from_url(self.url)
        stats = client.info("commandstats")
        client.close()
        calls = Counter({name.removeprefix("cmdstat_"): int(row["calls"]) for name, row in stats.items()})
        del calls["info"]  # this script's
        return calls


@dataclass
class Arrival:
    at: float
    request_id: str


class Recorder:
    """The mock's responder: the arrival time and id of every request the rate limits let through."""

    def __init__(self) -> None:
        self.arrivals: list[Arrival] = []
        self._lock = threading.Lock()

    def __call__(self, request: Any) -> None:
        request_id = request.json().get("user", "")
        with self._lock:
            self.arrivals.append(Arrival(request.received_at, request_id))


@dataclass
class Outcome:
    scenario: str
    processes: int
    limit: float
    unit: str
    duration_s: float
    arrivals: int
    rate_limited: int
    max_in_window: float
    max_in_second: float
    max_second_at: float
    """When that 1 s window ended, in seconds after the first arrival."""
    """The most in any 1 s window at steady state: how evenly the limit is spent (even: limit / 60)."""
    steady_share: float | None
    answered: int
    answered_ok: int
    answered_twice: int
    accepted_twice: int
    accepted_unanswered: int
    answered_not_accepted: int
    resent_after_kill: int
    redis_commands: int | None
    redis_per_1000: float | None
    redis_by_command: dict[str, int]
    cpu_us_per_request: float | None
    errors: dict[str, int]


def _spawn(settings: WorkerSettings) -> subprocess.Popen[str]:
    payload = json.dumps(asdict(settings))
    return subprocess.Popen([sys.executable, __file__, "worker", payload], stdout=subprocess.PIPE, text=True)


def _sleep_until(moment: float) -> None:
    """The run is timed: wait for the scheduled moment (a kill, a restart, the end)."""
    time.sleep(max(0.0, moment - time.monotonic()))


def run_scenario(args: argparse.Namespace, scenario: str, redis: Redis, directory: Path) -> Outcome:
    from openai_actors.mock import MockServer

    shared = scenario != "cost-local"
    if scenario == "tokens":
        server_limits: dict[str, Any] = {"rate_limit_tokens": int(args.tpm)}
        rpm, tpm, limit, unit = None, args.tpm, args.tpm, "tokens"
    elif scenario in ("cost-local", "cost-shared"):
        server_limits = {}
        rpm, tpm, limit, unit = args.cost_rpm, None, args.cost_rpm, "requests"
    else:
        server_limits = {"rate_limit_requests": int(args.rpm)}
        rpm, tpm, limit, unit = args.rpm, None, args.rpm, "requests"
    duration = args.cost_duration if scenario.startswith("cost") else args.duration
    count = int(limit / 60 * duration * 4 / args.processes) + 1000  # more than can go
    if unit == "tokens":
        count = int(limit / 82 / 60 * duration * 4 / args.processes) + 1000
    if not shared:
        rpm = None if rpm is None else rpm / args.processes
    run = next(_RUNS)  # each run its own key and journals, nothing carried over from another
    key = f"bench-{scenario}-{os.getpid()}-{run}"
    before = redis.commands()
    recorder = Recorder()
    latency = 0.0 if scenario.startswith("cost") else args.latency
    with MockServer(record=False, latency=latency, **server_limits) as server:
        server.responder = recorder
        settings = [
            WorkerSettings(
                name=f"p{index}",
                base_url=server.url,
                journal=str(directory / f"{run}-{scenario}-p{index}.journal"),
                count=count,
                callers=args.callers,
                rpm=rpm,
                tpm=tpm,
                redis_url=redis.url if shared else None,
                key=key,
                backend=args.backend,
            )
            for index in range(args.processes)
        ]
        started = time.monotonic()
        workers = [_spawn(one) for one in settings]
        summaries: list[dict[str, Any]] = []
        resent_candidates: set[str] = set()
        if scenario == "fault":
            _sleep_until(started + 30)
            victim = workers[0]
            victim.send_signal(signal.SIGKILL)
            victim.wait()
            answered_before = _answered(Path(settings[0].journal))
            accepted_before = {
                a.request_id for a in list(recorder.arrivals) if a.request_id.startswith("p0-")
            }
            resent_candidates = accepted_before - answered_before
            workers[0] = _spawn(settings[0])  # resumes from the journal
            _sleep_until(started + 60)
            redis.kill()
            redis.start()
        _sleep_until(started + duration)
        stopped = time.monotonic()
        for process in workers:
            process.send_signal(signal.SIGTERM)
        for process in workers:
            out, _ = process.communicate(timeout=120)
            if process.returncode != 0:
                raise SystemExit(f"a client process exited with status {process.returncode}")
            summaries.append(json.loads(out.strip().splitlines()[-1]))
        rate_limited = server.rate_limited
    used = None
    if scenario != "fault":  # the restart forgot the counts
        used = redis.commands() - before
        used["hello"] -= 1  # the connection that asked for `before`
        used = +used
    return _outcome(
        scenario, args, settings, recorder.arrivals, stopped, limit, unit, rate_limited,
        summaries, resent_candidates, used,
    )  # fmt: skip


def _journal(paths: Sequence[str]) -> tuple[Counter[str], dict[str, int], Counter[str]]:
    """(times each id was answered, tokens by id, answers by status) over every journal."""
    answers: Counter[str] = Counter()
    tokens: dict[str, int] = {}
    statuses: Counter[str] = Counter()
    for path in paths:
        for line in Path(path).read_text().split("\n"):
            parts = line.split(" ")
            if len(parts) != 3:
                continue  # blank, or torn by SIGKILL
            request_id, status, used = parts
            answers[request_id] += 1
            statuses[status] += 1
            tokens[request_id] = int(used)
    return answers, tokens, statuses


def max_in_window(points: Sequence[tuple[float, float]], window: float = WINDOW) -> tuple[float, float]:
    """The largest total weight of the points (time, weight) within any `window` seconds, and when
    that window ended (0 for no points)."""
    ordered = sorted(points)
    best = total = when = 0.0
    first = 0
    for at, weight in ordered:
        total += weight
        while ordered[first][0] <= at - window:
            total -= ordered[first][1]
            first += 1
        if total > best:
            best, when = total, at
    return best, when


def _outcome(
    scenario: str,
    args: argparse.Namespace,
    settings: Sequence[WorkerSettings],
    arrivals: Sequence[Arrival],
    stopped: float,
    limit: float,
    unit: str,
    rate_limited: int,
    summaries: Sequence[dict[str, Any]],
    resent_candidates: set[str],
    commands: Counter[str] | None,
) -> Outcome:
    answers, tokens, statuses = _journal([one.journal for one in settings])
    accepted = Counter(arrival.request_id for arrival in arrivals)
    weight = (lambda request_id: float(tokens.get(request_id, 104))) if unit == "tokens" else (lambda _: 1.0)
    points = [(arrival.at, weight(arrival.request_id)) for arrival in arrivals]
    steady: float | None = None
    first = min((arrival.at for arrival in arrivals), default=stopped)
    if arrivals:
        span = stopped - (first + WARM)
        if span > 0:
            used = sum(w for at, w in points if first + WARM <= at < stopped)
            steady = used / (limit / WINDOW * span)
    busiest, busiest_at = max_in_window([(at, w) for at, w in points if first + WARM <= at < stopped], 1.0)
    twice = {request_id for request_id, n in accepted.items() if n > 1}
    resent = twice & resent_candidates
    requests = sum(summary["requests"] for summary in summaries)
    cpu = sum(summary["cpu_s"] for summary in summaries)
    total_commands = None
    if commands is not None:
        total_commands = sum(n for name, n in commands.items() if name.startswith(ROUND_TRIPS))
    return Outcome(
        scenario=scenario,
        processes=len(settings),
        limit=limit,
        unit=unit,
        duration_s=stopped - min((a.at for a in arrivals), default=stopped),
        arrivals=len(arrivals),
        rate_limited=rate_limited,
        max_in_window=max_in_window(points)[0],
        max_in_second=busiest,
        max_second_at=busiest_at - first,
        steady_share=steady,
        answered=sum(answers.values()),
        answered_ok=statuses["ok"],
        answered_twice=sum(1 for n in answers.values() if n > 1),
        accepted_twice=len(twice - resent),
        accepted_unanswered=len(set(accepted) - set(answers) - resent_candidates),
        answered_not_accepted=len(set(answers) - set(accepted)),
        resent_after_kill=len(resent),
        redis_commands=total_commands,
        redis_per_1000=None if total_commands is None or not requests else total_commands / requests * 1000,
        redis_by_command=dict(commands or {}),
        cpu_us_per_request=cpu / requests * 1e6 if requests else None,
        errors={status: n for status, n in statuses.items() if status != "ok"},
    )


def _report(outcome: Outcome) -> str:
    o = outcome
    lines = [f"== {o.scenario}: {o.processes} processes sharing {o.limit:,.0f} {o.unit}/min =="]
    share = "n/a" if o.steady_share is None else f"{o.steady_share:.1%}"
    lines.append(
        f"429s: {o.rate_limited}   most {o.unit} in any 60 s window: {o.max_in_window:,.0f} "
        f"(limit {o.limit:,.0f})   steady-state share of the limit: {share}"
    )
    lines.append(
        f"most {o.unit} in any 1 s window at steady state: {o.max_in_second:,.0f} "
        f"(evenly spread: {o.limit / WINDOW:,.0f}), the one ending {o.max_second_at:.1f} s in"
    )
    lines.append(
        f"accepted at the server: {o.arrivals:,}   answered: {o.answered:,} ({o.answered_ok:,} ok)   "
        f"answered twice: {o.answered_twice}   accepted twice: {o.accepted_twice}   "
        f"accepted, never answered: {o.accepted_unanswered}   answered, never accepted: {o.answered_not_accepted}"
    )
    if o.scenario == "fault":
        lines.append(
            f"in flight in the killed process (reached the server, answer lost with it), sent again by "
            f"its successor: {o.resent_after_kill}"
        )
    if o.redis_commands is not None:
        lines.append(
            f"Redis round trips: {o.redis_commands:,} ({o.redis_per_1000:,.1f} per 1,000 requests); "
            "commands, with those run inside scripts: "
            + ", ".join(f"{name} {n:,}" for name, n in sorted(o.redis_by_command.items()))
        )
    if o.cpu_us_per_request is not None:
        lines.append(f"client CPU per request (summed over the processes): {o.cpu_us_per_request:,.0f} us")
    if o.errors:
        lines.append(f"errors: {o.errors}")
    return "\n".join(lines)


def _cost_summary(outcomes: Sequence[Outcome]) -> str:
    """The cost runs' medians: CPU per request alone and sharing, and round trips per 1,000 requests."""

    def median(scenario: str, figure: str) -> float:
        values = [getattr(o, figure) for o in outcomes if o.scenario == scenario]
        return statistics.median(value for value in values if value is not None)

    alone, sharing = median("cost-local", "cpu_us_per_request"), median("cost-shared", "cpu_us_per_request")
    trips = median("cost-shared", "redis_per_1000")
    return (
        f"== cost, medians: client CPU per request {alone:,.0f} us alone, {sharing:,.0f} us sharing "
        f"({sharing / alone - 1:+.1%}); Redis round trips per 1,000 requests when sharing: {trips:,.1f} =="
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scenario", default="requests,tokens,fault,cost")
    parser.add_argument("--processes", type=int, default=4)
    parser.add_argument("--callers", type=int, default=16, help="concurrent callers per process")
    parser.add_argument("--rpm", type=float, default=600)
    parser.add_argument("--tpm", type=float, default=60_000)
    parser.add_argument("--duration", type=float, default=120, help="seconds of each run")
    parser.add_argument(
        "--latency",
        type=float,
        default=0.5,
        help="seconds the server takes to answer (not in the cost runs): requests are in flight at the kill",
    )
    parser.add_argument("--cost-rpm", type=float, default=60_000, help="the limit of the cost runs")
    parser.add_argument("--cost-duration", type=float, default=30)
    parser.add_argument("--cost-repeats", type=int, default=3, help="cost runs alternate, medians reported")
    parser.add_argument(
        "--backend", choices=("asyncio", "trio"), default="asyncio", help="the client processes' event loop"
    )
    parser.add_argument("--json", help="also write the outcomes here")
    args = parser.parse_args(argv)
    scenarios = [item.strip() for item in args.scenario.split(",")]
    pair = ("cost-local", "cost-shared") * args.cost_repeats
    runs = [run for name in scenarios for run in (pair if name == "cost" else (name,))]
    outcomes = []
    with tempfile.TemporaryDirectory() as directory, _redis() as redis:
        print(f"redis-server {redis.url}; {sys.argv[0]} {' '.join(argv or sys.argv[1:])}", flush=True)
        for scenario in runs:
            outcome = run_scenario(args, scenario, redis, Path(directory))
            outcomes.append(outcome)
            print(_report(outcome), flush=True)
        if "cost" in scenarios:
            print(_cost_summary(outcomes), flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps([asdict(o) for o in outcomes], indent=2) + "\n")


@contextlib.contextmanager
def _redis() -> Iterator[Redis]:
    redis = Redis()
    redis.start()
    try:
        yield redis
    finally:
        redis.kill()


if __name__ == "__main__":
    if sys.argv[1:2] == ["worker"]:
        worker(WorkerSettings(**json.loads(sys.argv[2])))
    else:
        main()
