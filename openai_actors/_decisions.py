"""What happens to a call after an attempt, sans-IO: the call, the answer and the clock in; a decision out.

Theory of operation
-------------------
An attempt ends with a response head (status and headers) or with a transport
error. What follows is decided here, from those, the call's own state (how
many retries it has taken, whether its body can be sent again, whether it has
already re-authenticated or been redirected) and the clock and randomness the
dispatcher passes in:

    Finish          deliver the outcome to the caller as it is
    Fail            deliver a transport error instead, saying why (a redirect that cannot be followed)
    Retry           send again after `delay` seconds, through the retry schedule
    Reauthenticate  fetch a fresh key and send again at once (a 401 with a key that can be refreshed)
    FollowRedirect  send to where the server points, through admission again

A 429 also asks a second question, answered by `pause_after_429`: should
every caller stop for a while? Yes when the server names a wait within the
retry horizon (`MAX_RETRY_AFTER`): the others would only collect 429s
meanwhile. No when it names a longer one: the server is refusing that
request, and the client would not wait that long to retry it either, so
pausing everyone would only look like a hang.

Nothing here mutates the call or performs I/O: the dispatcher applies the
decision. That is what lets these rules be tested exactly, without sockets or
sleeps (tests/test_decisions.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final, Protocol

from ._pacing import read_server_limits
from ._redirect import MAX_REDIRECTS, Redirect, RedirectError, follow
from ._retry import MAX_RETRY_AFTER, backoff, parse_retry_after, retry_delay
from ._transport import Origin, TransportError, TransportTimeout

__all__ = [
    "FINISH",
    "Decision",
    "Fail",
    "Finish",
    "FollowRedirect",
    "Pause",
    "Reauthenticate",
    "Retry",
    "after_error",
    "after_response",
    "pause_after_429",
]


class Attempted(Protocol):
    """What the decisions read of a call (a `Call` is one)."""

    @property
    def method(self) -> str: ...
    @property
    def origin(self) -> Origin: ...
    @property
    def target(self) -> str: ...
    @property
    def retries_taken(self) -> int: ...
    @property
    def max_retries(self) -> int: ...
    @property
    def replayable(self) -> bool: ...
    @property
    def reauthenticated(self) -> bool: ...
    @property
    def follow_redirects(self) -> bool: ...
    @property
    def redirects(self) -> int: ...


@dataclass(frozen=True, slots=True)
class Finish:
    """Deliver the outcome to the caller as it is."""


@dataclass(frozen=True, slots=True)
class Fail:
    """Deliver a transport error with this message instead of the response."""

    message: str


@dataclass(frozen=True, slots=True)
class Retry:
    """Send again after `delay` seconds; `reason` is for the log."""

    delay: float
    reason: str


@dataclass(frozen=True, slots=True)
class Reauthenticate:
    """The key was refused and can be refreshed: fetch a new one and send again now (not a retry)."""


@dataclass(frozen=True, slots=True)
class FollowRedirect:
    redirect: Redirect


Decision = Finish | Fail | Retry | Reauthenticate | FollowRedirect

FINISH: Final = Finish()
REAUTHENTICATE: Final = Reauthenticate()


@dataclass(frozen=True, slots=True)
class Pause:
    """Admit nothing for `seconds`, for every caller; `cause` says why, for the log and `stats()`."""

    seconds: float
    cause: str


def after_response(
    call: Attempted,
    status: int,
    headers: Mapping[str, str],
    *,
    key_refreshable: bool,
    follow_redirects: bool,
    now: float,
    rand: float,
) -> Decision:
    """What follows a response head.

    `key_refreshable`: a key was sent and its source can give another (a
    callable key). `follow_redirects`: the dispatcher follows redirects (the
    transport leaves them to it). `now`: wall-clock time, for HTTP dates in
    `retry-after`; `rand` in [0, 1), for the jitter.
    """
    if status < 300:
        return FINISH
    if status == 401 and key_refreshable and not call.reauthenticated and call.replayable:
        return REAUTHENTICATE
    if status < 400:
        if not (follow_redirects and call.follow_redirects):
            return FINISH
        return _redirect(call, status, headers.get("location"))
    delay = retry_delay(
        retries_taken=call.retries_taken,
        max_retries=call.max_retries,
        status=status,
        headers=headers,
        replayable=call.replayable,
        now=now,
        rand=rand,
    )
    return FINISH if delay is None else Retry(delay, f"status {status}")


def after_error(call: Attempted, error: Exception, *, now: float, rand: float) -> Decision:
    """What follows an attempt that got no response: transport failures are retried, nothing else is.

    A pool timeout is not retried: the request never left, and waiting longer
    for a connection is what the caller's timeout said not to do.
    """
    if not isinstance(error, TransportError):
        return FINISH
    if isinstance(error, TransportTimeout) and error.phase == "pool":
        return FINISH
    delay = retry_delay(
        retries_taken=call.retries_taken,
        max_retries=call.max_retries,
        status=None,
        headers=None,
        replayable=call.replayable,
        now=now,
        rand=rand,
    )
    return FINISH if delay is None else Retry(delay, str(error))


def _redirect(call: Attempted, status: int, location: str | None) -> Decision:
    try:
        redirect = follow(call.method, call.origin, call.target, status, location)
    except RedirectError as exc:
        return Fail(str(exc))
    if redirect is None:
        return FINISH
    if call.redirects >= MAX_REDIRECTS:
        return Fail(f"more than {MAX_REDIRECTS} redirects")
    if redirect.keep_body and not call.replayable:
        return Fail(
            f"the server redirected ({status}) a request whose body was streamed and cannot be sent again"
        )
    return FollowRedirect(redirect)


def pause_after_429(headers: Mapping[str, str], *, now: float) -> Pause | None:
    """How long a 429 stops admissions for everyone, or None for no pause.

    The wait is the server's `retry-after(-ms)` (when it names a time already
    past, the first backoff step); without one, the longest
    `x-ratelimit-reset-*` it names; without either, the first backoff step.
    A wait beyond the retry horizon is a refusal of that one request, not a
    pause for all (see the module docstring). `now` is wall-clock time.
    """
    asked = parse_retry_after(headers, now)
    if asked is not None and asked > 0:
        seconds, cause = asked, "retry-after"
    elif asked is not None:  # "0", a negative number, a date gone by: as if now, so one backoff step
        seconds, cause = backoff(0, 0.0), "retry-after already passed"
    else:
        limits = read_server_limits(headers)
        resets = [] if limits is None else [r for r in (limits.reset_requests, limits.reset_tokens) if r]
        if resets:
            seconds, cause = max(resets), "x-ratelimit-reset"
        else:
            seconds, cause = backoff(0, 0.0), "no wait named"
    if seconds > MAX_RETRY_AFTER:
        return None
    return Pause(seconds, f"429 ({cause})")
