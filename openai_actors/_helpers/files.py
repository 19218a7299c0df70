"""`client.files` with its hand-written helpers."""

from __future__ import annotations

from ..resources.files import AsyncFiles as _AsyncFiles
from ..resources.files import Files as _Files

__all__ = ["AsyncFiles", "Files"]


class Files(_Files):
    pass


class AsyncFiles(_AsyncFiles):
    pass
