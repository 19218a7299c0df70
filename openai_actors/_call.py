"""One caller's request on its way through the dispatcher, and its single outcome.

Invariant: a call is resolved at most once. `resolve` after `resolve`, or
after the caller abandoned it, does nothing, so whichever of "response
arrived", "client closed" and "caller cancelled" happens first decides, and the
caller sees exactly one result or one exception.

    QUEUED ──lane takes it──▶ RUNNING ──response/error──▶ DONE
       ▲                         │
       └──── retry / redirect ───┘
    QUEUED or RUNNING ──caller cancelled──▶ ABANDONED (a running attempt is cancelled)

Everything here runs in the dispatcher's event loop.
"""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING

import anyio

from ._transport import Content, HeaderBlock, Origin, RawResponse, Timeouts, WireRequest

if TYPE_CHECKING:
    from ._keys import KeySource

__all__ = ["Call", "CallState", "Outcome"]

Outcome = RawResponse | Exception


class CallState(enum.IntEnum):
    QUEUED = 0
    RUNNING = 1
    DONE = 2
    ABANDONED = 3


class Call:
    __slots__ = (
        "admitted_at",
        "attempts",
        "auth",
        "content",
        "done",
        "elapsed",
        "follow_redirects",
        "headers",
        "keys",
        "max_retries",
        "method",
        "origin",
        "outcome",
        "reauthenticated",
        "redirects",
        "retries_taken",
        "retry_count_header",
        "scope",
        "started_at",
        "state",
        "target",
        "timeouts",
    )

    def __init__(
        self,
        *,
        method: str,
        origin: Origin,
        target: str,
        headers: HeaderBlock,
        content: Content,
        timeouts: Timeouts,
        max_retries: int,
        keys: KeySource | None,
        retry_count_header: bool = True,
        follow_redirects: bool = True,
    ) -> None:
        self.method = method
        self.origin = origin
        self.target = target
        self.headers = headers
        self.content = content
        self.timeouts = timeouts
        self.max_retries = max_retries
        self.keys = keys
        # Set when the caller supplied its own Authorization header.
        self.auth = keys is not None
        self.retry_count_header = retry_count_header
        self.follow_redirects = follow_redirects
        self.state = CallState.QUEUED
        self.attempts = 0
        self.retries_taken = 0
        self.redirects = 0
        self.reauthenticated = False
        self.outcome: Outcome | None = None
        # Created in the dispatcher's loop: a sync caller's thread has no loop.
        self.done: anyio.Event | None = None
        self.scope: anyio.CancelScope | None = None
        self.admitted_at = 0.0
        self.started_at = 0.0
        self.elapsed = 0.0

    @property
    def replayable(self) -> bool:
        return isinstance(self.content, bytes)

    @property
    def url(self) -> str:
        return f"{self.origin}{self.target}"

    def wire(self, key: str | None) -> WireRequest:
        extra: list[tuple[str, str]] = []
        if key is not None:
            extra.append(("Authorization", f"Bearer {key}"))
        if self.retry_count_header:
            extra.append(("X-Stainless-Retry-Count", str(self.retries_taken)))
        return WireRequest(self.method, self.origin, self.target, self.headers, extra, self.content)

    def resolve(self, outcome: Outcome) -> bool:
        """Deliver the outcome; False if the call already had one or was abandoned."""
        if self.state >= CallState.DONE:
            return False
        self.state = CallState.DONE
        self.outcome = outcome
        self.scope = None
        assert self.done is not None
        self.done.set()
        return True

    def abandon(self) -> None:
        """The caller stopped waiting: withdraw the request, or cancel its attempt."""
        if self.state >= CallState.DONE:
            return
        self.state = CallState.ABANDONED
        if self.scope is not None:
            self.scope.cancel()

    def __repr__(self) -> str:
        # Never the headers: they may hold the key.
        return f"<Call {self.method} {self.url} {self.state.name} attempts={self.attempts}>"
