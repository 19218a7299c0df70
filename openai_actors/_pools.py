"""The lanes of one origin and the calls waiting for them, sans-IO: who serves next, who retires, who expired.

A `Pool` per origin holds its idle lanes as a stack (the warmest is taken
first, so a light load keeps reusing the same few warm connections, and the
bottom, idle longest, is the first to retire) and the admitted calls waiting
for a lane, first in, first out. The dispatcher's tasks do the waiting; the
choices are made here, with the time passed in, so they are tested without
an event loop (tests/test_pools.py).
"""

from __future__ import annotations

from collections import OrderedDict, deque
from collections.abc import Iterator
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from ._call import Call
    from ._signals import Signal

__all__ = ["Lane", "Pool"]

_INF: Final = float("inf")


class Lane:
    """One lane's hand-over point: while idle, it waits on `wake` for a call (or None: retire)."""

    __slots__ = ("call", "delivered", "idle_since", "retired", "running", "wake")

    def __init__(self) -> None:
        self.call: Call | None = None  # handed over while idle
        self.wake: Signal | None = None
        self.idle_since = 0.0  # on the dispatcher's clock
        self.retired = False
        # The call whose attempt is running, and whether its body went to its caller as a stream.
        self.running: Call | None = None
        self.delivered = False

    def assign(self, call: Call | None) -> None:
        """Wake the idle lane with `call` to serve, or with None to retire."""
        self.call = call
        assert self.wake is not None
        self.wake.set()


class Pool:
    """The lanes of one origin, and the calls waiting for one of them."""

    __slots__ = ("idle", "lanes", "waiting")

    def __init__(self) -> None:
        self.lanes = 0
        self.idle: deque[Lane] = deque()
        # FIFO; an OrderedDict so that a withdrawn call leaves in O(1).
        self.waiting: OrderedDict[Call, None] = OrderedDict()

    def take(self) -> Call | None:
        """The call first in line, out of the line; None if nobody waits."""
        if self.waiting:
            call, _ = self.waiting.popitem(last=False)
            call.queue = None
            return call
        return None

    def wait(self, call: Call) -> bool:
        """Put `call` at the back of the line; True if it now heads it (its pool deadline is the next)."""
        self.waiting[call] = None
        call.queue = self.waiting
        return len(self.waiting) == 1

    def put_back(self, call: Call) -> None:
        """Put `call` back at the front: it was handed to a lane that could not take it."""
        self.wait(call)
        self.waiting.move_to_end(call, last=False)

    def park(self, lane: Lane, now: float) -> bool:
        """`lane` is idle from `now`; True if it is the only idle one (its retirement is the next)."""
        lane.call = None
        lane.idle_since = now
        self.idle.append(lane)
        return len(self.idle) == 1

    def retire_idle(self, now: float, idle_limit: float) -> None:
        """Wake every lane idle for `idle_limit` seconds or more, to retire."""
        idle = self.idle
        while idle and idle[0].idle_since + idle_limit <= now:
            idle.popleft().assign(None)

    def expired(self, now: float) -> Iterator[tuple[Call, float]]:
        """Take out the calls that have waited longer than their pool timeout, with that timeout.

        The line is in admission order, so this looks from the front and stops
        at the first call still in time; a call with a shorter pool timeout than
        the ones before it is caught when it reaches the front.
        """
        while self.waiting:
            call = next(iter(self.waiting))
            limit = call.timeouts.pool
            if limit is None or call.admitted_at + limit > now:
                return
            self.take()
            yield call, limit

    def next_deadline(self, idle_limit: float) -> float:
        """When the pool next needs the timer: its oldest idle lane retires, or its first call expires."""
        deadline = self.idle[0].idle_since + idle_limit if self.idle else _INF
        for call in self.waiting:  # only the head: see expired()
            limit = call.timeouts.pool
            if limit is not None:
                deadline = min(deadline, call.admitted_at + limit)
            break
        return deadline
