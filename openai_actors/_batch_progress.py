"""The batch command's progress bar and summary, sans-IO: counts and a clock in, text out."""

from __future__ import annotations

from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Final

__all__ = [
    "RateMeter",
    "Tally",
    "format_count",
    "format_duration",
    "render_bar",
    "render_line",
    "render_summary",
]

# Seconds of history the rates are measured over: long enough to smooth the
# bursts of a paced job, short enough to follow a change of pace.
RATE_SPAN: Final = 10.0


@dataclass(slots=True)
class Tally:
    """What a run has done so far."""

    total: int
    """Requests in INPUT."""
    skipped: int
    """Already answered in OUTPUT when the run started."""
    ok: int = 0
    failed: Counter[str] = field(default_factory=Counter)
    """Failures by kind: "HTTP 500", "connection_error", "invalid_json_line", ..."""
    tokens: int = 0
    retries: int = 0
    rate_limited: int = 0

    @property
    def answered(self) -> int:
        """Answered in this run."""
        return self.ok + self.errors

    @property
    def errors(self) -> int:
        return sum(self.failed.values())

    @property
    def done(self) -> int:
        return self.skipped + self.answered

    @property
    def remaining(self) -> int:
        return max(self.total - self.done, 0)


class RateMeter:
    """Requests and tokens per second over the last RATE_SPAN seconds."""

    __slots__ = ("_samples",)

    def __init__(self) -> None:
        self._samples: deque[tuple[float, int, int]] = deque()

    def observe(self, now: float, answered: int, tokens: int) -> tuple[float, float]:
        """Record the totals at `now`; the (requests/s, tokens/s) since the oldest sample kept."""
        samples = self._samples
        samples.append((now, answered, tokens))
        while len(samples) > 2 and now - samples[1][0] >= RATE_SPAN:
            samples.popleft()
        then, answered_then, tokens_then = samples[0]
        span = now - then
        if span <= 0:
            return 0.0, 0.0
        return (answered - answered_then) / span, (tokens - tokens_then) / span


def format_count(value: float) -> str:
    """1234 -> "1,234"; 12345678 -> "12.3M" (counts that must fit a short line)."""
    if value >= 10_000_000:
        return f"{value / 1_000_000:.1f}M"
    if value >= 100_000:
        return f"{value / 1_000:.0f}k"
    return f"{value:,.0f}"


def format_duration(seconds: float) -> str:
    """42 -> "42s"; 125 -> "2m05s"; 3725 -> "1h02m"."""
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds}s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m{seconds:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


def render_bar(tally: Tally, requests_per_s: float, tokens_per_s: float, width: int) -> str:
    """One line of at most `width` characters: bar, done/total, rates, ETA, retries, errors."""
    total = max(tally.total, 1)
    share = min(tally.done / total, 1.0)
    eta = format_duration(tally.remaining / requests_per_s) if requests_per_s > 0 else "?"
    facts = (
        f" {format_count(tally.done)}/{format_count(tally.total)} {share:.0%}"
        f" | {requests_per_s:,.1f} req/s {format_count(tokens_per_s)} tok/s | ETA {eta}"
        f" | retries {format_count(tally.retries)} errors {format_count(tally.errors)}"
    )
    room = width - len(facts) - 2
    if room < 10:
        return facts.strip()[:width]
    filled = round(room * share)
    return f"[{'#' * filled}{'-' * (room - filled)}]{facts}"


def render_line(tally: Tally, requests_per_s: float, elapsed: float) -> str:
    """The progress line written every few seconds when stderr is not a terminal (a log, CI)."""
    total = max(tally.total, 1)
    eta = format_duration(tally.remaining / requests_per_s) if requests_per_s > 0 else "?"
    return (
        f"openai-actors batch: {tally.done:,}/{tally.total:,} answered ({min(tally.done / total, 1.0):.0%})"
        f" after {format_duration(elapsed)}, {requests_per_s:,.1f} req/s, ETA {eta},"
        f" retries {tally.retries:,}, errors {tally.errors:,}"
    )


def _by_kind(failed: Counter[str]) -> str:
    # Most frequent first: the first kind named is usually the one to fix.
    return ", ".join(
        f"{kind}: {count:,}" for kind, count in sorted(failed.items(), key=lambda kc: (-kc[1], kc[0]))
    )


def render_summary(
    tally: Tally,
    wall: float,
    *,
    sending: float | None = None,
    interrupted: str | None = None,
    stopped: bool = False,
    earlier_failed: Counter[str] | None = None,
    retry_command: str | None = None,
) -> str:
    """The lines printed at the end: counts by outcome, tokens, retries, wall time.

    `wall` is the whole run's; throughput is over `sending` seconds, when given.
    `stopped`: the run gave up early (the fast-fail rule). `earlier_failed` counts by kind the failures earlier runs left in OUTPUT;
    when there are failures, this run's or those, `retry_command` is shown as
    the way to send them again.
    """
    head = f"interrupted ({interrupted})" if interrupted else "stopped early" if stopped else "done"
    lines = [
        f"openai-actors batch: {head} in {format_duration(wall)}",
        f"  requests    {tally.total:,} in INPUT: {tally.answered:,} answered in this run, "
        f"{tally.skipped:,} already answered, {tally.remaining:,} left",
        f"  succeeded   {tally.ok:,}",
    ]
    failures = _by_kind(tally.failed)
    lines.append(f"  failed      {tally.errors:,}" + (f" ({failures})" if failures else ""))
    earlier = sum(earlier_failed.values()) if earlier_failed else 0
    if earlier_failed and earlier:
        lines.append(f"  failed before, in OUTPUT  {earlier:,} ({_by_kind(earlier_failed)})")
    span = wall if sending is None else sending
    rate = tally.answered / span if span > 0 else 0.0
    lines.append(f"  tokens      {tally.tokens:,}")
    lines.append(f"  retries     {tally.retries:,} (429 answers: {tally.rate_limited:,})")
    lines.append(f"  throughput  {rate:,.1f} requests/s")
    if retry_command is not None and (tally.errors or earlier):
        lines.append(
            f"to send the {tally.errors + earlier:,} failed request(s) again, run:\n  {retry_command}"
        )
    return "\n".join(lines)
