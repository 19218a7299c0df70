"""What one request leaves behind: `Record`."""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["Record"]


class Record(NamedTuple):
    """One request's timings and counts; a tuple, so recording one costs a single allocation.

    Times are `time.perf_counter()` seconds. `error` is None on success, else the
    exception's class name (then the other figures are not used).
    """

    start: float
    """Just before the call."""
    end: float
    """Once the response was parsed (a stream: once it ended)."""
    ttft: float | None
    """Seconds from `start` to the first chunk with content; streams only."""
    gaps: list[float] | None
    """Seconds between consecutive chunks with content; streams only."""
    queued: float | None
    """Seconds from the call to its first attempt being sent; None where the client does not say."""
    output_tokens: int
    """`usage.completion_tokens`, else (a stream without usage) the chunks with content."""
    input_tokens: int
    """`usage.prompt_tokens`, 0 when the response has no usage."""
    error: str | None
