"""The API key, owned by the dispatcher: cached, refreshed, fetched once at a time.

A string key is used as is. A callable (sync, or async for `AsyncOpenAI`) is
called on first use and its answer cached; it is called again when the cached
key is older than `refresh_interval`, or when the server rejected the key with
a 401. However many requests need a fresh key at the same moment, the callable
runs once: the first asker starts a fetch in the dispatcher's own task group
(so a cancelled caller cannot abort it for the others) and everyone waits for
that fetch's outcome. A sync callable runs in a worker thread, so a slow vault
lookup never blocks the event loop.

A `Leases` object (a workload identity's token exchange, `auth/_exchange.py`)
is a third kind of source: each fetch gives a key and how long it may be
used (a token's life less a margin), instead of `refresh_interval`; a failed
fetch's OpenAIError (an `OAuthError`, say) reaches every waiting caller as
itself, each raising its own copy.

How the key is sent is its `KeyScheme`: OpenAI's `Authorization: Bearer <key>`,
or Azure's `api-key: <key>` and `Authorization: Bearer <Entra ID token>`; the
scheme also names the option the key came from, for error messages.

Nothing here ever puts the key in a message, a repr or a log line.
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

import anyio
import anyio.abc

from ._exceptions import KeyProviderError, OpenAIError
from ._http11 import check_header

if TYPE_CHECKING:
    from ._transport import Transport

__all__ = [
    "BEARER_API_KEY",
    "DEFAULT_REFRESH_INTERVAL",
    "KeyProvider",
    "KeyScheme",
    "KeySource",
    "KeyUnavailable",
    "Lease",
    "Leases",
]

DEFAULT_REFRESH_INTERVAL: Final = 300.0

KeyProvider = Callable[[], str] | Callable[[], Awaitable[str]]


@dataclass(frozen=True, slots=True)
class KeyScheme:
    """How a key is sent (`header: prefix + key`), and how messages name where it came from.

    `option` names a string key's option ("the api_key option is empty"),
    `provider` a callable's ("the api_key provider get_key() failed"), `noun`
    what it returns ("the key returned by ...").
    """

    option: str
    provider: str
    noun: str = "key"
    header: str = "Authorization"
    prefix: str = "Bearer "


BEARER_API_KEY: Final = KeyScheme("api_key", "api_key provider")


@dataclass(frozen=True, slots=True, repr=False)
class Lease:
    """A key and how many seconds from now it may be used."""

    key: str
    valid_for: float

    def __repr__(self) -> str:
        return f"<Lease valid_for={self.valid_for}>"


class Leases:
    """A source of leased keys (a token exchange), run in the dispatcher's loop."""

    name = "leases"

    def attach(self, transport: Transport) -> None:
        """The dispatcher's transport, which the fetch may send through (set once, at client creation)."""

    async def lease(self) -> Lease:
        """A fresh key; raises an OpenAIError that the waiting callers see as it is."""
        raise NotImplementedError


class KeyUnavailable(Exception):
    """Raised to one waiting caller when a `Leases` fetch failed: `error` is that caller's own copy."""

    def __init__(self, error: OpenAIError) -> None:
        super().__init__(error)
        self.error = error


def _copy_of(error: OpenAIError) -> OpenAIError:
    """A new exception with `error`'s type, arguments and attributes: one per caller that raises it."""
    copy = type(error).__new__(type(error), *error.args)
    copy.args = error.args
    copy.__dict__.update(error.__dict__)
    copy.__cause__ = error.__cause__
    copy.__suppress_context__ = error.__suppress_context__
    return copy


def _provider_name(provider: KeyProvider | Leases) -> str:
    if isinstance(provider, Leases):
        return provider.name
    name = getattr(provider, "__qualname__", None) or type(provider).__qualname__
    return f"{name}()"


def check_key(key: object, what: str) -> str:
    """The key as a str fit for an Authorization header, or KeyProviderError saying why not.

    `what` names where the key came from, e.g. "the key returned by get_key()".
    """
    if not isinstance(key, str):
        raise KeyProviderError(f"{what} is a {type(key).__name__}, not a str")
    if not key:
        raise KeyProviderError(f"{what} is empty")
    try:
        check_header("Authorization", key, secret=True)
    except ValueError:
        position = next(i for i, c in enumerate(key) if c in "\r\n\x00" or ord(c) > 0xFF)
        raise KeyProviderError(
            f"{what} cannot be sent in an HTTP header: it has a forbidden character at position {position}"
        ) from None
    return key


class _Fetch:
    """One run of the provider; everyone who needs the key meanwhile waits on it."""

    __slots__ = ("done", "error", "key")

    def __init__(self) -> None:
        self.done = anyio.Event()
        self.key: str | None = None
        self.error: BaseException | None = None


class KeySource:
    """Where a client's key comes from. Shared by clients made with `with_options`."""

    __slots__ = (
        "_clock",
        "_fetch",
        "_key",
        "_provider",
        "_valid_until",
        "header",
        "prefix",
        "refresh_interval",
        "scheme",
        "static",
    )

    def __init__(
        self,
        key: str | KeyProvider | Leases,
        refresh_interval: float = DEFAULT_REFRESH_INTERVAL,
        clock: Callable[[], float] = time.monotonic,
        scheme: KeyScheme = BEARER_API_KEY,
    ) -> None:
        self.refresh_interval = refresh_interval
        self.scheme = scheme
        # Copied out of the scheme: read for every request (`Call.wire`).
        self.header = scheme.header
        self.prefix = scheme.prefix
        self._clock = clock
        self._fetch: _Fetch | None = None
        self._valid_until = -float("inf")
        if isinstance(key, str):
            self.static = True
            self._key: str | None = check_key(key, f"the {scheme.option} option")
            self._provider: KeyProvider | Leases | None = None
        else:
            self.static = False
            self._key = None
            self._provider = key

    @property
    def provider_name(self) -> str:
        return "a string" if self._provider is None else _provider_name(self._provider)

    @property
    def provider(self) -> str | KeyProvider | Leases:
        """What the key came from, as it was given: the string, or the callable."""
        if self._provider is not None:
            return self._provider
        assert self._key is not None
        return self._key

    def __repr__(self) -> str:
        return f"<KeySource {self.scheme.option}: {self.provider_name}>"

    def cached(self) -> str | None:
        """The key, if it can be used without fetching: the fast path of every request."""
        key = self._key
        if key is not None and (self.static or self._clock() < self._valid_until):
            return key
        return None

    async def get(self, task_group: anyio.abc.TaskGroup) -> str:
        key = self.cached()
        if key is not None:
            return key
        return await self._wait_for_fetch(task_group)

    def attach(self, transport: Transport) -> None:
        """The dispatcher's transport, for a source that fetches over the network (a token exchange)."""
        if isinstance(self._provider, Leases):
            self._provider.attach(transport)

    @property
    def refreshable(self) -> bool:
        """Whether a rejected key can be replaced by fetching again (a callable key)."""
        return self._provider is not None

    def invalidate(self, rejected: str) -> bool:
        """Forget `rejected` after a 401; False if there is nothing to refresh.

        If the key has already moved on (another request saw the 401 first and a
        new key came), the next `get` simply returns that new key.
        """
        if self._provider is None:
            return False
        if self._key == rejected:
            self._key = None
        return True

    async def _wait_for_fetch(self, task_group: anyio.abc.TaskGroup) -> str:
        fetch = self._fetch
        if fetch is None:
            fetch = self._fetch = _Fetch()
            try:
                task_group.start_soon(self._run_fetch, fetch)
            except BaseException:
                self._fetch = None  # no fetch is running: the next caller must start one, not wait
                raise
        await fetch.done.wait()
        error = fetch.error
        if isinstance(self._provider, Leases) and isinstance(error, OpenAIError):
            raise KeyUnavailable(_copy_of(error))
        if isinstance(error, KeyProviderError):
            raise KeyProviderError(str(error))  # a fresh one per caller: tracebacks are per raise
        if error is not None:
            raise KeyProviderError(
                f"the {self.scheme.provider} {self.provider_name} failed: {type(error).__name__}: {error}"
            ) from error
        assert fetch.key is not None
        return fetch.key

    async def _run_fetch(self, fetch: _Fetch) -> None:
        provider = self._provider
        assert provider is not None
        try:
            valid_for = self.refresh_interval
            if isinstance(provider, Leases):
                lease = await provider.lease()
                valid_for = lease.valid_for
                key = check_key(lease.key, f"the {self.scheme.noun} from {provider.name}")
            elif inspect.iscoroutinefunction(provider) or inspect.iscoroutinefunction(
                getattr(provider, "__call__", None)  # noqa: B004 - async callable objects
            ):
                value: object = await provider()  # type: ignore[misc]
                key = check_key(
                    value,
                    f"the {self.scheme.noun} returned by the {self.scheme.provider} {self.provider_name}",
                )
            else:
                # abandon_on_cancel: a hung vault lookup must not keep close() waiting.
                value = await anyio.to_thread.run_sync(provider, abandon_on_cancel=True)
                if inspect.isawaitable(value):
                    value = await value
                key = check_key(
                    value,
                    f"the {self.scheme.noun} returned by the {self.scheme.provider} {self.provider_name}",
                )
        except BaseException as exc:
            fetch.error = exc
            if not isinstance(exc, Exception):
                raise
        else:
            fetch.key = self._key = key
            self._valid_until = self._clock() + valid_for
        finally:
            # A failed fetch is not cached: the next request asks the provider again.
            self._fetch = None
            fetch.done.set()
