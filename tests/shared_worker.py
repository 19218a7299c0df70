"""One process of a multi-process test of shared limits: `python -m tests.shared_worker ARGS`.

Sends COUNT chat completions (contents PREFIX-0, PREFIX-1, ...) through one
`AsyncOpenAI` whose limits are shared through Redis, then prints a JSON line:
how many succeeded, the errors, and the leases it took.
"""

from __future__ import annotations

import argparse
import json
import sys

import anyio

from openai_actors import AsyncOpenAI, RateLimit, SharedLimits


async def main(args: argparse.Namespace) -> dict[str, object]:
    shared = SharedLimits(args.redis, key=args.key, on_unreachable=args.on_unreachable)
    rate = RateLimit(requests_per_minute=args.rpm, window=args.window, shared=shared)
    errors: list[str] = []
    ok = 0
    limiter = anyio.Semaphore(args.concurrency)
    async with AsyncOpenAI(
        api_key="sk-test", base_url=args.base_url, rate_limit=rate, max_retries=5
    ) as client:

        async def one(i: int) -> None:
            nonlocal ok
            async with limiter:
                try:
                    await client.chat.completions.create(
                        model="m", messages=[{"role": "user", "content": f"{args.prefix}-{i}"}], max_tokens=4
                    )
                    ok += 1
                except Exception as exc:
                    errors.append(repr(exc))

        async with anyio.create_task_group() as tg:
            for i in range(args.count):
                tg.start_soon(one, i)
        book = client._book
        leases = book.asks if book is not None else 0
    return {"ok": ok, "errors": errors, "leases": leases}


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    for name in ("redis", "key", "base_url", "prefix"):
        parser.add_argument(f"--{name.replace('_', '-')}", required=True)
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--rpm", type=float, required=True)
    parser.add_argument("--window", type=float, required=True)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--on-unreachable", default="wait")
    result = anyio.run(main, parser.parse_args())
    print(json.dumps(result), flush=True)
    sys.exit(0)
