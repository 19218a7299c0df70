"""What a realtime connection tells `on_reconnecting`, and what the handler may answer (official 3.3.1)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Final, TypedDict

__all__ = ["ReconnectingEvent", "ReconnectingOverrides", "is_recoverable_close"]

Query = Mapping[str, object]
Headers = Mapping[str, str]


@dataclasses.dataclass(frozen=True)
class ReconnectingEvent:
    """One reconnection attempt about to be made, passed to the `on_reconnecting` handler."""

    attempt: int
    """Which attempt this is (1-based)."""

    max_attempts: int
    """How many attempts will be made at most (`max_retries`)."""

    delay: float
    """Seconds waited before this attempt connects."""

    close_code: int
    """The WebSocket close code that ended the last connection (1006: it dropped without one)."""

    extra_query: Query
    """The query parameters the attempt will use."""

    extra_headers: Headers
    """The extra headers the attempt will use."""


class ReconnectingOverrides(TypedDict, total=False):
    """What the `on_reconnecting` handler may return to change the next attempt."""

    extra_query: Query
    """Replaces the query parameters, for this attempt and the later ones."""

    extra_headers: Headers
    """Replaces the extra headers, for this attempt and the later ones."""

    abort: bool
    """True: make no more attempts; the close reaches the caller."""


# RFC 6455 section 7.4.1: the codes after which a new connection may well succeed.
_RECOVERABLE_CLOSE_CODES: Final = frozenset(
    {
        1001,  # going away (the server is shutting down)
        1005,  # no status code
        1006,  # abnormal closure: the connection dropped
        1011,  # internal server error (also our keepalive timeout)
        1012,  # service restart
        1013,  # try again later
        1015,  # TLS handshake failure
    }
)


def is_recoverable_close(code: int) -> bool:
    """Whether a connection closed with `code` is worth reconnecting."""
    return code in _RECOVERABLE_CLOSE_CODES
