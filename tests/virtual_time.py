"""Event loops whose clock is fake: time moves only when every task waits, then jumps to the next timer.

Under them a test of retry schedules, pauses, idle lanes or timeouts runs in
milliseconds, and what it asserts about time is exact, whatever else the
machine is doing. Only for tests without real I/O (the dispatcher over a
`MockTransport`): a socket's readiness does not move a fake clock.

asyncio: `VirtualTimeLoop`, whose selector, when nothing is ready, advances
the clock by the timeout asyncio asked it to wait instead of waiting. trio:
its own `MockClock` with `autojump_threshold=0`, which does the same.
"""

from __future__ import annotations

import asyncio
import selectors
from typing import Any

import pytest

__all__ = ["VirtualTimeLoop", "fake_clock_backend"]


class _JumpingSelector(selectors.DefaultSelector):  # type: ignore[misc,valid-type]
    def __init__(self) -> None:
        super().__init__()
        self.now = 0.0

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        ready: list[tuple[selectors.SelectorKey, int]] = super().select(0)
        if ready or (timeout is not None and timeout <= 0):
            return ready
        if timeout is None:
            # No timer pending: only I/O (another thread's call_soon_threadsafe) can wake the loop.
            return super().select(None)  # type: ignore[no-any-return]
        self.now += timeout
        return []


class VirtualTimeLoop(asyncio.SelectorEventLoop):
    """An asyncio loop on a fake clock that jumps to the next timer whenever the loop would wait."""

    def __init__(self) -> None:
        self._jumping = _JumpingSelector()
        super().__init__(self._jumping)

    def time(self) -> float:
        return self._jumping.now


def fake_clock_backend(request: pytest.FixtureRequest) -> tuple[str, dict[str, Any]]:
    """The body of an `anyio_backend` fixture parametrised over "asyncio" and "trio", on fake clocks."""
    if request.param == "asyncio":
        return ("asyncio", {"loop_factory": VirtualTimeLoop})
    import trio.testing

    return ("trio", {"clock": trio.testing.MockClock(autojump_threshold=0)})
