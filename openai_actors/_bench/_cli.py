"""`openai-actors bench`: the options, checked and turned into a `Plan`; `main` runs it and reports."""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import datetime
import importlib.metadata
import importlib.util
import json
import math
import os
import signal
import sys
import threading
from collections.abc import Iterator, Sequence
from typing import Any, Final

from .._options import parse_base_url
from .._ratelimit import RateLimit
from . import _plot
from ._drivers import CLIENTS, OFFICIAL, OFFICIAL_AIOHTTP
from ._load import Level, Ramp, Stop
from ._plan import MockSettings, Plan, Shape
from ._processes import WorkerFailed, in_processes
from ._progress import Progress
from ._report import Context, document, headline, table
from ._runner import Run, Unreachable, in_this_process, run_plan
from ._server import MockProcess, ServerError, cores_for_mock
from ._stats import METRICS, Slo
from ._workload import DEFAULT_MODELS, Messages, Workload, parse_prompts

__all__ = ["build_parser", "main", "plan_from"]

PROG: Final = "openai-actors bench"
DEFAULT_REQUESTS: Final = 1000
DEFAULT_CONCURRENCY: Final = 32
DEFAULT_API_KEY: Final = "sk-bench"
# Far above any model's context or any client's useful concurrency, and low
# enough that what they ask for (a prompt string, a task per slot) fits in memory.
MAX_PROMPT_TOKENS: Final = 1_000_000
MAX_CONCURRENCY: Final = 1_000_000
# Each is a Python interpreter with a client of its own: more than this on one host is no measurement.
MAX_PROCESSES: Final = 1024
# What each client besides this one needs installed, and how to install it.
_NEEDS: Final = {
    OFFICIAL: (("openai",), "pip install openai"),
    OFFICIAL_AIOHTTP: (("openai", "aiohttp"), "pip install 'openai[aiohttp]'"),
}

_DESCRIPTION = """\
Benchmark an OpenAI-compatible endpoint's throughput and latency through this
client, and check that the client is not the bottleneck (its CPU per request).
Without --base-url it starts the bundled mock server in a process of its own.
"""

_EPILOG = """\
examples:
  openai-actors bench --requests 3000 --concurrency 256 --compare openai,openai-aiohttp
  openai-actors bench --stream --max-tokens 64 --requests 500 --concurrency 64
  openai-actors bench --base-url http://localhost:8000/v1 --model my-model --sweep 1,16,64,256
  openai-actors bench --rate 20 --poisson --duration 60 --slo-ms 2000 --json out.json
  openai-actors bench --stream --num-prompts 500 --request-rate 20 --burstiness 0.5 --max-concurrency 64
  openai-actors bench --stream --random-input-len 512 --random-output-len 128 --random-range-ratio 0.25
      --goodput ttft:500 tpot:50 --metric-percentiles 50,90,99 --save-result --result-filename run.json
  openai-actors bench --stream --sweep 1,8,32,128 --compare openai --plot curve.png
  openai-actors bench --base-url http://localhost:8000/v1 --processes 4 --concurrency 1024 --requests 100000

Figures cover the measured requests (not the warm-up). Rates are per second of
wall time; latency distributions cover the successful requests; percentiles
are nearest-rank. Ratios say how many times better openai_actors is.
"""


# --- argument types ---------------------------------------------------------------


def _int(text: str, least: int, most: int | None = None) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, not {text!r}") from None
    if value < least:
        raise argparse.ArgumentTypeError(f"must be at least {least}, not {value}")
    if most is not None and value > most:
        raise argparse.ArgumentTypeError(f"must be at most {most:,}, not {value:,}")
    return value


def _positive_int(text: str) -> int:
    return _int(text, 1)


def _non_negative_int(text: str) -> int:
    return _int(text, 0)


def _concurrency(text: str) -> int:
    return _int(text, 1, MAX_CONCURRENCY)


def _processes(text: str) -> int:
    return _int(text, 1, MAX_PROCESSES)


def _prompt_tokens(text: str) -> int:
    return _int(text, 1, MAX_PROMPT_TOKENS)


def _float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, not {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a finite number, not {text!r}")
    return value


def _positive_float(text: str) -> float:
    value = _float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be more than 0, not {text}")
    return value


def _non_negative_float(text: str) -> float:
    value = _float(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, not {text}")
    return value


def _rate(text: str) -> float:
    """A positive rate, or 'inf' (as vLLM spells "every request at once")."""
    if text.strip().lower() in ("inf", "infinity"):
        return math.inf
    return _positive_float(text)


def _percents(text: str) -> tuple[float, ...]:
    items = [item.strip() for item in text.split(",")]
    if not all(items):
        raise argparse.ArgumentTypeError(
            f"expected percentages separated by commas, like 50,90,99; not {text!r}"
        )
    percents = tuple(_float(item) for item in items)
    for percent in percents:
        if not 0 < percent <= 100:
            raise argparse.ArgumentTypeError(f"a percentile is more than 0 and at most 100, not {percent:g}")
    return tuple(dict.fromkeys(percents))


def _metrics(text: str) -> tuple[str, ...]:
    names = tuple(dict.fromkeys(item.strip() for item in text.split(",")))
    for name in names:
        if name not in METRICS:
            raise argparse.ArgumentTypeError(f"no metric {name!r}: choose from {', '.join(METRICS)}")
    return names


def _range_ratio(text: str) -> float:
    value = _float(text)
    if not 0 <= value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 0 and less than 1, not {text}")
    return value


_OBJECTIVES: Final = ("ttft", "tpot", "e2el")


def _objective(text: str) -> tuple[str, float]:
    """`ttft:500` -> ("ttft", 500.0): one of vLLM's --goodput objectives."""
    name, colon, value = text.partition(":")
    if not colon or name not in _OBJECTIVES:
        raise argparse.ArgumentTypeError(
            f"expected {', '.join(f'{key}:MS' for key in _OBJECTIVES)}; not {text!r}"
        )
    return name, _positive_float(value)


def _levels(text: str) -> tuple[int, ...]:
    items = [item.strip() for item in text.split(",")]
    if not all(items):
        raise argparse.ArgumentTypeError(
            f"expected concurrencies separated by commas, like 1,16,64; not {text!r}"
        )
    levels = tuple(_concurrency(item) for item in items)
    repeated = sorted({level for level in levels if levels.count(level) > 1})
    if repeated:
        # Each level's runs are paired by level for the ratios: a repeat would pair the wrong ones.
        raise argparse.ArgumentTypeError(f"each concurrency once: {', '.join(map(str, repeated))} repeated")
    return levels


def _clients(text: str) -> tuple[str, ...]:
    names = [item.strip() for item in text.split(",") if item.strip()]
    others = [client for client in CLIENTS if client not in (OFFICIAL, OFFICIAL_AIOHTTP)]
    for name in names:
        if name not in (OFFICIAL, OFFICIAL_AIOHTTP):
            raise argparse.ArgumentTypeError(
                f"cannot compare with {name!r}: choose from {OFFICIAL}, {OFFICIAL_AIOHTTP}"
                + (f" ({', '.join(others)} is the client measured)" if others else "")
            )
    if not names:
        raise argparse.ArgumentTypeError("name at least one client to compare with")
    return tuple(dict.fromkeys(names))


# --- the parser -------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description=_DESCRIPTION,
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    target = parser.add_argument_group("target")
    target.add_argument(
        "--base-url", metavar="URL", help="the server's API base URL (default: start the bundled mock server)"
    )
    target.add_argument(
        "--api-key", metavar="KEY", help=f"default: $OPENAI_API_KEY, else {DEFAULT_API_KEY!r}"
    )
    target.add_argument(
        "--model",
        metavar="NAME",
        help=f"default: {DEFAULT_MODELS['chat']} (chat), {DEFAULT_MODELS['embeddings']} (embeddings)",
    )
    target.add_argument(
        "--max-retries",
        type=_non_negative_int,
        default=2,
        metavar="N",
        help="per client (default: %(default)s)",
    )
    target.add_argument(
        "--timeout",
        type=_positive_float,
        default=600.0,
        metavar="S",
        help="seconds per request (default: %(default)g)",
    )
    target.add_argument(
        "--mock-latency",
        type=_non_negative_float,
        metavar="S",
        help="the mock server waits S s before answering",
    )
    target.add_argument(
        "--mock-chunk-delay",
        type=_non_negative_float,
        metavar="S",
        help="the mock server waits S s between chunks",
    )
    target.add_argument(
        "--no-pin",
        action="store_true",
        help="do not pin the mock server to core 0 and this process to the others",
    )

    workload = parser.add_argument_group("workload")
    workload.add_argument(
        "--endpoint", choices=("chat", "embeddings"), default="chat", help="the API to call (default: chat)"
    )
    workload.add_argument(
        "--prompt-tokens",
        "--random-input-len",
        dest="prompt_tokens",
        type=_prompt_tokens,
        default=64,
        metavar="N",
        help="prompt size, at ~4 characters per token (default: %(default)s)",
    )
    workload.add_argument(
        "--max-tokens",
        "--random-output-len",
        dest="max_tokens",
        type=_positive_int,
        metavar="N",
        help="chat: max_tokens of each request (default: 64)",
    )
    workload.add_argument(
        "--prompts",
        "--dataset-path",
        dest="prompts",
        metavar="FILE",
        help="real prompts, sent in turn: JSON Lines (strings, {prompt}, {messages}) or a ShareGPT JSON file",
    )
    workload.add_argument(
        "--random-range-ratio",
        type=_range_ratio,
        default=0.0,
        metavar="R",
        help="draw each request's prompt size and max_tokens from N * (1 - R) to N * (1 + R) (default: 0)",
    )
    workload.add_argument(
        "--ignore-eos",
        action="store_true",
        help="chat: send ignore_eos (vLLM and compatible servers) so replies are max_tokens long",
    )
    workload.add_argument("--stream", action="store_true", help="chat: stream the replies (SSE)")
    workload.add_argument(
        "--requests",
        "--num-prompts",
        dest="requests",
        type=_positive_int,
        metavar="N",
        help=f"requests per run (default: {DEFAULT_REQUESTS})",
    )
    workload.add_argument(
        "--duration",
        type=_positive_float,
        metavar="S",
        help="stop starting requests after S seconds (those in flight finish)",
    )
    workload.add_argument(
        "--warmup",
        "--num-warmups",
        dest="warmup",
        type=_non_negative_int,
        default=10,
        metavar="N",
        help="requests sent before each run, excluded from every figure (default: %(default)s)",
    )

    load = parser.add_argument_group("load shape (--concurrency or --rate or both, or --sweep)")
    shape = load.add_mutually_exclusive_group()
    load.add_argument(
        "--concurrency",
        "--max-concurrency",
        dest="concurrency",
        type=_concurrency,
        metavar="C",
        help=f"C requests always in flight (default: {DEFAULT_CONCURRENCY}); with --rate: at most C",
    )
    shape.add_argument(
        "--rate",
        "--request-rate",
        dest="rate",
        type=_rate,
        metavar="R",
        help="start R requests per second, however many are in flight ('inf': all at once)",
    )
    shape.add_argument(
        "--sweep", type=_levels, metavar="C,C,...", help="one run per concurrency, e.g. 1,16,64,256"
    )
    load.add_argument(
        "--ramp-up-strategy",
        choices=("linear", "exponential"),
        help="instead of --rate: a rate that ramps over the run, from --ramp-up-start-rps to --ramp-up-end-rps",
    )
    load.add_argument("--ramp-up-start-rps", type=_positive_float, metavar="R", help="the ramp's first rate")
    load.add_argument("--ramp-up-end-rps", type=_positive_float, metavar="R", help="the ramp's last rate")
    load.add_argument(
        "--burstiness",
        type=_positive_float,
        metavar="B",
        help="with --rate: gamma-distributed gaps between arrivals, of shape B (1: Poisson; below 1: burstier)",
    )
    load.add_argument("--poisson", action="store_true", help="with --rate: exponential gaps (--burstiness 1)")
    load.add_argument(
        "--seed", type=int, metavar="N", help="with --poisson or --burstiness: the random seed (default: 0)"
    )

    pacing = parser.add_argument_group("rate control (openai_actors.RateLimit)")
    pacing.add_argument("--rpm", type=_positive_float, metavar="N", help="requests per minute")
    pacing.add_argument("--tpm", type=_positive_float, metavar="N", help="tokens per minute")
    pacing.add_argument(
        "--max-in-flight", type=_positive_int, metavar="N", help="requests in flight, at most"
    )

    clients = parser.add_argument_group("clients")
    clients.add_argument(
        "--backend",
        choices=("asyncio", "trio"),
        default="asyncio",
        help="for openai_actors (default: asyncio)",
    )
    clients.add_argument(
        "--processes",
        type=_processes,
        default=1,
        metavar="N",
        help="N client processes, each with its own client and a 1/N share of the concurrency, rate, "
        "requests and limits (warm-up: per process); one table over all their requests (default: 1)",
    )
    clients.add_argument(
        "--compare",
        type=_clients,
        metavar="CLIENTS",
        help=f"also run the official client, after this one: {OFFICIAL}, {OFFICIAL_AIOHTTP}, or both (comma list)",
    )

    report = parser.add_argument_group("report")
    report.add_argument(
        "--slo-ms", type=_positive_float, metavar="MS", help="goodput: end-to-end latency objective"
    )
    report.add_argument(
        "--slo-ttft-ms",
        type=_positive_float,
        metavar="MS",
        help="goodput (with --stream): time-to-first-token objective",
    )
    report.add_argument(
        "--goodput",
        type=_objective,
        nargs="+",
        metavar="KEY:MS",
        help="goodput objectives as vLLM spells them: ttft:MS, tpot:MS (with --stream), e2el:MS",
    )
    report.add_argument(
        "--metric-percentiles",
        type=_percents,
        default=(99.0,),
        metavar="P,P,...",
        help="JSON: the percentiles of each --percentile-metrics figure, as vLLM's keys p99_ttft_ms... (default: 99)",
    )
    report.add_argument(
        "--percentile-metrics",
        type=_metrics,
        default=tuple(METRICS),
        metavar="M,M,...",
        help=f"JSON: the figures given mean, median, std and percentiles (default: {','.join(METRICS)})",
    )
    report.add_argument(
        "--json",
        "--result-filename",
        dest="json",
        metavar="FILE",
        help="also write the results as JSON to FILE ('-': stdout)",
    )
    report.add_argument(
        "--save-result",
        action="store_true",
        help="write the JSON to the --json file, else to openai-actors-bench-<time>.json here",
    )
    report.add_argument(
        "--plot",
        metavar="FILE",
        help="with --sweep: draw latency against achieved requests/s into FILE (PNG; needs matplotlib)",
    )
    report.add_argument("--quiet", action="store_true", help="no progress line")
    return parser


def plan_from(args: argparse.Namespace, parser: argparse.ArgumentParser) -> Plan:
    """The plan the options describe; an option that contradicts another is an error (exit 2)."""
    chat = args.endpoint == "chat"
    if not chat and args.stream:
        parser.error("--stream applies to --endpoint chat only")
    if not chat and args.max_tokens is not None:
        parser.error("--max-tokens applies to --endpoint chat only")
    objectives = dict(args.goodput or ())
    if len(objectives) < len(args.goodput or ()):
        parser.error("--goodput: each of ttft, tpot, e2el once")
    for name, option in (("ttft", "--slo-ttft-ms"), ("e2el", "--slo-ms")):
        given = getattr(args, option[2:].replace("-", "_"))
        if given is not None and name in objectives:
            parser.error(f"--goodput {name}: and {option} are the same objective: give one")
        if given is not None:
            objectives[name] = given
    if args.slo_ttft_ms is not None and not args.stream:
        parser.error("--slo-ttft-ms needs --stream (time to first token is measured on streams)")
    if not args.stream and {"ttft", "tpot"} & set(objectives):
        parser.error("--goodput ttft: and tpot: need --stream (token times are measured on streams)")
    ramp_options = (args.ramp_up_strategy, args.ramp_up_start_rps, args.ramp_up_end_rps)
    ramp: Ramp | None = None
    if any(option is not None for option in ramp_options):
        if any(option is None for option in ramp_options):
            parser.error("--ramp-up-strategy, --ramp-up-start-rps and --ramp-up-end-rps go together")
        if args.rate is not None or args.sweep is not None:
            parser.error("--ramp-up-strategy replaces --rate and --sweep: give one")
        if args.requests is None and args.duration is not None:
            parser.error("--ramp-up-strategy needs --requests: the ramp spans them")
        ramp = Ramp(args.ramp_up_strategy, args.ramp_up_start_rps, args.ramp_up_end_rps)
        args.rate = ramp.end
    if args.concurrency is not None and args.sweep is not None:
        parser.error("argument --sweep: not allowed with argument --concurrency")
    if args.poisson and args.burstiness is not None:
        parser.error("--poisson is --burstiness 1: give one of them")
    random_gaps = "--poisson" if args.poisson else "--burstiness" if args.burstiness is not None else None
    if random_gaps is not None and args.rate is None:
        parser.error(f"{random_gaps} needs --rate")
    if random_gaps is not None and args.rate == math.inf:
        parser.error(f"{random_gaps} needs a finite --rate (with 'inf' every request starts at once)")
    if args.seed is not None and random_gaps is None and not args.random_range_ratio:
        parser.error("--seed applies to --poisson or --burstiness arrivals and --random-range-ratio only")
    prompts: tuple[Messages, ...] = ()
    if args.prompts is not None:
        if args.random_range_ratio:
            parser.error("--random-range-ratio draws generated prompts' sizes; --prompts gives the prompts")
        try:
            with open(args.prompts, encoding="utf-8") as file:
                prompts = parse_prompts(file.read())
        except OSError as exc:
            parser.error(f"--prompts {args.prompts}: {exc.strerror or exc}")
        except (ValueError, UnicodeDecodeError) as exc:
            parser.error(f"--prompts {args.prompts}: {exc}")
    if not chat and args.ignore_eos:
        parser.error("--ignore-eos applies to --endpoint chat only")
    if args.mock_chunk_delay is not None and not args.stream:
        parser.error("--mock-chunk-delay applies to --stream only (it spaces a stream's chunks)")
    if args.base_url is not None:
        try:
            parse_base_url(args.base_url)
        except ValueError as exc:
            parser.error(f"--base-url: {exc}")
    if args.base_url is not None and (args.mock_latency is not None or args.mock_chunk_delay is not None):
        parser.error("--mock-latency and --mock-chunk-delay apply to the mock server, not to --base-url")
    if args.save_result and args.json is None:
        stamp = datetime.datetime.now(datetime.UTC).strftime("%Y%m%d-%H%M%S")
        args.json = f"openai-actors-bench-{stamp}.json"
    if args.json not in (None, "-"):
        problem = _unwritable(args.json)
        if problem is not None:
            parser.error(f"--json {args.json}: {problem}")
    if args.plot is not None:
        if args.sweep is None:
            parser.error("--plot draws a sweep's curve: it needs --sweep")
        if not _plot.available():
            parser.error(f"--plot needs matplotlib, which is not installed: {_plot.INSTALL}")
        problem = _unwritable(args.plot)
        if problem is not None:
            parser.error(f"--plot {args.plot}: {problem}")
    if args.backend == "trio" and importlib.util.find_spec("trio") is None:
        parser.error("--backend trio needs trio installed (pip install trio)")
    shape: Shape
    if args.sweep is not None:
        shape, levels = "sweep", tuple(Level(concurrency=c) for c in args.sweep)
    elif args.rate == math.inf:
        # Every request due at once: as many in flight as there are requests.
        if args.requests is None and args.concurrency is None:
            parser.error("--rate inf needs --requests (or a concurrency cap): every request starts at once")
        all_at_once = min(args.requests or MAX_CONCURRENCY, args.concurrency or MAX_CONCURRENCY)
        shape, levels = "concurrency", (Level(concurrency=all_at_once),)
    elif args.rate is not None:
        burstiness = 1.0 if args.poisson else args.burstiness
        level = Level(
            concurrency=args.concurrency,
            rate=args.rate,
            burstiness=burstiness,
            seed=args.seed or 0,
            ramp=ramp,
        )
        shape, levels = "rate", (level,)
    else:
        shape, levels = "concurrency", (Level(concurrency=args.concurrency or DEFAULT_CONCURRENCY),)
    requests = args.requests
    if requests is None and args.duration is None:
        requests = DEFAULT_REQUESTS
    if requests is not None:
        # More in flight than requests in the run would only be idle workers,
        # and a level that claims what it never reached.
        capped = (
            dataclasses.replace(level, concurrency=min(level.concurrency, requests))
            if level.concurrency is not None
            else level
            for level in levels
        )
        levels = tuple(dict.fromkeys(capped))  # a sweep's levels above N all become N: once
    _check_processes(args, parser, levels, requests)
    limits = (args.rpm, args.tpm, args.max_in_flight)
    rate_limit = None
    if any(limit is not None for limit in limits):
        rate_limit = RateLimit(
            requests_per_minute=args.rpm, tokens_per_minute=args.tpm, max_in_flight=args.max_in_flight
        )
    return Plan(
        base_url=args.base_url,
        api_key=args.api_key or os.environ.get("OPENAI_API_KEY") or DEFAULT_API_KEY,
        max_retries=args.max_retries,
        timeout=args.timeout,
        mock=MockSettings(args.mock_latency or 0.0, args.mock_chunk_delay or 0.0, pin=not args.no_pin),
        workload=Workload(
            endpoint=args.endpoint,
            model=args.model or DEFAULT_MODELS[args.endpoint],
            prompt_tokens=args.prompt_tokens,
            max_tokens=(args.max_tokens or 64) if chat else None,
            stream=args.stream,
            range_ratio=args.random_range_ratio,
            seed=args.seed or 0,
            ignore_eos=args.ignore_eos,
            prompts=prompts,
        ),
        shape=shape,
        levels=levels,
        stop=Stop(requests, args.duration),
        warmup=args.warmup,
        warmup_concurrency=args.concurrency or DEFAULT_CONCURRENCY,
        rate_limit=rate_limit,
        backend=args.backend,
        compare=args.compare or (),
        slo=Slo(objectives.get("e2el"), objectives.get("ttft"), objectives.get("tpot")),
        metric_percentiles=args.metric_percentiles,
        percentile_metrics=args.percentile_metrics,
        processes=args.processes,
    )


def _check_processes(
    args: argparse.Namespace, parser: argparse.ArgumentParser, levels: Sequence[Level], requests: int | None
) -> None:
    """With --processes N, every part that is shared out must give each process at least one."""
    count = args.processes
    if count == 1:
        return
    smallest = min((level.concurrency for level in levels if level.concurrency is not None), default=None)
    if requests is not None and requests < count:
        parser.error(f"--processes {count} shares out the requests: --requests must be at least {count}")
    if smallest is not None and smallest < count:
        what = "the smallest --sweep level" if args.sweep is not None else "--concurrency"
        parser.error(
            f"--processes {count} shares out the concurrency: each process needs one in flight at least, "
            f"so {what} must be at least {count}, not {smallest}"
        )
    if args.max_in_flight is not None and args.max_in_flight < count:
        parser.error(f"--processes {count} shares out --max-in-flight: it must be at least {count}")


# --- running -----------------------------------------------------------------------------


def _unwritable(path: str) -> str | None:
    """Why the JSON could not be written to `path` once the run is over, or None if it can."""
    if os.path.isdir(path):
        return "is a directory"
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        return f"no directory {directory}"
    existed = os.path.exists(path)
    try:
        with open(path, "a", encoding="utf-8"):
            pass
    except OSError as exc:
        return exc.strerror or str(exc)
    if not existed:
        os.remove(path)  # written for real only when there is something to write
    return None


def _missing(compare: Sequence[str]) -> str | None:
    """What a client to compare with needs and is not installed, as a message; None if nothing."""
    for client in compare:
        modules, install = _NEEDS[client]
        absent = [module for module in modules if importlib.util.find_spec(module) is None]
        if absent:
            return (
                f"{PROG}: --compare {client} needs the {' and '.join(absent)} package(s), "
                f"which are not installed: {install}"
            )
    return None


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


@contextlib.contextmanager
def _sigterm_interrupts() -> Iterator[None]:
    """SIGTERM stops the run as Ctrl-C does, so the mock server is stopped on the way out."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _target(plan: Plan, stack: contextlib.ExitStack, argv: Sequence[str]) -> Context:
    """The URL to benchmark, starting the mock server (and splitting the cores) when none was given."""
    server_core: int | None = None
    client_cores: tuple[int, ...] | None = None
    base_url = plan.base_url
    if base_url is None:
        split = cores_for_mock() if plan.mock.pin else None
        if split is not None:
            server_core, cores = split
            client_cores = tuple(sorted(cores))
        base_url = stack.enter_context(
            MockProcess(latency=plan.mock.latency, chunk_delay=plan.mock.chunk_delay, core=server_core)
        )
        if client_cores is not None:
            original = os.sched_getaffinity(0)
            os.sched_setaffinity(0, client_cores)
            stack.callback(os.sched_setaffinity, 0, original)
    return Context(
        base_url=base_url,
        mock=plan.base_url is None,
        server_core=server_core,
        client_cores=client_cores,
        started_at=datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        argv=tuple(argv),
        openai_version=_version("openai") if plan.compare else None,
    )


def _version(package: str) -> str | None:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return None


def _write_json(path: str, data: dict[str, Any]) -> None:
    text = json.dumps(data, indent=2, allow_nan=False) + "\n"
    if path == "-":
        sys.stdout.write(text)
        return
    with open(path, "w", encoding="utf-8") as file:
        file.write(text)


def _all_failed(runs: Sequence[Run]) -> list[str]:
    return [
        f"{run.level.label}, {run.label}: every one of {run.figures.requests:,} requests failed "
        f"({', '.join(f'{kind} x {count}' for kind, count in run.figures.errors.items())})"
        for run in runs
        if run.figures.ok == 0
    ]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark the options describe; print the table (and write the JSON); the exit status."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    args = parser.parse_args(args_list)
    plan = plan_from(args, parser)
    missing = _missing(plan.compare)
    if missing is not None:
        print(missing, file=sys.stderr)
        return 2
    progress = Progress(sys.stderr, enabled=not args.quiet and sys.stderr.isatty())
    runs: list[Run] = []
    context: Context | None = None
    stopped: str | None = None  # why the plan did not run to its end
    status = 0
    try:
        with _sigterm_interrupts(), contextlib.ExitStack() as stack:
            context = _target(plan, stack, args_list)
            run_one = in_processes if plan.processes > 1 else in_this_process
            run_plan(plan, context.base_url, progress, runs, run_one)
    except KeyboardInterrupt:
        stopped, status = "interrupted", 130
    except (Unreachable, ServerError, WorkerFailed) as error:
        stopped, status = str(error), 1
    if stopped is not None:
        progress.clear()
    if context is not None and runs:
        # What was measured before the stop is still reported, and marked as such.
        to_stdout = args.json != "-"
        print(table(plan, context, runs, stopped), end="", file=sys.stdout if to_stdout else sys.stderr)
        if args.json is not None:
            try:
                _write_json(args.json, document(plan, context, runs, stopped))
            except OSError as exc:
                print(f"{PROG}: could not write --json {args.json}: {exc.strerror or exc}", file=sys.stderr)
                status = status or 1
    if args.plot is not None and context is not None and runs:
        title = headline(plan, context).splitlines()[0]
        try:
            _plot.plot_sweep(runs, args.plot, title)
        except OSError as exc:
            print(f"{PROG}: could not write --plot {args.plot}: {exc.strerror or exc}", file=sys.stderr)
            status = status or 1
    if stopped is not None:
        print(f"{PROG}: {stopped}", file=sys.stderr)
        return status
    failures = _all_failed(runs)
    for failure in failures:
        print(f"{PROG}: {failure}", file=sys.stderr)
    return 1 if failures else status
