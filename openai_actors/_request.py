"""Building a `Call` from the client's options and one request's arguments.

Runs in the caller's task or thread, before anything reaches the dispatcher,
so a bad argument (a body that is not JSON, a header with a newline, a
negative timeout) raises right there, in the caller, and the dispatcher never
sees it.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Mapping
from typing import Final
from urllib.parse import quote

from ._call import Call
from ._models import BaseModel
from ._options import (
    ClientOptions,
    check_max_retries,
    encode_query,
    merge_headers,
    parse_timeout,
    read_timeout_header,
)
from ._transport import Content, HeaderBlock, Origin
from ._types import NotGiven, Omit
from ._urls import PLAIN_PATH, remove_dot_segments, split_reference, split_url

__all__ = ["build_call", "encode_body", "path_param", "strip_not_given"]

_DOT_SEGMENTS: Final = frozenset({".", ".."})


def strip_not_given(params: Mapping[str, object]) -> dict[str, object]:
    """The parameters the caller really passed: NOT_GIVEN and omit mean "leave it out"."""
    return {key: value for key, value in params.items() if not isinstance(value, NotGiven | Omit)}


def path_param(value: object, name: str) -> str:
    """A value for one path segment, percent-encoded ("/" too).

    An empty value, "." or ".." is refused, as the official SDK refuses it: each
    would make the path name another resource (`files/..` is the API's root to
    any server or proxy that resolves dot segments).
    """
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str, not {type(value).__name__}")
    if not value:
        raise ValueError(f"expected a non-empty value for `{name}` but received {value!r}")
    if value in _DOT_SEGMENTS:
        raise ValueError(f"`{name}` cannot be {value!r}: as a path segment it would name another resource")
    return quote(value, safe=":@!$&'()*+,;=-._~")


def _json_default(value: object) -> object:
    if isinstance(value, BaseModel):
        return value.to_dict()
    model_dump = getattr(value, "model_dump", None)
    if callable(model_dump):  # a pydantic model, e.g. one of the official SDK's types
        return model_dump(mode="json", exclude_unset=True)
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    if isinstance(value, Iterable) and not isinstance(value, str | bytes | bytearray | Mapping):
        return list(value)  # generators and other iterables of messages, tools, ...
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


_ENCODER: Final = json.JSONEncoder(
    separators=(",", ":"), ensure_ascii=False, allow_nan=False, default=_json_default
)


def encode_body(body: object) -> bytes:
    try:
        return _ENCODER.encode(body).encode("utf-8")
    except (TypeError, ValueError, RecursionError) as exc:
        raise type(exc)(f"the request body cannot be sent as JSON: {exc}") from None


def _target(options: ClientOptions, path: str, query: Mapping[str, object] | None) -> tuple[Origin, str]:
    """Where a request goes: `path` is relative to base_url, or an absolute http(s) URL.

    Either way it reaches the request line only percent-encoded, its dot
    segments resolved and its fragment dropped; a control character in it is
    a ValueError (see `_urls.py`).
    """
    if ":" in path[:6] and path[:8].lower().startswith(("http://", "https://")):
        origin, target, path_query, _ = split_url(path)
    else:
        origin = options.origin
        if path.rstrip(PLAIN_PATH):  # a query, a fragment, a "%" or a character to encode or refuse
            target, path_query = split_reference(path)
            target = options.base_path + target.lstrip("/")
        else:  # the usual case ("chat/completions"): sent as it is
            target = options.base_path + path.lstrip("/")
            path_query = ""
        if "/." in target:
            target = remove_dot_segments(target)
    pieces = [q for q in (options.query_string, path_query, encode_query(query) if query else "") if q]
    if pieces:
        target += "?" + "&".join(pieces)
    return origin, target


def build_call(
    options: ClientOptions,
    method: str,
    path: str,
    *,
    body: object = None,
    content: bytes | AsyncIterable[bytes] | None = None,
    query: Mapping[str, object] | None = None,
    extra_headers: object = None,
    extra_query: object = None,
    extra_body: object = None,
    timeout: object = NotGiven(),
    max_retries: object = NotGiven(),
    follow_redirects: bool = True,
    fixed_headers: tuple[tuple[str, str], ...] = (),
) -> Call:
    """Everything the dispatcher needs for one request, checked.

    `fixed_headers` are an operation's own (`OpenAI-Beta`), constant: over the
    client's headers, under `extra_headers`.
    """
    if extra_query is not None:
        if not isinstance(extra_query, Mapping):
            raise TypeError(f"extra_query must be a mapping, not {type(extra_query).__name__}")
        query = {**(query or {}), **extra_query}
    origin, target = _target(options, path, query)

    wire_content: Content
    if content is not None:
        if isinstance(content, bytes):
            wire_content = content
        elif isinstance(content, AsyncIterable):
            wire_content = _aiter(content)
        else:
            raise TypeError(
                f"content must be bytes or an async iterable of bytes, not {type(content).__name__}"
            )
    elif extra_body is not None:
        if not isinstance(extra_body, Mapping):
            raise TypeError(f"extra_body must be a mapping, not {type(extra_body).__name__}")
        if body is None:
            body = dict(extra_body)
        elif isinstance(body, Mapping):
            body = {**body, **extra_body}
        else:
            raise TypeError("extra_body can only be merged into a JSON object body")
        wire_content = encode_body(body)
    elif body is not None:
        wire_content = encode_body(body)
    else:
        wire_content = b""

    headers = options.base_headers(method, fixed_headers, body=wire_content != b"")
    auth = options.auth
    retry_count_header = options.retry_count_header
    timeouts = options.timeout
    read_timeout = options.read_timeout_header
    if not isinstance(timeout, NotGiven):
        timeouts = parse_timeout(timeout)
        if options.read_timeout_wanted:
            read_timeout = read_timeout_header(timeout, timeouts)
    if extra_headers is not None:
        if not isinstance(extra_headers, Mapping):
            raise TypeError(f"extra_headers must be a mapping, not {type(extra_headers).__name__}")
        if extra_headers:
            headers = HeaderBlock(tuple(merge_headers(headers.pairs, extra_headers)))
            names = {str(name).lower() for name in extra_headers}
            auth = auth and options.auth_header not in names
            retry_count_header = retry_count_header and "x-stainless-retry-count" not in names
            if "x-stainless-read-timeout" in names:
                read_timeout = None

    call = Call(
        method=method,
        origin=origin,
        target=target,
        headers=headers,
        content=wire_content,
        timeouts=timeouts,
        max_retries=options.max_retries
        if isinstance(max_retries, NotGiven)
        else check_max_retries(max_retries),
        keys=options.keys,
        retry_count_header=retry_count_header,
        follow_redirects=follow_redirects,
    )
    call.auth = auth
    call.read_timeout_header = read_timeout
    return call


async def _aiter(content: AsyncIterable[bytes]) -> AsyncIterator[bytes]:
    async for chunk in content:
        if not isinstance(chunk, bytes | bytearray | memoryview):
            raise TypeError(f"request content must yield bytes, not {type(chunk).__name__}")
        yield bytes(chunk)
