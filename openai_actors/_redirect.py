"""Following redirects, sans-IO: the rules httpx applies when `follow_redirects=True`.

The official SDK's default httpx client follows redirects, so this client does
too when it owns the connections. 303 (and 301/302 after a POST) turn the
request into a body-less GET, as browsers and httpx do; 307/308 resend it as
is. Credentials are not carried to another host.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final
from urllib.parse import quote, urljoin, urlsplit

from ._transport import Origin

__all__ = ["MAX_REDIRECTS", "Redirect", "follow"]

MAX_REDIRECTS: Final = 20
REDIRECT_STATUSES: Final = frozenset({301, 302, 303, 307, 308})
_SAFE_PATH: Final = "/:@!$&'()*+,;=-._~%"
_SAFE_QUERY: Final = "/?:@!$&'()*+,;=-._~%"


@dataclass(frozen=True, slots=True)
class Redirect:
    method: str
    origin: Origin
    target: str
    keep_body: bool
    keep_credentials: bool


class RedirectError(Exception):
    """A redirect that cannot be followed; the message says why."""


def follow(method: str, origin: Origin, target: str, status: int, location: str | None) -> Redirect | None:
    """Where a response sends the request next, or None if it is not a redirect."""
    if status not in REDIRECT_STATUSES or location is None:
        return None
    try:
        parts = urlsplit(urljoin(f"{origin}{target}", location.strip()))
    except ValueError as exc:  # e.g. a bracketed host that is not an IPv6 address
        raise RedirectError(
            f"the server redirected to {location!r}, which is not a valid URL: {exc}"
        ) from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise RedirectError(f"the server redirected to {location!r}, which is not an http(s) URL")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise RedirectError(f"the server redirected to {location!r}, which has a bad port") from None
    new_origin = Origin(parts.scheme, parts.hostname, port)
    # Percent-encoded as a request line needs it; what is already encoded stays as it is.
    new_target = quote(parts.path or "/", safe=_SAFE_PATH) + (
        f"?{quote(parts.query, safe=_SAFE_QUERY)}" if parts.query else ""
    )
    new_method = method
    if (status == 303 and method != "HEAD") or (status in (301, 302) and method == "POST"):
        new_method = "GET"
    # Same origin, or the same host upgraded from http:80 to https:443, as httpx allows.
    upgraded = new_origin.host == origin.host and (
        origin.scheme,
        origin.port,
        new_origin.scheme,
        new_origin.port,
    ) == ("http", 80, "https", 443)
    keep_credentials = new_origin == origin or upgraded
    return Redirect(new_method, new_origin, new_target, new_method == method, keep_credentials)
