"""`client.vector_stores.file_batches` with its hand-written helpers."""

from __future__ import annotations

from ..resources.vector_stores.file_batches import AsyncFileBatches as _AsyncFileBatches
from ..resources.vector_stores.file_batches import FileBatches as _FileBatches

__all__ = ["AsyncFileBatches", "FileBatches"]


class FileBatches(_FileBatches):
    pass


class AsyncFileBatches(_AsyncFileBatches):
    pass
