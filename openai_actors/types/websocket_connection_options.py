"""`websocket_connection_options` for `client.realtime.connect()`.

The official SDK passes these to the `websockets` library; here they
configure this package's own WebSocket (wsproto over the client's sockets).
The names and defaults are `websockets`' where the two have the option.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, TypeAlias, TypedDict

__all__ = ["WebSocketConnectionOptions", "WebsocketConnectionOptions"]


class WebSocketConnectionOptions(TypedDict, total=False):
    compression: Literal["deflate"] | None
    """"deflate" (the default): offer permessage-deflate, used if the server accepts it. None: do not offer it."""

    subprotocols: Sequence[str] | None
    """Subprotocols to offer, in order of preference."""

    max_size: int | None
    """The largest incoming message, in bytes (default 1 MiB); a bigger one closes the connection (1009)."""

    max_queue: int | tuple[int, int | None]
    """Incoming messages held for `recv()` (default 256); past it the socket is not read."""

    ping_interval: float | None
    """Seconds between keepalive pings (default 20); None sends none."""

    ping_timeout: float | None
    """Seconds to wait for a ping's pong (default 20) before the connection counts as dropped (1011)."""

    open_timeout: float | None
    """Seconds for the TCP, TLS and WebSocket handshakes (default 10)."""

    close_timeout: float | None
    """Seconds `close()` waits for the server's close frame (default 10)."""


# The official module's older spelling.
WebsocketConnectionOptions: TypeAlias = WebSocketConnectionOptions
