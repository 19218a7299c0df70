"""Client CPU per request (or per streamed chunk), by concurrency, for this client and its peers in one run.

    python bench/client_cpu.py [--kinds actors,httpx] [--concurrency 1,64,256,1024]
                               [--requests 3000] [--repeat 3] [--base-url URL]
                               [--stream [--max-tokens 64]] [--load tasks|workers]

Method (../shared/PERF.md): the server runs in its own process pinned to core 0
(the package's mock server, unless --base-url names another), each client
measurement runs in a fresh process pinned to core 1, sends one warm-up
request, then N chat completions with a fixed number in flight (the load: see
`drive`), where N is --requests or twice the concurrency if that is more (so
that every level reaches its concurrency and reuses its connections). The
figure is the client process's CPU seconds (user + sys) divided by N, in
microseconds, or with --stream divided by the chunks received. Under load it
hardly depends on the server's speed; at 1 in flight it does (a slower answer
means a longer sleep before the same work, which then costs more: see
bench/README.md, "Why not flat"). Each cell is the median of --repeat runs,
the kinds interleaved. Kinds whose package is not installed are skipped.

Kinds (async ones: driven by the --load; sync ones: that many threads sharing
one client, each sending its share of N):
  actors          openai_actors.AsyncOpenAI, asyncio
  actors_trio     openai_actors.AsyncOpenAI, trio
  actors_sync     openai_actors.OpenAI, threads
  httpx           a plain httpx.AsyncClient (one shared pool), no SDK
  openai          the official openai.AsyncOpenAI
  openai_aiohttp  the official client on its aiohttp transport
  openai_sync     the official openai.OpenAI, threads
  aiohttp         a plain aiohttp session (C parser), no SDK
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any

BODY: dict[str, Any] = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Hello"}]}
# An embeddings request instead (ab.py --endpoint embeddings): told apart by its `input`.
EMBEDDINGS_BODY: dict[str, Any] = {"model": "text-embedding-3-small", "input": "Hello"}
KINDS = (
    "actors",
    "actors_trio",
    "actors_sync",
    "httpx",
    "openai",
    "openai_aiohttp",
    "openai_sync",
    "aiohttp",
)
SYNC_KINDS = ("actors_sync", "openai_sync")
REQUIRES = {
    "httpx": "httpx",
    "openai": "openai",
    "openai_aiohttp": "aiohttp",
    "openai_sync": "openai",
    "aiohttp": "aiohttp",
    "actors_trio": "trio",
}


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# Seconds spent in the garbage collector (wall time: it does no I/O), and its
# collections of the youngest generation, kept by `count_gc` when installed;
# and the share of each within the last `drive`.
_gc_seconds = 0.0
_gc_started = 0.0
_gc_young = 0
last_gc_seconds = 0.0
last_gc_young = 0


def count_gc(phase: str, info: dict[str, int]) -> None:
    """A gc.callbacks entry adding up the time spent collecting, and counting young collections."""
    global _gc_seconds, _gc_started, _gc_young
    if phase == "start":
        _gc_started = time.perf_counter()
        _gc_young += info["generation"] == 0
    else:
        _gc_seconds += time.perf_counter() - _gc_started


def requests_for(requests: int, concurrency: int) -> int:
    return max(requests, 2 * concurrency)


# -- one measurement, in its own process -----------------------------------------

# One request: returns the chunks it received (1 when not streaming).
One = Callable[[], Awaitable[int]]


async def drive(one: One, n: int, concurrency: int, load: str = "tasks") -> tuple[float, float, int]:
    """Run `one` n times with `concurrency` in flight; (wall seconds, CPU seconds, chunks).

    The load is the backend's own, in one of two shapes:
    - "tasks" (PERF.md's method): a task per request, all created at once,
      under a semaphore of the concurrency (asyncio: tasks and an
      asyncio.Semaphore; trio: a nursery and a trio.Semaphore);
    - "workers": `concurrency` tasks, each sending requests one after the
      other until n have been sent, as a batch job's workers do. It has no
      task, semaphore or waiting coroutine per request, so it costs the
      backend far less (trio's tasks most), and the figure is closer to the
      client's own cost.
    Not anyio's task group in either: its task and cancel scope per request
    would cost every client here 20 to 25 us a request of its own.
    """
    await one()  # warm-up: connection, key, caches
    chunks = 0
    left = n

    async def task(limiter: Any) -> None:
        nonlocal chunks
        async with limiter:
            got = await one()  # not `chunks += await one()`: that reads chunks before the await
        chunks += got

    async def work() -> None:
        nonlocal chunks, left
        while left > 0:
            left -= 1
            got = await one()
            chunks += got

    global last_gc_seconds, last_gc_young
    gc_before, young_before = _gc_seconds, _gc_young
    started, cpu = time.perf_counter(), cpu_seconds()
    try:
        import asyncio

        asyncio.get_running_loop()
    except RuntimeError:  # trio
        import trio

        limiter: Any = trio.Semaphore(concurrency)
        async with trio.open_nursery() as nursery:
            if load == "workers":
                for _ in range(min(concurrency, n)):
                    nursery.start_soon(work)
            else:
                for _ in range(n):
                    nursery.start_soon(task, limiter)
    else:
        if load == "workers":
            await asyncio.gather(*(work() for _ in range(min(concurrency, n))))
        else:
            limiter = asyncio.Semaphore(concurrency)
            await asyncio.gather(*(task(limiter) for _ in range(n)))
    last_gc_seconds, last_gc_young = _gc_seconds - gc_before, _gc_young - young_before
    return time.perf_counter() - started, cpu_seconds() - cpu, chunks


def sse_chunks(lines: list[bytes]) -> int:
    return sum(1 for line in lines if line.startswith(b"data: {"))


async def measure(
    kind: str, n: int, concurrency: int, base_url: str, body: dict[str, Any], load: str
) -> tuple[float, float, int]:
    stream = bool(body.get("stream"))
    if kind in ("actors", "actors_trio", "openai", "openai_aiohttp"):
        if kind.startswith("actors"):
            from openai_actors import AsyncOpenAI

            client: Any = AsyncOpenAI(api_key="sk-bench", base_url=base_url, max_retries=0)
        else:
            import openai

            extra: dict[str, Any] = {}
            if kind == "openai_aiohttp":
                extra["http_client"] = openai.DefaultAioHttpClient()
            client = openai.AsyncOpenAI(api_key="sk-bench", base_url=base_url, max_retries=0, **extra)
        async with client:

            async def one() -> int:
                if "input" in body:
                    e = await client.embeddings.create(**body)
                    assert e.data[0].embedding
                    return 1
                r = await client.chat.completions.create(**body)
                if not stream:
                    assert r.choices[0].message.content
                    return 1
                count = 0
                async for chunk in r:
                    if chunk.choices:
                        chunk.choices[0].delta.content  # noqa: B018 (read as a caller would)
                    count += 1
                return count

            return await drive(one, n, concurrency, load)
    if kind == "httpx":
        import httpx

        limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
        async with httpx.AsyncClient(limits=limits) as http:

            async def one() -> int:
                url = f"{base_url}/chat/completions"
                headers = {"Authorization": "Bearer x"}
                if not stream:
                    r = await http.post(url, json=body, headers=headers)
                    assert r.json()["choices"][0]["message"]["content"]
                    return 1
                async with http.stream("POST", url, json=body, headers=headers) as r:
                    return sse_chunks([line.encode() async for line in r.aiter_lines()])

            return await drive(one, n, concurrency, load)
    if kind == "aiohttp":
        import aiohttp

        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency)) as session:

            async def one() -> int:
                async with session.post(f"{base_url}/chat/completions", json=body) as r:
                    if not stream:
                        assert (await r.json())["choices"][0]["message"]["content"]
                        return 1
                    return sse_chunks([line async for line in r.content])

            return await drive(one, n, concurrency, load)
    raise SystemExit(f"unknown kind {kind!r}")


def official_pool_limits(size: int) -> Any:
    """Limits for the official client's HTTP pool, `size` connections, all kept alive.

    openai 3.x is built on httpx2 (2.x on httpx), each with its own Limits
    class: the one of the package the official client's own pool comes from.
    """
    import openai

    http = importlib.import_module(openai.DefaultHttpxClient.__mro__[1].__module__.partition(".")[0])
    return http.Limits(max_connections=size, max_keepalive_connections=size)


def measure_threads(
    kind: str, n: int, threads: int, base_url: str, body: dict[str, Any]
) -> tuple[float, float, int]:
    """`threads` threads sharing one sync client, n requests in all; (wall, CPU, chunks)."""
    if kind == "actors_sync":
        from openai_actors import OpenAI

        client: Any = OpenAI(api_key="sk-bench", base_url=base_url, max_retries=0)
    else:
        import openai

        # A pool as large as the threads: the official default (100 kept alive) would
        # make connections churn above 100 threads and measure that instead.
        client = openai.OpenAI(
            api_key="sk-bench",
            base_url=base_url,
            max_retries=0,
            http_client=openai.DefaultHttpxClient(limits=official_pool_limits(threads)),
        )
    stream = bool(body.get("stream"))
    counts = [0] * threads

    def one() -> int:
        r = client.chat.completions.create(**body)
        if not stream:
            assert r.choices[0].message.content
            return 1
        return sum(1 for _ in r)

    def work(slot: int, share: int) -> None:
        for _ in range(share):
            counts[slot] += one()

    with client:
        one()  # warm-up
        shares = [n // threads + (1 if i < n % threads else 0) for i in range(threads)]
        pool = [threading.Thread(target=work, args=(i, shares[i])) for i in range(threads)]
        started, cpu = time.perf_counter(), cpu_seconds()
        for t in pool:
            t.start()
        for t in pool:
            t.join()
        return time.perf_counter() - started, cpu_seconds() - cpu, sum(counts)


def worker(kind: str, n: int, concurrency: int, base_url: str, body: dict[str, Any], load: str) -> None:
    import gc

    gc.callbacks.append(count_gc)
    if kind in SYNC_KINDS:
        wall, cpu, chunks = measure_threads(kind, n, concurrency, base_url, body)
    else:
        import anyio

        backend = "trio" if kind == "actors_trio" else "asyncio"
        wall, cpu, chunks = anyio.run(measure, kind, n, concurrency, base_url, body, load, backend=backend)
    figures = {
        "cpu_us": cpu / n * 1e6,
        "rps": n / wall,
        "cpu_us_per_chunk": cpu / max(chunks, 1) * 1e6,
        "gc_us": last_gc_seconds / n * 1e6,  # part of cpu_us (async kinds only)
        "gc_young_per_1000": last_gc_young / n * 1000,
    }
    print(json.dumps(figures))


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


def run_one(
    kind: str,
    n: int,
    concurrency: int,
    base_url: str,
    body: dict[str, Any],
    load: str,
    package_root: str | None = None,
) -> dict[str, float] | str:
    """The worker's figures, or why it failed (its last line of error output).

    `package_root`: a directory whose openai_actors the worker imports instead
    of this checkout's (bench/ab.py's old version).
    """
    cmd = [
        *pinned(1),
        sys.executable,
        __file__,
        "--worker",
        kind,
        str(n),
        str(concurrency),
        base_url,
        json.dumps(body),
        load,
    ]
    env, cwd = None, None
    if package_root is not None:
        # Not from this checkout's directory: the working directory comes first
        # on sys.path, ahead of PYTHONPATH, and would shadow that version.
        env, cwd = {**os.environ, "PYTHONPATH": package_root}, tempfile.gettempdir()
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=900, env=env, cwd=cwd)
    if done.returncode != 0:
        lines = [line.strip() for line in done.stderr.splitlines() if line.strip()]
        return lines[-1][:120] if lines else f"exit status {done.returncode}"
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        worker(
            sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5], json.loads(sys.argv[6]), sys.argv[7]
        )
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kinds", default="actors,httpx")
    parser.add_argument("--concurrency", default="1,64,256,1024")
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--base-url")
    parser.add_argument(
        "--stream", action="store_true", help="streamed chat completions; the figure is per chunk"
    )
    parser.add_argument("--max-tokens", type=int, default=64, help="with --stream: chunks per reply, about")
    parser.add_argument("--json", help="also write the results here")
    parser.add_argument(
        "--load",
        choices=("tasks", "workers"),
        default="tasks",
        help="async kinds: a task per request under a semaphore (PERF.md), or one worker per slot in flight",
    )
    args = parser.parse_args()
    kinds = [k for k in args.kinds.split(",") if k]
    for kind in kinds:
        if kind not in KINDS:
            raise SystemExit(f"unknown kind {kind!r}; choose from {', '.join(KINDS)}")
    skipped = [k for k in kinds if not installed(k)]
    kinds = [k for k in kinds if k not in skipped]
    levels = [int(c) for c in args.concurrency.split(",")]
    body = dict(BODY)
    if args.stream:
        # The mock server echoes the prompt, a token a chunk, up to max_tokens.
        prompt = [{"role": "user", "content": "word " * (2 * args.max_tokens)}]
        body.update(messages=prompt, stream=True, max_tokens=args.max_tokens)
    figure = "cpu_us_per_chunk" if args.stream else "cpu_us"
    unit = "chunk" if args.stream else "request"
    server = None
    base_url = args.base_url
    if base_url is None:
        server, base_url = start_mock_server()
    results: dict[str, dict[int, dict[str, float]]] = {k: {} for k in kinds}
    failures: dict[tuple[str, int], str] = {}
    try:
        for concurrency in levels:
            n = requests_for(args.requests, concurrency)
            runs: dict[str, list[dict[str, float]]] = {k: [] for k in kinds}
            for _ in range(args.repeat):
                for kind in kinds:  # interleaved, so drift hits every kind alike
                    if (kind, concurrency) in failures:
                        continue
                    outcome = run_one(kind, n, concurrency, base_url, body, args.load)
                    if isinstance(outcome, str):
                        failures[kind, concurrency] = outcome
                    else:
                        runs[kind].append(outcome)
            for kind in kinds:
                if (kind, concurrency) in failures:
                    print(f"{kind:>15} @ {concurrency:>5}: fails: {failures[kind, concurrency]}", flush=True)
                    continue
                cell = results[kind][concurrency] = {
                    key: statistics.median(r[key] for r in runs[kind]) for key in runs[kind][0]
                }
                print(
                    f"{kind:>15} @ {concurrency:>5}: {cell[figure]:7.1f} µs/{unit}  {cell['rps']:7.0f} req/s"
                    f"  (garbage collection {cell['gc_us']:.1f} µs/request,"
                    f" {cell['gc_young_per_1000']:.1f} young collections per 1,000 requests)",
                    flush=True,
                )
    finally:
        if server is not None:
            server.terminate()
            server.wait()
    print()
    print(
        f"Client CPU µs per {unit} (median of {args.repeat}; requests/s in brackets), "
        f"N = max({args.requests}, 2 * concurrency), load: {args.load}, server: {'mock' if server else base_url}"
    )
    print("| client | " + " | ".join(f"{c:,} in flight" for c in levels) + " |")
    print("| --- |" + " --- |" * len(levels))
    for kind in kinds:
        cells = [
            f"{results[kind][c][figure]:,.0f} ({results[kind][c]['rps']:,.0f}/s)"
            if c in results[kind]
            else "fails"
            for c in levels
        ]
        print(f"| {kind} | " + " | ".join(cells) + " |")
    for mine in ("actors", "actors_sync"):
        if mine not in results:
            continue
        for kind in kinds:
            if kind != mine and (kind in SYNC_KINDS) == (mine in SYNC_KINDS):
                ratios = [
                    f"{results[kind][c][figure] / results[mine][c][figure]:.2f}x"
                    if c in results[kind] and c in results[mine]
                    else "-"
                    for c in levels
                ]
                print(f"| {kind} ÷ {mine} | " + " | ".join(ratios) + " |")
    for (kind, concurrency), why in failures.items():
        print(f"\n{kind} at {concurrency} in flight failed: {why}")
    if skipped:
        print(f"\nskipped (not installed): {', '.join(skipped)}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(
                {
                    "requests": args.requests,
                    "repeat": args.repeat,
                    "load": args.load,
                    "body": body,
                    "results": results,
                },
                f,
                indent=2,
            )


if __name__ == "__main__":
    main()
