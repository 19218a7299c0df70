"""A batch job on Ray Data under one shared rate limit, with an actor killed mid-run.

    python bench/ray_process.py [--requests 20000] [--actors 4] [--rpm 1200]
                                [--kill-after 300 | --kill-after 0] [--latency 0.2]
                                [--no-shared] [--json FILE]

A mock server in this process enforces `--rpm` requests per minute (OpenAI's
way: a bucket refilled continuously, 429 with retry-after beyond it). A local
Ray instance (2 logical CPUs, the actors reserving none) runs
`openai_actors.ray.process` over `--requests` chat completions with
`--actors` actors, each with its own client. The actors share the limit:

* shared (default, when `openai_actors.SharedLimits` exists): one
  `RateLimit(requests_per_minute=rpm, shared=SharedLimits(redis://...))`, on a
  `redis-server` this script starts on a free loopback port and stops;
* `--no-shared`: each actor gets `rpm / actors`, the best a job can do
  without sharing (a dead actor's share is idle until Ray restarts it);
* `--rpm 0`: no limit at all (`rate_limit=None`), to see how fast a job goes.

`--kill-after S` kills one actor (SIGKILL to the process writing the largest
journal file) S seconds after the first request; Ray restarts it and retries
its block. The figures: rows out, custom_ids missing or repeated in them,
requests sent twice (at most those the killed actor had in flight), 429s,
the most requests the server accepted in any 60 s, the share of the limit
used (accepted per minute over the limit, first to last request), and the
requests accepted in each whole minute.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import ray
import ray.data

import openai_actors.ray
from openai_actors import RateLimit
from openai_actors._ray_journal import SUFFIX
from openai_actors.mock import MockServer, RecordedRequest


def rows(count: int) -> list[dict[str, Any]]:
    return [
        {
            "custom_id": f"r{i}",
            "method": "POST",
            "url": "/v1/chat/completions",
            "body": {
                "model": "gpt-4o-mini",
                "messages": [{"role": "user", "content": f"r{i}"}],
                "max_tokens": 8,
            },
        }
        for i in range(count)
    ]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def redis_server() -> Iterator[str]:
    """A throwaway redis-server on a free loopback port; its URL."""
    import redis

    port = free_port()
    process = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    try:
        client = redis.Redis.from_url(url)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        client.close()
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def rate_limit(args: argparse.Namespace, redis_url: str | None) -> RateLimit | None:
    if not args.rpm:
        return None
    if redis_url is None:
        return RateLimit(requests_per_minute=args.rpm / args.actors)
    from openai_actors import SharedLimits

    shared = SharedLimits(redis_url, key=f"bench-ray-{os.getpid()}")
    return RateLimit(requests_per_minute=args.rpm, shared=shared)


class Accepted:
    """The server's responder: each request that passed the rate limit, when, and its custom_id.

    (The server's own recording keeps the last 10,000 requests only.)
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.times: list[float] = []
        self.ids: Counter[str] = Counter()

    def __call__(self, request: RecordedRequest) -> None:
        custom_id = request.json()["messages"][0]["content"]
        with self.lock:
            self.times.append(time.monotonic())
            self.ids[custom_id] += 1


def kill_one_actor(
    server: MockServer, accepted: Accepted, journal: Path, after: float, killed: list[int]
) -> None:
    """S seconds after the first request, SIGKILL the actor that wrote the most."""
    server.wait_for(lambda s: len(accepted.times) > 0, timeout=600)
    started = accepted.times[0]
    server.wait_for(lambda s: time.monotonic() - started >= after, timeout=after + 600)
    victim = max(journal.glob(f"*{SUFFIX}"), key=lambda p: p.stat().st_size)
    pid = int(victim.name.rsplit("-", 2)[1])
    os.kill(pid, signal.SIGKILL)
    killed.append(pid)
    print(f"killed actor pid {pid} at {time.monotonic() - started:.1f} s ({victim.name})", flush=True)


def most_in_window(times: list[float], window: float) -> int:
    best, start = 0, 0
    for end, at in enumerate(times):
        while at - times[start] >= window:
            start += 1
        best = max(best, end - start + 1)
    return best


def per_minute(times: list[float]) -> list[int]:
    """Requests accepted in each whole minute from the first (the last, partial one left out)."""
    if not times:
        return []
    counts = Counter(int((at - times[0]) // 60) for at in times)
    return [counts[minute] for minute in range(int((times[-1] - times[0]) // 60))]


def run(args: argparse.Namespace, redis_url: str | None) -> dict[str, Any]:
    journal = Path(args.journal or tempfile.mkdtemp(prefix="ray-process-journal-"))
    accepted = Accepted()
    with MockServer(
        latency=args.latency, rate_limit_requests=args.rpm or None, rate_limit_window=60.0, record=False
    ) as server:
        server.responder = accepted
        dataset = ray.data.from_items(rows(args.requests), override_num_blocks=args.blocks)
        answers = openai_actors.ray.process(
            dataset,
            journal=str(journal),
            concurrency=args.actors,
            rate_limit=rate_limit(args, redis_url),
            api_key="sk-bench",
            base_url=server.url,
        )
        killed: list[int] = []
        killer = None
        if args.kill_after > 0:
            killer = threading.Thread(
                target=kill_one_actor, args=(server, accepted, journal, args.kill_after, killed), daemon=True
            )
            killer.start()
        wall = time.monotonic()
        out = answers.take_all()
        wall = time.monotonic() - wall
        if killer is not None:
            killer.join(timeout=1)
        rate_limited = server.rate_limited
    times, sent = sorted(accepted.times), accepted.ids
    span = times[-1] - times[0] if len(times) > 1 else 0.0
    out_ids = Counter(row["custom_id"] for row in out)
    expected = {f"r{i}" for i in range(args.requests)}
    result = {
        "requests": args.requests,
        "actors": args.actors,
        "rpm": args.rpm,
        "shared": redis_url is not None,
        "killed_pid": killed[0] if killed else None,
        "rows_out": len(out),
        "missing": len(expected - set(out_ids)),
        "repeated_rows": sum(n - 1 for n in out_ids.values()),
        "errors": sum(1 for row in out if row["error"] is not None or row["response"]["status_code"] != 200),
        "sent": sent.total(),
        "sent_twice": sum(1 for n in sent.values() if n > 1),
        "429s": rate_limited,
        "most_in_60s": most_in_window(times, 60.0),
        "limit_used": round((len(times) - 1) / span * 60 / args.rpm, 4) if span and args.rpm else None,
        "requests_per_s": round((len(times) - 1) / span, 1) if span else None,
        "per_minute": per_minute(times),
        "wall_s": round(wall, 1),
        "journal": str(journal),
    }
    if not args.journal:
        shutil.rmtree(journal, ignore_errors=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--actors", type=int, default=4)
    parser.add_argument(
        "--rpm",
        type=int,
        default=1_200,
        help="the server's limit, shared by the actors; 0: no limit anywhere",
    )
    parser.add_argument("--kill-after", type=float, default=300.0, help="seconds; 0: kill nothing")
    parser.add_argument("--latency", type=float, default=0.2, help="the mock's seconds per answer")
    parser.add_argument("--blocks", type=int, default=40, help="blocks of the input dataset")
    parser.add_argument("--no-shared", action="store_true", help="rpm / actors each, no Redis")
    parser.add_argument("--journal", help="journal directory to keep (default: a temporary one)")
    parser.add_argument("--json", help="write the figures to this file too")
    args = parser.parse_args()
    shared = not args.no_shared and args.rpm > 0
    if shared:
        import openai_actors

        if not hasattr(openai_actors, "SharedLimits"):
            print("openai_actors.SharedLimits is not available here: running with --no-shared")
            shared = False
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    ray.data.DataContext.get_current().enable_progress_bars = False
    try:
        with redis_server() if shared else contextlib.nullcontext() as redis_url:
            result = run(args, redis_url)
    finally:
        ray.shutdown()
    for name, value in result.items():
        print(f"{name:>14}  {value}")
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
