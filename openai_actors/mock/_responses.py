"""The Responses API: ``/v1/responses`` create (plain or streamed), retrieve, delete, cancel.

The reply text is "echo: " + the text of the last user message of ``input``,
or JSON fitting ``text.format``'s schema, or a call of a function tool offered
(``_structured``). A stored response's events can be streamed again
(``GET /v1/responses/{id}?stream=true&starting_after=N``).
Created responses are kept (the last :data:`MAX_STORED`) unless the request
says ``"store": false``, as OpenAI does.
"""

from __future__ import annotations

import json
import sys
from collections import OrderedDict
from collections.abc import Callable, Iterator
from typing import Any, Final

from ._app import REFUSAL, wants_refusal
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
    query_params,
    string,
    tokens,
    truncate,
)
from ._http import Request
from ._structured import ToolCall, response_structure

__all__ = ["MAX_STORED", "Responses"]

MAX_STORED: Final = 10_000
_ERROR_MESSAGE: Final = "The server had an error while processing your request. Sorry about that!"


class Responses:
    """The handlers, around a bounded store of created responses (loop thread only)."""

    def __init__(self, limit: int = MAX_STORED) -> None:
        self._limit = limit
        self._stored: OrderedDict[str, dict[str, Any]] = OrderedDict()
        # What each stored response is once its stream ends, for a stream asked for again.
        self._finals: dict[str, dict[str, Any]] = {}

    def create(self, request: Request, number: int) -> Result:
        payload = load_object(request.body)
        model = string(payload, "model")
        input_chars, user_text, last_type = _read_input(payload.get("input"))
        instructions = payload.get("instructions")
        if instructions is not None and not isinstance(instructions, str):
            raise invalid_type("instructions", "a string", instructions)
        limit = optional_int(payload, "max_output_tokens", 1, sys.maxsize)
        structure = None
        if "tools" in payload or "text" in payload:
            structure = response_structure(payload, last_type, user_text)
        stream = _flag(payload, "stream", False)
        store = _flag(payload, "store", True)
        background = _flag(payload, "background", False)
        started = _response(payload, f"resp_{number}", now(), model, limit, store)
        item: dict[str, Any]
        if isinstance(structure, ToolCall):
            text, finish_reason = truncate(structure.arguments, limit)
            item = {
                "id": f"fc_{number}",
                "type": "function_call",
                "status": "completed" if finish_reason == "stop" else "incomplete",
                "arguments": text,
                "call_id": f"call_{number}",
                "name": structure.name,
            }
        elif _refuses(payload, user_text):
            text, finish_reason = truncate(REFUSAL, limit)
            item = {
                "id": f"msg_{number}",
                "type": "message",
                "status": "completed" if finish_reason == "stop" else "incomplete",
                "content": [{"type": "refusal", "refusal": text}],
                "role": "assistant",
            }
        else:
            answer = "echo: " + user_text if structure is None else structure
            text, finish_reason = truncate(answer, limit)
            item = {
                "id": f"msg_{number}",
                "type": "message",
                "status": "completed" if finish_reason == "stop" else "incomplete",
                "content": [{"type": "output_text", "annotations": [], "text": text}],
                "role": "assistant",
            }
        input_tokens = tokens(input_chars + len(instructions or ""))
        output_tokens = tokens(len(text))
        finished = _finish(started, item, input_tokens, output_tokens, finish_reason)
        request.usage = input_tokens + output_tokens
        if not stream:
            if store:
                self._put(finished)
            return json_reply(finished)
        if store:
            # Until the stream ends, a retrieve sees it in progress, as on OpenAI.
            self._put(started, finished)
        return StreamReply(self._events(started, finished, store, background), _error_event)

    def retrieve(self, request: Request, number: int, response_id: str) -> Result:
        """The stored response; with ``?stream=true`` its events again, from the first after
        ``starting_after`` when given (as for a background response whose stream was left)."""
        found = self._get(response_id)
        params = query_params(request)
        if params.get("stream", "").lower() not in ("true", "1"):
            return json_reply(found)
        after = params.get("starting_after")
        if after is not None and not (after.isascii() and after.isdigit()):
            raise ApiError(
                400,
                f"Invalid 'starting_after': expected a non-negative integer, got {after!r}.",
                param="starting_after",
                code="invalid_value",
            )
        # In progress (its stream was left): what it becomes; cancelled: what it is.
        finished = found if found["status"] == "cancelled" else self._finals.get(response_id, found)
        events = _stream_events(_restart(finished), finished)
        return StreamReply(_after(events, -1 if after is None else int(after)), _error_event)

    def delete(self, request: Request, number: int, response_id: str) -> Reply:
        self._get(response_id)
        del self._stored[response_id]
        self._finals.pop(response_id, None)
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

    def _put(self, response: dict[str, Any], final: dict[str, Any] | None = None) -> None:
        """Keep ``response`` as it is now; ``final`` is what it becomes when its stream ends."""
        stored = self._stored
        response_id = response["id"]
        stored[response_id] = response
        stored.move_to_end(response_id)
        self._finals[response_id] = final or response
        while len(stored) > self._limit:
            gone, _ = stored.popitem(last=False)
            self._finals.pop(gone, None)

    def _finish_stored(self, started: dict[str, Any], finished: dict[str, Any]) -> None:
        # Unless it was cancelled or deleted meanwhile, the stored response is now finished.
        if self._stored.get(finished["id"]) is started and started["status"] != "cancelled":
            self._put(finished)

    def _events(
        self, started: dict[str, Any], finished: dict[str, Any], store: bool, background: bool
    ) -> Iterator[bytes]:
        """The events of a streamed response. A background response left before its end
        is finished all the same (it runs on without its stream, as on OpenAI)."""

        def end() -> None:
            if store:
                self._finish_stored(started, finished)

        try:
            yield from _stream_events(started, finished, end)
        finally:
            if background:
                end()


def _stream_events(
    started: dict[str, Any], finished: dict[str, Any], end: Callable[[], None] | None = None
) -> Iterator[bytes]:
    """The events announcing ``started``, producing each output item of ``finished``, and
    finishing it (``end`` called just before the last). A cancelled response has no last event."""
    sequence = 0

    def event(kind: str, fields: dict[str, Any]) -> bytes:
        nonlocal sequence
        data = json.dumps({"type": kind, "sequence_number": sequence, **fields}, separators=(",", ":"))
        sequence += 1
        return f"event: {kind}\ndata: {data}\n\n".encode()

    yield event("response.created", {"response": started})
    yield event("response.in_progress", {"response": started})
    for index, item in enumerate(finished["output"]):
        if item.get("type") == "function_call":
            where = {"item_id": item["id"], "output_index": index}
            added = {**item, "status": "in_progress", "arguments": ""}
            yield event("response.output_item.added", {"output_index": index, "item": added})
            for piece in pieces(item["arguments"]):
                yield event("response.function_call_arguments.delta", {**where, "delta": piece})
            done = {**where, "name": item["name"], "arguments": item["arguments"]}
            yield event("response.function_call_arguments.done", done)
        else:
            where = {"item_id": item["id"], "output_index": index, "content_index": 0}
            part = item["content"][0]
            added = {**item, "status": "in_progress", "content": []}
            yield event("response.output_item.added", {"output_index": index, "item": added})
            if part["type"] == "refusal":
                yield event(
                    "response.content_part.added", {**where, "part": {"type": "refusal", "refusal": ""}}
                )
                for piece in pieces(part["refusal"]):
                    yield event("response.refusal.delta", {**where, "delta": piece})
                yield event("response.refusal.done", {**where, "refusal": part["refusal"]})
            else:
                empty_part = {"type": "output_text", "annotations": [], "text": ""}
                yield event("response.content_part.added", {**where, "part": empty_part})
                for piece in pieces(part["text"]):
                    yield event("response.output_text.delta", {**where, "delta": piece, "logprobs": []})
                yield event("response.output_text.done", {**where, "text": part["text"], "logprobs": []})
            yield event("response.content_part.done", {**where, "part": part})
        yield event("response.output_item.done", {"output_index": index, "item": item})
    if end is not None:
        end()
    status = finished["status"]
    if status in ("completed", "incomplete", "failed"):
        yield event(f"response.{status}", {"response": finished})


def _restart(finished: dict[str, Any]) -> dict[str, Any]:
    """``finished`` as its stream first announced it: in progress, no output yet."""
    return {
        **finished,
        "status": "in_progress",
        "completed_at": None,
        "incomplete_details": None,
        "output": [],
        "usage": None,
    }


def _after(events: Iterator[bytes], starting_after: int) -> Iterator[bytes]:
    """The events whose sequence number is above ``starting_after`` (numbered from 0)."""
    for number, event in enumerate(events):
        if number > starting_after:
            yield event


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


def _refuses(payload: dict[str, Any], user_text: str) -> bool:
    text = payload.get("text")
    return isinstance(text, dict) and wants_refusal(text.get("format"), user_text)


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
    item: dict[str, Any],
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
        "output": [item],
        "usage": {
            "input_tokens": input_tokens,
            "input_tokens_details": {"cached_tokens": 0},
            "output_tokens": output_tokens,
            "output_tokens_details": {"reasoning_tokens": 0},
            "total_tokens": input_tokens + output_tokens,
        },
    }


def _read_input(value: Any) -> tuple[int, str, object]:
    """Return (characters of all message texts, text of the last user message, type of the last item)."""
    if value is None:
        return 0, "", None
    if isinstance(value, str):
        return len(value), value, "message"
    if not isinstance(value, list):
        raise invalid_type("input", "a string or an array of input items", value)
    total = 0
    last = ""
    kind: object = None
    for index, item in enumerate(value):
        if not isinstance(item, dict):
            raise invalid_type(f"input[{index}]", "an object", item)
        kind = item.get("type", "message")
        # Other items (tool calls and their outputs, reasoning) carry no text to echo.
        if kind != "message":
            continue
        text = _content_text(item.get("content"), index)
        total += len(text)
        if item.get("role") == "user":
            last = text
    return total, last, kind


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
