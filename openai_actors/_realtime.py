"""`client.realtime.connect()`: the connection objects users hold, and how a connection is opened.

`AsyncRealtimeConnection` and the sync `RealtimeConnection` (which reaches
the same object through the client's loop thread) are thin: each call goes
to the connection's actor, `_realtime_session.Session`, whose module
docstring is the theory of operation. `Connector` checks what `connect()`
was given, builds the URL, headers and key for each (re)connection, and
starts the actor in the client's dispatcher task group.
"""

from __future__ import annotations

import inspect
import json
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from ._exceptions import (
    AuthenticationError,
    ClientClosedError,
    ConnectionClosedOK,
    InvalidServerEventError,
    OpenAIError,
)
from ._realtime_policy import OutgoingQueue, handshake_headers, parse_options, realtime_target
from ._realtime_resources import (
    ConversationResource,
    InputAudioBufferResource,
    OutputAudioBufferResource,
    ResponseResource,
    SessionResource,
)
from ._realtime_session import OnReconnecting, Reconnect, Session
from ._types import Omit
from ._version import __version__
from ._websocket import WebSocket, open_websocket
from .types.websocket_reconnection import Headers, Query

if TYPE_CHECKING:
    from ._client import AsyncOpenAI, OpenAI
    from ._portal import PortalThread
    from .types.realtime.realtime_client_event import RealtimeClientEvent
    from .types.realtime.realtime_client_event_param import RealtimeClientEventParam
    from .types.realtime.realtime_server_event import RealtimeServerEvent

__all__ = [
    "AsyncRealtimeConnection",
    "AsyncRealtimeConnectionManager",
    "Connector",
    "RealtimeConnection",
    "RealtimeConnectionManager",
]

_H = TypeVar("_H", bound=Callable[..., Any])


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
    try:
        decoded = json.loads(data)
    except ValueError:  # not JSON, or (bytes) not UTF-8
        decoded = None
    if not isinstance(decoded, dict) or not isinstance(decoded.get("type"), str):
        # Else a list or a str would come back as the "event", and fail later, as an
        # AttributeError far from here (in dispatch_events, say).
        shown = repr(data[:200]) + ("..." if len(data) > 200 else "")
        raise InvalidServerEventError(
            f'the server sent a message that is not a realtime server event (a JSON object with a "type"): {shown}'
        )
    event: RealtimeServerEvent = _server_event(decoded)
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

    def __init__(self, session: Session, handlers: _Handlers) -> None:
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


class Connector:
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
            else Reconnect(on_reconnecting, max_retries, initial_delay, max_delay)
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
        session = Session(
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


class _ManagerBase:
    """What both managers offer before the connection opens: queued events and handlers."""

    _connector: Connector

    def send(self, event: RealtimeClientEvent | RealtimeClientEventParam) -> None:
        """Queue an event to send as soon as the connection opens (before `enter`)."""
        self._connector.queue(event)

    def on(self, event_type: str, handler: Callable[..., Any] | None = None) -> Any:
        return self._connector.handlers.registrar(self, event_type, handler, once=False)

    def once(self, event_type: str, handler: Callable[..., Any] | None = None) -> Any:
        return self._connector.handlers.registrar(self, event_type, handler, once=True)

    def off(self, event_type: str, handler: Callable[..., Any]) -> Self:
        self._connector.handlers.remove(event_type, handler)
        return self


class AsyncRealtimeConnectionManager(_ManagerBase):
    """`client.realtime.connect(...)`: `async with` it (or `await .enter()`) for the connection."""

    def __init__(self, connector: Connector) -> None:
        self._connector = connector
        self._connection: AsyncRealtimeConnection | None = None

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


class RealtimeConnectionManager(_ManagerBase):
    """`client.realtime.connect(...)` for the sync client: `with` it (or `.enter()`) for the connection."""

    def __init__(self, connector: Connector, portal: PortalThread) -> None:
        self._connector = connector
        self._portal = portal
        self._connection: RealtimeConnection | None = None

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
