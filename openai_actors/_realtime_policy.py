"""The realtime connection's decisions, without I/O: settings, where to connect, what to send, when to retry.

`_realtime.py` is the async shell that applies them; everything here is
tested with plain values (tests/test_realtime_policy.py).
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import parse_qsl, urlsplit

from ._exceptions import WebSocketQueueFullError
from ._options import encode_query, merge_headers
from ._types import Omit

__all__ = [
    "DEFAULT_MAX_QUEUE_SIZE",
    "OutgoingQueue",
    "Target",
    "WebSocketSettings",
    "handshake_headers",
    "is_session_update",
    "parse_options",
    "realtime_target",
    "reconnect_delay",
]

# The official SDK's default byte budget of the outgoing queue.
DEFAULT_MAX_QUEUE_SIZE: Final = 1_048_576


@dataclass(frozen=True, slots=True)
class WebSocketSettings:
    """`websocket_connection_options`, checked, with the defaults filled in."""

    compression: bool = True
    subprotocols: tuple[str, ...] = ()
    max_size: int | None = 2**20  # websockets' default, which the official SDK gets
    # Messages waiting for recv(). More than websockets' 16: a response streams
    # many small deltas, and a reader a little behind should not stall the socket.
    max_queue: int = 256
    ping_interval: float | None = 20.0
    ping_timeout: float | None = 20.0
    open_timeout: float | None = 10.0
    close_timeout: float | None = 10.0


_SECONDS: Final = ("ping_interval", "ping_timeout", "open_timeout", "close_timeout")


def parse_options(options: Mapping[str, Any]) -> WebSocketSettings:
    """The settings for `websocket_connection_options`, or TypeError/ValueError naming the bad one."""
    if not isinstance(options, Mapping):
        raise TypeError(f"websocket_connection_options must be a mapping, not {type(options).__name__}")
    known = set(WebSocketSettings.__slots__)
    values: dict[str, Any] = {}
    for name, value in options.items():
        if name not in known:
            raise TypeError(
                f"websocket_connection_options has no option {name!r}; "
                f"this client's WebSocket takes {', '.join(sorted(known))}"
            )
        values[name] = _checked(name, value)
    return WebSocketSettings(**values)


def _checked(name: str, value: Any) -> Any:
    if name == "compression":
        if value not in ("deflate", None):
            raise ValueError(
                f'websocket_connection_options["compression"] must be "deflate" or None, not {value!r}'
            )
        return value == "deflate"
    if name == "subprotocols":
        if value is None:
            return ()
        if isinstance(value, str) or not all(isinstance(p, str) for p in value):
            raise TypeError('websocket_connection_options["subprotocols"] must be a sequence of str')
        return tuple(value)
    if name == "max_queue" and isinstance(value, tuple):
        value = value[0]  # websockets' (high, low) water marks: the high one bounds the buffer
    if name in ("max_size", "max_queue"):
        if value is None and name == "max_size":
            return None
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"websocket_connection_options[{name!r}] must be a positive int, not {value!r}")
        return value
    assert name in _SECONDS
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise ValueError(
            f"websocket_connection_options[{name!r}] must be a positive number of seconds or None"
        )
    return float(value)


@dataclass(frozen=True, slots=True)
class Target:
    """Where the WebSocket connects: a socket address and the handshake's Host and request target."""

    secure: bool
    host: str
    port: int
    host_header: str
    resource: str  # path and query

    @property
    def url(self) -> str:
        return f"{'wss' if self.secure else 'ws'}://{self.host_header}{self.resource}"


def realtime_target(base: str, query: Mapping[str, object]) -> Target:
    """The `/realtime` endpoint under `base` (http(s) or ws(s)), with `query` in the official SDK's encoding."""
    parts = urlsplit(base)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https", "ws", "wss"):
        raise ValueError(f"cannot open a WebSocket to a {scheme or 'relative'} URL: {base!r}")
    if not parts.hostname:
        raise ValueError(f"the realtime URL has no host: {base!r}")
    secure = scheme in ("https", "wss")
    port = parts.port or (443 if secure else 80)
    host = parts.hostname
    shown = f"[{host}]" if ":" in host else host
    host_header = shown if parts.port is None else f"{shown}:{port}"
    path = parts.path.rstrip("/") + "/realtime"
    merged = {**dict(parse_qsl(parts.query, keep_blank_values=True)), **query}
    encoded = encode_query(merged)
    return Target(secure, host, port, host_header, path + (f"?{encoded}" if encoded else ""))


def handshake_headers(
    *,
    user_agent: str,
    organization: str | None,
    project: str | None,
    auth: tuple[str, str] | None,
    default_headers: Mapping[str, str | Omit],
    extra_headers: Mapping[str, str | Omit],
) -> list[tuple[str, str]]:
    """The upgrade request's own headers, later ones overriding earlier ones (an Omit removes one).

    wsproto adds Host, Upgrade, Connection and the Sec-WebSocket-* headers itself.
    """
    base = [("User-Agent", user_agent)]
    if organization is not None:
        base.append(("OpenAI-Organization", organization))
    if project is not None:
        base.append(("OpenAI-Project", project))
    if auth is not None:
        base.append(auth)
    return merge_headers(merge_headers(base, default_headers), extra_headers)


def reconnect_delay(attempt: int, initial: float, maximum: float, rand: Callable[[], float]) -> float:
    """Seconds before reconnection `attempt` (1-based): doubling from `initial`, capped, less up to a quarter."""
    base = min(initial * 2 ** (attempt - 1), maximum)
    return float(base * (0.75 + rand() * 0.25))


def is_session_update(text: str) -> bool:
    """Whether a client event (as sent) configures the session, and so is sent again after a reconnect."""
    if '"session.update"' not in text:  # most events are audio appends: skip the parse
        return False
    try:
        event = json.loads(text)
    except ValueError:
        return False
    return isinstance(event, dict) and event.get("type") == "session.update"


class OutgoingQueue:
    """Client events not yet written, oldest first, within a byte budget.

    Invariant: `size` is the UTF-8 length of everything queued. An event
    taken for writing has left the queue; if the write fails it comes back
    to the front (`put_back`), whatever the budget, so nothing is lost and
    nothing is reordered.
    """

    __slots__ = ("_items", "max_bytes", "size")

    def __init__(self, max_bytes: int = DEFAULT_MAX_QUEUE_SIZE) -> None:
        if isinstance(max_bytes, bool) or not isinstance(max_bytes, int) or max_bytes < 1:
            raise ValueError(f"max_queue_size must be a positive int, not {max_bytes!r}")
        self.max_bytes = max_bytes
        self._items: deque[tuple[str, int]] = deque()
        self.size = 0

    def fits(self, text: str) -> bool:
        """Whether `text` can be queued now: within the budget, or (however big) into an empty queue."""
        return not self._items or self.size + len(text.encode()) <= self.max_bytes

    def put(self, text: str, *, connected: bool = False) -> None:
        """Queue `text`, or raise WebSocketQueueFullError (and queue nothing) if it would exceed the budget.

        `connected`: the writer is draining the queue, and the caller waited
        for `fits`; then one event bigger than the whole budget goes too (the
        official SDK bounds only what waits for a connection).
        """
        length = len(text.encode())
        if self.size + length > self.max_bytes and not (connected and not self._items):
            raise WebSocketQueueFullError(
                f"the realtime send queue is full ({self.size} of {self.max_bytes} bytes queued, "
                f"this event is {length}); the event was not sent"
            )
        self._items.append((text, length))
        self.size += length

    def put_back(self, text: str) -> None:
        length = len(text.encode())
        self._items.appendleft((text, length))
        self.size += length

    def peek(self) -> str | None:
        """The event `take` would return, left in the queue."""
        return self._items[0][0] if self._items else None

    def take(self) -> str | None:
        if not self._items:
            return None
        text, length = self._items.popleft()
        self.size -= length
        return text

    def drain(self) -> list[str]:
        items = [text for text, _ in self._items]
        self._items.clear()
        self.size = 0
        return items

    def __len__(self) -> int:
        return len(self._items)
