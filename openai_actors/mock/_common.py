"""What every endpoint module shares: replies, OpenAI-style errors, request validation.

A handler answers with a :data:`Reply` (status, body, extra headers), or with
a :class:`StreamReply` whose events the connection sends one HTTP chunk at a
time, or raises :class:`ApiError`.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from http import HTTPStatus
from typing import Any, Final
from urllib.parse import parse_qs

from ._http import Request

__all__ = [
    "ApiError",
    "Handler",
    "ItemHandler",
    "Reply",
    "Result",
    "StreamReply",
    "completion_limit",
    "default_error_body",
    "dumps",
    "error_body",
    "invalid_type",
    "json_reply",
    "load_object",
    "now",
    "optional_int",
    "paginate",
    "pieces",
    "query_params",
    "required",
    "string",
    "tokens",
    "truncate",
]

Reply = tuple[int, bytes, Mapping[str, str] | None]


class StreamReply:
    """A 200 ``text/event-stream`` answer, sent as one HTTP chunk per event.

    ``events`` yields complete SSE events (each ending in a blank line) and is
    advanced lazily, only as fast as the client reads, so a long stream never
    sits in memory whole. ``error_event(sent, payload)`` renders the event a
    "stream_error" fault sends after ``sent`` events; ``payload`` replaces the
    default JSON data when the fault brings a body.
    """

    __slots__ = ("error_event", "events", "headers", "status")

    def __init__(
        self,
        events: Iterator[bytes],
        error_event: Callable[[int, bytes | None], bytes],
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.status = 200
        self.events = events
        self.error_event = error_event
        self.headers = headers


Result = Reply | StreamReply
Handler = Callable[[Request, int], Result]
# For paths like /v1/files/{id}: also gets the id from the path.
ItemHandler = Callable[[Request, int, str], Result]


class ApiError(Exception):
    """An error answered in OpenAI's shape: ``{"error": {message, type, param, code}}``."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str = "invalid_request_error",
        param: str | None = None,
        code: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type
        self.param = param
        self.code = code
        self.headers = headers

    def reply(self) -> Reply:
        return self.status, error_body(self.message, self.type, self.param, self.code), self.headers


def error_body(message: str, type: str, param: str | None = None, code: str | None = None) -> bytes:
    error = {"message": message, "type": type, "param": param, "code": code}
    return json.dumps({"error": error}).encode()


# Messages close to what OpenAI says, so client code that logs them reads naturally.
_FAULT_ERRORS: Final[dict[int, tuple[str, str, str | None]]] = {
    400: ("Invalid request.", "invalid_request_error", None),
    401: ("Incorrect API key provided.", "invalid_request_error", "invalid_api_key"),
    403: ("You are not allowed to sample from this model.", "invalid_request_error", None),
    404: ("The requested resource does not exist.", "invalid_request_error", None),
    408: ("Request timed out.", "server_error", None),
    409: ("The request conflicted with another request.", "invalid_request_error", None),
    422: ("The request could not be processed.", "invalid_request_error", None),
    429: ("Rate limit reached for requests. Please try again later.", "requests", "rate_limit_exceeded"),
    500: ("The server had an error while processing your request. Sorry about that!", "server_error", None),
    502: ("Bad gateway.", "server_error", None),
    503: ("The engine is currently overloaded, please try again later.", "server_error", None),
    504: ("Gateway timeout.", "server_error", None),
}


def default_error_body(status: int) -> bytes:
    """The OpenAI-style error body for an injected ``status`` that came without one."""
    known = _FAULT_ERRORS.get(status)
    if known is not None:
        message, kind, code = known
        return error_body(message, kind, code=code)
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Error"
    kind = "server_error" if status >= 500 else "invalid_request_error"
    return error_body(f"{status} {phrase}.", kind)


def dumps(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def json_reply(value: Any, status: int = 200) -> Reply:
    return status, dumps(value), None


def now() -> int:
    return int(time.time())


# --- request validation -----------------------------------------------------


def load_object(body: bytes) -> dict[str, Any]:
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError):
        raise ApiError(
            400,
            "We could not parse the JSON body of your request. The OpenAI API expects a JSON payload.",
        ) from None
    if not isinstance(payload, dict):
        raise ApiError(400, "The request body must be a JSON object.")
    return payload


def required(payload: dict[str, Any], name: str) -> Any:
    value = payload.get(name)
    if value is None:
        raise ApiError(
            400, f"Missing required parameter: '{name}'.", param=name, code="missing_required_parameter"
        )
    return value


def invalid_type(name: str, expected: str, value: object) -> ApiError:
    return ApiError(
        400,
        f"Invalid type for '{name}': expected {expected}, but got {type(value).__name__}.",
        param=name,
        code="invalid_type",
    )


def string(payload: dict[str, Any], name: str) -> str:
    value = required(payload, name)
    if not isinstance(value, str):
        raise invalid_type(name, "a string", value)
    return value


def optional_int(payload: Mapping[str, Any], name: str, low: int, high: int) -> int | None:
    value = payload.get(name)
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool):
        raise invalid_type(name, "an integer", value)
    if not low <= value <= high:
        raise ApiError(
            400,
            f"Invalid value for '{name}': expected an integer between {low} and {high}, got {value}.",
            param=name,
            code="invalid_value",
        )
    return value


def query_params(request: Request) -> dict[str, str]:
    """The query string as a dict; a repeated parameter keeps its last value."""
    if not request.query:
        return {}
    return {name: values[-1] for name, values in parse_qs(request.query, keep_blank_values=True).items()}


def tokens(chars: int) -> int:
    """The mock's tokenizer: one token per four characters, rounded up."""
    return -(-chars // 4)


def completion_limit(payload: dict[str, Any]) -> int | None:
    limit = optional_int(payload, "max_completion_tokens", 1, sys.maxsize)
    if limit is None:
        limit = optional_int(payload, "max_tokens", 1, sys.maxsize)
    return limit


def truncate(reply: str, limit: int | None) -> tuple[str, str]:
    """Cut ``reply`` to ``limit`` tokens; return it and the finish reason ("stop" or "length")."""
    if limit is not None and len(reply) > limit * 4:
        return reply[: limit * 4], "length"
    return reply, "stop"


def pieces(text: str) -> Iterator[str]:
    """``text`` as streamed: one piece per mock token, i.e. per four characters."""
    for start in range(0, len(text), 4):
        yield text[start : start + 4]


# --- lists ------------------------------------------------------------------


def paginate(
    objects: Iterable[dict[str, Any]],
    prefix: str,
    params: Mapping[str, str],
    *,
    default_limit: int,
    max_limit: int,
    descending: bool,
) -> Reply:
    """One page of ``objects`` (given oldest first) the way OpenAI pages lists.

    Ids are ``prefix`` + an increasing number, so the ``after`` cursor works by
    number and stays valid even when the object it names was deleted.
    """
    limit = _query_int(params, "limit", default_limit, 1, max_limit)
    after = params.get("after")
    items = list(objects)
    if descending:
        items.reverse()
    if after:
        cursor = _id_number(after, prefix)
        if cursor is None:
            raise ApiError(400, f"Invalid 'after': {after!r} is not a valid id.", param="after")
        if descending:
            items = [item for item in items if (_id_number(item["id"], prefix) or 0) < cursor]
        else:
            items = [item for item in items if (_id_number(item["id"], prefix) or 0) > cursor]
    page = items[:limit]
    return json_reply(
        {
            "object": "list",
            "data": page,
            "first_id": page[0]["id"] if page else None,
            "last_id": page[-1]["id"] if page else None,
            "has_more": len(items) > limit,
        }
    )


def _id_number(object_id: str, prefix: str) -> int | None:
    digits = object_id.removeprefix(prefix)
    if digits == object_id or not (digits.isascii() and digits.isdigit()) or len(digits) > 18:
        return None
    return int(digits)


def _query_int(params: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    text = params.get(name)
    if text is None:
        return default
    if not (text.isascii() and text.isdigit()) or not low <= int(text) <= high:
        raise ApiError(
            400,
            f"Invalid '{name}': expected an integer between {low} and {high}, got {text!r}.",
            param=name,
            code="invalid_value",
        )
    return int(text)
