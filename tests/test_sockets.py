"""The byte streams under the native transport (`_sockets.py`), against a loopback listener."""

from __future__ import annotations

import asyncio
import errno
import socket
import struct
from collections.abc import Awaitable, Callable

import anyio
import anyio.abc
import pytest

from openai_actors import AsyncOpenAI, _sockets
from openai_actors.mock import MockServer

from .conftest import close_while_threads_ask, eventually

pytestmark = pytest.mark.anyio

Handler = Callable[[anyio.abc.SocketStream], Awaitable[None]]


Connect = Callable[[str, int], Awaitable[_sockets.Wire]]


async def plain(host: str, port: int) -> _sockets.Wire:
    return await _sockets.connect(host, port, None)


async def through_a_transport(host: str, port: int) -> _sockets.Wire:
    """asyncio's transport-based wire, which TLS connections use, over plain TCP."""
    return await _sockets._ProtocolWire.connect(asyncio.get_running_loop(), host, port, None)


async def with_peer(
    handler: Handler, body: Callable[[_sockets.Wire], Awaitable[None]], connect: Connect = plain
) -> None:
    """Run `body` on a Wire connected to a listener whose one connection `handler` serves."""
    listener = await anyio.create_tcp_listener(local_host="127.0.0.1")
    port = listener.extra(anyio.abc.SocketAttribute.local_port)

    async def serve(conn: anyio.abc.SocketStream) -> None:
        async with conn:
            await handler(conn)

    with anyio.fail_after(10):
        async with listener, anyio.create_task_group() as tg:
            tg.start_soon(listener.serve, serve)
            wire = await connect("127.0.0.1", port)
            try:
                await body(wire)
            finally:
                await wire.aclose()
                tg.cancel_scope.cancel()


async def test_bytes_both_ways_then_eof() -> None:
    async def echo_twice(conn: anyio.abc.SocketStream) -> None:
        for _ in range(2):
            await conn.send(b"echo " + await conn.receive())

    async def body(wire: _sockets.Wire) -> None:
        for word in (b"one", b"two"):
            await wire.send(word)
            assert b"echo " + word == await wire.receive()
        assert b"" == await wire.receive()  # the peer closed: EOF, every time it is asked
        assert b"" == await wire.receive()

    await with_peer(echo_twice, body)


async def test_an_idle_connection_is_clean_until_something_arrives() -> None:
    sent = anyio.Event()

    async def stray_bytes(conn: anyio.abc.SocketStream) -> None:
        await conn.receive()
        await conn.send(b"unasked")
        sent.set()
        await conn.receive()  # hold the connection open until the client closes

    async def body(wire: _sockets.Wire) -> None:
        assert wire.idle_clean()
        await wire.send(b"x")
        await sent.wait()
        await eventually(lambda: not wire.idle_clean())  # the bytes are in flight on loopback
        assert b"unasked" == await wire.receive()

    await with_peer(stray_bytes, body)


async def test_a_peer_that_closes_makes_an_idle_connection_unclean() -> None:
    async def close_at_once(conn: anyio.abc.SocketStream) -> None:
        pass

    async def body(wire: _sockets.Wire) -> None:
        await eventually(lambda: not wire.idle_clean())
        assert b"" == await wire.receive()

    await with_peer(close_at_once, body)


async def test_a_send_larger_than_the_kernel_takes_at_once_goes_out_whole() -> None:
    """More than the socket's buffers hold: the wire waits until it can write the rest."""
    total = 16 * 1024 * 1024
    data = bytes(range(256)) * (total // 256)

    async def count_then_answer(conn: anyio.abc.SocketStream) -> None:
        received = bytearray()
        while len(received) < total:
            received += await conn.receive()
        await conn.send(b"ok" if received == data else b"corrupt")

    async def body(wire: _sockets.Wire) -> None:
        await wire.send(data)
        assert b"ok" == await wire.receive()

    await with_peer(count_then_answer, body)


class _Connecting:
    """A socket whose connect_ex answers `error`."""

    def __init__(self, error: int) -> None:
        self.error = error

    def connect_ex(self, address: tuple[str, int]) -> int:
        return self.error


@pytest.mark.parametrize("error", [errno.EINPROGRESS, errno.EWOULDBLOCK, errno.EAGAIN, errno.EINTR])
def test_a_connect_still_in_progress_is_waited_for(error: int) -> None:
    """EWOULDBLOCK is how Windows says EINPROGRESS; EINTR interrupted the call, not the connecting."""
    assert _sockets._start_connect(_Connecting(error), "127.0.0.1", 1)  # type: ignore[arg-type]


def test_a_connect_that_failed_at_once_is_an_oserror_naming_the_address() -> None:
    with pytest.raises(OSError, match=r"127\.0\.0\.1:1"):
        _sockets._start_connect(_Connecting(errno.ECONNREFUSED), "127.0.0.1", 1)  # type: ignore[arg-type]
    assert not _sockets._start_connect(_Connecting(0), "127.0.0.1", 1)  # type: ignore[arg-type]


async def test_closing_a_wire_fails_a_send_waiting_for_room_and_leaves_nothing_registered() -> None:
    """The send fails at once; the next connection (likely on the same descriptor) works."""
    listener = await anyio.create_tcp_listener(local_host="127.0.0.1")
    port = listener.extra(anyio.abc.SocketAttribute.local_port)
    release = anyio.Event()

    async def serve(conn: anyio.abc.SocketStream) -> None:
        async with conn:
            first = await conn.receive()
            if first.startswith(b"hold"):
                await release.wait()  # never reads on: the sender's buffers fill
            else:
                await conn.send(b"echo " + first)

    failed: list[BaseException] = []

    async def flood(wire: _sockets.Wire) -> None:
        try:
            await wire.send(b"hold" + bytes(64 * 1024 * 1024))
        except (OSError, anyio.BrokenResourceError) as exc:
            failed.append(exc)

    with anyio.fail_after(10):
        async with listener, anyio.create_task_group() as tg:
            tg.start_soon(listener.serve, serve)
            wire = await _sockets.connect("127.0.0.1", port, None)
            async with anyio.create_task_group() as senders:
                senders.start_soon(flood, wire)
                await anyio.wait_all_tasks_blocked()  # the send waits for room
                await wire.aclose()
            assert 1 == len(failed)
            again = await _sockets.connect("127.0.0.1", port, None)
            await again.send(b"ping")
            assert b"echo ping" == await again.receive()
            await again.aclose()
            release.set()
            tg.cancel_scope.cancel()


async def test_a_reset_connection_fails_the_read_after_what_came_before() -> None:
    async def answer_then_reset(conn: anyio.abc.SocketStream) -> None:
        await conn.receive()
        await conn.send(b"partial")
        sock = conn.extra(anyio.abc.SocketAttribute.raw_socket)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # close sends RST

    async def body(wire: _sockets.Wire) -> None:
        await wire.send(b"x")
        assert b"partial" == await wire.receive()
        with pytest.raises((OSError, anyio.BrokenResourceError)):
            while await wire.receive():
                pass

    await with_peer(answer_then_reset, body)


def reading_state(wire: _sockets.Wire) -> tuple[bool, int]:
    """(reading paused, bytes buffered and unread) of either asyncio wire."""
    if isinstance(wire, _sockets._ProtocolWire):
        arrivals = wire._protocol.arrivals
    else:
        assert isinstance(wire, _sockets._SelectorWire)
        arrivals = wire.arrivals
    return arrivals.paused, arrivals.buffered


@pytest.mark.parametrize("anyio_backend", ["asyncio"])
@pytest.mark.parametrize("connect", [plain, through_a_transport], ids=["selector", "transport"])
async def test_a_reader_that_falls_behind_stops_the_socket_being_read(
    anyio_backend: str, connect: Connect
) -> None:
    """What is buffered and unread stays under HIGH_WATER plus one read; nothing is lost."""
    total = 8 * _sockets.HIGH_WATER
    block = bytes(range(256)) * 256

    async def flood(conn: anyio.abc.SocketStream) -> None:
        for _ in range(total // len(block)):
            await conn.send(block)

    async def body(wire: _sockets.Wire) -> None:
        await eventually(lambda: reading_state(wire)[0])
        assert reading_state(wire)[1] <= _sockets.HIGH_WATER + _sockets.READ_SIZE  # one read at most past it
        received = bytearray()
        while data := await wire.receive():
            received += data
        assert total == len(received)
        assert block * (total // len(block)) == received
        assert not reading_state(wire)[0]  # reading again once the reader caught up

    await with_peer(flood, body, connect)


async def test_connections_read_at_once_each_get_their_own_bytes() -> None:
    """On asyncio every connection of a thread reads into one buffer: nothing may cross over."""
    size = 5 * _sockets.READ_SIZE + 123
    listener = await anyio.create_tcp_listener(local_host="127.0.0.1")
    port = listener.extra(anyio.abc.SocketAttribute.local_port)

    async def serve(conn: anyio.abc.SocketStream) -> None:
        async with conn:
            tag = await conn.receive(1)
            for start in range(0, size, 10_000):  # in pieces, so the reads interleave
                await conn.send(tag * min(10_000, size - start))

    received: dict[bytes, bytes] = {}

    async def client(tag: bytes) -> None:
        wire = await _sockets.connect("127.0.0.1", port, None)
        try:
            await wire.send(tag)
            data = bytearray()
            while chunk := await wire.receive():
                data += chunk
            received[tag] = bytes(data)
        finally:
            await wire.aclose()

    tags = [bytes([65 + i]) for i in range(8)]
    with anyio.fail_after(10):
        async with listener, anyio.create_task_group() as tg:
            tg.start_soon(listener.serve, serve)
            async with anyio.create_task_group() as clients:
                for tag in tags:
                    clients.start_soon(client, tag)
            tg.cancel_scope.cancel()
    assert {tag: tag * size for tag in tags} == received


class TestAddressRace:
    """Names with several addresses (asyncio: `_race`; trio: anyio's own happy eyeballs)."""

    @pytest.fixture
    def two_addresses(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """'api.test' resolves to a loopback address nobody listens on, then to the server's."""

        async def resolve(loop: object, host: str, port: int) -> list[str]:
            assert "api.test" == host
            return ["127.0.0.2", "127.0.0.1"]

        monkeypatch.setattr(_sockets, "_resolve", resolve)

    @pytest.mark.parametrize("anyio_backend", ["asyncio"])
    @pytest.mark.usefixtures("two_addresses")
    async def test_a_refused_address_moves_on_to_the_next(
        self, anyio_backend: str, server: MockServer
    ) -> None:
        base_url = server.url.replace("127.0.0.1", "api.test")
        async with AsyncOpenAI(api_key="sk-test", base_url=base_url) as client:
            for _ in range(3):
                await client.models.list()
        assert 1 == server.connections_opened

    @pytest.mark.parametrize("anyio_backend", ["asyncio"])
    async def test_when_every_address_fails_the_error_names_them(
        self, anyio_backend: str, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        async def resolve(loop: object, host: str, port: int) -> list[str]:
            return ["127.0.0.2", "127.0.0.3"]

        monkeypatch.setattr(_sockets, "_resolve", resolve)
        with pytest.raises(
            OSError, match=r"every address of 'api.test' failed: .*127\.0\.0\.2.*127\.0\.0\.3"
        ):
            await _sockets.connect("api.test", 9, None)

    @pytest.mark.usefixtures("two_addresses")
    def test_closing_while_connections_race_leaks_no_socket(self, server: MockServer) -> None:
        """Requests from threads cut off by close() mid-connect: every socket is closed, not
        left to the garbage collector (the test suite turns ResourceWarnings into errors)."""
        close_while_threads_ask(server.url.replace("127.0.0.1", "api.test"))


async def test_a_refused_connection_is_an_oserror_naming_the_address() -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(OSError, match=f"127.0.0.1.*{port}|{port}.*127.0.0.1|refused"):
        await _sockets.connect("127.0.0.1", port, None)
