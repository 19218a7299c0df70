"""openai_actors: a drop-in client for OpenAI and OpenAI-compatible servers, built as an actor.

    from openai_actors import AsyncOpenAI, OpenAI

Names that need httpx (`Timeout`, `DefaultHttpxClient`, `DefaultAsyncHttpxClient`)
and the batch job's (`BatchResult`, ...) are imported on first use, so
`import openai_actors` does not pay for them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._client import AsyncOpenAI, OpenAI, RequestOptions
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
    InternalServerError,
    InvalidWebhookSignatureError,
    KeyProviderError,
    NotFoundError,
    OpenAIError,
    PermissionDeniedError,
    RateLimitError,
    RequestTooLargeError,
    UnprocessableEntityError,
)
from ._models import BaseModel
from ._options import DEFAULT_MAX_RETRIES
from ._pacing import Limit
from ._pagination import AsyncPage, AsyncPaginator, SyncPage
from ._ratelimit import RateLimit, Stats
from ._types import NOT_GIVEN, NotGiven, Omit, not_given, omit
from ._version import __version__

if TYPE_CHECKING:
    from httpx import Timeout

    from ._batch import AsyncBatchResults, BatchInputError, BatchResult, BatchResults
    from ._httpx_clients import DefaultAsyncHttpxClient, DefaultHttpxClient

__all__ = [
    "DEFAULT_MAX_RETRIES",
    "NOT_GIVEN",
    "APIConnectionError",
    "APIError",
    "APIResponseValidationError",
    "APIStatusError",
    "APITimeoutError",
    "AsyncBatchResults",
    "AsyncOpenAI",
    "AsyncPage",
    "AsyncPaginator",
    "AuthenticationError",
    "BadRequestError",
    "BaseModel",
    "BatchInputError",
    "BatchResult",
    "BatchResults",
    "ClientClosedError",
    "ConflictError",
    "DefaultAsyncHttpxClient",
    "DefaultHttpxClient",
    "InternalServerError",
    "InvalidWebhookSignatureError",
    "KeyProviderError",
    "Limit",
    "NotFoundError",
    "NotGiven",
    "Omit",
    "OpenAI",
    "OpenAIError",
    "PermissionDeniedError",
    "RateLimit",
    "RateLimitError",
    "RequestOptions",
    "RequestTooLargeError",
    "Stats",
    "SyncPage",
    "Timeout",
    "UnprocessableEntityError",
    "__version__",
    "not_given",
    "omit",
]


def __getattr__(name: str) -> Any:
    if name in ("DefaultHttpxClient", "DefaultAsyncHttpxClient"):
        from . import _httpx_clients

        return getattr(_httpx_clients, name)
    if name in ("AsyncBatchResults", "BatchInputError", "BatchResult", "BatchResults"):
        from . import _batch

        return getattr(_batch, name)
    if name == "Timeout":
        import httpx

        return httpx.Timeout
    raise AttributeError(f"module 'openai_actors' has no attribute {name!r}")
