"""The module-level client: `openai_actors.api_key = "..."; openai_actors.chat.completions.create(...)`.

As in the official `openai` module: the settings are the package's globals
(`api_key`, `base_url`, ..., `api_type`, `azure_endpoint`, ...), and each
top-level resource (`openai_actors.chat`, `.files`, ...) is a proxy that asks
for the client on every attribute access. The client is an `OpenAI` (or an
`AzureOpenAI` when `api_type` is "azure"), built on the first such access,
not on import.

Settings changed later take effect at the next access: the settings are read
each time and compared with those the client was built from. When they
differ, a client is built from the new ones; if it is of the same kind over
the same `http_client`, it takes over the previous client's dispatcher (as
`with_options` does), so no thread is started and no connection dropped, and
requests already running on the previous client finish undisturbed.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final, Literal

from ._exceptions import OpenAIError
from ._generated_resources import SyncResources
from ._lazy import LazyResource
from ._types import NOT_GIVEN

if TYPE_CHECKING:
    from ._client import OpenAI

__all__ = ["RESOURCE_NAMES", "load_client", "reset_client"]

ApiType = Literal["openai", "azure"]

# The client's top-level resources, each a module attribute of the package.
RESOURCE_NAMES: Final = tuple(
    sorted(name for name, value in vars(SyncResources).items() if isinstance(value, LazyResource))
)

# The package's globals the client is built from, in `_Settings` order.
SETTING_NAMES: Final = (
    "api_type",
    "api_key",
    "organization",
    "project",
    "webhook_secret",
    "base_url",
    "timeout",
    "max_retries",
    "default_headers",
    "default_query",
    "http_client",
    "api_version",
    "azure_endpoint",
    "azure_ad_token",
    "azure_ad_token_provider",
)


class AmbiguousModuleClientError(OpenAIError):
    """Both OpenAI and Azure credentials are configured and `api_type` does not say which to use."""

    def __init__(self) -> None:
        super().__init__(
            "Both OpenAI and Azure OpenAI credentials are set, so the module-level client cannot tell "
            "which to use: set openai_actors.api_type (or OPENAI_API_TYPE) to 'openai' or 'azure'"
        )


def infer_api_type(
    environ: Mapping[str, str],
    *,
    azure_endpoint: object,
    azure_ad_token: object,
    azure_ad_token_provider: object,
) -> ApiType:
    """ "openai" or "azure", from what is configured, as the official module client decides it."""
    has_openai = environ.get("OPENAI_API_KEY") is not None
    has_azure_key = azure_endpoint is not None or environ.get("AZURE_OPENAI_API_KEY") is not None
    has_azure_token = (
        environ.get("AZURE_OPENAI_AD_TOKEN") is not None
        or azure_ad_token is not None
        or azure_ad_token_provider is not None
    )
    if has_openai and (has_azure_key or has_azure_token):
        raise AmbiguousModuleClientError()
    token_given = azure_ad_token is not None or azure_ad_token_provider is not None
    if token_given and environ.get("AZURE_OPENAI_API_KEY") is not None:
        raise AmbiguousModuleClientError()
    return "azure" if has_azure_key or has_azure_token else "openai"


def _snapshot(package: Any) -> tuple[object, ...]:
    """The settings now, comparable with `==`; the two mappings copied, so a change made in place shows.

    Read on every access to a resource through the package, so kept to attribute reads.
    """
    headers = package.default_headers
    query = package.default_query
    return (
        package.api_type,
        package.api_key,
        package.organization,
        package.project,
        package.webhook_secret,
        package.base_url,
        package.timeout,
        package.max_retries,
        None if headers is None else dict(headers),
        None if query is None else dict(query),
        package.http_client,
        package.api_version,
        package.azure_endpoint,
        package.azure_ad_token,
        package.azure_ad_token_provider,
    )


def _build(settings: tuple[object, ...]) -> OpenAI:
    s: dict[str, Any] = dict(zip(SETTING_NAMES, settings, strict=True))
    api_type = s.pop("api_type")
    common = {
        name: s[name]
        for name in (
            "api_key",
            "organization",
            "project",
            "webhook_secret",
            "max_retries",
            "default_headers",
            "default_query",
            "http_client",
        )
    }
    common["timeout"] = s["timeout"]
    if api_type == "azure":
        from ._azure import AzureOpenAI

        return AzureOpenAI(
            **common,
            base_url=s["base_url"],
            api_version=s["api_version"],
            azure_endpoint=s["azure_endpoint"],
            azure_ad_token=s["azure_ad_token"],
            azure_ad_token_provider=s["azure_ad_token_provider"],
        )
    if api_type != "openai":
        raise OpenAIError(f"openai_actors.api_type must be 'openai' or 'azure', not {api_type!r}")
    from ._client import OpenAI

    base_url = s["base_url"]
    return OpenAI(**common, base_url=NOT_GIVEN if base_url is None else base_url)


def _take_over(previous: OpenAI | None, fresh: OpenAI) -> OpenAI:
    """`fresh`'s settings on `previous`'s dispatcher, when the two can share one."""
    if (
        previous is None
        or previous.is_closed()
        or type(previous) is not type(fresh)
        or previous._http_client is not fresh._http_client
    ):
        return fresh
    shared = previous.copy()  # the same dispatcher, connections and thread
    for name in ("_options", "_azure"):
        if name in fresh.__dict__:
            setattr(shared, name, fresh.__dict__[name])
    fresh.close()  # it never started anything: this only marks it closed
    return shared


_lock = threading.Lock()
# (the settings, the client built from them): one tuple, so a reader never
# sees a client with another client's settings.
_current: tuple[tuple[object, ...], OpenAI] | None = None


def load_client() -> OpenAI:
    """The module-level client for the package's settings as they are now."""
    global _current
    package: Any = sys.modules[__package__]
    current = _current
    if current is not None and current[0] == _snapshot(package) and not current[1].is_closed():
        return current[1]
    with _lock:
        if package.api_type is None:
            # Decided once, and written back, as the official module client does.
            package.api_type = infer_api_type(
                os.environ,
                azure_endpoint=package.azure_endpoint,
                azure_ad_token=package.azure_ad_token,
                azure_ad_token_provider=package.azure_ad_token_provider,
            )
        settings = _snapshot(package)
        current = _current
        if current is not None and current[0] == settings and not current[1].is_closed():
            return current[1]
        # A closed client (its user closed it) is replaced by a new one, not kept failing.
        client = _take_over(current[1] if current is not None else None, _build(settings))
        _current = (settings, client)
        return client


def reset_client() -> None:
    """Forget the client (the next access builds one); it is closed when nothing uses it any more."""
    global _current
    with _lock:
        _current = None


class _ResourceProxy:
    """`openai_actors.chat` and the like: the module-level client's resource, looked up on each use."""

    __slots__ = ("_name",)

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattribute__(self, attribute: str) -> Any:
        # Every attribute is the resource's (not only those a normal look-up misses,
        # as with __getattr__): one look-up, with no AttributeError raised first.
        name = object.__getattribute__(self, "_name")
        return getattr(getattr(load_client(), name), attribute)

    def __dir__(self) -> list[str]:
        return dir(getattr(load_client(), object.__getattribute__(self, "_name")))

    def __repr__(self) -> str:
        return f"<openai_actors.{object.__getattribute__(self, '_name')}: the module-level client's resource>"


for _name in RESOURCE_NAMES:
    globals()[_name] = _ResourceProxy(_name)
del _name

if TYPE_CHECKING:
    # What type checkers see: each name typed as the client's resource.
    from openai_actors._helpers.files import Files
    from openai_actors._helpers.uploads import Uploads
    from openai_actors._helpers.videos import Videos
    from openai_actors._resources.webhooks import Webhooks
    from openai_actors.resources.admin.admin import Admin
    from openai_actors.resources.audio.audio import Audio
    from openai_actors.resources.batches import Batches
    from openai_actors.resources.beta.beta import Beta
    from openai_actors.resources.chat.chat import Chat
    from openai_actors.resources.completions import Completions
    from openai_actors.resources.containers.containers import Containers
    from openai_actors.resources.content_provenance_checks import ContentProvenanceChecks
    from openai_actors.resources.conversations.conversations import Conversations
    from openai_actors.resources.embeddings import Embeddings
    from openai_actors.resources.evals.evals import Evals
    from openai_actors.resources.fine_tuning.fine_tuning import FineTuning
    from openai_actors.resources.images import Images
    from openai_actors.resources.models import Models
    from openai_actors.resources.moderations import Moderations
    from openai_actors.resources.realtime.realtime import Realtime
    from openai_actors.resources.responses.responses import Responses
    from openai_actors.resources.skills.skills import Skills
    from openai_actors.resources.vector_stores.vector_stores import VectorStores

    admin: Admin
    audio: Audio
    batches: Batches
    beta: Beta
    chat: Chat
    completions: Completions
    containers: Containers
    content_provenance_checks: ContentProvenanceChecks
    conversations: Conversations
    embeddings: Embeddings
    evals: Evals
    files: Files
    fine_tuning: FineTuning
    images: Images
    models: Models
    moderations: Moderations
    realtime: Realtime
    responses: Responses
    skills: Skills
    uploads: Uploads
    vector_stores: VectorStores
    videos: Videos
    webhooks: Webhooks
