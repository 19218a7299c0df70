"""The public value types: injected faults and recorded requests."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

__all__ = ["STREAM_ACTIONS", "Action", "Fault", "RecordedMessage", "RecordedRequest"]

Action = Literal[
    "respond", "close", "reset", "hang", "truncate", "stream_stall", "stream_drop", "stream_error"
]
STREAM_ACTIONS = frozenset(("stream_stall", "stream_drop", "stream_error"))
_ACTIONS = frozenset(("respond", "close", "reset", "hang", "truncate")) | STREAM_ACTIONS


@dataclass(frozen=True)
class Fault:
    """What the server does, once, instead of its normal reply.

    - ``status``/``body``/``headers``: send this response. A dict body is JSON
      encoded; an error status without a body gets an OpenAI-style error body;
      a status below 400 without a body gets the normal reply's body. Headers
      are added to, or override, the defaults. Headers alone (no status)
      decorate the normal reply.
    - ``delay``: seconds to wait first (for any action but "hang").
    - ``action``: "respond" (default); "close" the connection without
      answering; "reset" it (TCP RST); "hang" forever, until the client goes
      away or the server stops; "truncate": promise a longer body than is
      sent, then close.
    - ``path``: only a request to exactly this path (e.g.
      "/v1/chat/completions") consumes the fault; None matches any path.

    For a streaming (Server-Sent Events) reply, ``delay`` still postpones the
    response head, and:

    - ``first_delay`` / ``chunk_delay``: override the server's
      ``stream_first_delay`` (seconds between the head and the first event)
      and ``stream_chunk_delay`` (seconds between events) for this request.
    - ``action`` "stream_stall": send ``after`` events, then nothing more,
      keeping the connection open until the client goes away or the server
      stops (counted in ``hanging``); "stream_drop": send ``after`` events,
      then abort the connection (TCP RST); "stream_error": send ``after``
      events, then an error event (``body``, if given, is its data; by
      default OpenAI's ``{"error": {...}}``, or a Responses ``error`` event),
      then end the body cleanly, without ``[DONE]``; "truncate": send
      ``after`` events, then close (FIN) without ending the chunked body. A
      stream with fewer than ``after`` events meets its fault after the last.
    - Stream actions on a non-streaming request act like their closest
      plain counterpart: "stream_stall" hangs, "stream_drop" resets,
      "stream_error" answers ``status`` (default 500) with ``body`` or an
      OpenAI-style error body.
    """

    status: int | None = None
    body: bytes | str | dict[str, Any] | None = None
    headers: Mapping[str, str] | None = None
    delay: float = 0.0
    action: Action = "respond"
    path: str | None = None
    first_delay: float | None = None
    chunk_delay: float | None = None
    after: int = 0

    def __post_init__(self) -> None:
        if self.action not in _ACTIONS:
            raise ValueError(f"unknown fault action {self.action!r}; expected one of {sorted(_ACTIONS)}")
        if self.status is not None and not 200 <= self.status <= 599:
            raise ValueError(f"fault status must be within 200..599, got {self.status}")
        for name, delay in (
            ("delay", self.delay),
            ("first_delay", self.first_delay),
            ("chunk_delay", self.chunk_delay),
        ):
            if delay is not None and delay < 0:
                raise ValueError(f"fault {name} must be >= 0, got {delay}")
        if self.after < 0:
            raise ValueError(f"fault after must be >= 0, got {self.after}")
        for name, value in (self.headers or {}).items():
            # A CR or LF would let a fault break the response framing itself.
            if any(char in text for text in (name, value) for char in "\r\n"):
                raise ValueError(f"fault header {name!r} contains CR or LF")

    def body_bytes(self) -> bytes | None:
        """The body as sent on the wire, or None when the fault has none."""
        if self.body is None or isinstance(self.body, bytes):
            return self.body
        if isinstance(self.body, str):
            return self.body.encode()
        return json.dumps(self.body).encode()


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    """One request as the server received it.

    ``path`` excludes the query string; ``headers`` has lowercase names, with
    repeated headers joined by ", ".
    """

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    received_at: float = 0.0
    """``time.monotonic()`` when the request's head was parsed."""

    def json(self) -> Any:
        """The body decoded as JSON."""
        return json.loads(self.body)


@dataclass(frozen=True, slots=True)
class RecordedMessage:
    """One WebSocket message a client sent to the Realtime endpoint (``/v1/realtime``).

    ``connection`` is the number of the upgrade request that opened the
    connection (its ``x-request-id`` is ``req_<connection>``, and its
    :class:`RecordedRequest` has the headers and query); ``text`` is the
    message as received, or None for a binary message.
    """

    connection: int
    text: str | None
    received_at: float = 0.0
    """``time.monotonic()`` when the message was complete."""

    def json(self) -> Any:
        """The message decoded as JSON (a client event)."""
        if self.text is None:
            raise ValueError("a binary message has no JSON")
        return json.loads(self.text)
