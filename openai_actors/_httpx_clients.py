"""httpx clients with this package's defaults, for users who bring their own `http_client`.

Like the official SDK's: 600 s timeout (5 s to connect), up to 1,000
connections with 100 kept alive, and redirects followed.
"""

from __future__ import annotations

from typing import Any

import httpx

__all__ = [
    "DEFAULT_CONNECTION_LIMITS",
    "DEFAULT_HTTPX_TIMEOUT",
    "DefaultAsyncHttpxClient",
    "DefaultHttpxClient",
]

DEFAULT_HTTPX_TIMEOUT = httpx.Timeout(timeout=600.0, connect=5.0)
DEFAULT_CONNECTION_LIMITS = httpx.Limits(max_connections=1000, max_keepalive_connections=100)


class DefaultHttpxClient(httpx.Client):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("timeout", DEFAULT_HTTPX_TIMEOUT)
        kwargs.setdefault("limits", DEFAULT_CONNECTION_LIMITS)
        kwargs.setdefault("follow_redirects", True)
        super().__init__(**kwargs)


class DefaultAsyncHttpxClient(httpx.AsyncClient):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("timeout", DEFAULT_HTTPX_TIMEOUT)
        kwargs.setdefault("limits", DEFAULT_CONNECTION_LIMITS)
        kwargs.setdefault("follow_redirects", True)
        super().__init__(**kwargs)
