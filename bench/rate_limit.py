"""Sending through a requests-per-window limit: this client against the official SDK, one run.

    python bench/rate_limit.py [--limit 300] [--window 5] [--windows 5] [--concurrency 64]

A mock server (in this process, on loopback) enforces `--limit` requests per
`--window` seconds as OpenAI does (a bucket refilled continuously; 429 with
retry-after-ms and x-ratelimit-* headers). Each client sends
`limit * windows` chat completions from `--concurrency` callers:

* openai_actors, configured with the server's limit (`RateLimit(requests_per_minute=limit, window=window)`);
* openai_actors with nothing configured (it learns the limit from the headers);
* the official `openai.AsyncOpenAI` driven the obvious way, `asyncio.gather` under a
  semaphore, with its default retries (skipped if `openai` is not installed).

For each: requests that reached the server in each window, 429s, requests
that failed in the end, wall time, and the share of the limit used while
requests were waiting (sent per window over the limit, from the second window
to the last full one, counting the requests answered without a 429).
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import time
from collections.abc import Awaitable, Callable
from typing import Any

from openai_actors import AsyncOpenAI, RateLimit
from openai_actors.mock import MockServer

BODY = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Hello"}], "max_tokens": 16}


SUCCESSES: list[float] = []  # when each request that succeeded finished


async def gather_limited(one: Callable[[], Awaitable[Any]], count: int, concurrency: int) -> int:
    """Run `one` `count` times, `concurrency` at once; how many raised."""
    semaphore = asyncio.Semaphore(concurrency)

    async def task() -> bool:
        async with semaphore:
            try:
                await one()
            except Exception:
                return False
            SUCCESSES.append(time.monotonic())
            return True

    results = await asyncio.gather(*(task() for _ in range(count)))
    return results.count(False)


async def with_actors(url: str, count: int, concurrency: int, rate: RateLimit) -> int:
    async with AsyncOpenAI(api_key="sk-bench", base_url=url, rate_limit=rate) as client:
        return await gather_limited(lambda: client.chat.completions.create(**BODY), count, concurrency)  # type: ignore[arg-type]


async def with_official(url: str, count: int, concurrency: int) -> int:
    import openai

    async with openai.AsyncOpenAI(api_key="sk-bench", base_url=url) as client:
        return await gather_limited(lambda: client.chat.completions.create(**BODY), count, concurrency)  # type: ignore[call-overload]


def measure(name: str, run: Callable[[str], Awaitable[int]], args: argparse.Namespace) -> dict[str, Any]:
    SUCCESSES.clear()
    with MockServer(rate_limit_requests=args.limit, rate_limit_window=args.window) as server:
        started = time.monotonic()
        failed = asyncio.run(run(server.url))
        wall = time.monotonic() - started
        arrivals = [r.received_at for r in server.requests]
        refused = server.rate_limited
    sent = per_window(arrivals, started, args.window)
    served = per_window(SUCCESSES, started, args.window)
    full = served[1:-1] or served
    share = sum(full) / (len(full) * args.limit)
    return {
        "name": name,
        "sent": sent,
        "served": served,
        "refused": refused,
        "failed": failed,
        "wall": wall,
        "share": share,
    }


def per_window(times: list[float], started: float, window: float) -> list[int]:
    counts: list[int] = []
    for moment in times:
        index = int((moment - started) / window)
        while len(counts) <= index:
            counts.append(0)
        counts[index] += 1
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--limit", type=int, default=300)
    parser.add_argument("--window", type=float, default=5.0)
    parser.add_argument("--windows", type=int, default=5)
    parser.add_argument("--concurrency", type=int, default=64)
    args = parser.parse_args()
    count = args.limit * args.windows
    configured = RateLimit(requests_per_minute=args.limit, window=args.window, learn=False)
    learning = RateLimit(window=args.window)
    runs: list[tuple[str, Callable[[str], Awaitable[int]]]] = [
        (
            "openai_actors, limit configured",
            lambda url: with_actors(url, count, args.concurrency, configured),
        ),
        ("openai_actors, limit learned", lambda url: with_actors(url, count, args.concurrency, learning)),
    ]
    if importlib.util.find_spec("openai") is not None:
        runs.append(
            ("official openai, gather + semaphore", lambda url: with_official(url, count, args.concurrency))
        )
    else:
        print("the official openai package is not installed: its row is skipped")
    results = [measure(name, run, args) for name, run in runs]
    print(
        f"{count} chat completions through a limit of {args.limit} requests per {args.window:g} s "
        f"({args.concurrency} callers)\n"
    )
    print(
        "| client | requests sent per window (429s included) | answered per window | 429s "
        "| failed after retries | wall s | share of the limit used |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for r in results:
        sent = ", ".join(str(n) for n in r["sent"])
        served = ", ".join(str(n) for n in r["served"])
        print(
            f"| {r['name']} | {sent} | {served} | {r['refused']} | {r['failed']} | {r['wall']:.1f} "
            f"| {r['share']:.1%} |"
        )


if __name__ == "__main__":
    main()
