"""The Realtime API's conversation as a pure state machine: client events in, server events out.

Theory of operation. One :class:`RealtimeSession` per WebSocket connection.
:meth:`RealtimeSession.opened` gives the events a new connection starts with
(``session.created``); :meth:`RealtimeSession.receive` takes one text message
from the client and returns the server events that answer it at once (an
``error`` event for anything malformed, never an exception). A
``response.create`` answers ``response.created`` at once and leaves the rest of
the response *in progress*: its events come one at a time from
:meth:`RealtimeSession.next_event`, which the connection pumps at its own pace
(delays, backpressure), so that client events, a ``response.cancel`` above all,
can arrive between them, as on the real API. Nothing here does I/O or reads a
clock except ``now`` (passed in), so every answer is a function of the events
received.

The model is the mock's usual one: it answers "echo: " + the text of the last
user message in the conversation (or a description of its audio, or the
output of a function call), unless function tools are offered (the
response's, else the session's) and ``tool_choice`` allows: then it calls one
with arguments fitting its parameters' schema, as the HTTP mock's Responses
API does, streamed as ``response.function_call_arguments.delta`` events. Text output
is streamed as ``response.output_text.delta`` events of four characters (one
mock token); audio output as ``response.output_audio.delta`` events of base64
PCM (50 ms of a tone per mock token) next to the transcript's deltas. The mock
detects no speech: whatever the session's ``turn_detection`` says, audio is
committed by ``input_audio_buffer.commit`` only.

Invariant: at most one response is in progress (``_response``); its events
after ``response.created`` are generated lazily by ``_stream`` (with
``_message`` or ``_call`` for its output item), which records what it has
produced in the ``_Response`` so that a cancel can end it with the output
produced so far.
"""

from __future__ import annotations

import base64
import binascii
import copy
import json
import math
import struct
from collections.abc import Callable, Iterator
from typing import Any, Final, TypeGuard

from ._common import now as wall_clock
from ._common import pieces, tokens, truncate
from ._structured import ToolCall, response_structure

__all__ = ["DEFAULT_MODEL", "RealtimeSession"]

Event = dict[str, Any]

DEFAULT_MODEL: Final = "gpt-realtime"
_SESSION_SECONDS: Final = 3600
# 50 ms of a 440 Hz tone, PCM16 at 24 kHz: one output audio delta per mock token.
_AUDIO_CHUNK: Final = b"".join(
    struct.pack("<h", int(8000 * math.sin(2 * math.pi * 440 * i / 24000))) for i in range(1200)
)
_AUDIO_DELTA: Final = base64.b64encode(_AUDIO_CHUNK).decode("ascii")
# Bytes per millisecond of input audio, by format: PCM16 at 24 kHz, G.711 at 8 kHz.
_BYTES_PER_MS: Final = {"audio/pcm": 48, "audio/pcmu": 8, "audio/pcma": 8}
_MIN_COMMIT_MS: Final = 100
_MODALITIES: Final = frozenset(("text", "audio"))


class _ClientError(Exception):
    """A client event the server refuses: answered with an ``error`` event."""

    def __init__(self, message: str, *, code: str, param: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.param = param


class _Response:
    """The response in progress and what its stream has produced so far."""

    __slots__ = ("events", "item", "modalities", "object", "output_tokens", "produced", "started")

    def __init__(self, response: Event, item: Event, modalities: list[str]) -> None:
        self.object = response
        self.item = item
        self.modalities = modalities
        self.started = False  # its output item has been announced
        self.produced = ""  # text, transcript or arguments streamed so far
        self.output_tokens = 0
        self.events: Iterator[Event] = iter(())


def _default_session(session_id: str, model: str, expires_at: int) -> Event:
    pcm = {"type": "audio/pcm", "rate": 24000}
    return {
        "type": "realtime",
        "object": "realtime.session",
        "id": session_id,
        "model": model,
        "output_modalities": ["audio"],
        "instructions": "",
        "tools": [],
        "tool_choice": "auto",
        "max_output_tokens": "inf",
        "tracing": None,
        "truncation": "auto",
        "prompt": None,
        "include": None,
        "expires_at": expires_at,
        "audio": {
            "input": {
                "format": dict(pcm),
                "transcription": None,
                "noise_reduction": None,
                "turn_detection": None,
            },
            "output": {"format": dict(pcm), "voice": "alloy", "speed": 1.0},
        },
    }


class RealtimeSession:
    """One connection's session, conversation, input audio buffer and response in progress.

    ``number`` (the upgrade request's number) makes the ids unique across the
    server's connections: ``event_<number>_<n>``, ``item_<number>_<n>``, ...
    """

    def __init__(self, model: str, number: int, *, now: Callable[[], int] = wall_clock) -> None:
        self._number = number
        self._counter = 0
        self._session = _default_session(f"sess_{number}", model, now() + _SESSION_SECONDS)
        self._conversation_id = f"conv_{number}"
        self._items: list[Event] = []
        self._buffered = 0  # bytes of input audio appended and not yet committed
        # The length of each committed audio item: what the mock's echo says about it.
        self._audio_ms: dict[str, int] = {}
        self._response: _Response | None = None
        self._handlers: dict[str, Callable[[Event], list[Event]]] = {
            "session.update": self._session_update,
            "conversation.item.create": self._item_create,
            "conversation.item.retrieve": self._item_retrieve,
            "conversation.item.delete": self._item_delete,
            "conversation.item.truncate": self._item_truncate,
            "input_audio_buffer.append": self._audio_append,
            "input_audio_buffer.commit": self._audio_commit,
            "input_audio_buffer.clear": self._audio_clear,
            "output_audio_buffer.clear": self._output_audio_clear,
            "response.create": self._response_create,
            "response.cancel": self._response_cancel,
        }

    # --- the interface -------------------------------------------------------

    def opened(self) -> list[Event]:
        """The events a new connection starts with."""
        return [self._event("session.created", session=copy.deepcopy(self._session))]

    def receive(self, text: str) -> list[Event]:
        """The events answering one text message from the client, in order."""
        client_event_id: str | None = None
        try:
            event = _load_event(text)
            raw_id = event.get("event_id")
            client_event_id = raw_id if isinstance(raw_id, str) else None
            if not isinstance(event.get("type"), str):
                raise _ClientError(
                    "Missing required parameter: 'type'.", code="missing_required_parameter", param="type"
                )
            handler = self._handlers.get(event["type"])
            if handler is None:
                supported = ", ".join(f"'{name}'" for name in self._handlers)
                raise _ClientError(
                    f"Invalid value: '{event['type']}'. Supported values are: {supported}.",
                    code="invalid_value",
                    param="type",
                )
            return handler(event)
        except _ClientError as error:
            return [self.error(error.message, code=error.code, param=error.param, event_id=client_event_id)]

    def receive_binary(self) -> list[Event]:
        """The answer to a binary message: the Realtime API speaks JSON text only."""
        return [
            self.error(
                "Binary messages are not supported: send client events as JSON text.",
                code="invalid_request_error",
            )
        ]

    @property
    def responding(self) -> bool:
        """True while a response has events left to send."""
        return self._response is not None

    def next_event(self) -> Event | None:
        """The next event of the response in progress, or None when there is none."""
        response = self._response
        if response is None:
            return None
        event = next(response.events, None)
        if event is None:
            self._response = None
            return None
        return self._event(event.pop("type"), **event)

    def error(
        self, message: str, *, code: str | None, param: str | None = None, event_id: str | None = None
    ) -> Event:
        """An ``error`` event; ``event_id`` names the client event it is about."""
        detail = {
            "type": "invalid_request_error",
            "code": code,
            "message": message,
            "param": param,
            "event_id": event_id,
        }
        return self._event("error", error=detail)

    # --- session ---------------------------------------------------------------

    def _session_update(self, event: Event) -> list[Event]:
        update = _object(event, "session")
        kind = update.get("type")
        if kind is None:
            raise _ClientError(
                "Missing required parameter: 'session.type'.",
                code="missing_required_parameter",
                param="session.type",
            )
        if kind != "realtime":
            raise _ClientError(
                f"Invalid value: '{kind}'. The mock serves 'realtime' sessions only.",
                code="invalid_value",
                param="session.type",
            )
        for name in update:
            if name not in self._session or name in ("id", "object", "expires_at"):
                raise _ClientError(
                    f"Unknown parameter: 'session.{name}'.", code="unknown_parameter", param=f"session.{name}"
                )
        if "output_modalities" in update:
            _modalities(update["output_modalities"], "session.output_modalities")
        if "tools" in update and not isinstance(update["tools"], list):
            raise _ClientError(
                "Invalid type for 'session.tools': expected an array.",
                code="invalid_type",
                param="session.tools",
            )
        _merge(self._session, update)
        return [self._event("session.updated", session=copy.deepcopy(self._session))]

    # --- conversation ----------------------------------------------------------

    def _item_create(self, event: Event) -> list[Event]:
        item = copy.deepcopy(_object(event, "item"))
        kind = item.get("type")
        if kind not in ("message", "function_call", "function_call_output"):
            raise _ClientError(
                f"Invalid value: '{kind}'. Supported values are: 'message', 'function_call', "
                "'function_call_output'.",
                code="invalid_value",
                param="item.type",
            )
        if kind == "message":
            _check_message(item)
        item_id = item.get("id")
        if item_id is None:
            item["id"] = self._new_id("item")
        elif not isinstance(item_id, str) or self._find(item_id) is not None:
            raise _ClientError(
                f"Invalid value for 'item.id': an item with id '{item_id}' already exists.",
                code="invalid_value",
                param="item.id",
            )
        item["object"] = "realtime.item"
        item["status"] = "completed"
        previous = event.get("previous_item_id")
        index = self._insertion_index(previous)
        return self._add_item(item, index)

    def _insertion_index(self, previous: object) -> int:
        if previous is None:
            return len(self._items)
        if previous == "root":
            return 0
        found = self._find(previous) if isinstance(previous, str) else None
        if found is None:
            raise _ClientError(
                f"Invalid value for 'previous_item_id': no item with id '{previous}' exists.",
                code="invalid_value",
                param="previous_item_id",
            )
        return found + 1

    def _add_item(self, item: Event, index: int) -> list[Event]:
        previous_id = self._items[index - 1]["id"] if index > 0 else None
        self._items.insert(index, item)
        return [
            self._event("conversation.item.added", previous_item_id=previous_id, item=copy.deepcopy(item)),
            self._event("conversation.item.done", previous_item_id=previous_id, item=copy.deepcopy(item)),
        ]

    def _item_retrieve(self, event: Event) -> list[Event]:
        index = self._existing(event, "retrieving")
        return [self._event("conversation.item.retrieved", item=copy.deepcopy(self._items[index]))]

    def _item_delete(self, event: Event) -> list[Event]:
        index = self._existing(event, "deleting")
        item = self._items.pop(index)
        return [self._event("conversation.item.deleted", item_id=item["id"])]

    def _item_truncate(self, event: Event) -> list[Event]:
        index = self._existing(event, "truncating")
        item = self._items[index]
        content_index = event.get("content_index")
        audio_end_ms = event.get("audio_end_ms")
        if not _is_int(content_index) or not _is_int(audio_end_ms) or audio_end_ms < 0:
            raise _ClientError(
                "Missing or invalid parameter: 'content_index' and 'audio_end_ms' must be integers >= 0.",
                code="invalid_value",
                param="audio_end_ms",
            )
        if item.get("role") != "assistant":
            raise _ClientError(
                "Only assistant message items can be truncated.", code="invalid_value", param="item_id"
            )
        return [
            self._event(
                "conversation.item.truncated",
                item_id=item["id"],
                content_index=content_index,
                audio_end_ms=audio_end_ms,
            )
        ]

    def _existing(self, event: Event, doing: str) -> int:
        item_id = event.get("item_id")
        if not isinstance(item_id, str):
            raise _ClientError(
                "Missing required parameter: 'item_id'.", code="missing_required_parameter", param="item_id"
            )
        index = self._find(item_id)
        if index is None:
            raise _ClientError(
                f"Error {doing} item: the item with id '{item_id}' does not exist.",
                code="item_not_found",
                param="item_id",
            )
        return index

    def _find(self, item_id: str) -> int | None:
        for index, item in enumerate(self._items):
            if item["id"] == item_id:
                return index
        return None

    # --- input audio -----------------------------------------------------------

    def _audio_append(self, event: Event) -> list[Event]:
        audio = event.get("audio")
        if not isinstance(audio, str):
            raise _ClientError(
                "Missing required parameter: 'audio' (base64-encoded audio bytes).",
                code="missing_required_parameter",
                param="audio",
            )
        try:
            decoded = base64.b64decode(audio, validate=True)
        except binascii.Error:
            raise _ClientError(
                "Invalid value for 'audio': not valid base64.", code="invalid_value", param="audio"
            ) from None
        self._buffered += len(decoded)
        return []

    def _audio_commit(self, event: Event) -> list[Event]:
        per_ms = _BYTES_PER_MS.get(self._session["audio"]["input"]["format"].get("type"), 48)
        milliseconds = self._buffered / per_ms
        if milliseconds < _MIN_COMMIT_MS:
            raise _ClientError(
                "Error committing input audio buffer: buffer too small. Expected at least "
                f"{_MIN_COMMIT_MS}ms of audio, but buffer only has {milliseconds:.2f}ms of audio.",
                code="input_audio_buffer_commit_empty",
            )
        self._buffered = 0
        item: Event = {
            "id": self._new_id("item"),
            "object": "realtime.item",
            "type": "message",
            "role": "user",
            "status": "completed",
            "content": [{"type": "input_audio", "transcript": None}],
        }
        previous_id = self._items[-1]["id"] if self._items else None
        committed = self._event(
            "input_audio_buffer.committed", previous_item_id=previous_id, item_id=item["id"]
        )
        item_events = self._add_item(item, len(self._items))
        self._audio_ms[item["id"]] = int(milliseconds)
        return [committed, *item_events]

    def _audio_clear(self, event: Event) -> list[Event]:
        self._buffered = 0
        return [self._event("input_audio_buffer.cleared")]

    def _output_audio_clear(self, event: Event) -> list[Event]:
        raise _ClientError(
            "output_audio_buffer.clear is only supported for WebRTC connections.",
            code="invalid_value",
            param="type",
        )

    # --- responses -------------------------------------------------------------

    def _response_create(self, event: Event) -> list[Event]:
        if self._response is not None:
            raise _ClientError(
                "Conversation already has an active response in progress: "
                f"{self._response.object['id']}. Wait until the response is finished before creating a new one.",
                code="conversation_already_has_active_response",
            )
        options = event.get("response") or {}
        if not isinstance(options, dict):
            raise _ClientError(
                "Invalid type for 'response': expected an object.", code="invalid_type", param="response"
            )
        modalities = self._session["output_modalities"]
        if "output_modalities" in options:
            modalities = _modalities(options["output_modalities"], "response.output_modalities")
        limit = options.get("max_output_tokens", self._session["max_output_tokens"])
        if limit != "inf" and (not _is_int(limit) or not 1 <= limit <= 4096):
            raise _ClientError(
                "Invalid value for 'response.max_output_tokens': expected an integer between 1 and 4096, or 'inf'.",
                code="invalid_value",
                param="response.max_output_tokens",
            )
        in_conversation = options.get("conversation", "auto") != "none"
        last = self._last_input(options)
        call = self._tool_call(options, last)
        reply, status = truncate(
            call.arguments if call is not None else self._echo(last), None if limit == "inf" else limit
        )
        response = {
            "id": self._new_id("resp"),
            "object": "realtime.response",
            "status": "in_progress",
            "status_details": None,
            "output": [],
            "conversation_id": self._conversation_id if in_conversation else None,
            "output_modalities": list(modalities),
            "max_output_tokens": limit,
            "audio": {"output": copy.deepcopy(self._session["audio"]["output"])},
            "usage": None,
            "metadata": options.get("metadata"),
        }
        item: Event = {"id": self._new_id("item"), "object": "realtime.item"}
        if call is None:
            item.update(type="message", role="assistant", status="in_progress", content=[])
        else:
            call_id = self._new_id("call")
            item.update(
                type="function_call", status="in_progress", call_id=call_id, name=call.name, arguments=""
            )
        current = _Response(response, item, list(modalities))
        outcome = "completed" if status == "stop" else "incomplete"
        body = self._message(current, reply) if call is None else self._call(current, reply)
        current.events = self._stream(current, body, outcome, in_conversation)
        self._response = current
        return [self._event("response.created", response=copy.deepcopy(response))]

    def _response_cancel(self, event: Event) -> list[Event]:
        current = self._response
        wanted = event.get("response_id")
        if current is None or (wanted is not None and wanted != current.object["id"]):
            raise _ClientError(
                "Cancellation failed: no active response found.", code="response_cancel_not_active"
            )
        self._response = None
        events: list[Event] = []
        if current.started:
            item = current.item
            item["status"] = "incomplete"
            if item["type"] == "function_call":
                item["arguments"] = current.produced
            elif item["content"]:
                item["content"][0][_produced_key(current.modalities)] = current.produced
            events.append(
                self._event(
                    "response.output_item.done",
                    response_id=current.object["id"],
                    output_index=0,
                    item=copy.deepcopy(item),
                )
            )
            if any(known is item for known in self._items):
                events.append(self._event("conversation.item.done", item=copy.deepcopy(item)))
        details = {"type": "cancelled", "reason": "client_cancelled"}
        events.append(self._event("response.done", response=self._finished(current, "cancelled", details)))
        return events

    def _last_input(self, options: Event) -> Event | None:
        """The item a response answers: the last user message or function call output."""
        given = options.get("input")
        for item in reversed(given if isinstance(given, list) else self._items):
            if not isinstance(item, dict):
                continue
            if (item.get("type") == "message" and item.get("role") == "user") or item.get(
                "type"
            ) == "function_call_output":
                return item
        return None

    def _tool_call(self, options: Event, last: Event | None) -> ToolCall | None:
        """The function the response calls, as the HTTP mock's Responses API decides it: one of
        the tools offered (response's, else the session's) unless it answers a call's output."""
        tools = options.get("tools", self._session["tools"])
        choice = options.get("tool_choice", self._session["tool_choice"])
        last_type = last.get("type") if last is not None else None
        chosen = response_structure({"tools": tools, "tool_choice": choice}, last_type, "")
        return chosen if isinstance(chosen, ToolCall) else None

    def _echo(self, last: Event | None) -> str:
        if last is None:
            return "echo: (no input)"
        if last.get("type") == "function_call_output":
            return "echo: " + str(last.get("output", ""))
        texts: list[str] = []
        for part in last.get("content") or ():
            if part.get("type") == "input_text":
                texts.append(str(part.get("text", "")))
            elif part.get("type") == "input_audio":
                milliseconds = self._audio_ms.get(last.get("id", ""), 0)
                texts.append(f"{milliseconds} ms of audio")
        return "echo: " + " ".join(texts)

    def _stream(
        self, current: _Response, body: Iterator[Event], status: str, in_conversation: bool
    ) -> Iterator[Event]:
        """The events of a response after ``response.created``: its output item opened, ``body``
        (what the item streams), the item closed, ``response.done``."""
        item = current.item
        yield {"type": "rate_limits.updated", "rate_limits": _rate_limits()}
        current.started = True
        yield {
            "type": "response.output_item.added",
            "response_id": current.object["id"],
            "output_index": 0,
            "item": copy.deepcopy(item),
        }
        if in_conversation:
            previous_id = self._items[-1]["id"] if self._items else None
            self._items.append(item)
            yield {
                "type": "conversation.item.added",
                "previous_item_id": previous_id,
                "item": copy.deepcopy(item),
            }
        yield from body
        item["status"] = "completed" if status == "completed" else "incomplete"
        yield {
            "type": "response.output_item.done",
            "response_id": current.object["id"],
            "output_index": 0,
            "item": copy.deepcopy(item),
        }
        if in_conversation:
            yield {"type": "conversation.item.done", "item": copy.deepcopy(item)}
        details = None if status == "completed" else {"type": "incomplete", "reason": "max_output_tokens"}
        yield {"type": "response.done", "response": self._finished(current, status, details)}

    def _message(self, current: _Response, reply: str) -> Iterator[Event]:
        """An assistant message's content part: text deltas, or audio and transcript deltas."""
        item = current.item
        audio = "audio" in current.modalities
        where = {
            "response_id": current.object["id"],
            "item_id": item["id"],
            "output_index": 0,
            "content_index": 0,
        }
        part: Event = {"type": "audio", "transcript": ""} if audio else {"type": "text", "text": ""}
        item["content"].append(
            {"type": "output_audio", "transcript": ""} if audio else {"type": "output_text", "text": ""}
        )
        yield {"type": "response.content_part.added", **where, "part": dict(part)}
        for piece in pieces(reply):
            current.produced += piece
            current.output_tokens += 1
            if audio:
                yield {"type": "response.output_audio.delta", **where, "delta": _AUDIO_DELTA}
                yield {"type": "response.output_audio_transcript.delta", **where, "delta": piece}
            else:
                yield {"type": "response.output_text.delta", **where, "delta": piece}
        key = _produced_key(current.modalities)
        item["content"][0][key] = reply
        part[key] = reply
        if audio:
            yield {"type": "response.output_audio.done", **where}
            yield {"type": "response.output_audio_transcript.done", **where, "transcript": reply}
        else:
            yield {"type": "response.output_text.done", **where, "text": reply}
        yield {"type": "response.content_part.done", **where, "part": part}

    def _call(self, current: _Response, arguments: str) -> Iterator[Event]:
        """A function call's arguments, streamed as deltas."""
        item = current.item
        where = {
            "response_id": current.object["id"],
            "item_id": item["id"],
            "output_index": 0,
            "call_id": item["call_id"],
        }
        for piece in pieces(arguments):
            current.produced += piece
            current.output_tokens += 1
            yield {"type": "response.function_call_arguments.delta", **where, "delta": piece}
        item["arguments"] = arguments
        yield {
            "type": "response.function_call_arguments.done",
            **where,
            "name": item["name"],
            "arguments": arguments,
        }

    def _finished(self, current: _Response, status: str, details: Event | None) -> Event:
        response = copy.deepcopy(current.object)
        response["status"] = status
        response["status_details"] = details
        response["output"] = [copy.deepcopy(current.item)] if current.started else []
        response["usage"] = self._usage(current)
        return response

    def _usage(self, current: _Response) -> Event:
        text_chars = 0
        audio_ms = 0
        for item in self._items:
            if item is current.item:
                continue
            for part in item.get("content") or ():
                text_chars += len(str(part.get("text") or part.get("transcript") or ""))
            text_chars += len(str(item.get("arguments") or item.get("output") or ""))
            audio_ms += self._audio_ms.get(item["id"], 0)
        text_in = tokens(text_chars)
        audio_in = audio_ms // 50  # the mock's audio tokenizer: one token per 50 ms
        audio_out = current.output_tokens if "audio" in current.modalities else 0
        output = current.output_tokens + audio_out
        return {
            "total_tokens": text_in + audio_in + output,
            "input_tokens": text_in + audio_in,
            "output_tokens": output,
            "input_token_details": {
                "cached_tokens": 0,
                "text_tokens": text_in,
                "image_tokens": 0,
                "audio_tokens": audio_in,
                "cached_tokens_details": {"text_tokens": 0, "image_tokens": 0, "audio_tokens": 0},
            },
            "output_token_details": {"text_tokens": current.output_tokens, "audio_tokens": audio_out},
        }

    # --- plumbing --------------------------------------------------------------

    def _new_id(self, prefix: str) -> str:
        self._counter += 1
        return f"{prefix}_{self._number}_{self._counter}"

    def _event(self, kind: str, **fields: Any) -> Event:
        return {"event_id": self._new_id("event"), "type": kind, **fields}


def _load_event(text: str) -> Event:
    try:
        event = json.loads(text)
    except (ValueError, RecursionError):
        raise _ClientError(
            "We could not parse the JSON body of your request. The Realtime API expects JSON events.",
            code="invalid_json",
        ) from None
    if not isinstance(event, dict):
        raise _ClientError("A client event must be a JSON object.", code="invalid_request_error")
    return event


def _object(event: Event, name: str) -> Event:
    value = event.get(name)
    if value is None:
        raise _ClientError(
            f"Missing required parameter: '{name}'.", code="missing_required_parameter", param=name
        )
    if not isinstance(value, dict):
        raise _ClientError(
            f"Invalid type for '{name}': expected an object, but got {type(value).__name__}.",
            code="invalid_type",
            param=name,
        )
    return value


def _modalities(value: object, param: str) -> list[str]:
    if (
        not isinstance(value, list)
        or not value
        or not all(isinstance(v, str) and v in _MODALITIES for v in value)
    ):
        raise _ClientError(
            f"Invalid value for '{param}': expected a list of 'text' and 'audio'.",
            code="invalid_value",
            param=param,
        )
    return list(value)


def _check_message(item: Event) -> None:
    if item.get("role") not in ("user", "system", "assistant"):
        raise _ClientError(
            f"Invalid value: '{item.get('role')}'. Supported values are: 'user', 'system', 'assistant'.",
            code="invalid_value",
            param="item.role",
        )
    content = item.get("content")
    if not isinstance(content, list) or not all(isinstance(part, dict) for part in content):
        raise _ClientError(
            "Invalid type for 'item.content': expected an array of content parts.",
            code="invalid_type",
            param="item.content",
        )


def _merge(target: Event, update: Event) -> None:
    """Update ``target`` in place: nested objects are merged, anything else replaced."""
    for name, value in update.items():
        current = target.get(name)
        if isinstance(current, dict) and isinstance(value, dict):
            _merge(current, value)
        else:
            target[name] = copy.deepcopy(value)


def _is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _produced_key(modalities: list[str]) -> str:
    return "transcript" if "audio" in modalities else "text"


def _rate_limits() -> list[Event]:
    return [
        {"name": "requests", "limit": 5000, "remaining": 4999, "reset_seconds": 0.012},
        {"name": "tokens", "limit": 40000, "remaining": 39000, "reset_seconds": 1.5},
    ]
