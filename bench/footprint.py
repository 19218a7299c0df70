"""What the client costs before and beside its requests: import, construction, memory in flight.

    python bench/footprint.py [--in-flight 10000] [--repeat 15] [--no-memory]

* import: wall time of `python -c "import X"` in a fresh process, median of
  --repeat rounds; each round runs `python -c pass` (the interpreter's own
  start-up) and every import once, interleaved, so drift on a shared machine
  hits all of them alike. "above pass" is the median of each round's
  difference from that round's `pass`; the ratio is ours over the official's;
* construction: the first client, with the imports it triggers (in ms), and
  one more client after the first (in µs, median of 200);
* memory: RSS of a client process with --in-flight requests submitted at once
  (each from an asyncio task of its own) to a mock server (its own process)
  that holds each for long enough, less the RSS of the same process idle
  after one warm-up request. This client runs with its default 1,000
  connections, so most of the requests wait in its queue; the official
  client, for comparison, with a pool as large as the load. The row "tasks"
  is the callers' tasks alone, waiting on an event.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import client_cpu

# The mock holds each request this long: every request is still pending when
# the RSS is read (the reading waits for all of them to be submitted).
HOLD_SECONDS = 4.0


def run_ms(statement: str) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", statement], check=True)
    return (time.perf_counter() - started) * 1e3


def import_ms(statements: list[str], repeat: int) -> tuple[dict[str, float], dict[str, float]]:
    """Per statement: the median wall time, and the median of its excess over `pass` in the same round."""
    times: dict[str, list[float]] = {s: [] for s in ["pass", *statements]}
    above: dict[str, list[float]] = {s: [] for s in statements}
    for _ in range(repeat):
        bare = run_ms("pass")
        times["pass"].append(bare)
        for s in statements:
            t = run_ms(s)
            times[s].append(t)
            above[s].append(t - bare)
    return (
        {s: statistics.median(v) for s, v in times.items()},
        {s: statistics.median(v) for s, v in above.items()},
    )


def construction(kind: str) -> tuple[float, float]:
    """(the first client, imports included, in ms; another one, in µs, median of 200)."""
    code = f"""
import time, statistics
started = time.perf_counter()
if {kind!r} == "actors":
    import openai_actors
    imported = time.perf_counter()
    from openai_actors import AsyncOpenAI, OpenAI
else:
    import openai
    imported = time.perf_counter()
    from openai import AsyncOpenAI, OpenAI
AsyncOpenAI(api_key="sk-x")  # the first: the rest of the imports, the shared TLS context
first = time.perf_counter() - imported
samples = []
for _ in range(200):
    started = time.perf_counter()
    AsyncOpenAI(api_key="sk-x")
    samples.append(time.perf_counter() - started)
print(first * 1e3, statistics.median(samples) * 1e6)
"""
    done = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    first_ms, another_us = done.stdout.split()
    return float(first_ms), float(another_us)


def rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def memory_worker(kind: str, in_flight: int, base_url: str) -> None:
    """In a fresh process: RSS idle, then with `in_flight` requests pending; prints JSON.

    The callers are plain asyncio tasks; kind "tasks" measures those alone
    (each waiting on an event instead of a request), the part of the figure
    that is not the client's.
    """
    import asyncio

    body: dict[str, Any] = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Hello"}]}

    async def main() -> dict[str, float]:
        if kind == "actors":
            from openai_actors import AsyncOpenAI

            client: Any = AsyncOpenAI(api_key="sk-x", base_url=base_url, max_retries=0, timeout=60)
        elif kind == "openai":
            import openai

            client = openai.AsyncOpenAI(
                api_key="sk-x",
                base_url=base_url,
                max_retries=0,
                timeout=60,
                http_client=openai.DefaultAsyncHttpxClient(limits=client_cpu.official_pool_limits(in_flight)),
            )
        else:
            client = None
        released = asyncio.Event()
        if client is not None:
            await client.chat.completions.create(**body)
        idle = rss_bytes()
        started = 0
        all_started = asyncio.Event()

        async def one() -> None:
            nonlocal started
            started += 1
            if started == in_flight:
                all_started.set()
            if client is None:
                await released.wait()
            else:
                await client.chat.completions.create(**body)

        tasks = [asyncio.create_task(one()) for _ in range(in_flight)]
        await all_started.wait()
        # Half a second for the requests to reach the wire, well inside the
        # server's hold: every one is still pending when RSS is read.
        await asyncio.sleep(0.5)
        peak = rss_bytes()
        released.set()
        await asyncio.gather(*tasks)
        if client is not None:
            await client.close()
        return {"idle_mb": idle / 2**20, "in_flight_mb": peak / 2**20, "above_idle_mb": (peak - idle) / 2**20}

    print(json.dumps(asyncio.run(main())))


def memory(kind: str, in_flight: int, base_url: str) -> dict[str, float]:
    cmd = [sys.executable, __file__, "--memory-worker", kind, str(in_flight), base_url]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        raise RuntimeError(f"{kind}: {done.stderr[-2000:]}")
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--memory-worker":
        memory_worker(sys.argv[2], int(sys.argv[3]), sys.argv[4])
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--in-flight", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--no-memory", action="store_true", help="import and construction only")
    args = parser.parse_args()

    import importlib.util

    kinds = ["actors"] + (["openai"] if importlib.util.find_spec("openai") else [])
    statements = [f"import {'openai_actors' if k == 'actors' else 'openai'}" for k in kinds]
    wall, above = import_ms(statements, args.repeat)
    print(f"| | python -c pass | {' | '.join(kinds)} |")
    print("| --- |" + " --- |" * (len(kinds) + 1))
    print(
        f"| import, ms (median of {args.repeat}) | {wall['pass']:.0f} | "
        + " | ".join(f"{wall[s]:.0f}" for s in statements)
        + " |"
    )
    print(
        "| import above `pass`, ms (median) | - | " + " | ".join(f"{above[s]:.1f}" for s in statements) + " |"
    )
    if len(statements) == 2:
        ratio = above[statements[0]] / above[statements[1]]
        print(f"| import above `pass`, openai_actors ÷ openai | - | {ratio:.3f} | 1 |")
    built = [construction(k) for k in kinds]
    print("| first client, imports included, ms | - | " + " | ".join(f"{f:.1f}" for f, _ in built) + " |")
    print("| another client, µs (median of 200) | - | " + " | ".join(f"{a:.0f}" for _, a in built) + " |")
    if args.no_memory:
        return

    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "openai_actors.mock",
            "--port",
            "0",
            "--no-record",
            "--latency",
            str(HOLD_SECONDS),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        base_url = server.stdout.readline().strip()
        for kind in ["tasks", *kinds]:
            m = memory(kind, args.in_flight, base_url)
            print(
                f"| {kind}: {args.in_flight:,} requests pending | idle {m['idle_mb']:.0f} MB | "
                f"pending {m['in_flight_mb']:.0f} MB | above idle {m['above_idle_mb']:.0f} MB |"
            )
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
