"""`client.beta.threads` with its hand-written helpers: `create_and_run_poll` and `create_and_run_stream`."""

from __future__ import annotations

from typing import Any, Unpack, overload

from .._resources._base import RequestOptionParams
from .._types import Omit, not_given, omit
from ..resources.beta.threads.threads import _CREATE_AND_RUN
from ..resources.beta.threads.threads import AsyncThreads as _AsyncThreads
from ..resources.beta.threads.threads import Threads as _Threads
from ..types.beta.thread_create_and_run_params import ThreadCreateAndRunParamsBase
from ..types.beta.threads.run import Run
from .assistant_events import (
    AssistantEventHandler,
    AssistantEventHandlerT,
    AssistantStreamManager,
    AsyncAssistantEventHandler,
    AsyncAssistantEventHandlerT,
    AsyncAssistantStreamManager,
    async_stream,
    sync_stream,
)

__all__ = ["AsyncThreads", "Threads"]


class _CreateAndRunPollArgs(ThreadCreateAndRunParamsBase, RequestOptionParams, total=False):
    """What `create_and_run` takes, less `stream`: the helper polls, it does not stream."""


class _CreateAndRunStreamArgs(ThreadCreateAndRunParamsBase, RequestOptionParams, total=False):
    """What `create_and_run` takes, less `stream`: the helper always streams."""


_HELPER = "threads.create_and_run_stream"


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

    @overload
    def create_and_run_stream(
        self, *, event_handler: None = None, **params: Unpack[_CreateAndRunStreamArgs]
    ) -> AssistantStreamManager[AssistantEventHandler]: ...
    @overload
    def create_and_run_stream(
        self, *, event_handler: AssistantEventHandlerT, **params: Unpack[_CreateAndRunStreamArgs]
    ) -> AssistantStreamManager[AssistantEventHandlerT]: ...
    def create_and_run_stream(
        self, *, event_handler: AssistantEventHandler | None = None, **params: Any
    ) -> AssistantStreamManager[Any]:
        """Create a thread, start a run on it, and stream the run: `with ... as handler`."""
        return sync_stream(
            "create_and_run_stream",
            _CREATE_AND_RUN,
            self.create_and_run,
            event_handler,
            params,
            helper=_HELPER,
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

    @overload
    def create_and_run_stream(
        self, *, event_handler: None = None, **params: Unpack[_CreateAndRunStreamArgs]
    ) -> AsyncAssistantStreamManager[AsyncAssistantEventHandler]: ...
    @overload
    def create_and_run_stream(
        self, *, event_handler: AsyncAssistantEventHandlerT, **params: Unpack[_CreateAndRunStreamArgs]
    ) -> AsyncAssistantStreamManager[AsyncAssistantEventHandlerT]: ...
    def create_and_run_stream(
        self, *, event_handler: AsyncAssistantEventHandler | None = None, **params: Any
    ) -> AsyncAssistantStreamManager[Any]:
        """Create a thread, start a run on it, and stream the run: `async with ... as handler`."""
        return async_stream(
            "create_and_run_stream",
            _CREATE_AND_RUN,
            self.create_and_run,
            event_handler,
            params,
            helper=_HELPER,
        )
