"""What a generated resource method does, once: check its arguments, build its call, shape its result.

Each generated method is one line that names an `Operation` (a module-level
constant: the route, which parameters go in the path, the query or the body,
how the answer is built) and hands it the caller's keyword arguments. So the
generated files say *what* each endpoint sends and returns, and this module
says *how*, for all of them; a change in how requests are built is made here
and nowhere else.

Checking is what Python would do for a function with those keyword-only
parameters (TypeError for an unknown or a missing one), against the keys the
generator wrote into the Operation: the method's TypedDicts are for type
checkers only, so a call imports none of its parameters' types.
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar

from ._multipart import encode_multipart, read_file
from ._request import path_param
from ._resources._base import REQUEST_OPTION_NAMES, check_keys, split_options
from ._response import binary_content, no_content, text_content

if TYPE_CHECKING:
    from ._call import Call
    from ._client import AsyncOpenAI, OpenAI

__all__ = ["AsyncAPIResource", "Operation", "PageOperation", "SyncAPIResource", "one_request"]

R = TypeVar("R")
T = TypeVar("T")
Body = Literal["json", "multipart", "none"]


@dataclass(frozen=True, slots=True)
class Operation(Generic[R]):
    """One endpoint as a method sends it.

    `path` is relative to base_url with `{name}` for each path parameter;
    `keys` and `required` are the method's keyword arguments (its TypedDict's
    keys, which type checkers read); `query` names the parameters sent in the query string (the rest
    go in the body, as JSON or multipart); `files` the multipart fields that
    are files; `cast` builds the result from the decoded JSON (or is one of
    the markers below: no content, the bytes, the text); `stream_item` builds
    each event when the caller asks for `stream=True`.
    """

    name: str
    method: str
    path: str
    keys: tuple[str, ...]  # the keyword arguments it takes, besides the request options
    required: tuple[str, ...] = ()
    path_params: tuple[str, ...] = ()
    query: tuple[str, ...] = ()  # in the order the generator sorted them, so URLs are stable
    headers: tuple[tuple[str, str], ...] = ()  # (parameter, header) sent as headers (`betas`)
    # (header, value) sent on every call: the beta a resource belongs to (`OpenAI-Beta:
    # assistants=v2`), which the API requires. Over the client's default_headers, as the
    # official SDK sends them, and under the caller's extra_headers.
    fixed_headers: tuple[tuple[str, str], ...] = ()
    body: Body = "json"
    files: frozenset[str] = frozenset()
    cast: Callable[[Any], R] | None = None
    stream_item: Callable[[Any], Any] | None = None
    prepare: Callable[[dict[str, Any]], Callable[[Any], Any] | None] | None = None
    allowed: frozenset[str] = field(init=False)  # `keys` and the request options, made once

    def __post_init__(self) -> None:
        object.__setattr__(self, "allowed", frozenset(self.keys) | REQUEST_OPTION_NAMES)

    def build(
        self, client: OpenAI | AsyncOpenAI, params: Mapping[str, Any], path: Mapping[str, Any]
    ) -> tuple[Call, Callable[[Any], Any] | None]:
        """The call, and how its answer becomes the result."""
        check_keys(self.name, params, self.allowed, self.required)
        given, options = split_options(params)
        cast: Callable[[Any], Any] | None = self.cast
        if self.prepare is not None:
            # A hand-written hook may change the body and how the answer is built
            # (embeddings ask for base64 and decode it).
            cast = self.prepare(given) or cast
        stream = bool(given.get("stream"))  # before `stream` moves to the query of a GET
        url = self.path
        for name in self.path_params:
            # Given positionally (`path`), or by keyword; NOT_GIVEN was stripped, as if left out.
            value = path[name] if name in path else given.pop(name, "")
            url = url.replace("{" + name + "}", path_param(value, name))
        query = {k: given.pop(k) for k in self.query if k in given} if self.query else None
        if self.headers:
            options = _header_params(self.headers, given, options)
        if self.fixed_headers:
            # Merged into the client's headers once per client (ClientOptions.base_headers),
            # not on every call; the caller's extra_headers still go over them.
            options["fixed_headers"] = self.fixed_headers
        if self.body == "multipart":
            call = _multipart_call(client, self.method, url, given, self.files, query, options)
        elif self.body == "none" or (not given and self.method in ("GET", "DELETE")):
            call = client._build(self.method, url, query=query, extra=options)
        else:
            call = client._build(self.method, url, body=given, query=query, extra=options)
        call.stream = stream
        return call, cast


@dataclass(frozen=True, slots=True)
class PageOperation(Operation[T]):
    """A list endpoint: its result is a page of `cast` items, iterable across pages."""

    page: Any = None  # the page class (SyncCursorPage, ...); its async twin is `async_page`
    async_page: Any = None


def _header_params(
    headers: tuple[tuple[str, str], ...], given: dict[str, Any], options: dict[str, Any]
) -> dict[str, Any]:
    """Parameters the API reads from headers (`betas` -> `OpenAI-Beta: a,b`); extra_headers win."""
    sent: dict[str, Any] = {}
    for param, header in headers:
        if param in given:
            value = given.pop(param)
            sent[header] = ",".join(map(str, value)) if isinstance(value, list | tuple) else str(value)
    caller = options.get("extra_headers")
    if not sent or (caller is not None and not isinstance(caller, Mapping)):
        return options  # not a mapping: build_call refuses it, saying so
    return {**options, "extra_headers": {**sent, **caller} if caller else sent}


def _multipart_call(
    client: OpenAI | AsyncOpenAI,
    method: str,
    url: str,
    given: Mapping[str, Any],
    files: frozenset[str],
    query: Mapping[str, Any] | None,
    options: Mapping[str, Any],
) -> Call:
    """The multipart request; files are read here, in the caller, before anything is queued."""
    form: list[tuple[str, Any]] = []
    uploads: list[tuple[str, tuple[str, bytes, str]]] = []
    for key, value in given.items():
        if key in files:
            if isinstance(value, list | tuple) and value and not _is_file_tuple(value):
                uploads.extend((f"{key}[]", read_file(v, key)) for v in value)
            else:
                uploads.append((key, read_file(value, key)))
        else:
            form.extend(_form_fields(key, value))
    extra_body = options.get("extra_body")
    if extra_body:
        # In the form, as the official SDK sends them for a multipart request.
        for key, value in extra_body.items():
            form.extend(_form_fields(key, value))
        options = {k: v for k, v in options.items() if k != "extra_body"}
    content_type, body = encode_multipart(form, uploads)
    headers = dict(options.get("extra_headers") or {})
    headers["Content-Type"] = content_type
    return client._build(
        method, url, content=body, query=query, extra={**options, "extra_headers": headers}, fields=given
    )


def _is_file_tuple(value: Iterable[Any]) -> bool:
    """`(filename, content[, type])` rather than a list of files."""
    items = list(value)
    return (
        isinstance(value, tuple) and 2 <= len(items) <= 4 and (items[0] is None or isinstance(items[0], str))
    )


def _form_fields(key: str, value: Any) -> Iterable[tuple[str, Any]]:
    """Nested values as form fields, in the bracket notation the API reads (`a[b]`, `a[]`)."""
    if isinstance(value, Mapping):
        for k, v in value.items():
            yield from _form_fields(f"{key}[{k}]", v)
    elif isinstance(value, list | tuple):
        for v in value:
            yield from _form_fields(f"{key}[]", v)
    elif value is not None:
        yield key, value


# -- the resources the generated classes derive from ---------------------------------


class _View:
    """`resource.with_raw_response` / `.with_streaming_response`: every method of the resource
    (and of its sub-resources) returning the HTTP response instead of the parsed result.

    One class for every resource: each method is wrapped on first use, so no
    resource carries four hand-kept wrapper classes.
    """

    __slots__ = ("_resource", "_wrap")

    def __init__(self, resource: object, wrap: Callable[[Any], Any]) -> None:
        self._resource = resource
        self._wrap = wrap

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._resource, name)
        if isinstance(value, SyncAPIResource | AsyncAPIResource):
            return _View(value, self._wrap)
        if name.startswith("_") or not callable(value) or not _is_endpoint(type(self._resource), name):
            # Helpers written by hand (polling) make several requests: there is no one response.
            raise AttributeError(f"{type(self._resource).__name__}.with_raw_response has no {name!r}")
        return self._wrap(value)

    def __repr__(self) -> str:
        return f"<{self._wrap.__name__} view of {type(self._resource).__name__}>"


def _is_endpoint(cls: type, name: str) -> bool:
    """Whether `name` is a method of the generated class, or a hand-written one marked
    `one_request` (`parse`): one request, so one response to return."""
    for klass in cls.__mro__:
        if name in vars(klass) and (
            klass.__module__.startswith("openai_actors.resources.")
            or getattr(vars(klass)[name], "_one_request", False)
        ):
            return True
    return False


F = TypeVar("F", bound=Callable[..., Any])


def one_request(method: F) -> F:
    """Mark a hand-written resource method that sends exactly one request through
    `_client._request` (as `parse` does), so `with_raw_response` and
    `with_streaming_response` offer it too."""
    method._one_request = True  # type: ignore[attr-defined]
    return method


class SyncAPIResource:
    def __init__(self, client: OpenAI) -> None:
        self._client = client

    @property
    def with_raw_response(self) -> Any:
        """The same methods, returning the raw response (`.headers`, `.parse()`) instead."""
        from ._raw import to_raw_response_wrapper

        return _View(self, to_raw_response_wrapper)

    @property
    def with_streaming_response(self) -> Any:
        """The same methods as context managers over the response, its body not yet read."""
        from ._raw import to_streamed_response_wrapper

        return _View(self, to_streamed_response_wrapper)

    def _run(self, op: Operation[R], params: Mapping[str, Any], path: Mapping[str, Any] | None = None) -> R:
        call, cast = op.build(self._client, params, path or {})
        result: R = self._client._request(call, cast, op.stream_item)
        return result

    def _page(
        self, op: PageOperation[T], params: Mapping[str, Any], path: Mapping[str, Any] | None = None
    ) -> Any:
        def fetch(query: Mapping[str, Any]) -> Any:
            call, cast = op.build(self._client, {**params, **query}, path or {})
            return self._client._request(call, lambda raw: op.page(raw, cast, fetch))

        return fetch({})


class AsyncAPIResource:
    def __init__(self, client: AsyncOpenAI) -> None:
        self._client = client

    @property
    def with_raw_response(self) -> Any:
        """The same methods, returning the raw response (`.headers`, `await .parse()`) instead."""
        from ._raw import async_to_raw_response_wrapper

        return _View(self, _async_raw(async_to_raw_response_wrapper))

    @property
    def with_streaming_response(self) -> Any:
        """The same methods as async context managers over the response, its body not yet read."""
        from ._raw import async_to_streamed_response_wrapper

        return _View(self, _async_raw(async_to_streamed_response_wrapper))

    async def _run(
        self, op: Operation[R], params: Mapping[str, Any], path: Mapping[str, Any] | None = None
    ) -> R:
        if op.files:
            params = await _read_paths(params, op.files)
        call, cast = op.build(self._client, params, path or {})
        result: R = await self._client._request(call, cast, op.stream_item)
        return result

    def _page(
        self, op: PageOperation[T], params: Mapping[str, Any], path: Mapping[str, Any] | None = None
    ) -> Any:
        from ._pagination import AsyncPaginator

        async def fetch(query: Mapping[str, Any]) -> Any:
            call, cast = op.build(self._client, {**params, **query}, path or {})
            return await self._client._request(call, lambda raw: op.async_page(raw, cast, fetch))

        return AsyncPaginator(lambda: fetch({}))


async def _read_paths(params: Mapping[str, Any], files: frozenset[str]) -> Mapping[str, Any]:
    """Files given as paths, read in a worker thread (anyio's Path): a disk read must not
    stall the event loop, and concurrent uploads then read concurrently."""
    import anyio

    async def read(value: Any) -> Any:
        if isinstance(value, os.PathLike):
            return (os.path.basename(os.fspath(value)), await anyio.Path(value).read_bytes())
        if isinstance(value, tuple) and len(value) >= 2 and isinstance(value[1], os.PathLike):
            return (
                value[0] or os.path.basename(os.fspath(value[1])),
                await anyio.Path(value[1]).read_bytes(),
                *value[2:],
            )
        return value

    out = dict(params)
    for key in files:
        value = out.get(key)
        if isinstance(value, list):
            out[key] = [await read(v) for v in value]
        elif value is not None:
            out[key] = await read(value)
    return out


def _async_raw(wrap: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """An async resource's list() is not a coroutine function (it returns a paginator):
    wrap it so that the raw view awaits its first page."""

    def wrapper(method: Any) -> Any:
        if inspect.iscoroutinefunction(method):
            return wrap(method)

        async def first_page(*args: Any, **kwargs: Any) -> Any:
            return await method(*args, **kwargs)

        return wrap(first_page)

    wrapper.__name__ = wrap.__name__
    return wrapper


# The markers a generated Operation uses for answers that are not a JSON object.
# Typed Any: they stand for "no body" and "the bytes", not for what they return.
NO_CONTENT: Any = no_content
BINARY: Any = binary_content
TEXT: Any = text_content
