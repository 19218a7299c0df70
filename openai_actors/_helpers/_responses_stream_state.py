"""A streamed response's events in, the helper's events out: sans-IO, as `_chat_stream_state`.

`ResponseStreamState.handle_event(event)` returns what `responses.stream()` yields for
that event: the text and arguments deltas with what has accumulated (`snapshot`), the
text's done event with the text parsed into `text_format`, and the completed event with
the response parsed as `responses.parse` parses one; every other event as it came.

What accumulates is only what the events need: each output text part's text, keyed by
(output_index, content_index), and each function call's arguments, keyed by
output_index. A stream must begin with `response.created` (a resumed stream is read
from its start, with the events up to `starting_after` left out by the caller), so the
state never holds text whose beginning it did not see.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Generic, cast

from .._models import BaseModel
from .._types import Omit, omit
from ..types.responses.response import Response
from ..types.responses.response_stream_event import ResponseStreamEvent as RawResponseStreamEvent
from ._chat_stream_events import make_event
from ._parsing import parse_response, parse_text
from ._responses_stream_events import (
    ResponseCompletedEvent,
    ResponseFunctionCallArgumentsDeltaEvent,
    ResponseStreamEvent,
    ResponseTextDeltaEvent,
    ResponseTextDoneEvent,
    TextFormatT,
)
from .parsed_response import ParsedResponse
from .responses import parse_response_stream_event

__all__ = ["ResponseStreamState"]


class ResponseStreamState(Generic[TextFormatT]):
    """Turns a response's raw stream events into `responses.stream()`'s events."""

    def __init__(
        self,
        *,
        input_tools: Iterable[Any] | Omit = omit,
        text_format: type[TextFormatT] | Omit = omit,
    ) -> None:
        self._input_tools: list[Any] = [] if isinstance(input_tools, Omit) else list(input_tools)
        self._text_format = text_format
        self._started = False
        self._texts: dict[tuple[int, int], str] = {}
        self._arguments: dict[int, str] = {}
        self._completed_response: ParsedResponse[TextFormatT] | None = None
        self._last_status: str | None = None

    @property
    def completed_response(self) -> ParsedResponse[TextFormatT] | None:
        """The parsed response, once `response.completed` has been handled."""
        return self._completed_response

    def final_response(self) -> ParsedResponse[TextFormatT]:
        """The parsed response; a RuntimeError saying what came instead if it never completed."""
        if self._completed_response is None:
            ending = (
                f"the response's last status was {self._last_status!r}" if self._last_status else "none came"
            )
            raise RuntimeError(f"the stream ended without a `response.completed` event ({ending})")
        return self._completed_response

    def handle_event(
        self, event: RawResponseStreamEvent | dict[str, Any]
    ) -> list[ResponseStreamEvent[TextFormatT]]:
        """The events `responses.stream()` yields for `event` (a stream event, or its JSON dict)."""
        if isinstance(event, dict):
            event = parse_response_stream_event(event)
        elif not isinstance(event, BaseModel):
            raise TypeError(
                f"handle_event() takes a response stream event (or its JSON dict), not {type(event).__name__}"
            )
        data: dict[str, Any] = event.__dict__["_data"]
        kind = data.get("type")
        if not self._started:
            self._start(kind, data)
        if kind == "response.output_text.delta":
            key = (data["output_index"], data["content_index"])
            text = self._texts[key] = self._texts.get(key, "") + data["delta"]
            return [make_event(ResponseTextDeltaEvent, **data, snapshot=text)]
        if kind == "response.function_call_arguments.delta":
            index = data["output_index"]
            arguments = self._arguments[index] = self._arguments.get(index, "") + data["delta"]
            return [make_event(ResponseFunctionCallArgumentsDeltaEvent, **data, snapshot=arguments)]
        if kind == "response.output_text.done":
            parsed = parse_text(data["text"], self._text_format)
            return [make_event(ResponseTextDoneEvent, **data, parsed=parsed)]
        if kind == "response.output_item.added":
            item = data.get("item") or {}
            if item.get("type") == "function_call":
                self._arguments[data["output_index"]] = item.get("arguments") or ""
        elif kind == "response.content_part.added":
            part = data.get("part") or {}
            if part.get("type") == "output_text":
                self._texts[(data["output_index"], data["content_index"])] = part.get("text") or ""
        elif kind == "response.completed":
            response = cast(
                "ParsedResponse[TextFormatT]",
                parse_response(
                    text_format=self._text_format,
                    input_tools=self._input_tools,
                    response=Response._from_raw(data["response"]),
                ),
            )
            self._completed_response = response
            self._last_status = "completed"
            return [make_event(ResponseCompletedEvent, **{**data, "response": response})]
        elif kind in ("response.incomplete", "response.failed", "response.in_progress", "response.queued"):
            status = (data.get("response") or {}).get("status")
            self._last_status = status if isinstance(status, str) else self._last_status
        return [cast("ResponseStreamEvent[TextFormatT]", event)]

    def _start(self, kind: object, data: dict[str, Any]) -> None:
        if kind == "response.created":
            self._started = True
            return
        raise RuntimeError(f"a response's stream must begin with `response.created`, not {kind!r}")
