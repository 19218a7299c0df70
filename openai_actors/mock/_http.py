"""A minimal, incremental HTTP/1.1 request parser and a response renderer.

Only what an API mock needs: origin-form targets, Content-Length and chunked
request bodies, keep-alive and pipelining. Anything malformed raises
:class:`HttpError`; the connection answers it and closes, since after a framing
error the byte stream can no longer be trusted.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from http import HTTPStatus
from typing import Final

__all__ = ["HttpError", "Request", "RequestParser", "render_response", "render_stream_head"]

MAX_HEAD_SIZE: Final = 64 * 1024
# Parsed request heads by their bytes. A benchmark client sends the same head
# (same path, headers, Content-Length) again and again; parsing it once saves
# about a fifth of the server's CPU per request, which is what keeps the mock
# server ahead of the clients it measures (bench/README.md). Parsing is a pure
# function of the bytes, and a head that fails to parse is never stored.
_HEADS_REMEMBERED: Final = 256
_heads_seen: dict[bytes, Request] = {}
_MAX_CHUNK_LINE: Final = 1024

_TOKEN: Final = rb"[!#$%&'*+.^_`|~0-9A-Za-z-]+"
_REQUEST_LINE: Final = re.compile(b"(" + _TOKEN + rb") ([^ \x00-\x1f\x7f]+) HTTP/(\d)\.(\d)")
# Lazy value plus trailing blanks: the value comes out already stripped.
_HEADER_LINE: Final = re.compile(b"(" + _TOKEN + rb"):[ \t]*([^\x00\r\n]*?)[ \t]*")
_CHUNK_SIZE: Final = re.compile(rb"[0-9A-Fa-f]{1,15}")


class HttpError(Exception):
    """A request that cannot be parsed; answered with ``status`` and then closed."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class Request:
    """One parsed request. Header names are lowercase, repeats joined by ", ".

    ``usage`` is set by a handler whose reply reports usage: its total tokens,
    for the rate limiter's correction. It is left unset otherwise (so that the
    hot path pays nothing for it): only the rate limiter reads it, after
    setting it to None before the handler runs.
    """

    __slots__ = ("body", "headers", "http10", "keep_alive", "method", "path", "query", "usage")

    usage: int | None

    def __init__(
        self,
        method: str,
        path: str,
        query: str,
        headers: dict[str, str],
        keep_alive: bool,
        http10: bool,
    ) -> None:
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.keep_alive = keep_alive
        self.http10 = http10
        self.body = b""


class RequestParser:
    """Turns a byte stream into requests; feed it whatever the socket delivers.

    After the first error it stays failed and ignores further input. After a
    request asking to upgrade to WebSocket it holds (``held``): what follows
    may be WebSocket frames, so it is kept unparsed until the connection
    either takes it (:meth:`take_rest`, the upgrade accepted) or resumes
    parsing it as HTTP (:meth:`resume`, the upgrade refused).
    """

    __slots__ = (
        "_buf",
        "_chunks",
        "_chunks_size",
        "_failed",
        "_max_body",
        "_need",
        "_pending",
        "expect_continue",
        "held",
    )

    def __init__(self, max_body_size: int) -> None:
        self._buf = bytearray()
        self._max_body = max_body_size
        self._pending: Request | None = None
        # Fixed-length body: bytes still expected. Chunked: -1 while waiting for a
        # size line, >= 0 for chunk data, -2 while skipping trailers.
        self._need = 0
        self._chunks: list[bytes] | None = None
        self._chunks_size = 0
        self._failed = False
        self.expect_continue = False
        self.held: Request | None = None

    def feed(self, data: bytes) -> list[Request | HttpError]:
        """Consume ``data``; return the requests it completed, then an error if any."""
        if self._failed:
            return []
        self._buf += data
        if self.held is not None:
            return []
        return self._parse()

    def resume(self) -> list[Request | HttpError]:
        """Parse on past the held upgrade request, as HTTP; return what that completed."""
        self.held = None
        return [] if self._failed else self._parse()

    def take_rest(self) -> bytes:
        """What arrived after the held upgrade request; the parser takes nothing more."""
        rest = bytes(self._buf)
        self._fail()
        return rest

    def _parse(self) -> list[Request | HttpError]:
        done: list[Request | HttpError] = []
        try:
            self._parse_all(done)
        except HttpError as error:
            self._fail()
            done.append(error)
        return done

    def _fail(self) -> None:
        self._failed = True
        self._pending = None
        self._chunks = None
        self._buf = bytearray()

    def _parse_all(self, done: list[Request | HttpError]) -> None:
        while True:
            request = self._pending
            if request is None:
                request = self._parse_head()
                if request is None:
                    return
            if self._chunks is None:
                complete = self._read_fixed_body(request)
            else:
                complete = self._read_chunked_body(request)
            if not complete:
                self._pending = request
                return
            self._pending = None
            done.append(request)
            upgrade = request.headers.get("upgrade")
            if upgrade is not None and upgrade.lower() == "websocket":
                self.held = request
                return

    def _parse_head(self) -> Request | None:
        buf = self._buf
        # RFC 9112 2.2: ignore empty lines before a request line (some clients
        # send a stray CRLF after a body).
        while buf.startswith(b"\r\n"):
            del buf[:2]
        end = buf.find(b"\r\n\r\n")
        if end < 0:
            if len(buf) > MAX_HEAD_SIZE:
                raise HttpError(431, "Request header fields too large.")
            return None
        if end > MAX_HEAD_SIZE:
            raise HttpError(431, "Request header fields too large.")
        head = bytes(buf[:end])
        del buf[: end + 4]
        template = _heads_seen.get(head)
        if template is None:
            lines = head.split(b"\r\n")
            template = _parse_request_line(lines[0])
            template.headers = _parse_header_lines(lines)
            _apply_connection_header(template)
            # An upgrade's head is unique (its sec-websocket-key): remembering it would only
            # push the benchmark's repeated heads out.
            if "sec-websocket-key" not in template.headers:
                if len(_heads_seen) >= _HEADS_REMEMBERED:
                    _heads_seen.clear()
                _heads_seen[head] = template
        request = Request(
            template.method,
            template.path,
            template.query,
            dict(template.headers),  # a handler may change its request's headers
            template.keep_alive,
            template.http10,
        )
        self._setup_body(request)
        return request

    def _setup_body(self, request: Request) -> None:
        headers = request.headers
        transfer_encoding = headers.get("transfer-encoding")
        if transfer_encoding is not None:
            if transfer_encoding.rsplit(",", 1)[-1].strip().lower() != "chunked":
                raise HttpError(400, "Unsupported transfer-encoding: the final coding must be chunked.")
            if "content-length" in headers:
                # Both framings at once is how request smuggling starts: honour
                # chunked (RFC 9112 6.3) but do not reuse the connection.
                request.keep_alive = False
            self._chunks = []
            self._chunks_size = 0
            self._need = -1
        else:
            self._need = _content_length(headers.get("content-length"))
            if self._need > self._max_body:
                raise HttpError(413, f"Request body too large: the limit is {self._max_body} bytes.")
        expect = headers.get("expect")
        if expect is not None and expect.lower() == "100-continue":
            self.expect_continue = True

    def _read_fixed_body(self, request: Request) -> bool:
        need = self._need
        if need:
            buf = self._buf
            if len(buf) < need:
                return False
            request.body = bytes(buf[:need])
            del buf[:need]
        self.expect_continue = False
        return True

    def _read_chunked_body(self, request: Request) -> bool:
        while True:
            if self._need == -1:
                progressed = self._read_chunk_size()
            elif self._need >= 0:
                progressed = self._read_chunk_data()
            else:
                ended = self._skip_trailer_line()
                if ended is None:
                    return False
                if not ended:
                    continue
                assert self._chunks is not None
                request.body = b"".join(self._chunks)
                self._chunks = None
                self.expect_continue = False
                return True
            if not progressed:
                return False

    def _read_chunk_size(self) -> bool:
        buf = self._buf
        end = buf.find(b"\r\n")
        if end < 0:
            if len(buf) > _MAX_CHUNK_LINE:
                raise HttpError(400, "Invalid chunk size line.")
            return False
        size_text = bytes(buf[:end]).split(b";", 1)[0].strip(b" \t")
        if _CHUNK_SIZE.fullmatch(size_text) is None:
            raise HttpError(400, "Invalid chunk size line.")
        del buf[: end + 2]
        size = int(size_text, 16)
        if self._chunks_size + size > self._max_body:
            raise HttpError(413, f"Request body too large: the limit is {self._max_body} bytes.")
        self._need = size if size else -2
        return True

    def _read_chunk_data(self) -> bool:
        buf = self._buf
        need = self._need
        if len(buf) < need + 2:
            return False
        if buf[need : need + 2] != b"\r\n":
            raise HttpError(400, "Chunk data is not followed by CRLF.")
        assert self._chunks is not None
        self._chunks.append(bytes(buf[:need]))
        self._chunks_size += need
        del buf[: need + 2]
        self._need = -1
        return True

    def _skip_trailer_line(self) -> bool | None:
        """Drop one trailer line: True if it was the empty line ending the body,
        False if it was a trailer field (ignored), None if the line is incomplete."""
        buf = self._buf
        end = buf.find(b"\r\n")
        if end < 0:
            if len(buf) > MAX_HEAD_SIZE:
                raise HttpError(431, "Request trailer fields too large.")
            return None
        del buf[: end + 2]
        return end == 0


def _parse_request_line(line: bytes) -> Request:
    match = _REQUEST_LINE.fullmatch(line)
    if match is None:
        raise HttpError(400, "Malformed request line.")
    method, target, major, minor = match.groups()
    if major != b"1":
        raise HttpError(505, "Only HTTP/1.x is supported.")
    path, _, query = _origin_form(target.decode("latin-1")).partition("?")
    return Request(method.decode("ascii"), path, query, {}, True, minor == b"0")


def _origin_form(target: str) -> str:
    if target.startswith("/"):
        return target
    # Absolute form (what a client talking to a proxy sends): keep only the path.
    scheme, sep, rest = target.partition("://")
    if sep and scheme.lower() in ("http", "https"):
        slash = rest.find("/")
        return rest[slash:] if slash >= 0 else "/"
    raise HttpError(400, "Malformed request target.")


def _parse_header_lines(lines: list[bytes]) -> dict[str, str]:
    headers: dict[str, str] = {}
    match_line = _HEADER_LINE.fullmatch
    for index in range(1, len(lines)):
        match = match_line(lines[index])
        if match is None:
            raise HttpError(400, "Malformed header line.")
        raw_name, raw_value = match.groups()
        name = raw_name.decode("ascii").lower()
        value = raw_value.decode("latin-1")
        previous = headers.get(name)
        headers[name] = value if previous is None else f"{previous}, {value}"
    return headers


def _apply_connection_header(request: Request) -> None:
    connection = request.headers.get("connection")
    if connection is None:
        request.keep_alive = not request.http10
        return
    options = {option.strip() for option in connection.lower().split(",")}
    if request.http10:
        request.keep_alive = "keep-alive" in options
    else:
        request.keep_alive = "close" not in options


def _content_length(value: str | None) -> int:
    if value is None:
        return 0
    # A repeated header arrives joined as "5, 5"; identical repeats are legal.
    values = {part.strip() for part in value.split(",")}
    if len(values) != 1:
        raise HttpError(400, "Conflicting content-length headers.")
    text = values.pop()
    if not (text.isascii() and text.isdigit()) or len(text) > 18:
        raise HttpError(400, "Invalid content-length header.")
    return int(text)


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


_STATUS_LINES: Final = {status.value: f"HTTP/1.1 {status.value} {status.phrase}\r\n" for status in HTTPStatus}
_OK_HEAD: Final = (
    b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: %d\r\nx-request-id: req_%d\r\n\r\n"
)
CONTINUE: Final = b"HTTP/1.1 100 Continue\r\n\r\n"


def render_response(
    status: int,
    body: bytes,
    request_id: int,
    *,
    connection: str | None = None,
    extra_headers: Mapping[str, str] | None = None,
    declared_length: int | None = None,
) -> bytes:
    """Return the complete response (head and ``body``) as one bytes object.

    ``declared_length`` overrides the content-length, which lets a fault
    promise more body than it sends.
    """
    if status == 200 and connection is None and extra_headers is None and declared_length is None:
        return _OK_HEAD % (len(body), request_id) + body
    headers = {
        "content-type": "application/json",
        "content-length": str(len(body) if declared_length is None else declared_length),
        "x-request-id": f"req_{request_id}",
    }
    return _render_head(status, headers, connection, extra_headers) + body


def render_stream_head(
    status: int,
    request_id: int,
    *,
    chunked: bool,
    connection: str | None = None,
    extra_headers: Mapping[str, str] | None = None,
) -> bytes:
    """The head of a Server-Sent Events response, whose body follows in pieces.

    ``chunked`` frames the body in HTTP/1.1 chunks; without it (for HTTP/1.0
    clients) the body is delimited by closing the connection.
    """
    headers = {
        "content-type": "text/event-stream; charset=utf-8",
        "cache-control": "no-cache",
        "x-request-id": f"req_{request_id}",
    }
    if chunked:
        headers["transfer-encoding"] = "chunked"
    return _render_head(status, headers, connection, extra_headers)


def _render_head(
    status: int,
    headers: dict[str, str],
    connection: str | None,
    extra_headers: Mapping[str, str] | None,
) -> bytes:
    """Status line and ``headers``, then ``connection`` and ``extra_headers`` (which win), as bytes."""
    if connection is not None:
        headers["connection"] = connection
    if extra_headers:
        for name, value in extra_headers.items():
            headers[name.lower()] = value
    status_line = _STATUS_LINES.get(status) or f"HTTP/1.1 {status} {_reason(status)}\r\n"
    head = status_line + "".join(f"{name}: {value}\r\n" for name, value in headers.items()) + "\r\n"
    return head.encode("latin-1")
