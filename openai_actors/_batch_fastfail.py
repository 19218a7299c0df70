"""When a batch run should give up early, sans-IO: outcomes in, a verdict out.

A run whose first answers all fail for the same cause that no retry will
cure (nothing listens on the port, the host name does not resolve, the
server's certificate is refused, the key is refused, the model or route does
not exist) would otherwise send every line of INPUT and write as many error
lines, which then need `--retry-failed`. Stopping after a few such outcomes
leaves the rest unsent, so the same command resumes once the cause is fixed.
Transient causes (5xx, 429, timeouts, a connection reset mid-answer) never
count: they say nothing about the next request.
"""

from __future__ import annotations

import errno
import socket
import ssl
from typing import Final

from ._exceptions import SharedLimitsError

__all__ = ["FATAL_STATUS", "FastFail", "fatal_cause"]

# Outcomes that must all fail for the same fatal cause before a run stops.
# Small, so a dead endpoint costs seconds; more than one, so a single odd
# request (a 404 for one bad model name among many good ones) does not stop it.
DEFAULT_THRESHOLD: Final = 10

FATAL_STATUS: Final = {
    401: "the API key was refused (HTTP 401)",
    403: "access was refused (HTTP 403)",
    404: "the model or route does not exist (HTTP 404)",
}


def _chain(error: BaseException) -> list[BaseException]:
    """The error, its causes and contexts, and the members of any exception group among them."""
    seen: list[BaseException] = []
    todo = [error]
    while todo:
        current = todo.pop()
        if any(current is known for known in seen):
            continue
        seen.append(current)
        if isinstance(current, BaseExceptionGroup):
            todo.extend(current.exceptions)
        for linked in (current.__cause__, current.__context__):
            if linked is not None:
                todo.append(linked)
    return seen


def _connection_cause(error: BaseException) -> str | None:
    for exc in _chain(error):
        if isinstance(exc, SharedLimitsError):  # the Redis of --shared-limits refused the credentials
            return str(exc)
        if isinstance(exc, ssl.SSLCertVerificationError):
            return f"TLS verification failed ({exc.verify_message or exc.reason})"
        if isinstance(exc, socket.gaierror):
            return "the host name does not resolve"
        if isinstance(exc, ConnectionRefusedError) or (
            isinstance(exc, OSError) and exc.errno == errno.ECONNREFUSED
        ):
            return "the connection was refused (nothing listens there)"
    return None


def fatal_cause(status_code: int | None, error: BaseException | None) -> str | None:
    """Why this outcome would fail again however often it is retried; None if it might not.

    `status_code` is the final HTTP status (None when there was no answer);
    `error` the exception the request ended with (None on success).
    """
    if error is None:
        return None
    if status_code is not None:
        return FATAL_STATUS.get(status_code)
    return _connection_cause(error)


class FastFail:
    """Watches a run's first outcomes: stop when the first `threshold` all share one fatal cause.

    `observe` takes each outcome's fatal cause (None for a success or a
    transient failure) and answers True while the outcome is still undecided
    (to be held back, not yet written), then, once, the verdict: `stop` holds
    the cause when the run must stop, and `decided` is set either way. After
    the verdict, `observe` returns False and changes nothing.
    """

    __slots__ = ("_first", "_seen", "decided", "stop", "threshold")

    def __init__(self, threshold: int = DEFAULT_THRESHOLD) -> None:
        if threshold < 1:
            raise ValueError(f"threshold must be at least 1, not {threshold}")
        self.threshold = threshold
        self._seen = 0
        self._first: str | None = None
        self.decided = False
        self.stop: str | None = None

    def observe(self, cause: str | None) -> bool:
        if self.decided:
            return False
        if cause is None or (self._first is not None and cause != self._first):
            self.decided = True
            return False
        self._first = cause
        self._seen += 1
        if self._seen >= self.threshold:
            self.decided = True
            self.stop = cause
        return not self.decided
