"""From a call's outcome to what the caller gets: a parsed object or the right exception.

This runs in the caller's task (or thread, for the sync client), not in the
dispatcher: decoding and error building cost the caller only, and a body that
cannot be decoded fails that one call. The `httpx.Request` / `httpx.Response`
objects the exceptions carry are built here, only when an exception is raised;
the request's Authorization header is left out of them, so the key cannot leak
through an exception.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from ._call import Call
from ._exceptions import (
    APIConnectionError,
    APIResponseValidationError,
    APITimeoutError,
    OpenAIError,
    status_error_class,
)
from ._transport import RawResponse, TransportError, TransportTimeout

if TYPE_CHECKING:
    import httpx

__all__ = [
    "ResponseShapeError",
    "check_outcome",
    "decode_json",
    "http_request",
    "http_response",
    "parse_object",
]

T = TypeVar("T")


class ResponseShapeError(Exception):
    """Raised by a result builder: the JSON decoded, but is not what the endpoint returns."""


def http_request(call: Call) -> httpx.Request:
    import httpx

    headers = [(k, v) for k, v in call.headers.pairs if k.lower() != "authorization"]
    content = call.content if isinstance(call.content, bytes) else None
    return httpx.Request(call.method, call.url, headers=headers, content=content)


def http_response(call: Call, raw: RawResponse) -> httpx.Response:
    import httpx

    return httpx.Response(
        raw.status,
        headers=list(raw.headers.items()),
        content=raw.content,
        request=http_request(call),
        extensions={
            "http_version": f"HTTP/{raw.http_version}".encode(),
            "reason_phrase": raw.reason.encode(),
        },
    )


def _attempts_note(call: Call) -> str:
    return f" (after {call.attempts} attempts)" if call.attempts > 1 else ""


def check_outcome(call: Call) -> RawResponse:
    """The successful response, or raise the exception the official SDK would."""
    outcome = call.outcome
    if isinstance(outcome, RawResponse):
        if outcome.status < 400:
            return outcome
        raise _status_error(call, outcome)
    if isinstance(outcome, TransportTimeout):
        error: OpenAIError = APITimeoutError(
            http_request(call), message=f"Request timed out ({outcome}){_attempts_note(call)}."
        )
    elif isinstance(outcome, TransportError):
        error = APIConnectionError(
            message=f"Connection error: {outcome}{_attempts_note(call)}.", request=http_request(call)
        )
    elif isinstance(outcome, Exception):
        raise outcome
    else:
        raise OpenAIError("the request ended without an outcome")  # the dispatcher broke its promise
    error.attempts = call.attempts  # type: ignore[attr-defined]
    raise error from outcome


def _status_error(call: Call, raw: RawResponse) -> OpenAIError:
    body: object = None
    message = f"Error code: {raw.status}"
    text = raw.content.decode("utf-8", errors="replace").strip()
    body = text
    try:
        body = json.loads(text)
    except ValueError:
        pass
    else:
        error = body.get("error", body) if isinstance(body, dict) else None
        detail = error.get("message") if isinstance(error, dict) else None
        if isinstance(detail, str) and detail:
            message += f" - {detail}"
    data = body.get("error", body) if isinstance(body, dict) else body
    exc = status_error_class(raw.status)(
        message + _attempts_note(call), response=http_response(call, raw), body=data
    )
    exc.attempts = call.attempts
    return exc


def decode_json(call: Call, raw: RawResponse) -> Any:
    """The response body as JSON, or APIResponseValidationError saying what it was instead."""
    content = raw.content
    try:
        return json.loads(content)
    except ValueError:
        pass
    content_type = raw.headers.get("content-type", "no content-type")
    excerpt = content[:200].decode("utf-8", errors="replace")
    raise APIResponseValidationError(
        http_response(call, raw),
        excerpt,
        message=f"the server's response ({raw.status}, {content_type}) is not JSON: {excerpt!r}",
    )


def parse_object(call: Call, raw: RawResponse, build: Callable[[dict[str, Any]], T]) -> T:
    """Decode a JSON object and build the result type from it, tagging it with the request id."""
    data = decode_json(call, raw)
    if not isinstance(data, dict):
        raise APIResponseValidationError(
            http_response(call, raw),
            data,
            message=f"expected a JSON object from {call.method} {call.target}, got {type(data).__name__}",
        )
    try:
        result = build(data)
    except ResponseShapeError as exc:
        raise APIResponseValidationError(http_response(call, raw), data, message=str(exc)) from exc
    with contextlib.suppress(AttributeError):
        result.__dict__["_request_id"] = raw.headers.get("x-request-id")
    return result
