"""The cost of sharing limits through Redis: round trips per 1,000 requests, client CPU per request.

    python bench/shared_lease_cost.py [--requests 3000] [--concurrency 64] [--rpm 600000]
                                  [--repeat 3] [--backend asyncio --backend trio] [--redis URL]

For each backend, one `AsyncOpenAI` sends `--requests` chat completions
(after 200 of warm-up) from `--concurrency` callers to the mock server, run
in a process of its own (so that its CPU is not counted), paced to `--rpm`
requests per minute, twice in turn, `--repeat` times:

* local: `RateLimit(requests_per_minute=rpm, learn=False)`;
* shared: the same with `shared=SharedLimits(redis, key=...)`, a fresh key
  each run.

Figures: requests/s, client CPU (user + system, `getrusage`, this process
and its threads: on trio the Redis calls run in a worker thread) in µs per
request, and, from the Redis server's `INFO commandstats`, script calls
(round trips) and commands run inside them, per 1,000 requests, and the
mean time of a lease's round trip as the client sees it (during the runs,
with the mock server busy on Redis's core); and first, with Redis idle, the
median and p99 of 500 lease round trips on each backend's client. Medians over
the repeats; the shared/local CPU ratio is computed within each repeat, then
its median taken. A redis-server is started on a free port unless `--redis`
names one. Run pinned for steadier figures (`taskset -c 1 python ...`, the
mock server and redis-server are pinned to core 0).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import anyio

from openai_actors import AsyncOpenAI, RateLimit, SharedLimits


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_port(port: int, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on port {port}")


def _other_core() -> None:
    """In a child: leave core 1 to the client (run it with `taskset -c 1`)."""
    if hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) > 1:
        os.sched_setaffinity(0, {0})


@contextmanager
def _process(command: list[str], port: int) -> Iterator[None]:
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, preexec_fn=_other_core
    )
    try:
        _wait_port(port)
        yield
    finally:
        process.kill()
        process.wait(10)


@contextmanager
def _redis(url: str | None) -> Iterator[str]:
    if url is not None:
        yield url
        return
    binary = shutil.which("redis-server") or "/usr/bin/redis-server"
    port = _free_port()
    command = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    with _process(command, port):
        yield f"redis://127.0.0.1:{port}/0"


def _script_calls(redis_url: str) -> tuple[int, int]:
    """(script calls, commands run inside them) so far, from INFO commandstats."""
    import redis

    client = redis.Redis.from_url(redis_url)
    try:
        stats: dict[str, Any] = client.info("commandstats")
    finally:
        client.close()
    scripts = sum(stats.get(f"cmdstat_{name}", {}).get("calls", 0) for name in ("evalsha", "eval"))
    skip = {"evalsha", "eval", "info", "script|load", "hello", "client|setname", "ping", "select"}
    inside = sum(v["calls"] for k, v in stats.items() if k.removeprefix("cmdstat_") not in skip)
    return scripts, inside


async def _send(client: AsyncOpenAI, count: int, concurrency: int) -> None:
    limiter = anyio.Semaphore(concurrency)

    async def one() -> None:
        async with limiter:
            await client.chat.completions.create(
                model="m", messages=[{"role": "user", "content": "hi"}], max_tokens=8
            )

    async with anyio.create_task_group() as tg:
        for _ in range(count):
            tg.start_soon(one)


async def _round_trips(redis_url: str, count: int = 500) -> tuple[float, float]:
    """Median and p99 ms of the lease script's round trip, on this backend's Redis client, Redis idle."""
    from openai_actors._shared_leases import Ask
    from openai_actors._shared_redis import LEASE, _backend, lease_args, lease_keys

    key = f"bench-rtt-{secrets.token_hex(4)}"
    backend = _backend(SharedLimits(redis_url, key=key))
    keys = lease_keys(key)
    # One process leasing 10 requests of 600,000/min, nothing else: the script's common path.
    ask = Ask(
        limits=(600_000, 0),
        want=(10, 0),
        need=(0, 0),
        give_back=(0, 0),
        marks=("", ""),
        learned=(0, 0),
        warm=False,
        reserve=(0, 0),
        sent_at=0.0,
    )
    args = lease_args("bench", 60.0, ask)
    times = []
    try:
        for _ in range(count):
            started = time.perf_counter()
            await backend.run(LEASE, keys, args)
            times.append((time.perf_counter() - started) * 1e3)
    finally:
        await backend.aclose()
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.99)]


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def _run(base_url: str, rate: RateLimit, requests: int, concurrency: int) -> dict[str, float]:
    async with AsyncOpenAI(api_key="sk-bench", base_url=base_url, rate_limit=rate) as client:
        await _send(client, 200, concurrency)  # warm-up: connections, the first leases
        cpu, wall = _cpu(), time.perf_counter()
        await _send(client, requests, concurrency)
        cpu, wall = _cpu() - cpu, time.perf_counter() - wall
        result = {"requests_per_s": requests / wall, "cpu_us_per_request": cpu / requests * 1e6}
        book = client._book
        if book is not None and book.asks:
            result["lease_ms"] = book.ask_seconds / book.asks * 1000
    return result


def measure(args: argparse.Namespace, base_url: str, redis_url: str, backend: str) -> dict[str, Any]:
    runs: dict[str, list[dict[str, float]]] = {"local": [], "shared": []}
    ratios = []
    for _ in range(args.repeat):
        local = RateLimit(requests_per_minute=args.rpm, learn=False)
        runs["local"].append(
            anyio.run(_run, base_url, local, args.requests, args.concurrency, backend=backend)
        )
        shared_limits = SharedLimits(redis_url, key=f"bench-{secrets.token_hex(4)}")
        shared = RateLimit(requests_per_minute=args.rpm, learn=False, shared=shared_limits)
        before = _script_calls(redis_url)
        result = anyio.run(_run, base_url, shared, args.requests, args.concurrency, backend=backend)
        after = _script_calls(redis_url)
        # Warm-up included: the counters cover the whole client, first lease to release.
        total = args.requests + 200
        result["round_trips_per_1000"] = (after[0] - before[0]) / total * 1000
        result["redis_commands_per_1000"] = (after[1] - before[1]) / total * 1000
        runs["shared"].append(result)
        ratios.append(result["cpu_us_per_request"] / runs["local"][-1]["cpu_us_per_request"])

    def median(mode: str, key: str) -> float:
        return statistics.median(r[key] for r in runs[mode])

    return {
        "backend": backend,
        "local": {key: median("local", key) for key in runs["local"][0]},
        "shared": {key: median("shared", key) for key in runs["shared"][0]},
        "cpu_ratio_shared_to_local": statistics.median(ratios),
        "runs": runs,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument(
        "--rpm", type=float, default=600_000, help="the limit paced to (default: not binding)"
    )
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--backend", action="append", choices=["asyncio", "trio"])
    parser.add_argument("--redis", help="a Redis URL (default: start a redis-server on a free port)")
    parser.add_argument("--json", help="write the figures to this file")
    args = parser.parse_args()
    backends = args.backend or ["asyncio", "trio"]
    port = _free_port()
    mock = [sys.executable, "-m", "openai_actors.mock", "--port", str(port), "--no-record"]
    results = []
    with _process(mock, port), _redis(args.redis) as redis_url:
        for backend in backends:
            # Before the runs, while the mock server is idle: Redis has its core to itself.
            median, p99 = anyio.run(_round_trips, redis_url, backend=backend)
            how = "asyncio client" if backend == "asyncio" else "sync client in a worker thread"
            print(
                f"{backend}: a lease's round trip, Redis idle ({how}): median {median:.3f} ms, p99 {p99:.3f} ms"
            )
        for backend in backends:
            results.append(measure(args, f"http://127.0.0.1:{port}/v1", redis_url, backend))
    print(
        f"{args.requests} requests, {args.concurrency} in flight, paced to {args.rpm:g}/min, median of {args.repeat}"
    )
    print("backend  mode    req/s   CPU µs/req  round trips/1k  Redis cmds/1k  lease ms  CPU shared/local")
    for r in results:
        for mode in ("local", "shared"):
            figures = r[mode]
            trips = f"{figures['round_trips_per_1000']:14.2f}" if mode == "shared" else f"{'':14}"
            cmds = f"{figures['redis_commands_per_1000']:14.1f}" if mode == "shared" else f"{'':14}"
            ratio = f"{r['cpu_ratio_shared_to_local']:8.3f}" if mode == "shared" else ""
            lease = f"{figures['lease_ms']:8.2f}" if mode == "shared" else f"{'':8}"
            print(
                f"{r['backend']:8} {mode:6} {figures['requests_per_s']:7.0f} {figures['cpu_us_per_request']:11.1f}"
                f"  {trips} {cmds}  {lease}  {ratio}"
            )
    if args.json:
        with open(args.json, "w") as file:
            json.dump({"args": vars(args), "results": results, "cpus": os.cpu_count()}, file, indent=2)


if __name__ == "__main__":
    main()
