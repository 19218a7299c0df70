"""The actor behind each `client.realtime.connect()`: one session over one WebSocket, and its successors.

Theory of operation
-------------------
Each connection is a `Session`: one task in the client's dispatcher task
group (so closing the client ends it) that owns the WebSocket and, after a
reconnection, its successor. Inside it, per socket, three tasks:

* the reader turns frames into messages and puts them in `incoming`, a
  bounded mailbox (`max_queue` messages); while it is full the socket
  is not read, which is the backpressure a slow consumer puts on the server;
* the writer takes client events from `outgoing` (a byte-bounded queue,
  `max_queue_size`) and writes them in order, then the close frame once
  `close()` has asked for one;
* the keepalive pings every `ping_interval` and counts the connection as
  dropped (1011) if no pong comes within `ping_timeout`, unless the reader
  is held up by a full `incoming` (then no pong can be read, and the silence
  is ours, not the server's).

Callers never touch the socket. `send()` puts a serialised event in
`outgoing`: while connected it waits for room as the writer drains it (the
backpressure of the official SDK's awaited write); while reconnecting a full
queue raises WebSocketQueueFullError at once, as the official one does;
`recv()` takes the next message from `incoming`, which hands a
message over either whole or not at all, so a cancelled `recv()` loses
nothing. Messages received before a close or a
reconnection are all delivered, in order, before the close is reported.

Invariants that make "each event once" checkable:

* a server message is put in `incoming` once, by the reader, and taken once;
* a client event leaves `outgoing` only to be written; a write that failed
  before any of it reached the socket puts it back at the front (nothing
  lost, nothing reordered); one that may have reached it never does (so an
  event is never sent twice, at worst lost with the connection it was
  written to). The one deliberate repeat: after a reconnection the last
  `session.update` written is sent again first, since a new connection is a
  new session.

`close()` lets the writer flush what is queued, sends the close frame, and
waits (up to `close_timeout`) for the server's. Messages already received
stay for `recv()`; those arriving after `close()` are dropped, so a reader
held up by a full mailbox can get on to the server's close frame.

When the session ends, `incoming` is closed: `recv()` then
drains what is left and raises the end (`_terminal`): ConnectionClosedOK,
ConnectionClosedError (WebSocketConnectionClosedError with the events never
sent), or ClientClosedError.
"""

from __future__ import annotations

import enum
import logging
import os
import random
from collections import deque
from collections.abc import Awaitable, Callable

import anyio
import anyio.lowlevel

from ._exceptions import (
    ClientClosedError,
    ConnectionClosed,
    ConnectionClosedError,
    ConnectionClosedOK,
    OpenAIError,
    WebSocketConnectionClosedError,
)
from ._realtime_policy import OutgoingQueue, WebSocketSettings, is_session_update, reconnect_delay
from ._websocket import ABNORMAL, NORMAL, Closed, WebSocket
from .types.websocket_reconnection import (
    Headers,
    Query,
    ReconnectingEvent,
    ReconnectingOverrides,
    is_recoverable_close,
)

__all__ = ["OnReconnecting", "Opener", "Reconnect", "Session"]

log = logging.getLogger("openai_actors.realtime")

OnReconnecting = Callable[[ReconnectingEvent], ReconnectingOverrides | None]
Opener = Callable[[Query, Headers], Awaitable[WebSocket]]
# How long a writer whose write failed waits for the reader to see why (the close frame, if any).
_WRITE_FAILURE_GRACE = 1.0


class _State(enum.Enum):
    OPEN = "open"
    RECONNECTING = "reconnecting"
    CLOSING = "closing"  # close() asked: the writer flushes, then sends the close frame
    CLOSED = "closed"


class Reconnect:
    """The official 3.3.1 reconnection settings of one connection."""

    __slots__ = ("handler", "initial_delay", "max_delay", "max_retries")

    def __init__(
        self, handler: OnReconnecting, max_retries: int, initial_delay: float, max_delay: float
    ) -> None:
        self.handler = handler
        self.max_retries = max_retries
        self.initial_delay = initial_delay
        self.max_delay = max_delay


def _terminal_for(
    closed: Closed, asked: tuple[int, str] | None, unsent: list[str]
) -> Callable[[], ConnectionClosed]:
    """How the end of a session reads to its callers (a factory: each raise gets its own exception).

    `asked`: the code and reason `close()` sent, if it was called.
    """
    code, reason = closed.code, closed.reason
    if unsent:
        return lambda: WebSocketConnectionClosedError(
            f"WebSocket connection closed (code {code}) with {len(unsent)} unsent messages",
            unsent_messages=list(unsent),
            code=code,
            reason=reason,
        )
    if asked is not None:
        return lambda: ConnectionClosedOK(*asked)
    if code in (1000, 1001):
        return lambda: ConnectionClosedOK(code, reason)
    return lambda: ConnectionClosedError(code, reason)


class _Mailbox:
    """Server messages waiting for `recv()`, at most `limit`; a plain deque, not a memory stream.

    A taker cancelled while waiting has taken nothing (it takes only once
    woken, without awaiting between the check and the pop), so a cancelled
    `recv()` leaves the next message for the next one. A putter waits while
    the box is full (if cancelled meanwhile, its item goes in anyway: see
    `put`). `close()` lets takers drain what is left, then get None.
    """

    __slots__ = ("_arrived", "_items", "_space", "closed", "discarding", "limit")

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._items: deque[str | bytes] = deque()
        self._arrived: anyio.Event | None = None
        self._space: anyio.Event | None = None
        self.closed = False
        self.discarding = False  # close() was asked: what arrives now is dropped, not waited for

    @property
    def full(self) -> bool:
        return len(self._items) >= self.limit

    async def put(self, item: str | bytes) -> None:
        """Add `item` once there is room. Cancelled while waiting (the socket ended under the
        reader), it is added all the same, one over the limit: it was received, so it is delivered."""
        try:
            while self.full and not self.discarding:
                if self._space is None or self._space.is_set():
                    self._space = anyio.Event()
                await self._space.wait()
        finally:
            if not self.discarding:
                self._items.append(item)
                if self._arrived is not None:
                    self._arrived.set()

    async def take(self) -> str | bytes | None:
        await anyio.lowlevel.checkpoint()
        while not self._items:
            if self.closed:
                return None
            if self._arrived is None or self._arrived.is_set():
                self._arrived = anyio.Event()
            await self._arrived.wait()
        item = self._items.popleft()
        if self._space is not None:
            self._space.set()
        return item

    def discard(self) -> None:
        """Take no more messages (those already here stay), and free a putter waiting for room."""
        self.discarding = True
        if self._space is not None:
            self._space.set()

    def close(self) -> None:
        self.closed = True
        if self._arrived is not None:
            self._arrived.set()


class Session:
    """The actor behind one realtime connection (see the module's docstring)."""

    def __init__(
        self,
        ws: WebSocket,
        *,
        opener: Opener,
        settings: WebSocketSettings,
        outgoing: OutgoingQueue,
        reconnect: Reconnect | None,
        extra_query: Query,
        extra_headers: Headers,
        rand: Callable[[], float] = random.random,
    ) -> None:
        self._ws = ws
        self._opener = opener
        self._settings = settings
        self._outgoing = outgoing
        self._reconnect = reconnect
        self._extra_query = extra_query
        self._extra_headers = extra_headers
        self._rand = rand
        self._incoming = _Mailbox(settings.max_queue)
        self._state = _State.OPEN
        self._close_frame: tuple[int, str] = (NORMAL, "")
        self._wake_writer = anyio.Event()
        self._room = anyio.Event()  # set when the writer took an event, or senders must stop waiting
        self._close_asked = anyio.Event()
        self._done = anyio.Event()
        self._scope = anyio.CancelScope()
        self._attempt = anyio.CancelScope()  # around a reconnection's opening; close() cancels it
        self._terminal: Callable[[], OpenAIError] | None = None
        self._session_config: str | None = None  # the last session.update written

    # -- the callers' side -----------------------------------------------------------

    async def send_text(self, text: str) -> None:
        """Queue one client event, in order after those before it.

        While connected, waits for room in the queue as the writer drains it
        (backpressure, as the official SDK's awaited write); while there is no
        connection (reconnecting), a full queue raises WebSocketQueueFullError
        at once, as the official SDK's does. Cancelled while waiting, nothing
        was queued.
        """
        await anyio.lowlevel.checkpoint()
        while self._state is _State.OPEN and not self._outgoing.fits(text):
            if self._room.is_set():
                self._room = anyio.Event()
            await self._room.wait()
        self.queue_text(text)

    def queue_text(self, text: str) -> None:
        """Queue one client event without waiting; raises if the session has ended or the queue is full."""
        if self._terminal is not None:
            raise self._terminal()
        if self._state is _State.CLOSING or self._state is _State.CLOSED:
            raise ConnectionClosedOK(*self._close_frame)
        self._outgoing.put(text, connected=self._state is _State.OPEN)
        self._wake_writer.set()

    async def receive(self) -> str | bytes:
        message = await self._incoming.take()
        if message is None:
            assert self._terminal is not None  # set before the mailbox closes
            raise self._terminal()
        return message

    async def close(self, code: int, reason: str) -> None:
        """Flush the queued events, close the WebSocket, wait up to `close_timeout` for the server's answer."""
        if self._state is _State.OPEN or self._state is _State.RECONNECTING:
            self._close_frame = (code, reason)
            self._state = _State.CLOSING
            # The caller is done: a reader held up by a full mailbox must get on to the
            # server's close frame, so what arrives from now on is dropped.
            self._incoming.discard()
            self._close_asked.set()
            self._attempt.cancel()
            self._room.set()
            self._wake_writer.set()
        with anyio.move_on_after(self._settings.close_timeout):
            await self._done.wait()
        if not self._done.is_set():
            self._scope.cancel()
            await self._done.wait()

    # -- the actor -------------------------------------------------------------------

    async def run(self) -> None:
        """The session's life: serve each socket in turn until one ends for good. Never raises but a cancel."""
        closed = Closed(1006)
        try:
            with self._scope:
                while True:
                    closed = await self._serve(self._ws)
                    ws = await self._reconnected(closed)
                    if ws is None:
                        break
                    self._ws = ws
        except anyio.get_cancelled_exc_class():
            # Not our scope (that one is swallowed above): the dispatcher is stopping.
            self._terminal = lambda: ClientClosedError("the client is closed")
            raise
        except Exception as exc:  # a bug here must end this session, not the client's dispatcher
            log.error("the realtime session failed: %r", exc)
            closed = Closed(1011, "internal client error")
        finally:
            with anyio.CancelScope(shield=True):
                await self._ws.aclose()
            self._finish(closed)

    def _finish(self, closed: Closed) -> None:
        intentional = self._state is _State.CLOSING
        self._state = _State.CLOSED
        if self._terminal is None:
            asked = self._close_frame if intentional else None
            self._terminal = _terminal_for(closed, asked, self._outgoing.drain())
        self._incoming.close()
        self._room.set()
        self._done.set()

    async def _serve(self, ws: WebSocket) -> Closed:
        """Read, write and keep `ws` alive until it ends; how it ended."""
        ended: list[Closed] = []
        async with anyio.create_task_group() as tg:

            async def watch(part: Callable[[WebSocket], Awaitable[None]]) -> None:
                try:
                    await part(ws)
                except Closed as exc:
                    ended.append(exc)
                    tg.cancel_scope.cancel()

            tg.start_soon(watch, self._read)
            tg.start_soon(watch, self._write)
            tg.start_soon(watch, self._close_deadline)
            if self._settings.ping_interval is not None:
                tg.start_soon(watch, self._keepalive)
        await ws.aclose()
        return ended[0] if ended else Closed(1006)

    async def _read(self, ws: WebSocket) -> None:
        while True:
            message = await ws.receive()
            await self._incoming.put(message)

    async def _write(self, ws: WebSocket) -> None:
        outgoing = self._outgoing
        while True:
            text = outgoing.take()
            self._room.set()
            if text is None:
                if self._state is _State.CLOSING:
                    await ws.close(*self._close_frame)
                    await anyio.sleep_forever()  # the reader ends the socket with the server's close frame
                self._wake_writer = anyio.Event()
                await self._wake_writer.wait()
                continue
            begun = ws.writes_begun
            try:
                await ws.send_text(text)
            except Closed:
                if ws.writes_begun == begun:
                    outgoing.put_back(text)  # not written: it goes out first on the next connection
                # else the socket failed under the write, after some (or all) of it went out:
                # it may have counted, so, as when cancelled below, it counts as sent.
                # The reader is about to see why (the server's close frame, or EOF) and
                # end the socket, cancelling this; the close code is the reader's to report.
                with anyio.move_on_after(_WRITE_FAILURE_GRACE):
                    await anyio.sleep_forever()
                raise
            except BaseException:
                # Cancelled. Before the write began it was not sent: it goes next time.
                # After, it may have reached the server: sending it again could make it
                # count twice, so it counts as sent.
                if ws.writes_begun == begun:
                    outgoing.put_back(text)
                raise
            if is_session_update(text):
                self._session_config = text

    async def _close_deadline(self, ws: WebSocket) -> None:
        """End the socket `close_timeout` after close() was asked, the server's answer or not.

        The actor's own timer, not only the caller's: the caller's close() may be
        cancelled (its task was), and the session must end all the same.
        """
        await self._close_asked.wait()
        timeout = self._settings.close_timeout
        if timeout is None:
            await anyio.sleep_forever()
        else:
            await anyio.sleep(timeout)
        raise Closed(ABNORMAL, "no answer to the close frame within close_timeout")

    async def _keepalive(self, ws: WebSocket) -> None:
        interval, timeout = self._settings.ping_interval, self._settings.ping_timeout
        assert interval is not None
        while True:
            await anyio.sleep(interval)
            payload = os.urandom(4)
            pong = anyio.Event()

            def answered(data: bytes, payload: bytes = payload, pong: anyio.Event = pong) -> None:
                if data == payload:
                    pong.set()

            ws.on_pong = answered
            if timeout is None:
                await ws.ping(payload)
                continue
            # The ping is written by a task of its own, and the pong awaited from the time
            # it was asked for: a writer stuck on a socket the server no longer reads holds
            # the write lock, and a ping waiting behind it must not hold the keepalive too.
            failed: list[Closed] = []
            async with anyio.create_task_group() as tg:
                tg.start_soon(self._ping, ws, payload, pong, failed)
                while True:
                    with anyio.move_on_after(timeout):
                        await pong.wait()
                    if pong.is_set():
                        break
                    if not self._incoming.full:
                        failed.append(Closed(1011, "keepalive ping timeout"))
                        break
                tg.cancel_scope.cancel()  # a ping still waiting to be written: the socket ends anyway
            if failed:
                raise failed[0]

    @staticmethod
    async def _ping(ws: WebSocket, payload: bytes, pong: anyio.Event, failed: list[Closed]) -> None:
        try:
            await ws.ping(payload)
        except Closed as exc:
            failed.append(exc)
            pong.set()  # no pong can come: the keepalive stops waiting for one

    async def _reconnected(self, closed: Closed) -> WebSocket | None:
        """A new socket after an abnormal close, as the official 3.3.1 client makes one; None to end."""
        policy = self._reconnect
        if policy is None or self._state is not _State.OPEN or not is_recoverable_close(closed.code):
            return None
        self._state = _State.RECONNECTING
        self._room.set()  # senders waiting for room now meet the reconnection's bounded queue
        for attempt in range(1, policy.max_retries + 1):
            delay = reconnect_delay(attempt, policy.initial_delay, policy.max_delay, self._rand)
            event = ReconnectingEvent(
                attempt=attempt,
                max_attempts=policy.max_retries,
                delay=delay,
                close_code=closed.code,
                extra_query=self._extra_query,
                extra_headers=self._extra_headers,
            )
            try:
                overrides = policy.handler(event)
            except Exception as exc:
                log.warning("on_reconnecting raised %s: not reconnecting", type(exc).__name__)
                break
            if overrides is not None:
                if overrides.get("abort"):
                    break
                self._extra_query = overrides.get("extra_query", self._extra_query)
                self._extra_headers = overrides.get("extra_headers", self._extra_headers)
            log.info(
                "reconnecting the realtime WebSocket (attempt %d/%d) in %.2fs",
                attempt,
                policy.max_retries,
                delay,
            )
            with anyio.move_on_after(delay):
                await self._close_asked.wait()
            if self._state is not _State.RECONNECTING:
                return None  # close() was called meanwhile
            ws = None
            try:
                # close() cancels an attempt in flight rather than wait out its open_timeout.
                with self._attempt:
                    ws = await self._opener(self._extra_query, self._extra_headers)
            except OpenAIError as exc:
                log.info("realtime reconnection attempt %d failed: %s", attempt, type(exc).__name__)
                continue
            finally:
                self._attempt = anyio.CancelScope()
            if self._state is not _State.RECONNECTING:  # close() was called while it opened
                if ws is not None:
                    await ws.aclose()
                return None
            assert ws is not None  # only close() cancels the attempt
            config = self._session_config
            # A new connection is a new session: the last update goes first. Unless it is
            # already there, put back by a connection that failed before writing it (the
            # same object: a later update of the caller's is another one, and goes too).
            if config is not None and self._outgoing.peek() is not config:
                self._outgoing.put_back(config)
            self._state = _State.OPEN
            log.info("reconnected the realtime WebSocket")
            return ws
        if self._state is _State.RECONNECTING:
            self._state = _State.OPEN  # the close reaches the callers as what it was
        return None
