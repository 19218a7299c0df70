"""Rate limits enforced the way OpenAI enforces them, or the way fixed-window gateways do.

In the "continuous" mode (OpenAI's) each limit (requests, tokens) is a bucket
of capacity ``limit`` that starts full and refills continuously at
``limit / window`` per second; ``x-ratelimit-reset-*`` is the time until it
is full again. In the "fixed" mode each limit is a count of ``limit`` per
window of ``window`` seconds, windows following one another from when the
limit was set: what is used stays used until the window ends, when the whole
limit is back at once; ``x-ratelimit-reset-*`` (and a refusal's retry-after)
is the time until the window ends, however much is left.

Either way, a request to a rate-limited endpoint is charged 1 request and its
token estimate (:func:`estimate_tokens`) on arrival, or answered 429 without
being charged; when its reply reports usage, the token count is corrected to
it. Every reply carries OpenAI's ``x-ratelimit-*`` headers.

:class:`Limiter` is used by the loop thread (admit, refund) and by any thread
(configure, levels), under one lock.
"""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Mapping
from time import monotonic
from typing import Any, Final, Literal, TypeGuard, get_args

from ._common import error_body

__all__ = [
    "DEFAULT_COMPLETION_TOKENS",
    "MODES",
    "RATE_LIMITED",
    "Admission",
    "Limiter",
    "Mode",
    "estimate_tokens",
    "format_duration",
]

CHAT: Final = "/v1/chat/completions"
COMPLETIONS: Final = "/v1/completions"
RESPONSES: Final = "/v1/responses"
EMBEDDINGS: Final = "/v1/embeddings"
MODERATIONS: Final = "/v1/moderations"
# The paths whose POST is rate limited (models, files and batches are not).
RATE_LIMITED: Final = frozenset((CHAT, COMPLETIONS, RESPONSES, EMBEDDINGS, MODERATIONS))
DEFAULT_COMPLETION_TOKENS: Final = 256
Mode = Literal["continuous", "fixed"]
MODES: Final[tuple[Mode, ...]] = get_args(Mode)
_ALLOWANCE_FIELDS: Final = ("max_completion_tokens", "max_tokens", "max_output_tokens")
# Float slack when comparing bucket levels, so that 0.9999999999 counts as 1.
_EPSILON: Final = 1e-9
_ORGANIZATION: Final = "org-mock"
_MORE: Final = " Visit https://platform.openai.com/account/rate-limits to learn more."


# --- the estimate -----------------------------------------------------------


def estimate_tokens(path: str, payload: Mapping[str, Any]) -> int:
    """The tokens a request to ``path`` (e.g. "/v1/chat/completions") is charged on arrival.

    ``ceil(chars / 4) + ids + allowance``, at least 0, where:

    - ``chars`` is the total length, in Python characters, of the request's text:
      chat: each message's ``content`` when a string, else the ``text`` of each
      content part that has a string ``text``; responses: ``instructions``, plus
      ``input`` when a string, else each input item's ``content`` (a string, or
      the ``text`` of its parts); completions: each string of ``prompt`` (a
      string or an array); embeddings and moderations: each string of ``input``
      (a string or an array), and the ``text`` of each part that has one.
    - ``ids`` is, for embeddings only, the number of token ids in ``input`` given
      as token arrays: one token per id, not divided by 4.
    - ``allowance`` is, for chat, completions and responses only, the first of
      ``max_completion_tokens``, ``max_tokens``, ``max_output_tokens`` that is an
      integer, else 256; times ``n`` when ``n`` is an integer (chat and
      completions).

    Other fields and values of other types count nothing.
    """
    chars = ids = allowance = 0
    if path == CHAT:
        messages = payload.get("messages")
        if isinstance(messages, list):
            chars = sum(
                _content_chars(message.get("content")) for message in messages if isinstance(message, dict)
            )
        allowance = _allowance(payload, per_choice=True)
    elif path == RESPONSES:
        instructions = payload.get("instructions")
        chars = len(instructions) if isinstance(instructions, str) else 0
        items = payload.get("input")
        if isinstance(items, str):
            chars += len(items)
        elif isinstance(items, list):
            chars += sum(_content_chars(item.get("content")) for item in items if isinstance(item, dict))
        allowance = _allowance(payload, per_choice=False)
    elif path == COMPLETIONS:
        chars = _input_chars(payload.get("prompt"))
        allowance = _allowance(payload, per_choice=True)
    elif path == EMBEDDINGS:
        value = payload.get("input")
        chars = _input_chars(value)
        if isinstance(value, list):
            ids = sum(1 if _is_int(item) else len(item) if isinstance(item, list) else 0 for item in value)
    elif path == MODERATIONS:
        chars = _input_chars(payload.get("input"))
    return max(0, -(-chars // 4) + ids + allowance)


def _content_chars(content: Any) -> int:
    """A string's length, or the total length of the ``text`` of an array's parts."""
    if isinstance(content, str):
        return len(content)
    if isinstance(content, list):
        return sum(
            len(part["text"])
            for part in content
            if isinstance(part, dict) and isinstance(part.get("text"), str)
        )
    return 0


def _input_chars(value: Any) -> int:
    """A string's length, or the total length of an array's strings and parts' ``text``."""
    if isinstance(value, str):
        return len(value)
    if isinstance(value, list):
        return sum(len(item) for item in value if isinstance(item, str)) + _content_chars(value)
    return 0


def _allowance(payload: Mapping[str, Any], *, per_choice: bool) -> int:
    allowance = DEFAULT_COMPLETION_TOKENS
    for name in _ALLOWANCE_FIELDS:
        value = payload.get(name)
        if _is_int(value):
            allowance = value
            break
    choices = payload.get("n")
    if per_choice and _is_int(choices):
        allowance *= choices
    return allowance


def _is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


# --- durations --------------------------------------------------------------


def _ceil_ms(seconds: float) -> int:
    # Less a nanosecond first, so that float noise (12.000000000000002 s) does
    # not round up to a whole extra millisecond.
    ms = math.ceil(seconds * 1000.0 - 1e-6)
    return ms if ms > 0 else 0


def format_duration(seconds: float) -> str:
    """``seconds`` rounded up to a millisecond, written as Go (and so OpenAI) writes
    durations: "0s", "20ms", "1s", "1.25s", "6m0s", "1m30.5s", "1h0m0s"."""
    ms = _ceil_ms(seconds)
    if ms < 1000:
        return f"{ms}ms" if ms else "0s"
    if ms < 60_000:
        return _seconds(ms) + "s"
    hours, rest = divmod(ms, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    if hours:
        return f"{hours}h{minutes}m{_seconds(rest)}s"
    return f"{minutes}m{_seconds(rest)}s"


def _seconds(ms: int) -> str:
    """Milliseconds as seconds, with up to 3 decimals: "30", "30.5", "30.125"."""
    whole, fraction = divmod(ms, 1000)
    return f"{whole}.{fraction:03d}".rstrip("0") if fraction else str(whole)


# --- buckets ----------------------------------------------------------------


class _Bucket:
    """``level`` out of ``limit``, refilled at ``rate`` per second up to ``limit``.

    A usage correction may leave ``level`` below 0 (a debt), never above ``limit``.
    """

    __slots__ = ("level", "limit", "rate", "stamp")

    def __init__(self, limit: int, window: float, now: float, used: float = 0.0) -> None:
        self.limit = limit
        self.rate = limit / window
        self.level = limit - used
        self.stamp = now

    def refill(self, now: float) -> float:
        level = self.level + (now - self.stamp) * self.rate
        self.level = level if level < self.limit else float(self.limit)
        self.stamp = now
        return self.level

    def remaining(self) -> int:
        return max(0, math.floor(self.level + _EPSILON))

    def reset(self) -> float:
        """Seconds until the bucket is full."""
        return (self.limit - self.level) / self.rate

    def wait(self, amount: float) -> float:
        """Seconds until the bucket holds ``amount``."""
        return max(0.0, (amount - self.level) / self.rate)


class _Window:
    """``level`` out of ``limit`` in a fixed window of ``window`` seconds; the whole ``limit``
    again when it ends. Windows follow one another from ``start``.

    A usage correction may leave ``level`` below 0 (a debt) until the window ends.
    """

    __slots__ = ("level", "limit", "stamp", "start", "window")

    def __init__(self, limit: int, window: float, now: float, used: float = 0.0) -> None:
        self.limit = limit
        self.window = window
        self.level = limit - used
        self.start = now
        self.stamp = now

    def refill(self, now: float) -> float:
        ended = math.floor((now - self.start) / self.window)
        if ended > 0:
            self.start += ended * self.window
            self.level = float(self.limit)
        self.stamp = now
        return self.level

    def remaining(self) -> int:
        return max(0, math.floor(self.level + _EPSILON))

    def reset(self) -> float:
        """Seconds until the window ends."""
        return self.start + self.window - self.stamp

    def wait(self, amount: float) -> float:
        """Seconds until the count holds ``amount``: now, or when the window ends."""
        return 0.0 if self.level + _EPSILON >= amount else self.reset()


_Count = _Bucket | _Window


def _count(mode: Mode, limit: int, window: float, now: float, used: float = 0.0) -> _Count:
    kind = _Window if mode == "fixed" else _Bucket
    return kind(limit, window, now, used)


def _reconfigure(
    count: _Count | None, limit: int | None, window: float, mode: Mode, now: float
) -> _Count | None:
    """The count under a new limit, window and mode: a new limit starts full, a changed
    one keeps what was used."""
    if limit is None:
        return None
    if count is None:
        return _count(mode, limit, window, now)
    return _count(mode, limit, window, now, used=count.limit - count.refill(now))


class Admission:
    """The verdict on one request: the ``headers`` its reply carries; ``rejection``,
    the 429 body, when it was refused; else ``tokens``, its charged estimate
    (None without a token limit), and, once known, the ``usage`` (total tokens)
    its reply reports."""

    __slots__ = ("headers", "limiter", "rejection", "tokens", "usage")

    def __init__(
        self, limiter: Limiter, headers: dict[str, str], tokens: int | None, rejection: bytes | None
    ) -> None:
        self.limiter = limiter
        self.headers = headers
        self.tokens = tokens
        self.rejection = rejection
        self.usage: int | None = None

    def settle(self) -> None:
        """Correct the token bucket to the reply's actual usage: refund the estimate
        less the usage (nothing when either is unknown)."""
        if self.tokens is not None and self.usage is not None:
            self.limiter.refund(self.tokens - self.usage)


class Limiter:
    """The request and token counts of one server (each None when that limit is not set)."""

    def __init__(
        self, requests: int | None, tokens: int | None, window: float, mode: Mode = "continuous"
    ) -> None:
        self._lock = threading.Lock()
        self.window = window
        self.mode = mode
        now = monotonic()
        self.requests = None if requests is None else _count(mode, requests, window, now)
        self.tokens = None if tokens is None else _count(mode, tokens, window, now)

    def configure(self, requests: int | None, tokens: int | None, window: float, mode: Mode) -> None:
        with self._lock:
            now = monotonic()
            self.requests = _reconfigure(self.requests, requests, window, mode, now)
            self.tokens = _reconfigure(self.tokens, tokens, window, mode, now)
            self.window = window
            self.mode = mode

    def levels(self) -> dict[str, float | None]:
        """Both buckets' levels now (None for a limit that is not set)."""
        with self._lock:
            now = monotonic()
            return {
                "requests": None if self.requests is None else self.requests.refill(now),
                "tokens": None if self.tokens is None else self.tokens.refill(now),
            }

    def refund(self, amount: int) -> None:
        with self._lock:
            tokens = self.tokens
            if tokens is not None and amount:
                tokens.refill(monotonic())
                tokens.level = min(float(tokens.limit), tokens.level + amount)

    def admit(self, path: str, body: bytes) -> Admission:
        """Charge a request to ``path`` with ``body``, or refuse it if a bucket lacks room."""
        with self._lock:
            now = monotonic()
            requests, tokens = self.requests, self.tokens
            payload = None
            estimate = 0
            # The bucket that lacks room (the one to wait longest for, if both do):
            # (kind, bucket, amount requested, seconds to wait or None if never).
            short: tuple[str, _Count, int, float | None] | None = None
            if requests is not None and requests.refill(now) + _EPSILON < 1:
                short = ("requests", requests, 1, requests.wait(1))
            if tokens is not None:
                tokens.refill(now)
                payload = _load(body)
                estimate = 0 if payload is None else estimate_tokens(path, payload)
                if estimate > tokens.limit:
                    short = ("tokens", tokens, estimate, None)
                elif tokens.level + _EPSILON < estimate:
                    seconds = tokens.wait(estimate)
                    if short is None or seconds > (short[3] or 0.0):
                        short = ("tokens", tokens, estimate, seconds)
            if short is None:
                if requests is not None:
                    requests.level -= 1
                if tokens is not None:
                    tokens.level -= estimate
                return Admission(self, self._headers(), None if tokens is None else estimate, None)
            headers = self._headers()
            kind, bucket, requested, wait = short
            limit, used, window = bucket.limit, bucket.limit - bucket.remaining(), self.window
        if payload is None:
            payload = _load(body)
        model = None if payload is None else payload.get("model")
        where = f" for {model}" if isinstance(model, str) else ""
        if window == 60:
            per = f"{kind} per min ({'RPM' if kind == 'requests' else 'TPM'})"
        else:
            per = f"{kind} per {format_duration(window)}"
        if wait is None:
            message = (
                f"Request too large{where} in organization {_ORGANIZATION} on {per}: Limit {limit}, "
                f"Requested {requested}. The input or output tokens must be reduced in order to run "
                f"successfully.{_MORE}"
            )
        else:
            ms = _ceil_ms(wait)
            headers["retry-after-ms"] = str(ms)
            headers["retry-after"] = str(-(-ms // 1000))
            message = (
                f"Rate limit reached{where} in organization {_ORGANIZATION} on {per}: Limit {limit}, "
                f"Used {used}, Requested {requested}. Please try again in {format_duration(wait)}.{_MORE}"
            )
        return Admission(self, headers, None, error_body(message, kind, None, "rate_limit_exceeded"))

    def _headers(self) -> dict[str, str]:
        """OpenAI's ``x-ratelimit-*`` headers, in its order, for the limits that are set."""
        requests, tokens = self.requests, self.tokens
        if tokens is None:
            assert requests is not None
            return {
                "x-ratelimit-limit-requests": str(requests.limit),
                "x-ratelimit-remaining-requests": str(requests.remaining()),
                "x-ratelimit-reset-requests": format_duration(requests.reset()),
            }
        if requests is None:
            return {
                "x-ratelimit-limit-tokens": str(tokens.limit),
                "x-ratelimit-remaining-tokens": str(tokens.remaining()),
                "x-ratelimit-reset-tokens": format_duration(tokens.reset()),
            }
        return {
            "x-ratelimit-limit-requests": str(requests.limit),
            "x-ratelimit-limit-tokens": str(tokens.limit),
            "x-ratelimit-remaining-requests": str(requests.remaining()),
            "x-ratelimit-remaining-tokens": str(tokens.remaining()),
            "x-ratelimit-reset-requests": format_duration(requests.reset()),
            "x-ratelimit-reset-tokens": format_duration(tokens.reset()),
        }


def _load(body: bytes) -> dict[str, Any] | None:
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError):
        return None
    return payload if isinstance(payload, dict) else None
