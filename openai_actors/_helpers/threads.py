"""`client.beta.threads` with its hand-written helpers.

`create_and_run_stream` is not here yet: it needs the Assistants event handler.
"""

from __future__ import annotations

from typing import Unpack

from .._resources._base import RequestOptionParams
from .._types import Omit, not_given, omit
from ..resources.beta.threads.threads import AsyncThreads as _AsyncThreads
from ..resources.beta.threads.threads import Threads as _Threads
from ..types.beta.thread_create_and_run_params import ThreadCreateAndRunParamsBase
from ..types.beta.threads.run import Run

__all__ = ["AsyncThreads", "Threads"]


class _CreateAndRunPollArgs(ThreadCreateAndRunParamsBase, RequestOptionParams, total=False):
    """What `create_and_run` takes, less `stream`: the helper polls, it does not stream."""


class Threads(_Threads):
    def create_and_run_poll(
        self,
        *,
        poll_interval_ms: int | Omit = omit,
        **params: Unpack[_CreateAndRunPollArgs],
    ) -> Run:
        """Create a thread, start a run on it, and wait for the run to reach a terminal state."""
        run = self.create_and_run(**params, stream=False)
        return self.runs.poll(
            run.id,
            run.thread_id,
            params.get("extra_headers"),
            params.get("extra_query"),
            params.get("extra_body"),
            params.get("timeout", not_given),
            poll_interval_ms,
        )


class AsyncThreads(_AsyncThreads):
    async def create_and_run_poll(
        self,
        *,
        poll_interval_ms: int | Omit = omit,
        **params: Unpack[_CreateAndRunPollArgs],
    ) -> Run:
        """Create a thread, start a run on it, and wait for the run to reach a terminal state."""
        run = await self.create_and_run(**params, stream=False)
        return await self.runs.poll(
            run.id,
            run.thread_id,
            params.get("extra_headers"),
            params.get("extra_query"),
            params.get("extra_body"),
            params.get("timeout", not_given),
            poll_interval_ms,
        )
