"""Debug events through structlog, at no cost when nobody listens.

Events are on when the standard `logging` logger "openai_actors" is enabled for
DEBUG, or when `OPENAI_LOG=debug` is set (the official SDK's switch). The hot
path asks `enabled()` (a cached level check) before building any event, and
structlog itself is imported only the first time an event is emitted: it costs
about 50 ms to import, which `import openai_actors` should not pay.

Events carry method, URL, attempt, status, request id and timings; never
headers, bodies or the key.
"""

from __future__ import annotations

import logging
import os
from typing import Any

__all__ = ["emit", "enabled"]

_stdlib = logging.getLogger("openai_actors")
_logger: Any = None

if os.environ.get("OPENAI_LOG", "").lower() == "debug" and _stdlib.level == logging.NOTSET:
    _stdlib.setLevel(logging.DEBUG)


def enabled() -> bool:
    return _stdlib.isEnabledFor(logging.DEBUG)


def emit(event: str, **fields: Any) -> None:
    global _logger
    if _logger is None:
        import structlog

        _logger = structlog.get_logger("openai_actors")
    _logger.debug(event, **fields)
