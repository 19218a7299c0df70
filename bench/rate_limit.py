"""Sending through a requests-per-window limit: this client against the official SDK.

    python bench/rate_limit.py [--mode continuous|fixed] [--limit 300] [--window 5]
                               [--windows 5 | --requests N] [--concurrency 64]
                               [--client configured --client defaults --client official]

A mock server (in this process, on loopback) enforces `--limit` requests per
`--window` seconds (429 with retry-after-ms and x-ratelimit-* headers), in
one of two ways (`--mode`):

* continuous: as OpenAI does, a bucket refilled continuously; the reset header
  is the time until it is full again;
* fixed: as fixed-window gateways do, that many per window, all back when the
  window ends; the reset header is the time until then.

Each client sends `--requests` chat completions (default `limit * windows`)
from `--concurrency` callers:

* configured: openai_actors told the server's limit
  (`RateLimit(requests_per_minute=limit, window=window, learn=False)`);
* defaults: openai_actors with nothing configured, learning the limit from the
  headers: `AsyncOpenAI()` itself when the window is 60 s, else
  `RateLimit(window=window)` (the client's "minute" is the server's window);
* official: the official `openai.AsyncOpenAI` driven the obvious way,
  `asyncio.gather` under a semaphore, with its default retries (skipped if
  `openai` is not installed).

For each: requests that reached the server in each window (the server's
windows, counted from when it started), those answered with success, 429s,
requests that failed in the end, wall time in seconds and in windows, and the
share of the limit used at steady state (answered per window over the limit,
from the second window to the last full one; n/a when there is none).
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import importlib.util
import time
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from openai_actors import AsyncOpenAI, RateLimit
from openai_actors.mock import MockServer

BODY: dict[str, Any] = {
    "model": "gpt-4o-mini",
    "messages": [{"role": "user", "content": "Hello"}],
    "max_tokens": 16,
}
CLIENTS = ("configured", "defaults", "official")


Run = Callable[[str], Coroutine[Any, Any, int]]
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


async def with_actors(url: str, count: int, concurrency: int, rate: RateLimit | None) -> int:
    # rate None: the client's own default, as `AsyncOpenAI()` is written.
    options: dict[str, Any] = {} if rate is None else {"rate_limit": rate}
    async with AsyncOpenAI(api_key="sk-bench", base_url=url, **options) as client:
        return await gather_limited(lambda: client.chat.completions.create(**BODY), count, concurrency)


async def with_official(url: str, count: int, concurrency: int) -> int:
    openai = importlib.import_module("openai")  # optional: not a dependency of this package
    async with openai.AsyncOpenAI(api_key="sk-bench", base_url=url) as client:
        return await gather_limited(lambda: client.chat.completions.create(**BODY), count, concurrency)


def measure(name: str, run: Run, args: argparse.Namespace) -> dict[str, Any]:
    SUCCESSES.clear()
    with MockServer(
        rate_limit_requests=args.limit, rate_limit_window=args.window, rate_limit_mode=args.mode
    ) as server:
        started = time.monotonic()  # the server's first window began as it was made, just before
        failed = asyncio.run(run(server.url))
        wall = time.monotonic() - started
        arrivals = [r.received_at for r in server.requests]
        refused = server.rate_limited
    sent = per_window(arrivals, started, args.window)
    served = per_window(SUCCESSES, started, args.window)
    full = served[1:-1]  # the steady state: neither the first window nor the last, partial one
    share = sum(full) / (len(full) * args.limit) if full else None
    return {
        "name": name,
        "sent": sent,
        "served": served,
        "refused": refused,
        "failed": failed,
        "wall": wall,
        "windows": wall / args.window,
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
    parser.add_argument("--mode", choices=("continuous", "fixed"), default="continuous")
    parser.add_argument("--limit", type=int, default=300)
    parser.add_argument("--window", type=float, default=5.0)
    parser.add_argument("--windows", type=int, default=5)
    parser.add_argument("--requests", type=int, default=None, help="default: limit * windows")
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument(
        "--client", action="append", choices=CLIENTS, help="the clients to run (repeatable; default: all)"
    )
    args = parser.parse_args()
    count = args.requests if args.requests is not None else args.limit * args.windows
    chosen = args.client or list(CLIENTS)
    configured = RateLimit(requests_per_minute=args.limit, window=args.window, learn=False)
    defaults = None if args.window == 60 else RateLimit(window=args.window)
    defaults_name = (
        "openai_actors, `AsyncOpenAI()` defaults (limit learned)"
        if defaults is None
        else f"openai_actors, `RateLimit(window={args.window:g})` (limit learned)"
    )
    runs: list[tuple[str, Run]] = []
    if "configured" in chosen:
        runs.append(
            (
                "openai_actors, limit configured",
                lambda url: with_actors(url, count, args.concurrency, configured),
            )
        )
    if "defaults" in chosen:
        runs.append((defaults_name, lambda url: with_actors(url, count, args.concurrency, defaults)))
    if "official" in chosen:
        if importlib.util.find_spec("openai") is not None:
            runs.append(
                (
                    "official openai, gather + semaphore",
                    lambda url: with_official(url, count, args.concurrency),
                )
            )
        else:
            print("the official openai package is not installed: its row is skipped")
    results = [measure(name, run, args) for name, run in runs]
    print(
        f"{count} chat completions through a {args.mode} limit of {args.limit} requests per {args.window:g} s "
        f"({args.concurrency} callers)\n"
    )
    print(
        "| client | requests sent per window (429s included) | answered per window | 429s "
        "| failed after retries | wall s | wall in windows | share of the limit used |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for r in results:
        sent = ", ".join(str(n) for n in r["sent"])
        served = ", ".join(str(n) for n in r["served"])
        print(
            f"| {r['name']} | {sent} | {served} | {r['refused']} | {r['failed']} | {r['wall']:.1f} "
            f"| {r['windows']:.2f} | {'n/a' if r['share'] is None else format(r['share'], '.1%')} |"
        )


if __name__ == "__main__":
    main()
