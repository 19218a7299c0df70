"""``python -m openai_actors.mock``: serve the mock until Ctrl-C or SIGTERM."""

from __future__ import annotations

import argparse
import asyncio
import math
import random
import signal
import sys
from collections.abc import Callable, Sequence

from .._version import __version__
from ._protocol import ServerState, serve
from ._ratelimit import MODES, Mode
from ._types import Fault, RecordedRequest

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the mock server in the foreground; print its base URL (one line) once listening."""
    args = _parser().parse_args(argv)
    seconds, mode = _window_of(args.window, args.ratelimit_mode)
    state = ServerState(
        latency=args.latency,
        record=not args.no_record,
        stream_first_delay=args.stream_first_delay,
        stream_chunk_delay=args.stream_chunk_delay,
        rate_limit_requests=args.rpm,
        rate_limit_tokens=args.tpm,
        rate_limit_window=seconds,
        rate_limit_mode=mode,
    )
    state.responder = failing(args.fail_rate, args.fail_status, args.seed)
    try:
        asyncio.run(_serve(state, args.host, args.port))
    except OSError as error:
        print(f"cannot serve on {args.host}:{args.port}: {error}", file=sys.stderr)
        return 1
    return 0


def failing(
    rate: float, statuses: Sequence[int], seed: int | None = None
) -> Callable[[RecordedRequest], Fault | None] | None:
    """A responder failing each request with probability `rate`, with one of `statuses` drawn at
    random (None when `rate` is 0, so that a server without faults asks nothing per request).

    Seeded, the same requests in the same order meet the same failures, so that a run that went
    wrong can be replayed.
    """
    if not statuses:
        raise ValueError("failing needs at least one status to fail with")
    if rate <= 0:
        return None
    draw = random.Random(seed)
    choices = tuple(statuses)

    def respond(_request: RecordedRequest) -> Fault | None:
        # Two draws per request whatever the outcome, so the status sequence does not depend
        # on which earlier requests failed.
        fails, status = draw.random() < rate, draw.choice(choices)
        return Fault(status=status) if fails else None

    return respond


def _window_of(values: Sequence[float | Mode] | None, mode: Mode | None) -> tuple[float, Mode]:
    """The window's seconds and mode from every `--window` given (a number or a mode name, the
    last of each kind counting) and `--ratelimit-mode`, which a mode given to `--window` overrides."""
    seconds: float = 60.0
    for value in values or ():
        if isinstance(value, str):
            mode = value
        else:
            seconds = value
    return seconds, mode or "continuous"


def _non_negative(text: str) -> float:
    value = _number(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0 seconds, got {text}")
    return value


def _limit(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {text}")
    return value


def _rate(text: str) -> float:
    value = _number(text)
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"must be a fraction within 0..1 (0.05 is 5 %), got {text}")
    return value


def _statuses(text: str) -> tuple[int, ...]:
    statuses = []
    for part in text.split(","):
        try:
            status = int(part)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"must be HTTP statuses separated by commas (e.g. 500,503), got {text!r}"
            ) from None
        if not 400 <= status <= 599:
            raise argparse.ArgumentTypeError(f"must be error statuses within 400..599, got {status}")
        statuses.append(status)
    return tuple(statuses)


def _window(text: str) -> float | Mode:
    if text in _WINDOW_MODES:
        return _WINDOW_MODES[text]
    try:
        value = _number(text)
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(
            f"must be {', '.join(_WINDOW_MODES)} or a number of seconds, got {text!r}"
        ) from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be > 0 seconds, got {text}")
    return value


def _number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number, got {text!r}") from None
    # nan passes no comparison and inf never ends a wait: neither is a setting.
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be a finite number, got {text!r}")
    return value


# "rolling" is the continuous bucket: like a rolling window, what was used comes back steadily
# rather than all at once at a window's end.
_WINDOW_MODES: dict[str, Mode] = {"fixed": "fixed", "rolling": "continuous", "continuous": "continuous"}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m openai_actors.mock",
        description=(
            "An OpenAI-compatible mock server (chat and legacy completions with streaming, responses, "
            "embeddings, moderations, models, files, batches, and the Realtime API over a WebSocket at "
            "/v1/realtime, where ?mock_fault=drop|close|stall|eof&mock_after=N ends a connection "
            "abnormally after N events), with optional rate limits enforced like OpenAI's."
        ),
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default: %(default)s)")
    parser.add_argument(
        "--port", type=int, default=8000, help="port to bind, 0 for any free one (default: %(default)s)"
    )
    parser.add_argument(
        "--latency",
        type=_non_negative,
        metavar="SECONDS",
        default=0.0,
        help="seconds to wait before every normal response (default: 0)",
    )
    parser.add_argument(
        "--stream-first-delay",
        type=_non_negative,
        metavar="SECONDS",
        default=0.0,
        help="seconds a streaming reply waits before its first event (default: 0)",
    )
    parser.add_argument(
        "--stream-chunk-delay",
        type=_non_negative,
        metavar="SECONDS",
        default=0.0,
        help="seconds a streaming reply waits between events (default: 0)",
    )
    faults = parser.add_argument_group("faults")
    faults.add_argument(
        "--fail-rate",
        type=_rate,
        default=0.0,
        metavar="FRACTION",
        help="answer this fraction of the requests that pass the rate limits with an error, e.g. 0.05 "
        "(default: 0)",
    )
    faults.add_argument(
        "--fail-status",
        type=_statuses,
        default=(500,),
        metavar="STATUS[,STATUS...]",
        help="the error statuses a failed request gets, one drawn at random each time (default: 500)",
    )
    faults.add_argument(
        "--seed",
        type=int,
        default=None,
        help="seed the failures' draws, so that a run meets the same failures again (default: random)",
    )
    limits = parser.add_argument_group("rate limits")
    limits.add_argument(
        "--rpm",
        type=_limit,
        default=None,
        help="requests per window, enforced like OpenAI's (default: unlimited)",
    )
    limits.add_argument(
        "--tpm",
        type=_limit,
        default=None,
        help="estimated tokens per window, enforced like OpenAI's (default: unlimited)",
    )
    limits.add_argument(
        "--window",
        type=_window,
        action="append",
        metavar="{fixed,rolling}|SECONDS",
        help="how a limit comes back, and over how long; may be given twice, e.g. --window fixed "
        "--window 30. rolling (the default, also spelled continuous): a bucket refilled steadily over "
        "the window, as OpenAI's; fixed: whole again when each window ends, x-ratelimit-reset-* being "
        "the time until then, as fixed-window gateways send it. SECONDS: the window's length "
        "(default: 60)",
    )
    limits.add_argument(
        "--ratelimit-mode",
        choices=MODES,
        default=None,
        help="the same as --window continuous or --window fixed",
    )
    parser.add_argument(
        "--no-record", action="store_true", help="do not keep received requests in memory (for benchmarks)"
    )
    return parser


async def _serve(state: ServerState, host: str, port: int) -> None:
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)

    def announce(bound_port: int) -> None:
        shown = f"[{host}]" if ":" in host else host
        # Only the URL on the line: whoever started us parses it to learn the port.
        print(f"http://{shown}:{bound_port}/v1", flush=True)

    await serve(state, host, port, announce, stop)
