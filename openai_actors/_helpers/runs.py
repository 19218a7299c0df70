"""`client.beta.threads.runs` with its hand-written helpers: polling, and streaming through an event handler."""

from __future__ import annotations

import functools
import warnings
from typing import TYPE_CHECKING, Any, Unpack, overload

from .._resources._base import RequestOptionParams
from .._types import Body, Headers, NotGiven, Omit, Query, not_given, omit
from ..resources.beta.threads.runs.runs import _CREATE, _SUBMIT_TOOL_OUTPUTS
from ..resources.beta.threads.runs.runs import AsyncRuns as _AsyncRuns
from ..resources.beta.threads.runs.runs import Runs as _Runs
from ..types.beta.threads.run import Run
from ..types.beta.threads.run_create_params import RunCreateParamsBase
from ..types.beta.threads.run_submit_tool_outputs_params import RunSubmitToolOutputsParamsBase
from ._polling import apoll, poll, poll_headers
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

if TYPE_CHECKING:
    import httpx

__all__ = ["AsyncRuns", "Runs"]

# A run in one of these states waits for the caller (requires_action) or is over.
TERMINAL_STATES = frozenset({"requires_action", "cancelled", "completed", "failed", "expired", "incomplete"})


class _CreateAndPollArgs(RunCreateParamsBase, RequestOptionParams, total=False):
    """What `create` takes, less `stream`: the helper polls, it does not stream."""


class _SubmitToolOutputsAndPollArgs(RunSubmitToolOutputsParamsBase, RequestOptionParams, total=False):
    """What `submit_tool_outputs` takes (thread_id and tool_outputs with it), less `stream`."""


class _StreamArgs(RunCreateParamsBase, RequestOptionParams, total=False):
    """What `create` takes, less `stream`: the helper always streams."""


class _SubmitToolOutputsStreamArgs(RunSubmitToolOutputsParamsBase, RequestOptionParams, total=False):
    """What `submit_tool_outputs` takes (thread_id and tool_outputs with it), less `stream`."""


# The header naming the helper, as the official SDK sends it (`stream` and `create_and_stream` share one).
_CREATE_HELPER = "threads.runs.create_and_stream"
_SUBMIT_HELPER = "threads.runs.submit_tool_outputs_stream"
_DEPRECATED = "`create_and_stream` is deprecated: use `stream`, which takes the same arguments"


def _settled(run: Run) -> bool:
    return run.status in TERMINAL_STATES


class Runs(_Runs):
    def create_and_poll(
        self,
        *,
        thread_id: str,
        poll_interval_ms: int | Omit = omit,
        **params: Unpack[_CreateAndPollArgs],
    ) -> Run:
        """Create a run and wait for it to reach a terminal state (requires_action included)."""
        run = self.create(thread_id, **params, stream=False)
        return self.poll(
            run.id,
            thread_id,
            extra_headers=params.get("extra_headers"),
            extra_query=params.get("extra_query"),
            extra_body=params.get("extra_body"),
            timeout=params.get("timeout", not_given),
            poll_interval_ms=poll_interval_ms,
        )

    def poll(
        self,
        run_id: str,
        thread_id: str,
        extra_headers: Headers | None = None,
        extra_query: Query | None = None,
        extra_body: Body | None = None,
        timeout: float | httpx.Timeout | NotGiven | None = not_given,
        poll_interval_ms: int | Omit = omit,
    ) -> Run:
        """Wait for the run to reach a terminal state (requires_action included)."""
        fetch = functools.partial(
            self.with_raw_response.retrieve,
            run_id,
            thread_id=thread_id,
            extra_headers=poll_headers(poll_interval_ms, extra_headers),
            extra_query=extra_query,
            extra_body=extra_body,
            timeout=timeout,
        )
        return poll(fetch, _settled, poll_interval_ms)

    def submit_tool_outputs_and_poll(
        self,
        *,
        run_id: str,
        poll_interval_ms: int | Omit = omit,
        **params: Unpack[_SubmitToolOutputsAndPollArgs],
    ) -> Run:
        """Submit tool outputs to a run and wait for it to reach a terminal state again."""
        run = self.submit_tool_outputs(run_id, **params, stream=False)
        return self.poll(
            run.id,
            params["thread_id"],
            extra_headers=params.get("extra_headers"),
            extra_query=params.get("extra_query"),
            extra_body=params.get("extra_body"),
            timeout=params.get("timeout", not_given),
            poll_interval_ms=poll_interval_ms,
        )

    @overload
    def stream(
        self, *, thread_id: str, event_handler: None = None, **params: Unpack[_StreamArgs]
    ) -> AssistantStreamManager[AssistantEventHandler]: ...
    @overload
    def stream(
        self, *, thread_id: str, event_handler: AssistantEventHandlerT, **params: Unpack[_StreamArgs]
    ) -> AssistantStreamManager[AssistantEventHandlerT]: ...
    def stream(
        self, *, thread_id: str, event_handler: AssistantEventHandler | None = None, **params: Any
    ) -> AssistantStreamManager[Any]:
        """Start a run and stream it: `with ... as handler`, then read the handler (or let its callbacks run)."""
        return self._stream_run("stream", thread_id, event_handler, params)

    @overload
    def create_and_stream(
        self, *, thread_id: str, event_handler: None = None, **params: Unpack[_StreamArgs]
    ) -> AssistantStreamManager[AssistantEventHandler]: ...
    @overload
    def create_and_stream(
        self, *, thread_id: str, event_handler: AssistantEventHandlerT, **params: Unpack[_StreamArgs]
    ) -> AssistantStreamManager[AssistantEventHandlerT]: ...
    def create_and_stream(
        self, *, thread_id: str, event_handler: AssistantEventHandler | None = None, **params: Any
    ) -> AssistantStreamManager[Any]:
        """Deprecated: `stream`, under its older name."""
        warnings.warn(_DEPRECATED, DeprecationWarning, stacklevel=2)
        return self._stream_run("create_and_stream", thread_id, event_handler, params)

    def _stream_run(
        self, name: str, thread_id: str, handler: AssistantEventHandler | None, params: dict[str, Any]
    ) -> AssistantStreamManager[Any]:
        path = (("thread_id", thread_id),)
        return sync_stream(name, _CREATE, self.create, handler, params, helper=_CREATE_HELPER, path=path)

    @overload
    def submit_tool_outputs_stream(
        self,
        *,
        run_id: str,
        event_handler: None = None,
        **params: Unpack[_SubmitToolOutputsStreamArgs],
    ) -> AssistantStreamManager[AssistantEventHandler]: ...
    @overload
    def submit_tool_outputs_stream(
        self,
        *,
        run_id: str,
        event_handler: AssistantEventHandlerT,
        **params: Unpack[_SubmitToolOutputsStreamArgs],
    ) -> AssistantStreamManager[AssistantEventHandlerT]: ...
    def submit_tool_outputs_stream(
        self, *, run_id: str, event_handler: AssistantEventHandler | None = None, **params: Any
    ) -> AssistantStreamManager[Any]:
        """Submit tool outputs to a run that requires action, and stream the rest of the run."""
        return sync_stream(
            "submit_tool_outputs_stream",
            _SUBMIT_TOOL_OUTPUTS,
            self.submit_tool_outputs,
            event_handler,
            params,
            helper=_SUBMIT_HELPER,
            path=(("run_id", run_id),),
        )


class AsyncRuns(_AsyncRuns):
    async def create_and_poll(
        self,
        *,
        thread_id: str,
        poll_interval_ms: int | Omit = omit,
        **params: Unpack[_CreateAndPollArgs],
    ) -> Run:
        """Create a run and wait for it to reach a terminal state (requires_action included)."""
        run = await self.create(thread_id, **params, stream=False)
        return await self.poll(
            run.id,
            thread_id,
            extra_headers=params.get("extra_headers"),
            extra_query=params.get("extra_query"),
            extra_body=params.get("extra_body"),
            timeout=params.get("timeout", not_given),
            poll_interval_ms=poll_interval_ms,
        )

    async def poll(
        self,
        run_id: str,
        thread_id: str,
        extra_headers: Headers | None = None,
        extra_query: Query | None = None,
        extra_body: Body | None = None,
        timeout: float | httpx.Timeout | NotGiven | None = not_given,  # noqa: ASYNC109 - the per-request option, passed on
        poll_interval_ms: int | Omit = omit,
    ) -> Run:
        """Wait for the run to reach a terminal state (requires_action included)."""
        fetch = functools.partial(
            self.with_raw_response.retrieve,
            run_id,
            thread_id=thread_id,
            extra_headers=poll_headers(poll_interval_ms, extra_headers),
            extra_query=extra_query,
            extra_body=extra_body,
            timeout=timeout,
        )
        return await apoll(fetch, _settled, poll_interval_ms)

    async def submit_tool_outputs_and_poll(
        self,
        *,
        run_id: str,
        poll_interval_ms: int | Omit = omit,
        **params: Unpack[_SubmitToolOutputsAndPollArgs],
    ) -> Run:
        """Submit tool outputs to a run and wait for it to reach a terminal state again."""
        run = await self.submit_tool_outputs(run_id, **params, stream=False)
        return await self.poll(
            run.id,
            params["thread_id"],
            extra_headers=params.get("extra_headers"),
            extra_query=params.get("extra_query"),
            extra_body=params.get("extra_body"),
            timeout=params.get("timeout", not_given),
            poll_interval_ms=poll_interval_ms,
        )

    @overload
    def stream(
        self, *, thread_id: str, event_handler: None = None, **params: Unpack[_StreamArgs]
    ) -> AsyncAssistantStreamManager[AsyncAssistantEventHandler]: ...
    @overload
    def stream(
        self, *, thread_id: str, event_handler: AsyncAssistantEventHandlerT, **params: Unpack[_StreamArgs]
    ) -> AsyncAssistantStreamManager[AsyncAssistantEventHandlerT]: ...
    def stream(
        self, *, thread_id: str, event_handler: AsyncAssistantEventHandler | None = None, **params: Any
    ) -> AsyncAssistantStreamManager[Any]:
        """Start a run and stream it: `async with ... as handler`, then read the handler (or let its callbacks run)."""
        return self._stream_run("stream", thread_id, event_handler, params)

    @overload
    def create_and_stream(
        self, *, thread_id: str, event_handler: None = None, **params: Unpack[_StreamArgs]
    ) -> AsyncAssistantStreamManager[AsyncAssistantEventHandler]: ...
    @overload
    def create_and_stream(
        self, *, thread_id: str, event_handler: AsyncAssistantEventHandlerT, **params: Unpack[_StreamArgs]
    ) -> AsyncAssistantStreamManager[AsyncAssistantEventHandlerT]: ...
    def create_and_stream(
        self, *, thread_id: str, event_handler: AsyncAssistantEventHandler | None = None, **params: Any
    ) -> AsyncAssistantStreamManager[Any]:
        """Deprecated: `stream`, under its older name."""
        warnings.warn(_DEPRECATED, DeprecationWarning, stacklevel=2)
        return self._stream_run("create_and_stream", thread_id, event_handler, params)

    def _stream_run(
        self, name: str, thread_id: str, handler: AsyncAssistantEventHandler | None, params: dict[str, Any]
    ) -> AsyncAssistantStreamManager[Any]:
        path = (("thread_id", thread_id),)
        return async_stream(name, _CREATE, self.create, handler, params, helper=_CREATE_HELPER, path=path)

    @overload
    def submit_tool_outputs_stream(
        self,
        *,
        run_id: str,
        event_handler: None = None,
        **params: Unpack[_SubmitToolOutputsStreamArgs],
    ) -> AsyncAssistantStreamManager[AsyncAssistantEventHandler]: ...
    @overload
    def submit_tool_outputs_stream(
        self,
        *,
        run_id: str,
        event_handler: AsyncAssistantEventHandlerT,
        **params: Unpack[_SubmitToolOutputsStreamArgs],
    ) -> AsyncAssistantStreamManager[AsyncAssistantEventHandlerT]: ...
    def submit_tool_outputs_stream(
        self, *, run_id: str, event_handler: AsyncAssistantEventHandler | None = None, **params: Any
    ) -> AsyncAssistantStreamManager[Any]:
        """Submit tool outputs to a run that requires action, and stream the rest of the run."""
        return async_stream(
            "submit_tool_outputs_stream",
            _SUBMIT_TOOL_OUTPUTS,
            self.submit_tool_outputs,
            event_handler,
            params,
            helper=_SUBMIT_HELPER,
            path=(("run_id", run_id),),
        )
