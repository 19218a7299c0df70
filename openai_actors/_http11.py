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

Grammar
-------
What is accepted is what h11 accepts (tests/test_http11_differential.py
holds the two parsers to it), bar the differences that test names: status
codes 100-599 only, HTTP/1.0 and 1.1 only, and HTTP/1.0 keep-alive honoured.
Lines of the head and trailers end in CRLF or a bare LF; a folded line
(obs-fold) is joined to the one before with a space. A field value may hold
any byte but NUL, CR, LF, VT and FF. Content-Length is 1 to 20 digits (repeated
identical values allowed); a chunk size is 1 to 20 hex digits, optionally
followed by extensions (skipped) and trailing spaces or tabs. Transfer-Encoding
must be exactly `chunked`. Framing headers are checked on every head, interim
and bodiless ones included, and in trailers.
"""

from __future__ import annotations

import re
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
# Digits in a Content-Length or a chunk size: len(str(2**64)), as in h11. Beyond
# this int() would be slow, and past 4,300 digits it raises ValueError.
MAX_LENGTH_DIGITS: Final = 20


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
            if buf and buf[0] < 0x21:  # as h11: no status line starts with a control or a space
                raise ProtocolError(f"not an HTTP/1.x status line: {bytes(buf[:80])!r}")
            blank = _BLANK_LINE.search(buf)
            if blank is None:
                self._check_head_data()
                return None
            head = _parse_head(_take_block(buf, blank))
            chunked, length = _framing(head.headers)
            if 100 <= head.status < 200:
                if head.status == 101:
                    raise ProtocolError("the server switched protocols (101), which was not asked for")
                continue  # interim response: the real one follows
            self.head = head
            self._frame_body(head, chunked, length)
            return head

    def _check_head_data(self) -> None:
        if len(self._buf) > MAX_HEAD_BYTES:
            raise ProtocolError(f"the response head is larger than {MAX_HEAD_BYTES} bytes")
        if self._eof:
            if self._buf:
                raise ProtocolError("the server closed the connection in the middle of the response head")
            raise ProtocolError("the server closed the connection without sending a response")

    def _frame_body(self, head: ResponseHead, chunked: bool, length: int | None) -> None:
        self._keep_alive = _keep_alive(head, chunked)
        if self._head_request or head.status in _NO_BODY_STATUSES:
            self._state = _END
        elif chunked:
            self._state = _CHUNK_SIZE
        elif length is not None:
            self._remaining = length
            self._state = _LENGTH if length else _END
        else:
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
                end = self._buf[:2]
                if end == b"\r\n":
                    del self._buf[:2]
                    self._state = _CHUNK_SIZE
                elif not end or end == b"\r":  # not yet known
                    self._check_chunk_eof()
                    return None
                else:
                    raise ProtocolError("a chunk of the body is not followed by CRLF")
            else:  # _TRAILERS: checked like header lines, then dropped; nothing here uses them
                return self._next_trailers()

    def _next_trailers(self) -> EndOfMessage | None:
        buf = self._buf
        if buf[:2] == b"\r\n":  # no trailers, the usual case
            del buf[:2]
            return self._finish()
        if buf[:1] == b"\n":
            del buf[:1]
            return self._finish()
        blank = _BLANK_LINE.search(buf)
        if blank is None:
            if len(buf) > MAX_HEAD_BYTES:
                raise ProtocolError(f"the trailers are longer than {MAX_HEAD_BYTES} bytes")
            self._check_chunk_eof()
            return None
        _framing(_parse_fields(_lines(_decode(_take_block(buf, blank)), "the trailers"), 0))
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


# The end of a head or of the trailers: the first empty line, its lines ending
# in CRLF or in a bare LF (h11's reading of RFC 9112 section 2.2).
_BLANK_LINE: Final = re.compile(rb"\n\r?\n")
# Characters a field value or reason phrase may not hold (h11's field-vchar is
# anything but NUL and whitespace; SP and HTAB are allowed between), and a CR
# that does not end a line.
_FORBIDDEN_IN_HEAD: Final = re.compile(r"[\x00\x0b\x0c]|\r(?!\n)")
_TOKEN: Final = re.compile(r"[-!#$%&'*+.^_`|~0-9A-Za-z]+")
_CHUNK_SIZE_LINE: Final = re.compile(rb"([0-9A-Fa-f]{1,%d})(?:;[^\n]*)?[ \t]*" % MAX_LENGTH_DIGITS)
_CONTROL_NAMES: Final = {"\x00": "NUL", "\x0b": "VT", "\x0c": "FF", "\r": "CR"}

# Field names already found to be tokens, each with its lower-case form: a
# response's names are nearly always ones seen before, and one dict look-up
# replaces the check and the lower(). Bounded, so a server cannot grow it.
_KNOWN_NAMES: dict[str, str] = {}
_MAX_KNOWN_NAMES: Final = 1024


def _take_block(buf: bytearray, blank: re.Match[bytes]) -> bytes:
    """Remove a head or trailer block and its blank line from `buf`; return the block.

    The block loses its last line's CR, so that it ends where its text does.
    """
    end = blank.start()
    text_end = end - 1 if end and buf[end - 1] == 0x0D else end
    block = bytes(buf[:text_end])
    del buf[: blank.end()]
    return block


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def _lines(text: str, what: str) -> list[str]:
    """The lines of a head or trailer block, or ProtocolError for a control character in it."""
    lines = text.split("\r\n")
    crlfs = len(lines) - 1
    if (
        text.count("\n") == crlfs
        and text.count("\r") == crlfs
        and "\x00" not in text
        and "\x0b" not in text
        and "\x0c" not in text
    ):
        return lines  # CRLF line endings only and nothing forbidden: the usual case
    bad = _FORBIDDEN_IN_HEAD.search(text)
    if bad is not None:
        start = text.rfind("\n", 0, bad.start()) + 1
        line = text[start : start + 80]
        raise ProtocolError(f"a control character ({_CONTROL_NAMES[bad[0][0]]}) in {what}: {line!r}")
    return text.replace("\r\n", "\n").split("\n")  # bare LF line endings


def _parse_head(raw: bytes) -> ResponseHead:
    lines = _lines(_decode(raw), "the response head")
    status_line = lines[0]
    version, _, rest = status_line.partition(" ")
    if version not in ("HTTP/1.1", "HTTP/1.0"):
        raise ProtocolError(f"not an HTTP/1.x status line: {status_line[:80]!r}")
    code, _, reason = rest.partition(" ")
    if len(code) != 3 or not code.isascii() or not code.isdigit() or not "100" <= code <= "599":
        raise ProtocolError(f"bad status code in status line: {status_line[:80]!r}")
    return ResponseHead(int(code), reason, _parse_fields(lines, 1), version[5:])


def _parse_fields(lines: list[str], first: int) -> dict[str, str]:
    """`lines[first:]` as fields: lower-case names, a repeated name's values joined with ", "."""
    fields: dict[str, str] = {}
    for index in range(first, len(lines)):
        line = lines[index]
        name, sep, value = line.partition(":")
        lowered = _KNOWN_NAMES.get(name) if sep else None
        if lowered is None:
            if line[:1] in (" ", "\t"):  # obs-fold: rare, so looked for only here
                return _parse_fields(_unfold(lines, first), first)
            lowered = _field_name(name, sep, line)
        value = value.strip(" \t")
        previous = fields.get(lowered)
        fields[lowered] = value if previous is None else f"{previous}, {value}"
    return fields


def _field_name(name: str, sep: str, line: str) -> str:
    if not sep or not _TOKEN.fullmatch(name):
        raise ProtocolError(f"malformed header line: {line[:80]!r}")
    lowered = name.lower()
    if len(_KNOWN_NAMES) < _MAX_KNOWN_NAMES:
        _KNOWN_NAMES[name] = lowered
    return lowered


def _unfold(lines: list[str], first: int) -> list[str]:
    """Join each continuation line to the one before with a space (RFC 9112 section 5.2, as h11)."""
    unfolded = lines[:first]
    for line in lines[first:]:
        rest = line.lstrip(" \t")
        if len(rest) == len(line):
            unfolded.append(line)
        elif len(unfolded) == first:
            raise ProtocolError(f"a continuation line before any header: {line[:80]!r}")
        else:
            unfolded[-1] = f"{unfolded[-1]} {rest}"
    return unfolded


def _framing(fields: dict[str, str]) -> tuple[bool, int | None]:
    """(chunked, Content-Length) of a head; ProtocolError if either header is malformed.

    Called for every head and for trailers, as h11 checks them: a malformed
    framing header is refused even where it would not frame anything.
    """
    coding = fields.get("transfer-encoding")
    # Exactly "chunked", in any ASCII case (not via str.lower(): the Kelvin sign lower-cases to k).
    if coding is not None and coding != "chunked" and not (coding.isascii() and coding.lower() == "chunked"):
        raise ProtocolError(f"unsupported transfer-encoding {coding!r}: only 'chunked' is")
    length = fields.get("content-length")
    return coding is not None, None if length is None else _content_length(length)


def _content_length(value: str) -> int:
    if value.isdigit() and value.isascii() and len(value) <= MAX_LENGTH_DIGITS:
        return int(value)
    # Repeated identical values are allowed (RFC 9110 section 8.6); differing ones are not.
    # Stripped of SP and HTAB only: str.strip() would also take a no-break space.
    values = {v.strip(" \t") for v in value.split(",")}
    if len(values) != 1:
        raise ProtocolError(f"conflicting content-length values: {value[:80]!r}")
    (single,) = values
    if not single.isdigit() or not single.isascii() or len(single) > MAX_LENGTH_DIGITS:
        raise ProtocolError(f"bad content-length: {value[:80]!r}")
    return int(single)


def _keep_alive(head: ResponseHead, chunked: bool) -> bool:
    connection = head.headers.get("connection", "")
    if connection and connection != "keep-alive" and _has_token(connection, "close"):
        return False
    if head.http_version == "1.1":
        return True
    # HTTP/1.0: only when asked for, and not after Transfer-Encoding, whose
    # framing a 1.0 message cannot be trusted with (RFC 9112 section 6.1).
    return not chunked and (connection == "keep-alive" or _has_token(connection, "keep-alive"))


def _has_token(value: str, token: str) -> bool:
    """Whether the comma-separated list `value` holds `token`, compared in ASCII lower case."""
    return any(t.isascii() and t.strip(" \t").lower() == token for t in value.split(","))


def _chunk_size(line: bytes) -> int:
    match = _CHUNK_SIZE_LINE.fullmatch(line)
    if match is None:
        raise ProtocolError(f"bad chunk size line: {line[:40]!r}")
    return int(match[1], 16)


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
