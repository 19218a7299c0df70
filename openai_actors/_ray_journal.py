"""The journal of a Ray job: what is answered, kept in a directory that outlives every process.

Theory of operation
-------------------
Each worker (one Ray actor incarnation) appends the output lines of the
requests it sent, exactly as `openai-actors batch` writes them, to a file of
its own in the journal directory (`<host>-<pid>-<random>.jsonl`, created
exclusively, so no two writers ever share a file and no restarted worker
appends to the file of its dead predecessor). Each line is one `os.write`:
a process killed (SIGKILL, `ray.kill`) leaves whole lines behind but for its
last, which stays torn forever at the end of a file that nobody appends to
again, and is ignored by every reader.

Before sending anything, a worker brings its index up to date (`refresh`):
it lists the directory and reads what each file gained since it last looked,
complete lines only. A request whose custom_id is in the index is answered
from the journal, not sent. So:

- a block Ray retries after a worker died is answered from the lines the
  dead worker wrote, and only what it had not finished is sent again;
- a new run pointed at the same journal (after the driver itself died)
  sends only what no earlier run answered.

What can still be sent twice: a request whose answer arrived in a worker
that died before writing its line. Nothing can tell that apart from a
request never sent; it is bounded by the requests that worker had taken and
not yet written (in flight, or answered a moment before it died).

Durability: a line written is in the page cache, which outlives the process;
`sync` (an fsync, once per batch of rows, before the batch's rows are handed
to Ray) makes it outlive the machine too, for a journal on shared storage.

The index keeps, per custom_id, where its line is (file, offset, length),
not the line itself: about 150 bytes an id in each worker.
"""

from __future__ import annotations

import os
import secrets
import socket
from dataclasses import dataclass
from typing import Final

from ._batch_lines import read_output_line

__all__ = ["SUFFIX", "Journal", "JournalIndex", "LineBuffer", "Location"]

SUFFIX: Final = ".jsonl"
# Bytes read from a file per `os.read` while catching up.
_CHUNK: Final = 1 << 20


class LineBuffer:
    """Bytes of one growing file in; its complete lines out, each with its offset.

    An incomplete last line is kept until the rest of it arrives (which, for
    the file of a dead writer, is never).
    """

    __slots__ = ("_partial", "_partial_at")

    def __init__(self) -> None:
        self._partial = b""
        self._partial_at = 0

    def feed(self, data: bytes) -> list[tuple[int, bytes]]:
        """The lines `data` completes: (offset in the file, line with its newline)."""
        data = self._partial + data
        start = 0
        lines: list[tuple[int, bytes]] = []
        while (end := data.find(b"\n", start)) != -1:
            lines.append((self._partial_at + start, data[start : end + 1]))
            start = end + 1
        self._partial_at += start
        self._partial = data[start:]
        return lines


@dataclass(frozen=True, slots=True)
class Location:
    """Where an answered custom_id's line is: file number (in `JournalIndex.files`), offset, length."""

    file: int
    offset: int
    length: int
    failed: bool


class JournalIndex:
    """custom_id -> the line that answers it; sans-IO (lines in, locations out).

    A success wins over a failure: with `retry_failed` a failure is sent
    again and its new line follows the old one. Without it a failure is an
    answer like any other (the first line for an id is kept).
    """

    def __init__(self, *, retry_failed: bool = False) -> None:
        self._retry_failed = retry_failed
        self._where: dict[str, Location] = {}
        self.files: list[str] = []
        self._numbers: dict[str, int] = {}

    def file_number(self, name: str) -> int:
        number = self._numbers.get(name)
        if number is None:
            number = self._numbers[name] = len(self.files)
            self.files.append(name)
        return number

    def add(self, file: int, offset: int, raw: bytes) -> str | None:
        """Index one complete line; the custom_id it answers, or None if it is not an output line."""
        line = read_output_line(raw)
        if line is None or line.custom_id is None:
            return None
        known = self._where.get(line.custom_id)
        if known is None or (known.failed and not line.failed):
            self._where[line.custom_id] = Location(file, offset, len(raw), line.failed)
        return line.custom_id

    def answered(self, custom_id: str) -> Location | None:
        """Where the answer to `custom_id` is, if it has one that counts (see `retry_failed`)."""
        known = self._where.get(custom_id)
        if known is None or (known.failed and self._retry_failed):
            return None
        return known

    def __len__(self) -> int:
        return len(self._where)


class Journal:
    """A worker's view of the journal directory: its own file to append to, and everyone's lines to read.

    Not thread-safe; a worker uses it from its event loop's thread only.
    """

    def __init__(self, directory: str, *, retry_failed: bool = False) -> None:
        self.directory = directory
        os.makedirs(directory, exist_ok=True)
        self.index = JournalIndex(retry_failed=retry_failed)
        self._buffers: dict[str, LineBuffer] = {}
        self._read_at: dict[str, int] = {}
        self.name = f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(4)}{SUFFIX}"
        path = os.path.join(directory, self.name)
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND | getattr(os, "O_CLOEXEC", 0)
        self._fd = os.open(path, flags, 0o644)
        self._own = self.index.file_number(self.name)
        self._size = 0
        self._dirty = False

    def refresh(self) -> int:
        """Read what the other writers appended since the last look; how many lines were new."""
        new = 0
        for entry in os.scandir(self.directory):
            name = entry.name
            if name == self.name or not name.endswith(SUFFIX) or not entry.is_file():
                continue
            size = entry.stat().st_size
            if size > self._read_at.get(name, 0):
                new += self._catch_up(name, size)
        return new

    def _catch_up(self, name: str, size: int) -> int:
        buffer = self._buffers.setdefault(name, LineBuffer())
        number = self.index.file_number(name)
        position = self._read_at.get(name, 0)
        new = 0
        with open(os.path.join(self.directory, name), "rb", buffering=0) as file:
            file.seek(position)
            while position < size:
                data = file.read(min(_CHUNK, size - position))
                if not data:
                    break  # truncated under us: not something a writer here does
                position += len(data)
                for offset, raw in buffer.feed(data):
                    new += self.index.add(number, offset, raw) is not None
        self._read_at[name] = position
        return new

    def answer(self, custom_id: str) -> bytes | None:
        """The journal's line for `custom_id`, if it is answered."""
        where = self.index.answered(custom_id)
        if where is None:
            return None
        name = self.index.files[where.file]
        with open(os.path.join(self.directory, name), "rb", buffering=0) as file:
            file.seek(where.offset)
            return file.read(where.length)

    def append(self, line: bytes) -> None:
        """Add one output line (newline included), in a single write."""
        offset = self._size
        view = memoryview(line)
        while view:
            written = os.write(self._fd, view)
            view = view[written:]
        self._size += len(line)
        self._dirty = True
        self.index.add(self._own, offset, line)

    def sync(self) -> None:
        """Make the lines written so far durable (blocking: call it from a worker thread)."""
        if self._dirty:
            self._dirty = False
            os.fsync(self._fd)

    def close(self) -> None:
        self.sync()
        os.close(self._fd)
