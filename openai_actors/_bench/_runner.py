"""Running a plan: per level, this client then each client it is compared with, each warmed up then measured.

Each run opens a fresh client in a fresh event loop (`anyio.run`), on the
chosen backend for this client and on asyncio for the official one (it needs
asyncio). The measured part is timed on the wall clock and on the process's
CPU clock (user + sys): the warm-up and the client's construction and closing
are outside it.

A run is measured in parts, one per client process (one unless
`--processes`, see `_processes.py`), each a `Part` holding its raw records;
`merge` makes one `Run` of them, so the figures of N processes are computed
over all their samples, exactly as those of one.
"""

from __future__ import annotations

import gc
import signal
import threading
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from time import perf_counter
from typing import Final

import anyio
import anyio.abc

from .._core import call_in_loop, current_loop
from ._drivers import ACTORS, Connection, Driver, LearnedLimits, open_driver
from ._load import Level, Recorder, Stop, drive, run_concurrency
from ._plan import Plan
from ._progress import Progress
from ._record import Record
from ._stats import Figures, figures

__all__ = [
    "Job",
    "Part",
    "Ready",
    "Run",
    "RunOne",
    "Sample",
    "Unreachable",
    "client_label",
    "cpu_seconds",
    "in_this_process",
    "measure",
    "merge",
    "run_plan",
]

try:
    import resource

    def cpu_seconds() -> float:
        """This process's CPU time, user + sys, every thread included."""
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime + usage.ru_stime

except ImportError:  # not Unix
    from time import process_time as cpu_seconds


_STOP_SIGNALS: Final = (signal.SIGINT, signal.SIGTERM)
# The errors (by class name, as counted) of a request that got no answer at all.
_NO_ANSWER: Final = frozenset({"APIConnectionError", "APITimeoutError"})


class Unreachable(Exception):
    """Every warm-up request failed: measuring would only time the failures."""


@dataclass(frozen=True, slots=True)
class Sample:
    """What one process measured of a run: its raw records, when its measured part began and ended, its CPU.

    `started` and `ended` are `perf_counter()` seconds, a clock every process
    on the host shares (CLOCK_MONOTONIC on Linux), so those of several
    processes can be compared.
    """

    records: list[Record]
    started: float
    ended: float
    cpu_s: float


@dataclass(frozen=True, slots=True)
class Part:
    """One process's part of a run: its sample and what its client saw (picklable: a worker sends it back)."""

    sample: Sample
    complete: bool
    """False: a signal cut it short; its records are the requests that ended before."""
    error_examples: dict[str, str]
    learned_limits: LearnedLimits | None


@dataclass(frozen=True, slots=True)
class Run:
    """One client at one level: what was measured (by one process, or several together)."""

    client: str
    backend: str
    level: Level
    figures: Figures
    error_examples: dict[str, str]
    # False: a signal cut the run short; its figures cover the requests that ended before.
    complete: bool = True
    # The limits this client paced itself to, learned from the server's rate-limit headers.
    learned_limits: LearnedLimits | None = None
    processes: int = 1
    # Each process's CPU over the measured part, as a share of one core (one entry per process).
    process_cpu_shares: tuple[float, ...] = ()

    @property
    def label(self) -> str:
        label = client_label(self.client, self.backend)
        return label if self.processes == 1 else f"{label} x{self.processes}"

    @property
    def busiest_cpu_share(self) -> float:
        """The largest share of a core one client process used: near 1, that process was the limit."""
        return max(self.process_cpu_shares, default=self.figures.cpu_share)


def client_label(client: str, backend: str) -> str:
    """This client with its backend ("openai_actors/trio"); the official one (always asyncio) by name."""
    return f"{client}/{backend}" if client == ACTORS else client


@dataclass(frozen=True, slots=True)
class Job:
    """One run to measure: a client at a level, as the plan says, against the server (picklable)."""

    plan: Plan
    connection: Connection
    client: str
    level: Level

    @property
    def backend(self) -> str:
        """The chosen event loop for this client; asyncio for the official one (it needs asyncio)."""
        return self.plan.backend if self.client == ACTORS else "asyncio"

    @property
    def label(self) -> str:
        return f"{client_label(self.client, self.backend)}, {self.level.label}"


def merge(job: Job, parts: Sequence[Part]) -> Run:
    """One run of the parts the client processes measured (pure): their records pooled.

    Counts add up and every distribution is computed over all the samples
    (never an average of each process's percentiles); the wall time spans the
    first part's start to the last one's end; CPU is summed.
    """
    if not parts:
        raise ValueError("a run is merged from one part or more")
    records = [record for part in parts for record in part.sample.records]
    wall = max(part.sample.ended for part in parts) - min(part.sample.started for part in parts)
    cpu = sum(part.sample.cpu_s for part in parts)
    plan = job.plan
    stream, percents = plan.workload.stream, plan.metric_percentiles
    measured = figures(records, wall, cpu, plan.slo, stream=stream, percents=percents)
    examples: dict[str, str] = {}
    for part in parts:
        examples = {**part.error_examples, **examples}  # the first process's example of a kind wins
    learned = next((part.learned_limits for part in parts if part.learned_limits is not None), None)
    shares = tuple(_share(part.sample) for part in parts) if len(parts) > 1 else ()
    complete = all(part.complete for part in parts)
    return Run(job.client, job.backend, job.level, measured, examples, complete, learned, len(parts), shares)


def _share(sample: Sample) -> float:
    wall = sample.ended - sample.started
    return sample.cpu_s / wall if wall > 0 else 0.0


# Measures one client at one level, putting the parts measured in the list given last;
# True if a signal stopped it, or why it could not run, else False.
RunOne = Callable[[Job, Progress, list[Part]], "Unreachable | bool"]


def run_plan(
    plan: Plan, base_url: str, progress: Progress, runs: list[Run], run_one: RunOne | None = None
) -> None:
    """Every run of `plan`, against `base_url`, in order (by level, this client first), appended to `runs`.

    Appended as each ends, so that what was measured outlives what stops the
    rest: SIGINT or SIGTERM during a run cancels it (its client closes as
    usual), appends what of it was measured (`complete=False`) and raises
    KeyboardInterrupt here; a run whose warm-up all failed raises Unreachable.
    `run_one` measures each run (default: `in_this_process`).
    """
    connection = Connection(base_url, plan.api_key, plan.max_retries, plan.timeout)
    for level in plan.levels:
        for client in (ACTORS, *plan.compare):
            job = Job(plan, connection, client, level)
            parts: list[Part] = []
            try:
                outcome = (run_one or in_this_process)(job, progress, parts)
            finally:
                if parts:
                    runs.append(merge(job, parts))
            if outcome is True:
                raise KeyboardInterrupt
            # Raised here, out of every task group, so that it is not wrapped in an exception group.
            if isinstance(outcome, Unreachable):
                raise outcome


def in_this_process(job: Job, progress: Progress, parts: list[Part]) -> Unreachable | bool:
    """One client at one level, measured here in an event loop of its own (a `RunOne`)."""
    try:
        return anyio.run(measure, job, progress, parts, backend=job.backend)
    except BaseExceptionGroup as group:
        # A signal after _cancel_on_signal put the earlier handlers back
        # (they raise KeyboardInterrupt) came inside the task group.
        interrupted, other = group.split(KeyboardInterrupt)
        if interrupted is None or other is not None:
            raise
        return True


# Called between the warm-up and the measured part: several processes start measuring together.
Ready = Callable[[], Awaitable[None]]


async def measure(
    job: Job, progress: Progress, parts: list[Part], ready: Ready | None = None
) -> Unreachable | bool:
    """`_measure`, stopped by SIGINT or SIGTERM: True if a signal stopped it, or why it could not run."""
    if threading.current_thread() is not threading.main_thread():  # signals reach the main thread only
        return await _measure(job, progress, parts, ready) or False
    caught: list[int] = []
    outcome: Unreachable | None = None
    async with anyio.create_task_group() as tg:
        # Listening before anything else runs: until then a signal would raise
        # KeyboardInterrupt wherever this task is (in `import openai`, say).
        await tg.start(_cancel_on_signal, tg.cancel_scope, caught)
        outcome = await _measure(job, progress, parts, ready)
        tg.cancel_scope.cancel()
    return bool(caught) or outcome or False


async def _cancel_on_signal(
    scope: anyio.CancelScope, caught: list[int], *, task_status: anyio.abc.TaskStatus[None]
) -> None:
    """Cancel `scope` on SIGINT or SIGTERM, until cancelled; the handlers in place before are put back after.

    Plain handlers, not anyio's signal receiver: leaving that resets the
    handlers to the defaults before this could put the earlier ones back, and
    SIGTERM's default ends the process at once (any thread can take it, so
    blocking it in this one would not do). Here one handler replaces another,
    never the default. The handler only schedules the cancel: it runs between
    any two bytecodes of this thread, in the middle of the loop's own code.
    """
    loop = current_loop()

    def handler(signum: int, frame: object) -> None:
        caught.append(signum)
        call_in_loop(loop, scope.cancel)

    previous = {signum: signal.signal(signum, handler) for signum in _STOP_SIGNALS}
    try:
        task_status.started()
        await anyio.sleep_forever()
    finally:
        for signum, handler_before in previous.items():
            if handler_before is not None:
                signal.signal(signum, handler_before)


async def _measure(
    job: Job, progress: Progress, parts: list[Part], ready: Ready | None
) -> Unreachable | None:
    """One client at one level, warmed up then measured, its Part put in `parts`; or why it could not be.

    Unreachable if every warm-up request failed. Cancelled during the
    measured part, it puts in `parts` what it measured until then.
    """
    plan, client = job.plan, job.client
    rate_limit = plan.rate_limit if client == ACTORS else None
    async with open_driver(client, job.connection, plan.workload, rate_limit) as driver:

        def part_of(sample: Sample, complete: bool) -> Part:
            return Part(sample, complete, dict(driver.examples), driver.learned_limits())

        partial: list[Sample] = []
        try:
            result = await _warm_up_and_measure(driver, job, progress, partial, ready)
        except anyio.get_cancelled_exc_class():
            parts += [part_of(sample, complete=False) for sample in partial]
            raise
        if result is not None:
            # Kept before the client closes: a signal during the close (which
            # waits for its connections) must not lose a run that ended.
            parts.append(part_of(result, complete=True))
    if result is None:
        failures = "; ".join(f"{kind}: {message}" for kind, message in driver.examples.items())
        # Asked only when nothing answered: a 401 or a 400 came from a server that is up.
        hint = "; is the server up?" if set(driver.examples) <= _NO_ANSWER else ""
        return Unreachable(
            f"{job.label}: every warm-up request to {job.connection.base_url} failed ({failures}){hint}"
        )
    return None


async def _warm_up_and_measure(
    driver: Driver, job: Job, progress: Progress, partial: list[Sample], ready: Ready | None
) -> Sample | None:
    """The sample of the measured part, or None when every warm-up request failed.

    Cancelled during the measured part, it puts the sample of the requests
    that ended until then in `partial` (the ones cut off are not counted).
    """
    plan, level, label = job.plan, job.level, job.label
    if plan.warmup:
        progress.note(f"{label}: warming up")
        warm = Recorder(plan.warmup)
        in_flight = min(plan.warmup, level.concurrency or plan.warmup_concurrency)
        await run_concurrency(driver.one, in_flight, Stop(plan.warmup, None), warm)
        progress.clear()
        if warm.errors == warm.done:
            return None
    if ready is not None:
        await ready()
    gc.collect()
    recorder = Recorder(plan.stop.requests)
    cpu, started = cpu_seconds(), perf_counter()
    try:
        async with anyio.create_task_group() as tg:
            if progress.enabled:
                tg.start_soon(progress.show, label, recorder, plan.stop)
            await drive(driver.one, level, plan.stop, recorder)
            tg.cancel_scope.cancel()
    except anyio.get_cancelled_exc_class():
        ended, cpu = perf_counter(), cpu_seconds() - cpu
        progress.clear()
        partial.append(Sample(recorder.finished(), started, ended, cpu))
        raise
    ended, cpu = perf_counter(), cpu_seconds() - cpu
    progress.clear()
    return Sample(recorder.finished(), started, ended, cpu)
