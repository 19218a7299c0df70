"""`--processes N`: each run measured by N client processes together, each with its own client and a share.

Theory of operation. One event loop uses one core, so one client process has
a ceiling of its own; past it the bench measures the client, not the server.
With `--processes N`, each run (a client at a level) is measured by N worker
processes started for it (multiprocessing's spawn: a fresh interpreter each,
given its share of the plan and nothing else). Each:

1. opens its own client and warms it up (its own `--warmup` requests),
2. sends "warm" and waits for the parent's "go", so that all of them start
   measuring together (or "stop": another could not warm up),
3. measures its share and sends back its `Part`: raw records, the span of
   its measured part on the host's monotonic clock, its CPU time.

The parent pools the parts into one `Run` (`_runner.merge`): counts add up,
percentiles are over every sample, CPU is summed. A share (`share`, pure) is
an even split of the concurrency, of the rate (evenly spaced arrivals
interleaved by a phase; random ones from seeds of their own, and N Poisson
processes of rate R/N together are one of rate R), of the requests and of the
`--rpm`/`--tpm`/`--max-in-flight` limits.

Failure is never a wait: the parent waits on every worker's pipe and on its
process at once, so a worker that dies (killed, or a bug) ends the bench with
`WorkerFailed` naming it, and the others are stopped. Signals: a worker
ignores SIGINT and SIGTERM except while it warms up and measures, where
either cancels its run as in one process and it sends back what it measured;
the parent, interrupted, tells every worker to stop (a message, and SIGTERM)
and collects those parts. Workers die with the parent (Linux).
"""

from __future__ import annotations

import dataclasses
import multiprocessing
import multiprocessing.connection
import multiprocessing.process
import os
import signal
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from time import monotonic
from typing import Any, Final

import anyio
import anyio.lowlevel

from .._ratelimit import RateLimit
from ._load import Level, Ramp, Stop
from ._progress import Progress
from ._runner import Job, Part, Unreachable, client_label, measure
from ._server import die_with_parent

__all__ = ["WorkerFailed", "in_processes", "share", "shares"]

# How long stopped workers get to send what they measured and exit, before they are killed.
_STOP_TIMEOUT: Final = 10.0
_WARM: Final = "warm"
_DONE: Final = "done"
_GO: Final = "go"
_STOP: Final = "stop"


class WorkerFailed(Exception):
    """A client process died, or failed, before sending back what it measured."""


# --- the shares (pure) ----------------------------------------------------------------


def shares(total: int, parts: int) -> tuple[int, ...]:
    """`total` split into `parts` whole shares, as even as can be, the larger first: 10 over 4 is 3, 3, 2, 2."""
    if parts < 1 or total < 0:
        raise ValueError(f"{total} cannot be split into {parts} parts")
    whole, rest = divmod(total, parts)
    return tuple(whole + (index < rest) for index in range(parts))


def share(job: Job, index: int) -> Job:
    """Process `index`'s share (of `plan.processes`) of the job; its plan is for one process.

    Warm-up is not split: it warms each process's own client.
    """
    plan, level = job.plan, job.level
    count = plan.processes
    if not 0 <= index < count:
        raise ValueError(f"process {index} of {count}")
    requests = plan.stop.requests
    stop = Stop(None if requests is None else shares(requests, count)[index], plan.stop.duration)
    limits = plan.rate_limit
    if limits is not None:
        limits = _limits_share(limits, count, index)
    plan = dataclasses.replace(plan, stop=stop, rate_limit=limits, levels=(), processes=1)
    return dataclasses.replace(job, plan=plan, level=_level_share(level, count, index))


def _level_share(level: Level, count: int, index: int) -> Level:
    concurrency = None if level.concurrency is None else shares(level.concurrency, count)[index]
    if level.rate is None:
        return dataclasses.replace(level, concurrency=concurrency)
    ramp = level.ramp
    if ramp is not None:
        ramp = Ramp(ramp.strategy, ramp.start / count, ramp.end / count)
    rate = level.rate / count if ramp is None else ramp.end
    # Evenly spaced arrivals: process i's come i/R after process 0's, so that together
    # they are evenly spaced at R. Random ones: each process draws its own.
    phase = index / level.rate if level.burstiness is None and ramp is None else 0.0
    seed = level.seed * count + index
    return Level(concurrency, rate, level.burstiness, seed, ramp, phase)


def _limits_share(limits: RateLimit, count: int, index: int) -> RateLimit:
    rpm, tpm, in_flight = limits.requests_per_minute, limits.tokens_per_minute, limits.max_in_flight
    return dataclasses.replace(
        limits,
        requests_per_minute=None if rpm is None else rpm / count,
        tokens_per_minute=None if tpm is None else tpm / count,
        max_in_flight=None if in_flight is None else shares(in_flight, count)[index],
    )


# --- the parent ---------------------------------------------------------------------------


@dataclass(slots=True)
class _Worker:
    index: int
    process: multiprocessing.process.BaseProcess
    conn: multiprocessing.connection.Connection
    final: tuple[Any, ...] | None = None
    """Its last message ("done", what it measured, its outcome), kept here as soon as it is read: an
    interruption while the others are awaited must not lose it."""

    @property
    def answered(self) -> bool:
        return self.final is not None

    def tell(self, message: str) -> None:
        try:
            self.conn.send(message)
        except OSError:  # it is gone; waiting on it says how
            pass


def in_processes(job: Job, progress: Progress, parts: list[Part]) -> Unreachable | bool:
    """One client at one level, measured by `plan.processes` worker processes together (a `RunOne`).

    Each worker's part goes into `parts`. True if a signal stopped it, or
    why it could not run (every warm-up request of a process failed);
    WorkerFailed if a worker died or failed.
    """
    count = job.plan.processes
    label = f"{client_label(job.client, job.backend)} x{count}, {job.level.label}"
    context = multiprocessing.get_context("spawn")
    workers: list[_Worker] = []
    try:
        for index in range(count):
            mine, theirs = context.Pipe()
            process = context.Process(
                target=_work,
                args=(theirs, share(job, index)),
                name=f"openai-actors-bench-{index + 1}",
                daemon=True,
            )
            process.start()
            theirs.close()  # the worker's end lives in the worker: EOF here when it is gone
            workers.append(_Worker(index, process, mine))
        return _conduct(workers, label, progress)
    except KeyboardInterrupt:
        for worker in workers:
            worker.tell(_STOP)  # for one not yet listening for signals
            _signal(worker, signal.SIGTERM)
        try:
            _gather(workers, label, "stopping", timeout=_STOP_TIMEOUT)
        except (WorkerFailed, TimeoutError):
            pass  # what came back is kept; the run is marked cut short either way
        return True
    finally:
        # Every part that came back, each once, whatever stopped the run.
        parts += [part for worker in workers if worker.final is not None for part in worker.final[1]]
        progress.clear()
        _end(workers)


def _conduct(workers: list[_Worker], label: str, progress: Progress) -> Unreachable | bool:
    """Warm every worker up, start them together, wait for their parts."""
    progress.note(f"{label}: warming up {len(workers)} processes")
    early = _gather(workers, label, "warming up")
    ended = [message[2] for message in early.values() if message[0] == _DONE]
    if ended:
        # One could not warm up (or was stopped by a signal), so it measured nothing: the others are
        # told to stop.
        for worker in workers:
            if not worker.answered:
                worker.tell(_STOP)
        _gather(workers, label, "stopping")
        return next((o for o in ended if isinstance(o, Unreachable)), True in ended)
    progress.note(f"{label}: measuring in {len(workers)} processes")
    for worker in workers:
        worker.tell(_GO)
    _gather(workers, label, "measuring")
    outcomes = [worker.final[2] for worker in workers if worker.final is not None]
    return next((o for o in outcomes if isinstance(o, Unreachable)), True in outcomes)


def _gather(
    workers: Sequence[_Worker], label: str, doing: str, timeout: float | None = None
) -> dict[int, tuple[Any, ...]]:
    """One message from each worker not yet done, by index (a last one is also kept as the worker's
    `final`); a worker gone first is WorkerFailed.

    TimeoutError if `timeout` seconds pass first.
    """
    pending = {worker.index: worker for worker in workers if not worker.answered}
    got: dict[int, tuple[Any, ...]] = {}
    deadline = None if timeout is None else monotonic() + timeout
    while pending:
        left = None if deadline is None else max(0.0, deadline - monotonic())
        waited: list[multiprocessing.connection.Connection[Any, Any] | int] = [
            worker.conn for worker in pending.values()
        ]
        waited += [worker.process.sentinel for worker in pending.values()]
        ready = multiprocessing.connection.wait(waited, left)
        if not ready:
            raise TimeoutError(f"{label}: {len(pending)} client processes did not answer in {timeout:g} s")
        for index, worker in list(pending.items()):
            # Read before looking at the process: one that answered and then exited did answer.
            if worker.conn.poll():
                try:
                    message = worker.conn.recv()
                except EOFError:
                    raise WorkerFailed(_failure(worker, len(workers), label, doing)) from None
                if message[0] == _DONE:
                    worker.final = message
                got[index] = message
                del pending[index]
            elif worker.process.sentinel in ready:
                raise WorkerFailed(_failure(worker, len(workers), label, doing))
    return got


def _failure(worker: _Worker, count: int, label: str, doing: str) -> str:
    process = worker.process
    process.join(_STOP_TIMEOUT)  # its exit status, once it is reaped
    code = process.exitcode
    if code is None:
        how = "closed its pipe"
    elif code < 0:
        how = f"was killed by {signal.Signals(-code).name}"
    else:
        how = f"exited with status {code}" + (" (its error is above)" if code else "")
    return f"{label}: client process {worker.index + 1} of {count} {how} while {doing}"


def _signal(worker: _Worker, signum: int) -> None:
    pid = worker.process.pid
    if pid is not None and worker.process.exitcode is None:
        try:
            os.kill(pid, signum)
        except ProcessLookupError:
            pass


def _end(workers: list[_Worker]) -> None:
    """Every worker gone: those done exit by themselves (given a moment); any other is killed."""
    for worker in workers:
        process = worker.process
        if worker.answered:
            process.join(_STOP_TIMEOUT)
        if process.exitcode is None:
            process.kill()
            process.join()
        worker.conn.close()
        process.close()


# --- the worker ----------------------------------------------------------------------------


def _work(conn: multiprocessing.connection.Connection, job: Job) -> None:
    """A worker process's body: measure its share of the run when told to, send back what was measured."""
    # The parent decides when a worker stops (a Ctrl-C reaches the parent too): signals are
    # ignored here, except during `measure`, where SIGINT and SIGTERM cancel the run as in one process.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    die_with_parent()
    parts: list[Part] = []
    outcome = anyio.run(_measure_when_told, conn, job, parts, backend=job.backend)
    conn.send((_DONE, parts, outcome))
    conn.close()


async def _measure_when_told(
    conn: multiprocessing.connection.Connection, job: Job, parts: list[Part]
) -> Unreachable | bool:
    outcome: Unreachable | bool = True  # stopped by the parent before the measured part
    with anyio.CancelScope() as scope:

        async def ready() -> None:
            conn.send((_WARM,))
            await anyio.wait_readable(conn)
            if conn.recv() != _GO:
                scope.cancel()
                await anyio.lowlevel.checkpoint()

        outcome = await measure(job, Progress(sys.stderr, enabled=False), parts, ready)
    return outcome
