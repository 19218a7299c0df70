"""The OpenAI Batch API's line formats, sans-IO: request lines in, output lines out.

Input, one request a line (blank lines are ignored):

    {"custom_id": "r1", "method": "POST", "url": "/v1/chat/completions", "body": {...}}

Output, one result a line, exactly as the Batch API writes its output and
error files, so files move between the Batch API and this package unchanged:

    {"id": "batch_req_...", "custom_id": "r1",
     "response": {"status_code": 200, "request_id": "req_...", "body": {...}},
     "error": null}

An HTTP answer, success or not, is a `response` (a failure has its status
>= 400 and the server's error body); a request that got no usable HTTP answer
(connection failures, an invalid line) has `"response": null` and an `error`
of `{"code", "message"}`. An invalid line that has no usable custom_id is
written with `"custom_id": null` and its `line` number in the error, which is
how a later run recognises it as answered.

Which output lines count as answered on a later run (`read_output_line`):
every line with a response below 400 and no error; the others are failures,
answered too unless failures are to be retried.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

__all__ = [
    "ENDPOINTS",
    "BatchRequest",
    "LineError",
    "OutputLine",
    "encode_line",
    "endpoint_of",
    "error_record",
    "parse_line",
    "parse_request",
    "read_output_line",
    "response_record",
]

# The endpoints the Batch API runs, relative to the API's base URL.
ENDPOINTS: Final = ("chat/completions", "completions", "embeddings", "responses", "moderations")
_URLS: Final = ", ".join(f"/v1/{endpoint}" for endpoint in ENDPOINTS)


@dataclass(frozen=True, slots=True)
class BatchRequest:
    """One valid request: its custom_id, endpoint (relative to the base URL) and JSON body."""

    custom_id: str
    endpoint: str
    body: dict[str, Any]


@dataclass(frozen=True, slots=True)
class LineError:
    """Why a line (or request) cannot be sent; `custom_id` when it had a usable one."""

    code: str
    message: str
    custom_id: str | None = None


def _where(line: int | None, index: int | None) -> str:
    if line is not None:
        return f"line {line}"
    if index is not None:
        return f"request {index}"
    return "request"


def endpoint_of(url: object, base_path: str = "/v1/") -> str | None:
    """The endpoint a Batch API `url` names, relative to the base URL; None if it is not one.

    The Batch API's urls are absolute paths ("/v1/embeddings"); a client whose
    base URL has another path ("https://gateway/openai/v1") still sends them to
    its own base URL, so the API's own "/v1/" (or the base URL's path) is
    stripped first.
    """
    if not isinstance(url, str):
        return None
    for prefix in (base_path, "/v1/", "/"):
        if url.startswith(prefix):
            url = url[len(prefix) :]
            break
    return url if url in ENDPOINTS else None


def parse_request(
    item: object, *, line: int | None = None, index: int | None = None, base_path: str = "/v1/"
) -> BatchRequest | LineError:
    """Check one request in the input's shape; a `LineError` names what is wrong and where."""
    where = _where(line, index)
    if not isinstance(item, Mapping):
        return LineError("invalid_request", f"{where}: expected a JSON object, got {type(item).__name__}")
    custom_id = item.get("custom_id")
    if not isinstance(custom_id, str) or not custom_id:
        return LineError("missing_custom_id", f"{where}: 'custom_id' must be a non-empty string")
    method = item.get("method")
    if method != "POST":
        return LineError("invalid_method", f"{where}: 'method' must be \"POST\", not {method!r}", custom_id)
    endpoint = endpoint_of(item.get("url"), base_path)
    if endpoint is None:
        return LineError(
            "invalid_url", f"{where}: 'url' {item.get('url')!r} is not one of {_URLS}", custom_id
        )
    body = item.get("body")
    if not isinstance(body, Mapping):
        return LineError("invalid_body", f"{where}: 'body' must be a JSON object", custom_id)
    if body.get("stream"):
        # A batch stores whole answers; a stream has no place in the output line.
        return LineError("invalid_body", f"{where}: streaming is not supported in a batch", custom_id)
    return BatchRequest(custom_id, endpoint, dict(body))


def parse_line(raw: bytes | str, *, line: int, base_path: str = "/v1/") -> BatchRequest | LineError:
    """Decode and check one input line."""
    try:
        item = json.loads(raw)
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
        reason = str(exc).split(":", 1)[0] if isinstance(exc, json.JSONDecodeError) else type(exc).__name__
        return LineError("invalid_json_line", f"line {line}: not valid JSON ({reason})")
    return parse_request(item, line=line, base_path=base_path)


# -- output lines -----------------------------------------------------------------


def response_record(
    line_id: str, custom_id: str | None, status: int, request_id: str | None, body: object
) -> dict[str, Any]:
    """An output line for an HTTP answer (a failure when status >= 400), as the Batch API writes it."""
    return {
        "id": line_id,
        "custom_id": custom_id,
        "response": {"status_code": status, "request_id": request_id, "body": body},
        "error": None,
    }


def error_record(
    line_id: str, custom_id: str | None, code: str, message: str, *, line: int | None = None
) -> dict[str, Any]:
    """An output line for a request that got no usable HTTP answer.

    `line` is kept for a line without a custom_id: a later run knows it by it.
    """
    error: dict[str, Any] = {"code": code, "message": message}
    if line is not None and custom_id is None:
        error["line"] = line
    return {"id": line_id, "custom_id": custom_id, "response": None, "error": error}


_COMPACT: Final = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)
_ASCII: Final = json.JSONEncoder(separators=(",", ":"))


def encode_line(record: Mapping[str, Any]) -> bytes:
    """One output line, newline included: it is written with a single write."""
    try:
        return (_COMPACT.encode(record) + "\n").encode("utf-8")
    except UnicodeEncodeError:
        # A lone surrogate (from a "\ud800" escape) has no UTF-8 form: keep it escaped.
        return (_ASCII.encode(record) + "\n").encode("ascii")


@dataclass(frozen=True, slots=True)
class OutputLine:
    """What a later run needs from an output line: whose it is, and whether it failed."""

    custom_id: str | None
    failed: bool
    line: int | None = None
    """For a line without a custom_id: the input line it answers (an invalid line)."""
    kind: str | None = field(default=None, compare=False)
    """A failure's kind, as the summaries count them: "HTTP 500", "connection_error", ..."""


def read_output_line(raw: bytes) -> OutputLine | None:
    """Read a complete output line; None if it is not one (a torn write, or not ours)."""
    try:
        record = json.loads(raw)
    except (ValueError, RecursionError):
        return None
    if not isinstance(record, dict) or "custom_id" not in record:
        return None
    custom_id = record["custom_id"]
    response = record.get("response")
    error = record.get("error")
    if not isinstance(custom_id, str | None) or not (isinstance(response, dict) or isinstance(error, dict)):
        return None
    status = response.get("status_code") if isinstance(response, dict) else None
    failed = error is not None or not isinstance(status, int) or status >= 400
    line = error.get("line") if isinstance(error, dict) and custom_id is None else None
    return OutputLine(
        custom_id,
        failed,
        line if isinstance(line, int) and line > 0 else None,
        _failure_kind(status, error) if failed else None,
    )


def _failure_kind(status: object, error: object) -> str:
    # The same names a run gives its own failures: the HTTP status when there was an answer.
    if isinstance(status, int) and status >= 400:
        return f"HTTP {status}"
    code = error.get("code") if isinstance(error, dict) else None
    return code if isinstance(code, str) and code else "failed"
