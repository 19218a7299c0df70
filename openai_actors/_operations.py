"""What a generated resource method does, once: check its arguments, build its call, shape its result.

Each generated method is one line that names an `Operation` (a module-level
constant: the route, which parameters go in the path, the query or the body,
how the answer is built) and hands it the caller's keyword arguments. So the
generated files say *what* each endpoint sends and returns, and this module
says *how*, for all of them; a change in how requests are built is made here
and nowhere else.

Checking is what Python would do for a function with those keyword-only
parameters (TypeError for an unknown or a missing one), done against the
method's TypedDict, which is also what type checkers read.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar

from ._multipart import encode_multipart, read_file
from ._request import path_param
from ._resources._base import check_params, split_options
from ._response import binary_content, no_content

if TYPE_CHECKING:
    from ._call import Call
    from ._client import AsyncOpenAI, OpenAI

__all__ = ["AsyncAPIResource", "Operation", "PageOperation", "SyncAPIResource"]

R = TypeVar("R")
T = TypeVar("T")
Body = Literal["json", "multipart", "none"]


@dataclass(frozen=True, slots=True)
class Operation(Generic[R]):
    """One endpoint as a method sends it.

    `path` is relative to base_url with `{name}` for each path parameter;
    `params` is the method's keyword-argument TypedDict (request options
    included); `query` names the parameters sent in the query string (the rest
    go in the body, as JSON or multipart); `files` the multipart fields that
    are files; `cast` builds the result from the decoded JSON (or is one of
    `no_content` / `binary_content`); `stream_item` builds each event when the
    caller asks for `stream=True`.
    """

    name: str
    method: str
    path: str
    params: type
    path_params: tuple[str, ...] = ()
    query: frozenset[str] = frozenset()
    body: Body = "json"
    files: frozenset[str] = frozenset()
    cast: Callable[[Any], R] | None = None
    stream_item: Callable[[Any], Any] | None = None
    prepare: Callable[[dict[str, Any]], Callable[[Any], Any] | None] | None = None

    def build(
        self, client: OpenAI | AsyncOpenAI, params: Mapping[str, Any], path: Mapping[str, Any]
    ) -> tuple[Call, Callable[[Any], Any] | None]:
        """The call, and how its answer becomes the result."""
        check_params(self.name, params, self.params)
        given, options = split_options(params)
        cast: Callable[[Any], Any] | None = self.cast
        if self.prepare is not None:
            # A hand-written hook may change the body and how the answer is built
            # (embeddings ask for base64 and decode it).
            cast = self.prepare(given) or cast
        url = self.path
        for name in self.path_params:
            value = path[name] if name in path else given.pop(name)
            url = url.replace("{" + name + "}", path_param(value, name))
        query = {k: given.pop(k) for k in self.query if k in given} if self.query else None
        if self.body == "multipart":
            call = _multipart_call(client, url, given, self.files, query, options)
        elif self.body == "none" or (not given and self.method in ("GET", "DELETE")):
            call = client._build(self.method, url, query=query, extra=options)
        else:
            call = client._build(self.method, url, body=given, query=query, extra=options)
        call.stream = bool(given.get("stream"))
        return call, cast


@dataclass(frozen=True, slots=True)
class PageOperation(Operation[T]):
    """A list endpoint: its result is a page of `cast` items, iterable across pages."""

    page: Any = None  # the page class (SyncCursorPage, ...); its async twin is `async_page`
    async_page: Any = None


def _multipart_call(
    client: OpenAI | AsyncOpenAI,
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
    content_type, body = encode_multipart(form, uploads)
    headers = dict(options.get("extra_headers") or {})
    headers["Content-Type"] = content_type
    return client._build("POST", url, content=body, query=query, extra={**options, "extra_headers": headers})


def _is_file_tuple(value: Iterable[Any]) -> bool:
    """`(filename, content[, type])` rather than a list of files."""
    items = list(value)
    return isinstance(value, tuple) and 2 <= len(items) <= 4 and (items[0] is None or isinstance(items[0], str))


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


class SyncAPIResource:
    def __init__(self, client: OpenAI) -> None:
        self._client = client

    def _run(self, op: Operation[R], params: Mapping[str, Any], path: Mapping[str, Any] | None = None) -> R:
        call, cast = op.build(self._client, params, path or {})
        result: R = self._client._request(call, cast, op.stream_item)
        return result

    def _page(self, op: PageOperation[T], params: Mapping[str, Any], path: Mapping[str, Any] | None = None) -> Any:
        def fetch(query: Mapping[str, Any]) -> Any:
            call, cast = op.build(self._client, {**params, **query}, path or {})
            return self._client._request(call, lambda raw: op.page(raw, cast, fetch))

        return fetch({})


class AsyncAPIResource:
    def __init__(self, client: AsyncOpenAI) -> None:
        self._client = client

    async def _run(
        self, op: Operation[R], params: Mapping[str, Any], path: Mapping[str, Any] | None = None
    ) -> R:
        call, cast = op.build(self._client, params, path or {})
        result: R = await self._client._request(call, cast, op.stream_item)
        return result

    def _page(self, op: PageOperation[T], params: Mapping[str, Any], path: Mapping[str, Any] | None = None) -> Any:
        from ._pagination import AsyncPaginator

        async def fetch(query: Mapping[str, Any]) -> Any:
            call, cast = op.build(self._client, {**params, **query}, path or {})
            return await self._client._request(call, lambda raw: op.async_page(raw, cast, fetch))

        return AsyncPaginator(lambda: fetch({}))


# The markers a generated Operation uses for answers that are not a JSON object.
NO_CONTENT = no_content
BINARY = binary_content
