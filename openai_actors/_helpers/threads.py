"""`client.beta.threads` with its hand-written helpers."""

from __future__ import annotations

from ..resources.beta.threads.threads import AsyncThreads as _AsyncThreads
from ..resources.beta.threads.threads import Threads as _Threads

__all__ = ["AsyncThreads", "Threads"]


class Threads(_Threads):
    pass


class AsyncThreads(_AsyncThreads):
    pass
