"""Logging through the standard library, as the official SDK logs; structlog builds the events.

What is logged, under the standard `logging` logger "openai_actors" (each
record on the child logger of the module that logged it, such as
"openai_actors._dispatcher", as the official SDK's come from "openai._base_client"):

    INFO     one line per request, when it ends: its method and URL, the status
             line (or why it failed, or that its caller gave up), the attempts,
             the time since it was submitted, the request id
    WARNING  each retry (which attempt failed, why, the delay), and each pause
             of every request: after a 429, or until the reset of a limit the
             server says is spent (its cause, how long)
    DEBUG    the rest: each attempt's start and end, redirects, re-authentication
    ERROR    the dispatcher itself failing (a bug)

The switches are the standard ones: the level the application sets on
"openai_actors" (children inherit it; a child set apart can only drop events,
never add them), or `OPENAI_LOG=info|debug`, read once when this module is
first imported, as the official SDK reads it: it sets that level and adds a
stderr handler in the official format. Unlike the official SDK, which calls
`logging.basicConfig` and so claims the root logger for good, that handler
prints a record only while no other handler would (on the record's logger
or above it): an application that configures logging later, even after the
first request, gets the records through its own handlers, once.

Why structlog without `structlog.configure`: the application's structlog
configuration is its own. Events are built by a private bound logger made with
`structlog.wrap_logger` and every setting given (processors, wrapper class,
context class), so nothing here reads or changes the global configuration,
and the application's processors never see, nor break, these events. The last
processor hands each event to `_Sink`, which makes the stdlib record itself:
the message rendered for people (`render`), the event's name and fields as
record attributes (`record.event`, `record.status`, ...) for structured
handlers (structlog's `ProcessorFormatter` with `ExtraAdder`, JSON formatters),
and the call site's file and line, not structlog's.

Cost when nobody listens: callers ask `info_enabled()` or `enabled()` (the
stdlib's cached level check) before building any field, and structlog is
imported only for the first event, since importing it costs about 50 ms.

Secrets: no headers, no bodies, no key. URLs go through `loggable_url` (no
user info; the values of query parameters the API does not define are
redacted, since a gateway's `?key=` or an application's `extra_query` may hold
a secret) and error messages through `scrub_text` (the same, for every URL in
them).
"""

from __future__ import annotations

import logging
import os
import re
import sys
import time
import traceback
from collections.abc import Callable, Mapping, MutableMapping
from types import FrameType
from typing import TYPE_CHECKING, Any, Final, TextIO
from urllib.parse import unquote_plus

if TYPE_CHECKING:
    from ._call import Call, Outcome

__all__ = [
    "LOGGER",
    "configure_from_environment",
    "emit",
    "enabled",
    "info",
    "info_enabled",
    "loggable_url",
    "render",
    "request_done",
    "scrub_text",
    "warn",
]

LOGGER: Final = "openai_actors"
_root = logging.getLogger(LOGGER)

# -- the level checks, all a caller pays when logging is off ----------------------


def enabled() -> bool:
    """Whether debug events are wanted: ask before building one."""
    return _root.isEnabledFor(logging.DEBUG)


def info_enabled() -> bool:
    """Whether the per-request lines are wanted: ask before building one."""
    return _root.isEnabledFor(logging.INFO)


# -- emitting -------------------------------------------------------------------

_bound: Any = None


def _logger() -> Any:
    global _bound
    if _bound is None:
        import structlog

        # Every setting given: structlog's global configuration is neither read nor changed.
        _bound = structlog.wrap_logger(
            _Sink(),
            processors=[_to_sink],
            wrapper_class=structlog.BoundLogger,
            context_class=dict,
            cache_logger_on_first_use=True,
        ).bind()
    return _bound


def emit(event: str, **fields: Any) -> None:
    """A debug event; the caller has checked `enabled()`."""
    _logger().debug(event, **fields)


def info(event: str, **fields: Any) -> None:
    """An info event; the caller has checked `info_enabled()`."""
    _logger().info(event, **fields)


def warn(event: str, **fields: Any) -> None:
    """A warning: a retry or a pause, something that delays requests without failing them.

    Rare by design (never on a request's normal path), so it needs no check
    by the caller.
    """
    if _root.isEnabledFor(logging.WARNING):
        _logger().warning(event, **fields)


def _to_sink(_logger: object, _method: str, event_dict: MutableMapping[str, Any]) -> tuple[Any, ...]:
    """The last processor: the event dict goes to the sink whole."""
    return (event_dict,), {}


# Attributes every LogRecord has, or that formatting adds: fields of these names are renamed.
_RESERVED: Final = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime"}
# Frames to look past when naming the call site (structlog's own, and this module's).
_THIS_MODULE: Final = __name__


def _call_site() -> FrameType | None:
    frame: FrameType | None = sys._getframe(1)
    while frame is not None:
        module = frame.f_globals.get("__name__", "")
        if module != _THIS_MODULE and not module.startswith("structlog"):
            return frame
        frame = frame.f_back
    return None


def _events_logger(module: str) -> logging.Logger:
    """The logger of the events made in `module`: its own child of "openai_actors".

    It gets a NullHandler, as the logging HOWTO asks of libraries: an
    application that configures no logging gets nothing of these events (not
    the stdlib's last-resort printing of warnings to stderr), as it gets
    nothing from the official SDK; a 429's pause stays visible in
    `client.stats()`. Only these loggers: "openai_actors" itself keeps the
    last resort for what else is logged under it (the dispatcher failing, the
    mock server's errors).
    """
    if not module.startswith(LOGGER + "."):
        return _root
    logger = logging.getLogger(module)
    if not any(isinstance(handler, logging.NullHandler) for handler in logger.handlers):
        logger.addHandler(logging.NullHandler())
    return logger


class _Sink:
    """What the private structlog logger writes to: a stdlib record on the call site's logger."""

    def __init__(self) -> None:
        self._loggers: dict[str, logging.Logger] = {}

    def debug(self, event_dict: dict[str, Any]) -> None:
        self._log(logging.DEBUG, event_dict)

    def info(self, event_dict: dict[str, Any]) -> None:
        self._log(logging.INFO, event_dict)

    def warning(self, event_dict: dict[str, Any]) -> None:
        self._log(logging.WARNING, event_dict)

    def error(self, event_dict: dict[str, Any]) -> None:
        self._log(logging.ERROR, event_dict)

    def _log(self, level: int, event_dict: dict[str, Any]) -> None:
        try:
            self._record(level, event_dict)
        except Exception:
            # A filter of the application's that raises (the stdlib lets that
            # through, unlike a handler's error) must not fail a request, nor
            # stop the dispatcher from inside its admission loop. Reported as
            # the stdlib reports a handler's error; no frame's locals are printed.
            if logging.raiseExceptions:
                traceback.print_exc(file=sys.stderr)

    def _record(self, level: int, event_dict: dict[str, Any]) -> None:
        frame = _call_site()
        module = "" if frame is None else str(frame.f_globals.get("__name__", ""))
        logger = self._loggers.get(module)
        if logger is None:  # getLogger takes the logging module's lock: once per module
            logger = self._loggers[module] = _events_logger(module)
        if not logger.isEnabledFor(level):
            return
        event = str(event_dict.pop("event", ""))
        message = render(event, event_dict)
        if _RESERVED.isdisjoint(event_dict):  # the usual case, checked in C
            extra = event_dict
        else:
            extra = {f"{name}_" if name in _RESERVED else name: value for name, value in event_dict.items()}
        extra["event"] = event
        if frame is None:
            where, line, function = "(unknown file)", 0, "(unknown function)"
        else:
            where, line, function = frame.f_code.co_filename, frame.f_lineno, frame.f_code.co_name
        logger.handle(logger.makeRecord(logger.name, level, where, line, message, (), None, function, extra))


# -- what people read ---------------------------------------------------------------


def render(event: str, fields: Mapping[str, Any]) -> str:
    """The message of an event: a sentence for the info and warning events, `name key=value ...` for the rest.

    Fields that are None are left out of the `key=value` form (they say nothing: no error).
    """
    sentence = _SENTENCES.get(event)
    if sentence is not None:
        return sentence(fields)
    shown = (f"{name}={_shown(value)}" for name, value in fields.items() if value is not None)
    return " ".join([event, *shown])


def _shown(value: object) -> str:
    text = str(value)
    return repr(text) if not text or any(c.isspace() for c in text) else text


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _request_done(fields: Mapping[str, Any]) -> str:
    head = f"HTTP Request: {fields['method']} {fields['url']}"
    attempts = int(fields["attempts"])
    status = fields.get("status")
    if status is not None:
        reason = f" {fields['reason']}" if fields.get("reason") else ""
        line = f'{head} "HTTP/{fields["http_version"]} {status}{reason}"'
    elif fields.get("outcome") == "cancelled":
        line = f"{head} cancelled by its caller"
    elif attempts == 0:
        line = f"{head} not sent: {fields['error']}"
    else:
        line = f"{head} failed: {fields['error']}"
    details = [_plural(attempts, "attempt"), f"{fields['elapsed']:.3f} s"]
    if fields.get("request_id"):
        details.append(f"request id {fields['request_id']}")
    return f"{line} ({', '.join(details)})"


def _request_retry(fields: Mapping[str, Any]) -> str:
    return (
        f"Retrying request to {fields['method']} {fields['url']} in {fields['delay']:.3f} seconds, "
        f"retry {fields['retry']} of {fields['max_retries']} (attempt {fields['attempt']} failed: {fields['reason']})"
    )


def _ratelimit_pause(fields: Mapping[str, Any]) -> str:
    return (
        f"Rate limited: no request of this client is sent for {fields['seconds']:.3f} seconds "
        f"({fields['cause']}, on {fields['url']})"
    )


def _ratelimit_spent(fields: Mapping[str, Any]) -> str:
    return (
        f"Rate limited: the server's {fields['limit']} budget is spent (x-ratelimit-remaining-{fields['limit']}), "
        f"no request of this client is sent for {fields['seconds']:.3f} seconds, until its reset"
    )


_SENTENCES: Final[dict[str, Callable[[Mapping[str, Any]], str]]] = {
    "request.done": _request_done,
    "request.retry": _request_retry,
    "ratelimit.pause": _ratelimit_pause,
    "ratelimit.spent": _ratelimit_spent,
}


def request_done(call: Call, outcome: Outcome | None) -> None:
    """The one info line of a request that has ended with `outcome` (None: its caller gave up).

    The caller has checked `info_enabled()`; the dispatcher calls this only for
    the outcome that was delivered, so a request has exactly one such line.
    """
    fields: dict[str, Any] = {
        "method": call.method,
        "url": loggable_url(call.url),
        "attempts": call.attempts,
        "elapsed": round(time.perf_counter() - call.submitted_at if call.submitted_at else call.elapsed, 6),
    }
    if outcome is None:
        fields["outcome"] = "cancelled"
    elif isinstance(outcome, BaseException):
        fields["outcome"] = "failed"
        fields["error"] = scrub_text(str(outcome)) or type(outcome).__name__
    else:
        fields["outcome"] = "response"
        fields["status"] = outcome.status
        fields["reason"] = outcome.reason
        fields["http_version"] = outcome.http_version
        fields["request_id"] = outcome.headers.get("x-request-id")
    info("request.done", **fields)


# -- secrets ------------------------------------------------------------------------

# The query parameters the OpenAI API defines (codegen/spec/openapi.yaml), and
# Azure's api-version: ids, cursors and filters, never secrets. Any other
# parameter's value is redacted in logs.
_PUBLIC_PARAMETERS: Final = frozenset(
    {
        "actor_emails[]",
        "actor_ids[]",
        "after",
        "api-version",
        "api_key_ids",
        "batch",
        "before",
        "bucket_width",
        "context_levels",
        "effective_at",
        "emails",
        "end_time",
        "event_types[]",
        "filter",
        "group_by",
        "group_type",
        "include",
        "include[]",
        "include_archived",
        "include_obfuscation",
        "limit",
        "metadata",
        "model",
        "models",
        "name",
        "order",
        "order_by",
        "owner_project_access",
        "page",
        "project_id",
        "project_ids",
        "project_ids[]",
        "purpose",
        "resource_ids[]",
        "run_id",
        "sizes",
        "sources",
        "start_time",
        "starting_after",
        "status",
        "stream",
        "tenant_only",
        "user",
        "user_ids",
        "variant",
        "vector_store_ids",
    }
)
REDACTED: Final = "[redacted]"
# A URL in running text: scheme, user info (greedy to the last "@" before the
# path, since a password may hold one), then up to the first space or quote.
_URL: Final = re.compile(r"(?P<scheme>\b[A-Za-z][A-Za-z0-9+.-]*://)(?:[^/?#\s'\"<>]*@)?(?P<rest>[^\s'\"<>]*)")


def loggable_url(url: str) -> str:
    """`url` fit for a log line: no user info, and only the API's own query parameters shown."""
    if "?" not in url and "@" not in url:
        return url  # the usual case: nothing to take out
    return scrub_text(url)


def scrub_text(text: str) -> str:
    """`text` with every URL in it made loggable (see `loggable_url`)."""
    if "://" not in text:
        return text
    return _URL.sub(_scrub_match, text)


def _scrub_match(match: re.Match[str]) -> str:
    rest = match["rest"]
    where, mark, query = rest.partition("?")
    if mark:
        query, hash_mark, fragment = query.partition("#")
        rest = f"{where}?{_redact_query(query)}{hash_mark}{fragment}"
    return f"{match['scheme']}{rest}"


def _redact_query(query: str) -> str:
    pairs = []
    for pair in query.split("&"):
        name, equals, _ = pair.partition("=")
        if unquote_plus(name) not in _PUBLIC_PARAMETERS:
            pair = f"{name}={REDACTED}" if equals else REDACTED
        pairs.append(pair)
    return "&".join(pairs)


# -- OPENAI_LOG ---------------------------------------------------------------------

# The official SDK's format and date format.
FORMAT: Final = "[%(asctime)s - %(name)s:%(lineno)d - %(levelname)s] %(message)s"
DATE_FORMAT: Final = "%Y-%m-%d %H:%M:%S"
_LEVELS: Final = {"debug": logging.DEBUG, "info": logging.INFO}


class _EnvironmentHandler(logging.StreamHandler[TextIO]):
    """OPENAI_LOG's stderr handler: prints a record only while no other handler would."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)
        self.setFormatter(logging.Formatter(FORMAT, DATE_FORMAT))

    def filter(self, record: logging.LogRecord) -> bool:
        return not _handled_elsewhere(self, record) and bool(super().filter(record))


def _handled_elsewhere(mine: logging.Handler, record: logging.LogRecord) -> bool:
    """Whether a handler other than `mine` (or a NullHandler), on the record's logger or above it, takes it."""
    # Not getLogger, which takes the logging module's lock: this runs for every record.
    found = logging.Logger.manager.loggerDict.get(record.name)
    logger: logging.Logger | None = found if isinstance(found, logging.Logger) else _root
    while logger is not None:
        if any(
            handler is not mine
            and not isinstance(handler, logging.NullHandler)
            and record.levelno >= handler.level
            for handler in logger.handlers
        ):
            return True
        if not logger.propagate:
            return False
        logger = logger.parent
    return False


def configure_from_environment(environ: Mapping[str, str] = os.environ) -> None:
    """Apply `OPENAI_LOG=info|debug`: that level on "openai_actors", and one stderr handler.

    Idempotent: the handler is added once, however often this runs. Any other
    value leaves logging alone, as the official SDK does.
    """
    level = _LEVELS.get(environ.get("OPENAI_LOG", "").lower())
    if level is None:
        return
    _root.setLevel(level)
    if not any(isinstance(handler, _EnvironmentHandler) for handler in _root.handlers):
        _root.addHandler(_EnvironmentHandler())


configure_from_environment()
