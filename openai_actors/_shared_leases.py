"""Leases of limits shared between processes, sans-IO: what this process holds, spends, asks for and gives back.

Theory of operation
-------------------
Many processes share one limit through a Redis server (`_shared_redis.py`
does the I/O). Asking Redis for every request would cost a round trip each;
instead each process **leases** a small slice of each limit (requests,
tokens) and spends it locally, through its own pacer, one request at a time.
This module is that process's account: a `Pool` per limit.

* **Reserve before sending.** A request is admitted only when the pools hold
  its units (1 request, its estimated tokens), which are taken at admission.
  Its correction comes later: a request never sent, or refused with 429,
  gives its units back; the response's usage gives back the unused part of
  the token estimate, or charges the excess (a debt, paid out of the next
  lease before anything else).
* **Leases are small and short.** A slice is about what this process spends
  in `validity` seconds (at most one second, never more than 2 % of the
  limit), and units not spent within `validity` of the lease are returned
  with the next ask, not spent later: in Redis a lease is charged when it is
  granted, and the limit it is granted against is the limit over
  `window + validity`, so what is *sent* in any `window` stays within the
  limit (tokens: as the server counts them, by at most one request's
  estimate more, as for one process).
* **Ask ahead.** A new lease is asked for when a pool runs low (a quarter of
  a slice), so that under steady load admission rarely waits for Redis; and
  at once when the request at the head of the line cannot be covered. One
  ask is in flight at a time; an answer "nothing now, ask again in X" holds
  further asks until then.
* **Redis unreachable.** Every ask that fails backs off (0.1 s doubling to
  2 s). With `on_unreachable="wait"` admissions wait meanwhile (units
  already held are still spent); with `"local"` this process sends at its
  share of each limit (the limit divided by the processes last seen sharing
  it), from a local GCRA, until an ask succeeds again.
* **What is shared besides capacity.** The first admission waits for a first
  answer, which brings the limits other processes learned from the server's
  headers and any 429 pause in force; limits learned here are published
  with the next ask; a 429 heard here is published for everyone
  (`share_pause`).

Times are this process's clock (the event loop's); Redis keeps its own time
(the server's `TIME`, inside its scripts), and only durations cross between
the two. A lease is valid from when its ask was *sent*, which errs on the
safe side of the round trip.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final, Literal

from ._pacing import Pacer, Rate

__all__ = ["MAX_SHARE", "Answer", "Ask", "LeaseBook", "Pool", "lease_validity"]

# The longest a lease is valid: a slice is sized to be spent within it.
MAX_VALIDITY: Final = 1.0
# A slice is never more than this share of the limit.
MAX_SHARE: Final = 0.02
BACKOFF_FIRST: Final = 0.1
BACKOFF_MAX: Final = 2.0
# A pool below this share of its slice asks for the next lease ahead of need.
LOW_WATER: Final = 0.25
_INF: Final = math.inf
KINDS: Final = ("requests", "tokens")


def lease_validity(window: float) -> float:
    """Seconds a lease may be spent for: one second, less for short windows (a 20th of the window)."""
    return min(MAX_VALIDITY, window / 20)


def _whole(value: float | None) -> int:
    return 0 if value is None else int(value)


def slice_cap(limit: float, window: float) -> int:
    """The most one lease may hold of `limit`: what the limit gives in `validity`, at most 2 % of it."""
    return max(1, math.floor(limit * min(lease_validity(window) / window, MAX_SHARE)))


class Pool:
    """What this process holds of one shared limit: leases, each `[units, start, end]`, by end.

    A lease's units may be spent from `start` (slots reserved a little ahead,
    granted at once rather than asked for again) until `end`. Admission looks
    at the first lease only, unless it cannot serve (the path of nearly every
    request costs a few comparisons).
    """

    __slots__ = (
        "active_since",
        "debt",
        "exact",
        "held",
        "last",
        "leases",
        "low",
        "mark",
        "rate",
        "returning",
        "since",
        "spent",
    )

    def __init__(self, *, exact: bool = False) -> None:
        self.leases: list[list[float]] = []
        self.held = 0  # units in `leases`
        self.debt = 0  # units spent beyond what was leased (usage above the estimate)
        self.returning = 0  # units to give back with the next ask (expired, or refunded late)
        # Requests are given back exactly: only the unspent tail of this process's last
        # lease (`last`), and only if nobody leased after it (Redis still at `mark`);
        # other units are let go, their slots pass. Tokens are given back whatever
        # their slots, as the server itself corrects an estimate to the usage.
        self.exact = exact
        self.last: list[float] | None = None
        self.mark = ""
        self.low = 0.0  # below this many held, ask for the next lease ahead of need
        self.spent = 0  # units spent since `since`: the demand the next slice is sized on
        self.since = -_INF
        self.rate = -1.0  # units per second spent, smoothed (-1: not measured yet)
        self.active_since = _INF  # when this limit first became known (leased from then on)

    def available(self, now: float) -> int:
        """Units that may be spent now."""
        return int(sum(units for units, start, end in self.leases if start <= now < end))

    def ready_at(self, units: int, now: float) -> float:
        """When `units` may be spent: now, when a lease held starts, or inf (another lease is needed)."""
        leases = self.leases
        if leases:
            first = leases[0]
            if first[0] >= units and first[1] <= now < first[2]:
                return now
        if self.active_since == _INF:
            self.active_since = now
        self.expire(now)
        total = 0.0
        for held, start, _ in self.leases:
            total += held
            if total >= units:
                return max(start, now)
        return _INF

    def expire(self, now: float) -> None:
        leases = self.leases
        while leases and now >= leases[0][2]:
            lease = leases.pop(0)
            units = int(lease[0])
            self.held -= units
            if not self.exact or lease is self.last:
                self.returning += units

    def take(self, units: int, now: float) -> None:
        """Spend `units` from the leases that may be spent now, oldest first (ready_at said they are)."""
        self.spent += units
        leases = self.leases
        if leases and leases[0][0] > units and leases[0][1] <= now:
            leases[0][0] -= units
            self.held -= units
            return
        for lease in leases:
            if not units or lease[1] > now:
                break
            used = min(units, int(lease[0]))
            lease[0] -= used
            self.held -= used
            units -= used
        self.leases = [lease for lease in leases if lease[0] > 0]
        self.debt += units  # none left to take it from: owed, paid by the next lease

    def give_back(self, units: int, now: float) -> None:
        """Units back (negative: units charged beyond the estimate)."""
        if units < 0:
            excess = min(-units, self.available(now))
            self.take(excess, now)
            self.spent -= excess
            self.debt += -units - excess
            return
        for lease in self.leases:
            if lease[1] <= now < lease[2]:
                lease[0] += units
                self.held += units
                return
        if not self.exact:
            self.returning += units

    def add(self, units: int, start: float, end: float) -> None:
        """A lease granted `units` from `start` to `end`: pay the debt first, then hold the rest."""
        paid = min(self.debt, units)
        self.debt -= paid
        units -= paid
        if units:
            lease = [float(units), start, end]
            self.leases.append(lease)
            self.leases.sort(key=lambda lease: lease[2])
            self.held += units
            self.last = lease

    def release(self, now: float) -> int:
        """Everything held, to give back (exact: the unspent tail of the last lease); the pool is then empty."""
        if not self.exact:
            back = self.returning + self.held
        else:
            last = self.last
            kept = last is not None and any(lease is last for lease in self.leases)
            back = self.returning + (int(last[0]) if kept and last is not None else 0)
        self.leases.clear()
        self.held = self.returning = 0
        self.last = None
        # Times are the closing loop's clock: the next loop's starts afresh.
        self.since, self.active_since = -_INF, _INF
        return back

    def measure(self, now: float, period: float) -> None:
        """Fold the units spent since `since` into the demand estimate, once `period` has passed."""
        elapsed = now - self.since
        if elapsed < period:
            return
        if self.since > -_INF:
            observed = self.spent / elapsed
            self.rate = observed if self.rate < 0 else (self.rate + observed) / 2
        self.spent = 0
        self.since = now


@dataclass(frozen=True, slots=True)
class Ask:
    """One request to the shared limits (one Lua script call); per limit: (requests, tokens)."""

    limits: tuple[float, float]
    """The limits this process paces to (0: unknown, not leased)."""
    want: tuple[int, int]
    need: tuple[int, int]
    """The least that lets the request at the head go (granted beyond what is free, as for one process)."""
    give_back: tuple[int, int]
    marks: tuple[str, str]
    """Give back only if the limit in Redis is still where this process's last lease left it ("": always)."""
    learned: tuple[int, int]
    """Limits learned here from the server's headers, to publish (0: nothing new)."""
    warm: bool
    """This process leased within the last window: a limit missing in Redis means Redis lost it (a
    restart), so it starts spent rather than with a burst..."""
    reserve: tuple[int, int]
    """... and beyond the slots the processes may still hold reserved ahead: a slice each, for the
    processes last seen."""
    sent_at: float


@dataclass(frozen=True, slots=True)
class Answer:
    granted: tuple[int, int]
    delay: tuple[float, float]
    """Seconds from the answer until the granted units may be spent (slots reserved ahead)."""
    wait: float
    """Seconds before asking again: nothing was granted (a pause); 0.0 otherwise."""
    paused_for: float
    """Seconds left of a 429's pause another process heard (0.0: none)."""
    processes: int
    """Processes that leased within the heartbeat period, this one included."""
    learned: tuple[float | None, float | None]
    marks: tuple[str, str] = ("", "")
    """Where each limit stood in Redis after this grant (see `Ask.marks`)."""


class LeaseBook:
    """One client's leases of the shared limits; outlives event loops, as its pacer does.

    `notify` is called when the book wants the shell to ask Redis (a lease,
    a pause to publish); the shell then calls `ask()` / `answer()` /
    `unreachable()`.
    """

    def __init__(
        self,
        pacer: Pacer,
        *,
        on_unreachable: Literal["wait", "local"] = "wait",
        notify: Callable[[], None] | None = None,
    ) -> None:
        self.pacer = pacer
        self.window = pacer.window
        self.validity = lease_validity(pacer.window)
        self.local_fallback = on_unreachable == "local"
        self.notify: Callable[[], None] = notify or (lambda: None)
        self.pools = (Pool(exact=True), Pool())
        self.contacted = False  # a first answer came (learned limits and pauses known)
        self.asking = False  # an ask is with the shell
        self.wanted = False  # admission or a low pool wants an ask
        self.retry_at = -_INF  # no ask before this (Redis said wait, or could not be reached)
        self.backoff = BACKOFF_FIRST
        self.reachable = True
        self.fallback: tuple[Rate | None, Rate | None] | None = None
        self.failure: str | None = None  # a lasting error (bad credentials): every admission fails with it
        self.processes = 1
        self.last_answer = -_INF
        self.last_ask = -_INF
        self.pause_to_share = 0.0
        self.published: tuple[int, int] = (0, 0)
        self.asks = 0  # successful round trips, for stats and benches
        self.ask_seconds = 0.0  # the time they all took, failed ones included

    # -- admission ----------------------------------------------------------------

    def limits(self) -> tuple[float, float]:
        requests, tokens = self.pacer.requests, self.pacer.tokens
        return (requests.limit if requests else 0.0, tokens.limit if tokens else 0.0)

    def ready_at(self, cost: int, now: float) -> float:
        """When a request of `cost` tokens may take its units: <= now at once; inf when an answer wakes it."""
        if self.failure is not None:
            return now  # admission fails it with the failure
        if not self.contacted:
            return self._want(now)
        pacer = self.pacer
        requests, tokens = self.pools
        when = now if pacer.requests is None else requests.ready_at(1, now)
        if cost and pacer.tokens is not None:
            when = max(when, tokens.ready_at(cost, now))
        if when < _INF:
            return when  # now, or when a lease already granted starts
        if self.fallback is not None:
            when = now
            for rate, pool, units in zip(self.fallback, self.pools, (1, cost), strict=True):
                if rate is not None and units and pool.available(now) < units:
                    when = max(when, rate.ready_at(now))
            if now >= self.retry_at:
                self._want(now)  # try Redis again meanwhile, without holding anyone
            return when
        return self._want(now)

    def _want(self, now: float) -> float:
        if now < self.retry_at:
            return self.retry_at
        if not self.asking and not self.wanted:
            self.wanted = True
            self.notify()
        return _INF

    def spend(self, cost: int, now: float) -> None:
        """Admit a request of `cost` tokens: take its units (ready_at said they are there)."""
        pacer = self.pacer
        requests, tokens = self.pools
        if pacer.requests is not None:
            self._take(0, requests, 1, now)
        if cost and pacer.tokens is not None:
            self._take(1, tokens, cost, now)
        if (
            (requests.held - requests.debt < requests.low or tokens.held - tokens.debt < tokens.low)
            and self.reachable
            and not (self.asking or self.wanted)
            and now >= self.retry_at
        ):
            self.wanted = True
            self.notify()

    def _take(self, index: int, pool: Pool, units: int, now: float) -> None:
        if self.fallback is not None and pool.available(now) < units:
            rate = self.fallback[index]
            if rate is not None:
                rate.take(units, now)
                return
        # A limit learned between ready_at and here finds none: then it is owed, paid by the next lease.
        pool.take(units, now)

    def give_back(self, requests: int, tokens: int, admitted_at: float, now: float) -> None:
        """Units of a request admitted at `admitted_at` come back (tokens negative: charged beyond the estimate).

        Only to a pool that was leasing when the request was admitted: units
        taken before a limit was known were never leased.
        """
        for pool, units in zip(self.pools, (requests, tokens), strict=True):
            if units and admitted_at >= pool.active_since:
                pool.give_back(units, now)

    # -- asking -------------------------------------------------------------------

    def _slice(self, pool: Pool, limit: float, backlog: float) -> int:
        """What this process would spend in `validity`: its measured rate, plus what waits (`backlog`)."""
        cap = slice_cap(limit, self.window)
        if pool.rate < 0:
            return cap
        return min(cap, max(1, math.ceil(pool.rate * self.validity + backlog)))

    def ask(self, cost: int, now: float, waiting: int = 0) -> Ask | None:
        """The next ask for the shell to send, or None.

        `cost`: the tokens of the request at the head of the line (0: none);
        `waiting`: the requests waiting for admission. What a process spends is
        less than it wants while it is held back, so what waits counts as demand.
        """
        if self.asking or not self.wanted or self.failure is not None:
            return None
        self.wanted = False
        self.last_ask = now
        limits = self.limits()
        want = [0, 0]
        need = [0, 0]
        back = [0, 0]
        for index, (pool, limit, units) in enumerate(zip(self.pools, limits, (1, cost), strict=True)):
            pool.expire(now)
            back[index], pool.returning = pool.returning, 0
            if not limit:
                continue
            if pool.active_since == _INF:
                pool.active_since = now
            pool.measure(now, self.validity)
            held = pool.held
            size = self._slice(pool, limit, waiting * (1 if index == 0 else cost))
            pool.low = size * LOW_WATER
            need[index] = pool.debt + max(0, units - held)
            want[index] = max(need[index], pool.debt + size - held)
        learned = (_whole(self.pacer.learned_requests), _whole(self.pacer.learned_tokens))
        publish = (
            learned[0] if learned[0] != self.published[0] else 0,
            learned[1] if learned[1] != self.published[1] else 0,
        )
        self.asking = True
        return Ask(
            limits=limits,
            want=(want[0], want[1]),
            need=(need[0], need[1]),
            give_back=(back[0], back[1]),
            marks=self._marks(),
            learned=publish,
            warm=now - self.last_answer < self.window,
            reserve=(
                self.processes * slice_cap(limits[0], self.window) if limits[0] else 0,
                self.processes * slice_cap(limits[1], self.window) if limits[1] else 0,
            ),
            sent_at=now,
        )

    def _marks(self) -> tuple[str, str]:
        requests, tokens = self.pools
        return (requests.mark if requests.exact else "", tokens.mark if tokens.exact else "")

    def answer(self, ask: Ask, answer: Answer, now: float) -> None:
        """Redis answered `ask`: hold what it granted, adopt what it knows."""
        self.asking = False
        self.asks += 1
        self.contacted = True
        self.reachable = True
        self.fallback = None
        self.backoff = BACKOFF_FIRST
        self.last_answer = now
        self.processes = max(1, answer.processes)
        self.published = (ask.learned[0] or self.published[0], ask.learned[1] or self.published[1])
        for pool, units, delay, mark in zip(
            self.pools, answer.granted, answer.delay, answer.marks, strict=True
        ):
            if units:
                pool.mark = mark
                # Valid `validity` from when its slots start, counted from the ask's departure
                # (the earlier end), spendable from the answer's arrival (the later start).
                pool.add(units, now + delay, ask.sent_at + delay + self.validity)
        if answer.wait > 0:
            self.retry_at = now + answer.wait
        requests, tokens = answer.learned
        if requests or tokens:
            self.pacer.adopt(requests, tokens)

    def unreachable(self, ask: Ask, now: float) -> None:
        """`ask` failed (Redis unreachable): its returns wait for the next one; back off; maybe go local."""
        self.asking = False
        for pool, units in zip(self.pools, ask.give_back, strict=True):
            pool.returning += units
        self.retry_at = now + self.backoff
        self.backoff = min(self.backoff * 2, BACKOFF_MAX)
        if self.reachable and self.local_fallback:
            share = self.processes
            self.fallback = tuple(  # type: ignore[assignment]
                Rate(limit / share, self.window) if limit else None for limit in self.limits()
            )
        self.reachable = False
        self.contacted = self.contacted or self.local_fallback  # "local" does not wait for a first answer

    def fail(self, message: str) -> None:
        """A lasting error (Redis refused the credentials): every admission from now on fails with it."""
        self.asking = False
        self.failure = message

    # -- pauses -------------------------------------------------------------------

    def share_pause(self, seconds: float) -> None:
        """A 429 heard here: publish its pause for every process sharing the limits."""
        if seconds > self.pause_to_share:
            self.pause_to_share = seconds
            self.notify()

    def take_pause(self) -> float:
        seconds, self.pause_to_share = self.pause_to_share, 0.0
        return seconds

    # -- closing ------------------------------------------------------------------

    def release(self, now: float) -> tuple[tuple[int, int], tuple[str, str]]:
        """What goes back as the client closes, with its marks; the book starts afresh after."""
        marks = self._marks()
        back = [pool.release(now) for pool in self.pools]
        self.contacted = self.wanted = self.asking = False
        self.reachable, self.fallback = True, None
        # Times are the closing loop's clock (a client outlives its loops, trio's clocks start
        # anywhere): the next loop's starts afresh.
        self.retry_at = self.last_answer = self.last_ask = -_INF
        self.backoff = BACKOFF_FIRST
        return (back[0], back[1]), marks

    def unreturned(self, back: tuple[int, int]) -> None:
        """A release that could not be sent: keep the units to return with the next ask (if any)."""
        for pool, units in zip(self.pools, back, strict=True):
            pool.returning += units
