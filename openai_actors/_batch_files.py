"""The batch command's files: INPUT read twice, streaming; OUTPUT appended, line by line.

Theory of operation
-------------------
OUTPUT is the record of what is done. It is only ever appended to, one whole
line per `write`, by one run at a time (an exclusive `flock`). So whatever
stops a run (SIGKILL in the middle of a long line's write, a full disk, a
power cut before the data reached the disk) can tear the last line only,
which the next run finds and cuts off.

Before anything is sent, `plan()` reads both files, streaming:

1. INPUT, once: every line is decoded and checked (bad lines are counted and
   the first few kept, for `--strict` and the report), and each custom_id is
   appended, with its line number, to one of a few temporary partition files
   chosen by the id's hash.
2. OUTPUT, once (`scan_output`): each complete, valid line is an answer. Its
   custom_id goes to the same partitions (marked as from OUTPUT). A run of
   invalid lines at the end is a torn write, to be cut off; an invalid line
   with valid lines after it is not something a crash makes, and stops the run.
3. Each partition, alone: an id seen on two input lines is a duplicate; an
   input id that OUTPUT has answered marks its line in a bitmap.

Why partitions on disk rather than the ids in memory (measured, 10M ids like
"request-0001234"): a set of the ids costs about 0.9 GB, a dict of them to
their line numbers (needed to name a duplicate's lines) 1.15 GB, and a set of
64-bit hashes 0.7 GB, which would also, rarely, skip an id never answered.
Here memory is one bit per input line (1.25 MB for 10M lines) plus one
partition at a time (at most a few hundred thousand ids), every comparison is
of the ids themselves, and the disk holds the ids once more while planning
(anonymous temporary files next to OUTPUT, gone when closed, even after
SIGKILL). Planning 1M lines takes about 6 s and 5 MB.

The main pass then reads INPUT again and sends the lines whose bit is clear.
INPUT must not change between runs of the same job (a line's number is how
an invalid line without a custom_id is known).
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import tempfile
from collections import Counter
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from typing import IO, Final

import anyio

from ._batch_lines import BatchRequest, LineError, OutputLine, parse_line, read_output_line

__all__ = [
    "FSYNC_INTERVAL",
    "Answered",
    "CorruptOutputError",
    "InputReport",
    "OutputInUseError",
    "OutputScan",
    "OutputWriter",
    "Plan",
    "input_lines",
    "open_output",
    "plan",
    "read_input",
    "rewrite_output",
    "scan_output",
]

# Bytes of INPUT per partition, so a partition holds a few hundred thousand ids at most.
PARTITION_BYTES: Final = 8 << 20
MAX_PARTITIONS: Final = 256
# Problems kept to be shown; the rest are counted.
SHOWN: Final = 20
# Seconds between fsyncs of OUTPUT while it is written (see OutputWriter).
FSYNC_INTERVAL: Final = 1.0


class CorruptOutputError(Exception):
    """OUTPUT has an invalid line that is not its last: not a torn write, so not ours to repair."""


class OutputInUseError(Exception):
    """Another run holds OUTPUT."""


# -- OUTPUT: scanning and repairing ---------------------------------------------------


@dataclass(slots=True)
class OutputScan:
    """What `scan_output` found."""

    valid_end: int = 0
    """Bytes up to the end of the last valid line: where appending resumes."""
    size: int = 0
    answered: int = 0
    failed: int = 0
    """Valid lines recording a failure (HTTP status >= 400, or no answer)."""
    failed_by: Counter[str] = field(default_factory=Counter)
    """Those failures by kind ("HTTP 500", "connection_error", ...)."""

    @property
    def torn(self) -> bool:
        """Whether the file ends with an incomplete or invalid line (a write cut short)."""
        return self.valid_end < self.size


def scan_output(file: IO[bytes], on_line: Callable[[OutputLine, bytes], None]) -> OutputScan:
    """Read OUTPUT from the start; `on_line` gets every valid line, decoded and raw.

    A line is valid when it ends with a newline and decodes as an output line.
    Blank lines are skipped. Invalid lines at the end are the torn write of a
    crash; one followed by a valid line raises CorruptOutputError.
    """
    scan = OutputScan()
    first_invalid: int | None = None
    offset = 0
    for number, raw in enumerate(file, 1):
        offset += len(raw)
        if not raw.strip():
            continue
        line = read_output_line(raw) if raw.endswith(b"\n") else None
        if line is None:
            first_invalid = first_invalid or number
            continue
        if first_invalid is not None:
            raise CorruptOutputError(
                f"line {first_invalid} of OUTPUT is not a complete output line, and valid lines follow it"
                " (a crash only ever tears the last line): repair or remove it, then run again"
            )
        on_line(line, raw)
        scan.valid_end = offset
        scan.answered += 1
        scan.failed += line.failed
        if line.kind is not None:
            scan.failed_by[line.kind] += 1
    scan.size = offset
    return scan


def open_output(path: str) -> int:
    """Open (or create) OUTPUT for appending, locked for this run; the file descriptor."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND | getattr(os, "O_CLOEXEC", 0), 0o644)
    try:
        _lock(fd, path)
    except BaseException:
        os.close(fd)
        raise
    return fd


def _lock(fd: int, path: str) -> None:
    try:
        import fcntl
    except ImportError:  # not POSIX: no lock, as before this existed
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        raise OutputInUseError(f"{path} is being written by another run; wait for it to end") from None


def truncate_output(fd: int, size: int) -> None:
    """Cut a torn last line off, durably, before anything is appended after it."""
    os.ftruncate(fd, size)
    os.fsync(fd)


def rewrite_output(path: str, fd: int, keep: Callable[[OutputLine], bool]) -> tuple[int, int]:
    """Rewrite OUTPUT with only the valid lines `keep` accepts, atomically; (new fd, lines dropped).

    The new file is written next to OUTPUT, locked, synced, and renamed over
    it: a crash at any point leaves either the old file or the new one whole.
    """
    directory, name = os.path.split(os.path.abspath(path))
    temporary = os.path.join(directory, f".{name}.rewrite")
    # Safe to reuse whatever a crashed rewrite left: we hold OUTPUT's lock.
    new_fd = os.open(
        temporary, os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND | getattr(os, "O_CLOEXEC", 0), 0o644
    )
    dropped = 0
    try:
        _lock(new_fd, temporary)
        with os.fdopen(os.dup(fd), "rb") as old, os.fdopen(os.dup(new_fd), "wb") as new:
            old.seek(0)

            def copy(line: OutputLine, raw: bytes) -> None:
                nonlocal dropped
                if keep(line):
                    new.write(raw)
                else:
                    dropped += 1

            scan_output(old, copy)
            new.flush()
            os.fsync(new.fileno())
        os.replace(temporary, path)
        _sync_directory(directory)
    except BaseException:
        os.close(new_fd)
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    os.close(fd)
    return new_fd, dropped


def _sync_directory(directory: str) -> None:
    """Make a new or renamed file's name durable too (POSIX: the directory is synced separately)."""
    try:
        dir_fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass  # some filesystems refuse fsync on a directory
    finally:
        os.close(dir_fd)


# -- INPUT ---------------------------------------------------------------------------


def input_lines(path: str) -> Generator[tuple[int, bytes]]:
    """Every non-blank line of INPUT, as it is: (line number from 1, bytes)."""
    with open(path, "rb") as file:
        for number, raw in enumerate(file, 1):
            if raw.strip():
                yield number, raw


def read_input(path: str, base_path: str) -> Iterator[tuple[int, BatchRequest | LineError]]:
    """Every non-blank line of INPUT, checked: (line number from 1, request or why not)."""
    for number, raw in input_lines(path):
        yield number, parse_line(raw, line=number, base_path=base_path)


@dataclass(slots=True)
class InputReport:
    """What the first pass over INPUT found."""

    lines: int = 0
    """Physical lines (the largest line number)."""
    requests: int = 0
    """Non-blank lines, valid or not."""
    bad: int = 0
    bad_shown: list[str] = field(default_factory=list)
    duplicates: int = 0
    """custom_ids that appear on more than one line."""
    duplicates_shown: list[tuple[str, list[int]]] = field(default_factory=list)


class Answered:
    """Which input lines OUTPUT already answers: one bit per line."""

    __slots__ = ("_bits", "count")

    def __init__(self, lines: int) -> None:
        self._bits = bytearray((lines >> 3) + 1)
        self.count = 0

    def add(self, line: int) -> None:
        byte, bit = line >> 3, 1 << (line & 7)
        if 0 < line < len(self._bits) << 3 and not self._bits[byte] & bit:
            self._bits[byte] |= bit
            self.count += 1

    def __contains__(self, line: int) -> bool:
        byte = line >> 3
        return 0 <= byte < len(self._bits) and bool(self._bits[byte] & (1 << (line & 7)))


@dataclass(slots=True)
class Plan:
    """Everything known before sending: the input's problems, what is already answered, OUTPUT's state."""

    input: InputReport
    answered: Answered
    output: OutputScan
    stale: int = 0
    """OUTPUT lines for custom_ids that are not in INPUT (left as they are)."""
    repeated: int = 0
    """OUTPUT lines for a custom_id OUTPUT already answers (left as they are)."""


class _Partitions:
    """custom_ids spread over temporary files by hash, so each can be checked alone in memory.

    An entry is "<line>\\t<id as JSON>\\n"; line 0 marks an id answered in OUTPUT.
    """

    def __init__(self, count: int, directory: str) -> None:
        # Anonymous (O_TMPFILE on Linux): nothing is left behind, even by SIGKILL.
        self._files = [
            tempfile.TemporaryFile("w+", encoding="utf-8", dir=directory)  # noqa: SIM115 (closed in resolve/close)
            for _ in range(count)
        ]

    def add(self, custom_id: str, line: int) -> None:
        self._files[hash(custom_id) % len(self._files)].write(f"{line}\t{json.dumps(custom_id)}\n")

    def resolve(self, report: InputReport, answered: Answered, plan: Plan) -> None:
        for file in self._files:
            file.seek(0)
            self._resolve_one(file, report, answered, plan)
            file.close()

    @staticmethod
    def _resolve_one(file: IO[str], report: InputReport, answered: Answered, plan: Plan) -> None:
        first: dict[str, int] = {}
        repeats: dict[str, list[int]] = {}
        done: set[str] = set()
        for entry in file:
            number, _, encoded = entry.partition("\t")
            line = int(number)
            custom_id: str = json.loads(encoded)
            if line == 0:
                if custom_id in done:
                    plan.repeated += 1
                elif custom_id in first:
                    done.add(custom_id)
                    answered.add(first[custom_id])
                else:
                    plan.stale += 1
            elif custom_id in first:
                repeats.setdefault(custom_id, [first[custom_id]]).append(line)
            else:
                first[custom_id] = line
        report.duplicates += len(repeats)
        for custom_id, lines in repeats.items():
            if len(report.duplicates_shown) < SHOWN:
                report.duplicates_shown.append((custom_id, lines))

    def close(self) -> None:
        for file in self._files:
            file.close()


def _partition_count(input_path: str) -> int:
    try:
        size = os.path.getsize(input_path)
    except OSError:
        size = 0
    return max(1, min(MAX_PARTITIONS, math.ceil(size / PARTITION_BYTES)))


def plan(input_path: str, output_path: str, output_fd: int, *, base_path: str, retry_failed: bool) -> Plan:
    """Read INPUT and OUTPUT (streaming) and say what is left to do; sends and changes nothing."""
    directory = os.path.dirname(os.path.abspath(output_path))
    partitions = _Partitions(_partition_count(input_path), directory)
    try:
        report = _check_input(input_path, base_path, partitions)
        answered = Answered(report.lines)

        def on_line(line: OutputLine, raw: bytes) -> None:
            if line.failed and retry_failed:
                return
            if line.custom_id is not None:
                partitions.add(line.custom_id, 0)
            elif line.line is not None:
                answered.add(line.line)

        with os.fdopen(os.dup(output_fd), "rb") as output:
            output.seek(0)
            scan = scan_output(output, on_line)
        result = Plan(report, answered, scan)
        partitions.resolve(report, answered, result)
    finally:
        partitions.close()
    return result


def _check_input(path: str, base_path: str, partitions: _Partitions) -> InputReport:
    report = InputReport()
    for number, checked in read_input(path, base_path):
        report.lines = number
        report.requests += 1
        custom_id = checked.custom_id
        if custom_id is not None:
            partitions.add(custom_id, number)
        if isinstance(checked, LineError):
            report.bad += 1
            if len(report.bad_shown) < SHOWN:
                report.bad_shown.append(checked.message)
    return report


# -- OUTPUT: appending ----------------------------------------------------------------


class OutputWriter:
    """Appends whole lines to OUTPUT; makes them durable every FSYNC_INTERVAL seconds.

    Each line is one `os.write` of the whole line (repeated only if the kernel
    took part of it: a full disk, or SIGKILL in a write of several pages), so
    a killed process leaves complete lines behind but for the last, and the
    page cache keeps them even after SIGKILL. fsync protects
    against a power cut or a kernel crash only, and it costs a disk flush:
    once per line would cap a job at the disk's flush rate (a few hundred per
    second on many disks), while once a second loses at most a second of
    answers to a power cut, which the next run simply asks for again.
    """

    def __init__(self, fd: int) -> None:
        self._fd = fd
        self._dirty = False
        self.lines = 0

    def write(self, line: bytes) -> None:
        view = memoryview(line)
        while view:
            written = os.write(self._fd, view)
            view = view[written:]
        self._dirty = True
        self.lines += 1

    async def sync_periodically(self, interval: float = FSYNC_INTERVAL) -> None:
        """fsync in a worker thread every `interval` seconds while there is something new."""
        while True:
            await anyio.sleep(interval)
            await self.sync()

    async def sync(self) -> None:
        if self._dirty:
            self._dirty = False
            await anyio.to_thread.run_sync(os.fsync, self._fd)

    def close(self) -> None:
        if self._dirty:
            os.fsync(self._fd)
        os.close(self._fd)
