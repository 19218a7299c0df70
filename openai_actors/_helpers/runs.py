"""`client.beta.threads.runs` with its hand-written helpers."""

from __future__ import annotations

from ..resources.beta.threads.runs.runs import AsyncRuns as _AsyncRuns
from ..resources.beta.threads.runs.runs import Runs as _Runs

__all__ = ["AsyncRuns", "Runs"]


class Runs(_Runs):
    pass


class AsyncRuns(_AsyncRuns):
    pass
