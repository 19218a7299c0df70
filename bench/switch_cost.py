"""What one task switch costs on asyncio and on trio: the unit of the dispatcher's hops.

    taskset -c 1 python bench/switch_cost.py [--switches 200000] [--repeat 5]

Two tasks hand control back and forth through the dispatcher's own one-shot
signals (`_signals.py`: a bare future on asyncio, a task parked with trio's
low-level API on trio), so each hand-over is one `set()`, one wake-up and one
park, as when a lane wakes a caller or admission wakes a lane. The figure is
CPU (user + sys) per switch, median of --repeat runs, each backend in a fresh
process. A request through this client costs three such switches at least
(bench/README.md, "trio").
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
from typing import Any


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def ping_pong(switches: int) -> float:
    """CPU seconds per switch for `switches` hand-overs between two tasks, in the running loop."""
    import anyio

    from openai_actors._signals import Signal, signal_factory

    new_signal = signal_factory()
    rounds = switches // 2
    # Each side parks on its own signal and sets the other's: the signal a side
    # will park on next is made before it wakes the other, so no set is lost.
    waiting: dict[str, Signal] = {"a": new_signal(), "b": new_signal()}
    started = anyio.Event()

    async def other() -> None:
        started.set()
        for _ in range(rounds):
            await waiting["b"].wait()
            waiting["b"] = new_signal()
            waiting["a"].set()

    async with anyio.create_task_group() as tg:
        tg.start_soon(other)
        await started.wait()
        begun = cpu_seconds()
        for _ in range(rounds):
            mine = waiting["a"] = new_signal()
            waiting["b"].set()
            await mine.wait()
        spent = cpu_seconds() - begun
    return spent / (2 * rounds)


def worker(backend: str, switches: int) -> None:
    import anyio

    print(json.dumps({"us": anyio.run(ping_pong, switches, backend=backend) * 1e6}))


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        worker(sys.argv[2], int(sys.argv[3]))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--switches", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    results: dict[str, list[float]] = {"asyncio": [], "trio": []}
    for _ in range(args.repeat):
        for backend in results:
            cmd = [sys.executable, __file__, "--worker", backend, str(args.switches)]
            out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
            figures: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
            results[backend].append(figures["us"])
    print(f"CPU µs per task switch (median of {args.repeat}, {args.switches:,} switches each)")
    print("| backend | µs per switch |")
    print("| --- | --- |")
    for backend, figures in results.items():
        print(f"| {backend} | {statistics.median(figures):.2f} |")
    ratio = statistics.median(results["trio"]) / statistics.median(results["asyncio"])
    print(f"| trio ÷ asyncio | {ratio:.2f}x |")


if __name__ == "__main__":
    main()
