"""`client.beta.threads.runs` with its hand-written helpers.

The `*_stream` helpers are not here yet: they need the Assistants event handler.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Unpack

from .._resources._base import RequestOptionParams
from .._types import Body, Headers, NotGiven, Omit, Query, not_given, omit
from ..resources.beta.threads.runs.runs import AsyncRuns as _AsyncRuns
from ..resources.beta.threads.runs.runs import Runs as _Runs
from ..types.beta.threads.run import Run
from ..types.beta.threads.run_create_params import RunCreateParamsBase
from ..types.beta.threads.run_submit_tool_outputs_params import RunSubmitToolOutputsParamsBase
from ._polling import apoll, poll, poll_headers

if TYPE_CHECKING:
    import httpx

__all__ = ["AsyncRuns", "Runs"]

# A run in one of these states waits for the caller (requires_action) or is over.
TERMINAL_STATES = frozenset({"requires_action", "cancelled", "completed", "failed", "expired", "incomplete"})


class _CreateAndPollArgs(RunCreateParamsBase, RequestOptionParams, total=False):
    """What `create` takes, less `stream`: the helper polls, it does not stream."""


class _SubmitToolOutputsAndPollArgs(RunSubmitToolOutputsParamsBase, RequestOptionParams, total=False):
    """What `submit_tool_outputs` takes (thread_id and tool_outputs with it), less `stream`."""


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
