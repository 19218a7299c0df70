"""The realtime session actor against a scripted socket: each event once, and close() always ends it.

A `ScriptedSocket` stands in for `_websocket.WebSocket`, so each test can put
the session exactly where a race would (a write that reached the server and
then failed, a reconnection in flight when close() is called, a server that
never answers the close frame), on asyncio and trio.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

import anyio
import pytest

from openai_actors import ClientClosedError, ConnectionClosedError, ConnectionClosedOK
from openai_actors._realtime_policy import OutgoingQueue, WebSocketSettings
from openai_actors._realtime_session import Reconnect, Session
from openai_actors._websocket import Closed, WebSocket
from openai_actors.types.websocket_reconnection import Headers, Query

pytestmark = [pytest.mark.anyio, pytest.mark.timeout(10)]


class ScriptedSocket:
    """What the session uses of a WebSocket; the test says what the server does."""

    def __init__(self, *, write_fails_after_sending: bool = False, answers_close: bool = True) -> None:
        self.sent: list[str] = []
        self.close_frames: list[tuple[int, str]] = []
        self.writes_begun = 0
        self.on_pong: Callable[[bytes], None] | None = None
        self.closed_by_client = False
        self._write_fails_after_sending = write_fails_after_sending
        self._answers_close = answers_close
        self.stalled = False
        self.pings = 0
        self._lock = anyio.Lock()
        self._messages: deque[str] = deque()
        self._end: Closed | None = None
        self._changed = anyio.Event()
        self.wrote = anyio.Event()
        self.all_read = anyio.Event()  # the session has taken every message the server sent

    def deliver(self, *messages: str) -> None:
        self._messages.extend(messages)
        self.all_read = anyio.Event()
        self._changed.set()

    def drop(self, code: int = 1006) -> None:
        """The connection ends (1006: dropped without a close frame)."""
        self._end = Closed(code)
        self._changed.set()

    async def receive(self) -> str:
        while not self._messages:
            if self._end is not None:
                raise self._end
            self._changed = anyio.Event()
            await self._changed.wait()
        message = self._messages.popleft()
        if not self._messages:
            self.all_read.set()
        return message

    async def send_text(self, text: str) -> None:
        if self._end is not None:
            raise self._end
        async with self._lock:  # frames never interleave: one write at a time, as the real socket
            if self.stalled:  # the server stopped reading: the write waits for a window that never opens
                await anyio.sleep_forever()
            self.writes_begun += 1
            self.sent.append(text)  # it reached the server...
            self.wrote.set()
            if self._write_fails_after_sending:
                self.drop()  # ...and then the connection failed under the write
                raise Closed(1006)

    async def ping(self, payload: bytes) -> None:
        async with self._lock:
            self.pings += 1
        if self.on_pong is not None and not self.stalled:
            self.on_pong(payload)

    async def close(self, code: int = 1000, reason: str = "") -> None:
        self.close_frames.append((code, reason))
        if self._answers_close:
            self.drop(code)

    async def aclose(self) -> None:
        self.closed_by_client = True


def make_session(
    first: ScriptedSocket,
    opener: Callable[[Query, Headers], object],
    *,
    close_timeout: float | None = 5.0,
    reconnecting: bool = True,
    max_queue: int = 256,
    ping_interval: float | None = None,
) -> Session:
    settings = WebSocketSettings(
        ping_interval=ping_interval, ping_timeout=0.2, close_timeout=close_timeout, max_queue=max_queue
    )
    return Session(
        first,  # type: ignore[arg-type]  # the scripted stand-in has what the session uses
        opener=opener,  # type: ignore[arg-type]
        settings=settings,
        outgoing=OutgoingQueue(),
        reconnect=Reconnect(lambda event: None, 3, 0.0, 0.0) if reconnecting else None,
        extra_query={},
        extra_headers={},
        rand=lambda: 0.0,
    )


async def test_an_event_whose_write_failed_after_it_went_out_is_not_sent_again() -> None:
    """The write reached the socket and then the connection failed: it may have counted, so the new
    connection does not get it a second time (at most once, as the session's docstring promises)."""
    first, second = ScriptedSocket(write_fails_after_sending=True), ScriptedSocket()

    async def opener(query: Query, headers: Headers) -> WebSocket:
        return second  # type: ignore[return-value]

    session = make_session(first, opener)
    async with anyio.create_task_group() as tg:
        tg.start_soon(session.run)
        await session.send_text('{"type": "response.create"}')
        await first.wrote.wait()
        await session.send_text('{"type": "response.cancel"}')
        await second.wrote.wait()
        await session.close(1000, "")
    assert ['{"type": "response.create"}'] == first.sent
    assert ['{"type": "response.cancel"}'] == second.sent


async def test_close_during_a_reconnection_attempt_ends_the_session_at_once() -> None:
    """close() while the new socket is being opened: the socket it brings is closed unused, and the
    end is the close that was asked for, not the drop, nor a wait for close_timeout."""
    first, second = ScriptedSocket(), ScriptedSocket()
    opening, release = anyio.Event(), anyio.Event()

    async def opener(query: Query, headers: Headers) -> WebSocket:
        opening.set()
        with anyio.CancelScope(shield=True):  # too far along to be stopped: the socket opens
            await release.wait()
        return second  # type: ignore[return-value]

    session = make_session(first, opener, close_timeout=None)
    async with anyio.create_task_group() as tg:
        tg.start_soon(session.run)
        first.drop()
        await opening.wait()
        tg.start_soon(session.close, 1000, "bye")
        await session._close_asked.wait()
        release.set()
        with anyio.fail_after(5):
            await session._done.wait()
    with pytest.raises(ConnectionClosedOK) as caught:
        await session.receive()
    assert (1000, "bye") == (caught.value.code, caught.value.reason)
    assert ([], True) == (second.sent, second.closed_by_client)


async def test_close_does_not_wait_for_a_slow_reconnection() -> None:
    """close() cancels a reconnection attempt in flight rather than waiting out its open_timeout."""
    first = ScriptedSocket()
    opening = anyio.Event()

    async def opener(query: Query, headers: Headers) -> WebSocket:
        opening.set()
        await anyio.sleep_forever()
        raise AssertionError("unreachable")

    session = make_session(first, opener, close_timeout=None)
    async with anyio.create_task_group() as tg:
        tg.start_soon(session.run)
        first.drop()
        await opening.wait()
        with anyio.fail_after(5):
            await session.close(1000, "")
    with pytest.raises(ConnectionClosedOK):
        await session.receive()


async def test_a_cancelled_close_still_ends_the_session_within_close_timeout() -> None:
    """The task that entered the connection is cancelled, so its close() is too: the session still
    sends the close frame and, the server never answering, ends after close_timeout by itself."""
    ws = ScriptedSocket(answers_close=False)

    async def opener(query: Query, headers: Headers) -> WebSocket:
        raise AssertionError("no reconnection expected")

    session = make_session(ws, opener, close_timeout=0.2, reconnecting=False)
    async with anyio.create_task_group() as tg:
        tg.start_soon(session.run)
        with anyio.CancelScope() as scope:
            scope.cancel()
            await session.close(1000, "")
        with anyio.fail_after(5):
            await session._done.wait()
    assert ([(1000, "")], True) == (ws.close_frames, ws.closed_by_client)
    with pytest.raises(ConnectionClosedOK):
        await session.receive()


async def test_a_message_held_by_a_reader_waiting_for_room_is_delivered_when_the_socket_fails() -> None:
    """The mailbox is full and the reader holds the next message when a failed write ends the socket:
    that message was received, so recv() still gets it, in order, before the close."""
    ws = ScriptedSocket()

    async def opener(query: Query, headers: Headers) -> WebSocket:
        raise AssertionError("no reconnection expected")

    session = make_session(ws, opener, reconnecting=False, max_queue=1)
    async with anyio.create_task_group() as tg:
        tg.start_soon(session.run)
        ws.deliver("a", "b")
        await ws.all_read.wait()  # "a" in the mailbox, "b" in the reader's hands
        ws.drop()
        await session.send_text('{"type": "response.create"}')  # its write fails: the socket ends
        with anyio.fail_after(5):
            await session._done.wait()
    assert ["a", "b"] == [await session.receive(), await session.receive()]
    with pytest.raises(ConnectionClosedError):
        await session.receive()


async def test_the_client_stopping_ends_a_pending_recv_and_a_send_waiting_for_room() -> None:
    """The dispatcher's task group is cancelled (the client closes) with one caller in receive() and
    one waiting for room in the send queue: each gets ClientClosedError, once."""
    ws = ScriptedSocket()
    ws.stalled = True

    async def opener(query: Query, headers: Headers) -> WebSocket:
        raise AssertionError("no reconnection expected")

    session = make_session(ws, opener, reconnecting=False)
    session._outgoing = OutgoingQueue(100)
    outcomes: list[str] = []

    async def expect_closed(call: Callable[[], object]) -> None:
        with pytest.raises(ClientClosedError):
            await call()  # type: ignore[misc]
        outcomes.append("closed")

    async with anyio.create_task_group() as callers:
        async with anyio.create_task_group() as dispatcher:
            dispatcher.start_soon(session.run)
            await session.send_text("x" * 60)  # taken by the writer, whose write stalls
            await session.send_text("y" * 60)  # queued: the queue is now over half full
            callers.start_soon(expect_closed, session.receive)
            callers.start_soon(expect_closed, lambda: session.send_text("z" * 60))
            await anyio.wait_all_tasks_blocked()
            dispatcher.cancel_scope.cancel()
    assert ["closed", "closed"] == outcomes


async def test_a_flapping_connection_resends_the_session_update_once_per_connection() -> None:
    """The session.update is sent again after each reconnection, but once: a connection that failed
    before writing it leaves it queued, and the next one must not queue it a second time."""
    update = '{"type": "session.update", "session": {"instructions": "terse"}}'
    first, flapping, last = ScriptedSocket(), ScriptedSocket(), ScriptedSocket()
    flapping.drop()  # gone before anything could be written to it
    sockets = iter([flapping, last])

    async def opener(query: Query, headers: Headers) -> WebSocket:
        return next(sockets)  # type: ignore[return-value]

    session = make_session(first, opener)
    async with anyio.create_task_group() as tg:
        tg.start_soon(session.run)
        await session.send_text(update)
        await first.wrote.wait()
        first.drop()
        await last.wrote.wait()
        await session.send_text('{"type": "response.create"}')
        await session.close(1000, "")
    assert [update] == first.sent
    assert [update, '{"type": "response.create"}'] == last.sent


async def test_keepalive_counts_a_server_that_stopped_reading_as_dropped() -> None:
    """A silently dead network while streaming: the writer's write waits forever for the socket, and
    the ping behind it with it. No pong within ping_timeout all the same: the connection is dropped
    (1011), not left hanging."""
    ws = ScriptedSocket()

    async def opener(query: Query, headers: Headers) -> WebSocket:
        raise AssertionError("no reconnection expected")

    session = make_session(ws, opener, reconnecting=False, ping_interval=0.05)
    async with anyio.create_task_group() as tg:
        tg.start_soon(session.run)
        ws.stalled = True
        await session.send_text('{"type": "input_audio_buffer.append", "audio": "AAAA"}')
        with anyio.fail_after(5):
            await session._done.wait()
    with pytest.raises(ConnectionClosedError) as caught:
        await session.receive()
    assert (1011, "keepalive ping timeout") == (caught.value.code, caught.value.reason)
