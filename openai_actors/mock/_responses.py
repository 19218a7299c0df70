"""The Responses API: ``/v1/responses`` create (plain or streamed), retrieve, delete, cancel.

The reply text is "echo: " + the text of the last user message of ``input``.
Created responses are kept (the last :data:`MAX_STORED`) unless the request
says ``"store": false``, as OpenAI does.
"""

from __future__ import annotations

import json
import sys
from collections import OrderedDict
from collections.abc import Iterator
from typing import Any, Final

from ._common import (
    ApiError,
    Reply,
    Result,
    StreamReply,
    invalid_type,
    json_reply,
    load_object,
    now,
    optional_int,
    pieces,
    string,
    tokens,
    truncate,
)
from ._http import Request

__all__ = ["MAX_STORED", "Responses"]

MAX_STORED: Final = 10_000
_ERROR_MESSAGE: Final = "The server had an error while processing your request. Sorry about that!"


class Responses:
    """The handlers, around a bounded store of created responses (loop thread only)."""

    def __init__(self, limit: int = MAX_STORED) -> None:
        self._limit = limit
        self._stored: OrderedDict[str, dict[str, Any]] = OrderedDict()

    def create(self, request: Request, number: int) -> Result:
        payload = load_object(request.body)
        model = string(payload, "model")
        input_chars, user_text = _read_input(payload.get("input"))
        instructions = payload.get("instructions")
        if instructions is not None and not isinstance(instructions, str):
            raise invalid_type("instructions", "a string", instructions)
        limit = optional_int(payload, "max_output_tokens", 1, sys.maxsize)
        text, finish_reason = truncate("echo: " + user_text, limit)
        stream = _flag(payload, "stream", False)
        store = _flag(payload, "store", True)
        started = _response(payload, f"resp_{number}", now(), model, limit, store)
        message: dict[str, Any] = {
            "id": f"msg_{number}",
            "type": "message",
            "status": "completed" if finish_reason == "stop" else "incomplete",
            "content": [{"type": "output_text", "annotations": [], "text": text}],
            "role": "assistant",
        }
        input_tokens = tokens(input_chars + len(instructions or ""))
        output_tokens = tokens(len(text))
        finished = _finish(started, message, input_tokens, output_tokens, finish_reason)
        request.usage = input_tokens + output_tokens
        if not stream:
            if store:
                self._put(finished)
            return json_reply(finished)
        if store:
            # Until the stream ends, a retrieve sees it in progress, as on OpenAI.
            self._put(started)
        return StreamReply(self._events(started, message, finished, store), _error_event)

    def retrieve(self, request: Request, number: int, response_id: str) -> Reply:
        return json_reply(self._get(response_id))

    def delete(self, request: Request, number: int, response_id: str) -> Reply:
        self._get(response_id)
        del self._stored[response_id]
        return json_reply({"id": response_id, "object": "response.deleted", "deleted": True})

    def cancel(self, request: Request, number: int, response_id: str) -> Reply:
        """Mark a stored response cancelled. Unlike OpenAI, which only cancels
        ``background`` responses, any stored response may be cancelled."""
        response = self._get(response_id)
        response["status"] = "cancelled"
        return json_reply(response)

    def _get(self, response_id: str) -> dict[str, Any]:
        found = self._stored.get(response_id)
        if found is None:
            raise ApiError(404, f"Response with id '{response_id}' not found.", param="response_id")
        return found

    def _put(self, response: dict[str, Any]) -> None:
        stored = self._stored
        stored[response["id"]] = response
        stored.move_to_end(response["id"])
        while len(stored) > self._limit:
            stored.popitem(last=False)

    def _events(
        self, started: dict[str, Any], message: dict[str, Any], finished: dict[str, Any], store: bool
    ) -> Iterator[bytes]:
        item_id = message["id"]
        text = message["content"][0]["text"]
        where = {"item_id": item_id, "output_index": 0, "content_index": 0}
        sequence = 0

        def event(kind: str, fields: dict[str, Any]) -> bytes:
            nonlocal sequence
            data = json.dumps({"type": kind, "sequence_number": sequence, **fields}, separators=(",", ":"))
            sequence += 1
            return f"event: {kind}\ndata: {data}\n\n".encode()

        yield event("response.created", {"response": started})
        yield event("response.in_progress", {"response": started})
        added = {**message, "status": "in_progress", "content": []}
        yield event("response.output_item.added", {"output_index": 0, "item": added})
        empty_part = {"type": "output_text", "annotations": [], "text": ""}
        yield event("response.content_part.added", {**where, "part": empty_part})
        for piece in pieces(text):
            yield event("response.output_text.delta", {**where, "delta": piece, "logprobs": []})
        yield event("response.output_text.done", {**where, "text": text, "logprobs": []})
        yield event("response.content_part.done", {**where, "part": message["content"][0]})
        yield event("response.output_item.done", {"output_index": 0, "item": message})
        # Unless it was cancelled or deleted meanwhile, the stored response is now finished.
        if store and self._stored.get(finished["id"]) is started:
            self._put(finished)
        kind = "response.completed" if finished["status"] == "completed" else "response.incomplete"
        yield event(kind, {"response": finished})


def _error_event(sent: int, payload: bytes | None) -> bytes:
    """OpenAI's ``error`` event of a Responses stream (sequence numbers count from 0)."""
    if payload is None:
        error = {
            "type": "error",
            "sequence_number": sent,
            "code": "server_error",
            "message": _ERROR_MESSAGE,
            "param": None,
        }
        payload = json.dumps(error, separators=(",", ":")).encode()
    return b"event: error\ndata: " + payload + b"\n\n"


def _flag(payload: dict[str, Any], name: str, default: bool) -> bool:
    value = payload.get(name)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise invalid_type(name, "a boolean", value)
    return value


def _or(payload: dict[str, Any], name: str, default: Any) -> Any:
    value = payload.get(name)
    return default if value is None else value


def _response(
    payload: dict[str, Any], response_id: str, created_at: int, model: str, limit: int | None, store: bool
) -> dict[str, Any]:
    """The response as first announced: in progress, no output; request parameters
    echoed (or OpenAI's defaults), in the order OpenAI lists its fields."""
    service_tier = payload.get("service_tier")
    return {
        "id": response_id,
        "object": "response",
        "created_at": created_at,
        "status": "in_progress",
        "background": _or(payload, "background", False),
        "completed_at": None,
        "error": None,
        "incomplete_details": None,
        "instructions": payload.get("instructions"),
        "max_output_tokens": limit,
        "max_tool_calls": payload.get("max_tool_calls"),
        "model": model,
        "output": [],
        "parallel_tool_calls": _or(payload, "parallel_tool_calls", True),
        "previous_response_id": payload.get("previous_response_id"),
        "prompt_cache_key": payload.get("prompt_cache_key"),
        "reasoning": _or(payload, "reasoning", {"effort": None, "summary": None}),
        "safety_identifier": payload.get("safety_identifier"),
        "service_tier": "default" if service_tier in (None, "auto") else service_tier,
        "store": store,
        "temperature": _or(payload, "temperature", 1.0),
        "text": _or(payload, "text", {"format": {"type": "text"}, "verbosity": "medium"}),
        "tool_choice": _or(payload, "tool_choice", "auto"),
        "tools": _or(payload, "tools", []),
        "top_logprobs": _or(payload, "top_logprobs", 0),
        "top_p": _or(payload, "top_p", 1.0),
        "truncation": _or(payload, "truncation", "disabled"),
        "usage": None,
        "user": payload.get("user"),
        "metadata": _or(payload, "metadata", {}),
    }


def _finish(
    started: dict[str, Any],
    message: dict[str, Any],
    input_tokens: int,
    output_tokens: int,
    finish_reason: str,
) -> dict[str, Any]:
    complete = finish_reason == "stop"
    return {
        **started,
        "status": "completed" if complete else "incomplete",
        "completed_at": started["created_at"] if complete else None,
        "incomplete_details": None if complete else {"reason": "max_output_tokens"},
        "output": [message],
        "usage": {
            "input_tokens": input_tokens,
            "input_tokens_details": {"cached_tokens": 0},
            "output_tokens": output_tokens,
            "output_tokens_details": {"reasoning_tokens": 0},
            "total_tokens": input_tokens + output_tokens,
        },
    }


def _read_input(value: Any) -> tuple[int, str]:
    """Return (characters of all message texts, text of the last user message)."""
    if value is None:
        return 0, ""
    if isinstance(value, str):
        return len(value), value
    if not isinstance(value, list):
        raise invalid_type("input", "a string or an array of input items", value)
    total = 0
    last = ""
    for index, item in enumerate(value):
        if not isinstance(item, dict):
            raise invalid_type(f"input[{index}]", "an object", item)
        # Other items (tool calls and their outputs, reasoning) carry no text to echo.
        if item.get("type", "message") != "message":
            continue
        text = _content_text(item.get("content"), index)
        total += len(text)
        if item.get("role") == "user":
            last = text
    return total, last


def _content_text(content: Any, index: int) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(
            part["text"]
            for part in content
            if isinstance(part, dict)
            and part.get("type") in ("input_text", "output_text")
            and isinstance(part.get("text"), str)
        )
    raise invalid_type(f"input[{index}].content", "a string or an array of content parts", content)
