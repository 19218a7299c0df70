"""openai_actors: a drop-in client for OpenAI and OpenAI-compatible servers, built as an actor.

    from openai_actors import AsyncOpenAI, OpenAI

The official package's top-level names, where this package has them. Only the
light ones (the errors, the sentinels, the version, `DataResidency`) are
imported with the package; the rest (the clients and everything they pull in:
anyio, the dispatcher, structlog, httpx) on first use, through the module's
`__getattr__`, so `import openai_actors` costs little and
`from openai_actors import OpenAI` still works. Type checkers read the
imports under `TYPE_CHECKING`.

Not here yet (a later issue): `AzureOpenAI`, `AsyncAzureOpenAI`, the module-level
client (`openai_actors.api_key = ...`, `openai_actors.chat...`) and the httpx2
clients. `bench/surface_coverage.py` lists every
official name this package lacks.
"""

from __future__ import annotations

import importlib
import os
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

from ._exceptions import (
    APIConnectionError,
    APIError,
    APIResponseValidationError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ClientClosedError,
    ConflictError,
    ContentFilterFinishReasonError,
    InternalServerError,
    InvalidWebhookSignatureError,
    KeyProviderError,
    LengthFinishReasonError,
    NotFoundError,
    OpenAIError,
    PermissionDeniedError,
    RateLimitError,
    RequestTooLargeError,
    UnprocessableEntityError,
)
from ._types import NOT_GIVEN, NotGiven, Omit, not_given, omit
from ._version import __version__

if TYPE_CHECKING:
    import httpx
    from httpx import BaseTransport as Transport
    from httpx import Timeout

    from . import pagination, resources, types
    from ._batch import AsyncBatchResults, BatchInputError, BatchResult, BatchResults
    from ._client import AsyncOpenAI, OpenAI, RequestOptions
    from ._client import AsyncOpenAI as AsyncClient
    from ._client import OpenAI as Client
    from ._helpers._tools import pydantic_function_tool, pydantic_responses_function_tool
    from ._httpx_clients import (
        DEFAULT_CONNECTION_LIMITS,
        DefaultAioHttpClient,
        DefaultAsyncHttpxClient,
        DefaultHttpxClient,
    )
    from ._httpx_clients import DEFAULT_HTTPX_TIMEOUT as DEFAULT_TIMEOUT
    from ._models import BaseModel
    from ._multipart import FileTypes
    from ._options import DEFAULT_MAX_RETRIES
    from ._pacing import Limit
    from ._pagination import AsyncPage, AsyncPaginator, SyncPage
    from ._ratelimit import RateLimit, Stats
    from ._raw import APIResponse, AsyncAPIResponse
    from ._response import BinaryContent as HttpxBinaryResponseContent
    from ._streaming import AsyncStream, Stream

    ProxiesTypes: TypeAlias = (
        "str | httpx.Proxy | dict[str | httpx.URL, str | httpx.URL | httpx.Proxy | None]"
    )

__all__ = [
    "DEFAULT_CONNECTION_LIMITS",
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_TIMEOUT",
    "NOT_GIVEN",
    "VERSION",
    "APIConnectionError",
    "APIError",
    "APIResponse",
    "APIResponseValidationError",
    "APIStatusError",
    "APITimeoutError",
    "AsyncAPIResponse",
    "AsyncBatchResults",
    "AsyncClient",
    "AsyncOpenAI",
    "AsyncPage",
    "AsyncPaginator",
    "AsyncStream",
    "AuthenticationError",
    "BadRequestError",
    "BaseModel",
    "BatchInputError",
    "BatchResult",
    "BatchResults",
    "Client",
    "ClientClosedError",
    "ConflictError",
    "ContentFilterFinishReasonError",
    "DataResidency",
    "DefaultAioHttpClient",
    "DefaultAsyncHttpxClient",
    "DefaultHttpxClient",
    "HttpxBinaryResponseContent",
    "InternalServerError",
    "InvalidWebhookSignatureError",
    "KeyProviderError",
    "LengthFinishReasonError",
    "Limit",
    "NoneType",
    "NotFoundError",
    "NotGiven",
    "Omit",
    "OpenAI",
    "OpenAIError",
    "PermissionDeniedError",
    "ProxiesTypes",
    "RateLimit",
    "RateLimitError",
    "RequestOptions",
    "RequestTooLargeError",
    "Stats",
    "Stream",
    "SyncPage",
    "Timeout",
    "Transport",
    "UnprocessableEntityError",
    "__title__",
    "__version__",
    "file_from_path",
    "not_given",
    "omit",
    "pagination",
    "pydantic_function_tool",
    "pydantic_responses_function_tool",
    "resources",
    "types",
]

__title__ = "openai_actors"
VERSION = __version__
NoneType = type(None)

# The regions the clients' `data_residency=` option selects (their URLs: _options.py).
DataResidency: TypeAlias = Literal["global", "us", "eu", "ae"]


def file_from_path(path: str) -> FileTypes:
    """The file at `path` as an upload's `file=` argument: (its name, its bytes), as the official SDK's."""
    with open(path, "rb") as f:
        contents = f.read()
    return (os.path.basename(path), contents)


# name -> (module, attribute in it; "" for the module itself), imported on first use.
_LAZY: dict[str, tuple[str, str]] = {
    "OpenAI": ("._client", "OpenAI"),
    "AsyncOpenAI": ("._client", "AsyncOpenAI"),
    "Client": ("._client", "OpenAI"),
    "AsyncClient": ("._client", "AsyncOpenAI"),
    "RequestOptions": ("._client", "RequestOptions"),
    "Stream": ("._streaming", "Stream"),
    "AsyncStream": ("._streaming", "AsyncStream"),
    "APIResponse": ("._raw", "APIResponse"),
    "AsyncAPIResponse": ("._raw", "AsyncAPIResponse"),
    "HttpxBinaryResponseContent": ("._response", "BinaryContent"),
    "BaseModel": ("._models", "BaseModel"),
    "DEFAULT_MAX_RETRIES": ("._options", "DEFAULT_MAX_RETRIES"),
    "DEFAULT_TIMEOUT": ("._httpx_clients", "DEFAULT_HTTPX_TIMEOUT"),
    "DEFAULT_CONNECTION_LIMITS": ("._httpx_clients", "DEFAULT_CONNECTION_LIMITS"),
    "DefaultHttpxClient": ("._httpx_clients", "DefaultHttpxClient"),
    "DefaultAsyncHttpxClient": ("._httpx_clients", "DefaultAsyncHttpxClient"),
    "DefaultAioHttpClient": ("._httpx_clients", "DefaultAioHttpClient"),
    "Timeout": ("httpx", "Timeout"),
    "Transport": ("httpx", "BaseTransport"),
    "Limit": ("._pacing", "Limit"),
    "RateLimit": ("._ratelimit", "RateLimit"),
    "Stats": ("._ratelimit", "Stats"),
    "AsyncPage": ("._pagination", "AsyncPage"),
    "AsyncPaginator": ("._pagination", "AsyncPaginator"),
    "SyncPage": ("._pagination", "SyncPage"),
    "AsyncBatchResults": ("._batch", "AsyncBatchResults"),
    "BatchInputError": ("._batch", "BatchInputError"),
    "BatchResult": ("._batch", "BatchResult"),
    "BatchResults": ("._batch", "BatchResults"),
    "pydantic_function_tool": ("._helpers._tools", "pydantic_function_tool"),
    "pydantic_responses_function_tool": ("._helpers._tools", "pydantic_responses_function_tool"),
    "types": (".types", ""),
    "resources": (".resources", ""),
    "pagination": (".pagination", ""),
}


def _proxies_types() -> object:
    import httpx

    # The official `ProxiesTypes`, over the httpx this package's `http_client` takes.
    return str | httpx.Proxy | dict[str | httpx.URL, str | httpx.URL | httpx.Proxy | None]


def __getattr__(name: str) -> Any:
    if name == "ProxiesTypes":
        value = _proxies_types()
    else:
        try:
            module_name, attribute = _LAZY[name]
        except KeyError:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
        module = importlib.import_module(module_name, __name__)
        value = getattr(module, attribute) if attribute else module
    globals()[name] = value  # the next look-up does not come here
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
