"""`client.realtime` with `connect()`: a Realtime API session over a WebSocket (see `_realtime.py`).

The connection's machinery (wsproto, the session actor) is imported on the
first `connect()`, so a client that never calls it never loads it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from .._types import Omit, omit
from ..resources.realtime.realtime import AsyncRealtime as _AsyncRealtime
from ..resources.realtime.realtime import Realtime as _Realtime
from ..types.websocket_connection_options import WebSocketConnectionOptions
from ..types.websocket_reconnection import Headers, Query, ReconnectingEvent, ReconnectingOverrides

if TYPE_CHECKING:
    from .._realtime import AsyncRealtimeConnectionManager, RealtimeConnectionManager

__all__ = ["AsyncRealtime", "Realtime"]

OnReconnecting = Callable[[ReconnectingEvent], ReconnectingOverrides | None]


class Realtime(_Realtime):
    def connect(
        self,
        *,
        call_id: str | Omit = omit,
        model: str | Omit = omit,
        extra_query: Query | None = None,
        extra_headers: Headers | None = None,
        websocket_connection_options: WebSocketConnectionOptions | None = None,
        on_reconnecting: OnReconnecting | None = None,
        max_retries: int = 5,
        initial_delay: float = 0.5,
        max_delay: float = 8.0,
        max_queue_size: int = 1_048_576,
    ) -> RealtimeConnectionManager:
        """A Realtime API connection: `with client.realtime.connect(model=...) as connection:`.

        The WebSocket runs in the client's loop thread; `connection.recv()`,
        `send()` and the helpers block only the calling thread. With
        `on_reconnecting`, an abnormal close (a dropped connection, 1011,
        1012, ...) is followed by up to `max_retries` new connections, the
        handler told of each (it may change the query and headers, or abort).
        """
        from .._realtime import Connector, RealtimeConnectionManager

        made = Connector(
            self._client,
            call_id=call_id,
            model=model,
            extra_query=extra_query or {},
            extra_headers=extra_headers or {},
            websocket_connection_options=websocket_connection_options or {},
            on_reconnecting=on_reconnecting,
            max_retries=max_retries,
            initial_delay=initial_delay,
            max_delay=max_delay,
            max_queue_size=max_queue_size,
        )
        return RealtimeConnectionManager(made, self._client._portal)


class AsyncRealtime(_AsyncRealtime):
    def connect(
        self,
        *,
        call_id: str | Omit = omit,
        model: str | Omit = omit,
        extra_query: Query | None = None,
        extra_headers: Headers | None = None,
        websocket_connection_options: WebSocketConnectionOptions | None = None,
        on_reconnecting: OnReconnecting | None = None,
        max_retries: int = 5,
        initial_delay: float = 0.5,
        max_delay: float = 8.0,
        max_queue_size: int = 1_048_576,
    ) -> AsyncRealtimeConnectionManager:
        """A Realtime API connection: `async with client.realtime.connect(model=...) as connection:`.

        On asyncio and trio alike. With `on_reconnecting`, an abnormal close is
        followed by up to `max_retries` new connections (official 3.3.1 semantics).
        """
        from .._realtime import AsyncRealtimeConnectionManager, Connector

        made = Connector(
            self._client,
            call_id=call_id,
            model=model,
            extra_query=extra_query or {},
            extra_headers=extra_headers or {},
            websocket_connection_options=websocket_connection_options or {},
            on_reconnecting=on_reconnecting,
            max_retries=max_retries,
            initial_delay=initial_delay,
            max_delay=max_delay,
            max_queue_size=max_queue_size,
        )
        return AsyncRealtimeConnectionManager(made)
