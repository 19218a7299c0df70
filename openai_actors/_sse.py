"""Server-sent events, sans-IO: bytes in, events out; no sockets, no awaits.

Theory of operation
-------------------
The stream layer feeds whatever the response body yields and gets back the
events that chunk completed:

    decoder.feed(chunk)   ->  [ServerSentEvent, ...]   # any split, even inside a character
    decoder.close()       ->  []                       # end of stream

Decoding follows the WHATWG "event stream interpretation"
(https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation)
in three stages, each of which keeps a little state across chunks:

1. Bytes become text through an incremental UTF-8 decoder, so a chunk that
   ends inside a multi-byte character is completed by the next one; invalid
   bytes become U+FFFD. One byte order mark at the very start is dropped.
2. Text becomes lines. A line ends at CRLF, LF or CR. CR and CRLF are first
   rewritten to LF, so one `str.split` does the work; the one case that needs
   memory is a chunk ending in CR, where an LF starting the next chunk belongs
   to the same line end and is dropped. The text after the last line end is
   kept until its end arrives.
3. Lines become events. `field:value` (one space after the colon removed; no
   colon means the whole line is the field name, with an empty value):
   `data` appends a line to the data buffer, `event` sets the type, `id` sets
   the last event id unless it contains NUL, `retry` sets the reconnection
   time if it is all ASCII digits. Lines starting with ":" are comments; other
   fields are ignored. A blank line dispatches the event, unless no `data` line
   was seen; either way the type and retry are then reset, while the last
   event id persists, as the spec says. A client that reconnects reads that
   stream-wide state from `last_event_id` and `reconnection_time`.

The common case, a chunk holding whole `data: {...}\\n\\n` events with LF line
ends, costs one decode, two substring scans, one split, and a few operations
per line; no Python code runs per character. There is no size limit: one
event can be megabytes (a Responses stream's base64 partial image), and the
text of an unfinished line is kept in pieces and joined once, so even that
costs time linear in its size.

In the dispatched `ServerSentEvent`, the spec's empty string is None: no
`event:` line, or an empty one, gives `event=None` (the spec's "message"), and
an empty `id:` (which the spec uses to clear the id) gives `id=None`. `[DONE]`
is an ordinary data line here; the stream layer decides what it means.

End of stream. The spec discards an event whose blank line never came, and
so does the official SDK (its decoder reads the unterminated last line but
dispatches only on a blank line), so `close()` dispatches nothing: a body cut
off mid-event must not look like a complete one. OpenAI ends every event,
`data: [DONE]` included, with a blank line.
"""

from __future__ import annotations

import codecs
import json
from dataclasses import dataclass
from typing import Any

__all__ = ["SSEDecoder", "ServerSentEvent"]


@dataclass(frozen=True, slots=True)
class ServerSentEvent:
    """One dispatched event."""

    event: str | None
    """The `event:` field; None when there was none, or it was empty (the spec's "message")."""
    data: str
    """The `data:` lines, joined with "\\n"."""
    id: str | None
    """The last event id seen so far in the stream (it persists across events), or None."""
    retry: int | None
    """The `retry:` value (milliseconds) given with this event, else None."""

    def json(self) -> Any:
        return json.loads(self.data)


# A frozen dataclass's __init__ sets each field through object.__setattr__;
# setting the slots directly is a third faster, and one event is made per
# streamed token. Every field is set, so the object is as __init__ leaves it.
_SLOT_SETTERS: tuple[Any, ...] = tuple(
    getattr(ServerSentEvent, name).__set__ for name in ("event", "data", "id", "retry")
)


def _make_event(event: str | None, data: str, id: str | None, retry: int | None) -> ServerSentEvent:
    set_event, set_data, set_id, set_retry = _SLOT_SETTERS
    sse: ServerSentEvent = object.__new__(ServerSentEvent)
    set_event(sse, event)
    set_data(sse, data)
    set_id(sse, id)
    set_retry(sse, retry)
    return sse


_new_utf8_decoder = codecs.getincrementaldecoder("utf-8")


class SSEDecoder:
    """One stream's decoder: feed it the body's chunks in order, then close it."""

    __slots__ = (
        "_after_cr",
        "_closed",
        "_data",
        "_event",
        "_last_event_id",
        "_partial",
        "_reconnection_time",
        "_retry",
        "_started",
        "_utf8",
        "_utf8_pending",
    )

    def __init__(self) -> None:
        self._utf8 = _new_utf8_decoder(errors="replace")
        self._utf8_pending = False  # the incremental decoder holds the start of a character
        self._started = False  # a byte order mark can only come first
        self._after_cr = False  # the last text seen ended in CR: a leading LF is part of that line end
        self._partial: list[str] = []  # text after the last line end, in pieces
        self._closed = False
        # The event being built; reset at every blank line.
        self._data: list[str] = []
        self._event: str | None = None
        self._retry: int | None = None
        # Stream-wide state; never reset.
        self._last_event_id: str | None = None
        self._reconnection_time: int | None = None

    @property
    def last_event_id(self) -> str | None:
        """The id a reconnecting client would send as `Last-Event-ID`, or None."""
        return self._last_event_id

    @property
    def reconnection_time(self) -> int | None:
        """The latest valid `retry:` value in the stream (milliseconds), even one no event carried."""
        return self._reconnection_time

    def feed(self, chunk: bytes) -> list[ServerSentEvent]:
        """The events this chunk completes, in order; often none, sometimes several."""
        if self._closed:
            raise RuntimeError("feed() after close()")
        text = self._decode(chunk)
        if not text:
            return []
        if not self._started:
            self._started = True
            if text[0] == "\ufeff":
                text = text[1:]
        if self._after_cr:
            self._after_cr = False
            if text[:1] == "\n":
                text = text[1:]
        if not text:
            return []
        if "\r" in text:
            self._after_cr = text[-1] == "\r"
            text = text.replace("\r\n", "\n").replace("\r", "\n")
        if "\n" not in text:
            self._partial.append(text)
            return []
        lines = text.split("\n")
        partial = self._partial
        if partial:
            partial.append(lines[0])
            lines[0] = "".join(partial)
            partial.clear()
        last = lines.pop()
        if last:
            partial.append(last)
        return self._interpret(lines)

    def close(self) -> list[ServerSentEvent]:
        """End of stream: an event still missing its blank line is discarded (see the module docs)."""
        self._closed = True
        self._partial.clear()
        self._data = []
        return []

    def _decode(self, chunk: bytes) -> str:
        # A chunk of whole, valid UTF-8 (nearly all of them) is decoded by the
        # C fast path; the incremental decoder, several times slower, is needed
        # only when a character is cut between chunks or a byte is invalid. The
        # two agree whenever the incremental decoder holds nothing.
        if not self._utf8_pending:
            try:
                return chunk.decode()
            except UnicodeDecodeError:
                pass
        utf8 = self._utf8
        text: str = utf8.decode(chunk)
        self._utf8_pending = bool(utf8.getstate()[0])
        return text

    def _interpret(self, lines: list[str]) -> list[ServerSentEvent]:
        events: list[ServerSentEvent] = []
        data = self._data
        for line in lines:
            if not line:
                if data:
                    events.append(_make_event(self._event, "\n".join(data), self._last_event_id, self._retry))
                    data = self._data = []
                self._event = None
                self._retry = None
            elif line[:6] == "data: ":  # by far the most common line
                data.append(line[6:])
            else:
                self._field(line)
        return events

    def _field(self, line: str) -> None:
        name, _, value = line.partition(":")
        if not name:
            return  # the line starts with ":", a comment (empty lines never get here)
        if value[:1] == " ":
            value = value[1:]
        if name == "data":
            self._data.append(value)
        elif name == "event":
            self._event = value or None
        elif name == "id" and "\0" not in value:
            self._last_event_id = value or None
        elif name == "retry" and value.isascii() and value.isdigit():
            self._retry = self._reconnection_time = int(value)
