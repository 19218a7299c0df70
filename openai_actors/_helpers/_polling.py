"""What the polling helpers share: the headers they send, how long they wait between polls, the loop.

The waits are real (`time.sleep` in the caller's thread for the sync client,
`anyio.sleep` for the async one): a poll is the caller waiting on the server,
not work for the dispatcher.
"""

from __future__ import annotations

import math
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

import anyio

from .._types import Headers, NotGiven, Omit

if TYPE_CHECKING:
    from .._raw import LegacyAPIResponse

__all__ = [
    "DEFAULT_POLL_INTERVAL_MS",
    "apoll",
    "clock",
    "given",
    "is_given",
    "pause",
    "poll",
    "poll_headers",
    "wait_seconds",
]

T = TypeVar("T")

# Between two polls when neither the caller nor the server says otherwise, as the official SDK.
DEFAULT_POLL_INTERVAL_MS = 1000
POLL_AFTER_HEADER = "openai-poll-after-ms"


def is_given(value: object) -> bool:
    """False for `omit` and `NOT_GIVEN`: the caller left the argument out."""
    return not isinstance(value, Omit | NotGiven)


def given(**params: Any) -> dict[str, Any]:
    """The keyword arguments the caller really gave, to pass on (the generated methods' TypedDicts
    do not admit `omit`, though the methods accept it)."""
    return {name: value for name, value in params.items() if is_given(value)}


def poll_headers(poll_interval_ms: int | Omit, extra_headers: Headers | None = None) -> dict[str, str | Omit]:
    """The headers each poll sends, as the official SDK's helpers send them (the server may read them)."""
    headers: dict[str, str | Omit] = {"X-Stainless-Poll-Helper": "true", **(extra_headers or {})}
    if is_given(poll_interval_ms):
        headers["X-Stainless-Custom-Poll-Interval"] = str(poll_interval_ms)
    return headers


def wait_seconds(poll_interval_ms: int | Omit, response_headers: Mapping[str, str]) -> float:
    """How long to wait before the next poll: the caller's interval, else what this response
    advises (`openai-poll-after-ms`), else one second."""
    if not isinstance(poll_interval_ms, Omit | NotGiven):
        return poll_interval_ms / 1000
    advised = response_headers.get(POLL_AFTER_HEADER)
    if advised is not None:
        try:
            milliseconds = float(advised)
        except ValueError:
            milliseconds = math.nan
        # A malformed header ("soon", "inf") is no reason to fail a poll, or to wait for ever.
        if math.isfinite(milliseconds):
            return max(milliseconds, 0.0) / 1000
    return DEFAULT_POLL_INTERVAL_MS / 1000


def pause(seconds: float) -> None:
    """The wait between two polls of the sync client (it blocks only the calling thread)."""
    time.sleep(seconds)


def clock() -> float:
    """Seconds on a monotonic clock, for the sync helpers' deadlines."""
    return time.monotonic()


def poll(
    fetch: Callable[[], LegacyAPIResponse[T]],
    finished: Callable[[T], bool],
    poll_interval_ms: int | Omit,
) -> T:
    """Fetch until `finished` says so; between fetches, the wait `wait_seconds` gives.

    Each response's own header is read (the official SDK keeps the first one it
    sees): the server's latest advice is the one to follow.
    """
    while True:
        response = fetch()
        item = response.parse()
        if finished(item):
            return item
        pause(wait_seconds(poll_interval_ms, response.headers))


async def apoll(
    fetch: Callable[[], Awaitable[LegacyAPIResponse[T]]],
    finished: Callable[[T], bool],
    poll_interval_ms: int | Omit,
) -> T:
    """`poll` for the async client, on any anyio backend."""
    while True:
        response = await fetch()
        item = response.parse()
        if finished(item):
            return item
        await anyio.sleep(wait_seconds(poll_interval_ms, response.headers))
