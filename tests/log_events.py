"""This package's log events as tests read them: each record's event name and fields, as a dict."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import structlog

# What every LogRecord has, or formatting adds; anything else on a record is an event field.
STANDARD = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


def fields_of(record: logging.LogRecord) -> dict[str, Any]:
    """The event name (`event`) and fields a record of this package carries."""
    return {name: value for name, value in vars(record).items() if name not in STANDARD}


class EventCollector(logging.Handler):
    def __init__(self, with_contextvars: bool) -> None:
        super().__init__(logging.DEBUG)
        self.events: list[dict[str, Any]] = []
        self.records: list[logging.LogRecord] = []
        self._with_contextvars = with_contextvars

    def emit(self, record: logging.LogRecord) -> None:
        if not hasattr(record, "event"):
            return
        event = {**fields_of(record), "log_level": record.levelname.lower()}
        if self._with_contextvars:  # emit runs in the context of the code that logged
            event.update(structlog.contextvars.get_contextvars())
        self.events.append(event)
        self.records.append(record)


@contextmanager
def collector(level: int = logging.DEBUG, *, with_contextvars: bool = False) -> Iterator[EventCollector]:
    """Collect the events of "openai_actors" at `level` and above for the block."""
    logger = logging.getLogger("openai_actors")
    handler = EventCollector(with_contextvars)
    old_level = logger.level
    logger.setLevel(level)
    logger.addHandler(handler)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)


@contextmanager
def captured_events(
    level: int = logging.DEBUG, *, with_contextvars: bool = False
) -> Iterator[list[dict[str, Any]]]:
    """The events as a list that fills while the block runs (as `structlog.testing.capture_logs`)."""
    with collector(level, with_contextvars=with_contextvars) as handler:
        yield handler.events
