"""URLs made fit for a request line: pure functions, httpx's rules, clear errors.

Whatever names a place to send a request (base_url, a path or absolute URL
given to the generic verbs, a server's Location header) goes through here
before it reaches the wire, so that nothing in it can do more than name a
resource:

* An ASCII control character (CR, LF, TAB, NUL, DEL, ...) is refused with a
  ValueError, as httpx refuses it. Silently dropping it (as `urlsplit` drops
  CR, LF and TAB) or sending it (CR LF ends the request line, and the rest
  is read as a second request) are both worse.
* Everything else outside RFC 3986's sets is percent-encoded: spaces,
  non-ASCII text (as UTF-8), a `%` not followed by two hex digits. A valid
  `%XX` is kept as it is, so an already encoded URL is not encoded twice.
* "." and ".." path segments are resolved here (httpx's `normalize_path`),
  so no proxy or server on the way can resolve them to somewhere else.
* A host is lower-cased and, if not ASCII, IDNA-encoded (as httpx does).
* A fragment is never sent.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Final
from urllib.parse import quote, urlsplit

from ._transport import Origin

__all__ = [
    "DEFAULT_PORTS",
    "PLAIN_PATH",
    "check_printable",
    "encode_host",
    "quote_path",
    "quote_query",
    "remove_dot_segments",
    "split_reference",
    "split_url",
]

# RFC 3986 pchar (plus "/" in a path, "/" and "?" in a query); "%" is kept here
# and a lone one fixed afterwards (`_quote`).
_PATH_SAFE: Final = "/:@!$&'()*+,;=-._~%"
_QUERY_SAFE: Final = "/?:@!$&'()*+,;=-._~%"
# Characters a path can hold and be sent as it is: no "%", "?" or "#", nothing to encode.
PLAIN_PATH: Final = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/:@!$&'()*+,;=-._~"
_PLAIN_QUERY: Final = PLAIN_PATH + "?"
_LONE_PERCENT: Final = re.compile("%(?![0-9A-Fa-f]{2})")
# A registered name (RFC 3986 reg-name), lower-cased; anything else in a host is refused.
_HOST: Final = re.compile(r"[a-z0-9\-._~!$&'()*+,;=%]+")
DEFAULT_PORTS: Final = {"http": 80, "https": 443}


def check_printable(text: str, what: str) -> None:
    """Refuse `text` if it holds an ASCII control character; `what` names it in the error.

    The message gives the character and its position, never the text: a URL
    can carry a secret in its query.
    """
    if text.isprintable():  # the usual case, checked in C
        return
    for position, char in enumerate(text):
        if char.isascii() and not char.isprintable():
            raise ValueError(
                f"{what} contains the control character {char!r} at position {position}; "
                "percent-encode it (urllib.parse.quote) if it is meant to be sent"
            )


def _quote(text: str, safe: str, plain: str, what: str) -> str:
    if not text.rstrip(plain):  # nothing to encode (stdlib's quote checks the same, more slowly)
        return text
    try:
        quoted = quote(text, safe=safe)
    except UnicodeEncodeError:  # a lone surrogate
        raise ValueError(f"{what} is not valid Unicode text") from None
    if "%" in text:
        quoted = _LONE_PERCENT.sub("%25", quoted)
    return quoted


def quote_path(path: str, what: str = "the URL path") -> str:
    """`path` percent-encoded for a request line; valid `%XX` escapes are kept."""
    return _quote(path, _PATH_SAFE, PLAIN_PATH, what)


def quote_query(query: str, what: str = "the URL query") -> str:
    """`query` (without its "?") percent-encoded for a request line; valid `%XX` escapes are kept."""
    return _quote(query, _QUERY_SAFE, _PLAIN_QUERY, what)


def remove_dot_segments(path: str) -> str:
    """An absolute path with its "." and ".." segments resolved, as httpx resolves them.

    ("/v1/files/.." is "/v1"; ".." never climbs above "/".)
    """
    if "/." not in path:
        return path
    segments = path.split("/")
    if "." not in segments and ".." not in segments:
        return path
    kept: list[str] = []
    for segment in segments:
        if segment == "..":
            if kept and kept != [""]:
                kept.pop()
        elif segment != ".":
            kept.append(segment)
    return "/".join(kept) or "/"


def encode_host(host: str, what: str = "the URL") -> str:
    """A host as it goes on the wire: lower-case ASCII, IDNA-encoded if need be; ValueError if invalid."""
    host = host.lower()
    if ":" in host:
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            raise ValueError(f"{what} has an invalid IPv6 host {host!r}") from None
        return host
    if not host.isascii():
        import idna  # httpx's own dependency, and its way of encoding hosts

        try:
            host = idna.encode(host).decode("ascii")
        except idna.IDNAError as exc:
            raise ValueError(f"{what} has a host that is not a valid IDNA name: {exc}") from None
    if not _HOST.fullmatch(host):
        raise ValueError(f"{what} has an invalid host {host!r}")
    return host


def split_reference(reference: str, what: str = "the path") -> tuple[str, str]:
    """A relative reference ("files/x?limit=3#top") as (encoded path, encoded query); the fragment is dropped."""
    check_printable(reference, what)
    if "#" in reference:
        reference = reference.partition("#")[0]
    path, _, query = reference.partition("?")
    return quote_path(path, what), quote_query(query, f"{what}'s query") if query else ""


def split_url(url: str, what: str = "the URL") -> tuple[Origin, str, str, str]:
    """An absolute http(s) URL as (origin, encoded path, encoded query, fragment); ValueError if it is not one.

    The path has its dot segments resolved; the query comes without its "?",
    empty if there is none.
    """
    check_printable(url, what)
    try:
        parts = urlsplit(url)
    except ValueError as exc:  # e.g. a bracketed host that is not an IPv6 address
        raise ValueError(f"{what} is not a valid URL: {exc}") from None
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
        raise ValueError(f"{what} must be an http:// or https:// URL with a host")
    try:
        port = parts.port or DEFAULT_PORTS[parts.scheme]
    except ValueError:
        raise ValueError(f"{what} has an invalid port") from None
    origin = Origin(parts.scheme, encode_host(parts.hostname, what), port)
    path = remove_dot_segments(quote_path(parts.path or "/", f"{what}'s path"))
    return origin, path, quote_query(parts.query, f"{what}'s query"), parts.fragment
