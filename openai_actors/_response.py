"""From a call's outcome to what the caller gets: a parsed object or the right exception.

This runs in the caller's task (or thread, for the sync client), not in the
dispatcher: decoding and error building cost the caller only, and a body that
cannot be decoded fails that one call. The `httpx.Request` / `httpx.Response`
objects the exceptions carry are built here, only when an exception is raised;
the headers that carry a key (Authorization, and Azure's api-key) are left
out of them, so the key cannot leak through an exception.
"""

from __future__ import annotations

import codecs
import contextlib
import json
import os
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any, TypeVar

from ._call import Call, StreamBody
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
    "BinaryContent",
    "ResponseShapeError",
    "binary_content",
    "check_outcome",
    "decode_json",
    "http_request",
    "http_response",
    "no_content",
    "parse_object",
]

T = TypeVar("T")


class ResponseShapeError(Exception):
    """Raised by a result builder: the JSON decoded, but is not what the endpoint returns."""


_KEY_HEADERS = frozenset({"authorization", "api-key"})


def http_request(call: Call) -> httpx.Request:
    import httpx

    # Bytes, so httpx takes latin-1 values as they are instead of insisting on ASCII.
    headers = [
        (k.encode("latin-1"), v.encode("latin-1"))
        for k, v in call.headers.pairs
        if k.lower() not in _KEY_HEADERS
    ]
    content = call.content if isinstance(call.content, bytes) else None
    return httpx.Request(call.method, call.url, headers=headers, content=content)


def http_response(call: Call, raw: RawResponse) -> httpx.Response:
    import httpx

    return httpx.Response(
        raw.status,
        # The content is already decoded: without its content-encoding (and the
        # length of the encoded form), httpx would try to decode it again.
        headers=[
            (k.encode("latin-1", "replace"), v.encode())
            for k, v in raw.headers.items()
            if k not in ("content-encoding", "content-length")
        ],
        content=raw.content,
        request=http_request(call),
        extensions={
            "http_version": f"HTTP/{raw.http_version}".encode(),
            "reason_phrase": raw.reason.encode(),
        },
    )


def _attempts_note(call: Call) -> str:
    # Retries only: a redirect or a re-sent 401 is part of one attempt, as the official SDK counts.
    attempts = call.retries_taken + 1
    return f" (after {attempts} attempts)" if attempts > 1 else ""


def transport_error(call: Call, failure: TransportError) -> APIConnectionError:
    """The official exception for a failed exchange: APITimeoutError or APIConnectionError."""
    error: APIConnectionError
    if isinstance(failure, TransportTimeout):
        error = APITimeoutError(
            http_request(call), message=f"Request timed out ({failure}){_attempts_note(call)}."
        )
    else:
        error = APIConnectionError(
            message=f"Connection error: {failure}{_attempts_note(call)}.", request=http_request(call)
        )
    error.attempts = call.retries_taken + 1
    return error


def check_outcome(call: Call) -> RawResponse | StreamBody:
    """The successful response (a stream's, for a stream call), or raise what the official SDK would."""
    outcome = call.outcome
    if isinstance(outcome, RawResponse):
        if outcome.status < 400:
            return outcome
        raise _status_error(call, outcome)
    if isinstance(outcome, StreamBody):
        return outcome
    if isinstance(outcome, TransportError):
        raise transport_error(call, outcome) from outcome
    if isinstance(outcome, Exception):
        raise outcome
    raise OpenAIError("the request ended without an outcome")  # the dispatcher broke its promise


def _status_error(call: Call, raw: RawResponse) -> OpenAIError:
    body: object = None
    message = f"Error code: {raw.status}"
    text = raw.content.decode("utf-8", errors="replace").strip()
    body = text
    try:
        body = json.loads(text)
    except (ValueError, RecursionError):
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
    exc.attempts = call.retries_taken + 1
    return exc


def decode_json(call: Call, raw: RawResponse) -> Any:
    """The response body as JSON, or APIResponseValidationError saying what it was instead."""
    content = raw.content
    try:
        return json.loads(content)
    except (ValueError, RecursionError):  # not JSON, or nested too deep to decode
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


def no_content(data: dict[str, Any]) -> None:
    """As a result builder: the body does not matter (delete endpoints return None)."""
    return None


def binary_content(data: dict[str, Any]) -> None:
    """As a result builder: the body is not JSON; return it as BinaryContent."""
    raise AssertionError("binary_content is a marker, never called")


def text_content(data: dict[str, Any]) -> None:
    """As a result builder: the body is text, returned as a str (a transcript as `text`, `srt`, `vtt`)."""
    raise AssertionError("text_content is a marker, never called")


def utf8_decoder() -> codecs.IncrementalDecoder:
    """UTF-8 decoded piece by piece: a character split between two chunks is decoded whole."""
    return codecs.getincrementaldecoder("utf-8")(errors="replace")


def decode_utf8(chunks: Iterable[bytes]) -> Iterator[str]:
    decoder = utf8_decoder()
    for chunk in chunks:
        if text := decoder.decode(chunk):
            yield text
    if tail := decoder.decode(b"", final=True):
        yield tail


class BinaryContent:
    """A body that is not JSON (a file's content), as the official SDK hands it over."""

    def __init__(self, call: Call, raw: RawResponse) -> None:
        self._call = call
        self._raw = raw

    @property
    def response(self) -> httpx.Response:
        return http_response(self._call, self._raw)

    @property
    def content(self) -> bytes:
        return self._raw.content

    @property
    def text(self) -> str:
        return self._raw.content.decode("utf-8", errors="replace")

    @property
    def encoding(self) -> str:
        return "utf-8"

    def read(self) -> bytes:
        return self._raw.content

    def json(self) -> Any:
        return json.loads(self._raw.content)

    def iter_bytes(self, chunk_size: int | None = None) -> Iterator[bytes]:
        data = self._raw.content
        size = chunk_size or len(data) or 1
        for start in range(0, len(data), size):
            yield data[start : start + size]

    def iter_text(self, chunk_size: int | None = None) -> Iterator[str]:
        return decode_utf8(self.iter_bytes(chunk_size))

    def iter_lines(self) -> Iterator[str]:
        yield from self.text.splitlines()

    def iter_raw(self, chunk_size: int | None = None) -> Iterator[bytes]:
        return self.iter_bytes(chunk_size)

    def write_to_file(self, file: str | os.PathLike[str]) -> None:
        with open(file, "wb") as f:
            f.write(self._raw.content)

    def stream_to_file(self, file: str | os.PathLike[str], *, chunk_size: int | None = None) -> None:
        self.write_to_file(file)

    def close(self) -> None:
        """Nothing to release: the body was read whole before this was returned."""

    # The async client's spellings. The body is already in memory, so these do
    # not wait on anything; they exist so that code written for the official
    # async client (`await content.aread()`) runs unchanged.

    async def aread(self) -> bytes:
        return self._raw.content

    async def aiter_bytes(self, chunk_size: int | None = None) -> AsyncIterator[bytes]:
        for chunk in self.iter_bytes(chunk_size):
            yield chunk

    async def aiter_text(self, chunk_size: int | None = None) -> AsyncIterator[str]:
        for chunk in self.iter_text(chunk_size):
            yield chunk

    async def aiter_lines(self) -> AsyncIterator[str]:
        for line in self.iter_lines():
            yield line

    async def aiter_raw(self, chunk_size: int | None = None) -> AsyncIterator[bytes]:
        for chunk in self.iter_bytes(chunk_size):
            yield chunk

    async def awrite_to_file(self, file: str | os.PathLike[str]) -> None:
        # In a worker thread (anyio's Path): a disk write must not stall the event loop.
        import anyio

        await anyio.Path(file).write_bytes(self._raw.content)

    async def astream_to_file(self, file: str | os.PathLike[str], *, chunk_size: int | None = None) -> None:
        await self.awrite_to_file(file)

    async def aclose(self) -> None:
        """Nothing to release (see close)."""

    def __repr__(self) -> str:
        return f"<BinaryContent {len(self._raw.content)} bytes>"
