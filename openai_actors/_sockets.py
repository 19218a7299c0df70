"""Byte streams under the native transport: lean paths to the kernel on asyncio and on trio.

Why not anyio's stream on asyncio too: its `send` ends with a checkpoint (a
trip round the event loop) even when the kernel took every byte, and its
`receive` registers the socket for reading and unregisters it again on every
call (two epoll_ctl system calls). A request costs one send and a receive or
two, so those were a measurable share of the client's CPU per request (see
bench/README.md). On asyncio, plain TCP goes to the socket itself, registered
with the loop's selector once for the connection's life (`_SelectorWire`);
TLS, and loops without a selector, through a transport and a protocol that
likewise stays registered (`_ProtocolWire`). Both pause reading only when a
reader falls `HIGH_WATER` bytes behind, and return from `send` and `receive`
without yielding when they need not wait. On trio, plain TCP goes to the
socket's own non-blocking calls (`_TrioSocketWire`: trio's socket methods
checkpoint on every call), and TLS through anyio's stream over trio's
(`_AnyioWire`).

All kinds answer the same four calls (`Wire`); failures surface as OSError,
anyio.BrokenResourceError, or ssl.SSLError while connecting.
"""

from __future__ import annotations

import asyncio
import errno
import ipaddress
import itertools
import os
import select
import socket
import ssl
import threading
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Final, Protocol, TypeVar

import anyio
import anyio.abc
from anyio.abc import SocketAttribute

__all__ = ["Wire", "connect"]

# Stop reading from the socket when this much is buffered and unread; start
# again below LOW_WATER. Bounds the memory of a fast server feeding a slow reader.
HIGH_WATER: Final = 1024 * 1024
LOW_WATER: Final = 256 * 1024
# As anyio.connect_tcp: the next address family is tried after this long.
HAPPY_EYEBALLS_DELAY: Final = 0.25
# The most one read takes from a socket (asyncio reads into a buffer this big).
READ_SIZE: Final = 65536
_per_thread = threading.local()


class Wire(Protocol):
    async def send(self, data: bytes) -> None: ...

    async def receive(self) -> bytes:
        """The next bytes from the peer; b"" once it has closed its side."""
        ...

    def idle_clean(self) -> bool:
        """Whether nothing has arrived (no bytes, no EOF) since the last response was read."""
        ...

    async def aclose(self) -> None: ...


async def connect(host: str, port: int, ssl_context: ssl.SSLContext | None) -> Wire:
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:  # not asyncio: trio
        pass
    else:
        if ssl_context is None and isinstance(loop, asyncio.selector_events.BaseSelectorEventLoop):
            return await _SelectorWire.connect(loop, host, port)
        return await _ProtocolWire.connect(loop, host, port, ssl_context)
    if ssl_context is None:
        if _is_address(host):
            return await _TrioSocketWire.connect(host, port)
        plain = await anyio.connect_tcp(host, port)
        return _TrioSocketWire(plain.extra(SocketAttribute.raw_socket), owner=plain)
    tls = await anyio.connect_tcp(
        host, port, ssl_context=ssl_context, tls_hostname=host, tls_standard_compatible=False
    )
    return _AnyioWire(tls)


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _read_buffer() -> memoryview:
    """This thread's buffer for the sockets' reads (an event loop runs in one thread)."""
    buffer: memoryview | None = getattr(_per_thread, "buffer", None)
    if buffer is None:
        buffer = _per_thread.buffer = memoryview(bytearray(READ_SIZE))
    return buffer


class _Arrivals:
    """What has arrived on an asyncio connection and is not read yet; wakes the one reader waiting.

    Shared by both asyncio wires: the arrival side is a selector callback or
    a protocol, the reading side the lane. Whether to pause or resume reading
    is decided here; doing it is the wire's (a selector, or a transport).
    """

    __slots__ = ("buffered", "chunks", "eof", "error", "paused", "reader")

    def __init__(self) -> None:
        self.chunks: deque[bytes] = deque()
        self.buffered = 0
        self.paused = False  # the reader fell HIGH_WATER behind: not reading the socket
        self.eof = False
        self.error: BaseException | None = None
        self.reader: asyncio.Future[None] | None = None

    def add(self, data: bytes) -> bool:
        """Keep `data`; True if reading must pause now."""
        self.chunks.append(data)
        self.buffered += len(data)
        self._wake()
        if self.buffered > HIGH_WATER and not self.paused:
            self.paused = True
            return True
        return False

    def end(self, error: BaseException | None = None) -> None:
        """Nothing more will arrive: the peer closed its side, or the connection failed (`error`)."""
        self.eof = True
        if error is not None:
            self.error = error
        self._wake()

    def clean(self) -> bool:
        return not self.chunks and not self.eof

    async def take(self) -> tuple[bytes, bool]:
        """The next bytes (b"" once the peer closed), and whether reading must resume now."""
        chunks = self.chunks
        while not chunks:
            if self.eof:
                if self.error is not None:
                    raise anyio.BrokenResourceError from self.error
                return b"", False
            reader = self.reader = asyncio.get_running_loop().create_future()
            try:
                await reader
            finally:
                self.reader = None
        data = chunks.popleft()
        self.buffered -= len(data)
        if self.paused and self.buffered < LOW_WATER:
            self.paused = False
            return data, True
        return data, False

    def _wake(self) -> None:
        reader = self.reader
        if reader is not None and not reader.done():
            reader.set_result(None)


class _Buffering(asyncio.BufferedProtocol):
    """Collects what arrives (`arrivals`), for `_ProtocolWire`.

    A BufferedProtocol, not a plain Protocol: for a plain one asyncio's
    transport calls recv(256 KiB) for every read, and an allocation that size
    is an mmap of its own, two page faults and an munmap per response
    (bench/README.md). Here the transport reads into one buffer per thread,
    and `buffer_updated` copies out what arrived before anything else can
    read into it (the two are called back to back, in the loop's thread).
    """

    def __init__(self) -> None:
        self._buffer = _read_buffer()
        self.transport: asyncio.Transport | None = None
        self.arrivals = _Arrivals()
        self.writable: asyncio.Future[None] | None = None  # set while writing is paused

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def get_buffer(self, sizehint: int) -> memoryview:
        return self._buffer

    def buffer_updated(self, nbytes: int) -> None:
        self.data_received(self._buffer[:nbytes].tobytes())

    def data_received(self, data: bytes) -> None:
        if self.arrivals.add(data) and self.transport is not None:
            self.transport.pause_reading()

    def eof_received(self) -> bool:
        self.arrivals.end()
        return False  # close our side too: HTTP/1.1 has no use for a half-open connection

    def connection_lost(self, exc: Exception | None) -> None:
        self.arrivals.end(exc)
        self.resume_writing()

    def pause_writing(self) -> None:
        if self.writable is None:
            self.writable = asyncio.get_running_loop().create_future()

    def resume_writing(self) -> None:
        writable, self.writable = self.writable, None
        if writable is not None and not writable.done():
            writable.set_result(None)


_Connected = tuple[asyncio.Transport, _Buffering]


async def _open(
    loop: asyncio.AbstractEventLoop, address: str, port: int, ssl_context: ssl.SSLContext | None, host: str
) -> _Connected:
    # No happy_eyeballs_delay: asyncio's race for it (in 3.11 at least) leaks
    # the socket when cancelled just as a connection succeeds; _race does it.
    transport, protocol = await loop.create_connection(
        _Buffering, address, port, ssl=ssl_context, server_hostname=host if ssl_context else None
    )
    assert isinstance(transport, asyncio.Transport)
    return transport, protocol


async def _resolve(loop: asyncio.AbstractEventLoop, host: str, port: int) -> list[str]:
    """The addresses of `host`, alternating families in the resolver's order (RFC 8305)."""
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    by_family: dict[int, list[str]] = {}
    for family, _, _, _, sockaddr in infos:
        address = str(sockaddr[0])
        if address not in by_family.setdefault(family, []):
            by_family[family].append(address)
    columns = list(by_family.values())
    return [a for row in itertools.zip_longest(*columns) for a in row if a is not None]


_W = TypeVar("_W")


async def _race(
    addresses: list[str], host: str, attempt: Callable[[str], Awaitable[_W]], discard: Callable[[_W], None]
) -> _W:
    """Happy eyeballs: start on the next address when the last has failed or is slow; first wins.

    Nothing awaits between an attempt succeeding and its being kept or
    discarded, so however this is cancelled, no connection is left open.
    """
    winner: list[_W] = []  # a list: the winner may be any object, None included
    errors: list[OSError] = []
    try:
        async with anyio.create_task_group() as tg:

            async def one(address: str, failed: anyio.Event) -> None:
                try:
                    connected = await attempt(address)
                except OSError as exc:
                    errors.append(exc)
                    failed.set()  # try the next address now
                    return
                if not winner:
                    winner.append(connected)
                    tg.cancel_scope.cancel()
                else:
                    discard(connected)

            for address in addresses:
                failed = anyio.Event()
                tg.start_soon(one, address, failed)
                with anyio.move_on_after(HAPPY_EYEBALLS_DELAY):
                    await failed.wait()
    except BaseException:
        if winner:
            discard(winner[0])
        raise
    if not winner:
        # A TLS failure is the host's, not one address's: report it as such.
        tls = [e for e in errors if isinstance(e, ssl.SSLError)]
        if tls:
            raise tls[0]
        raise OSError(f"every address of {host!r} failed: " + "; ".join(map(str, errors)))
    return winner[0]


class _ProtocolWire:
    __slots__ = ("_protocol", "_transport")

    def __init__(self, transport: asyncio.Transport, protocol: _Buffering) -> None:
        self._transport = transport
        self._protocol = protocol

    @classmethod
    async def connect(
        cls, loop: asyncio.AbstractEventLoop, host: str, port: int, ssl_context: ssl.SSLContext | None
    ) -> _ProtocolWire:
        addresses = [host] if _is_address(host) else await _resolve(loop, host, port)
        if len(addresses) == 1:
            transport, protocol = await _open(loop, addresses[0], port, ssl_context, host)
        else:
            transport, protocol = await _race(
                addresses,
                host,
                lambda address: _open(loop, address, port, ssl_context, host),
                lambda connected: connected[0].abort(),
            )
        return cls(transport, protocol)

    async def send(self, data: bytes) -> None:
        protocol = self._protocol
        error = protocol.arrivals.error
        if error is not None:
            raise anyio.BrokenResourceError from error
        if self._transport.is_closing():
            raise anyio.BrokenResourceError("the connection is closed")
        self._transport.write(data)
        # Wait only when the transport's buffer is over its limit (the kernel
        # would not take it all): the backpressure anyio's stream also applies.
        writable = protocol.writable
        if writable is not None:
            await writable
            error = protocol.arrivals.error
            if error is not None:
                raise anyio.BrokenResourceError from error
            if self._transport.is_closing():
                raise anyio.BrokenResourceError("the connection is closed")

    async def receive(self) -> bytes:
        data, resume = await self._protocol.arrivals.take()
        if resume:
            self._transport.resume_reading()
        return data

    def idle_clean(self) -> bool:
        return self._protocol.arrivals.clean() and not self._transport.is_closing()

    async def aclose(self) -> None:
        transport = self._transport
        transport.close()
        # One turn of the loop lets a plain socket close; a TLS transport would
        # wait for the peer's close_notify, which nobody needs here, so abort.
        await asyncio.sleep(0)
        transport.abort()


class _AnyioWire:
    __slots__ = ("_poll", "_stream")

    def __init__(self, stream: anyio.abc.ByteStream) -> None:
        self._stream = stream
        self._poll = _idle_poll(stream.extra(SocketAttribute.raw_socket, None))

    async def send(self, data: bytes) -> None:
        await self._stream.send(data)

    async def receive(self) -> bytes:
        try:
            return await self._stream.receive(READ_SIZE)
        except anyio.EndOfStream:
            return b""

    def idle_clean(self) -> bool:
        return _idle_clean(self._poll)

    async def aclose(self) -> None:
        await self._stream.aclose()


class _SelectorWire:
    """Plain TCP on asyncio: the socket registered once with the loop's selector, read and written directly.

    Why not a transport here: asyncio's transport set-up (getsockname and
    getpeername, a setsockopt, `connection_made` a loop turn later) doubles
    the CPU cost of opening a connection (about 90 us against 45: see
    bench/README.md), which a client opening thousands of connections pays
    once each; and its write and read paths add layers around the same two
    system calls. TLS, and event loops without `add_reader`, keep the
    transport (`_ProtocolWire`). Reads go into the thread's buffer, as there.
    """

    __slots__ = ("_buffer", "_closed", "_fd", "_loop", "_sock", "_writing", "arrivals")

    def __init__(self, loop: asyncio.AbstractEventLoop, sock: socket.socket) -> None:
        self._loop = loop
        self._sock = sock
        self._fd = sock.fileno()
        self._buffer = _read_buffer()
        self.arrivals = _Arrivals()
        self._closed = False
        self._writing: asyncio.Future[None] | None = None  # a send waiting for room
        loop.add_reader(self._fd, self._on_readable)

    @classmethod
    async def connect(cls, loop: asyncio.AbstractEventLoop, host: str, port: int) -> _SelectorWire:
        if _is_address(host):
            return await cls._connect_to(loop, host, port)
        addresses = await _resolve(loop, host, port)
        if len(addresses) == 1:
            return await cls._connect_to(loop, addresses[0], port)
        return await _race(
            addresses, host, lambda address: cls._connect_to(loop, address, port), lambda wire: wire.close()
        )

    @classmethod
    async def _connect_to(cls, loop: asyncio.AbstractEventLoop, address: str, port: int) -> _SelectorWire:
        sock = await _connected(address, port, lambda sock: _writable(loop, sock))
        try:
            return cls(loop, sock)
        except BaseException:
            sock.close()
            raise

    def _on_readable(self) -> None:
        """The selector's callback: one read, as asyncio's transports do."""
        try:
            count = self._sock.recv_into(self._buffer)
        except (BlockingIOError, InterruptedError):
            return
        except OSError as exc:
            self._loop.remove_reader(self._fd)
            self.arrivals.end(exc)
            return
        if not count:  # EOF: stop watching, or level-triggered readiness would fire for ever
            self._loop.remove_reader(self._fd)
            self.arrivals.end()
        elif self.arrivals.add(self._buffer[:count].tobytes()):
            self._loop.remove_reader(self._fd)

    async def send(self, data: bytes) -> None:
        if self._closed:
            raise anyio.BrokenResourceError("the connection is closed")
        error = self.arrivals.error
        if error is not None:
            raise anyio.BrokenResourceError from error
        sock = self._sock
        try:
            sent = sock.send(data)
        except (BlockingIOError, InterruptedError):
            sent = 0
        if sent == len(data):
            return
        view = memoryview(data)[sent:]
        while view:
            await self._writable()
            try:
                view = view[sock.send(view) :]
            except (BlockingIOError, InterruptedError):
                pass

    async def _writable(self) -> None:
        """Wait for room to write; close() wakes the wait, which then fails."""
        future = self._writing = self._loop.create_future()
        self._loop.add_writer(self._fd, _settle, future)
        try:
            await future
        finally:
            self._writing = None
            if not self._closed:  # close() unregistered it before the fd could be reused
                self._loop.remove_writer(self._fd)
        if self._closed:
            raise anyio.BrokenResourceError("the connection is closed")

    async def receive(self) -> bytes:
        data, resume = await self.arrivals.take()
        if resume and not self._closed:
            self._loop.add_reader(self._fd, self._on_readable)
        return data

    def idle_clean(self) -> bool:
        return self.arrivals.clean() and not self._closed

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            # Out of the selector before the fd is closed: its number may be
            # reused at once, and a stale registration would be the new socket's.
            self._loop.remove_reader(self._fd)
            writing = self._writing
            if writing is not None:
                self._loop.remove_writer(self._fd)
                _settle(writing)
            self._sock.close()
            self.arrivals.end()  # a reader still waiting sees the end, as on a transport's close

    async def aclose(self) -> None:
        self.close()


# What a non-blocking connect() answers while the connection is being made
# (EWOULDBLOCK on Windows; EINTR: a signal interrupted the call, not the connecting).
_CONNECTING: Final = frozenset({errno.EINPROGRESS, errno.EWOULDBLOCK, errno.EAGAIN, errno.EINTR})


async def _connected(
    address: str, port: int, writable: Callable[[socket.socket], Awaitable[object]]
) -> socket.socket:
    """A non-blocking TCP socket connected to an IP address, waiting with `writable` (the backend's).

    Closed again on any failure or cancellation, so nothing leaks.
    """
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setblocking(False)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if _start_connect(sock, address, port):
            await writable(sock)
            _raise_connect_error(sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR), address, port)
    except BaseException:
        sock.close()
        raise
    return sock


def _start_connect(sock: socket.socket, address: str, port: int) -> bool:
    """Start connecting the non-blocking `sock`; True if the caller must wait until it is writable."""
    error = sock.connect_ex((address, port))
    if error in _CONNECTING:
        return True
    _raise_connect_error(error, address, port)
    return False


def _raise_connect_error(error: int, address: str, port: int) -> None:
    if error:
        raise OSError(error, f"connect to {address}:{port}: {os.strerror(error)}")


async def _writable(loop: asyncio.AbstractEventLoop, sock: socket.socket) -> None:
    """Wait until `sock` can be written to (or has failed: the next call on it says how)."""
    fd = sock.fileno()
    future = loop.create_future()
    loop.add_writer(fd, _settle, future)
    try:
        await future
    finally:
        loop.remove_writer(fd)


def _settle(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


def _idle_poll(sock: socket.socket | None) -> select.poll | None:
    """A poll object watching `sock` for input, for `_idle_clean`.

    Without poll (Windows) idle connections are not checked; a stale one then
    fails its next request, which is retried like any connection error.
    """
    if sock is None or not hasattr(select, "poll"):
        return None
    poll = select.poll()  # poll, not select: select fails on descriptors above 1023
    poll.register(sock.fileno(), select.POLLIN | select.POLLPRI)
    return poll


def _idle_clean(poll: select.poll | None) -> bool:
    # An idle keep-alive connection has nothing to read: anything readable is
    # the server's EOF or bytes we did not ask for, and either way unusable.
    return poll is None or not poll.poll(0)


class _TrioSocketWire:
    """Plain TCP on trio: the socket's own non-blocking calls, waiting only when they would block.

    trio's socket methods checkpoint on every call, a trip round the scheduler
    even when the kernel had the bytes ready; this goes to the kernel first.
    The socket comes from `connect` below for an address, or from anyio's
    happy eyeballs for a name (then anyio's stream owns it, and closes it).
    """

    __slots__ = ("_owner", "_poll", "_sent", "_sock")

    def __init__(self, sock: socket.socket, owner: anyio.abc.SocketStream | None = None) -> None:
        self._sock = sock
        self._owner = owner
        self._poll = _idle_poll(sock)
        # Just sent a request: its answer cannot be there yet, so the next
        # receive waits first instead of paying for a recv that fails.
        self._sent = False

    @classmethod
    async def connect(cls, address: str, port: int) -> _TrioSocketWire:
        """A connection to an IP address: straight to the kernel, no task group for one address."""
        import trio

        return cls(await _connected(address, port, trio.lowlevel.wait_writable))

    async def send(self, data: bytes) -> None:
        import trio

        sock = self._sock
        view = memoryview(data)
        while view:
            try:
                sent = sock.send(view)
            except BlockingIOError:
                try:
                    await trio.lowlevel.wait_writable(sock)
                except trio.ClosedResourceError:  # aclose() while waiting
                    raise anyio.BrokenResourceError("the connection is closed") from None
            else:
                view = view[sent:]
        self._sent = True

    async def receive(self) -> bytes:
        import trio

        sock = self._sock
        if self._sent:
            self._sent = False
            await trio.lowlevel.wait_readable(sock)
        while True:
            try:
                return sock.recv(READ_SIZE)
            except BlockingIOError:
                await trio.lowlevel.wait_readable(sock)

    def idle_clean(self) -> bool:
        return _idle_clean(self._poll)

    async def aclose(self) -> None:
        if self._owner is not None:
            await self._owner.aclose()
            return
        import trio

        trio.lowlevel.notify_closing(self._sock)  # wakes any task waiting on it
        self._sock.close()
