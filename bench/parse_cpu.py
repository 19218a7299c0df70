"""Client CPU per structured-output call: `chat.completions.parse` here and in the official SDK.

    python bench/parse_cpu.py [--requests 400] [--concurrency 16] [--repeat 3]

Starts the bundled mock server in a process of its own, then runs the same
`parse(response_format=MathResponse)` calls through `openai_actors.AsyncOpenAI`
and `openai.AsyncOpenAI` (when installed), and `create` with the same JSON-schema
dict for reference, each in a fresh worker process on asyncio. It prints the
worker's CPU time per call (the mock's CPU is in its own process, not counted),
the median of `--repeat` runs.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from examples_check import ROOT, Mock

WORKER = """
import asyncio, json, sys, time
from pydantic import BaseModel

kind, url, n, concurrency = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
if kind.startswith("official"):
    from openai import AsyncOpenAI
else:
    from openai_actors import AsyncOpenAI


class Step(BaseModel):
    explanation: str
    output: str


class MathResponse(BaseModel):
    steps: list[Step]
    final_answer: str


MESSAGES = [{"role": "user", "content": "solve 8x + 31 = 2"}]


async def main() -> None:
    client = AsyncOpenAI(api_key="sk-bench", base_url=url)
    if kind.endswith("create"):
        from openai_actors._helpers._parsing import type_to_response_format

        fmt = type_to_response_format(MathResponse)
        call = lambda: client.chat.completions.create(model="gpt-4o", messages=MESSAGES, response_format=fmt)
    else:
        call = lambda: client.chat.completions.parse(model="gpt-4o", messages=MESSAGES, response_format=MathResponse)
    await call()  # warm: imports, connection, schema
    sem = asyncio.Semaphore(concurrency)

    async def one() -> None:
        async with sem:
            await call()

    started = time.process_time()
    await asyncio.gather(*(one() for _ in range(n)))
    cpu = time.process_time() - started
    await client.close()
    print(json.dumps({"cpu_us": cpu / n * 1e6}))


asyncio.run(main())
"""

KINDS = ("actors_parse", "actors_create", "official_parse")


def run(kind: str, url: str, n: int, concurrency: int) -> float:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    }
    done = subprocess.run(
        [sys.executable, "-c", WORKER, kind, url, str(n), str(concurrency)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if done.returncode:
        raise SystemExit(f"{kind} failed:\n{done.stderr[-2000:]}")
    return float(json.loads(done.stdout.strip().splitlines()[-1])["cpu_us"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    try:
        import openai  # noqa: F401

        kinds = KINDS
    except ImportError:
        kinds = KINDS[:2]
    mock = Mock()
    try:
        results: dict[str, list[float]] = {kind: [] for kind in kinds}
        for _ in range(args.repeat):
            for kind in kinds:  # alternated, so a drifting machine affects each alike
                results[kind].append(run(kind, mock.url, args.requests, args.concurrency))
    finally:
        mock.close()
    print(f"{args.requests} calls, {args.concurrency} at a time, median of {args.repeat} runs")
    for kind, values in results.items():
        print(f"{kind:16} {statistics.median(values):8.0f} us CPU per call")


if __name__ == "__main__":
    main()
