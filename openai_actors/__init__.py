"""openai_actors: a drop-in client for OpenAI and OpenAI-compatible servers, built as an actor.

    from openai_actors import AsyncOpenAI, OpenAI

The official package's top-level names, where this package has them. Only the
light ones (the errors, the sentinels, the version, `DataResidency`) are
imported with the package; the rest (the clients and everything they pull in:
anyio, the dispatcher, structlog, httpx) on first use, through the module's
`__getattr__`, so `import openai_actors` costs little and
`from openai_actors import OpenAI` still works. Type checkers read the
imports under `TYPE_CHECKING`.

The module-level client is here too, as in the official module: its settings
are this module's globals (`openai_actors.api_key = "..."`), and its resources
(`openai_actors.chat`, ...) are proxies that build the client on first use
(`_module_client.py`), so importing builds nothing.

`bench/surface_coverage.py` lists every official name this package lacks.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal, TypeAlias, cast

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
    ConnectionClosed,
    ConnectionClosedError,
    ConnectionClosedOK,
    ContentFilterFinishReasonError,
    InternalServerError,
    InvalidServerEventError,
    InvalidWebhookSignatureError,
    KeyProviderError,
    LengthFinishReasonError,
    NotFoundError,
    OAuthError,
    OpenAIError,
    PermissionDeniedError,
    RateLimitError,
    RequestTooLargeError,
    SharedLimitsError,
    UnprocessableEntityError,
    WebSocketConnectionClosedError,
    WebSocketQueueFullError,
)
from ._types import NOT_GIVEN, NotGiven, Omit, not_given, omit
from ._version import __version__

if TYPE_CHECKING:
    import httpx
    import httpx2
    from httpx import BaseTransport as Transport
    from httpx import Timeout

    from . import pagination, resources, types
    from ._azure import AsyncAzureOpenAI, AzureADTokenProvider, AzureOpenAI
    from ._batch import AsyncBatchResults, BatchInputError, BatchResult, BatchResults
    from ._client import AsyncOpenAI, OpenAI, RequestOptions
    from ._client import AsyncOpenAI as AsyncClient
    from ._client import OpenAI as Client
    from ._helpers._tools import pydantic_function_tool, pydantic_responses_function_tool
    from ._helpers.assistant_events import AssistantEventHandler as AssistantEventHandler
    from ._helpers.assistant_events import AsyncAssistantEventHandler as AsyncAssistantEventHandler
    from ._httpx2_clients import DefaultAsyncHttpx2Client, DefaultHttpx2Client
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
    from ._shared import SharedLimits
    from ._streaming import AsyncStream, Stream
    from .types.websocket_reconnection import ReconnectingEvent, ReconnectingOverrides

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
    "AsyncAzureOpenAI",
    "AsyncBatchResults",
    "AsyncClient",
    "AsyncOpenAI",
    "AsyncPage",
    "AsyncPaginator",
    "AsyncStream",
    "AuthenticationError",
    "AzureOpenAI",
    "BadRequestError",
    "BaseModel",
    "BatchInputError",
    "BatchResult",
    "BatchResults",
    "Client",
    "ClientClosedError",
    "ConflictError",
    "ConnectionClosed",
    "ConnectionClosedError",
    "ConnectionClosedOK",
    "ContentFilterFinishReasonError",
    "DataResidency",
    "DefaultAioHttpClient",
    "DefaultAsyncHttpx2Client",
    "DefaultAsyncHttpxClient",
    "DefaultHttpx2Client",
    "DefaultHttpxClient",
    "HttpxBinaryResponseContent",
    "InternalServerError",
    "InvalidServerEventError",
    "InvalidWebhookSignatureError",
    "KeyProviderError",
    "LengthFinishReasonError",
    "Limit",
    "NoneType",
    "NotFoundError",
    "NotGiven",
    "OAuthError",
    "Omit",
    "OpenAI",
    "OpenAIError",
    "PermissionDeniedError",
    "ProxiesTypes",
    "RateLimit",
    "RateLimitError",
    "ReconnectingEvent",
    "ReconnectingOverrides",
    "RequestOptions",
    "RequestTooLargeError",
    "SharedLimits",
    "SharedLimitsError",
    "Stats",
    "Stream",
    "SyncPage",
    "Timeout",
    "Transport",
    "UnprocessableEntityError",
    "WebSocketConnectionClosedError",
    "WebSocketQueueFullError",
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


# -- the module-level client's settings (read by `_module_client.load_client`) ----------
# As the official module's: set them before or after the first request; a
# change takes effect at the next `openai_actors.<resource>` access.

api_key: str | None = None
organization: str | None = None
project: str | None = None
webhook_secret: str | None = None
base_url: str | httpx.URL | None = None
# NOT_GIVEN: the client's default (600 s, 5 s to connect), without importing httpx for its Timeout.
timeout: float | Timeout | NotGiven | None = NOT_GIVEN
max_retries: int = 2  # DEFAULT_MAX_RETRIES, written out: _options imports anyio
default_headers: Mapping[str, str] | None = None
default_query: Mapping[str, object] | None = None
http_client: httpx.Client | httpx2.Client | None = None
api_type: Literal["openai", "azure"] | None = cast(
    'Literal["openai", "azure"] | None', os.environ.get("OPENAI_API_TYPE")
)
api_version: str | None = os.environ.get("OPENAI_API_VERSION")
azure_endpoint: str | None = os.environ.get("AZURE_OPENAI_ENDPOINT")
azure_ad_token: str | None = os.environ.get("AZURE_OPENAI_AD_TOKEN")
azure_ad_token_provider: AzureADTokenProvider | None = None

if TYPE_CHECKING:
    # The module-level client's resources, typed as the client's (at run time: the lazy names below).
    from ._module_client import admin as admin
    from ._module_client import audio as audio
    from ._module_client import batches as batches
    from ._module_client import beta as beta
    from ._module_client import chat as chat
    from ._module_client import completions as completions
    from ._module_client import containers as containers
    from ._module_client import content_provenance_checks as content_provenance_checks
    from ._module_client import conversations as conversations
    from ._module_client import embeddings as embeddings
    from ._module_client import evals as evals
    from ._module_client import files as files
    from ._module_client import fine_tuning as fine_tuning
    from ._module_client import images as images
    from ._module_client import models as models
    from ._module_client import moderations as moderations
    from ._module_client import realtime as realtime
    from ._module_client import responses as responses
    from ._module_client import skills as skills
    from ._module_client import uploads as uploads
    from ._module_client import vector_stores as vector_stores
    from ._module_client import videos as videos
    from ._module_client import webhooks as webhooks


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
    "AzureOpenAI": ("._azure", "AzureOpenAI"),
    "AsyncAzureOpenAI": ("._azure", "AsyncAzureOpenAI"),
    "RequestOptions": ("._client", "RequestOptions"),
    "Stream": ("._streaming", "Stream"),
    "AsyncStream": ("._streaming", "AsyncStream"),
    "APIResponse": ("._raw", "APIResponse"),
    "AsyncAPIResponse": ("._raw", "AsyncAPIResponse"),
    "HttpxBinaryResponseContent": ("._response", "BinaryContent"),
    "BaseModel": ("._models", "BaseModel"),
    # Outside __all__, as in the official package.
    "AssistantEventHandler": ("._helpers.assistant_events", "AssistantEventHandler"),
    "AsyncAssistantEventHandler": ("._helpers.assistant_events", "AsyncAssistantEventHandler"),
    "DEFAULT_MAX_RETRIES": ("._options", "DEFAULT_MAX_RETRIES"),
    "DEFAULT_TIMEOUT": ("._httpx_clients", "DEFAULT_HTTPX_TIMEOUT"),
    "DEFAULT_CONNECTION_LIMITS": ("._httpx_clients", "DEFAULT_CONNECTION_LIMITS"),
    "DefaultHttpxClient": ("._httpx_clients", "DefaultHttpxClient"),
    "DefaultAsyncHttpxClient": ("._httpx_clients", "DefaultAsyncHttpxClient"),
    "DefaultAioHttpClient": ("._httpx_clients", "DefaultAioHttpClient"),
    "DefaultHttpx2Client": ("._httpx2_clients", "DefaultHttpx2Client"),
    "DefaultAsyncHttpx2Client": ("._httpx2_clients", "DefaultAsyncHttpx2Client"),
    "Timeout": ("httpx", "Timeout"),
    "Transport": ("httpx", "BaseTransport"),
    "Limit": ("._pacing", "Limit"),
    "RateLimit": ("._ratelimit", "RateLimit"),
    "Stats": ("._ratelimit", "Stats"),
    "SharedLimits": ("._shared", "SharedLimits"),
    "ReconnectingEvent": (".types.websocket_reconnection", "ReconnectingEvent"),
    "ReconnectingOverrides": (".types.websocket_reconnection", "ReconnectingOverrides"),
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
    "auth": (".auth", ""),
    # The module-level client's resources (`_module_client.RESOURCE_NAMES`).
    **{
        name: ("._module_client", name)
        for name in (
            "admin",
            "audio",
            "batches",
            "beta",
            "chat",
            "completions",
            "containers",
            "content_provenance_checks",
            "conversations",
            "embeddings",
            "evals",
            "files",
            "fine_tuning",
            "images",
            "models",
            "moderations",
            "realtime",
            "responses",
            "skills",
            "uploads",
            "vector_stores",
            "videos",
            "webhooks",
        )
    },
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
    return sorted(set(globals()) | set(__all__) | set(_LAZY))
