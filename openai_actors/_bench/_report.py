"""The results, for people (an aligned table) and for machines (a JSON document).

Units: the table shows milliseconds and microseconds; the JSON document keeps
seconds (`*_s`) except where a name says otherwise (`cpu_us_per_request`).
A figure a client cannot give (the official client's queue time) or a run
does not have (time to first token without streaming) is "n/a" in the table
and null in the document.
"""

from __future__ import annotations

import dataclasses
import os
import platform
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final

from .._version import __version__
from ._drivers import ACTORS
from ._load import Level
from ._plan import Plan
from ._runner import Run
from ._stats import METRICS, PERCENTILES, Figures, Summary, ratios

__all__ = [
    "CPU_BOUND_SHARE",
    "SCHEMA",
    "Context",
    "comparisons",
    "cpu_bound_notes",
    "document",
    "headline",
    "table",
]

SCHEMA: Final = "openai-actors-bench/1"
NA: Final = "n/a"
# The share of one core above which the client (one event loop, so one core) is the limit:
# the server might answer faster than this run says.
CPU_BOUND_SHARE: Final = 0.9


@dataclass(frozen=True, slots=True)
class Context:
    """Facts about the invocation that the plan does not hold."""

    base_url: str
    mock: bool
    server_core: int | None
    client_cores: tuple[int, ...] | None
    started_at: str
    argv: tuple[str, ...]
    openai_version: str | None


# --- the comparisons ----------------------------------------------------------


def comparisons(runs: Sequence[Run]) -> list[tuple[Run, Run, dict[str, float | None]]]:
    """(this client's run, the other client's run, ratios) for every other client's run, at the same level.

    Only whole runs: a run cut short is not compared with anything.
    """
    ours = {run.level: run for run in runs if run.client == ACTORS and run.complete}
    result = []
    for run in runs:
        baseline = ours.get(run.level)
        if run.client != ACTORS and run.complete and baseline is not None:
            result.append((baseline, run, ratios(baseline.figures, run.figures)))
    return result


# --- the table ------------------------------------------------------------------


def _ms(summary: Summary | None, stat: str) -> str:
    return NA if summary is None else _milliseconds(float(getattr(summary, stat)))


def _milliseconds(seconds: float) -> str:
    milliseconds = seconds * 1000
    if milliseconds < 1:
        return f"{milliseconds:.3f}"
    if milliseconds < 10:
        return f"{milliseconds:.2f}"
    if milliseconds < 100:
        return f"{milliseconds:.1f}"
    return f"{milliseconds:,.0f}"


def _rate(value: float | None) -> str:
    if value is None:
        return NA
    if value >= 100:
        return f"{value:,.0f}"
    return f"{value:.1f}" if value >= 10 else f"{value:.2f}"


def _us(value: float | None) -> str:
    return NA if value is None else f"{value:,.0f}"


def _times(value: float | None) -> str:
    return NA if value is None else f"{value:.2f}x"


def _aligned(header: Sequence[str], rows: Sequence[Sequence[str]], left: int) -> list[str]:
    """Columns padded to their widest cell; the first `left` columns flush left, the rest right."""
    widths = [max(len(row[i]) for row in (header, *rows)) for i in range(len(header))]

    def line(cells: Sequence[str]) -> str:
        padded = (
            cell.ljust(width) if i < left else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(cells, widths, strict=True))
        )
        return "  ".join(padded).rstrip()

    return [line(header), line(["-" * width for width in widths]), *(line(row) for row in rows)]


def headline(plan: Plan, context: Context) -> str:
    workload = plan.workload
    what: list[str] = [workload.endpoint]
    if workload.stream:
        what.append("streamed")
    spread = f" +-{workload.range_ratio:.0%}" if workload.range_ratio else ""
    if workload.prompts:
        what.append(f"{len(workload.prompts):,} prompts from a file")
    else:
        what.append(f"prompt ~{workload.prompt_tokens:,} tokens{spread}")
    if workload.endpoint == "chat" and workload.max_tokens is not None:
        what.append(f"max_tokens {workload.max_tokens:,}{spread}")
    if workload.ignore_eos:
        what.append("ignore_eos")
    what.append(f"model {workload.model}")
    stop = plan.stop
    amount = []
    if stop.requests is not None:
        amount.append(f"{stop.requests:,} requests")
    if stop.duration is not None:
        amount.append(f"{stop.duration:g} s")
    amount_text = " or ".join(amount) + f" per run after {plan.warmup:,} warm-up"
    if plan.processes > 1:
        amount_text += f" per process; {plan.processes} client processes sharing the load"
    where = f"mock server at {context.base_url}" if context.mock else context.base_url
    if context.server_core is not None and context.client_cores is not None:
        cores = ",".join(str(core) for core in sorted(context.client_cores))
        where += f" (server on core {context.server_core}, client on core {cores})"
    if plan.rate_limit is not None:
        limits = [
            f"{name} {value:g}"
            for name, value in (
                ("rpm", plan.rate_limit.requests_per_minute),
                ("tpm", plan.rate_limit.tokens_per_minute),
                ("max in flight", plan.rate_limit.max_in_flight),
            )
            if value is not None
        ]
        where += f"; openai_actors paced: {', '.join(limits)}"
    return f"{', '.join(what)}; {amount_text}; max_retries {plan.max_retries}\ntarget: {where}"


# (header, the cell of a run's figures, the key of its ratio or None)
_Column = tuple[str, Callable[[Figures], str], str | None]


def _columns(plan: Plan) -> list[_Column]:
    """The figures the main table shows, for this workload."""
    columns: list[_Column] = [("req/s", lambda f: _rate(f.requests_per_s), "requests_per_s")]
    if plan.slo.given:
        columns.append(("goodput/s", lambda f: _rate(f.goodput_per_s), "goodput_per_s"))
    if plan.workload.endpoint == "chat":
        columns.append(("out tok/s", lambda f: _rate(f.output_tokens_per_s), "output_tokens_per_s"))
    else:
        columns.append(("in tok/s", lambda f: _rate(f.input_tokens_per_s), "input_tokens_per_s"))
    columns += [
        ("CPU us/req", lambda f: _us(f.cpu_us_per_request), "cpu_per_request"),
        ("CPU %", lambda f: f"{f.cpu_share:.0%}", None),
        ("e2e p50 ms", lambda f: _ms(f.latency, "p50"), "latency_p50"),
        ("e2e p99 ms", lambda f: _ms(f.latency, "p99"), "latency_p99"),
    ]
    if plan.workload.stream:
        columns += [
            ("TTFT p50 ms", lambda f: _ms(f.ttft, "p50"), "ttft_p50"),
            ("TPOT p50 ms", lambda f: _ms(f.tpot, "p50"), "tpot_p50"),
            ("ITL p50 ms", lambda f: _ms(f.itl, "p50"), "itl_p50"),
        ]
    columns.append(("queued p50 ms", lambda f: _ms(f.queued, "p50"), None))
    return columns


def table(plan: Plan, context: Context, runs: Sequence[Run], stopped: str | None = None) -> str:
    """The results as aligned text: one row per run, ratio rows, latency distributions, errors.

    `stopped`: why the plan ended early, if it did (the runs are what was measured before).
    """
    columns = _columns(plan)
    header = ["load", "client", "ok", "errors", *(name for name, _, _ in columns)]
    ratio_of = {id(theirs): ratio for _, theirs, ratio in comparisons(runs)}
    rows: list[list[str]] = []
    for run in runs:
        f = run.figures
        label = run.label if run.complete else f"{run.label} (cut short)"
        rows.append(
            [run.level.label, label, f"{f.ok:,}", f"{f.failed:,}", *(cell(f) for _, cell, _ in columns)]
        )
        ratio = ratio_of.get(id(run))
        if ratio is not None:
            cells = (_times(ratio[key]) if key else "" for _, _, key in columns)
            rows.append(["", f"  {ACTORS} ratio", "", "", *cells])
    lines = [headline(plan, context), "", *_aligned(header, rows, left=2)]
    if ratio_of:
        lines.append(
            f"ratio: times better for {ACTORS} (rates: ours / theirs; CPU and latencies: theirs / ours)"
        )
    lines += ["", "latency, ms", *_distributions(runs, plan.workload.stream, plan.metric_percentiles)]
    errors = _errors(runs)
    if errors:
        lines += ["", "errors", *errors]
    if plan.rate_limit is not None and plan.compare:
        lines += [
            "",
            "note: --rpm/--tpm/--max-in-flight pace openai_actors only (the official client has none)",
        ]
    learned = next((run.learned_limits for run in runs if run.learned_limits is not None), None)
    if learned is not None and plan.compare:
        announced = ", ".join(
            f"{value:,.0f} {unit}/min"
            for value, unit in (
                (learned.requests_per_minute, "requests"),
                (learned.tokens_per_minute, "tokens"),
            )
            if value is not None
        )
        lines += [
            "",
            f"note: the server announced rate limits ({announced}) and openai_actors paced itself to them; "
            "the official client does not pace",
        ]
    if any(run.processes > 1 and run.learned_limits is not None for run in runs):
        lines += [
            "",
            "note: each client process paced itself to the whole limit the server announced, "
            "not to a share of it: together they may have sent more (and met 429s)",
        ]
    lines += cpu_bound_notes(runs)
    if stopped is not None:
        lines += [
            "",
            f"stopped early ({stopped}): these are the runs measured before; "
            "a run cut short counts the requests that ended before the stop",
        ]
    return "\n".join(lines) + "\n"


def cpu_bound_notes(runs: Sequence[Run]) -> list[str]:
    """A note for each run with a client process that used nearly all of a core: its rates are the client's limit."""
    bound = [run for run in runs if run.busiest_cpu_share >= CPU_BOUND_SHARE]
    if not bound:
        return []
    lines = [""]
    for run in bound:
        if run.processes == 1:
            who, whose = "the client", "this client process's"
        else:
            who, whose = f"the busiest of its {run.processes} client processes", "these client processes'"
        lines.append(
            f"note: {run.level.label}, {run.label}: {who} used {run.busiest_cpu_share:.0%} of a core; "
            f"its rates are {whose} limit, not the server's"
        )
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    lines.append(
        "  remedy: split the load over more client processes with --processes N (one event loop uses "
        f"one core; {cores} cores here), or lower the load, to measure the server"
    )
    return lines


def _distributions(runs: Sequence[Run], stream: bool, percents: Sequence[float]) -> list[str]:
    fixed = {percent for _, percent in PERCENTILES}
    extra = [percent for percent in percents if percent not in fixed]  # asked for with --metric-percentiles
    header = [
        "load",
        "client",
        "figure",
        "n",
        "mean",
        "std",
        *(name.replace("_", ".") for name, _ in PERCENTILES),
    ]
    header += [f"p{_percent_word(percent)}" for percent in extra]
    header += ["max"]
    rows: list[list[str]] = []
    for run in runs:
        f = run.figures
        parts: list[tuple[str, Summary | None]] = [("end to end", f.latency)]
        if stream:
            parts += [("time to first token", f.ttft), ("per output token", f.tpot), ("inter-token", f.itl)]
        parts += [("queued in client", f.queued)]
        for index, (name, summary) in enumerate(parts):
            first = index == 0
            count = NA if summary is None else f"{summary.count:,}"
            row = [run.level.label if first else "", run.label if first else "", name, count]
            row += [_ms(summary, stat) for stat in ("mean", "std", *(n for n, _ in PERCENTILES))]
            chosen = {} if summary is None else dict(summary.chosen)
            row += [NA if percent not in chosen else _milliseconds(chosen[percent]) for percent in extra]
            row.append(_ms(summary, "max"))
            rows.append(row)
    return _aligned(header, rows, left=3)


def _errors(runs: Sequence[Run]) -> list[str]:
    lines = []
    for run in runs:
        for kind, count in run.figures.errors.items():
            example = run.error_examples.get(kind, "")
            lines.append(f"{run.level.label}, {run.label}: {kind} x {count:,}: {example}")
    return lines


# --- the JSON document ---------------------------------------------------------------


def _summary(summary: Summary | None) -> dict[str, Any] | None:
    if summary is None:
        return None
    fields = dataclasses.asdict(summary)
    del fields["chosen"]  # in the vLLM-named figures instead
    return fields


def _percent_word(percent: float) -> str:
    """99 -> "99", 99.9 -> "99.9": as vLLM writes a percentile into its keys."""
    return str(int(percent)) if int(percent) == percent else str(percent)


def vllm_figures(plan: Plan, run: Run) -> dict[str, Any]:
    """The run's figures under the keys of vLLM's `bench serve` result, where they mean the same.

    Latencies in milliseconds; a metric this run does not have (TTFT without
    streaming) is null. Percentiles are nearest-rank (vLLM interpolates).
    """
    f = run.figures
    level = run.level
    result: dict[str, Any] = {
        "duration": f.wall_s,
        "completed": f.ok,
        "total_input_tokens": f.input_tokens,
        "total_output_tokens": f.output_tokens,
        "request_throughput": f.requests_per_s,
        "request_goodput": f.goodput_per_s,
        "output_throughput": f.output_tokens_per_s,
        "total_token_throughput": f.input_tokens_per_s + f.output_tokens_per_s,
        "max_concurrency": level.concurrency,
        "request_rate": level.rate,
        "burstiness": level.burstiness,
        "ramp_up_strategy": None if level.ramp is None else level.ramp.strategy,
        "ramp_up_start_rps": None if level.ramp is None else level.ramp.start,
        "ramp_up_end_rps": None if level.ramp is None else level.ramp.end,
    }
    for metric in plan.percentile_metrics:
        summary: Summary | None = getattr(f, METRICS[metric])
        for stat in ("mean", "median", "std"):
            result[f"{stat}_{metric}_ms"] = None if summary is None else getattr(summary, stat) * 1000.0
        chosen = {} if summary is None else dict(summary.chosen)
        for percent in plan.metric_percentiles:
            value = chosen.get(percent)
            result[f"p{_percent_word(percent)}_{metric}_ms"] = None if value is None else value * 1000.0
    return result


def _level(level: Level) -> dict[str, Any]:
    return {"concurrency": level.concurrency, "rate": level.rate}


def _run(plan: Plan, run: Run) -> dict[str, Any]:
    f = run.figures
    return {
        "client": run.client,
        "backend": run.backend,
        "complete": run.complete,
        "learned_limits": None
        if run.learned_limits is None
        else {
            "requests_per_minute": run.learned_limits.requests_per_minute,
            "tokens_per_minute": run.learned_limits.tokens_per_minute,
        },
        **_level(run.level),
        "processes": run.processes,
        "process_cpu_shares": list(run.process_cpu_shares) or None,
        "requests": f.requests,
        "ok": f.ok,
        "failed": f.failed,
        "errors": dict(f.errors),
        "error_examples": {kind: run.error_examples.get(kind, "") for kind in f.errors},
        "wall_s": f.wall_s,
        "cpu_s": f.cpu_s,
        "cpu_us_per_request": f.cpu_us_per_request,
        "cpu_share": f.cpu_share,
        "cpu_bound": f.cpu_share >= CPU_BOUND_SHARE,
        "requests_per_s": f.requests_per_s,
        "goodput_per_s": f.goodput_per_s,
        "slo_met": f.slo_met,
        "output_tokens": f.output_tokens,
        "output_tokens_per_s": f.output_tokens_per_s,
        "input_tokens": f.input_tokens,
        "input_tokens_per_s": f.input_tokens_per_s,
        "latency_s": _summary(f.latency),
        "ttft_s": _summary(f.ttft),
        "itl_s": _summary(f.itl),
        "tpot_s": _summary(f.tpot),
        "queued_s": _summary(f.queued),
        **vllm_figures(plan, run),
    }


def document(plan: Plan, context: Context, runs: Sequence[Run], stopped: str | None = None) -> dict[str, Any]:
    """Everything measured, and everything needed to say how, as JSON-ready data (`stopped`: see `table`)."""
    workload = plan.workload
    rate_limit = plan.rate_limit
    first = plan.levels[0]
    return {
        "schema": SCHEMA,
        "started_at": context.started_at,
        "argv": list(context.argv),
        "versions": {
            "openai_actors": __version__,
            "openai": context.openai_version,
            "python": platform.python_version(),
        },
        "platform": {"system": sys.platform, "machine": platform.machine(), "cpu_count": os.cpu_count()},
        "target": {
            "base_url": context.base_url,
            "mock": context.mock,
            "mock_latency_s": plan.mock.latency if context.mock else None,
            "mock_chunk_delay_s": plan.mock.chunk_delay if context.mock else None,
            "server_core": context.server_core,
            "client_cores": None if context.client_cores is None else sorted(context.client_cores),
            "max_retries": plan.max_retries,
            "timeout_s": plan.timeout,
        },
        "workload": {
            "endpoint": workload.endpoint,
            "model": workload.model,
            "prompt_tokens": None if workload.prompts else workload.prompt_tokens,
            "prompts": len(workload.prompts) or None,
            "max_tokens": workload.max_tokens,
            "stream": workload.stream,
            "random_range_ratio": workload.range_ratio,
            "ignore_eos": workload.ignore_eos,
            "seed": workload.seed,
            "requests": plan.stop.requests,
            "duration_s": plan.stop.duration,
            "warmup": plan.warmup,
        },
        "load": {
            "shape": plan.shape,
            "processes": plan.processes,
            "concurrency": [level.concurrency for level in plan.levels] if first.concurrency else None,
            "rate": first.rate,
            "poisson": first.poisson,
            "burstiness": first.burstiness,
            "seed": first.seed,
        },
        "rate_limit": None
        if rate_limit is None
        else {
            "requests_per_minute": rate_limit.requests_per_minute,
            "tokens_per_minute": rate_limit.tokens_per_minute,
            "max_in_flight": rate_limit.max_in_flight,
        },
        "slo": {"e2e_ms": plan.slo.e2e_ms, "ttft_ms": plan.slo.ttft_ms, "tpot_ms": plan.slo.tpot_ms},
        "backend": plan.backend,
        "compare": list(plan.compare),
        "stopped": stopped,
        "runs": [_run(plan, run) for run in runs],
        # One run: its figures at the top as well, where vLLM's result has them, for scripts that read those.
        **(vllm_figures(plan, runs[0]) if len(runs) == 1 else {}),
        "comparisons": [
            {"baseline": ACTORS, "client": theirs.client, **_level(theirs.level), "ratios": ratio}
            for _, theirs, ratio in comparisons(runs)
        ],
    }
