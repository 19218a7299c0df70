"""The settings of one invocation, checked and frozen: `Plan`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from .._ratelimit import RateLimit
from ._load import Level, Stop
from ._stats import Slo
from ._workload import Workload

__all__ = ["Backend", "MockSettings", "Plan", "Shape"]

Backend = Literal["asyncio", "trio"]
Shape = Literal["concurrency", "rate", "sweep"]


@dataclass(frozen=True, slots=True)
class MockSettings:
    """The bundled mock server, started when no base URL is given."""

    latency: float = 0.0
    chunk_delay: float = 0.0
    pin: bool = True
    """Server on core 0, this process on the others (Linux, two cores or more, `taskset` present)."""


@dataclass(frozen=True, slots=True)
class Plan:
    base_url: str | None
    """None: start the mock server and use its URL."""
    api_key: str
    max_retries: int
    timeout: float
    mock: MockSettings
    workload: Workload
    shape: Shape
    levels: tuple[Level, ...]
    """One run per level (and per client); more than one only for a sweep."""
    stop: Stop
    warmup: int
    warmup_concurrency: int
    """At most this many warm-up requests in flight (a level's concurrency caps it further)."""
    rate_limit: RateLimit | None
    """This client's rate controller, when any limit is given; None: the client's default."""
    backend: Backend
    compare: tuple[str, ...]
    slo: Slo
    metric_percentiles: tuple[float, ...] = (99.0,)
    """The percentiles of each chosen metric in the vLLM-named figures of the JSON document."""
    percentile_metrics: tuple[str, ...] = ("ttft", "tpot", "itl", "e2el")
    """The metrics (vLLM's names: ttft, tpot, itl, e2el) given mean, median, std and percentiles there."""
    processes: int = 1
    """Client processes per run, each with its own client and a share of the load (`_processes.py`)."""
