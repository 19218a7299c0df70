"""The rate-control option (`RateLimit`) and the snapshot `client.stats()` returns (`Stats`)."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ._pacing import DEFAULT_WINDOW, Limit

if TYPE_CHECKING:
    from ._shared import SharedLimits

__all__ = ["Counters", "RateLimit", "Stats"]


def _positive(name: str, value: object, *, integer: bool = False) -> None:
    if value is None:
        return
    kinds = (int,) if integer else (int, float)
    if isinstance(value, bool) or not isinstance(value, kinds):
        kind = "an int" if integer else "a number"
        raise TypeError(f"RateLimit.{name} must be {kind} or None, not {type(value).__name__}")
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"RateLimit.{name} must be more than zero, not {value!r}")


@dataclass(frozen=True, slots=True)
class RateLimit:
    """How fast the client may send; every field is optional.

    - `requests_per_minute` / `tokens_per_minute`: paced evenly over the
      minute, never exceeded in any `window` seconds (tokens: by at most one
      request's estimate). Tokens are estimated before sending and corrected
      from the response's usage.
    - `max_in_flight`: requests sent and not yet answered, at most.
    - `learn`: adopt the limits the server advertises in `x-ratelimit-*`
      headers where none is configured, and slow down when the server says
      the budget is spent elsewhere (configured limits are never exceeded).
    - `window`: the length of the "minute", for servers (and tests) that count
      over another period.
    - `token_counter`: counts a prompt's tokens (e.g. a tiktoken encoding's
      `lambda s: len(enc.encode(s))`); by default, characters / 4.
    - `shared`: a `SharedLimits` (a Redis server and a key): these limits are
      then shared with every process naming the same, as are the limits
      learned from the server and a 429's pause.

    `AsyncOpenAI()` without `rate_limit` uses `RateLimit()`: nothing configured,
    server limits learned. `rate_limit=None` turns pacing off entirely.
    """

    requests_per_minute: float | None = None
    tokens_per_minute: float | None = None
    max_in_flight: int | None = None
    learn: bool = True
    window: float = DEFAULT_WINDOW
    token_counter: Callable[[str], int] | None = None
    shared: SharedLimits | None = None

    def __post_init__(self) -> None:
        _positive("requests_per_minute", self.requests_per_minute)
        _positive("tokens_per_minute", self.tokens_per_minute)
        _positive("max_in_flight", self.max_in_flight, integer=True)
        _positive("window", self.window)
        if self.token_counter is not None and not callable(self.token_counter):
            raise TypeError("RateLimit.token_counter must be a callable taking a str and returning an int")
        if self.shared is not None:
            from ._shared import SharedLimits

            if not isinstance(self.shared, SharedLimits):
                raise TypeError(
                    f"RateLimit.shared must be an openai_actors.SharedLimits or None, not {type(self.shared).__name__}"
                )


@dataclass(frozen=True, slots=True)
class Stats:
    """A snapshot of what the client's dispatcher is doing and has done."""

    submitted: int
    """Requests callers have submitted."""
    waiting: int
    """Requests waiting to be admitted (for the rate limits or `max_in_flight`)."""
    in_flight: int
    """Admitted and not yet answered (streams: until their body ends)."""
    completed: int
    """Answered with success."""
    failed: int
    """Ended with an error, after any retries."""
    retries_scheduled: int
    rate_limited: int
    """429 responses seen."""
    tokens_reserved: int
    """Estimated tokens of the requests in flight."""
    tokens_used: int
    """Tokens the server reported as used (`usage.total_tokens`)."""
    requests_per_minute: Limit
    tokens_per_minute: Limit
    max_in_flight: int | None
    paused_for: float = 0.0
    """Seconds until requests are admitted again, whatever the rates: a 429's pause, or the
    server saying (`x-ratelimit-remaining-*: 0`) that a limit is spent until its reset; 0.0 when neither."""
    pause_cause: str | None = None
    """Why: the 429 and where its wait came from, or which budget the server says is spent; None when no pause."""


class Counters:
    """The dispatcher's running totals; kept by the client so they outlive one event loop."""

    __slots__ = (
        "completed",
        "failed",
        "in_flight",
        "rate_limited",
        "retries_scheduled",
        "submitted",
        "tokens_reserved",
        "tokens_used",
    )

    def __init__(self) -> None:
        self.submitted = 0
        self.completed = 0
        self.failed = 0
        self.in_flight = 0
        self.retries_scheduled = 0
        self.rate_limited = 0
        self.tokens_reserved = 0
        self.tokens_used = 0
