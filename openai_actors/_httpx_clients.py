"""httpx clients with this package's defaults, for users who bring their own `http_client`.

Like the official SDK's: 600 s timeout (5 s to connect), up to 1,000
connections with 100 kept alive, and redirects followed.

`DefaultAioHttpClient` is an `httpx.AsyncClient` that sends through aiohttp
(the `httpx-aiohttp` package's transport), for `AsyncOpenAI(http_client=...)`
on asyncio (aiohttp does not run on trio). Whether that package is installed
is looked up the first time the name is used, not when this module is
imported: aiohttp is slow to import. Without it, making one raises the
official SDK's RuntimeError. This package does not depend on `httpx-aiohttp`:
`pip install httpx-aiohttp` to use it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any, cast

import httpx

__all__ = [
    "DEFAULT_CONNECTION_LIMITS",
    "DEFAULT_HTTPX_TIMEOUT",
    "DefaultAioHttpClient",
    "DefaultAsyncHttpxClient",
    "DefaultHttpxClient",
]

DEFAULT_HTTPX_TIMEOUT = httpx.Timeout(timeout=600.0, connect=5.0)
DEFAULT_CONNECTION_LIMITS = httpx.Limits(max_connections=1000, max_keepalive_connections=100)

# The official SDK's words, then how to install it here (there is no `aiohttp` extra).
AIOHTTP_MISSING = (
    "To use the aiohttp client you must have installed the package with the `aiohttp` extra"
    " (for openai_actors: `pip install httpx-aiohttp`)"
)


def _with_defaults(kwargs: dict[str, Any]) -> dict[str, Any]:
    kwargs.setdefault("timeout", DEFAULT_HTTPX_TIMEOUT)
    kwargs.setdefault("limits", DEFAULT_CONNECTION_LIMITS)
    kwargs.setdefault("follow_redirects", True)
    return kwargs


class DefaultHttpxClient(httpx.Client):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**_with_defaults(kwargs))


class DefaultAsyncHttpxClient(httpx.AsyncClient):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**_with_defaults(kwargs))


if TYPE_CHECKING:
    # As the official SDK types it: an httpx.AsyncClient (whose transport is aiohttp).
    DefaultAioHttpClient = httpx.AsyncClient


class _MissingAioHttpClient(httpx.AsyncClient):
    """`DefaultAioHttpClient` when `httpx-aiohttp` is not installed: it cannot be made."""

    def __init__(self, **_kwargs: Any) -> None:
        raise RuntimeError(AIOHTTP_MISSING)


def _aiohttp_client_class() -> type[httpx.AsyncClient]:
    """httpx-aiohttp's client with this package's defaults, or the one that says to install it."""
    try:
        # By name, so that the type check does not depend on the package being installed.
        module = importlib.import_module("httpx_aiohttp")
    except ImportError:
        return _MissingAioHttpClient
    base = cast("type[httpx.AsyncClient]", module.HttpxAiohttpClient)

    def __init__(self: httpx.AsyncClient, **kwargs: Any) -> None:
        base.__init__(self, **_with_defaults(kwargs))

    namespace = {
        "__init__": __init__,
        "__module__": __name__,
        "__qualname__": "DefaultAioHttpClient",
        "__doc__": "An httpx.AsyncClient sending through aiohttp, with this package's defaults.",
    }
    return cast("type[httpx.AsyncClient]", type("DefaultAioHttpClient", (base,), namespace))


def __getattr__(name: str) -> Any:
    if name == "DefaultAioHttpClient":
        value = _aiohttp_client_class()
        globals()[name] = value  # looked up once, as the official SDK does at import
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
