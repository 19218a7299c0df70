"""The floor under every client's CPU per request: the load's own cost, and bare sockets.

    python bench/loop_floor.py --base-url http://127.0.0.1:18080/v1 [--concurrency 1,64,256,1024,4096]
                               [--requests 20000] [--repeat 3]

Two rows per backend (asyncio, trio), each cell a fresh process pinned to
core 1, median of --repeat, client CPU µs (user + sys) per request:

* load: `client_cpu.py`'s own load (a task per request under a semaphore)
  where the request is one trip round the scheduler: what the harness costs
  every client in that table before any network I/O;
* wire: that many connections, each sending the chat request's bytes and
  reading the answer by its Content-Length, with no HTTP library: an asyncio
  BufferedProtocol on asyncio, the socket's own non-blocking calls and
  `wait_readable` on trio. No client can spend less on the same exchange.

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
from urllib.parse import urlsplit

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import client_cpu

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


async def asyncio_wire(host: str, port: int, request: bytes, n: int, concurrency: int) -> float:
    loop = asyncio.get_running_loop()
    exchanges = [(await loop.create_connection(_Exchange, host, port))[1] for _ in range(concurrency)]
    left = n

    async def worker(exchange: _Exchange) -> None:
        nonlocal left
        while left > 0:
            left -= 1
            exchange.answered = loop.create_future()
            exchange.transport.write(request)
            await exchange.answered

    started = cpu_seconds()
    await asyncio.gather(*(worker(e) for e in exchanges))
    return cpu_seconds() - started


async def asyncio_load(n: int, concurrency: int) -> float:
    async def one() -> int:
        await asyncio.sleep(0)
        return 1

    return (await client_cpu.drive(one, n, concurrency))[1]


# -- trio ---------------------------------------------------------------------------


async def trio_wire(host: str, port: int, request: bytes, n: int, concurrency: int) -> float:
    import trio

    socks = []
    for _ in range(concurrency):
        sock = socket.create_connection((host, port))
        sock.setblocking(False)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        socks.append(sock)
    left = n

    async def worker(sock: socket.socket) -> None:
        nonlocal left
        buffer = b""
        while left > 0:
            left -= 1
            sock.send(request)
            await trio.lowlevel.wait_readable(sock)
            while (end := answer_end(buffer)) < 0:
                try:
                    buffer += sock.recv(65536)
                except BlockingIOError:
                    await trio.lowlevel.wait_readable(sock)
            buffer = buffer[end:]

    started = cpu_seconds()
    async with trio.open_nursery() as nursery:
        for sock in socks:
            nursery.start_soon(worker, sock)
    spent = cpu_seconds() - started
    for sock in socks:
        sock.close()
    return spent


async def trio_load(n: int, concurrency: int) -> float:
    import trio

    async def one() -> int:
        await trio.lowlevel.checkpoint()
        return 1

    return (await client_cpu.drive(one, n, concurrency))[1]


# -- one cell per process -------------------------------------------------------------


def cell(backend: str, row: str, base_url: str, n: int, concurrency: int) -> float:
    url = urlsplit(base_url)
    host, port = url.hostname or "127.0.0.1", url.port or 80
    request = request_bytes(f"{host}:{port}", f"{url.path.rstrip('/')}/chat/completions")
    if backend == "asyncio":
        if row == "load":
            spent = asyncio.run(asyncio_load(n, concurrency))
        else:
            spent = asyncio.run(asyncio_wire(host, port, request, n, concurrency))
    else:
        import trio

        if row == "load":
            spent = trio.run(trio_load, n, concurrency)
        else:
            spent = trio.run(trio_wire, host, port, request, n, concurrency)
    return spent / n * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--concurrency", default="1,64,256,1024,4096")
    parser.add_argument("--requests", type=int, default=20000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--cell", nargs=4, metavar=("BACKEND", "ROW", "N", "CONCURRENCY"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.cell:
        backend, row, n, concurrency = args.cell
        print(cell(backend, row, args.base_url, int(n), int(concurrency)))
        return
    levels = [int(c) for c in args.concurrency.split(",")]
    rows = [(b, r) for b in ("asyncio", "trio") for r in ("load", "wire")]
    table: dict[tuple[str, str, int], list[float]] = {}
    for _ in range(args.repeat):
        for level in levels:
            n = max(args.requests, 10 * level)
            for backend, row in rows:
                cmd = [*client_cpu.pinned(1), sys.executable, __file__, "--base-url", args.base_url]
                cmd += ["--cell", backend, row, str(n), str(level)]
                out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
                table.setdefault((backend, row, level), []).append(float(out))
    print(f"CPU µs per request (median of {args.repeat}), N = max({args.requests}, 10 * concurrency)")
    print("| | " + " | ".join(f"{c:,} in flight" for c in levels) + " |")
    print("| --- " * (len(levels) + 1) + "|")
    for backend, row in rows:
        cells = [statistics.median(table[backend, row, c]) for c in levels]
        print(f"| {backend} {row} | " + " | ".join(f"{v:.0f}" for v in cells) + " |")


if __name__ == "__main__":
    main()
