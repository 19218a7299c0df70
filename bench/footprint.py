"""What the client costs before and beside its requests: import, construction, memory in flight.

    python bench/footprint.py [--in-flight 10000] [--repeat 15]

* import: wall time of `python -c "import X"` in a fresh process, median of
  --repeat (and of `python -c pass`, the interpreter's own start-up);
* construction: one more client after the first, in µs, median of 200;
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


def import_ms(statement: str, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", statement], check=True)
        times.append((time.perf_counter() - started) * 1e3)
    return statistics.median(times)


def construction_us(kind: str) -> float:
    code = f"""
import time, statistics
if {kind!r} == "actors":
    from openai_actors import AsyncOpenAI, OpenAI
else:
    from openai import AsyncOpenAI, OpenAI
AsyncOpenAI(api_key="sk-x")  # the first: imports, the shared TLS context
samples = []
for _ in range(200):
    started = time.perf_counter()
    AsyncOpenAI(api_key="sk-x")
    samples.append(time.perf_counter() - started)
print(statistics.median(samples) * 1e6)
"""
    done = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    return float(done.stdout.strip())


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
    args = parser.parse_args()

    import importlib.util

    kinds = ["actors"] + (["openai"] if importlib.util.find_spec("openai") else [])
    print(f"| | python -c pass | {' | '.join(kinds)} |")
    print("| --- |" + " --- |" * (len(kinds) + 1))
    cells = [import_ms("pass", args.repeat)]
    cells += [
        import_ms(f"import {'openai_actors' if k == 'actors' else 'openai'}", args.repeat) for k in kinds
    ]
    print("| import, ms (median) | " + " | ".join(f"{c:.0f}" for c in cells) + " |")
    print(
        "| another client, µs (median) | - | " + " | ".join(f"{construction_us(k):.0f}" for k in kinds) + " |"
    )

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
