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
from typing import Literal

import anyio

from ._record import Record

__all__ = [
    "Level",
    "OneRequest",
    "Ramp",
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
class Ramp:
    """A rate that goes from `start` to `end` per second over the run's requests (vLLM's ramp-up)."""

    strategy: Literal["linear", "exponential"]
    start: float
    end: float

    def __post_init__(self) -> None:
        if not (0 < self.start < math.inf and 0 < self.end < math.inf):
            raise ValueError(f"ramp rates are more than 0 and finite, not {self.start} and {self.end}")

    def rate(self, progress: float) -> float:
        """The rate at `progress` (0: the first request, 1: after the last): straight, or by a constant factor."""
        if self.strategy == "linear":
            return self.start + (self.end - self.start) * progress
        return float(self.start * (self.end / self.start) ** progress)


@dataclass(frozen=True, slots=True)
class Level:
    """One load level: `concurrency` requests always in flight, or arrivals at `rate` per second.

    With both, arrivals come at `rate` but never more than `concurrency` are
    in flight: one due while the cap is reached starts when another ends.
    """

    concurrency: int | None = None
    rate: float | None = None
    burstiness: float | None = None
    """With a rate: gamma-distributed gaps of this shape (1: Poisson); None: evenly spaced."""
    seed: int = 0
    ramp: Ramp | None = None
    """With a rate: the rate ramps as this says (`rate` is then its end)."""
    phase: float = 0.0
    """With a rate: seconds added to every arrival (one process's place among several that share a rate)."""

    def __post_init__(self) -> None:
        if self.ramp is not None and self.rate != self.ramp.end:
            raise ValueError("a ramped level's rate is the ramp's end rate")
        if self.concurrency is None and self.rate is None:
            raise ValueError("a level needs a concurrency, a rate, or both")
        if self.burstiness is not None and (self.rate is None or not self.burstiness > 0):
            raise ValueError(f"a burstiness goes with a rate and is more than 0, not {self.burstiness}")
        if self.phase and (self.rate is None or not 0 < self.phase < math.inf):
            raise ValueError(f"a phase goes with a rate and is 0 or more, not {self.phase}")

    @property
    def poisson(self) -> bool:
        return self.burstiness == 1

    @property
    def label(self) -> str:
        if self.rate is None:
            return f"{self.concurrency:,} in flight"
        kind = ""
        if self.burstiness is not None:
            kind = " poisson" if self.poisson else f" burstiness {self.burstiness:g}"
        cap = "" if self.concurrency is None else f" max {self.concurrency:,}"
        if self.ramp is not None:
            return f"{self.ramp.start:,g}->{self.ramp.end:,g}/s {self.ramp.strategy}{kind}{cap}"
        return f"{self.rate:,g}/s{kind}{cap}"


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


def arrival_offsets(
    rate: float,
    burstiness: float | None = None,
    seed: int = 0,
    ramp: Ramp | None = None,
    total: int | None = None,
) -> Iterator[float]:
    """Seconds after the start at which each request is due, the first at 0.

    Evenly `1 / rate` apart, or with gamma-distributed gaps of shape
    `burstiness` and mean `1 / rate` drawn from `random.Random(seed)` (the same
    seed, the same schedule). Shape 1 is exponential gaps, a Poisson process;
    below 1 the arrivals bunch up, above 1 they are more even (as vLLM's
    `--burstiness`).

    With a `ramp` (and the `total` number of requests), the gap after request
    i is drawn at the ramp's rate at i / total, instead of at `rate`.
    """
    if not 0 < rate < math.inf:
        raise ValueError(f"a rate must be more than zero and finite, not {rate}")
    if burstiness is not None and not 0 < burstiness < math.inf:
        raise ValueError(f"a burstiness must be more than zero and finite, not {burstiness}")
    if ramp is not None:
        if total is None or total < 1:
            raise ValueError(f"a ramp needs the number of requests it spans, not {total}")
        yield from _ramped(ramp, total, burstiness, random.Random(seed))
        return
    if burstiness is None:
        for index in itertools.count():
            yield index / rate
        return
    rng = random.Random(seed)
    scale = 1 / (rate * burstiness)  # shape * scale = the mean gap, 1 / rate
    offset = 0.0
    while True:
        yield offset
        offset += rng.gammavariate(burstiness, scale)


def _ramped(ramp: Ramp, total: int, burstiness: float | None, rng: random.Random) -> Iterator[float]:
    offset = 0.0
    for index in itertools.count():
        yield offset
        rate = ramp.rate(min(index / total, 1.0))
        if burstiness is None:
            offset += 1 / rate
        else:
            offset += rng.gammavariate(burstiness, 1 / (rate * burstiness))


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


async def run_rate(
    one: OneRequest, offsets: Iterator[float], stop: Stop, recorder: Recorder, cap: int | None = None
) -> None:
    """Start a request at each offset (open loop: however many are in flight) until `stop`.

    Requests due late (the loop fell behind the schedule) start at once; none
    starts once the duration has passed, by the schedule or by the clock.
    With a `cap`, a request due while `cap` are in flight waits for one to end
    (and those due after it are late in turn, as with vLLM's --max-concurrency).
    """
    slots = None if cap is None else anyio.Semaphore(cap)

    async def request(index: int) -> None:
        try:
            recorder.put(index, await one())
        finally:
            if slots is not None:
                slots.release()

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
            if slots is not None:
                await slots.acquire()
            tg.start_soon(request, index)


async def drive(one: OneRequest, level: Level, stop: Stop, recorder: Recorder) -> None:
    """Run `one` at `level` until `stop`, recording into `recorder`."""
    if level.rate is None:
        assert level.concurrency is not None
        await run_concurrency(one, level.concurrency, stop, recorder)
    else:
        offsets = arrival_offsets(level.rate, level.burstiness, level.seed, level.ramp, stop.requests)
        if level.phase:
            offsets = (offset + level.phase for offset in offsets)
        await run_rate(one, offsets, stop, recorder, level.concurrency)
