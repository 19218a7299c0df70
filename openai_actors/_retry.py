"""Retry decisions, sans-IO: what failed and when, in; seconds to wait or "give up", out.

The policy is the official SDK's, so ported code sees the same behaviour:

* retried: connection errors, timeouts, 408, 409, 429 and 5xx, unless the
  server says `x-should-retry: false` (and `x-should-retry: true` retries any status);
* a `retry-after-ms` or `retry-after` (seconds, or an HTTP date) between 0 and
  120 s is waited for exactly; one over 120 s means "not worth retrying";
* otherwise `min(0.5 * 2**retries_taken, 8)` seconds, less 0 to 25 % jitter;
* at most `max_retries` retries, and never when the body cannot be sent again.

The dispatcher owns the clock and the randomness and passes them in, which is
what makes every delay here testable exactly.
"""

from __future__ import annotations

import email.utils
import math
from collections.abc import Mapping
from typing import Final

__all__ = ["backoff", "parse_retry_after", "retry_delay", "status_is_retryable"]

INITIAL_RETRY_DELAY: Final = 0.5
MAX_RETRY_DELAY: Final = 8.0
MAX_RETRY_AFTER: Final = 120.0
_RETRYABLE_STATUSES: Final = frozenset({408, 409, 429})


def parse_retry_after(headers: Mapping[str, str], now: float) -> float | None:
    """Seconds the server asked us to wait, or None if it did not say (or said garbage).

    `headers` has lower-case names; `now` is wall-clock time, for HTTP dates.
    An overflowing number counts as "too long" (infinity), not as garbage.
    """
    for name, divisor in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        value = headers.get(name)
        if value is None:
            continue
        try:
            delay = float(value)
        except ValueError:
            continue
        if math.isnan(delay):
            continue
        return delay / divisor
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        parsed = email.utils.parsedate_tz(value)
        if parsed is None:
            return None
        return float(email.utils.mktime_tz(parsed)) - now
    except (TypeError, ValueError, OverflowError):
        return None


def status_is_retryable(status: int, headers: Mapping[str, str], now: float) -> bool:
    retry_after = parse_retry_after(headers, now)
    if retry_after is not None and retry_after > MAX_RETRY_AFTER:
        return False
    should_retry = headers.get("x-should-retry")
    if should_retry == "true":
        return True
    if should_retry == "false":
        return False
    return status in _RETRYABLE_STATUSES or status >= 500


def backoff(retries_taken: int, rand: float) -> float:
    """Exponential backoff for the retry after `retries_taken` earlier ones; `rand` in [0, 1)."""
    base = min(INITIAL_RETRY_DELAY * 2.0 ** min(retries_taken, 1000), MAX_RETRY_DELAY)
    return max(base * (1.0 - 0.25 * rand), 0.0)


def retry_delay(
    *,
    retries_taken: int,
    max_retries: int,
    status: int | None,
    headers: Mapping[str, str] | None,
    replayable: bool,
    now: float,
    rand: float,
) -> float | None:
    """Seconds to wait before the next attempt, or None to give up.

    `status` is None when no response arrived (connection error or timeout).
    """
    if retries_taken >= max_retries or not replayable:
        return None
    if status is not None and not status_is_retryable(status, headers or {}, now):
        return None
    if headers:
        retry_after = parse_retry_after(headers, now)
        if retry_after is not None and 0 < retry_after <= MAX_RETRY_AFTER:
            return retry_after
    return backoff(retries_taken, rand)
