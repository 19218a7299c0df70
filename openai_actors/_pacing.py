"""Pacing requests and tokens per minute, sans-IO: state and "now" in, "go" or "wait until" out.

Theory of operation
-------------------
Each limit (requests, tokens) is a generic cell rate algorithm (GCRA): a
theoretical arrival time `tat` advances by `interval` seconds per unit sent,
and a unit may go when `tat - tolerance <= now`. That spreads a minute's
quota evenly over the minute (the tolerance allows a burst of `burst` units,
2 % of the limit, which also absorbs the event loop waking a little late),
instead of letting it all go in the first second.

The interval is `window / (limit - burst + 1)`, which makes the guarantee
exact: in any window of `window` seconds at most `limit` requests are sent,
and at steady state with enough demand `(limit - burst + 1) / limit` of the
limit is used (98 % and up). For tokens a request's cost can be large, so a
window may hold up to one request's tokens more than the limit; a request
whose estimate alone is over the limit can never be sent, and is refused.

The controller (`Pacer`) combines both rates with three more rules:

* admissions are first in, first out: the head waits until both rates allow
  it, and nothing behind it overtakes it (so a big request is never starved);
* what the server says wins when it is stricter: limits it advertises are
  adopted where none is configured (configured ones are never exceeded), and
  sending keeps within what it says is left (below);
* a 429 pauses every admission until the server's `retry-after` (or reset),
  and sending then resumes at the paced rate, not as a burst.

What the server says is left
----------------------------
Servers count in two ways, and say so in the same headers. OpenAI refills a
bucket continuously: `remaining` climbs back steadily and `reset` is the time
until the bucket is full, short while most is left. A fixed-window gateway
lets `remaining` fall to 0 and puts it back to the limit when the window
ends, and `reset` is the time until then, long even while most is left.
Reading `reset` as a debt (as this module once did) parks a client behind a
fixed window until the window ends after its first request.

Both kinds agree on this much: what is left now is there until the reset (a
bucket gives more meanwhile, a window nothing more). So `remaining` is the
signal and `reset` only says until when. Each limit keeps the server's
account (`Budget`): `left` units until `until`, and

* sending never stops while something is left: what is left is spread evenly
  until the reset (an admission takes `(until - now) / left` of the GCRA when
  that is more than its interval). That slows sending only when the budget
  would not last at the paced rate: someone else spends the same key, or the
  window's start was spent before the limit was known. Against a bucket at
  steady state (most left, a reset of a second) the learned limit alone paces;
  against a bucket someone else drains, the spread settles where the two use
  all of its refill between them;
* when less is left than a request needs, nothing goes until the reset; then
  the account lapses, and the next answer opens the next one. (At zero the two
  kinds look alike, so a bucket drained to zero is waited out to full.)

Answers are out of date when read: each counts what reached the server before
it, not the requests sent after it, and with many in flight they arrive out of
order. So the account takes off what this client admits after an answer, and
a later answer replaces it only when it says no more is left than the account
expects: what was left, plus what could have come back since at the steady
rate the server's own account implies, `(limit - remaining) / reset`. An
answer saying more is older than the account; one saying less is news (someone
else spent it). What remains wrong is the requests in flight when an account
opens, which the server had not counted yet (at most that many refusals), and,
sharing a fixed window with another process, the race for its last units.

Headers missing, unreadable or contradictory (more remaining than the limit)
are ignored, as if absent. A reset further away than the retry horizon (a
daily quota) is not paced for: the server's refusal, with its too-long
retry-after, tells the caller. `learn=False` ignores the server altogether.

Everything takes `now` explicitly, so the tests drive it with a fake clock.
Limits shared between processes are leased on top of this pacer
(`_shared_leases.py`): each process still paces here what it leased.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Final, Literal

from ._retry import MAX_RETRY_AFTER

__all__ = [
    "DEFAULT_WINDOW",
    "Budget",
    "Limit",
    "Pacer",
    "Rate",
    "ServerLimits",
    "parse_duration",
    "read_server_limits",
]

DEFAULT_WINDOW: Final = 60.0
BURST_SHARE: Final = 0.02
_INF: Final = math.inf

Source = Literal["configured", "learned"]


class Rate:
    """One GCRA limit: `limit` units per `window` seconds."""

    __slots__ = ("burst", "interval", "limit", "tat", "tolerance", "window")

    def __init__(self, limit: float, window: float = DEFAULT_WINDOW) -> None:
        self.window = window
        self.tat = -_INF
        self.set_limit(limit)

    def set_limit(self, limit: float) -> None:
        if not limit > 0:
            raise ValueError(f"a rate limit must be more than zero, not {limit!r}")
        self.limit = limit
        self.burst = max(1, math.floor(limit * BURST_SHARE))
        # A hair over the exact interval, so float rounding can never fit one
        # more unit into a window than the limit allows.
        self.interval = self.window / max(limit - self.burst + 1, 1.0) * (1 + 1e-9)
        self.tolerance = (self.burst - 1) * self.interval

    def ready_at(self, now: float) -> float:
        """When the next unit may go (<= now: at once)."""
        return max(self.tat - self.tolerance, now)

    def take(self, units: float, now: float, spacing: float = 0.0) -> None:
        """Send `units` at `now`, each taking `spacing` seconds of the budget if that is more than our interval."""
        self.tat = max(self.tat, now) + units * max(self.interval, spacing)

    def give_back(self, units: float) -> None:
        """Units reserved but not used (negative: used more than reserved)."""
        self.tat -= units * self.interval

    def hold_until(self, when: float) -> None:
        """Send nothing before `when`, then resume at the paced rate (no burst)."""
        self.tat = max(self.tat, when + self.tolerance)

    def shift(self, delta: float) -> None:
        self.tat += delta

    def debt(self, now: float) -> float:
        """Seconds of budget already committed beyond `now`."""
        return max(self.tat - now, 0.0)


class Budget:
    """The server's account of one limit: `left` units until `until`, when it is whole again.

    Started from a response's remaining and reset, less what this client sends
    after it; see the module docstring for how answers that are out of date are
    told apart.
    """

    __slots__ = ("left", "limit", "refill", "seen", "until")

    def __init__(self) -> None:
        self.left = 0.0
        self.limit = 0.0
        self.refill = 0.0
        self.seen = -_INF
        self.until = -_INF

    def observe(self, limit: float, remaining: float, reset: float, now: float) -> None:
        if now >= self.until:
            # No account in force: this answer opens the next one.
            self.left, self.limit, self.until = remaining, limit, now + reset
            # As fast as the budget could come back, by the server's own account
            # (steadily, whole at the reset); a fixed window brings it back later.
            self.refill = (limit - remaining) / reset if reset > 0 else 0.0
        else:
            expected = min(self.left + self.refill * (now - self.seen), self.limit)
            if remaining <= expected:
                # As fresh as what we know (it counts what we sent since), or
                # someone else spent more: the server's word stands.
                self.left, self.until = remaining, now + reset
            else:
                # More than could have come back: an answer from before the
                # requests we sent since, which it does not count.
                self.left = expected
        self.seen = now

    def ready_at(self, units: float, now: float) -> float:
        """`until` while the account is in force and holds less than `units`, else `now`."""
        return self.until if now < self.until and self.left < units else now

    def spacing(self, now: float) -> float:
        """Seconds per unit that spread what is left evenly until the reset (0.0: no account)."""
        if now < self.until and self.left > 0:
            return (self.until - now) / self.left
        return 0.0

    def take(self, units: float, now: float) -> None:
        if now < self.until:
            self.left -= units

    def shift(self, delta: float) -> None:
        self.until += delta
        self.seen += delta

    def give_back(self, units: float) -> None:
        self.left += units


@dataclass(frozen=True, slots=True)
class Limit:
    """A limit in force, and where it came from."""

    value: float | None
    source: Source | None


@dataclass(frozen=True, slots=True)
class ServerLimits:
    """What a response's `x-ratelimit-*` headers say (None where absent or unreadable)."""

    limit_requests: int | None = None
    limit_tokens: int | None = None
    remaining_requests: int | None = None
    remaining_tokens: int | None = None
    reset_requests: float | None = None
    reset_tokens: float | None = None
    malformed: tuple[str, ...] = ()
    """Headers that were present but could not be read (they are ignored)."""


_DURATION: Final = re.compile(r"(\d+(?:\.\d+)?)(ms|us|µs|ns|h|m|s)")
_UNIT_SECONDS: Final = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 1e-3, "us": 1e-6, "µs": 1e-6, "ns": 1e-9}


def parse_duration(text: str) -> float | None:
    """Seconds in a duration such as "1s", "6m0s", "20ms", "1m30.5s", "0.5" (bare seconds); None if garbage."""
    text = text.strip()
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        pass
    else:
        return value if math.isfinite(value) and value >= 0 else None
    total = 0.0
    position = 0
    for match in _DURATION.finditer(text):
        if match.start() != position:
            return None
        total += float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
        position = match.end()
    return total if position == len(text) and position > 0 else None


def _int(value: str) -> int | None:
    value = value.strip()
    return int(value) if value.isascii() and value.isdigit() else None


_HEADERS: Final = (
    ("limit_requests", "x-ratelimit-limit-requests", _int),
    ("limit_tokens", "x-ratelimit-limit-tokens", _int),
    ("remaining_requests", "x-ratelimit-remaining-requests", _int),
    ("remaining_tokens", "x-ratelimit-remaining-tokens", _int),
    ("reset_requests", "x-ratelimit-reset-requests", parse_duration),
    ("reset_tokens", "x-ratelimit-reset-tokens", parse_duration),
)


def _usable(limit: int | None, remaining: int | None) -> float | None:
    """The limit, unless it is absent, zero, or contradicted by more remaining than it allows."""
    if not limit or (remaining is not None and remaining > limit):
        return None
    return float(limit)


def read_server_limits(headers: Mapping[str, str]) -> ServerLimits | None:
    """The rate-limit headers of a response (lower-case names), or None if it has none."""
    limit_requests = headers.get("x-ratelimit-limit-requests")
    limit_tokens = headers.get("x-ratelimit-limit-tokens")
    if limit_requests is None and limit_tokens is None:
        return None
    values: dict[str, int | float | None] = {}
    malformed: list[str] = []
    for field, header, parse in _HEADERS:
        text = headers.get(header)
        value = None if text is None else parse(text)
        if text is not None and value is None:
            malformed.append(header)
        values[field] = value
    return ServerLimits(**values, malformed=tuple(malformed))  # type: ignore[arg-type]


class Pacer:
    """Requests-per-window and tokens-per-window pacing, configured and learned."""

    def __init__(
        self,
        *,
        requests_per_minute: float | None = None,
        tokens_per_minute: float | None = None,
        window: float = DEFAULT_WINDOW,
        learn: bool = True,
    ) -> None:
        self.window = window
        self.learn = learn
        self.configured_requests = requests_per_minute
        self.configured_tokens = tokens_per_minute
        self.learned_requests: float | None = None
        self.learned_tokens: float | None = None
        self.requests = Rate(requests_per_minute, window) if requests_per_minute else None
        self.tokens = Rate(tokens_per_minute, window) if tokens_per_minute else None
        # What the server says is left of each (used only while that rate exists).
        self.server_requests = Budget()
        self.server_tokens = Budget()
        # A reset further away than this is beyond what the client paces for: the
        # server's refusal, with its too-long retry-after, says so to the caller.
        self.horizon = max(MAX_RETRY_AFTER, window)
        self.paused_until = -_INF
        # The clock every time above is on: the event loop's whose dispatcher
        # last ran this pacer (see use_clock).
        self.clock: Callable[[], float] | None = None

    def use_clock(self, clock: Callable[[], float]) -> None:
        """From now on times are on `clock` (a new event loop's): move every time kept so far onto it.

        A client outlives its event loops (two `asyncio.run` or `trio.run` in a
        row), and the pacer with it, but loops' clocks have different origins
        (trio's is offset at random by hours): unmoved, a time kept on the old
        clock could hold admissions for a day, or not at all.
        """
        old, self.clock = self.clock, clock
        if old is None or old == clock:
            return
        delta = clock() - old()
        for rate in (self.requests, self.tokens):
            if rate is not None:
                rate.shift(delta)
        self.server_requests.shift(delta)
        self.server_tokens.shift(delta)
        self.paused_until += delta

    # -- admission --------------------------------------------------------------------

    def ready_at(self, cost: float, now: float) -> float:
        """When a request of `cost` tokens may go; <= now means now."""
        when = max(self.paused_until, now)
        if self.requests is not None:
            when = max(when, self.requests.ready_at(now), self.server_requests.ready_at(1, now))
        if self.tokens is not None and cost:
            when = max(when, self.tokens.ready_at(now), self.server_tokens.ready_at(cost, now))
        return when

    def spent_until(self, cost: float, now: float) -> tuple[float, str] | None:
        """Until when the server's account leaves too little for a request of `cost` tokens, and which
        limit ("requests" or "tokens"); None: neither holds it."""
        held: tuple[float, str] | None = None
        for rate, budget, units, name in (
            (self.requests, self.server_requests, 1.0, "requests"),
            (self.tokens, self.server_tokens, cost, "tokens"),
        ):
            if rate is None or not units:
                continue
            until = budget.ready_at(units, now)
            if until > now and (held is None or until > held[0]):
                held = (until, name)
        return held

    def too_big(self, cost: float) -> float | None:
        """The token limit, if a request of `cost` tokens could never fit in it."""
        tokens = self.tokens
        if tokens is not None and cost > tokens.limit:
            return tokens.limit
        return None

    def admit(self, cost: float, now: float) -> None:
        if self.requests is not None:
            server = self.server_requests
            self.requests.take(1, now, server.spacing(now))
            server.take(1, now)
        if self.tokens is not None and cost:
            server = self.server_tokens
            self.tokens.take(cost, now, server.spacing(now))
            server.take(cost, now)

    def give_back(self, requests: float, tokens: float) -> None:
        """Return a reservation: one never sent, or the unused part of a token estimate."""
        if self.requests is not None and requests:
            self.requests.give_back(requests)
            self.server_requests.give_back(requests)
        if self.tokens is not None and tokens:
            self.tokens.give_back(tokens)
            self.server_tokens.give_back(tokens)

    # -- what the server says -------------------------------------------------------

    def observe(self, limits: ServerLimits, now: float) -> None:
        """Adopt advertised limits where none is configured, and keep within what the server says is left.

        Headers missing, unreadable or contradictory (more remaining than the
        limit) are ignored, as if the server had not sent them.
        """
        if not self.learn:
            return
        requests = _usable(limits.limit_requests, limits.remaining_requests)
        if requests is not None:
            self.learned_requests = requests
            self.requests = self._adopt(self.requests, self.configured_requests, requests)
            self._account(
                self.server_requests, requests, limits.remaining_requests, limits.reset_requests, now
            )
        tokens = _usable(limits.limit_tokens, limits.remaining_tokens)
        if tokens is not None:
            self.learned_tokens = tokens
            self.tokens = self._adopt(self.tokens, self.configured_tokens, tokens)
            self._account(self.server_tokens, tokens, limits.remaining_tokens, limits.reset_tokens, now)

    def adopt(self, requests: float | None, tokens: float | None) -> None:
        """Limits another process learned from the server (shared limits), where this one has learned none.

        This process's own answers replace them as they come (`observe`).
        """
        if not self.learn:
            return
        if requests and self.learned_requests is None:
            self.learned_requests = requests
            self.requests = self._adopt(self.requests, self.configured_requests, requests)
        if tokens and self.learned_tokens is None:
            self.learned_tokens = tokens
            self.tokens = self._adopt(self.tokens, self.configured_tokens, tokens)

    def _adopt(self, rate: Rate | None, configured: float | None, learned: float) -> Rate:
        # Configured limits are never exceeded, even when the server allows more.
        value = learned if configured is None else min(configured, learned)
        if rate is None:
            return Rate(value, self.window)
        if rate.limit != value:
            rate.set_limit(value)
        return rate

    def _account(
        self, budget: Budget, limit: float, remaining: int | None, reset: float | None, now: float
    ) -> None:
        if remaining is not None and reset is not None and reset <= self.horizon:
            budget.observe(limit, remaining, reset, now)

    def pause(self, until: float) -> None:
        """A 429: nobody goes before `until`; then sending resumes at the paced rate."""
        self.paused_until = max(self.paused_until, until)
        for rate in (self.requests, self.tokens):
            if rate is not None:
                rate.hold_until(until)

    # -- reporting ----------------------------------------------------------------------

    def limit_requests(self) -> Limit:
        return self._limit(self.requests, self.configured_requests)

    def limit_tokens(self) -> Limit:
        return self._limit(self.tokens, self.configured_tokens)

    @staticmethod
    def _limit(rate: Rate | None, configured: float | None) -> Limit:
        if rate is None:
            return Limit(None, None)
        source: Source = "configured" if configured is not None and rate.limit == configured else "learned"
        return Limit(rate.limit, source)
