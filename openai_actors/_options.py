"""Client options: read from arguments and the environment, checked, and precomputed.

Everything a request needs from the client's options (the origin, the base
path, the static headers already encoded for the wire, the timeouts) is worked
out once here, when the client is made, so that each request only adds what is
its own. Bad options fail here, at construction, with a message naming the
option; a bad key's message never shows the key.
"""

from __future__ import annotations

import asyncio
import math
import os
import platform
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Final
from urllib.parse import urlencode, urlsplit

from ._exceptions import OpenAIError
from ._http11 import check_header
from ._keys import BEARER_API_KEY, DEFAULT_REFRESH_INTERVAL, KeyProvider, KeyScheme, KeySource
from ._transport import HeaderBlock, Origin, Timeouts
from ._types import NotGiven, Omit
from ._urls import split_url
from ._version import __version__

__all__ = [
    "DATA_RESIDENCY_BASE_URLS",
    "DEFAULT_BASE_URL",
    "DEFAULT_MAX_CONNECTIONS",
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_TIMEOUT",
    "ClientOptions",
    "parse_timeout",
]

DEFAULT_BASE_URL: Final = "https://api.openai.com/v1"
DEFAULT_TIMEOUT: Final = Timeouts(connect=5.0, read=600.0, write=600.0, pool=600.0)
DEFAULT_MAX_RETRIES: Final = 2
DEFAULT_MAX_CONNECTIONS: Final = 1000

# The regional endpoints `data_residency=` selects, as the official SDK's
# (`openai/_data_residency.py`); the keys are `openai_actors.DataResidency`'s values.
DATA_RESIDENCY_BASE_URLS: Final[Mapping[str, str]] = {
    "global": "https://api.openai.com/v1",
    "us": "https://us.api.openai.com/v1",
    "eu": "https://eu.api.openai.com/v1",
    "ae": "https://ae.api.openai.com/v1",
}


def parse_timeout(value: object, option: str = "timeout") -> Timeouts:
    """A float, None, or anything shaped like `httpx.Timeout`, as `Timeouts`."""
    if value is None:
        return Timeouts(None, None, None, None)
    if isinstance(value, bool):
        raise TypeError(f"{option} must be a number of seconds, an httpx.Timeout or None, not a bool")
    if isinstance(value, int | float):
        seconds = _seconds(value, option)
        return Timeouts(seconds, seconds, seconds, seconds)
    if all(hasattr(value, name) for name in Timeouts._fields):
        return Timeouts(*(_seconds(getattr(value, name), f"{option}.{name}") for name in Timeouts._fields))
    raise TypeError(
        f"{option} must be a number of seconds, an httpx.Timeout or None, not {type(value).__name__}"
    )


def _seconds(value: object, option: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"{option} must be a number of seconds or None, not {type(value).__name__}")
    if math.isnan(value) or value < 0:
        raise ValueError(f"{option} must be zero or more seconds, not {value!r}")
    return None if math.isinf(value) else float(value)


def check_max_retries(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"max_retries must be a non-negative int, not {type(value).__name__}")
    if value < 0:
        raise ValueError(f"max_retries must be a non-negative int, not {value}")
    return value


def data_residency_base_url(data_residency: object, base_url: object, websocket_base_url: object) -> object:
    """The regional base URL `data_residency` names, or `base_url` as given when there is none.

    As the official SDK decides it: the region excludes `base_url` (even an
    explicit None) and `websocket_base_url`, those are checked before the
    region's name, and the region is chosen before the environment is read, so
    it wins over OPENAI_BASE_URL.
    """
    if data_residency is None:
        return base_url
    if not isinstance(base_url, NotGiven):
        raise ValueError("The `data_residency` and `base_url` arguments are mutually exclusive")
    if websocket_base_url is not None:
        raise ValueError("The `data_residency` and `websocket_base_url` arguments are mutually exclusive")
    if not isinstance(data_residency, str) or data_residency not in DATA_RESIDENCY_BASE_URLS:
        raise ValueError("Invalid `data_residency`; expected one of 'global', 'us', 'eu', or 'ae'")
    return DATA_RESIDENCY_BASE_URLS[data_residency]


def parse_base_url(url: object) -> tuple[str, Origin, str]:
    """The URL with one trailing slash, its origin, and its path (also ending in "/")."""
    origin, path, query, fragment = split_url(str(url).strip(), "base_url")
    if query or fragment:
        raise ValueError("base_url must not have a query or fragment")
    if not path.endswith("/"):
        path += "/"
    return f"{origin}{path}", origin, path


def _platform_headers() -> list[tuple[str, str]]:
    machine = platform.machine().lower()
    arch = {"x86_64": "x64", "amd64": "x64", "aarch64": "arm64", "arm64": "arm64"}.get(
        machine, machine or "unknown"
    )
    return [
        ("X-Stainless-Lang", "python"),
        ("X-Stainless-Package-Version", __version__),
        ("X-Stainless-OS", platform.system() or "Unknown"),
        ("X-Stainless-Arch", arch),
        ("X-Stainless-Runtime", platform.python_implementation()),
        ("X-Stainless-Runtime-Version", platform.python_version()),
    ]


_PLATFORM_HEADERS: list[tuple[str, str]] | None = None
# Framing is the transport's: a second Content-Length would corrupt the request.
_FRAMING_HEADERS: Final = frozenset({"content-length", "transfer-encoding"})


def merge_headers(
    base: Iterable[tuple[str, str]], overrides: Mapping[str, str | Omit]
) -> list[tuple[str, str]]:
    """`base` with `overrides` applied case-insensitively; an `Omit` value removes a header."""
    merged: dict[str, tuple[str, str]] = {name.lower(): (name, value) for name, value in base}
    for name, value in overrides.items():
        if not isinstance(name, str):
            raise TypeError(f"header names must be str, not {type(name).__name__}")
        if isinstance(value, Omit):
            merged.pop(name.lower(), None)
            continue
        if not isinstance(value, str):
            raise TypeError(f"the value of header {name!r} must be a str, not {type(value).__name__}")
        if name.lower() in _FRAMING_HEADERS:
            raise ValueError(f"the {name} header is set by the client from the body; it cannot be given")
        check_header(name, value)
        merged[name.lower()] = (name, value)
    return list(merged.values())


def _blocks(base: list[tuple[str, str]], custom: Mapping[str, str | Omit]) -> tuple[HeaderBlock, HeaderBlock]:
    """(without a body, with one): the official SDK sends no Content-Type on a GET."""
    pairs = merge_headers(base, custom)
    with_body = HeaderBlock(tuple(pairs))
    if "content-type" in {name.lower() for name in custom}:
        return with_body, with_body  # the caller's own, on every request
    return HeaderBlock(tuple(p for p in pairs if p[0] != "Content-Type")), with_body


def read_timeout_header(option: object, timeouts: Timeouts) -> str | None:
    """`X-Stainless-Read-Timeout` for a timeout as given (None: no read timeout, not sent).

    The number as the caller wrote it (`10` or `10.0`), as the official SDK
    sends it; its default (600 seconds) as `600`, as it writes its own.
    """
    if isinstance(option, NotGiven):
        if timeouts is DEFAULT_TIMEOUT:
            return "600"
        read: object = timeouts.read
    elif isinstance(option, int | float):
        read = option
    else:
        read = getattr(option, "read", None)
    return None if read is None else str(read)


def encode_query(params: Mapping[str, object]) -> str:
    """The official SDK's query format: nested dicts as a[b]=c, lists as a[]=x, booleans as true/false."""
    pairs: list[tuple[str, str]] = []
    for key, value in params.items():
        _flatten(key, value, pairs)
    return urlencode(pairs)


def _flatten(key: str, value: object, out: list[tuple[str, str]]) -> None:
    if value is None or isinstance(value, NotGiven | Omit):
        return
    if isinstance(value, bool):
        out.append((key, "true" if value else "false"))
    elif isinstance(value, Mapping):
        for sub, item in value.items():
            _flatten(f"{key}[{sub}]", item, out)
    elif isinstance(value, list | tuple):
        for item in value:
            _flatten(f"{key}[]", item, out)
    else:
        out.append((key, str(value)))


@dataclass(frozen=True, slots=True)
class ClientOptions:
    keys: KeySource | None
    api_key: str
    organization: str | None
    project: str | None
    base_url: str
    origin: Origin
    base_path: str
    timeout: Timeouts
    timeout_option: Any
    max_retries: int
    custom_headers: Mapping[str, str | Omit]
    custom_query: Mapping[str, object]
    webhook_secret: str | None
    websocket_base_url: str | None
    workload_identity: Mapping[str, Any] | None = None
    x509: bool = False
    """An X.509 workload identity: requests are held to the API origin (`auth/_policy.py`)."""
    base_url_was_default: bool = False
    # AsyncOpenAI's, or OpenAI's: what `X-Stainless-Async` says (the official SDK's
    # `async:asyncio` / `async:trio`, or `false`).
    is_async: bool = True
    headers: HeaderBlock = field(init=False)
    # The headers of a request, precomputed per client: [without a body (GET), with one],
    # on asyncio (and for the sync client) and on trio. See `base_headers`.
    blocks: tuple[HeaderBlock, HeaderBlock] = field(init=False, repr=False)
    trio_blocks: tuple[HeaderBlock, HeaderBlock] = field(init=False, repr=False)
    # Those with an operation's fixed headers over them, made on first use (`base_headers`).
    with_fixed: dict[tuple[tuple[tuple[str, str], ...], bool, bool], HeaderBlock] = field(
        init=False, repr=False, compare=False
    )
    # `X-Stainless-Read-Timeout` for a call without its own timeout (None: not sent).
    read_timeout_header: str | None = field(init=False)
    read_timeout_wanted: bool = field(init=False)
    auth: bool = field(init=False)
    auth_header: str = field(
        init=False
    )  # the key's header, lower-case: "authorization", or Azure's "api-key"
    retry_count_header: bool = field(init=False)
    query_string: str = field(init=False)

    def __post_init__(self) -> None:
        global _PLATFORM_HEADERS
        if _PLATFORM_HEADERS is None:
            _PLATFORM_HEADERS = _platform_headers()
        base = [
            ("Accept", "application/json"),
            ("Content-Type", "application/json"),
            ("Accept-Encoding", "gzip, deflate"),
            # This package's own name and version (here and in X-Stainless-Package-Version),
            # not the official SDK's: the server sees which client sent the request.
            ("User-Agent", f"openai-actors/{__version__} (Python)"),
            *_PLATFORM_HEADERS,
            ("X-Stainless-Async", "async:asyncio" if self.is_async else "false"),
        ]
        if self.organization is not None:
            base.append(("OpenAI-Organization", self.organization))
        if self.project is not None:
            base.append(("OpenAI-Project", self.project))
        names = {name.lower() for name, _ in self.custom_headers.items()}
        blocks = _blocks(base, self.custom_headers)
        object.__setattr__(self, "blocks", blocks)
        object.__setattr__(self, "with_fixed", {})
        object.__setattr__(self, "headers", blocks[1])
        trio = [
            (name, "async:trio") if name == "X-Stainless-Async" else (name, value) for name, value in base
        ]
        object.__setattr__(
            self, "trio_blocks", _blocks(trio, self.custom_headers) if self.is_async else blocks
        )
        # A caller who sets or omits the key's header themselves gets exactly that.
        auth_header = self.keys.header.lower() if self.keys is not None else "authorization"
        object.__setattr__(self, "auth_header", auth_header)
        object.__setattr__(self, "auth", self.keys is not None and auth_header not in names)
        object.__setattr__(self, "retry_count_header", "x-stainless-retry-count" not in names)
        # Set or omitted in default_headers: never computed, whatever the request's timeout.
        wanted = "x-stainless-read-timeout" not in names
        object.__setattr__(self, "read_timeout_wanted", wanted)
        read_timeout = read_timeout_header(self.timeout_option, self.timeout) if wanted else None
        object.__setattr__(self, "read_timeout_header", read_timeout)
        object.__setattr__(self, "query_string", encode_query(self.custom_query))

    def base_headers(
        self, method: str, fixed: tuple[tuple[str, str], ...] = (), *, body: bool = False
    ) -> HeaderBlock:
        """The client's headers for a request, chosen among the precomputed ones.

        As the official SDK: a GET has no Content-Type (but one given a body,
        which that SDK would not send, keeps it), and an async client's
        `X-Stainless-Async` names the backend it is called from (asyncio, else
        trio). An operation's `fixed` headers go over them, merged on first use
        and kept (there are a handful: the betas of a few resources).
        """
        trio = self.is_async and asyncio._get_running_loop() is None
        blocks = self.trio_blocks if trio else self.blocks
        get = method == "GET" and not body
        block = blocks[0] if get else blocks[1]
        if not fixed:
            return block
        key = (fixed, get, trio)
        merged = self.with_fixed.get(key)
        if merged is None:
            merged = self.with_fixed[key] = HeaderBlock(tuple(merge_headers(block.pairs, dict(fixed))))
        return merged

    def __repr__(self) -> str:
        return f"ClientOptions(base_url={self.base_url!r}, max_retries={self.max_retries}, timeout={self.timeout})"

    def replace(self, **changes: Any) -> ClientOptions:
        return replace(self, **changes)


def resolve(
    *,
    api_key: str | KeyProvider | None,
    organization: str | None,
    project: str | None,
    base_url: object,
    timeout: object,
    max_retries: object,
    default_headers: Mapping[str, str | Omit] | None,
    default_query: Mapping[str, object] | None,
    webhook_secret: str | None,
    websocket_base_url: object,
    data_residency: object = None,
    api_key_refresh_interval: float = DEFAULT_REFRESH_INTERVAL,
    default_timeout: Timeouts = DEFAULT_TIMEOUT,
    key_scheme: KeyScheme = BEARER_API_KEY,
    workload_identity: Mapping[str, Any] | None = None,
    is_async: bool = True,
) -> ClientOptions:
    """Options as the constructor received them, with the environment filling the gaps.

    `key_scheme` says how the key is sent; the Azure clients pass their own,
    with a credential they have already chosen (OPENAI_API_KEY is then not read).
    A `workload_identity` takes the key's place: its token exchange is the key source.
    """
    # First, as the official client checks it: before the key, and before OPENAI_BASE_URL.
    base_url = data_residency_base_url(data_residency, base_url, websocket_base_url)
    if workload_identity is not None:
        return _with_workload_identity(
            workload_identity,
            api_key=api_key,
            organization=organization,
            project=project,
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
            default_headers=default_headers,
            default_query=default_query,
            webhook_secret=webhook_secret,
            websocket_base_url=websocket_base_url,
            default_timeout=default_timeout,
            key_scheme=key_scheme,
            is_async=is_async,
        )
    if api_key is None:
        api_key = os.environ.get("OPENAI_API_KEY")
    if api_key is None or api_key == "":
        raise OpenAIError(
            "The api_key client option must be set either by passing api_key to the client "
            "or by setting the OPENAI_API_KEY environment variable"
        )
    if not isinstance(api_key, str) and not callable(api_key):
        raise TypeError(f"api_key must be a str or a callable returning one, not {type(api_key).__name__}")
    if isinstance(api_key_refresh_interval, bool) or not isinstance(api_key_refresh_interval, int | float):
        raise TypeError("api_key_refresh_interval must be a number of seconds")
    if not api_key_refresh_interval > 0:
        raise ValueError(
            f"api_key_refresh_interval must be more than zero seconds, not {api_key_refresh_interval}"
        )
    keys = KeySource(api_key, float(api_key_refresh_interval), scheme=key_scheme)
    organization = _optional_str("organization", organization, "OPENAI_ORG_ID")
    project = _optional_str("project", project, "OPENAI_PROJECT_ID")
    webhook_secret = _optional_str("webhook_secret", webhook_secret, "OPENAI_WEBHOOK_SECRET")
    was_default = False
    if base_url is None or isinstance(base_url, NotGiven):
        base_url = os.environ.get("OPENAI_BASE_URL")
        was_default = not base_url
        base_url = base_url or DEFAULT_BASE_URL
    url, origin, base_path = parse_base_url(base_url)
    timeouts = default_timeout if isinstance(timeout, NotGiven) else parse_timeout(timeout)
    return ClientOptions(
        keys=keys,
        api_key=api_key if isinstance(api_key, str) else "",
        organization=organization,
        project=project,
        base_url=url,
        origin=origin,
        base_path=base_path,
        timeout=timeouts,
        timeout_option=timeout,
        max_retries=check_max_retries(max_retries),
        custom_headers=_mapping("default_headers", default_headers),
        custom_query=_mapping("default_query", default_query),
        webhook_secret=webhook_secret,
        websocket_base_url=None if websocket_base_url is None else str(websocket_base_url),
        base_url_was_default=was_default,
        is_async=is_async,
    )


# The official SDK's `api_key` while a workload identity is in use; passing it back is no conflict.
WORKLOAD_IDENTITY_API_KEY_PLACEHOLDER: Final = "workload-identity-auth"


def _with_workload_identity(
    identity: Mapping[str, Any],
    *,
    api_key: str | KeyProvider | None,
    base_url: object,
    max_retries: object,
    key_scheme: KeyScheme,
    **rest: Any,
) -> ClientOptions:
    """The options of a client whose key is a workload identity's exchanged token (OPENAI_API_KEY unread)."""
    from .auth._exchange import TokenExchange
    from .auth._policy import MTLS_API_BASE_URL, check_x509_base_url

    if api_key is not None and api_key != WORKLOAD_IDENTITY_API_KEY_PLACEHOLDER:
        raise OpenAIError("The `api_key` and `workload_identity` arguments are mutually exclusive")
    retries = check_max_retries(max_retries)
    exchange = TokenExchange(identity, max_retries=retries)
    if exchange.x509:
        identity = dict(identity)  # as the official SDK: changing the caller's dict later changes nothing
    if base_url is None or isinstance(base_url, NotGiven):
        base_url = os.environ.get("OPENAI_BASE_URL")
    was_default = base_url is None
    if base_url is None:
        base_url = MTLS_API_BASE_URL if exchange.x509 else DEFAULT_BASE_URL
    if exchange.x509:
        parts = urlsplit(str(base_url).strip())
        check_x509_base_url(parts.scheme, parts.username is not None or parts.password is not None)
    options = resolve(
        api_key=WORKLOAD_IDENTITY_API_KEY_PLACEHOLDER,
        base_url=base_url,
        max_retries=retries,
        key_scheme=key_scheme,
        **rest,
    )
    return options.replace(
        keys=KeySource(exchange, scheme=key_scheme),
        workload_identity=identity,
        x509=exchange.x509,
        base_url_was_default=was_default,
    )


def _optional_str(option: str, value: object, env: str) -> str | None:
    if value is None:
        value = os.environ.get(env)
    if value is not None and not isinstance(value, str):
        raise TypeError(f"{option} must be a str, not {type(value).__name__}")
    if value is not None and option != "webhook_secret":
        check_header(option, value)
    return value


def _mapping(option: str, value: object) -> Mapping[Any, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise TypeError(f"{option} must be a mapping, not {type(value).__name__}")
    return dict(value)
