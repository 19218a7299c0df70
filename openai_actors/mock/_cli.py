"""``python -m openai_actors.mock``: serve the mock until Ctrl-C or SIGTERM."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from collections.abc import Sequence

from .._version import __version__
from ._protocol import ServerState, serve
from ._ratelimit import MODES

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the mock server in the foreground; print its base URL (one line) once listening."""
    args = _parser().parse_args(argv)
    for flag in ("latency", "stream_first_delay", "stream_chunk_delay"):
        if getattr(args, flag) < 0:
            print(f"--{flag.replace('_', '-')} must be >= 0", file=sys.stderr)
            return 2
    for flag in ("rpm", "tpm"):
        value = getattr(args, flag)
        if value is not None and value < 1:
            print(f"--{flag} must be >= 1", file=sys.stderr)
            return 2
    if not 0 < args.window < float("inf"):
        print("--window must be > 0", file=sys.stderr)
        return 2
    state = ServerState(
        latency=args.latency,
        record=not args.no_record,
        stream_first_delay=args.stream_first_delay,
        stream_chunk_delay=args.stream_chunk_delay,
        rate_limit_requests=args.rpm,
        rate_limit_tokens=args.tpm,
        rate_limit_window=args.window,
        rate_limit_mode=args.ratelimit_mode,
    )
    try:
        asyncio.run(_serve(state, args.host, args.port))
    except OSError as error:
        print(f"cannot serve on {args.host}:{args.port}: {error}", file=sys.stderr)
        return 1
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m openai_actors.mock",
        description=(
            "An OpenAI-compatible mock server (chat and legacy completions with streaming, responses, "
            "embeddings, moderations, models, files, batches), with optional rate limits enforced like "
            "OpenAI's."
        ),
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default: %(default)s)")
    parser.add_argument(
        "--port", type=int, default=8000, help="port to bind, 0 for any free one (default: %(default)s)"
    )
    parser.add_argument(
        "--latency", type=float, default=0.0, help="seconds to wait before every normal response (default: 0)"
    )
    parser.add_argument(
        "--stream-first-delay",
        type=float,
        default=0.0,
        help="seconds a streaming reply waits before its first event (default: 0)",
    )
    parser.add_argument(
        "--stream-chunk-delay",
        type=float,
        default=0.0,
        help="seconds a streaming reply waits between events (default: 0)",
    )
    parser.add_argument(
        "--rpm",
        type=int,
        default=None,
        help="rate limit: requests per window, enforced like OpenAI's (default: unlimited)",
    )
    parser.add_argument(
        "--tpm",
        type=int,
        default=None,
        help="rate limit: estimated tokens per window, enforced like OpenAI's (default: unlimited)",
    )
    parser.add_argument(
        "--window",
        type=float,
        default=60.0,
        help="seconds in which a rate limit's bucket refills from empty to full, or the length of a fixed "
        "window (default: 60)",
    )
    parser.add_argument(
        "--ratelimit-mode",
        choices=MODES,
        default="continuous",
        help="how a rate limit comes back: continuous, a bucket refilled steadily as OpenAI's; fixed, whole "
        "again when each window ends, x-ratelimit-reset-* being the time until then, as fixed-window "
        "gateways send it (default: %(default)s)",
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
