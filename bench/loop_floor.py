"""The floor under every client's CPU per request, and under any actor.

    python bench/loop_floor.py --base-url http://127.0.0.1:18080/v1 [--concurrency 1,64,256,1024,4096]
                               [--requests 20000] [--repeat 3] [--load tasks|workers]
                               [--rows load,wire,actor,client]

Up to four rows per backend (asyncio, trio), each cell a fresh process
pinned to core 1, median of --repeat, client CPU µs (user + sys) per request:

* load: `client_cpu.py`'s own load (--load tasks: a task per request under a
  semaphore, PERF.md's method; workers: one task per slot in flight) where
  the request is one trip round the scheduler: what the harness costs every
  client before any network I/O;
* wire: that many connections, each sending the chat request's bytes and
  reading the answer by its Content-Length, with no HTTP library and no
  load: an asyncio BufferedProtocol on asyncio, the socket's own
  non-blocking calls and `wait_readable` on trio. No client can spend less
  on the same exchange;
* actor: the load, where each request is handed to an idle connection's
  task, which sends it on the wire as above and wakes its caller with the
  answer (the client's own one-shot signals). The least any client built
  as an actor can cost: no HTTP, no bookkeeping, two hand-overs a request;
* client: this client (`client_cpu.py`'s actors / actors_trio) under the same
  load, in the same run.

Use it against a fast fixed-answer server (PERF.md's nginx), not the mock.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import socket
import statistics
import subprocess
import sys
from collections.abc import Awaitable, Callable
from typing import Protocol
from urllib.parse import urlsplit

import anyio
import anyio.lowlevel

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import client_cpu

# What an owner task runs.
Owner = Callable[[], Awaitable[None]]

BODY = b'{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hello"}]}'


def request_bytes(host: str, path: str) -> bytes:
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
        f"Authorization: Bearer sk-bench\r\nContent-Length: {len(BODY)}\r\n\r\n"
    )
    return head.encode() + BODY


def answer_end(buffer: bytes) -> int:
    """Where the first whole answer in `buffer` ends, or -1."""
    head_end = buffer.find(b"\r\n\r\n")
    if head_end < 0:
        return -1
    head = buffer[:head_end].lower()
    at = head.find(b"content-length:")
    length = int(head[at + 15 :].split(b"\r\n", 1)[0])
    end = head_end + 4 + length
    return end if len(buffer) >= end else -1


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class Connection(Protocol):
    """One connection's side of an exchange, with no HTTP library."""

    def send(self) -> None:
        """Write the request (the kernel takes it whole: it is small)."""

    async def answer(self) -> None:
        """Return once the whole answer is in; may start waiting before send()."""


# -- asyncio ------------------------------------------------------------------------


class _Exchange(asyncio.BufferedProtocol):
    """A BufferedProtocol: for a plain Protocol asyncio reads with recv(256 KiB), an
    allocation that can be an mmap of its own per read (bench/README.md), which
    would put a cost in the floor that a client need not pay."""

    def __init__(self) -> None:
        self.read_buffer = memoryview(bytearray(65536))
        self.buffer = b""
        self.answered: asyncio.Future[None] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport: asyncio.Transport = transport  # type: ignore[assignment]

    def get_buffer(self, sizehint: int) -> memoryview:
        return self.read_buffer

    def buffer_updated(self, nbytes: int) -> None:
        self.buffer += self.read_buffer[:nbytes]
        end = answer_end(self.buffer)
        if end >= 0 and self.answered is not None:
            self.buffer = self.buffer[end:]
            self.answered.set_result(None)


class AsyncioConnection:
    def __init__(self, exchange: _Exchange, request: bytes) -> None:
        self._exchange = exchange
        self._request = request

    def send(self) -> None:
        self._exchange.transport.write(self._request)

    async def answer(self) -> None:
        answered = self._exchange.answered = asyncio.get_running_loop().create_future()
        await answered


async def asyncio_connections(host: str, port: int, request: bytes, count: int) -> list[Connection]:
    loop = asyncio.get_running_loop()
    made: list[Connection] = []
    for _ in range(count):
        exchange = (await loop.create_connection(_Exchange, host, port))[1]
        made.append(AsyncioConnection(exchange, request))
    return made


async def asyncio_load(n: int, concurrency: int, load: str) -> float:
    async def one() -> int:
        await asyncio.sleep(0)
        return 1

    return (await client_cpu.drive(one, n, concurrency, load))[1]


# -- trio ---------------------------------------------------------------------------


class TrioConnection:
    def __init__(self, sock: socket.socket, request: bytes) -> None:
        self._sock = sock
        self._request = request
        self._buffer = b""

    def send(self) -> None:
        self._sock.send(self._request)

    async def answer(self) -> None:
        import trio

        sock = self._sock
        await trio.lowlevel.wait_readable(sock)  # sent just now: nothing to read yet
        while (end := answer_end(self._buffer)) < 0:
            try:
                self._buffer += sock.recv(65536)
            except BlockingIOError:
                await trio.lowlevel.wait_readable(sock)
        self._buffer = self._buffer[end:]


def trio_connections(host: str, port: int, request: bytes, count: int) -> list[Connection]:
    made: list[Connection] = []
    for _ in range(count):
        sock = socket.create_connection((host, port))
        sock.setblocking(False)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        made.append(TrioConnection(sock, request))
    return made


async def trio_load(n: int, concurrency: int, load: str) -> float:
    import trio

    async def one() -> int:
        await trio.lowlevel.checkpoint()
        return 1

    return (await client_cpu.drive(one, n, concurrency, load))[1]


# -- the same on either loop -----------------------------------------------------------


async def wire(connections: list[Connection], n: int) -> float:
    """Each connection's own task sends request after request: no hand-over at all."""
    free = list(connections)

    async def one() -> int:
        connection = free.pop()
        connection.send()
        await connection.answer()
        free.append(connection)
        return 1

    return (await client_cpu.drive(one, n, len(connections), "workers"))[1]


async def actor(
    connections: list[Connection], n: int, load: str, lean: bool, spawn: Callable[[Owner], None]
) -> float:
    """The least an actor can do: each of the load's requests goes to an idle
    connection, whose own task (the owner) reads the answer and wakes the
    caller, through the client's own one-shot signals. Not lean: the caller
    hands the request to the owner, which sends it (two hand-overs a request).
    Lean: the caller sends the request itself on the idle connection, where
    its owner already waits for an answer (one hand-over). The owners run
    until the caller of this cancels them (`spawn` is how)."""
    from openai_actors._signals import signal_factory

    new_signal = signal_factory()
    idle: list[_Owned] = []

    class _Owned:
        __slots__ = ("connection", "done", "wake")

        def __init__(self, connection: Connection) -> None:
            self.connection = connection
            self.wake = new_signal()
            self.done = new_signal()

    def owner(connection: Connection) -> Owner:
        async def serve() -> None:
            owned = _Owned(connection)
            while True:
                idle.append(owned)
                if lean:
                    await connection.answer()
                else:
                    await owned.wake.wait()
                    owned.wake = new_signal()  # before it can be handed the next request
                    connection.send()
                    await connection.answer()
                owned.done.set()

        return serve

    for connection in connections:
        spawn(owner(connection))

    async def one() -> int:
        owned = idle.pop()  # the load keeps len(connections) in flight at most
        done = owned.done = new_signal()
        if lean:
            owned.connection.send()
        else:
            owned.wake.set()
        await done.wait()
        return 1

    # Each owner parks once before the first request can find it.
    while len(idle) < len(connections):
        await anyio.lowlevel.checkpoint()
    return (await client_cpu.drive(one, n, len(connections), load))[1]


# -- one cell per process -------------------------------------------------------------


async def asyncio_cell(
    row: str, host: str, port: int, request: bytes, n: int, concurrency: int, load: str
) -> float:
    if row == "load":
        return await asyncio_load(n, concurrency, load)
    connections = await asyncio_connections(host, port, request, concurrency)
    if row == "wire":
        return await wire(connections, n)
    owners: list[asyncio.Task[None]] = []
    try:
        spawn = lambda serve: owners.append(asyncio.ensure_future(serve()))  # noqa: E731
        return await actor(connections, n, load, row == "lean", spawn)
    finally:
        for task in owners:
            task.cancel()


async def trio_cell(
    row: str, host: str, port: int, request: bytes, n: int, concurrency: int, load: str
) -> float:
    import trio

    if row == "load":
        return await trio_load(n, concurrency, load)
    connections = trio_connections(host, port, request, concurrency)
    if row == "wire":
        return await wire(connections, n)
    async with trio.open_nursery() as nursery:
        try:
            return await actor(connections, n, load, row == "lean", nursery.start_soon)
        finally:
            nursery.cancel_scope.cancel()


def cell(backend: str, row: str, base_url: str, n: int, concurrency: int, load: str) -> float:
    url = urlsplit(base_url)
    host, port = url.hostname or "127.0.0.1", url.port or 80
    request = request_bytes(f"{host}:{port}", f"{url.path.rstrip('/')}/chat/completions")
    if row == "client":
        kind = "actors" if backend == "asyncio" else "actors_trio"
        body = dict(client_cpu.BODY)
        spent = anyio.run(client_cpu.measure, kind, n, concurrency, base_url, body, load, backend=backend)[1]
    elif backend == "asyncio":
        spent = asyncio.run(asyncio_cell(row, host, port, request, n, concurrency, load))
    else:
        import trio

        spent = trio.run(trio_cell, row, host, port, request, n, concurrency, load)
    return spent / n * 1e6


ROWS = ("load", "wire", "actor", "lean", "client")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--concurrency", default="1,64,256,1024,4096")
    parser.add_argument("--requests", type=int, default=20000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--load", choices=("tasks", "workers"), default="tasks")
    parser.add_argument("--rows", default=",".join(ROWS), help=f"some of {','.join(ROWS)}")
    parser.add_argument(
        "--cell", nargs=4, metavar=("BACKEND", "ROW", "N", "CONCURRENCY"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.cell:
        backend, row, n, concurrency = args.cell
        print(cell(backend, row, args.base_url, int(n), int(concurrency), args.load))
        return
    levels = [int(c) for c in args.concurrency.split(",")]
    wanted = args.rows.split(",")
    if unknown := set(wanted) - set(ROWS):
        parser.error(f"unknown rows: {', '.join(sorted(unknown))}")
    rows = [(b, r) for b in ("asyncio", "trio") for r in ROWS if r in wanted]
    table: dict[tuple[str, str, int], list[float]] = {}
    for _ in range(args.repeat):
        for level in levels:
            n = max(args.requests, 10 * level)
            for backend, row in rows:
                cmd = [*client_cpu.pinned(1), sys.executable, __file__, "--base-url", args.base_url]
                cmd += ["--load", args.load, "--cell", backend, row, str(n), str(level)]
                out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
                table.setdefault((backend, row, level), []).append(float(out))
    print(
        f"CPU µs per request (median of {args.repeat}), N = max({args.requests}, 10 * concurrency), "
        f"{args.load} load"
    )
    print("| | " + " | ".join(f"{c:,} in flight" for c in levels) + " |")
    print("| --- " * (len(levels) + 1) + "|")
    for backend, row in rows:
        cells = [statistics.median(table[backend, row, c]) for c in levels]
        print(f"| {backend} {row} | " + " | ".join(f"{v:.0f}" for v in cells) + " |")


if __name__ == "__main__":
    main()
