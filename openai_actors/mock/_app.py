"""The mock's stateless OpenAI endpoints: chat, legacy completions, embeddings, models.

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
from json.encoder import encode_basestring_ascii as _json_str
from typing import Any, Final

from ._common import (
    ApiError,
    Reply,
    Result,
    completion_limit,
    invalid_type,
    load_object,
    optional_int,
    required,
    string,
    tokens,
    truncate,
)
from ._http import Request
from ._stream import chat_stream, completion_stream, refusal_stream, tool_call_stream
from ._structured import ToolCall, chat_structure

__all__ = [
    "MODELS",
    "REFUSAL",
    "REFUSE_MARKER",
    "chat_completions",
    "completions",
    "embeddings",
    "list_models",
    "retrieve_model",
    "wants_refusal",
]

DEFAULT_DIMENSIONS: Final = 8
MAX_DIMENSIONS: Final = 65_536
MAX_EMBEDDING_INPUTS: Final = 2048
MAX_CHOICES: Final = 128
MAX_PROMPTS: Final = 2048


# A structured-output request whose last message holds this marker is refused, as OpenAI
# refuses some: the answer's text is in `refusal`, its content null (responses: a
# `refusal` content part). So client code and tests can meet a refusal on demand.
REFUSE_MARKER: Final = "[mock:refuse]"
REFUSAL: Final = "I'm sorry, I can't assist with that request."


def wants_refusal(fmt: object, last_text: str) -> bool:
    """Whether to refuse: a ``json_schema`` format was asked for and the marker is in the text."""
    return isinstance(fmt, dict) and fmt.get("type") == "json_schema" and REFUSE_MARKER in last_text


def _stream_options(payload: dict[str, Any]) -> tuple[bool, bool]:
    """Return (stream, include_usage), validated as OpenAI does."""
    stream = payload.get("stream")
    if stream is not None and not isinstance(stream, bool):
        raise invalid_type("stream", "a boolean", stream)
    options = payload.get("stream_options")
    if options is None:
        return bool(stream), False
    if not stream:
        raise ApiError(
            400,
            "The 'stream_options' parameter is only allowed when 'stream' is enabled.",
            param="stream_options",
            code="invalid_value",
        )
    if not isinstance(options, dict):
        raise invalid_type("stream_options", "an object", options)
    return True, bool(options.get("include_usage"))


# --- chat completions -------------------------------------------------------

_CHOICE: Final = (
    '{"index":%d,"message":{"role":"assistant","content":%s,"refusal":null},'
    '"logprobs":null,"finish_reason":"%s"}'
)
_COMPLETION: Final = (
    '{"id":"chatcmpl-%d","object":"chat.completion","created":%d,"model":%s,"choices":[%s],'
    '"usage":{"prompt_tokens":%d,"completion_tokens":%d,"total_tokens":%d},"system_fingerprint":"fp_mock"}'
)


def chat_completions(request: Request, number: int) -> Result:
    payload = load_object(request.body)
    model = string(payload, "model")
    messages = required(payload, "messages")
    if not isinstance(messages, list):
        raise invalid_type("messages", "an array", messages)
    if not messages:
        raise ApiError(400, "Invalid 'messages': empty array.", param="messages", code="empty_array")
    prompt_chars, last_text = _read_messages(messages)
    answer = "echo: " + last_text
    if "response_format" in payload and wants_refusal(payload["response_format"], last_text):
        return _refusal_completion(request, number, payload, model, tokens(prompt_chars))
    if "tools" in payload or "response_format" in payload:
        structure = chat_structure(payload, messages[-1].get("role"), last_text)
        if isinstance(structure, ToolCall):
            return _tool_call_completion(request, number, payload, model, structure, tokens(prompt_chars))
        if structure is not None:
            answer = structure
    reply, finish_reason = truncate(answer, completion_limit(payload))
    choices = optional_int(payload, "n", 1, MAX_CHOICES) or 1
    completion_tokens = tokens(len(reply)) * choices
    prompt_tokens = tokens(prompt_chars)
    # "stream" is looked up first so the common non-streaming case pays one dict lookup.
    if "stream" in payload or "stream_options" in payload:
        stream, include_usage = _stream_options(payload)
        if stream:
            request.usage = prompt_tokens + completion_tokens
            return chat_stream(
                number,
                int(time.time()),
                model,
                reply,
                finish_reason,
                choices,
                include_usage,
                (prompt_tokens, completion_tokens),
            )
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
    request.usage = prompt_tokens + completion_tokens
    return 200, text.encode(), None


def _refusal_completion(
    request: Request, number: int, payload: dict[str, Any], model: str, prompt_tokens: int
) -> Result:
    """Every choice refuses (see :data:`REFUSE_MARKER`), plain or streamed."""
    choices = optional_int(payload, "n", 1, MAX_CHOICES) or 1
    completion_tokens = tokens(len(REFUSAL)) * choices
    request.usage = prompt_tokens + completion_tokens
    created = int(time.time())
    stream, include_usage = _stream_options(payload)
    if stream:
        return refusal_stream(
            number, created, model, REFUSAL, choices, include_usage, (prompt_tokens, completion_tokens)
        )
    message = {"role": "assistant", "content": None, "refusal": REFUSAL}
    reply = {
        "id": f"chatcmpl-{number}",
        "object": "chat.completion",
        "created": created,
        "model": model,
        "choices": [
            {"index": index, "message": message, "logprobs": None, "finish_reason": "stop"}
            for index in range(choices)
        ],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
        "system_fingerprint": "fp_mock",
    }
    return 200, json.dumps(reply, separators=(",", ":")).encode(), None


def _tool_call_completion(
    request: Request, number: int, payload: dict[str, Any], model: str, call: ToolCall, prompt_tokens: int
) -> Result:
    """The assistant calls ``call`` (in every choice), plain or streamed."""
    arguments, finish_reason = truncate(call.arguments, completion_limit(payload))
    if finish_reason == "stop":
        finish_reason = "tool_calls"
    choices = optional_int(payload, "n", 1, MAX_CHOICES) or 1
    completion_tokens = tokens(len(arguments)) * choices
    request.usage = prompt_tokens + completion_tokens
    created = int(time.time())
    ids = [f"call_{number}_{index}" for index in range(choices)]
    stream, include_usage = _stream_options(payload)
    if stream:
        return tool_call_stream(
            number,
            created,
            model,
            (call.name, arguments, finish_reason),
            ids,
            include_usage,
            (prompt_tokens, completion_tokens),
        )
    reply = {
        "id": f"chatcmpl-{number}",
        "object": "chat.completion",
        "created": created,
        "model": model,
        "choices": [
            {
                "index": index,
                "message": {
                    "role": "assistant",
                    "content": None,
                    "refusal": None,
                    "tool_calls": [
                        {
                            "id": ids[index],
                            "type": "function",
                            "function": {"name": call.name, "arguments": arguments},
                        }
                    ],
                },
                "logprobs": None,
                "finish_reason": finish_reason,
            }
            for index in range(choices)
        ],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
        "system_fingerprint": "fp_mock",
    }
    return 200, json.dumps(reply, separators=(",", ":")).encode(), None


def _read_messages(messages: list[Any]) -> tuple[int, str]:
    """Return (characters of all contents, text of the last message)."""
    total = 0
    text = ""
    for index, message in enumerate(messages):
        if not isinstance(message, dict):
            raise invalid_type(f"messages[{index}]", "an object", message)
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
    raise invalid_type(f"messages[{index}].content", "a string or an array of content parts", content)


# --- legacy completions -----------------------------------------------------


def completions(request: Request, number: int) -> Result:
    """``POST /v1/completions``: one "echo: <prompt>" choice per prompt (times ``n``).

    Unlike OpenAI, ``max_tokens`` has no default of 16: without it the echo is whole.
    """
    payload = load_object(request.body)
    model = string(payload, "model")
    prompts = _prompts(required(payload, "prompt"))
    limit = completion_limit(payload)
    per_prompt = optional_int(payload, "n", 1, MAX_CHOICES) or 1
    stream, include_usage = _stream_options(payload)
    texts = [truncate("echo: " + prompt, limit) for prompt in prompts for _ in range(per_prompt)]
    prompt_tokens = sum(tokens(len(prompt)) for prompt in prompts)
    completion_tokens = sum(tokens(len(text)) for text, _ in texts)
    created = int(time.time())
    request.usage = prompt_tokens + completion_tokens
    if stream:
        return completion_stream(
            number, created, model, texts, include_usage, (prompt_tokens, completion_tokens)
        )
    reply = {
        "id": f"cmpl-{number}",
        "object": "text_completion",
        "created": created,
        "model": model,
        "system_fingerprint": "fp_mock",
        "choices": [
            {"text": text, "index": index, "logprobs": None, "finish_reason": finish_reason}
            for index, (text, finish_reason) in enumerate(texts)
        ],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }
    return 200, json.dumps(reply, separators=(",", ":")).encode(), None


def _prompts(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if (
        isinstance(value, list)
        and 0 < len(value) <= MAX_PROMPTS
        and all(isinstance(item, str) for item in value)
    ):
        return value
    raise invalid_type("prompt", f"a string or an array of 1 to {MAX_PROMPTS} strings", value)


# --- embeddings -------------------------------------------------------------


def embeddings(request: Request, number: int) -> Reply:
    payload = load_object(request.body)
    model = string(payload, "model")
    inputs = _embedding_inputs(required(payload, "input"))
    encoding = payload.get("encoding_format") or "float"
    if encoding not in ("float", "base64"):
        raise ApiError(
            400,
            f"Invalid value for 'encoding_format': expected 'float' or 'base64', got {encoding!r}.",
            param="encoding_format",
            code="invalid_value",
        )
    dimensions = optional_int(payload, "dimensions", 1, MAX_DIMENSIONS) or DEFAULT_DIMENSIONS
    data = []
    for index, (key, _) in enumerate(inputs):
        floats, encoded = _vector(key, dimensions)
        embedding: Any = encoded if encoding == "base64" else list(floats)
        data.append({"object": "embedding", "index": index, "embedding": embedding})
    total = sum(count for _, count in inputs)
    reply = {
        "object": "list",
        "data": data,
        "model": model,
        "usage": {"prompt_tokens": total, "total_tokens": total},
    }
    request.usage = total
    return 200, json.dumps(reply, separators=(",", ":")).encode(), None


def _embedding_inputs(value: Any) -> list[tuple[bytes, int]]:
    """Each input as (hash key, token count): text or a token array."""
    if isinstance(value, str):
        return [_text_input(value)]
    if not isinstance(value, list) or not value:
        raise invalid_type("input", "a string or a non-empty array", value)
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
    raise invalid_type("input", "a string, an array of strings or of token arrays", value)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _text_input(text: str) -> tuple[bytes, int]:
    return text.encode("utf-8", "surrogatepass"), tokens(len(text))


def _token_input(ids: list[int]) -> tuple[bytes, int]:
    # A distinct prefix so that the token array [1, 2] and the text "1,2" differ.
    return b"tokens:" + ",".join(map(str, ids)).encode(), len(ids)


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


def list_models(request: Request, number: int) -> Reply:
    return 200, _MODEL_LIST, None


def retrieve_model(request: Request, number: int, model_id: str) -> Reply:
    found = _MODEL_BODIES.get(model_id)
    if found is None:
        raise ApiError(
            404,
            f"The model '{model_id}' does not exist or you do not have access to it.",
            code="model_not_found",
        )
    return 200, found, None
