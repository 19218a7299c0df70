"""Debug events through structlog, at no cost when nobody listens.

Events are on when the standard `logging` logger "openai_actors" is enabled for
DEBUG, or when `OPENAI_LOG=debug` is set (the official SDK's switch). The hot
path asks `enabled()` (a cached level check) before building any event, and
structlog itself is imported only the first time an event is emitted: it costs
about 50 ms to import, which `import openai_actors` should not pay.

A few rare events are warnings (`warn`: a 429 pausing every caller), emitted
unless the "openai_actors" logger is set above WARNING, so that what looks
like a hang from outside says what it is.

Events carry method, URL, attempt, status, request id and timings; never
headers, bodies or the key.
"""

from __future__ import annotations

import logging
import os
from typing import Any

__all__ = ["emit", "enabled", "warn"]

_stdlib = logging.getLogger("openai_actors")
_logger: Any = None

if os.environ.get("OPENAI_LOG", "").lower() == "debug" and _stdlib.level == logging.NOTSET:
    _stdlib.setLevel(logging.DEBUG)


def enabled() -> bool:
    return _stdlib.isEnabledFor(logging.DEBUG)


def _structlog() -> Any:
    global _logger
    if _logger is None:
        import structlog

        _logger = structlog.get_logger("openai_actors")
    return _logger


def emit(event: str, **fields: Any) -> None:
    _structlog().debug(event, **fields)


def warn(event: str, **fields: Any) -> None:
    """A warning event: something the user should know even with debug events off (a pause, say).

    Rare by design (never per request), so it needs no cheap check; it stays
    quiet only when the "openai_actors" logger is set above WARNING.
    """
    if _stdlib.isEnabledFor(logging.WARNING):
        _structlog().warning(event, **fields)
