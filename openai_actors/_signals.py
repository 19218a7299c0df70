"""One-shot signals: set once, awaited by one task; the dispatcher's wake-ups.

A call's outcome, an idle lane's next call, the admission loop's "the inbox
has something": each is one `set()` and one waiter, made and dropped once per
request. anyio.Event would do, but on asyncio it is an asyncio.Event (whose
waiter deque alone is about 600 bytes) behind two coroutine layers, for each
of what can be tens of thousands of waiting calls (bench/README.md, memory
and CPU). On asyncio a bare future does the same job, awaited as it is; on
trio, a task parked with trio's low-level API.

Cancelling the waiter cancels the future; a later `set()` then does nothing.
Whoever sets a signal leaves what it signals somewhere the waiter looks (the
call's outcome, the lane's call), so a set that races a cancellation loses
nothing.

Also here, from the same look at which loop is running: that loop's clock
(`loop_clock`), which the dispatcher reads several times a request.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable, Generator
from typing import TYPE_CHECKING, Final, Protocol

if TYPE_CHECKING:
    import trio

__all__ = ["FutureSignal", "Signal", "TrioSignal", "loop_clock", "signal_factory"]


class Signal(Protocol):
    def set(self) -> None: ...

    def wait(self) -> Awaitable[object]: ...


class FutureSignal:
    __slots__ = ("_future",)

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._future: asyncio.Future[None] = loop.create_future()

    def set(self) -> None:
        if not self._future.done():
            self._future.set_result(None)

    def wait(self) -> Awaitable[None]:
        return self._future


class TrioSignal:
    """The same on trio, from trio's low-level parking: no set of waiters, no checkpoint when set."""

    __slots__ = ("_set", "_task")

    def __init__(self) -> None:
        self._set = False
        self._task: trio.lowlevel.Task | None = None

    def set(self) -> None:
        if self._set:
            return
        self._set = True
        task, self._task = self._task, None
        if task is not None:
            import trio  # only ever made in trio, so already imported: a dictionary lookup

            trio.lowlevel.reschedule(task)

    def wait(self) -> Awaitable[object]:
        """To be awaited at once (`await signal.wait()`): the task to wake is the one calling this.

        Not a coroutine itself: one layer fewer to make, and to resume
        through, for every wait (bench/README.md, "trio").
        """
        if self._set:
            return _ALREADY
        import trio

        self._task = trio.lowlevel.current_task()
        return trio.lowlevel.wait_task_rescheduled(self._abort)  # noqa: ASYNC105 (awaited by the caller)

    def _abort(self, _: object) -> trio.lowlevel.Abort:
        import trio

        self._task = None  # cancelled: a later set() has nobody to wake
        return trio.lowlevel.Abort.SUCCEEDED


class _Already:
    """Awaitable that returns at once, without a trip round the scheduler."""

    __slots__ = ()

    def __await__(self) -> Generator[None, None, None]:
        return
        yield  # a generator that ends at once


_ALREADY: Final = _Already()


def signal_factory() -> Callable[[], Signal]:
    """How to make signals in the running event loop (asyncio or trio); call it in that loop."""
    loop = asyncio._get_running_loop()
    if loop is not None:
        return functools.partial(FutureSignal, loop)
    return TrioSignal


def loop_clock() -> Callable[[], float]:
    """The running event loop's clock, the one anyio.current_time() reads; call this in that loop.

    What it returns can be called from any thread (`stats()` may be): asyncio's
    `loop.time` reads the monotonic clock, and trio's clock object, unlike
    `trio.current_time()`, does not look for the run it belongs to (which
    also makes it about twice as fast).
    """
    loop = asyncio._get_running_loop()
    if loop is not None:
        return loop.time
    import trio

    return trio.lowlevel.current_clock().current_time
