"""`client.files` with its hand-written helpers."""

from __future__ import annotations

import anyio

from ..resources.files import AsyncFiles as _AsyncFiles
from ..resources.files import Files as _Files
from ..types.file_object import FileObject
from . import _polling

__all__ = ["AsyncFiles", "Files"]

# A file in one of these states will not change any more.
_TERMINAL_STATES = frozenset({"processed", "error", "deleted"})


def _gave_up(id: str, max_wait_seconds: float) -> RuntimeError:
    return RuntimeError(
        f"Giving up on waiting for file {id} to finish processing after {max_wait_seconds} seconds."
    )


class Files(_Files):
    def wait_for_processing(
        self,
        id: str,
        *,
        poll_interval: float = 5.0,
        max_wait_seconds: float = 30 * 60,
    ) -> FileObject:
        """Wait for the file to be processed (RuntimeError after `max_wait_seconds`)."""
        start = _polling.clock()
        file = self.retrieve(id)
        while file.status not in _TERMINAL_STATES:
            _polling.pause(poll_interval)
            file = self.retrieve(id)
            if _polling.clock() - start > max_wait_seconds:
                raise _gave_up(id, max_wait_seconds)
        return file


class AsyncFiles(_AsyncFiles):
    async def wait_for_processing(
        self,
        id: str,
        *,
        poll_interval: float = 5.0,
        max_wait_seconds: float = 30 * 60,
    ) -> FileObject:
        """Wait for the file to be processed (RuntimeError after `max_wait_seconds`)."""
        # The event loop's clock, not the wall clock: it is monotonic, and a test's fake clock.
        start = anyio.current_time()
        file = await self.retrieve(id)
        while file.status not in _TERMINAL_STATES:
            await anyio.sleep(poll_interval)
            file = await self.retrieve(id)
            if anyio.current_time() - start > max_wait_seconds:
                raise _gave_up(id, max_wait_seconds)
        return file
