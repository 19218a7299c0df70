"""The live progress line on stderr: requests done (or seconds elapsed), requests/s, errors."""

from __future__ import annotations

from time import perf_counter
from typing import Final, TextIO

import anyio

from ._load import Recorder, Stop

__all__ = ["Progress"]

_INTERVAL: Final = 0.5


class Progress:
    """Redraws one line every half second while a run lasts; off unless `enabled` (a terminal, not --quiet)."""

    def __init__(self, out: TextIO, enabled: bool) -> None:
        self.enabled = enabled
        self._out = out
        self._width = 0

    async def show(self, label: str, recorder: Recorder, stop: Stop) -> None:
        """Redraw until cancelled; the line is cleared by `clear`."""
        started = perf_counter()
        while True:
            await anyio.sleep(_INTERVAL)
            self._draw(label, recorder, stop, perf_counter() - started)

    def _draw(self, label: str, recorder: Recorder, stop: Stop, elapsed: float) -> None:
        if stop.requests is not None:
            where = f"{recorder.done:,}/{stop.requests:,} requests"
        else:
            where = f"{elapsed:.1f}/{stop.duration:g} s, {recorder.done:,} requests"
        errors = f", {recorder.errors:,} errors" if recorder.errors else ", no errors"
        line = f"{label}: {where}, {recorder.done / elapsed:,.0f} req/s{errors}"
        self._write(line)

    def note(self, line: str) -> None:
        """Show `line` in place of the progress (e.g. "warming up")."""
        if self.enabled:
            self._write(line)

    def _write(self, line: str) -> None:
        padding = " " * max(0, self._width - len(line))
        self._width = len(line)
        self._out.write(f"\r{line}{padding}")
        self._out.flush()

    def clear(self) -> None:
        if self.enabled and self._width:
            self._out.write("\r" + " " * self._width + "\r")
            self._out.flush()
            self._width = 0
