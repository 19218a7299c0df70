"""Percentiles, summaries, a run's figures and the ratios between two runs (pure).

Percentile method: nearest rank. The p-th percentile of n values is the value
at rank ceil(p / 100 * n) (1-based) in ascending order, and the smallest value
for p = 0: the smallest observed value v such that at least p % of the values
are <= v. It is always a latency that really happened, never an interpolation
between two, and the rank is computed exactly (p is read as the decimal it was
written as, so 99.9 % of 1,000 is rank 999, not 1,000 through a rounding error).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Final

from ._record import Record

__all__ = [
    "METRICS",
    "PERCENTILES",
    "Figures",
    "Slo",
    "Summary",
    "figures",
    "percentile",
    "ratio",
    "ratios",
    "summarize",
    "tpot",
]

# (field name, percent)
PERCENTILES: Final = (("p50", 50.0), ("p90", 90.0), ("p99", 99.0), ("p99_9", 99.9))
# vLLM's names for the latency figures (as in its result keys, `mean_ttft_ms`), by Figures field.
METRICS: Final = {"ttft": "ttft", "tpot": "tpot", "itl": "itl", "e2el": "latency"}


def percentile(ordered: Sequence[float], percent: float) -> float:
    """The nearest-rank `percent` percentile of `ordered` (ascending, not empty)."""
    if not ordered:
        raise ValueError("no values to take a percentile of")
    if not 0 <= percent <= 100:
        raise ValueError(f"a percentile is between 0 and 100, not {percent}")
    rank = math.ceil(Fraction(str(percent)) * len(ordered) / 100)
    return ordered[max(rank, 1) - 1]


@dataclass(frozen=True, slots=True)
class Summary:
    """A distribution in seconds."""

    count: int
    mean: float
    median: float
    """The middle value, or the mean of the two middle ones (as vLLM's, unlike the nearest-rank p50)."""
    std: float
    """Population standard deviation (as numpy's default, which vLLM uses)."""
    p50: float
    p90: float
    p99: float
    p99_9: float
    min: float
    max: float
    chosen: tuple[tuple[float, float], ...] = ()
    """(percent, nearest-rank percentile) for each percentage asked for besides the fixed ones."""


def summarize(values: Iterable[float], percents: Sequence[float] = ()) -> Summary | None:
    """Mean, median, standard deviation, the nearest-rank percentiles (and `percents`'), min and max.

    None for no values.
    """
    ordered = sorted(values)
    if not ordered:
        return None
    mean = math.fsum(ordered) / len(ordered)
    return Summary(
        count=len(ordered),
        mean=mean,
        median=statistics.median(ordered),
        std=math.sqrt(math.fsum((value - mean) ** 2 for value in ordered) / len(ordered)),
        p50=percentile(ordered, 50),
        p90=percentile(ordered, 90),
        p99=percentile(ordered, 99),
        p99_9=percentile(ordered, 99.9),
        min=ordered[0],
        max=ordered[-1],
        chosen=tuple((percent, percentile(ordered, percent)) for percent in percents),
    )


@dataclass(frozen=True, slots=True)
class Slo:
    """Service-level objectives, in milliseconds: end to end; time to first token and per output token (streams)."""

    e2e_ms: float | None = None
    ttft_ms: float | None = None
    tpot_ms: float | None = None

    @property
    def given(self) -> bool:
        return self.e2e_ms is not None or self.ttft_ms is not None or self.tpot_ms is not None

    def met(self, record: Record) -> bool:
        if self.e2e_ms is not None and (record.end - record.start) * 1000 > self.e2e_ms:
            return False
        if (self.ttft_ms is not None or self.tpot_ms is not None) and record.ttft is None:
            return False  # no first token: neither figure exists, and no objective on them is met
        if self.ttft_ms is not None and record.ttft is not None and record.ttft * 1000 > self.ttft_ms:
            return False
        if self.tpot_ms is not None:
            per_token = tpot(record)
            # A one-token reply has no time per output token after the first: nothing to miss (as vLLM's 0).
            return per_token is None or per_token * 1000 <= self.tpot_ms
        return True


@dataclass(frozen=True, slots=True)
class Figures:
    """What one run measured. Rates are per second of wall time; distributions cover successes only."""

    requests: int
    """Measured requests (started and ended)."""
    ok: int
    errors: dict[str, int]
    """Failed requests by exception class name."""
    wall_s: float
    cpu_s: float
    """Client process CPU (user + sys) over the measured part."""
    cpu_us_per_request: float | None
    cpu_share: float
    """`cpu_s / wall_s`: the share of one core the client used; near 1, the client is the bottleneck."""
    requests_per_s: float
    """Successful requests per second."""
    goodput_per_s: float | None
    """Successful requests that met every SLO given, per second; None without an SLO."""
    slo_met: int | None
    output_tokens: int
    output_tokens_per_s: float
    input_tokens: int
    input_tokens_per_s: float
    latency: Summary | None
    ttft: Summary | None
    itl: Summary | None
    queued: Summary | None
    tpot: Summary | None = None
    """Time per output token after the first: (end - TTFT) / (output tokens - 1); streams only."""

    @property
    def failed(self) -> int:
        return self.requests - self.ok


def tpot(record: Record) -> float | None:
    """Seconds per output token after the first (vLLM's TPOT); None without a first token or a second."""
    if record.ttft is None or record.output_tokens < 2:
        return None
    return (record.end - record.start - record.ttft) / (record.output_tokens - 1)


def figures(
    records: Sequence[Record],
    wall_s: float,
    cpu_s: float,
    slo: Slo,
    *,
    stream: bool,
    percents: Sequence[float] = (),
) -> Figures:
    """The figures of one run from its records, its wall time and its CPU time.

    `percents`: percentiles to compute for every distribution besides the fixed ones.
    """
    ok = [record for record in records if record.error is None]
    errors: dict[str, int] = {}
    for record in records:
        if record.error is not None:
            errors[record.error] = errors.get(record.error, 0) + 1
    per_s = 1 / wall_s if wall_s > 0 else 0.0
    output_tokens = sum(record.output_tokens for record in ok)
    input_tokens = sum(record.input_tokens for record in ok)
    slo_met = sum(1 for record in ok if slo.met(record)) if slo.given else None
    queued = [record.queued for record in ok if record.queued is not None]
    return Figures(
        requests=len(records),
        ok=len(ok),
        errors=dict(sorted(errors.items(), key=lambda item: (-item[1], item[0]))),
        wall_s=wall_s,
        cpu_s=cpu_s,
        cpu_us_per_request=cpu_s / len(records) * 1e6 if records else None,
        cpu_share=cpu_s * per_s,
        requests_per_s=len(ok) * per_s,
        goodput_per_s=None if slo_met is None else slo_met * per_s,
        slo_met=slo_met,
        output_tokens=output_tokens,
        output_tokens_per_s=output_tokens * per_s,
        input_tokens=input_tokens,
        input_tokens_per_s=input_tokens * per_s,
        latency=summarize((record.end - record.start for record in ok), percents),
        ttft=summarize((r.ttft for r in ok if r.ttft is not None), percents) if stream else None,
        itl=summarize((gap for r in ok if r.gaps for gap in r.gaps), percents) if stream else None,
        queued=summarize(queued, percents) if queued else None,
        tpot=summarize((t for t in map(tpot, ok) if t is not None), percents) if stream else None,
    )


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    """`numerator / denominator`, or None when either is unknown or the denominator is not positive."""
    if numerator is None or denominator is None or denominator <= 0:
        return None
    return numerator / denominator


def _stat(summary: Summary | None, name: str) -> float | None:
    return None if summary is None else float(getattr(summary, name))


def ratios(ours: Figures, theirs: Figures) -> dict[str, float | None]:
    """How many times better `ours` is than `theirs`, figure by figure (above 1: ours is better).

    Rates are ours / theirs; costs (CPU per request, latencies) are theirs / ours.
    """
    result: dict[str, float | None] = {
        "requests_per_s": ratio(ours.requests_per_s, theirs.requests_per_s),
        "goodput_per_s": ratio(ours.goodput_per_s, theirs.goodput_per_s),
        "output_tokens_per_s": ratio(ours.output_tokens_per_s, theirs.output_tokens_per_s),
        "input_tokens_per_s": ratio(ours.input_tokens_per_s, theirs.input_tokens_per_s),
        "cpu_per_request": ratio(theirs.cpu_us_per_request, ours.cpu_us_per_request),
    }
    for figure in ("latency", "ttft", "tpot", "itl"):
        mine, other = getattr(ours, figure), getattr(theirs, figure)
        for stat in ("mean", *(name for name, _ in PERCENTILES)):
            result[f"{figure}_{stat}"] = ratio(_stat(other, stat), _stat(mine, stat))
    return result
