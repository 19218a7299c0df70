"""Client CPU per request, at several concurrencies, for this client and its peers in one run.

    python bench/client_cpu.py [--kinds actors,httpx] [--concurrency 1,64,256,1024]
                               [--requests 3000] [--repeat 3] [--base-url URL]

Method (../shared/PERF.md): the server runs in its own process pinned to core 0
(the package's mock server, unless --base-url names another), each client
measurement runs in a fresh process pinned to core 1, sends one warm-up
request, then N non-streaming chat completions with a fixed number in flight.
The figure is the client process's CPU seconds (user + sys) divided by N, in
microseconds: it does not depend on how fast the server is. Each cell is the
median of --repeat runs. Kinds whose package is not installed are skipped.

Kinds:
  actors        openai_actors.AsyncOpenAI, asyncio
  actors_trio   openai_actors.AsyncOpenAI, trio
  httpx         a plain httpx.AsyncClient (one shared pool), no SDK
  openai        the official openai.AsyncOpenAI
  openai_aiohttp  the official client on its aiohttp transport
  aiohttp       a plain aiohttp session (C parser), no SDK
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

BODY = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Hello"}]}
KINDS = ("actors", "actors_trio", "httpx", "openai", "openai_aiohttp", "aiohttp")
REQUIRES = {
    "httpx": "httpx",
    "openai": "openai",
    "openai_aiohttp": "aiohttp",
    "aiohttp": "aiohttp",
    "actors_trio": "trio",
}


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# -- one measurement, in its own process -----------------------------------------


async def drive(one: Callable[[], Awaitable[None]], n: int, concurrency: int) -> tuple[float, float]:
    """Run `one` n times with `concurrency` in flight; (wall seconds, CPU seconds)."""
    import anyio

    await one()  # warm-up: connection, key, caches
    limiter = anyio.Semaphore(concurrency)

    async def task() -> None:
        async with limiter:
            await one()

    started, cpu = time.perf_counter(), cpu_seconds()
    async with anyio.create_task_group() as tg:
        for _ in range(n):
            tg.start_soon(task)
    return time.perf_counter() - started, cpu_seconds() - cpu


async def measure(kind: str, n: int, concurrency: int, base_url: str) -> tuple[float, float]:
    if kind in ("actors", "actors_trio"):
        from openai_actors import AsyncOpenAI

        async with AsyncOpenAI(api_key="sk-bench", base_url=base_url, max_retries=0) as client:

            async def one() -> None:
                r = await client.chat.completions.create(**BODY)  # type: ignore[arg-type]
                assert r.choices[0].message.content

            return await drive(one, n, concurrency)
    if kind == "httpx":
        import httpx

        limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
        async with httpx.AsyncClient(limits=limits) as http:

            async def one() -> None:
                r = await http.post(
                    f"{base_url}/chat/completions", json=BODY, headers={"Authorization": "Bearer x"}
                )
                assert r.json()["choices"][0]["message"]["content"]

            return await drive(one, n, concurrency)
    if kind in ("openai", "openai_aiohttp"):
        import openai

        extra: dict[str, Any] = {}
        if kind == "openai_aiohttp":
            extra["http_client"] = openai.DefaultAioHttpClient()
        async with openai.AsyncOpenAI(
            api_key="sk-bench", base_url=base_url, max_retries=0, **extra
        ) as official:

            async def one() -> None:
                r = await official.chat.completions.create(**BODY)  # type: ignore[call-overload]
                assert r.choices[0].message.content

            return await drive(one, n, concurrency)
    if kind == "aiohttp":
        import aiohttp

        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency)) as session:

            async def one() -> None:
                async with session.post(f"{base_url}/chat/completions", json=BODY) as r:
                    assert (await r.json())["choices"][0]["message"]["content"]

            return await drive(one, n, concurrency)
    raise SystemExit(f"unknown kind {kind!r}")


def worker(kind: str, n: int, concurrency: int, base_url: str) -> None:
    import anyio

    backend = "trio" if kind == "actors_trio" else "asyncio"
    wall, cpu = anyio.run(measure, kind, n, concurrency, base_url, backend=backend)
    print(json.dumps({"cpu_us": cpu / n * 1e6, "rps": n / wall}))


# -- the orchestration -----------------------------------------------------------


def pinned(core: int) -> list[str]:
    return ["taskset", "-c", str(core)] if os.cpu_count() and os.cpu_count() > 1 else []  # type: ignore[operator]


def start_mock_server() -> tuple[subprocess.Popen[str], str]:
    cmd = [*pinned(0), sys.executable, "-m", "openai_actors.mock", "--port", "0", "--no-record"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    return proc, proc.stdout.readline().strip()


def installed(kind: str) -> bool:
    import importlib.util

    module = REQUIRES.get(kind)
    return module is None or importlib.util.find_spec(module) is not None


def run_one(kind: str, n: int, concurrency: int, base_url: str) -> dict[str, float]:
    cmd = [*pinned(1), sys.executable, __file__, "--worker", kind, str(n), str(concurrency), base_url]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        raise RuntimeError(f"{kind} at {concurrency} failed:\n{done.stderr[-2000:]}")
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        worker(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5])
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kinds", default="actors,httpx")
    parser.add_argument("--concurrency", default="1,64,256,1024")
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--base-url")
    parser.add_argument("--json", help="also write the results here")
    args = parser.parse_args()
    kinds = [k for k in args.kinds.split(",") if k]
    for kind in kinds:
        if kind not in KINDS:
            raise SystemExit(f"unknown kind {kind!r}; choose from {', '.join(KINDS)}")
    skipped = [k for k in kinds if not installed(k)]
    kinds = [k for k in kinds if k not in skipped]
    levels = [int(c) for c in args.concurrency.split(",")]
    server = None
    base_url = args.base_url
    if base_url is None:
        server, base_url = start_mock_server()
    results: dict[str, dict[int, dict[str, float]]] = {k: {} for k in kinds}
    try:
        for concurrency in levels:
            runs: dict[str, list[dict[str, float]]] = {k: [] for k in kinds}
            for _ in range(args.repeat):
                for kind in kinds:  # interleaved, so drift hits every kind alike
                    runs[kind].append(run_one(kind, args.requests, concurrency, base_url))
            for kind in kinds:
                results[kind][concurrency] = {
                    "cpu_us": statistics.median(r["cpu_us"] for r in runs[kind]),
                    "rps": statistics.median(r["rps"] for r in runs[kind]),
                }
                cell = results[kind][concurrency]
                print(
                    f"{kind:>15} @ {concurrency:>5}: {cell['cpu_us']:7.0f} µs/request  {cell['rps']:7.0f} req/s",
                    flush=True,
                )
    finally:
        if server is not None:
            server.terminate()
            server.wait()
    print()
    print(
        f"Client CPU µs per request (median of {args.repeat}; req/s in brackets), N={args.requests}, server: {'mock' if server else base_url}"
    )
    print("| client | " + " | ".join(f"{c:,} in flight" for c in levels) + " |")
    print("| --- |" + " --- |" * len(levels))
    for kind in kinds:
        cells = [f"{results[kind][c]['cpu_us']:,.0f} ({results[kind][c]['rps']:,.0f}/s)" for c in levels]
        print(f"| {kind} | " + " | ".join(cells) + " |")
    if "actors" in results and len(kinds) > 1:
        for kind in kinds:
            if kind != "actors":
                ratios = [results[kind][c]["cpu_us"] / results["actors"][c]["cpu_us"] for c in levels]
                print(f"| {kind} ÷ actors | " + " | ".join(f"{r:.2f}x" for r in ratios) + " |")
    if skipped:
        print(f"\nskipped (not installed): {', '.join(skipped)}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"requests": args.requests, "repeat": args.repeat, "results": results}, f, indent=2)


if __name__ == "__main__":
    main()
