"""`SharedLimits`: where the limits shared by many processes live (a Redis server), checked at construction.

Only the setting is here, and it imports nothing heavy: redis-py is looked
for at construction (so a missing extra is one clear error there) and
imported by the I/O shell (`_shared_redis.py`) only when a dispatcher runs.
The policy is `_shared_leases.py`.
"""

from __future__ import annotations

import importlib.util
import re
from typing import Final, Literal
from urllib.parse import parse_qs, unquote, urlsplit

__all__ = ["SharedLimits", "redact_url"]

OnUnreachable = Literal["wait", "local"]
_SCHEMES: Final = ("redis", "rediss", "unix")
# redis-py's URL query parameters that are never secrets; any other one's value is redacted.
_PUBLIC_PARAMETERS: Final = frozenset(
    {
        "db",
        "protocol",
        "socket_timeout",
        "socket_connect_timeout",
        "socket_keepalive",
        "health_check_interval",
        "max_connections",
        "retry_on_timeout",
        "decode_responses",
        "ssl_cert_reqs",
        "ssl_check_hostname",
    }
)
# What a key may be: it names Redis keys (inside a hash tag, so no braces) and shows in logs.
_KEY: Final = re.compile(r"[A-Za-z0-9._:@/+=-]{1,128}")


def redact_url(url: str) -> str:
    """`url` with its user info, and the value of any query parameter but a few, replaced by `***`.

    redis-py also reads `?password=` (and `?username=`) from the query, the only
    way to give a unix:// socket a password. The host is kept as written (an
    IPv6 address in its brackets, a port that is not a number), so that an
    error can show what was wrong.
    """
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unreadable URL>"
    # urllib splits the user info off at the last "@" too: a password may hold one.
    _, at, host = parts.netloc.rpartition("@")
    netloc = f"***@{host}" if at else host
    # Put back together by hand: urllib's geturl() drops the "//" of a unix:/// URL.
    shown = url[: len(parts.scheme)] + ("://" if url[len(parts.scheme) :].startswith("://") else ":")
    shown = (shown if parts.scheme else "//" if parts.netloc else "") + netloc + parts.path
    if parts.query:
        shown += "?" + "&".join(_redact_parameter(pair) for pair in parts.query.split("&"))
    return shown + (f"#{parts.fragment}" if parts.fragment else "")


def _redact_parameter(pair: str) -> str:
    name, equals, _ = pair.partition("=")
    if unquote(name) in _PUBLIC_PARAMETERS:
        return pair
    return f"{name}=***" if equals else "***"


def _check_url(url: str) -> None:
    """A ValueError naming what is wrong with a Redis URL (the URL shown without its password)."""
    shown = redact_url(url)
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        # The message of urllib's error may quote the port text: say it in our own words.
        raise ValueError(f"SharedLimits: {shown!r} is not a valid Redis URL ({_reason(exc)})") from None
    if parts.scheme not in _SCHEMES:
        raise ValueError(
            f"SharedLimits: {shown!r} is not a Redis URL: it must start with redis://, rediss:// or unix://"
        )
    # redis-py reads the query only when the dispatcher starts, where a bad value would fail it.
    for db in parse_qs(parts.query).get("db", []):
        if not db.isdigit():
            raise ValueError(f"SharedLimits: {shown!r}: the database (?db=) must be a number, not {db!r}")
    if parts.scheme == "unix":
        if not parts.path:
            raise ValueError(f"SharedLimits: {shown!r} names no socket path")
        return
    if not parts.hostname:
        raise ValueError(f"SharedLimits: {shown!r} names no host")
    if port == 0:
        raise ValueError(f"SharedLimits: {shown!r}: port 0 is not a port")
    db = unquote(parts.path.lstrip("/"))
    if db and not db.isdigit():
        raise ValueError(f"SharedLimits: {shown!r}: the database after the host must be a number, not {db!r}")


def _reason(exc: ValueError) -> str:
    text = str(exc)
    return "its port is not a number from 0 to 65535" if "port" in text.lower() else "it cannot be parsed"


class SharedLimits:
    """Rate limits shared by every process that names the same Redis server and `key`.

        RateLimit(requests_per_minute=600, shared=SharedLimits("redis://host:6379/0", key="org-acme"))

    Each process leases small slices of the limits from Redis (one round trip
    per slice, not per request) and spends them with its own pacer; limits
    learned from the server's headers, and a 429's pause, are shared too.

    `on_unreachable`: while Redis cannot be reached, `"wait"` (the default)
    holds admissions until it can, warning once; `"local"` sends at this
    process's share of the limits instead (the limit divided by the number of
    processes last seen sharing it).

    `timeout`: seconds a connection to Redis, or an answer, may take before
    Redis counts as unreachable.
    """

    __slots__ = ("key", "on_unreachable", "timeout", "url")

    def __init__(
        self,
        url: str,
        *,
        key: str,
        on_unreachable: OnUnreachable = "wait",
        timeout: float = 2.0,
    ) -> None:
        if not isinstance(url, str):
            raise TypeError(f"SharedLimits: the Redis URL must be a str, not {type(url).__name__}")
        _check_url(url)
        if not isinstance(key, str) or not _KEY.fullmatch(key):
            raise ValueError(
                f"SharedLimits: key must be 1 to 128 characters of letters, digits and ._:@/+=-, not {key!r}"
            )
        if on_unreachable not in ("wait", "local"):
            raise ValueError(
                f"SharedLimits: on_unreachable must be 'wait' or 'local', not {on_unreachable!r}"
            )
        if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not 0 < timeout < 3600:
            raise ValueError(f"SharedLimits: timeout must be a number of seconds above 0, not {timeout!r}")
        if importlib.util.find_spec("redis") is None:
            raise ImportError(
                'SharedLimits needs redis-py: pip install "openai-actors[redis]" (or pip install redis)'
            )
        self.url = url
        self.key = key
        self.on_unreachable: OnUnreachable = on_unreachable
        self.timeout = float(timeout)

    def __repr__(self) -> str:
        return f"SharedLimits({redact_url(self.url)!r}, key={self.key!r}, on_unreachable={self.on_unreachable!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SharedLimits):
            return NotImplemented
        return (self.url, self.key, self.on_unreachable, self.timeout) == (
            other.url,
            other.key,
            other.on_unreachable,
            other.timeout,
        )

    def __hash__(self) -> int:
        return hash((self.url, self.key, self.on_unreachable, self.timeout))

    @property
    def shown_url(self) -> str:
        """The URL as it may be shown: without its password."""
        return redact_url(self.url)
