"""Running a plan: per level, this client then each client it is compared with, each warmed up then measured.

Each run opens a fresh client in a fresh event loop (`anyio.run`), on the
chosen backend for this client and on asyncio for the official one (it needs
asyncio). The measured part is timed on the wall clock and on the process's
CPU clock (user + sys): the warm-up and the client's construction and closing
are outside it.
"""

from __future__ import annotations

import gc
import signal
import threading
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
from ._stats import Figures, figures

__all__ = ["Run", "Unreachable", "client_label", "cpu_seconds", "run_plan"]

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
class Run:
    """One client at one level: what was measured."""

    client: str
    backend: str
    level: Level
    figures: Figures
    error_examples: dict[str, str]
    # False: a signal cut the run short; its figures cover the requests that ended before.
    complete: bool = True
    # The limits this client paced itself to, learned from the server's rate-limit headers.
    learned_limits: LearnedLimits | None = None

    @property
    def label(self) -> str:
        return client_label(self.client, self.backend)


def client_label(client: str, backend: str) -> str:
    """This client with its backend ("openai_actors/trio"); the official one (always asyncio) by name."""
    return f"{client}/{backend}" if client == ACTORS else client


def run_plan(plan: Plan, base_url: str, progress: Progress, runs: list[Run]) -> None:
    """Every run of `plan`, against `base_url`, in order (by level, this client first), appended to `runs`.

    Appended as each ends, so that what was measured outlives what stops the
    rest: SIGINT or SIGTERM during a run cancels it (its client closes as
    usual), appends what of it was measured (`complete=False`) and raises
    KeyboardInterrupt here; a run whose warm-up all failed raises Unreachable.
    """
    connection = Connection(base_url, plan.api_key, plan.max_retries, plan.timeout)
    for level in plan.levels:
        for client in (ACTORS, *plan.compare):
            backend = plan.backend if client == ACTORS else "asyncio"
            measured: list[Run] = []
            try:
                outcome = anyio.run(
                    _interruptible, plan, connection, client, level, progress, measured, backend=backend
                )
            except BaseExceptionGroup as group:
                # A signal after _cancel_on_signal put the earlier handlers back
                # (they raise KeyboardInterrupt) came inside the task group.
                interrupted, other = group.split(KeyboardInterrupt)
                if interrupted is None or other is not None:
                    raise
                outcome = True
            finally:
                runs += measured
            if outcome is True:
                raise KeyboardInterrupt
            # Raised here, out of every task group, so that it is not wrapped in an exception group.
            if isinstance(outcome, Unreachable):
                raise outcome


async def _interruptible(
    plan: Plan, connection: Connection, client: str, level: Level, progress: Progress, measured: list[Run]
) -> Unreachable | bool:
    """`_measure`, stopped by SIGINT or SIGTERM: True if a signal stopped it, or why it could not run."""
    if threading.current_thread() is not threading.main_thread():  # signals reach the main thread only
        return await _measure(plan, connection, client, level, progress, measured) or False
    caught: list[int] = []
    outcome: Unreachable | None = None
    async with anyio.create_task_group() as tg:
        # Listening before anything else runs: until then a signal would raise
        # KeyboardInterrupt wherever this task is (in `import openai`, say).
        await tg.start(_cancel_on_signal, tg.cancel_scope, caught)
        outcome = await _measure(plan, connection, client, level, progress, measured)
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
    plan: Plan, connection: Connection, client: str, level: Level, progress: Progress, measured: list[Run]
) -> Unreachable | None:
    """One client at one level, warmed up then measured, its Run put in `measured`; or why it could not be.

    Unreachable if every warm-up request failed. Cancelled during the
    measured part, it puts in `measured` what it measured until then.
    """
    backend = plan.backend if client == ACTORS else "asyncio"
    label = f"{client_label(client, backend)}, {level.label}"
    rate_limit = plan.rate_limit if client == ACTORS else None
    async with open_driver(client, connection, plan.workload, rate_limit) as driver:

        def run_of(measured_part: Figures, complete: bool) -> Run:
            learned = driver.learned_limits()
            return Run(client, backend, level, measured_part, dict(driver.examples), complete, learned)

        partial: list[Figures] = []
        try:
            result = await _warm_up_and_measure(driver, plan, level, label, progress, partial)
        except anyio.get_cancelled_exc_class():
            measured += [run_of(part, complete=False) for part in partial]
            raise
        if result is not None:
            # Kept before the client closes: a signal during the close (which
            # waits for its connections) must not lose a run that ended.
            measured.append(run_of(result, complete=True))
    if result is None:
        failures = "; ".join(f"{kind}: {message}" for kind, message in driver.examples.items())
        # Asked only when nothing answered: a 401 or a 400 came from a server that is up.
        hint = "; is the server up?" if set(driver.examples) <= _NO_ANSWER else ""
        return Unreachable(
            f"{label}: every warm-up request to {connection.base_url} failed ({failures}){hint}"
        )
    return None


async def _warm_up_and_measure(
    driver: Driver, plan: Plan, level: Level, label: str, progress: Progress, partial: list[Figures]
) -> Figures | None:
    """The figures of the measured part, or None when every warm-up request failed.

    Cancelled during the measured part, it puts the figures of the requests
    that ended until then in `partial` (the ones cut off are not counted).
    """
    if plan.warmup:
        progress.note(f"{label}: warming up")
        warm = Recorder(plan.warmup)
        in_flight = min(plan.warmup, level.concurrency or plan.warmup_concurrency)
        await run_concurrency(driver.one, in_flight, Stop(plan.warmup, None), warm)
        progress.clear()
        if warm.errors == warm.done:
            return None
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
        wall, cpu = perf_counter() - started, cpu_seconds() - cpu
        progress.clear()
        partial.append(_figures(plan, recorder, wall, cpu))
        raise
    wall, cpu = perf_counter() - started, cpu_seconds() - cpu
    progress.clear()
    return _figures(plan, recorder, wall, cpu)


def _figures(plan: Plan, recorder: Recorder, wall: float, cpu: float) -> Figures:
    stream, percents = plan.workload.stream, plan.metric_percentiles
    return figures(recorder.finished(), wall, cpu, plan.slo, stream=stream, percents=percents)
