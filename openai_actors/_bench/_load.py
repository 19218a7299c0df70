"""Load shapes: a fixed number of requests in flight, or arrivals at a rate, driving one request function.

The harness shares the client's process and its CPU, so the loop is lean: a
fixed concurrency is that many worker tasks taking the next index from a
counter (no task and no semaphore per request); records go into a
preallocated list by index; the only per-request work besides the request is
a counter check and one list store.
"""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from time import perf_counter

import anyio

from ._record import Record

__all__ = [
    "Level",
    "OneRequest",
    "Recorder",
    "Stop",
    "arrival_offsets",
    "drive",
    "run_concurrency",
    "run_rate",
]

OneRequest = Callable[[], Awaitable[Record]]

# Capacity to start with when only a duration bounds the run; doubled as needed.
_INITIAL_CAPACITY = 4096


@dataclass(frozen=True, slots=True)
class Level:
    """One load level: `concurrency` requests always in flight, or arrivals at `rate` per second."""

    concurrency: int | None = None
    rate: float | None = None
    poisson: bool = False
    seed: int = 0

    def __post_init__(self) -> None:
        if (self.concurrency is None) == (self.rate is None):
            raise ValueError("a level has either a concurrency or a rate")

    @property
    def label(self) -> str:
        if self.concurrency is not None:
            return f"{self.concurrency:,} in flight"
        kind = " poisson" if self.poisson else ""
        return f"{self.rate:,g}/s{kind}"


@dataclass(frozen=True, slots=True)
class Stop:
    """When to stop starting requests: after `requests`, after `duration` seconds, whichever comes first."""

    requests: int | None
    duration: float | None

    def __post_init__(self) -> None:
        if self.requests is None and self.duration is None:
            raise ValueError("a run needs a number of requests or a duration")


class Recorder:
    """The records of one run, by start order, and running counts for the progress line.

    Invariant: indexes below `started` are claimed; a claimed index holds None
    until its request ends, then its Record.
    """

    __slots__ = ("_limit", "done", "errors", "records", "started")

    def __init__(self, requests: int | None) -> None:
        self._limit = requests
        # Grown as requests start, not made at the size asked for: a run cut
        # short by --duration (or Ctrl-C) never needs that much.
        self.records: list[Record | None] = [None] * min(requests or _INITIAL_CAPACITY, _INITIAL_CAPACITY)
        self.started = 0
        self.done = 0
        self.errors = 0

    def claim(self) -> int:
        """The index of a new request, or -1 when the request limit is reached."""
        index = self.started
        if index == self._limit:
            return -1
        if index == len(self.records):
            self.records.extend([None] * len(self.records))
        self.started = index + 1
        return index

    def put(self, index: int, record: Record) -> None:
        self.records[index] = record
        self.done += 1
        if record.error is not None:
            self.errors += 1

    def finished(self) -> list[Record]:
        """Every ended request's record, in start order."""
        return [record for record in self.records[: self.started] if record is not None]


def arrival_offsets(rate: float, poisson: bool, seed: int) -> Iterator[float]:
    """Seconds after the start at which each request is due, the first at 0.

    Evenly `1 / rate` apart, or (`poisson`) with exponentially distributed gaps
    of mean `1 / rate` drawn from `random.Random(seed)`: the same seed, the same
    schedule.
    """
    if rate <= 0:
        raise ValueError(f"a rate must be more than zero, not {rate}")
    if not poisson:
        for index in itertools.count():
            yield index / rate
    rng = random.Random(seed)
    offset = 0.0
    while True:
        yield offset
        offset += rng.expovariate(rate)


async def run_concurrency(one: OneRequest, concurrency: int, stop: Stop, recorder: Recorder) -> None:
    """Keep `concurrency` requests in flight until `stop`; those in flight then finish."""
    deadline = None if stop.duration is None else perf_counter() + stop.duration

    async def worker() -> None:
        claim, put = recorder.claim, recorder.put
        while deadline is None or perf_counter() < deadline:
            index = claim()
            if index < 0:
                return
            put(index, await one())

    async with anyio.create_task_group() as tg:
        for _ in range(concurrency):
            tg.start_soon(worker)


async def run_rate(one: OneRequest, offsets: Iterator[float], stop: Stop, recorder: Recorder) -> None:
    """Start a request at each offset (open loop: however many are in flight) until `stop`.

    Requests due late (the loop fell behind the schedule) start at once; none
    starts once the duration has passed, by the schedule or by the clock.
    """

    async def request(index: int) -> None:
        recorder.put(index, await one())

    duration = math.inf if stop.duration is None else stop.duration
    async with anyio.create_task_group() as tg:
        start = perf_counter()
        for offset in offsets:
            late = perf_counter() - start - offset
            if offset >= duration or offset + late >= duration:
                break
            index = recorder.claim()
            if index < 0:
                break
            if late < 0:
                await anyio.sleep(-late)
            tg.start_soon(request, index)


async def drive(one: OneRequest, level: Level, stop: Stop, recorder: Recorder) -> None:
    """Run `one` at `level` until `stop`, recording into `recorder`."""
    if level.concurrency is not None:
        await run_concurrency(one, level.concurrency, stop, recorder)
    else:
        assert level.rate is not None
        await run_rate(one, arrival_offsets(level.rate, level.poisson, level.seed), stop, recorder)
