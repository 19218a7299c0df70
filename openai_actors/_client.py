"""`AsyncOpenAI` and `OpenAI`: the official SDK's client surface over one dispatcher.

Both classes take the same options and share everything but how a request is
waited for: `AsyncOpenAI` submits its calls to a dispatcher in the caller's own
event loop; `OpenAI` submits them, through a blocking portal, to a dispatcher
running on a daemon thread, so any number of threads share one dispatcher and
its connections. Building the request and decoding the answer happen in the
caller (task or thread); the dispatcher only moves bytes, keys and retries.

`with_options()` copies a client and shares its dispatcher (`Core`): no new
connections, no new thread. The dispatcher stops when `close()` is called on
any of them, or when the last of them is garbage-collected.
"""

from __future__ import annotations

import contextlib
import functools
import sys
import time
import weakref
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from ._call import CallState, StreamBody
from ._core import Core, call_in_loop
from ._dispatcher import Dispatcher
from ._exceptions import ClientClosedError
from ._generated_resources import AsyncResources, SyncResources
from ._keys import BEARER_API_KEY, DEFAULT_REFRESH_INTERVAL, KeyProvider, KeyScheme, Leases
from ._lazy import LazyResource
from ._options import DEFAULT_MAX_CONNECTIONS, DEFAULT_MAX_RETRIES, ClientOptions, resolve
from ._pacing import Limit, Pacer
from ._portal import PortalFuture, PortalThread
from ._ratelimit import Counters, RateLimit, Stats
from ._raw import APIResponse, AsyncAPIResponse, LegacyAPIResponse, response_mode
from ._request import build_call
from ._response import (
    BinaryContent,
    binary_content,
    check_outcome,
    decode_json,
    no_content,
    parse_object,
    text_content,
)
from ._shared_leases import LeaseBook
from ._streaming import AsyncStream, Stream
from ._tokens import estimate_tokens
from ._transport import HttpxTransport, RawResponse, Transport
from ._types import NOT_GIVEN, NotGiven, Omit

if TYPE_CHECKING:
    from collections.abc import AsyncIterable, Iterable

    import httpx
    import httpx2

    from . import DataResidency
    from ._batch import AsyncBatchResults, BatchResults
    from ._call import Call
    from ._models import BaseModel
    from .auth import WorkloadIdentity, X509WorkloadIdentity

__all__ = ["AsyncOpenAI", "OpenAI", "RequestOptions"]

T = TypeVar("T")
M = TypeVar("M", bound="BaseModel")
R = TypeVar("R")
_Self = TypeVar("_Self", bound="_ClientBase")

# The official SDK's per-request options dict, for the generic get/post/... methods.
RequestOptions = Mapping[str, Any]
_REQUEST_OPTION_KEYS = frozenset(
    {"headers", "params", "extra_json", "timeout", "max_retries", "follow_redirects"}
)


class _Owner:
    """Held by every client that shares a Core; when the last one goes, the Core stops."""

    __slots__ = ("__weakref__",)


def _native_or_httpx(http_client: object, *, allow_sync: bool, connections: int) -> Transport:
    if http_client is None:
        from ._connection import NativeTransport
        from ._proxies import ProxyRules, RoutingTransport

        rules = ProxyRules.from_environment()
        if rules.proxies:
            # The native transport does not speak to proxies: each origin a
            # request goes to is routed, native or through httpx and its proxy,
            # as the official SDK's client would send it.
            return RoutingTransport(rules, sync=allow_sync)
        return NativeTransport(sync=allow_sync)
    # httpx or httpx2 (the same API): whichever the user's client comes from is
    # already imported, so neither is imported here just to look.
    for name in ("httpx", "httpx2"):
        httpx = sys.modules.get(name)
        if httpx is None:
            continue
        if isinstance(http_client, httpx.AsyncClient):
            return HttpxTransport(http_client, httpx=httpx)
        if allow_sync and isinstance(http_client, httpx.Client):
            # One worker thread per connection the dispatcher may use.
            return HttpxTransport(http_client, threads=connections, httpx=httpx)
    wanted = (
        "an httpx.Client or httpx.AsyncClient (or httpx2's)"
        if allow_sync
        else "an httpx.AsyncClient (or httpx2's)"
    )
    raise TypeError(f"http_client must be {wanted}, not {type(http_client).__name__}")


class _ClientBase:
    _options: ClientOptions
    _core: Core
    _owner: _Owner

    def __init__(
        self,
        *,
        api_key: str | KeyProvider | None = None,
        workload_identity: WorkloadIdentity | X509WorkloadIdentity | None = None,
        organization: str | None = None,
        project: str | None = None,
        webhook_secret: str | None = None,
        base_url: str | httpx.URL | NotGiven | None = NOT_GIVEN,
        data_residency: DataResidency | None = None,
        websocket_base_url: str | httpx.URL | None = None,
        timeout: float | httpx.Timeout | NotGiven | None = NOT_GIVEN,
        max_retries: int = DEFAULT_MAX_RETRIES,
        default_headers: Mapping[str, str | Omit] | None = None,
        default_query: Mapping[str, object] | None = None,
        http_client: httpx.AsyncClient | httpx.Client | httpx2.AsyncClient | httpx2.Client | None = None,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
        api_key_refresh_interval: float = DEFAULT_REFRESH_INTERVAL,
        rate_limit: RateLimit | NotGiven | None = NOT_GIVEN,
        _strict_response_validation: bool = False,
        _key_scheme: KeyScheme = BEARER_API_KEY,
    ) -> None:
        default_timeout = None
        if isinstance(timeout, NotGiven) and http_client is not None:
            default_timeout = _timeout_of(http_client)
        self._options = resolve(
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
            data_residency=data_residency,
            api_key_refresh_interval=api_key_refresh_interval,
            key_scheme=_key_scheme,
            workload_identity=workload_identity,
            is_async=self._is_async,
            **({"default_timeout": default_timeout} if default_timeout is not None else {}),
        )
        self._attach(
            http_client, max_connections, RateLimit() if isinstance(rate_limit, NotGiven) else rate_limit
        )

    def _attach(self, http_client: object, max_connections: int, rate_limit: RateLimit | None) -> None:
        """Give this client its own dispatcher (Core): transport, pacer, counters."""
        if isinstance(max_connections, bool) or not isinstance(max_connections, int) or max_connections < 1:
            raise ValueError(f"max_connections must be a positive int, not {max_connections!r}")
        if rate_limit is not None and not isinstance(rate_limit, RateLimit):
            raise TypeError(
                f"rate_limit must be an openai_actors.RateLimit or None, not {type(rate_limit).__name__}"
            )
        transport = _native_or_httpx(
            http_client,
            allow_sync=self._allows_sync_http_client,
            connections=max_connections,
        )
        x509 = self._options.x509
        if x509 and isinstance(transport, HttpxTransport):
            transport.follow_redirects = False  # the token is bound to the API origin
        if self._options.keys is not None:
            self._options.keys.attach(transport)  # a token exchange sends through it
        pacer = None
        if rate_limit is not None:
            pacer = Pacer(
                requests_per_minute=rate_limit.requests_per_minute,
                tokens_per_minute=rate_limit.tokens_per_minute,
                window=rate_limit.window,
                learn=rate_limit.learn,
            )
        shared = rate_limit.shared if rate_limit is not None else None
        book = None
        if shared is not None and pacer is not None:
            book = LeaseBook(pacer, on_unreachable=shared.on_unreachable)
        counters = Counters()
        self._core = Core(
            functools.partial(
                Dispatcher,
                transport,
                max_connections=max_connections,
                follow_redirects=not transport.follows_redirects and not x509,
                pacer=pacer,
                max_in_flight=None if rate_limit is None else rate_limit.max_in_flight,
                counters=counters,
                shared=shared,
                book=book,
            ),
            transport,
        )
        self._pacer = pacer
        self._book = book
        self._counters = counters
        self._rate_limit = rate_limit
        self._owner = _Owner()
        self._http_client = http_client
        self._transport = transport
        self._max_connections = max_connections
        weakref.finalize(self._owner, self._core.release)
        self._after_init()

    _allows_sync_http_client = False
    # Whose X-Stainless-Async the requests send: the caller's backend's, or "false" (OpenAI).
    _is_async = True

    def _after_init(self) -> None:
        pass

    def _after_copy(self) -> None:
        pass

    def _result(
        self,
        call: Call,
        head: RawResponse | StreamBody,
        cast: Callable[[dict[str, Any]], Any] | None,
        stream_item: Callable[[Any], Any] | None,
    ) -> Any:
        """The caller's result: a stream of `stream_item`s, or the whole body as `cast` builds it."""
        if isinstance(head, StreamBody):
            assert stream_item is not None
            return self._stream(call, head, stream_item)
        return _whole(call, head, cast)

    def _stream(self, call: Call, body: StreamBody, item: Callable[[Any], Any]) -> Any:
        raise NotImplementedError

    # -- options, as attributes the official SDK has ------------------------------

    @property
    def api_key(self) -> str:
        return self._options.api_key

    @property
    def workload_identity(self) -> WorkloadIdentity | X509WorkloadIdentity | None:
        return self._options.workload_identity  # type: ignore[return-value]

    @property
    def organization(self) -> str | None:
        return self._options.organization

    @property
    def project(self) -> str | None:
        return self._options.project

    @property
    def webhook_secret(self) -> str | None:
        return self._options.webhook_secret

    @property
    def websocket_base_url(self) -> str | None:
        return self._options.websocket_base_url

    @property
    def base_url(self) -> str:
        return self._options.base_url

    @property
    def timeout(self) -> Any:
        return (
            self._options.timeout_option
            if not isinstance(self._options.timeout_option, NotGiven)
            else self._options.timeout
        )

    @property
    def max_retries(self) -> int:
        return self._options.max_retries

    @property
    def default_headers(self) -> dict[str, str]:
        return dict(self._options.headers.pairs)

    @property
    def default_query(self) -> dict[str, object]:
        return dict(self._options.custom_query)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} base_url={self.base_url!r}{' closed' if self.is_closed() else ''}>"

    def is_closed(self) -> bool:
        return self._core.closed

    # -- copies that share the dispatcher ----------------------------------------

    def copy(
        self: _Self,
        *,
        api_key: str | KeyProvider | None = None,
        workload_identity: WorkloadIdentity | X509WorkloadIdentity | None = None,
        organization: str | None = None,
        project: str | None = None,
        webhook_secret: str | None = None,
        websocket_base_url: str | httpx.URL | None = None,
        base_url: str | httpx.URL | NotGiven | None = NOT_GIVEN,
        data_residency: DataResidency | None = None,
        timeout: float | httpx.Timeout | NotGiven | None = NOT_GIVEN,
        http_client: httpx.AsyncClient | httpx.Client | httpx2.AsyncClient | httpx2.Client | None = None,
        max_retries: int | NotGiven = NOT_GIVEN,
        default_headers: Mapping[str, str | Omit] | None = None,
        set_default_headers: Mapping[str, str | Omit] | None = None,
        default_query: Mapping[str, object] | None = None,
        set_default_query: Mapping[str, object] | None = None,
        _key_scheme: KeyScheme | None = None,
    ) -> _Self:
        """A client with some options changed; it shares this one's dispatcher and connections.

        Passing `http_client` is the exception: a different HTTP client means a
        different dispatcher, as it would mean a different client in the official SDK.
        `data_residency` replaces the inherited base URL and drops the inherited
        `websocket_base_url`; it cannot be given with either.
        """
        if default_headers is not None and set_default_headers is not None:
            raise ValueError("the default_headers and set_default_headers arguments are mutually exclusive")
        if default_query is not None and set_default_query is not None:
            raise ValueError("the default_query and set_default_query arguments are mutually exclusive")
        options = self._options
        headers = dict(options.custom_headers)
        if default_headers is not None:
            headers.update(default_headers)
        if set_default_headers is not None:
            headers = dict(set_default_headers)
        query = dict(options.custom_query)
        if default_query is not None:
            query.update(default_query)
        if set_default_query is not None:
            query = dict(set_default_query)
        # As the official SDK: an api_key alone drops the workload identity, and a
        # copy that switches between X.509 and not re-defaults a default base URL.
        identity = workload_identity if workload_identity is not None else options.workload_identity
        if api_key is not None and workload_identity is None:
            identity = None
        key = api_key if api_key is not None or identity is not None else _key_of(options)
        mode_changed = options.x509 != (identity is not None and identity.get("type") == "x509")
        base: object
        websocket: object
        if data_residency is None:
            inherited: object = options.base_url
            if options.base_url_was_default and (mode_changed or identity is not None):
                inherited = NOT_GIVEN
            base = inherited if base_url is None or isinstance(base_url, NotGiven) else base_url
            websocket = websocket_base_url if websocket_base_url is not None else options.websocket_base_url
        else:
            # Nothing inherited: resolve() refuses what was given with the region.
            base, websocket = base_url, websocket_base_url
        new_options = resolve(
            api_key=key,
            workload_identity=identity,
            organization=organization if organization is not None else options.organization,
            project=project if project is not None else options.project,
            base_url=base,
            timeout=timeout if not isinstance(timeout, NotGiven) else options.timeout_option,
            max_retries=max_retries if not isinstance(max_retries, NotGiven) else options.max_retries,
            default_headers=headers,
            default_query=query,
            webhook_secret=webhook_secret if webhook_secret is not None else options.webhook_secret,
            websocket_base_url=websocket,
            data_residency=data_residency,
            api_key_refresh_interval=options.keys.refresh_interval
            if options.keys
            else DEFAULT_REFRESH_INTERVAL,
            default_timeout=options.timeout,
            key_scheme=_key_scheme or _scheme_of(options),
            is_async=options.is_async,
        )
        if api_key is None and workload_identity is None and options.keys is not None and http_client is None:
            # Same dispatcher, same key source: a fetched key is not fetched again
            # for the copy. (A copy with its own http_client gets its own
            # dispatcher, and a key source belongs to one dispatcher's loop.)
            new_options = new_options.replace(keys=options.keys)
        if http_client is not None:
            return type(self)._from_options(new_options, http_client, self._max_connections, self._rate_limit)
        clone = object.__new__(type(self))
        clone.__dict__.update(
            {
                k: v
                for k, v in self.__dict__.items()
                if not isinstance(getattr(type(self), k, None), LazyResource)
            }
        )
        clone._options = new_options
        if new_options.keys is not options.keys and new_options.keys is not None:
            new_options.keys.attach(self._transport)  # a new workload identity, on the shared dispatcher
        clone._after_copy()
        return clone

    with_options = copy

    @classmethod
    def _from_options(
        cls: type[_Self],
        options: ClientOptions,
        http_client: Any,
        max_connections: int,
        rate_limit: RateLimit | None,
    ) -> _Self:
        client = object.__new__(cls)
        client._options = options
        client._attach(http_client, max_connections, rate_limit)
        return client

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
        """A call from the per-request options in either spelling (official `options={}` or extra_*).

        `fields` are the parameters of a body already encoded (a multipart
        form): unused here; a client that routes by them (Azure, by `model`) reads them.
        """
        kwargs: dict[str, Any] = {}
        if options:
            unknown = set(options) - _REQUEST_OPTION_KEYS
            if unknown:
                raise TypeError(f"unknown request option(s): {', '.join(sorted(unknown))}")
            for src, dst in (
                ("headers", "extra_headers"),
                ("params", "extra_query"),
                ("extra_json", "extra_body"),
            ):
                if src in options:
                    kwargs[dst] = options[src]
            for name in ("timeout", "max_retries", "follow_redirects"):
                if name in options:
                    kwargs[name] = options[name]
        if extra:
            for name, value in extra.items():
                if isinstance(value, NotGiven):
                    continue
                # timeout=None means "no timeout", not "the default"; for the
                # extra_* mappings None means "none given".
                if value is not None or name in ("timeout", "max_retries"):
                    kwargs[name] = value
        call = build_call(self._options, method, path, body=body, query=query, content=content, **kwargs)
        if self._options.x509:
            from .auth._policy import check_x509_request

            base = self._options.origin
            check_x509_request(
                (call.origin.scheme, call.origin.host, call.origin.port),
                (base.scheme, base.host, base.port),
                call.headers.names,
                call.auth,
            )
        if self._pacer is not None and method == "POST" and isinstance(body, Mapping):
            counter = self._rate_limit.token_counter if self._rate_limit is not None else None
            call.cost = estimate_tokens(path, body, counter)
        return call

    def stats(self) -> Stats:
        """A snapshot of the dispatcher's counters and the limits in force (see `Stats`)."""
        counters = self._counters
        dispatcher = self._core.dispatcher
        pacer = self._pacer
        unknown = Limit(None, None)
        paused_for, pause_cause = dispatcher.paused() if dispatcher is not None else (0.0, None)
        return Stats(
            submitted=counters.submitted,
            waiting=dispatcher.waiting() if dispatcher is not None and not dispatcher.closed else 0,
            in_flight=counters.in_flight,
            completed=counters.completed,
            failed=counters.failed,
            retries_scheduled=counters.retries_scheduled,
            rate_limited=counters.rate_limited,
            tokens_reserved=counters.tokens_reserved,
            tokens_used=counters.tokens_used,
            requests_per_minute=pacer.limit_requests() if pacer is not None else unknown,
            tokens_per_minute=pacer.limit_tokens() if pacer is not None else unknown,
            max_in_flight=self._rate_limit.max_in_flight if self._rate_limit is not None else None,
            paused_for=paused_for,
            pause_cause=pause_cause,
        )


def _scheme_of(options: ClientOptions) -> KeyScheme:
    keys = options.keys
    assert keys is not None
    return keys.scheme


def _key_of(options: ClientOptions) -> str | KeyProvider:
    keys = options.keys
    assert keys is not None
    provider = keys.provider
    assert not isinstance(provider, Leases)  # a workload identity is copied as itself
    return provider


def _timeout_of(http_client: object) -> Any:
    """The http_client's own timeout, when it is not httpx's 5 s default (as the official SDK does)."""
    from ._options import parse_timeout

    timeout = getattr(http_client, "timeout", None)
    if timeout is None:
        return None
    parsed = parse_timeout(timeout, "http_client.timeout")
    return None if parsed == (5.0, 5.0, 5.0, 5.0) else parsed


def _whole(call: Call, raw: RawResponse, cast: Callable[[dict[str, Any]], Any] | None) -> Any:
    """A whole response body as the caller's result: JSON, `cast` built from it, or as `cast` asks."""
    if cast is None:
        return decode_json(call, raw)
    if cast is no_content:
        return None
    if cast is binary_content:
        return BinaryContent(call, raw)
    if cast is text_content:
        return raw.content.decode("utf-8", errors="replace")
    return parse_object(call, raw, cast)


# ---------------------------------------------------------------------------------


class AsyncOpenAI(_ClientBase, AsyncResources):
    """The asynchronous client: its dispatcher runs in your event loop (asyncio or trio)."""

    def _after_init(self) -> None:
        self._task_group: Any = None

    def _after_copy(self) -> None:
        self._task_group = None  # the block belongs to the client that entered it

    def _execute(self, call: Call) -> Awaitable[None]:
        # Returns submit's coroutine rather than awaiting it: one frame fewer
        # for each request waiting (see bench/README.md, memory).
        return self._core.dispatcher_here().submit(call)

    async def _request(
        self,
        call: Call,
        cast: Callable[[dict[str, Any]], Any] | None = None,
        stream_item: Callable[[Any], Any] | None = None,
    ) -> Any:
        """Run `call`; its result as `cast` builds it, its stream of `stream_item`s, or a raw response."""
        mode = response_mode()
        if mode == "streaming":
            call.stream = True
        call.submitted_at = time.perf_counter()
        await self._execute(call)
        head = check_outcome(call)
        if mode is None:
            return self._result(call, head, cast, stream_item)
        # Not a closure: its variables would be cells, made for every request
        # on entry and held through the whole wait (bench/README.md, "trio").
        parse = functools.partial(self._result, call, cast=cast, stream_item=stream_item)
        if mode == "raw":
            return LegacyAPIResponse(call, head, parse, self._closer(), self._owner)
        if not isinstance(head, StreamBody):  # a 3xx that was not followed: it came whole
            head = StreamBody.complete(call, head)
        return AsyncAPIResponse(call, head, parse, self._closer(), self._owner)

    def _stream(self, call: Call, body: StreamBody, item: Callable[[Any], Any]) -> Any:
        return AsyncStream(call, body, item, self._core.loop, self._owner)

    def _closer(self) -> Callable[[Callable[[], None]], None]:
        """How raw responses close their body from a finalizer: in this client's loop."""
        loop = self._core.loop
        return lambda close: call_in_loop(loop, close)

    # -- generic access to any path ------------------------------------------------

    async def get(
        self,
        path: str,
        *,
        cast_to: type[M] | None = None,
        options: RequestOptions | None = None,
        **extra: Any,
    ) -> Any:
        """GET `path` (relative to base_url) and return its JSON, or `cast_to` built from it."""
        return await self._request(
            self._build("GET", path, options=options, extra=_extra(extra)), _cast(cast_to)
        )

    async def post(
        self,
        path: str,
        *,
        body: object = None,
        cast_to: type[M] | None = None,
        options: RequestOptions | None = None,
        content: Any = None,
        **extra: Any,
    ) -> Any:
        """POST `body` as JSON (or raw `content`) to `path` and return the JSON answer."""
        call = self._build("POST", path, body=body, options=options, extra=_extra(extra), content=content)
        return await self._request(call, _cast(cast_to))

    async def patch(
        self,
        path: str,
        *,
        body: object = None,
        cast_to: type[M] | None = None,
        options: RequestOptions | None = None,
        **extra: Any,
    ) -> Any:
        return await self._request(
            self._build("PATCH", path, body=body, options=options, extra=_extra(extra)), _cast(cast_to)
        )

    async def put(
        self,
        path: str,
        *,
        body: object = None,
        cast_to: type[M] | None = None,
        options: RequestOptions | None = None,
        **extra: Any,
    ) -> Any:
        return await self._request(
            self._build("PUT", path, body=body, options=options, extra=_extra(extra)), _cast(cast_to)
        )

    async def delete(
        self,
        path: str,
        *,
        body: object = None,
        cast_to: type[M] | None = None,
        options: RequestOptions | None = None,
        **extra: Any,
    ) -> Any:
        return await self._request(
            self._build("DELETE", path, body=body, options=options, extra=_extra(extra)), _cast(cast_to)
        )

    def batch(
        self,
        requests: Iterable[Mapping[str, Any]] | AsyncIterable[Mapping[str, Any]],
        *,
        max_in_flight: int | None = None,
        ordered: bool = False,
        reorder_window: int | None = None,
    ) -> AsyncBatchResults:
        """Send Batch API request lines concurrently: `async for` their results (see `_batch.py`)."""
        from ._batch import AsyncBatchResults

        return AsyncBatchResults(
            self, requests, max_in_flight=max_in_flight, ordered=ordered, reorder_window=reorder_window
        )

    # -- life cycle ------------------------------------------------------------------

    async def close(self) -> None:
        """Stop the dispatcher; requests still running fail with ClientClosedError."""
        await self._core.aclose()

    async def __aenter__(self: _A) -> _A:
        import anyio

        if self._core.closed:
            raise ClientClosedError("the client is closed")
        if self._task_group is not None:
            raise RuntimeError("this client is already open in an `async with` block")
        task_group = anyio.create_task_group()
        await task_group.__aenter__()
        try:
            await self._core.start_in(task_group)
        except BaseException:
            # Nothing was started in it; leave it quietly so the caller sees
            # this error itself, not wrapped in an ExceptionGroup.
            task_group.cancel_scope.cancel()
            await task_group.__aexit__(None, None, None)
            raise
        self._task_group = task_group
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        task_group, self._task_group = self._task_group, None
        try:
            await self.close()
        finally:
            if task_group is not None:
                await task_group.__aexit__(*exc_info)


_A = TypeVar("_A", bound=AsyncOpenAI)


def _withdraw_unawaited(call: Call) -> None:
    """In the loop thread: withdraw a call whose caller has gone, and end its submit() if it began."""
    call.abandon()
    if call.done is not None:
        call.done.set()


class OpenAI(_ClientBase, SyncResources):
    """The synchronous client: safe to share between threads, whose requests run concurrently.

    Its dispatcher runs on a daemon thread (started on the first request), and
    each call blocks only its own thread.
    """

    _allows_sync_http_client = True
    _is_async = False

    def _after_init(self) -> None:
        self._portal = PortalThread()
        weakref.finalize(self._owner, self._portal.stop, wait=False)

    async def _submit(self, call: Call) -> None:
        if call.state is CallState.ABANDONED:  # its caller was interrupted before this began
            return
        await self._core.dispatcher_here().submit(call)

    def _execute(self, call: Call) -> None:
        if self._core.closed:
            raise ClientClosedError("the client is closed")
        future: PortalFuture | None = None
        try:
            future = self._portal.start(self._submit, call)
            future.result()
        except BaseException:
            # Ctrl-C (or any other interruption) in this thread: withdraw the
            # request as a cancelled async caller would, freeing its connection
            # (or, if its stream was already delivered, closing that). Cut
            # short inside start(), the request may have been handed over with
            # no future to cancel: then the call is withdrawn by itself.
            if future is not None:
                future.cancel()
            else:
                self._portal.call_soon(functools.partial(_withdraw_unawaited, call))
            if isinstance(call.outcome, StreamBody):
                self._portal.call_soon(call.outcome.close)
            raise

    def _request(
        self,
        call: Call,
        cast: Callable[[dict[str, Any]], Any] | None = None,
        stream_item: Callable[[Any], Any] | None = None,
    ) -> Any:
        """Run `call`; its result as `cast` builds it, its stream of `stream_item`s, or a raw response."""
        mode = response_mode()
        if mode == "streaming":
            call.stream = True
        call.submitted_at = time.perf_counter()
        self._execute(call)
        head = check_outcome(call)
        if mode is None:
            return self._result(call, head, cast, stream_item)
        parse = functools.partial(self._result, call, cast=cast, stream_item=stream_item)  # as in AsyncOpenAI
        if mode == "raw":
            return LegacyAPIResponse(call, head, parse, self._portal.call_soon, self._owner)
        if not isinstance(head, StreamBody):  # a 3xx that was not followed: it came whole
            head = StreamBody.complete(call, head)
        return APIResponse(call, head, parse, self._portal, self._owner)

    def _stream(self, call: Call, body: StreamBody, item: Callable[[Any], Any]) -> Any:
        return Stream(call, body, item, self._portal, self._owner)

    def get(
        self,
        path: str,
        *,
        cast_to: type[M] | None = None,
        options: RequestOptions | None = None,
        **extra: Any,
    ) -> Any:
        """GET `path` (relative to base_url) and return its JSON, or `cast_to` built from it."""
        return self._request(self._build("GET", path, options=options, extra=_extra(extra)), _cast(cast_to))

    def post(
        self,
        path: str,
        *,
        body: object = None,
        cast_to: type[M] | None = None,
        options: RequestOptions | None = None,
        content: Any = None,
        **extra: Any,
    ) -> Any:
        """POST `body` as JSON (or raw `content`) to `path` and return the JSON answer."""
        call = self._build("POST", path, body=body, options=options, extra=_extra(extra), content=content)
        return self._request(call, _cast(cast_to))

    def patch(
        self,
        path: str,
        *,
        body: object = None,
        cast_to: type[M] | None = None,
        options: RequestOptions | None = None,
        **extra: Any,
    ) -> Any:
        return self._request(
            self._build("PATCH", path, body=body, options=options, extra=_extra(extra)), _cast(cast_to)
        )

    def put(
        self,
        path: str,
        *,
        body: object = None,
        cast_to: type[M] | None = None,
        options: RequestOptions | None = None,
        **extra: Any,
    ) -> Any:
        return self._request(
            self._build("PUT", path, body=body, options=options, extra=_extra(extra)), _cast(cast_to)
        )

    def delete(
        self,
        path: str,
        *,
        body: object = None,
        cast_to: type[M] | None = None,
        options: RequestOptions | None = None,
        **extra: Any,
    ) -> Any:
        return self._request(
            self._build("DELETE", path, body=body, options=options, extra=_extra(extra)), _cast(cast_to)
        )

    def batch(
        self,
        requests: Iterable[Mapping[str, Any]],
        *,
        max_in_flight: int | None = None,
        ordered: bool = False,
        reorder_window: int | None = None,
    ) -> BatchResults:
        """Send Batch API request lines concurrently: `for` their results (see `_batch.py`)."""
        from ._batch import BatchResults

        return BatchResults(
            self, requests, max_in_flight=max_in_flight, ordered=ordered, reorder_window=reorder_window
        )

    def close(self) -> None:
        """Stop the dispatcher and its thread; requests still running fail with ClientClosedError."""
        if self._portal.running and not self._core.closed:
            with contextlib.suppress(ClientClosedError):
                self._portal.call(self._core.aclose)
        self._core.closed = True
        self._portal.stop()

    def __enter__(self) -> OpenAI:
        if self._core.closed:
            raise ClientClosedError("the client is closed")
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()


_EXTRA_KEYS = frozenset({"extra_headers", "extra_query", "extra_body", "timeout", "max_retries"})


def _extra(extra: dict[str, Any]) -> dict[str, Any]:
    unknown = set(extra) - _EXTRA_KEYS
    if unknown:
        raise TypeError(f"got an unexpected keyword argument {sorted(unknown)[0]!r}")
    return extra


def _cast(cast_to: type[Any] | None) -> Callable[[dict[str, Any]], Any] | None:
    if cast_to is None or cast_to is object or cast_to is dict:
        return None
    from ._models import BaseModel

    if isinstance(cast_to, type) and issubclass(cast_to, BaseModel):
        return cast_to._from_raw
    raise TypeError(f"cast_to must be a subclass of openai_actors.BaseModel, or None, not {cast_to!r}")
