"""`AzureOpenAI` and `AsyncAzureOpenAI`: the clients for Azure OpenAI, as thin subclasses.

Azure differs from OpenAI in three things, each decided here by a pure function
and nothing else:

* **Where requests go** (`azure_route`). Without `azure_deployment`, the base
  URL is `{endpoint}/openai`, and a request to one of the deployment endpoints
  (chat completions, embeddings, images, audio: `DEPLOYMENT_ENDPOINTS`) goes
  to `deployments/{model}/...`, the body's `model` naming the deployment.
  With `azure_deployment`, the base URL is `{endpoint}/openai/deployments/{name}`
  and the other endpoints (files, batches, ...) go to `{endpoint}/openai/...`.
  Every request carries `?api-version=` (in the client's default query).
* **How the credential is sent** (`choose_credential`): an Entra ID token as
  `Authorization: Bearer <token>`, or a key as `api-key: <key>`. The
  dispatcher owns it either way (`_keys.py`): a token provider is called on
  first use, cached for `api_key_refresh_interval` (300 s) and called again at
  once after a 401, one call shared by every request waiting for it. The
  official SDK calls the provider before every request; azure-identity's
  providers cache their token and hand out one with at least five minutes to
  live, which is what a 300 s cache needs, so the token sent is the same but
  no request waits for a thread hop to fetch it.
* **The settings** (`resolve_azure`): the arguments, then `AZURE_OPENAI_API_KEY`,
  `AZURE_OPENAI_AD_TOKEN`, `OPENAI_API_VERSION` and `AZURE_OPENAI_ENDPOINT`,
  checked in the official order: credentials, then version, then endpoint.

Everything else (the dispatcher, retries, rate control, streaming) is the
OpenAI client's, unchanged.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final, TypeVar

from ._client import AsyncOpenAI, OpenAI
from ._exceptions import OpenAIError
from ._keys import DEFAULT_REFRESH_INTERVAL, KeyProvider, KeyScheme
from ._options import DEFAULT_MAX_CONNECTIONS, DEFAULT_MAX_RETRIES
from ._request import path_param
from ._types import NOT_GIVEN, NotGiven, Omit

if TYPE_CHECKING:
    import httpx
    import httpx2

    from ._call import Call
    from ._ratelimit import RateLimit

__all__ = [
    "DEPLOYMENT_ENDPOINTS",
    "AsyncAzureADTokenProvider",
    "AsyncAzureOpenAI",
    "AzureADTokenProvider",
    "AzureOpenAI",
    "AzureSettings",
    "azure_route",
    "choose_credential",
    "resolve_azure",
]

AzureADTokenProvider = Callable[[], str]
AsyncAzureADTokenProvider = Callable[[], "str | Awaitable[str]"]

# The paths (relative to the base URL) Azure serves per deployment, as the
# official SDK lists them: the body's `model` names the deployment.
DEPLOYMENT_ENDPOINTS: Final = frozenset(
    {
        "completions",
        "chat/completions",
        "embeddings",
        "audio/transcriptions",
        "audio/translations",
        "audio/speech",
        "images/generations",
        "images/edits",
    }
)

# What `client.api_key` reads when the credential is a token, as in the official SDK.
MISSING_API_KEY: Final = "<missing API key>"

AZURE_API_KEY: Final = KeyScheme("api_key", "api_key provider", "key", "api-key", "")
AZURE_AD_TOKEN: Final = KeyScheme("azure_ad_token", "azure_ad_token_provider", "token")


@dataclass(frozen=True, slots=True)
class AzureSettings:
    """An Azure client's own settings, resolved; kept by its copies (`with_options`)."""

    api_version: str
    endpoint: str | None  # without its trailing "/"; None when base_url was given instead
    deployment: str | None  # only with `endpoint`
    # Out of the repr: a credential is never shown.
    api_key: str | KeyProvider | None = field(repr=False)
    azure_ad_token: str | None = field(repr=False)
    azure_ad_token_provider: KeyProvider | None = field(repr=False)


# -- pure decisions ------------------------------------------------------------------


def _given(value: object) -> bool:
    """An empty string is no credential: sent, it could only be refused."""
    return value is not None and value != ""


def _optional_str(name: str, value: object) -> str | None:
    if value is not None and not isinstance(value, str):
        raise TypeError(f"{name} must be a str, not {type(value).__name__}")
    return value


def resolve_azure(
    *,
    api_version: object,
    azure_endpoint: object,
    azure_deployment: object,
    api_key: object,
    azure_ad_token: object,
    azure_ad_token_provider: object,
    base_url: object,
    environ: Mapping[str, str],
) -> tuple[AzureSettings, str]:
    """The settings and the base URL, from the arguments and `environ`; the official SDK's checks, in its order."""
    if api_key is None:
        api_key = environ.get("AZURE_OPENAI_API_KEY")
    if api_key is not None and not isinstance(api_key, str) and not callable(api_key):
        raise TypeError(f"api_key must be a str or a callable returning one, not {type(api_key).__name__}")
    if azure_ad_token is None:
        azure_ad_token = environ.get("AZURE_OPENAI_AD_TOKEN")
    token = _optional_str("azure_ad_token", azure_ad_token)
    if azure_ad_token_provider is not None and not callable(azure_ad_token_provider):
        raise TypeError(
            "azure_ad_token_provider must be a callable returning a token, "
            f"not {type(azure_ad_token_provider).__name__}"
        )
    if not (_given(api_key) or _given(token) or azure_ad_token_provider is not None):
        raise OpenAIError(
            "No credentials for Azure OpenAI: pass `api_key`, `azure_ad_token` or "
            "`azure_ad_token_provider`, or set AZURE_OPENAI_API_KEY or AZURE_OPENAI_AD_TOKEN"
        )
    if api_version is None:
        api_version = environ.get("OPENAI_API_VERSION")
    if api_version is None:
        raise ValueError("No API version for Azure OpenAI: pass `api_version` or set OPENAI_API_VERSION")
    version = _optional_str("api_version", api_version)
    assert version is not None
    deployment = _optional_str("azure_deployment", azure_deployment)
    endpoint: str | None = None
    if base_url is None or isinstance(base_url, NotGiven):
        if azure_endpoint is None:
            azure_endpoint = environ.get("AZURE_OPENAI_ENDPOINT")
        if azure_endpoint is None:
            raise ValueError(
                "No endpoint for Azure OpenAI: pass `azure_endpoint` or `base_url`, "
                "or set AZURE_OPENAI_ENDPOINT"
            )
        endpoint = str(azure_endpoint).rstrip("/")
        base = f"{endpoint}/openai" if deployment is None else f"{endpoint}/openai/deployments/{deployment}"
    else:
        if azure_endpoint is not None:
            raise ValueError("base_url and azure_endpoint are mutually exclusive: pass one of them")
        base = str(base_url)
        deployment = None  # as the official SDK: a deployment means something only with an endpoint
    settings = AzureSettings(
        api_version=version,
        endpoint=endpoint,
        deployment=deployment,
        api_key=api_key if _given(api_key) else None,
        azure_ad_token=token if _given(token) else None,
        azure_ad_token_provider=azure_ad_token_provider,
    )
    return settings, base


def choose_credential(settings: AzureSettings) -> tuple[str | KeyProvider, KeyScheme]:
    """The credential sent, and how: a token first (a string, then a provider), else the key.

    The official SDK's order; so a token in AZURE_OPENAI_AD_TOKEN is used even
    when an `api_key` is passed.
    """
    if settings.azure_ad_token is not None:
        return settings.azure_ad_token, AZURE_AD_TOKEN
    if settings.azure_ad_token_provider is not None:
        return settings.azure_ad_token_provider, AZURE_AD_TOKEN
    assert settings.api_key is not None  # resolve_azure refuses a client with no credential
    return settings.api_key, AZURE_API_KEY


def azure_route(path: str, params: Mapping[str, Any] | None, base_path: str, settings: AzureSettings) -> str:
    """Where a request for `path` (relative to the base URL, or absolute) goes on Azure.

    `params` are the request's body parameters (None if it has none);
    `base_path` is the base URL's path. A deployment endpoint, sent with a
    `model` to a base URL that names no deployment, goes to that model's
    deployment. Any other relative path, from a client whose base URL names
    a deployment, goes to the endpoint's `/openai/` root: files, batches and
    the rest are not per deployment.
    """
    relative = path.lstrip("/")
    if relative in DEPLOYMENT_ENDPOINTS:
        if params is not None and "/deployments" not in base_path:
            model = params.get("model")
            if model is not None:
                return f"deployments/{path_param(model, 'model')}/{relative}"
        return path
    if settings.deployment is not None and settings.endpoint is not None and not _absolute(path):
        return f"{settings.endpoint}/openai/{relative}"
    return path


def _absolute(path: str) -> bool:
    return path[:8].lower().startswith(("http://", "https://"))


def with_api_version(query: Mapping[str, object] | None, api_version: str) -> dict[str, object]:
    """The default query with `api-version` set (it wins over one given in the query)."""
    return {**(query or {}), "api-version": api_version}


# -- the clients -----------------------------------------------------------------------

_Z = TypeVar("_Z", bound="_AzureClient")


class _AzureClient:
    """What the two Azure clients add to their OpenAI base class (listed second)."""

    _azure: AzureSettings
    _options: Any

    def __init__(
        self,
        *,
        api_version: str | None = None,
        azure_endpoint: str | None = None,
        azure_deployment: str | None = None,
        api_key: str | KeyProvider | None = None,
        azure_ad_token: str | None = None,
        azure_ad_token_provider: AsyncAzureADTokenProvider | None = None,
        organization: str | None = None,
        project: str | None = None,
        webhook_secret: str | None = None,
        websocket_base_url: str | httpx.URL | None = None,
        base_url: str | httpx.URL | None = None,
        timeout: float | httpx.Timeout | NotGiven | None = NOT_GIVEN,
        max_retries: int = DEFAULT_MAX_RETRIES,
        default_headers: Mapping[str, str | Omit] | None = None,
        default_query: Mapping[str, object] | None = None,
        http_client: httpx.AsyncClient | httpx.Client | httpx2.AsyncClient | httpx2.Client | None = None,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
        api_key_refresh_interval: float = DEFAULT_REFRESH_INTERVAL,
        rate_limit: RateLimit | NotGiven | None = NOT_GIVEN,
        data_residency: None = None,
        _strict_response_validation: bool = False,
    ) -> None:
        """A client for Azure OpenAI at `azure_endpoint` (or `base_url`), API version `api_version`.

        From the environment when not given: `api_key` (AZURE_OPENAI_API_KEY),
        `azure_ad_token` (AZURE_OPENAI_AD_TOKEN), `api_version`
        (OPENAI_API_VERSION), `azure_endpoint` (AZURE_OPENAI_ENDPOINT),
        `organization` and `project` (OPENAI_ORG_ID, OPENAI_PROJECT_ID).
        `azure_deployment` puts one deployment in the base URL (then `model`
        does not choose it). `azure_ad_token_provider` may be async for
        `AsyncAzureOpenAI`; its token is cached as a callable `api_key` is.
        """
        _refuse_data_residency(data_residency)
        settings, base = resolve_azure(
            api_version=api_version,
            azure_endpoint=azure_endpoint,
            azure_deployment=azure_deployment,
            api_key=api_key,
            azure_ad_token=azure_ad_token,
            azure_ad_token_provider=azure_ad_token_provider,
            base_url=base_url,
            environ=os.environ,
        )
        credential, scheme = choose_credential(settings)
        super().__init__(  # type: ignore[call-arg]  # the OpenAI client this class is mixed into
            api_key=credential,
            organization=organization,
            project=project,
            webhook_secret=webhook_secret,
            base_url=base,
            websocket_base_url=websocket_base_url,
            timeout=timeout,
            max_retries=max_retries,
            default_headers=default_headers,
            default_query=with_api_version(default_query, settings.api_version),
            http_client=http_client,
            max_connections=max_connections,
            api_key_refresh_interval=api_key_refresh_interval,
            rate_limit=rate_limit,
            _strict_response_validation=_strict_response_validation,
            _key_scheme=scheme,
        )
        self._azure = settings

    @property
    def api_key(self) -> str:
        """The key, when the credential is a key given as a string; as the official SDK has it otherwise."""
        keys = self._options.keys
        if keys.scheme is AZURE_AD_TOKEN:
            return MISSING_API_KEY
        return str(self._options.api_key)

    def copy(
        self: _Z,
        *,
        api_key: str | KeyProvider | None = None,
        organization: str | None = None,
        project: str | None = None,
        webhook_secret: str | None = None,
        websocket_base_url: str | httpx.URL | None = None,
        api_version: str | None = None,
        azure_ad_token: str | None = None,
        azure_ad_token_provider: AsyncAzureADTokenProvider | None = None,
        base_url: str | httpx.URL | NotGiven | None = NOT_GIVEN,
        data_residency: None = None,
        timeout: float | httpx.Timeout | NotGiven | None = NOT_GIVEN,
        http_client: httpx.AsyncClient | httpx.Client | httpx2.AsyncClient | httpx2.Client | None = None,
        max_retries: int | NotGiven = NOT_GIVEN,
        default_headers: Mapping[str, str | Omit] | None = None,
        set_default_headers: Mapping[str, str | Omit] | None = None,
        default_query: Mapping[str, object] | None = None,
        set_default_query: Mapping[str, object] | None = None,
    ) -> _Z:
        """A client with some options changed, sharing this one's dispatcher; the Azure settings carry over.

        A new `base_url` replaces the endpoint and its deployment, as it does
        in the constructor.
        """
        _refuse_data_residency(data_residency)
        old = self._azure
        changes: dict[str, Any] = {}
        if api_key is not None:
            changes["api_key"] = api_key
        if azure_ad_token is not None:
            changes["azure_ad_token"] = _optional_str("azure_ad_token", azure_ad_token)
        if azure_ad_token_provider is not None:
            changes["azure_ad_token_provider"] = azure_ad_token_provider
        if api_version is not None:
            changes["api_version"] = _optional_str("api_version", api_version)
        if base_url is not None and not isinstance(base_url, NotGiven):
            changes["endpoint"] = changes["deployment"] = None
        settings = dataclasses.replace(old, **changes)
        credential, scheme = choose_credential(settings)
        old_credential, old_scheme = choose_credential(old)
        same_credential = credential is old_credential and scheme is old_scheme
        # The new version over the inherited query (default_query is merged into
        # it), or over the query that replaces it (set_default_query).
        if set_default_query is not None:
            set_default_query = with_api_version(set_default_query, settings.api_version)
        else:
            default_query = with_api_version(default_query, settings.api_version)
        clone: _Z = super().copy(  # type: ignore[misc]  # the OpenAI client this class is mixed into
            # None keeps the key source, and with it a token already fetched.
            api_key=None if same_credential else credential,
            organization=organization,
            project=project,
            webhook_secret=webhook_secret,
            websocket_base_url=websocket_base_url,
            base_url=base_url,
            timeout=timeout,
            http_client=http_client,
            max_retries=max_retries,
            default_headers=default_headers,
            set_default_headers=set_default_headers,
            default_query=default_query,
            set_default_query=set_default_query,
            _key_scheme=scheme,
        )
        clone._azure = settings
        return clone

    with_options = copy

    def _build(
        self,
        method: str,
        path: str,
        *,
        body: object = None,
        query: Mapping[str, object] | None = None,
        options: Mapping[str, Any] | None = None,
        extra: Mapping[str, Any] | None = None,
        content: Any = None,
        fields: Mapping[str, Any] | None = None,
    ) -> Call:
        params = body if isinstance(body, Mapping) else fields
        path = azure_route(path, params, self._options.base_path, self._azure)
        call: Call = super()._build(  # type: ignore[misc]  # the OpenAI client this class is mixed into
            method, path, body=body, query=query, options=options, extra=extra, content=content
        )
        return call


def _refuse_data_residency(data_residency: object) -> None:
    if data_residency is not None:
        raise OpenAIError(
            "data_residency selects a region of api.openai.com; an Azure client's region is its endpoint"
        )


class AzureOpenAI(_AzureClient, OpenAI):  # type: ignore[misc]  # copy() is typed for Azure's options
    """The synchronous client for Azure OpenAI; everything else as `OpenAI`."""


class AsyncAzureOpenAI(_AzureClient, AsyncOpenAI):  # type: ignore[misc]  # copy() is typed for Azure's options
    """The asynchronous client for Azure OpenAI; everything else as `AsyncOpenAI`."""
