"""`openai-actors batch INPUT OUTPUT`: a Batch API input file through the rate limits, resumably.

INPUT is the Batch API's input format and OUTPUT its output format (see
`_batch_lines.py`). A run:

1. locks OUTPUT and plans without sending anything (`_batch_files.plan`):
   duplicate custom_ids stop the run, naming their lines; with `--strict`, so
   does any invalid line; the lines OUTPUT already answers are skipped; a torn
   last line is cut off; with `--retry-failed`, OUTPUT is first rewritten
   without its failure lines;
2. sends the rest through one `AsyncOpenAI` (its rate controller, retries and
   connections), `--max-in-flight` at a time, reading INPUT only as fast as
   answers come back, and appends each answer to OUTPUT as one whole line;
3. on SIGINT / SIGTERM takes no more lines, withdraws the requests not sent
   yet (those waiting for the rate limits), gives the ones in flight
   `--grace` seconds to finish (a second signal: none), cancels the rest,
   syncs OUTPUT and exits 130 / 143, saying how to resume.

When the first answers all fail for one cause no retry cures (`_batch_fastfail`),
the run stops sending and exits 3: the rest stays unsent, for the same
command to resume once the cause is fixed.

Exit status: 0 when every line of INPUT has a successful answer in OUTPUT; 1
when all have one but some are failures (run again with --retry-failed); 2
when nothing could be sent (bad arguments, duplicate ids, --strict and an
invalid line, OUTPUT in use or corrupt); 3 when the run stopped early because
every request failed for one lasting cause; 130 / 143 when interrupted.

The command runs on asyncio (`anyio.run`'s default backend); the library
itself runs on asyncio and trio.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import secrets
import shlex
import shutil
import signal
import sys
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from types import FrameType
from typing import Any, Final, NoReturn, TextIO

import anyio
import anyio.abc

from ._batch import BatchInputError, BatchResult, Driver, Pending, error_code, worker_count
from ._batch_fastfail import DEFAULT_THRESHOLD, FastFail, fatal_cause
from ._batch_files import (
    Answered,
    CorruptOutputError,
    OutputInUseError,
    OutputWriter,
    Plan,
    input_lines,
    open_output,
    plan,
    rewrite_output,
    truncate_output,
)
from ._batch_lines import encode_line, error_record, parse_line, response_record
from ._batch_progress import RateMeter, Tally, render_bar, render_line, render_summary
from ._client import AsyncOpenAI
from ._exceptions import ClientClosedError, OpenAIError
from ._ratelimit import RateLimit
from ._shared import SharedLimits, redact_url

__all__ = ["main"]

PROG: Final = "openai-actors batch"
EXIT_OK: Final = 0
EXIT_FAILURES: Final = 1
EXIT_USAGE: Final = 2
EXIT_FATAL: Final = 3
EXIT_CODES: Final = {signal.SIGINT: 130, signal.SIGTERM: 143}
DEFAULT_MAX_RETRIES: Final = 5
DEFAULT_GRACE: Final = 30.0
# How often the progress bar is redrawn.
REDRAW: Final = 0.5
# Seconds between two plain progress lines when stderr is not a terminal:
# a line a minute would leave a log silent too long, one a second floods it.
DEFAULT_PROGRESS_INTERVAL: Final = 10.0
# Answered lines skipped between two checkpoints: skipping a million lines
# must not keep the event loop (and the signal handlers) from running.
SKIP_CHECKPOINT: Final = 4096


class _Usage(Exception):
    """Nothing can be sent: the message says why (exit status 2)."""


class _Terminated(BaseException):
    """SIGTERM while planning (no event loop yet to receive it)."""


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    args = _parser().parse_args(arguments)
    try:
        _check(args)
        return _Job(args, arguments).run()
    except _Usage as problem:
        print(f"{PROG}: {problem}", file=sys.stderr)
        return EXIT_USAGE


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description=(
            "Send every request of a Batch API input file (INPUT) through the API's rate limits, and "
            "write the answers in the Batch API's output format (OUTPUT). Run it again with the same "
            "OUTPUT to resume: lines already answered are skipped. The command runs on asyncio."
        ),
        epilog=(
            "Exit status: 0 all answered successfully; 1 all answered, some with errors (see "
            "--retry-failed); 2 nothing sent (bad arguments or input); 3 stopped early: the first "
            f"requests (up to {DEFAULT_THRESHOLD}) all failed for one cause no retry cures (connection "
            "refused, unknown host, TLS verification, HTTP 401, 403 or 404), the rest left unsent (fix "
            "the cause and run the same command again, or pass --keep-going); 130/143 interrupted by "
            "SIGINT/SIGTERM (run the same command again to resume)."
        ),
    )
    parser.add_argument("input", metavar="INPUT", help="Batch API input file (JSONL), read twice, streaming")
    parser.add_argument("output", metavar="OUTPUT", help="Batch API output file (JSONL), appended to")
    parser.add_argument("--base-url", help="API base URL (default: $OPENAI_BASE_URL or OpenAI's)")
    parser.add_argument("--api-key", help="API key (default: $OPENAI_API_KEY)")
    parser.add_argument(
        "--rpm", type=float, help="requests per minute at most (default: learned from the server)"
    )
    parser.add_argument(
        "--tpm", type=float, help="tokens per minute at most (default: learned from the server)"
    )
    parser.add_argument(
        "--window", type=float, default=60.0, help="seconds the rate limits count over (default: 60)"
    )
    parser.add_argument(
        "--shared-limits",
        metavar="REDIS_URL",
        help="share the rate limits (and those learned from the server, and 429 pauses) with every "
        "process naming the same Redis server and --limits-key, e.g. redis://host:6379/0",
    )
    parser.add_argument(
        "--limits-key", metavar="KEY", help="the name of the shared limits in Redis (with --shared-limits)"
    )
    parser.add_argument(
        "--max-in-flight", type=int, help="requests sent and not yet answered, at most (default: 1000)"
    )
    parser.add_argument(
        "--max-retries",
        type=int,
        default=DEFAULT_MAX_RETRIES,
        help="retries of a failed request before its error is written (default: %(default)s)",
    )
    parser.add_argument("--timeout", type=float, help="seconds a request may take (default: 600)")
    parser.add_argument(
        "--grace",
        type=float,
        default=DEFAULT_GRACE,
        help="on SIGINT/SIGTERM, seconds the requests in flight may take to finish (default: %(default)g)",
    )
    parser.add_argument(
        "--retry-failed", action="store_true", help="send again the lines whose answer in OUTPUT is an error"
    )
    parser.add_argument(
        "--strict", action="store_true", help="an invalid line in INPUT stops the run before anything is sent"
    )
    parser.add_argument(
        "--keep-going",
        action="store_true",
        help="send every line even if the first ones all fail for one lasting cause (no exit status 3)",
    )
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress bar, no summary")
    parser.add_argument(
        "--progress-interval",
        type=float,
        default=DEFAULT_PROGRESS_INTERVAL,
        metavar="SECONDS",
        help="when stderr is not a terminal, seconds between two progress lines (default: %(default)g)",
    )
    return parser


def _check(args: argparse.Namespace) -> None:
    for name in ("rpm", "tpm", "window", "timeout", "progress_interval"):
        value = getattr(args, name)
        if value is not None and not (math.isfinite(value) and value > 0):
            raise _Usage(f"--{name.replace('_', '-')} must be more than 0")
    if (args.shared_limits is None) != (args.limits_key is None):
        raise _Usage("--shared-limits and --limits-key go together: give both, or neither")
    if args.max_in_flight is not None and args.max_in_flight < 1:
        raise _Usage("--max-in-flight must be at least 1")
    if args.max_retries < 0:
        raise _Usage("--max-retries must be 0 or more")
    if not (math.isfinite(args.grace) and args.grace >= 0):
        raise _Usage("--grace must be 0 or more")


@contextlib.contextmanager
def _sigterm_raises() -> Iterator[None]:
    """While planning (plain blocking code), SIGTERM interrupts as Ctrl-C does."""

    def handler(signum: int, frame: FrameType | None) -> NoReturn:
        raise _Terminated

    try:
        previous = signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread: leave signals alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _resume_command(arguments: Sequence[str]) -> str:
    """The command line to run again, with the API key's value hidden, and the Redis URL's password:
    the message may end up in a log."""
    shown: list[str] = []
    hide = False
    redact = False
    for argument in arguments:
        if hide:
            shown.append("…")  # left unquoted: a placeholder to replace, not a key to paste
        elif argument.startswith("--api-key="):
            shown.append("--api-key=…")
        elif redact:
            shown.append(shlex.quote(redact_url(argument)))
        elif argument.startswith("--shared-limits="):
            shown.append(shlex.quote(f"--shared-limits={redact_url(argument.partition('=')[2])}"))
        else:
            shown.append(shlex.quote(argument))
        redact = argument == "--shared-limits" and not (hide or redact)
        hide = argument == "--api-key" and not hide
    return " ".join(["openai-actors", "batch", *shown])


def _close_quietly(fd: int) -> None:
    with contextlib.suppress(OSError):  # already closed by a rewrite that was interrupted
        os.close(fd)


class _FileSource:
    """INPUT's lines that OUTPUT does not answer yet, checked as the workers take them."""

    def __init__(self, path: str, base_path: str, answered: Answered) -> None:
        self._lines = input_lines(path)
        self._base_path = base_path
        self._answered = answered

    async def take(self, index: int) -> Pending | None:
        skipped = 0
        for number, raw in self._lines:
            if number in self._answered:
                skipped += 1
                if skipped % SKIP_CHECKPOINT == 0:
                    await anyio.lowlevel.checkpoint()
                continue
            return parse_line(raw, line=number, base_path=self._base_path), number
        return None

    def close(self) -> None:
        self._lines.close()


def output_record(result: BatchResult) -> dict[str, Any]:
    """The Batch API output line of a result."""
    line_id = f"batch_req_{secrets.token_hex(12)}"
    error = result.error
    if result.status_code is None:
        assert error is not None
        return error_record(line_id, result.custom_id, error_code(error), str(error), line=result.line)
    record = response_record(line_id, result.custom_id, result.status_code, result.request_id, result.body)
    if error is not None and result.status_code < 400:
        # A 2xx that is not a usable answer (its body is not JSON): a failure all the same.
        record["error"] = {"code": error_code(error), "message": str(error)}
    return record


def _failure_kind(result: BatchResult) -> str:
    assert result.error is not None
    if result.status_code is not None and result.status_code >= 400:
        return f"HTTP {result.status_code}"
    return error_code(result.error)


class _Job:
    def __init__(self, args: argparse.Namespace, arguments: Sequence[str]) -> None:
        self.args = args
        self.arguments = arguments
        self.interrupted: int | None = None
        self.write_error: OSError | None = None
        self.err: TextIO = sys.stderr
        self.progress = not args.quiet and self.err.isatty()
        self.plain_progress = not args.quiet and not self.progress
        self.fast_fail = FastFail()
        self.held: list[BatchResult] = []
        """Results not written yet: the fast-fail rule has not decided about them."""
        self.fatal: str | None = None
        self.created_output = False

    def say(self, message: str) -> None:
        if not self.args.quiet:
            print(f"{PROG}: {message}", file=self.err)

    # -- before sending ------------------------------------------------------------

    def run(self) -> int:
        began = time.monotonic()
        client = self._client()
        prepared = self._prepare(client._options.base_path)
        if isinstance(prepared, int):
            return prepared
        fd, job_plan = prepared
        tally = Tally(total=job_plan.input.requests, skipped=job_plan.answered.count)
        # A job of 3 lines that all hit a refused port stops as well, with nothing written.
        self.fast_fail = FastFail(min(DEFAULT_THRESHOLD, max(tally.remaining, 1)))
        sending = self._send_all(client, fd, job_plan, tally)
        return self._finish(tally, job_plan, time.monotonic() - began, sending)

    def _prepare(self, base_path: str) -> tuple[int, Plan] | int:
        """Lock OUTPUT, plan, repair OUTPUT: (its fd, the plan); an exit status if interrupted."""
        # A run that sends nothing leaves no empty OUTPUT behind, unless OUTPUT was there before.
        self.created_output = not os.path.lexists(self.args.output)
        try:
            fd = open_output(self.args.output)
        except OutputInUseError as exc:
            raise _Usage(str(exc)) from None
        except OSError as exc:
            raise _Usage(f"cannot open OUTPUT: {exc}") from None
        try:
            with _sigterm_raises():
                job_plan = self._plan(fd, base_path)
                return self._repair(fd, job_plan), job_plan
        except (KeyboardInterrupt, _Terminated) as exc:
            self._drop_empty_output(fd)
            _close_quietly(fd)
            print(f"{PROG}: interrupted before anything was sent", file=self.err)
            return EXIT_CODES[signal.SIGTERM if isinstance(exc, _Terminated) else signal.SIGINT]
        except BaseException:
            self._drop_empty_output(fd)
            _close_quietly(fd)
            raise

    def _drop_empty_output(self, fd: int) -> None:
        """Remove OUTPUT if this run created it and wrote nothing to it (while it still holds the lock)."""
        with contextlib.suppress(OSError):
            if self.created_output and os.fstat(fd).st_size == 0:
                os.unlink(self.args.output)

    def _send_all(self, client: AsyncOpenAI, fd: int, job_plan: Plan, tally: Tally) -> float:
        """Send what is left, if anything; the seconds it took."""
        writer = OutputWriter(fd)
        started = time.monotonic()
        try:
            if tally.remaining:
                self.say(
                    f"{tally.total:,} requests in {self.args.input}, {tally.skipped:,} already answered in "
                    f"{self.args.output}, {tally.remaining:,} to send"
                )
                anyio.run(self._send, client, writer, job_plan, tally)
        except KeyboardInterrupt:
            # Ctrl-C before the signal handlers were in place: nothing was in flight.
            self.interrupted = signal.SIGINT
        finally:
            if self.fatal is not None:
                self._drop_empty_output(fd)
            try:
                writer.close()
            except OSError as exc:
                self.write_error = self.write_error or exc
        return time.monotonic() - started

    def _client(self) -> AsyncOpenAI:
        args = self.args
        if not (args.api_key or os.environ.get("OPENAI_API_KEY")):
            raise _Usage("no API key: pass --api-key KEY or set the OPENAI_API_KEY environment variable")
        shared = None
        if args.shared_limits is not None:
            try:
                shared = SharedLimits(args.shared_limits, key=args.limits_key)
            except (ValueError, ImportError) as exc:
                raise _Usage(str(exc)) from None
        rate = RateLimit(
            requests_per_minute=args.rpm,
            tokens_per_minute=args.tpm,
            max_in_flight=args.max_in_flight,
            window=args.window,
            shared=shared,
        )
        try:
            return AsyncOpenAI(
                api_key=args.api_key,
                base_url=args.base_url,
                max_retries=args.max_retries,
                rate_limit=rate,
                **({"timeout": args.timeout} if args.timeout is not None else {}),
            )
        except (OpenAIError, ValueError) as exc:
            raise _Usage(str(exc)) from None

    def _plan(self, fd: int, base_path: str) -> Plan:
        with contextlib.suppress(OSError):
            if os.path.samefile(self.args.input, self.args.output):
                raise _Usage("INPUT and OUTPUT are the same file")
        try:
            job_plan = plan(
                self.args.input,
                self.args.output,
                fd,
                base_path=base_path,
                retry_failed=self.args.retry_failed,
            )
        except FileNotFoundError as exc:
            raise _Usage(f"cannot read INPUT: {exc}") from None
        except CorruptOutputError as exc:
            raise _Usage(f"{self.args.output}: {exc}") from None
        report = job_plan.input
        if report.duplicates:
            shown = "\n".join(
                f"  custom_id {custom_id!r} on lines {', '.join(map(str, lines))}"
                for custom_id, lines in report.duplicates_shown
            )
            more = report.duplicates - len(report.duplicates_shown)
            raise _Usage(
                f"{report.duplicates:,} custom_id(s) appear on more than one line of {self.args.input}; "
                f"nothing was sent:\n{shown}" + (f"\n  ... and {more:,} more" if more > 0 else "")
            )
        if report.bad:
            shown = "\n".join(f"  {message}" for message in report.bad_shown)
            more = report.bad - len(report.bad_shown)
            listing = shown + (f"\n  ... and {more:,} more" if more > 0 else "")
            if self.args.strict:
                raise _Usage(
                    f"{report.bad:,} invalid line(s) in {self.args.input}; nothing was sent:\n{listing}"
                )
            self.say(
                f"{report.bad:,} invalid line(s) in {self.args.input}, written to OUTPUT as errors:\n{listing}"
            )
        if job_plan.stale:
            self.say(
                f"{job_plan.stale:,} line(s) of {self.args.output} answer no custom_id of INPUT (left as they are)"
            )
        if job_plan.repeated:
            self.say(f"{job_plan.repeated:,} custom_id(s) are answered more than once in {self.args.output}")
        return job_plan

    def _repair(self, fd: int, job_plan: Plan) -> int:
        """Cut a torn last line; with --retry-failed, drop the failure lines. The fd to append to."""
        scan = job_plan.output
        if self.args.retry_failed and scan.failed:
            fd, dropped = rewrite_output(self.args.output, fd, lambda line: not line.failed)
            self.say(f"{dropped:,} failed line(s) removed from {self.args.output}, to be sent again")
            scan.valid_end, scan.size = 0, 0  # the rewrite dropped any torn tail too
        elif scan.torn:
            truncate_output(fd, scan.valid_end)
            self.say(
                f"{self.args.output} ended with an incomplete line (a write cut short): removed, "
                "its request will be sent again"
            )
        return fd

    # -- sending -------------------------------------------------------------------

    async def _send(self, client: AsyncOpenAI, writer: OutputWriter, job_plan: Plan, tally: Tally) -> None:
        source = _FileSource(self.args.input, client._options.base_path, job_plan.answered)
        driver = Driver(
            client._build,
            client._execute,
            source,
            workers=worker_count(client, self.args.max_in_flight),
            window=None,
        )
        receive = driver.open()
        try:
            async with client, anyio.create_task_group() as tg:
                await tg.start(self._watch_signals, driver)
                tg.start_soon(writer.sync_periodically)
                if self.progress:
                    tg.start_soon(self._show_progress, tally, client)
                elif self.plain_progress:
                    tg.start_soon(self._log_progress, tally, client)
                tg.start_soon(driver.run)
                with receive:
                    async for result in receive:
                        try:
                            if not self._take(result, writer, tally):
                                self._stop_fatal(driver)
                                break
                        except OSError as exc:  # a full disk, say: stop cleanly, the rest is resumable
                            self.write_error = exc
                            driver.cancel()
                            break
                    else:
                        # The input ended (or a signal stopped it) before the rule decided.
                        try:
                            self._release_held(writer, tally)
                        except OSError as exc:
                            self.write_error = exc
                tg.cancel_scope.cancel()  # the helpers: signals, syncing, progress
            self._count_retries(tally, client)
            error = driver.take_error()
            if error is not None:
                raise error
        finally:
            source.close()
            if self.progress:
                self.err.write("\r\x1b[K")
                self.err.flush()
            with anyio.CancelScope(shield=True):
                try:
                    await writer.sync()
                except OSError as exc:
                    self.write_error = self.write_error or exc

    def _take(self, result: BatchResult, writer: OutputWriter, tally: Tally) -> bool:
        """Write a result, or hold it back until the fast-fail rule decides; False: stop the run."""
        if isinstance(result.error, ClientClosedError):
            return True  # the run is ending: not an answer, the next run sends it
        if isinstance(result.error, BatchInputError) or self.args.keep_going:
            # An invalid line is the line's fault, not the endpoint's: it tells nothing about the next request.
            self._record(result, writer, tally)
            return True
        fast_fail = self.fast_fail
        if fast_fail.observe(fatal_cause(result.status_code, result.error)):
            self.held.append(result)
            return True
        if fast_fail.stop is not None:
            self.fatal = fast_fail.stop
            self.held.clear()  # not written: the next run sends them again
            return False
        self._release_held(writer, tally)
        self._record(result, writer, tally)
        return True

    def _release_held(self, writer: OutputWriter, tally: Tally) -> None:
        held, self.held = self.held, []
        for result in held:
            self._record(result, writer, tally)

    def _stop_fatal(self, driver: Driver) -> None:
        driver.stop_taking()
        driver.withdraw_unsent()
        driver.cancel()

    def _record(self, result: BatchResult, writer: OutputWriter, tally: Tally) -> None:
        writer.write(encode_line(output_record(result)))
        if result.error is None:
            tally.ok += 1
        else:
            tally.failed[_failure_kind(result)] += 1
        tally.tokens += result.tokens

    async def _watch_signals(
        self, driver: Driver, *, task_status: anyio.abc.TaskStatus[None] = anyio.TASK_STATUS_IGNORED
    ) -> None:
        with anyio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
            task_status.started()
            async for signum in signals:
                self.interrupted = signum
                driver.stop_taking()
                # Waiting for the rate limits is not being in flight: those go at once.
                withdrawn = driver.withdraw_unsent()
                self._note(
                    f"{signal.Signals(signum).name}: taking no more lines"
                    + (f", {withdrawn:,} not yet sent withdrawn" if withdrawn else "")
                    + f"; waiting up to {self.args.grace:g} s for the {driver.sent:,} request(s) in flight"
                    " (signal again to stop now)"
                )
                break
            with anyio.move_on_after(self.args.grace):
                async for _ in signals:
                    break
            if driver.running:
                self._note(f"cancelling {driver.running:,} request(s) still in flight")
            driver.cancel()

    def _note(self, message: str) -> None:
        if self.progress:
            self.err.write("\r\x1b[K")
        print(f"{PROG}: {message}", file=self.err, flush=True)

    async def _show_progress(self, tally: Tally, client: AsyncOpenAI) -> None:
        meter = RateMeter()
        while True:
            self._count_retries(tally, client)
            per_second, tokens_per_second = meter.observe(time.monotonic(), tally.answered, tally.tokens)
            width = shutil.get_terminal_size().columns - 1
            self.err.write("\r" + render_bar(tally, per_second, tokens_per_second, width) + "\x1b[K")
            self.err.flush()
            await anyio.sleep(REDRAW)

    async def _log_progress(self, tally: Tally, client: AsyncOpenAI) -> None:
        meter = RateMeter()
        began = time.monotonic()
        meter.observe(began, tally.answered, tally.tokens)
        while True:
            await anyio.sleep(self.args.progress_interval)
            self._count_retries(tally, client)
            now = time.monotonic()
            per_second, _ = meter.observe(now, tally.answered, tally.tokens)
            print(render_line(tally, per_second, now - began), file=self.err, flush=True)

    @staticmethod
    def _count_retries(tally: Tally, client: AsyncOpenAI) -> None:
        stats = client.stats()
        tally.retries = stats.retries_scheduled
        tally.rate_limited = stats.rate_limited

    # -- after ---------------------------------------------------------------------

    def _finish(self, tally: Tally, job_plan: Plan, wall: float, sending: float) -> int:
        interrupted = self.interrupted
        name = signal.Signals(interrupted).name if interrupted is not None else None
        earlier: Counter[str] = Counter() if self.args.retry_failed else job_plan.output.failed_by
        if not self.args.quiet:
            retry = _resume_command(self.arguments)
            if not self.args.retry_failed:
                retry += " --retry-failed"
            summary = render_summary(
                tally,
                wall,
                sending=sending,
                interrupted=name,
                stopped=self.fatal is not None,
                earlier_failed=earlier,
                retry_command=retry,
            )
            print(summary, file=self.err)
        if self.write_error is not None:
            print(
                f"{PROG}: cannot write {self.args.output}: {self.write_error}. Every line written so far "
                f"is kept; once that is fixed, run the same command again to resume:\n"
                f"  {_resume_command(self.arguments)}",
                file=self.err,
            )
            return EXIT_FAILURES
        if self.fatal is not None:
            # Always said, --quiet or not: the exit status alone would not tell what to fix.
            print(
                f"{PROG}: stopped: the first {self.fast_fail.threshold:,} request(s) all failed because "
                f"{self.fatal}; nothing more was sent, {tally.remaining:,} request(s) are left. Fix that, "
                f"then run the same command again to resume (exit status {EXIT_FATAL}).",
                file=self.err,
            )
            return EXIT_FATAL
        if interrupted is not None:
            command = _resume_command(self.arguments)
            print(
                f"{PROG}: stopped by {name}: {tally.done:,} of {tally.total:,} requests are answered in "
                f"{self.args.output}, {tally.remaining:,} left. To resume, run the same command again:\n"
                f"  {command}",
                file=self.err,
            )
            return EXIT_CODES[signal.Signals(interrupted)]
        earlier_failures = 0 if self.args.retry_failed else job_plan.output.failed
        return EXIT_FAILURES if tally.errors or earlier_failures else EXIT_OK
