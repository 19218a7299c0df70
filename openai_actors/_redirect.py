"""Following redirects, sans-IO: the rules httpx applies when `follow_redirects=True`.

The official SDK's default httpx client follows redirects, so this client does
too when it owns the connections. The method (httpx's `_redirect_method`): 303
and 302 turn any request but HEAD into a GET, 301 turns a POST into a GET;
307 and 308 keep it. A request turned into a GET loses its body. The headers
(httpx's `_redirect_headers`): to another origin the caller's Host header is
dropped (the new origin's is sent instead) and, unless the move is only from
http to https on the same host, so are the credentials; a Cookie header never
follows (httpx leaves cookies to its cookie jar, and there is none here).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final
from urllib.parse import urljoin, urlsplit

from ._transport import Origin
from ._urls import check_printable, split_url

__all__ = ["MAX_REDIRECTS", "Redirect", "follow"]

MAX_REDIRECTS: Final = 20
REDIRECT_STATUSES: Final = frozenset({301, 302, 303, 307, 308})
# Lower-case header names. The dispatcher removes `drop_headers` from the
# caller's headers, and sends its own Authorization only if `keep_credentials`.
_CREDENTIALS: Final = frozenset({"authorization", "proxy-authorization"})
_ALWAYS_DROPPED: Final = frozenset({"cookie"})
_TO_ANOTHER_ORIGIN: Final = _ALWAYS_DROPPED | {"host"}
_TO_ANOTHER_HOST: Final = _TO_ANOTHER_ORIGIN | _CREDENTIALS


@dataclass(frozen=True, slots=True)
class Redirect:
    method: str
    origin: Origin
    target: str
    keep_body: bool
    keep_credentials: bool
    drop_headers: frozenset[str]
    """The caller's headers (lower-case names) that must not be sent to the new location."""


class RedirectError(Exception):
    """A redirect that cannot be followed; the message says why."""


def redirect_method(method: str, status: int) -> str:
    """The method a redirect with `status` asks for, as httpx (and browsers) decide it."""
    if (status in (302, 303) and method != "HEAD") or (status == 301 and method == "POST"):
        return "GET"
    return method


def follow(method: str, origin: Origin, target: str, status: int, location: str | None) -> Redirect | None:
    """Where a response sends the request next, or None if it is not a redirect."""
    if status not in REDIRECT_STATUSES or location is None:
        return None
    location = location.strip()
    try:
        check_printable(location, "the Location")
        url = urljoin(f"{origin}{target}", location)
        if urlsplit(url).scheme not in ("http", "https"):
            raise RedirectError(f"the server redirected to {location!r}, which is not an http(s) URL")
        new_origin, path, query, _ = split_url(url, "the Location")
    except ValueError as exc:
        raise RedirectError(
            f"the server redirected to {location!r}, which is not a valid URL to follow: {exc}"
        ) from None
    new_method = redirect_method(method, status)
    # Same origin, or the same host upgraded from http:80 to https:443, as httpx allows.
    upgraded = new_origin.host == origin.host and (
        origin.scheme,
        origin.port,
        new_origin.scheme,
        new_origin.port,
    ) == ("http", 80, "https", 443)
    same_origin = new_origin == origin
    keep_credentials = same_origin or upgraded
    return Redirect(
        new_method,
        new_origin,
        f"{path}?{query}" if query else path,
        keep_body=new_method == method,
        keep_credentials=keep_credentials,
        drop_headers=_ALWAYS_DROPPED
        if same_origin
        else _TO_ANOTHER_ORIGIN
        if keep_credentials
        else _TO_ANOTHER_HOST,
    )
