"""`client.realtime.connect()`: a Realtime API session over one WebSocket, kept by an actor.

Theory of operation
-------------------
Each connection is a `_Session`: one task in the client's dispatcher task
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
import inspect
import json
import logging
import os
import random
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeAlias, TypeVar, cast

import anyio
import anyio.abc
import anyio.lowlevel

from ._exceptions import (
    AuthenticationError,
    ClientClosedError,
    ConnectionClosed,
    ConnectionClosedError,
    ConnectionClosedOK,
    OpenAIError,
    WebSocketConnectionClosedError,
)
from ._realtime_policy import (
    OutgoingQueue,
    WebSocketSettings,
    handshake_headers,
    is_session_update,
    parse_options,
    realtime_target,
    reconnect_delay,
)
from ._realtime_resources import (
    ConversationResource,
    InputAudioBufferResource,
    OutputAudioBufferResource,
    ResponseResource,
    SessionResource,
)
from ._types import Omit, omit
from ._version import __version__
from ._websocket import NORMAL, Closed, WebSocket, open_websocket
from .types.websocket_reconnection import (
    Headers,
    Query,
    ReconnectingEvent,
    ReconnectingOverrides,
    is_recoverable_close,
)

if TYPE_CHECKING:
    from ._client import AsyncOpenAI, OpenAI
    from ._portal import PortalThread
    from .types.realtime.realtime_client_event import RealtimeClientEvent
    from .types.realtime.realtime_client_event_param import RealtimeClientEventParam
    from .types.realtime.realtime_server_event import RealtimeServerEvent

__all__ = [
    "AsyncRealtimeConnection",
    "AsyncRealtimeConnectionManager",
    "RealtimeConnection",
    "RealtimeConnectionManager",
]

log = logging.getLogger("openai_actors.realtime")

OnReconnecting: TypeAlias = Callable[[ReconnectingEvent], ReconnectingOverrides | None]
Opener: TypeAlias = Callable[[Query, Headers], Awaitable[WebSocket]]
_H = TypeVar("_H", bound=Callable[..., Any])
# How long a writer whose write failed waits for the reader to see why (the close frame, if any).
_WRITE_FAILURE_GRACE = 1.0


class _State(enum.Enum):
    OPEN = "open"
    RECONNECTING = "reconnecting"
    CLOSING = "closing"  # close() asked: the writer flushes, then sends the close frame
    CLOSED = "closed"


class _Reconnect:
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
    the box is full. `close()` lets takers drain what is left, then get None.
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
        while self.full and not self.discarding:
            if self._space is None or self._space.is_set():
                self._space = anyio.Event()
            await self._space.wait()
        if self.discarding:
            return
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


class _Session:
    """The actor behind one realtime connection (see the module's docstring)."""

    def __init__(
        self,
        ws: WebSocket,
        *,
        opener: Opener,
        settings: WebSocketSettings,
        outgoing: OutgoingQueue,
        reconnect: _Reconnect | None,
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
                outgoing.put_back(text)  # not written: it goes out first on the next connection
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
            await ws.ping(payload)
            if timeout is None:
                continue
            while True:
                with anyio.move_on_after(timeout):
                    await pong.wait()
                if pong.is_set():
                    break
                if not self._incoming.full:
                    raise Closed(1011, "keepalive ping timeout")

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
            try:
                ws = await self._opener(self._extra_query, self._extra_headers)
            except OpenAIError as exc:
                log.info("realtime reconnection attempt %d failed: %s", attempt, type(exc).__name__)
                continue
            if self._session_config is not None:
                self._outgoing.put_back(self._session_config)  # a new connection is a new session
            self._state = _State.OPEN
            log.info("reconnected the realtime WebSocket")
            return ws
        if self._state is _State.RECONNECTING:
            self._state = _State.OPEN  # the close reaches the callers as what it was
        return None


# -- the connection objects --------------------------------------------------------------


def _serialise(event: object) -> str:
    """A client event (a dict, or a model) as the JSON text sent."""
    to_json = getattr(event, "to_json", None)
    if callable(to_json) and not isinstance(event, Mapping):
        return str(to_json(use_api_names=True, exclude_defaults=True, exclude_unset=True, indent=None))
    if not isinstance(event, Mapping):
        raise TypeError(f"a realtime client event must be a dict or a model, not {type(event).__name__}")
    return json.dumps({k: v for k, v in event.items() if not isinstance(v, Omit)})


_server_event: Callable[[Any], Any] | None = None


def parse_server_event(data: str | bytes) -> RealtimeServerEvent:
    """A server message as the typed event union (an unknown `type` still parses, as the official SDK's)."""
    global _server_event
    if _server_event is None:
        from ._models import as_cast
        from .types.realtime.realtime_server_event import RealtimeServerEvent

        _server_event = as_cast(RealtimeServerEvent)
    event: RealtimeServerEvent = _server_event(json.loads(data))
    return event


class _Handlers:
    """`on`/`off`/`once` handlers by event type ("event": every event)."""

    def __init__(self) -> None:
        self._by_type: dict[str, list[tuple[Callable[..., Any], bool]]] = {}

    def add(self, event_type: str, handler: Callable[..., Any], *, once: bool = False) -> None:
        if not callable(handler):
            raise TypeError(f"a handler must be callable, not {type(handler).__name__}")
        self._by_type.setdefault(event_type, []).append((handler, once))

    def remove(self, event_type: str, handler: Callable[..., Any]) -> None:
        entries = self._by_type.get(event_type, [])
        for index, (known, _) in enumerate(entries):
            if known is handler or known == handler:
                del entries[index]
                return

    def take(self, event_type: str) -> list[Callable[..., Any]]:
        """The handlers to call for one event of `event_type`; the `once` ones are removed."""
        entries = self._by_type.get(event_type, [])
        self._by_type[event_type] = [e for e in entries if not e[1]]
        return [handler for handler, _ in entries]

    def merge_into(self, other: _Handlers) -> None:
        for event_type, entries in self._by_type.items():
            other._by_type.setdefault(event_type, []).extend(entries)

    def registrar(self, owner: Any, event_type: str, handler: Callable[..., Any] | None, once: bool) -> Any:
        """`on`/`once` as a method (returns `owner`) or as a decorator (returns the function)."""
        if handler is not None:
            self.add(event_type, handler, once=once)
            return owner

        def decorator(fn: _H) -> _H:
            self.add(event_type, fn, once=once)
            return fn

        return decorator


def _unhandled_error(handlers: _Handlers, event: Any) -> OpenAIError | None:
    if event.type == "error" and not handlers._by_type.get("error") and not handlers._by_type.get("event"):
        return OpenAIError(f"WebSocket error: {event}")
    return None


class AsyncRealtimeConnection:
    """A live Realtime API connection (`async with client.realtime.connect(...) as connection`)."""

    session: SessionResource[Awaitable[None]]
    response: ResponseResource[Awaitable[None]]
    input_audio_buffer: InputAudioBufferResource[Awaitable[None]]
    conversation: ConversationResource[Awaitable[None]]
    output_audio_buffer: OutputAudioBufferResource[Awaitable[None]]

    def __init__(self, session: _Session, handlers: _Handlers) -> None:
        self._session = session
        self._event_handler_registry = handlers
        send = cast("Callable[[dict[str, Any]], Any]", self.send)  # the helpers build valid events
        self.session = SessionResource(send)
        self.response = ResponseResource(send)
        self.input_audio_buffer = InputAudioBufferResource(send)
        self.conversation = ConversationResource(send)
        self.output_audio_buffer = OutputAudioBufferResource(send)

    def __aiter__(self) -> AsyncRealtimeConnection:
        """Every event until the connection closes normally (an abnormal close raises).

        The connection is its own iterator, not an async generator: breaking
        out of the loop leaves nothing to finalize.
        """
        return self

    async def __anext__(self) -> RealtimeServerEvent:
        try:
            return await self.recv()
        except ConnectionClosedOK:
            raise StopAsyncIteration from None

    async def recv(self) -> RealtimeServerEvent:
        """The next server event. Cancelling it is safe: the event is then the next one's."""
        return self.parse_event(await self.recv_bytes())

    async def recv_bytes(self) -> bytes:
        """The next server message as bytes (`parse_event` makes it an event)."""
        message = await self._session.receive()
        return message.encode() if isinstance(message, str) else message

    async def send(self, event: RealtimeClientEvent | RealtimeClientEventParam) -> None:
        """Send a client event (a dict or a model), in order after those before it.

        Waits only for room in the send queue; while the connection is being
        re-established the event waits in that queue (WebSocketQueueFullError
        if it is full).
        """
        await self._session.send_text(_serialise(event))

    async def send_raw(self, data: bytes | str) -> None:
        """Queue a message as it is (bytes are sent as their UTF-8 text)."""
        await self._session.send_text(data if isinstance(data, str) else data.decode())

    async def close(self, *, code: int = 1000, reason: str = "") -> None:
        await self._session.close(code, reason)

    def parse_event(self, data: str | bytes) -> RealtimeServerEvent:
        """A raw message (from `recv_bytes`) as a typed server event."""
        return parse_server_event(data)

    def on(self, event_type: str, handler: Callable[..., Any] | None = None) -> Any:
        """Call `handler` for each event of `event_type` ("event": all) in `dispatch_events`; or a decorator."""
        return self._event_handler_registry.registrar(self, event_type, handler, once=False)

    def once(self, event_type: str, handler: Callable[..., Any] | None = None) -> Any:
        """As `on`, for the next such event only."""
        return self._event_handler_registry.registrar(self, event_type, handler, once=True)

    def off(self, event_type: str, handler: Callable[..., Any]) -> AsyncRealtimeConnection:
        self._event_handler_registry.remove(event_type, handler)
        return self

    async def dispatch_events(self) -> None:
        """Receive events and call their handlers until the connection closes.

        An "error" event with no "error" or "event" handler raises OpenAIError.
        """
        handlers = self._event_handler_registry
        async for event in self:
            error = _unhandled_error(handlers, event)
            if error is not None:
                raise error
            for handler in handlers.take(event.type) + handlers.take("event"):
                result = handler(event)
                if inspect.isawaitable(result):
                    await result


class RealtimeConnection:
    """A live Realtime API connection for the sync client; its socket lives in the client's loop thread."""

    session: SessionResource[None]
    response: ResponseResource[None]
    input_audio_buffer: InputAudioBufferResource[None]
    conversation: ConversationResource[None]
    output_audio_buffer: OutputAudioBufferResource[None]

    def __init__(self, connection: AsyncRealtimeConnection, portal: PortalThread) -> None:
        self._connection = connection
        self._portal = portal
        self._arrived: deque[bytes] = deque()
        self._event_handler_registry = connection._event_handler_registry
        send = cast("Callable[[dict[str, Any]], Any]", self.send)  # the helpers build valid events
        self.session = SessionResource(send)
        self.response = ResponseResource(send)
        self.input_audio_buffer = InputAudioBufferResource(send)
        self.conversation = ConversationResource(send)
        self.output_audio_buffer = OutputAudioBufferResource(send)

    def __iter__(self) -> RealtimeConnection:
        """Every event until the connection closes normally (an abnormal close raises)."""
        return self

    def __next__(self) -> RealtimeServerEvent:
        try:
            return self.recv()
        except ConnectionClosedOK:
            raise StopIteration from None

    def recv(self) -> RealtimeServerEvent:
        return self.parse_event(self.recv_bytes())

    def recv_bytes(self) -> bytes:
        """The next message. Interrupting it (Ctrl-C) loses nothing: see `_fetch`."""
        while True:
            try:
                return self._arrived.popleft()
            except IndexError:
                self._portal.call(self._fetch)

    async def _fetch(self) -> None:
        """In the loop: move the next message to `_arrived`, where the calling thread takes it.

        Not returned through the portal: a thread interrupted after the message
        left the mailbox but before the result reached it would lose it. Left
        in `_arrived`, it is the next `recv()`'s. (deque's append and popleft
        are atomic, and `_arrived` keeps the order the loop received in.)
        """
        if not self._arrived:
            self._arrived.append(await self._connection.recv_bytes())

    def send(self, event: RealtimeClientEvent | RealtimeClientEventParam) -> None:
        text = _serialise(event)  # in this thread: a bad event fails here, not in the loop
        self._portal.call(self._connection._session.send_text, text)

    def send_raw(self, data: bytes | str) -> None:
        self._portal.call(
            self._connection._session.send_text, data if isinstance(data, str) else data.decode()
        )

    def close(self, *, code: int = 1000, reason: str = "") -> None:
        self._portal.call(self._connection._session.close, code, reason)

    def parse_event(self, data: str | bytes) -> RealtimeServerEvent:
        return parse_server_event(data)

    def on(self, event_type: str, handler: Callable[..., Any] | None = None) -> Any:
        return self._event_handler_registry.registrar(self, event_type, handler, once=False)

    def once(self, event_type: str, handler: Callable[..., Any] | None = None) -> Any:
        return self._event_handler_registry.registrar(self, event_type, handler, once=True)

    def off(self, event_type: str, handler: Callable[..., Any]) -> RealtimeConnection:
        self._event_handler_registry.remove(event_type, handler)
        return self

    def dispatch_events(self) -> None:
        """Receive events and call their handlers, in this thread, until the connection closes."""
        handlers = self._event_handler_registry
        for event in self:
            error = _unhandled_error(handlers, event)
            if error is not None:
                raise error
            for handler in handlers.take(event.type) + handlers.take("event"):
                handler(event)


# -- opening ----------------------------------------------------------------------------


class _Connector:
    """What `connect()` was given, checked at once; opens sessions in the client's loop."""

    def __init__(
        self,
        client: AsyncOpenAI | OpenAI,
        *,
        call_id: str | Omit,
        model: str | Omit,
        extra_query: Query,
        extra_headers: Headers,
        websocket_connection_options: Mapping[str, Any],
        on_reconnecting: OnReconnecting | None,
        max_retries: int,
        initial_delay: float,
        max_delay: float,
        max_queue_size: int,
    ) -> None:
        self.settings = parse_options(websocket_connection_options)
        self.outgoing = OutgoingQueue(max_queue_size)
        if on_reconnecting is not None and not callable(on_reconnecting):
            raise TypeError(f"on_reconnecting must be callable, not {type(on_reconnecting).__name__}")
        if isinstance(max_retries, bool) or not isinstance(max_retries, int) or max_retries < 0:
            raise ValueError(f"max_retries must be a non-negative int, not {max_retries!r}")
        for name, value in (("initial_delay", initial_delay), ("max_delay", max_delay)):
            if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                raise ValueError(f"{name} must be a non-negative number of seconds, not {value!r}")
        self.reconnect = (
            None
            if on_reconnecting is None
            else _Reconnect(on_reconnecting, max_retries, initial_delay, max_delay)
        )
        self.client = client
        self.call_id = call_id
        self.model = model
        self.extra_query = dict(extra_query)
        self.extra_headers = dict(extra_headers)
        self.handlers = _Handlers()

    async def open(self, extra_query: Query, extra_headers: Headers) -> WebSocket:
        """One WebSocket to the realtime endpoint, with the key as the dispatcher has it now.

        A refused key (401) from a callable source is dropped and fetched
        again once, as a request's would be: it may have been revoked or
        rotated since it was cached.
        """
        keys = self.client._options.keys
        key = await self._key()
        try:
            return await self._open_with(key, extra_query, extra_headers)
        except AuthenticationError:
            if key is None or keys is None or not keys.invalidate(key):
                raise
        return await self._open_with(await self._key(), extra_query, extra_headers)

    async def _key(self) -> str | None:
        options = self.client._options
        if options.keys is None or not options.auth:
            return None  # no key, or the caller sets the header in default_headers
        return await self.client._core.dispatcher_here().key(options.keys)

    async def _open_with(self, key: str | None, extra_query: Query, extra_headers: Headers) -> WebSocket:
        options = self.client._options
        auth = None
        if key is not None and options.keys is not None:
            auth = (options.keys.header, options.keys.prefix + key)
        query: dict[str, object] = dict(extra_query)
        if not isinstance(self.call_id, Omit):
            query["call_id"] = self.call_id
        azure = getattr(self.client, "_azure", None)
        if azure is not None:
            if isinstance(self.model, Omit) or not self.model:
                raise OpenAIError("`model` is required for Azure Realtime API")
            query = {**query, "api-version": azure.api_version, "deployment": azure.deployment or self.model}
        elif not isinstance(self.model, Omit):
            query = {"model": self.model, **query}
        headers = handshake_headers(
            user_agent=f"openai-actors/{__version__} (Python)",
            organization=options.organization,
            project=options.project,
            auth=auth,
            default_headers=options.custom_headers,
            extra_headers=extra_headers,
        )
        target = realtime_target(options.websocket_base_url or options.base_url, query)
        return await open_websocket(target, headers, self.settings)

    async def start(self) -> AsyncRealtimeConnection:
        """Open the first socket, start the session's actor in the dispatcher's task group."""
        dispatcher = self.client._core.dispatcher_here()
        host = await dispatcher.host()
        ws = await self.open(self.extra_query, self.extra_headers)
        session = _Session(
            ws,
            opener=self.open,
            settings=self.settings,
            outgoing=self.outgoing,
            reconnect=self.reconnect,
            extra_query=self.extra_query,
            extra_headers=self.extra_headers,
        )
        if self.outgoing:
            session._wake_writer.set()  # events sent to the manager before it was entered
        try:
            host.start_soon(session.run, name="openai-actors-realtime")
        except BaseException:
            await ws.aclose()
            raise
        return AsyncRealtimeConnection(session, self.handlers)

    def queue(self, event: Any) -> None:
        self.outgoing.put(_serialise(event))


class AsyncRealtimeConnectionManager:
    """`client.realtime.connect(...)`: `async with` it (or `await .enter()`) for the connection."""

    def __init__(self, connector: _Connector) -> None:
        self._connector = connector
        self._connection: AsyncRealtimeConnection | None = None

    def send(self, event: RealtimeClientEvent | RealtimeClientEventParam) -> None:
        """Queue an event to send as soon as the connection opens (before `enter`)."""
        self._connector.queue(event)

    def on(self, event_type: str, handler: Callable[..., Any] | None = None) -> Any:
        return self._connector.handlers.registrar(self, event_type, handler, once=False)

    def once(self, event_type: str, handler: Callable[..., Any] | None = None) -> Any:
        return self._connector.handlers.registrar(self, event_type, handler, once=True)

    def off(self, event_type: str, handler: Callable[..., Any]) -> AsyncRealtimeConnectionManager:
        self._connector.handlers.remove(event_type, handler)
        return self

    async def __aenter__(self) -> AsyncRealtimeConnection:
        """Open the connection. Without `async with`, call `close()` on it when done."""
        self._connection = await self._connector.start()
        return self._connection

    enter = __aenter__

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._connection is not None:
            await self._connection.close()


class RealtimeConnectionManager:
    """`client.realtime.connect(...)` for the sync client: `with` it (or `.enter()`) for the connection."""

    def __init__(self, connector: _Connector, portal: PortalThread) -> None:
        self._connector = connector
        self._portal = portal
        self._connection: RealtimeConnection | None = None

    def send(self, event: RealtimeClientEvent | RealtimeClientEventParam) -> None:
        self._connector.queue(event)

    def on(self, event_type: str, handler: Callable[..., Any] | None = None) -> Any:
        return self._connector.handlers.registrar(self, event_type, handler, once=False)

    def once(self, event_type: str, handler: Callable[..., Any] | None = None) -> Any:
        return self._connector.handlers.registrar(self, event_type, handler, once=True)

    def off(self, event_type: str, handler: Callable[..., Any]) -> RealtimeConnectionManager:
        self._connector.handlers.remove(event_type, handler)
        return self

    def __enter__(self) -> RealtimeConnection:
        connection = self._portal.call(self._connector.start)
        self._connection = RealtimeConnection(connection, self._portal)
        return self._connection

    enter = __enter__

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._connection is not None:
            try:
                self._connection.close()
            except ClientClosedError:
                pass  # the client was closed first, and the connection with it


def connector(
    client: AsyncOpenAI | OpenAI,
    *,
    call_id: str | Omit = omit,
    model: str | Omit = omit,
    extra_query: Query,
    extra_headers: Headers,
    websocket_connection_options: Mapping[str, Any],
    on_reconnecting: OnReconnecting | None,
    max_retries: int,
    initial_delay: float,
    max_delay: float,
    max_queue_size: int,
) -> _Connector:
    return _Connector(
        client,
        call_id=call_id,
        model=model,
        extra_query=extra_query,
        extra_headers=extra_headers,
        websocket_connection_options=websocket_connection_options,
        on_reconnecting=on_reconnecting,
        max_retries=max_retries,
        initial_delay=initial_delay,
        max_delay=max_delay,
        max_queue_size=max_queue_size,
    )
