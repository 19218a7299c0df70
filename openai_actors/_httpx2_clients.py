"""httpx2 clients with this package's defaults, for users who bring an httpx2 `http_client`.

`httpx2` is the official SDK's HTTP stack since 3.x, with httpx's API. This
package does not depend on it: it is imported when one of these is called, not
before, and without it the call raises RuntimeError saying to install it. The
defaults are `_httpx_clients.py`'s: 600 s timeout (5 s to connect), up to
1,000 connections with 100 kept alive, and redirects followed. A `timeout` or
`limits` from httpx (not httpx2) is converted, as the official SDK does.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from types import ModuleType

    import httpx2

__all__ = ["HTTPX2_MISSING", "DefaultAsyncHttpx2Client", "DefaultHttpx2Client"]

HTTPX2_MISSING: Final = (
    "DefaultHttpx2Client and DefaultAsyncHttpx2Client need the httpx2 package: pip install httpx2"
)


def _httpx2() -> ModuleType:
    try:
        return importlib.import_module("httpx2")
    except ImportError:
        raise RuntimeError(HTTPX2_MISSING) from None


def _with_defaults(httpx2: ModuleType, kwargs: dict[str, Any]) -> dict[str, Any]:
    timeout = kwargs.get("timeout", httpx2.Timeout(600.0, connect=5.0))
    if not isinstance(timeout, httpx2.Timeout) and all(
        hasattr(timeout, phase) for phase in ("connect", "read", "write", "pool")
    ):
        timeout = httpx2.Timeout(
            connect=timeout.connect, read=timeout.read, write=timeout.write, pool=timeout.pool
        )
    kwargs["timeout"] = timeout
    limits = kwargs.get("limits", httpx2.Limits(max_connections=1000, max_keepalive_connections=100))
    if not isinstance(limits, httpx2.Limits) and hasattr(limits, "max_keepalive_connections"):
        limits = httpx2.Limits(
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
        )
    kwargs["limits"] = limits
    kwargs.setdefault("follow_redirects", True)
    return kwargs


def DefaultHttpx2Client(**kwargs: Any) -> httpx2.Client:
    """An `httpx2.Client` with this package's defaults (for `OpenAI(http_client=...)`)."""
    module = _httpx2()
    client: httpx2.Client = module.Client(**_with_defaults(module, kwargs))
    return client


def DefaultAsyncHttpx2Client(**kwargs: Any) -> httpx2.AsyncClient:
    """An `httpx2.AsyncClient` with this package's defaults (for `AsyncOpenAI(http_client=...)`)."""
    module = _httpx2()
    client: httpx2.AsyncClient = module.AsyncClient(**_with_defaults(module, kwargs))
    return client
