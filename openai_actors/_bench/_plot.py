"""`--plot`: a sweep's latency-throughput curves as a PNG (matplotlib, an optional extra, imported here only)."""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from ._runner import Run

__all__ = ["INSTALL", "Point", "available", "curves", "plot_sweep"]

INSTALL: Final = "pip install 'openai-actors[plot]' (or: pip install matplotlib)"


@dataclass(frozen=True, slots=True)
class Point:
    """One run of a sweep: what it achieved, and its latencies in milliseconds."""

    concurrency: int | None
    requests_per_s: float
    p50_ms: float | None
    p99_ms: float | None
    ttft_p50_ms: float | None
    ttft_p99_ms: float | None


def available() -> bool:
    return importlib.util.find_spec("matplotlib") is not None


def curves(runs: Sequence[Run]) -> dict[str, list[Point]]:
    """One curve per client, its points in the order of achieved requests/s (pure)."""
    result: dict[str, list[Point]] = {}
    for run in runs:
        f = run.figures

        def ms(value: float | None) -> float | None:
            return None if value is None else value * 1000

        point = Point(
            concurrency=run.level.concurrency,
            requests_per_s=f.requests_per_s,
            p50_ms=ms(None if f.latency is None else f.latency.p50),
            p99_ms=ms(None if f.latency is None else f.latency.p99),
            ttft_p50_ms=ms(None if f.ttft is None else f.ttft.p50),
            ttft_p99_ms=ms(None if f.ttft is None else f.ttft.p99),
        )
        result.setdefault(run.label, []).append(point)
    for points in result.values():
        points.sort(key=lambda point: point.requests_per_s)
    return result


def plot_sweep(runs: Sequence[Run], path: str, title: str) -> None:
    """Latency (p50 solid, p99 dashed; and TTFT when streamed) against achieved requests/s, into `path`."""
    import matplotlib

    matplotlib.use("Agg")  # files only: no display, no GUI toolkit
    import matplotlib.pyplot as plt

    lines = curves(runs)
    streamed = any(point.ttft_p50_ms is not None for points in lines.values() for point in points)
    figure, axes = plt.subplots(1, 2 if streamed else 1, figsize=(12 if streamed else 7, 5), squeeze=False)
    panels = [("end-to-end latency, ms", "p50_ms", "p99_ms")]
    if streamed:
        panels.append(("time to first token, ms", "ttft_p50_ms", "ttft_p99_ms"))
    for ax, (label, p50, p99) in zip(axes[0], panels, strict=True):
        for client, points in lines.items():
            x = [point.requests_per_s for point in points]
            (line,) = ax.plot(x, [getattr(point, p50) for point in points], marker="o", label=f"{client} p50")
            ax.plot(
                x,
                [getattr(point, p99) for point in points],
                marker="o",
                linestyle="--",
                color=line.get_color(),
                label=f"{client} p99",
            )
            for point in points:
                value = getattr(point, p50)
                if point.concurrency is not None and value is not None:
                    ax.annotate(f"c={point.concurrency}", (point.requests_per_s, value), fontsize=7)
        ax.set_xlabel("achieved requests/s")
        ax.set_ylabel(label)
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=8)
    figure.suptitle(title, fontsize=9)
    figure.tight_layout()
    try:
        figure.savefig(path, dpi=100)
    finally:
        plt.close(figure)
