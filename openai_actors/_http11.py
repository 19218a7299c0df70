"""HTTP/1.1, client side, sans-IO: bytes in, events out; no sockets, no awaits.

Theory of operation
-------------------
A connection sends one request, then feeds whatever the socket yields into a
fresh `ResponseParser` and pulls events until `EndOfMessage`:

    parser.feed(data)          # any split: a byte at a time or all at once
    parser.next_event()  ->  ResponseHead | bytes | EndOfMessage | None (need more data)
    parser.feed_eof()          # the peer closed; ends a close-delimited body, or
                               # makes the next `next_event()` raise ProtocolError

The body is framed by, in this order (RFC 9112 section 6.3): no body for HEAD,
1xx, 204 and 304; `Transfer-Encoding: chunked`; `Content-Length`; otherwise it
runs to the end of the connection. Interim 1xx heads are skipped. Anything that
is not valid HTTP raises `ProtocolError`, whose message says what was wrong; the
connection is then unusable, and nothing else is.

A response whose head says `Connection: close`, an HTTP/1.0 response without
keep-alive, a close-delimited body, or bytes left over after the message all
make `reusable` false: the connection must not carry another request.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, TypeAlias, final

__all__ = [
    "EndOfMessage",
    "ProtocolError",
    "ResponseHead",
    "ResponseParser",
    "check_header",
]

MAX_HEAD_BYTES: Final = 64 * 1024
MAX_CHUNK_LINE_BYTES: Final = 1024


class ProtocolError(Exception):
    """The peer's bytes are not HTTP/1.1 we can read."""


@dataclass(slots=True)
class ResponseHead:
    status: int
    reason: str
    headers: dict[str, str]
    """Lower-case names; a repeated header's values joined with ", "."""
    http_version: str


@final
class EndOfMessage:
    __slots__ = ()

    def __repr__(self) -> str:
        return "EndOfMessage"


END_OF_MESSAGE: Final = EndOfMessage()

Event: TypeAlias = ResponseHead | bytes | EndOfMessage

# Parser states.
_HEAD: Final = 0
_LENGTH: Final = 1
_CHUNK_SIZE: Final = 2
_CHUNK_DATA: Final = 3
_CHUNK_CRLF: Final = 4
_TRAILERS: Final = 5
_UNTIL_CLOSE: Final = 6
_END: Final = 7  # the body is complete; EndOfMessage not yet returned
_DONE: Final = 8

_NO_BODY_STATUSES: Final = frozenset({204, 304})


class ResponseParser:
    __slots__ = ("_buf", "_eof", "_head_request", "_keep_alive", "_remaining", "_state", "head")

    def __init__(self, *, head_request: bool = False) -> None:
        self._buf = bytearray()
        self._eof = False
        self._head_request = head_request
        self._state = _HEAD
        self._remaining = 0
        self._keep_alive = True
        self.head: ResponseHead | None = None

    def feed(self, data: bytes) -> None:
        if self._eof:
            raise RuntimeError("feed() after feed_eof()")
        self._buf += data

    def feed_eof(self) -> None:
        self._eof = True

    @property
    def done(self) -> bool:
        return self._state == _DONE

    @property
    def reusable(self) -> bool:
        """True when the message is complete and the connection may carry another."""
        return self._state == _DONE and self._keep_alive and not self._buf and not self._eof

    def next_event(self) -> Event | None:
        """The next event, or None when more data (or `feed_eof`) is needed."""
        state = self._state
        if state == _LENGTH:
            return self._next_length_data()
        if state == _HEAD:
            return self._next_head()
        if state == _UNTIL_CLOSE:
            return self._next_until_close()
        if state == _END:
            return self._finish()
        if state == _DONE:
            return None
        return self._next_chunked()

    # -- head ---------------------------------------------------------------

    def _next_head(self) -> Event | None:
        while True:
            buf = self._buf
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                self._check_head_data()
                return None
            raw = bytes(buf[:end])
            del buf[: end + 4]
            head = _parse_head(raw)
            if 100 <= head.status < 200:
                if head.status == 101:
                    raise ProtocolError("the server switched protocols (101), which was not asked for")
                continue  # interim response: the real one follows
            self.head = head
            self._frame_body(head)
            return head

    def _check_head_data(self) -> None:
        if len(self._buf) > MAX_HEAD_BYTES:
            raise ProtocolError(f"the response head is larger than {MAX_HEAD_BYTES} bytes")
        if self._eof:
            if self._buf:
                raise ProtocolError("the server closed the connection in the middle of the response head")
            raise ProtocolError("the server closed the connection without sending a response")

    def _frame_body(self, head: ResponseHead) -> None:
        headers = head.headers
        connection = headers.get("connection", "").lower()
        if head.http_version == "1.0":
            self._keep_alive = "keep-alive" in connection
        else:
            self._keep_alive = "close" not in connection
        if self._head_request or head.status in _NO_BODY_STATUSES:
            self._state = _END
            return
        transfer_encoding = headers.get("transfer-encoding")
        if transfer_encoding is not None:
            codings = [c.strip().lower() for c in transfer_encoding.split(",")]
            if codings[-1] != "chunked" or any(c not in ("chunked", "identity") for c in codings):
                raise ProtocolError(f"unsupported transfer-encoding {transfer_encoding!r}")
            self._state = _CHUNK_SIZE
            return
        length = headers.get("content-length")
        if length is not None:
            self._remaining = _content_length(length)
            self._state = _LENGTH if self._remaining else _END
            return
        self._keep_alive = False
        self._state = _UNTIL_CLOSE

    # -- bodies -------------------------------------------------------------

    def _next_length_data(self) -> Event | None:
        buf = self._buf
        if not buf:
            if self._eof:
                raise ProtocolError(
                    f"the server closed the connection with {self._remaining} bytes of the body unsent"
                )
            return None
        remaining = self._remaining
        if len(buf) <= remaining:
            data = bytes(buf)
            buf.clear()
        else:
            data = bytes(buf[:remaining])
            del buf[:remaining]
        self._remaining = remaining - len(data)
        if not self._remaining:
            self._state = _END
        return data

    def _finish(self) -> EndOfMessage:
        self._state = _DONE
        return END_OF_MESSAGE

    def _next_until_close(self) -> Event | None:
        if self._buf:
            data = bytes(self._buf)
            self._buf.clear()
            return data
        if self._eof:
            return self._finish()
        return None

    def _next_chunked(self) -> Event | None:
        while True:
            state = self._state
            if state == _CHUNK_SIZE:
                line = self._take_line(MAX_CHUNK_LINE_BYTES, "a chunk-size line")
                if line is None:
                    return None
                size = _chunk_size(line)
                if size:
                    self._remaining = size
                    self._state = _CHUNK_DATA
                else:
                    self._state = _TRAILERS
            elif state == _CHUNK_DATA:
                data = self._next_length_data_chunk()
                if data is None:
                    return None
                return data
            elif state == _CHUNK_CRLF:
                if len(self._buf) < 2:
                    self._check_chunk_eof()
                    return None
                if self._buf[:2] != b"\r\n":
                    raise ProtocolError("a chunk of the body is not followed by CRLF")
                del self._buf[:2]
                self._state = _CHUNK_SIZE
            else:  # _TRAILERS: skipped; nothing here uses them
                line = self._take_line(MAX_HEAD_BYTES, "the trailers")
                if line is None:
                    return None
                if not line:
                    return self._finish()

    def _next_length_data_chunk(self) -> bytes | None:
        buf = self._buf
        if not buf:
            self._check_chunk_eof()
            return None
        take = min(self._remaining, len(buf))
        data = bytes(buf[:take])
        del buf[:take]
        self._remaining -= take
        if not self._remaining:
            self._state = _CHUNK_CRLF
        return data

    def _check_chunk_eof(self) -> None:
        if self._eof:
            raise ProtocolError("the server closed the connection in the middle of a chunked body")

    def _take_line(self, limit: int, what: str) -> bytes | None:
        buf = self._buf
        end = buf.find(b"\r\n")
        if end < 0:
            if len(buf) > limit:
                raise ProtocolError(f"{what} is longer than {limit} bytes")
            self._check_chunk_eof()
            return None
        line = bytes(buf[:end])
        del buf[: end + 2]
        return line


def _parse_head(raw: bytes) -> ResponseHead:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    lines = text.split("\r\n")
    status_line = lines[0]
    version, _, rest = status_line.partition(" ")
    if version not in ("HTTP/1.1", "HTTP/1.0"):
        raise ProtocolError(f"not an HTTP/1.x status line: {status_line[:80]!r}")
    code, _, reason = rest.partition(" ")
    if len(code) != 3 or not code.isascii() or not code.isdigit() or not "100" <= code <= "599":
        raise ProtocolError(f"bad status code in status line: {status_line[:80]!r}")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if not sep or not name or name != name.strip() or " " in name:
            raise ProtocolError(f"malformed header line: {line[:80]!r}")
        name = name.lower()
        value = value.strip(" \t")
        previous = headers.get(name)
        headers[name] = value if previous is None else f"{previous}, {value}"
    return ResponseHead(int(code), reason, headers, version[5:])


def _content_length(value: str) -> int:
    # Repeated identical values are allowed (RFC 9110 section 8.6); differing ones are not.
    values = {v.strip() for v in value.split(",")}
    if len(values) != 1:
        raise ProtocolError(f"conflicting content-length values: {value!r}")
    (single,) = values
    if not single.isdigit() or not single.isascii():
        raise ProtocolError(f"bad content-length: {value!r}")
    return int(single)


def _chunk_size(line: bytes) -> int:
    size = line.split(b";", 1)[0].strip()
    try:
        if not size or size.startswith((b"-", b"+", b"0x", b"0X")):
            raise ValueError
        return int(size, 16)
    except ValueError:
        raise ProtocolError(f"bad chunk size line: {line[:40]!r}") from None


_FORBIDDEN_IN_VALUE: Final = frozenset("\r\n\x00")
_TOKEN_CHARS: Final = frozenset(
    "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
)


_SECRET_HINTS: Final = ("auth", "key", "token", "secret", "cookie", "password")


def check_header(name: str, value: str, *, secret: bool | None = None) -> None:
    """Raise ValueError if this header cannot be sent as is.

    CR or LF in a value would let it inject headers. For a secret value (by
    default: any header whose name suggests a credential), the message names
    the position of the bad character and never shows the value.
    """
    if not name or not _TOKEN_CHARS.issuperset(name):
        raise ValueError(f"invalid HTTP header name {name!r}")
    if value.isascii() and value.isprintable():
        return  # the common case, checked in C
    if secret is None:
        lowered = name.lower()
        secret = any(hint in lowered for hint in _SECRET_HINTS)
    for index, char in enumerate(value):
        if char in _FORBIDDEN_IN_VALUE or ord(char) > 0xFF:
            shown = f"at position {index}" if secret else f"{value!r}"
            raise ValueError(f"the value of header {name!r} has a character that cannot be sent ({shown})")
