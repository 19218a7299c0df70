"""What every resource shares: the client it belongs to, and checking keyword arguments."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, TypedDict

from .._request import strip_not_given
from .._types import Body, Headers, NotGiven, Query

if TYPE_CHECKING:
    import httpx

    from .._call import Call
    from .._client import AsyncOpenAI, OpenAI

__all__ = [
    "AsyncResource",
    "RequestOptionParams",
    "SyncResource",
    "check_keys",
    "check_params",
    "make_call",
    "split_options",
]


class RequestOptionParams(TypedDict, total=False):
    """The per-request options every resource method takes, as in the official SDK."""

    extra_headers: Headers | None
    extra_query: Query | None
    extra_body: Body | None
    timeout: float | httpx.Timeout | NotGiven | None


REQUEST_OPTION_NAMES = frozenset(RequestOptionParams.__annotations__)
_KEYS: dict[type, tuple[frozenset[str], frozenset[str]]] = {}


def check_params(function: str, params: Mapping[str, object], spec: type) -> None:
    """Raise the TypeError Python raises for a bad call: unknown or missing keyword arguments."""
    keys = _KEYS.get(spec)
    if keys is None:
        keys = _KEYS[spec] = _keys_of(spec)
    _check(function, params, *keys)


_ALLOWED: dict[tuple[str, ...], frozenset[str]] = {}


def check_keys(
    function: str, params: Mapping[str, object], keys: tuple[str, ...], required: tuple[str, ...]
) -> None:
    """`check_params` for a generated method, whose keys are written out rather than read from a TypedDict."""
    allowed = _ALLOWED.get(keys)
    if allowed is None:
        allowed = _ALLOWED[keys] = frozenset(keys) | REQUEST_OPTION_NAMES
    _check(function, params, allowed, required)


def _check(
    function: str, params: Mapping[str, object], allowed: frozenset[str], required: Iterable[str]
) -> None:
    for name in params:
        if name not in allowed:
            raise TypeError(f"{function}() got an unexpected keyword argument {name!r}")
    missing = [name for name in required if name not in params]
    if missing:
        names = " and ".join(repr(m) for m in sorted(missing))
        plural = "s" if len(missing) > 1 else ""
        raise TypeError(
            f"{function}() missing {len(missing)} required keyword-only argument{plural}: {names}"
        )


def _keys_of(spec: type) -> tuple[frozenset[str], frozenset[str]]:
    """(every key, the required ones) of a TypedDict.

    With postponed annotations the interpreter cannot see `Required[...]`
    (before Python 3.14 `__required_keys__` is then empty), so it is read
    from the annotation's text.
    """
    annotations: dict[str, object] = spec.__annotations__
    required = {
        name
        for name, annotation in annotations.items()
        if getattr(annotation, "__forward_arg__", str(annotation)).startswith(
            ("Required[", "typing.Required[")
        )
    }
    return frozenset(annotations), frozenset(required) | spec.__required_keys__  # type: ignore[attr-defined]


def split_options(params: Mapping[str, Any]) -> tuple[dict[str, object], dict[str, Any]]:
    """(the body parameters that were given, the per-request options)."""
    body = strip_not_given({k: v for k, v in params.items() if k not in REQUEST_OPTION_NAMES})
    options = {k: v for k, v in params.items() if k in REQUEST_OPTION_NAMES}
    return body, options


def make_call(
    client: OpenAI | AsyncOpenAI,
    function: str,
    params: Mapping[str, Any],
    spec: type,
    method: str,
    path: str,
    *,
    in_query: bool = False,
) -> Call:
    """Check a method's keyword arguments and build its call: parameters in the body, or the query."""
    check_params(function, params, spec)
    given, options = split_options(params)
    if in_query:
        call = client._build(method, path, query=given, extra=options)
    else:
        call = client._build(method, path, body=given if given or method != "GET" else None, extra=options)
    call.stream = bool(given.get("stream"))
    return call


class SyncResource:
    def __init__(self, client: OpenAI) -> None:
        self._client = client


class AsyncResource:
    def __init__(self, client: AsyncOpenAI) -> None:
        self._client = client
