"""The mock's OpenAI endpoints: pure functions from a request to a reply.

Replies are deterministic functions of the request (plus a request number and
the clock for ``id``/``created``), so tests can check that every caller got
its own answer.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import math
import struct
import sys
import time
from array import array
from collections.abc import Callable, Mapping
from http import HTTPStatus
from json.encoder import encode_basestring_ascii as _json_str
from typing import Any, Final
from urllib.parse import unquote

__all__ = ["ApiError", "Reply", "default_error_body", "dispatch", "error_body"]

Reply = tuple[int, bytes, Mapping[str, str] | None]
Handler = Callable[[bytes, int], Reply]

DEFAULT_DIMENSIONS: Final = 8
MAX_DIMENSIONS: Final = 65_536
MAX_EMBEDDING_INPUTS: Final = 2048
MAX_CHOICES: Final = 128
_MODELS_PREFIX: Final = "/v1/models/"


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


def dispatch(method: str, path: str, body: bytes, number: int) -> Reply:
    """Answer one request; ``number`` is the server-wide request counter."""
    try:
        return _route(method, path)(body, number)
    except ApiError as error:
        return error.reply()


def _route(method: str, path: str) -> Handler:
    methods = _ROUTES.get(path)
    if methods is None:
        if path.startswith(_MODELS_PREFIX) and len(path) > len(_MODELS_PREFIX):
            methods = {"GET": _retrieve_model_handler(path)}
        else:
            raise ApiError(
                404,
                f"Invalid URL ({method} {path})",
                code="unknown_url",
            )
    handler = methods.get(method)
    if handler is None:
        raise ApiError(
            405,
            f"Method {method} is not allowed for {path}; use {', '.join(methods)}.",
            code="method_not_allowed",
            headers={"allow": ", ".join(methods)},
        )
    return handler


# --- request validation -----------------------------------------------------


def _load_object(body: bytes) -> dict[str, Any]:
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


def _required(payload: dict[str, Any], name: str) -> Any:
    value = payload.get(name)
    if value is None:
        raise ApiError(
            400, f"Missing required parameter: '{name}'.", param=name, code="missing_required_parameter"
        )
    return value


def _invalid_type(name: str, expected: str, value: object) -> ApiError:
    return ApiError(
        400,
        f"Invalid type for '{name}': expected {expected}, but got {type(value).__name__}.",
        param=name,
        code="invalid_type",
    )


def _string(payload: dict[str, Any], name: str) -> str:
    value = _required(payload, name)
    if not isinstance(value, str):
        raise _invalid_type(name, "a string", value)
    return value


def _optional_int(payload: dict[str, Any], name: str, low: int, high: int) -> int | None:
    value = payload.get(name)
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool):
        raise _invalid_type(name, "an integer", value)
    if not low <= value <= high:
        raise ApiError(
            400,
            f"Invalid value for '{name}': expected an integer between {low} and {high}, got {value}.",
            param=name,
            code="invalid_value",
        )
    return value


def _tokens(chars: int) -> int:
    """The mock's tokenizer: one token per four characters, rounded up."""
    return -(-chars // 4)


# --- chat completions -------------------------------------------------------

_CHOICE: Final = (
    '{"index":%d,"message":{"role":"assistant","content":%s,"refusal":null},'
    '"logprobs":null,"finish_reason":"%s"}'
)
_COMPLETION: Final = (
    '{"id":"chatcmpl-%d","object":"chat.completion","created":%d,"model":%s,"choices":[%s],'
    '"usage":{"prompt_tokens":%d,"completion_tokens":%d,"total_tokens":%d},"system_fingerprint":"fp_mock"}'
)


def _chat_completions(body: bytes, number: int) -> Reply:
    payload = _load_object(body)
    model = _string(payload, "model")
    messages = _required(payload, "messages")
    if not isinstance(messages, list):
        raise _invalid_type("messages", "an array", messages)
    if not messages:
        raise ApiError(400, "Invalid 'messages': empty array.", param="messages", code="empty_array")
    if payload.get("stream"):
        raise ApiError(
            400, "The mock server does not support streaming.", param="stream", code="unsupported_value"
        )
    prompt_chars, last_text = _read_messages(messages)
    reply, finish_reason = _truncate("echo: " + last_text, _completion_limit(payload))
    choices = _optional_int(payload, "n", 1, MAX_CHOICES) or 1
    completion_tokens = _tokens(len(reply)) * choices
    prompt_tokens = _tokens(prompt_chars)
    content = _json_str(reply)
    if choices == 1:  # the common case, without the generator
        choice_list = _CHOICE % (0, content, finish_reason)
    else:
        choice_list = ",".join(_CHOICE % (index, content, finish_reason) for index in range(choices))
    text = _COMPLETION % (
        number,
        int(time.time()),
        _json_str(model),
        choice_list,
        prompt_tokens,
        completion_tokens,
        prompt_tokens + completion_tokens,
    )
    return 200, text.encode(), None


def _read_messages(messages: list[Any]) -> tuple[int, str]:
    """Return (characters of all contents, text of the last message)."""
    total = 0
    text = ""
    for index, message in enumerate(messages):
        if not isinstance(message, dict):
            raise _invalid_type(f"messages[{index}]", "an object", message)
        text = _message_text(message.get("content"), index)
        total += len(text)
    return total, text


def _message_text(content: Any, index: int) -> str:
    if isinstance(content, str):
        return content
    if content is None:
        return ""
    if isinstance(content, list):
        return "".join(
            part["text"]
            for part in content
            if isinstance(part, dict) and part.get("type") == "text" and isinstance(part.get("text"), str)
        )
    raise _invalid_type(f"messages[{index}].content", "a string or an array of content parts", content)


def _completion_limit(payload: dict[str, Any]) -> int | None:
    limit = _optional_int(payload, "max_completion_tokens", 1, sys.maxsize)
    if limit is None:
        limit = _optional_int(payload, "max_tokens", 1, sys.maxsize)
    return limit


def _truncate(reply: str, limit: int | None) -> tuple[str, str]:
    if limit is not None and len(reply) > limit * 4:
        return reply[: limit * 4], "length"
    return reply, "stop"


# --- embeddings -------------------------------------------------------------


def _embeddings(body: bytes, number: int) -> Reply:
    payload = _load_object(body)
    model = _string(payload, "model")
    inputs = _embedding_inputs(_required(payload, "input"))
    encoding = payload.get("encoding_format") or "float"
    if encoding not in ("float", "base64"):
        raise ApiError(
            400,
            f"Invalid value for 'encoding_format': expected 'float' or 'base64', got {encoding!r}.",
            param="encoding_format",
            code="invalid_value",
        )
    dimensions = _optional_int(payload, "dimensions", 1, MAX_DIMENSIONS) or DEFAULT_DIMENSIONS
    data = []
    for index, (key, _) in enumerate(inputs):
        floats, encoded = _vector(key, dimensions)
        embedding: Any = encoded if encoding == "base64" else list(floats)
        data.append({"object": "embedding", "index": index, "embedding": embedding})
    tokens = sum(count for _, count in inputs)
    reply = {
        "object": "list",
        "data": data,
        "model": model,
        "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
    }
    return 200, json.dumps(reply, separators=(",", ":")).encode(), None


def _embedding_inputs(value: Any) -> list[tuple[bytes, int]]:
    """Each input as (hash key, token count): text or a token array."""
    if isinstance(value, str):
        return [_text_input(value)]
    if not isinstance(value, list) or not value:
        raise _invalid_type("input", "a string or a non-empty array", value)
    if len(value) > MAX_EMBEDDING_INPUTS:
        raise ApiError(
            400,
            f"Invalid 'input': at most {MAX_EMBEDDING_INPUTS} inputs per request.",
            param="input",
            code="invalid_value",
        )
    if all(_is_int(item) for item in value):
        return [_token_input(value)]
    if all(isinstance(item, str) for item in value):
        return [_text_input(item) for item in value]
    if all(isinstance(item, list) and item and all(_is_int(token) for token in item) for item in value):
        return [_token_input(item) for item in value]
    raise _invalid_type("input", "a string, an array of strings or of token arrays", value)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _text_input(text: str) -> tuple[bytes, int]:
    return text.encode("utf-8", "surrogatepass"), _tokens(len(text))


def _token_input(tokens: list[int]) -> tuple[bytes, int]:
    # A distinct prefix so that the token array [1, 2] and the text "1,2" differ.
    return b"tokens:" + ",".join(map(str, tokens)).encode(), len(tokens)


@functools.lru_cache(maxsize=4096)
def _vector(key: bytes, dimensions: int) -> tuple[tuple[float, ...], str]:
    """A unit vector derived from ``key``, as float32 values and their base64.

    Every value is exactly a float32 so that the JSON floats and the base64
    bytes decode to the same numbers.
    """
    raw = hashlib.shake_256(key).digest(4 * dimensions)
    # 24 random bits per component: k / 2**23 - 1 is exact in float32.
    values = [(word >> 8) / 8_388_608.0 - 1.0 for word in struct.unpack(f"<{dimensions}I", raw)]
    norm = math.sqrt(sum(value * value for value in values)) or 1.0
    floats = array("f", [value / norm for value in values])
    if sys.byteorder == "big":
        packed = array("f", floats)
        packed.byteswap()
        data = packed.tobytes()
    else:
        data = floats.tobytes()
    return tuple(floats.tolist()), base64.b64encode(data).decode("ascii")


# --- models -----------------------------------------------------------------

MODELS: Final = (
    {"id": "gpt-4o-mini", "object": "model", "created": 1721172741, "owned_by": "system"},
    {"id": "gpt-4o", "object": "model", "created": 1715367049, "owned_by": "system"},
    {"id": "text-embedding-3-small", "object": "model", "created": 1705948997, "owned_by": "system"},
    {"id": "mock-model", "object": "model", "created": 1700000000, "owned_by": "openai-actors"},
)
_MODEL_BODIES: Final = {model["id"]: json.dumps(model).encode() for model in MODELS}
_MODEL_LIST: Final = json.dumps({"object": "list", "data": list(MODELS)}).encode()


def _list_models(body: bytes, number: int) -> Reply:
    return 200, _MODEL_LIST, None


def _retrieve_model_handler(path: str) -> Handler:
    model_id = unquote(path[len(_MODELS_PREFIX) :])

    def retrieve(body: bytes, number: int) -> Reply:
        found = _MODEL_BODIES.get(model_id)
        if found is None:
            raise ApiError(
                404,
                f"The model '{model_id}' does not exist or you do not have access to it.",
                code="model_not_found",
            )
        return 200, found, None

    return retrieve


_ROUTES: Final[dict[str, dict[str, Handler]]] = {
    "/v1/chat/completions": {"POST": _chat_completions},
    "/v1/embeddings": {"POST": _embeddings},
    "/v1/models": {"GET": _list_models},
}
