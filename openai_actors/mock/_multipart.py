"""A strict ``multipart/form-data`` parser (RFC 7578), for file uploads.

The whole body is in memory already (the HTTP layer bounds its size), so this
is a plain function over bytes. Whatever is malformed raises
:class:`MultipartError` saying what is wrong, for a 400.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final
from urllib.parse import unquote

__all__ = ["MultipartError", "Part", "boundary_of", "parse"]

_TOKEN: Final = r"[!#$%&'*+.^_`|~0-9A-Za-z-]+"
_PARAM: Final = re.compile(r";\s*(" + _TOKEN + r')\s*=\s*("(?:[^"\\]|\\.)*"|[^;\s]*)\s*')
# RFC 2046: 1 to 70 characters, not ending in a space.
_BOUNDARY: Final = re.compile(r"[0-9A-Za-z'()+_,\-./:=? ]{0,69}[0-9A-Za-z'()+_,\-./:=?]")
_MAX_PARTS: Final = 1000


class MultipartError(ValueError):
    """A malformed multipart body or content-type; the message says what is wrong."""


@dataclass(frozen=True, slots=True)
class Part:
    """One form field: ``filename`` is None for a plain (non-file) field."""

    name: str
    filename: str | None
    content_type: str | None
    data: bytes


def boundary_of(content_type: str | None) -> bytes:
    """The boundary of a ``multipart/form-data`` content-type header."""
    if content_type is None:
        raise MultipartError("Expected a multipart/form-data body, but the request has no content-type.")
    kind, params = _split_header(content_type)
    if kind != "multipart/form-data":
        raise MultipartError(f"Expected a multipart/form-data body, but the content-type is {kind!r}.")
    boundary = params.get("boundary")
    if boundary is None:
        raise MultipartError("The multipart/form-data content-type has no boundary parameter.")
    if _BOUNDARY.fullmatch(boundary) is None:
        raise MultipartError(f"Invalid multipart boundary {boundary!r}.")
    return boundary.encode("ascii")


def parse(body: bytes, boundary: bytes) -> list[Part]:
    """Split ``body`` into its parts, in order."""
    delimiter = b"--" + boundary
    # The first delimiter may follow a preamble (which is ignored), but then
    # only after a CRLF, like every later one.
    if body.startswith(delimiter):
        position = len(delimiter)
    else:
        found = body.find(b"\r\n" + delimiter)
        if found < 0:
            raise MultipartError("The multipart body does not contain its boundary.")
        position = found + 2 + len(delimiter)
    parts: list[Part] = []
    separator = b"\r\n" + delimiter
    while True:
        if body.startswith(b"--", position):
            return parts  # the close delimiter; anything after it is an epilogue
        position = _skip_line_end(body, position, len(parts))
        end = body.find(separator, position)
        if end < 0:
            raise MultipartError("The multipart body ends without its closing boundary.")
        if len(parts) == _MAX_PARTS:
            raise MultipartError(f"The multipart body has more than {_MAX_PARTS} parts.")
        parts.append(_parse_part(body[position:end], len(parts)))
        position = end + len(separator)


def _skip_line_end(body: bytes, position: int, index: int) -> int:
    # RFC 2046 allows linear whitespace between a delimiter and its CRLF.
    while body[position : position + 1] in (b" ", b"\t"):
        position += 1
    if body[position : position + 2] != b"\r\n":
        raise MultipartError(f"The boundary before part {index} is not followed by CRLF.")
    return position + 2


def _parse_part(raw: bytes, index: int) -> Part:
    if raw.startswith(b"\r\n"):
        head, data = b"", raw[2:]
    else:
        split = raw.find(b"\r\n\r\n")
        if split < 0:
            raise MultipartError(f"Part {index} has no blank line after its headers.")
        head, data = raw[:split], raw[split + 4 :]
    headers: dict[str, str] = {}
    for line in head.split(b"\r\n") if head else ():
        name, colon, value = line.decode("utf-8", "replace").partition(":")
        if not colon or not name or name != name.strip():
            raise MultipartError(f"Part {index} has a malformed header line.")
        headers[name.lower()] = value.strip()
    disposition = headers.get("content-disposition")
    if disposition is None:
        raise MultipartError(f"Part {index} has no Content-Disposition header.")
    kind, params = _split_header(disposition)
    if kind != "form-data":
        raise MultipartError(f"Part {index} has Content-Disposition {kind!r}; expected 'form-data'.")
    field = params.get("name")
    if not field:
        raise MultipartError(f"Part {index} has no name in its Content-Disposition.")
    filename = params.get("filename")
    extended = params.get("filename*")
    if extended is not None:
        # RFC 5987: charset'language'percent-encoded, and it wins over filename.
        charset, _, encoded = extended.partition("'")
        try:
            filename = unquote(encoded.partition("'")[2], encoding=charset or "utf-8", errors="strict")
        except (LookupError, UnicodeDecodeError):
            raise MultipartError(f"Part {index} has an undecodable filename*.") from None
    return Part(field, filename, headers.get("content-type"), data)


def _split_header(value: str) -> tuple[str, dict[str, str]]:
    """Split ``type; a=1; b="x"`` into the lowercased type and its parameters.

    Quoted values are unescaped the way browsers and httpx escape filenames
    (HTML5 form encoding: ``%22`` for a quote, ``%0D``/``%0A`` for CR/LF) and
    the RFC 2616 way (backslash escapes).
    """
    kind, _, rest = value.partition(";")
    params: dict[str, str] = {}
    # A trailing ";" is common enough (and harmless) to accept.
    rest = rest.rstrip("; \t")
    rest = ";" + rest if rest else ""
    position = 0
    while position < len(rest):
        match = _PARAM.match(rest, position)
        if match is None:
            raise MultipartError(f"Malformed header parameters in {value!r}.")
        name, raw = match.groups()
        if raw.startswith('"'):
            raw = re.sub(r"\\(.)", r"\1", raw[1:-1])
            raw = raw.replace("%22", '"').replace("%0D", "\r").replace("%0A", "\n")
        params[name.lower()] = raw
        position = match.end()
    return kind.strip().lower(), params
