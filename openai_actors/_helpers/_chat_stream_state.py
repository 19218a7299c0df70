"""Chunks of a streamed chat completion in, the helper's events and the completion so far out.

Sans-IO: `ChatCompletionStreamState.handle_chunk(chunk)` returns the events that chunk
gives, in the official SDK's order, and never reads or waits; `chat.completions.stream()`
(chat_stream.py) is a thin loop around it, and it can drive a `create(stream=True)` by hand.

Theory of operation. The completion so far is kept as JSON (`_raw`) and merged with each
chunk's deltas as the official `accumulate_delta` merges them (strings appended, lists of
objects merged by their `index`), but copy-on-write: a chunk replaces the dicts on the
paths it changes and shares the rest. So every snapshot handed out stays as it was when
handed out (a lazy model caches what it has read, and must never see its JSON change
under it), and a new snapshot costs a few small dict copies, not a deep copy.

Parsing, when there is something to parse: a `response_format` type gives each choice's
content a `PartialJSON` fed with the content deltas, so a `parsed` preview costs at most
one `json.loads` per chunk; a strict function tool does the same for its arguments. The full
parse (into the `response_format` type, or the tool's model) happens once, when the
content or the arguments are done.

Invariants: `_positions[i]` is where choice index `i` sits in `_raw["choices"]`; a dict in
`_raw` that a built snapshot may hold is never mutated (only dicts made for the current
chunk are, before the snapshot is built).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Generic, cast

from .._exceptions import ContentFilterFinishReasonError, LengthFinishReasonError
from .._types import Omit, omit
from ..types.chat.chat_completion_chunk import ChatCompletionChunk
from ._chat_stream_events import (
    ChatCompletionStreamEvent,
    ChunkEvent,
    ContentDeltaEvent,
    ContentDoneEvent,
    FunctionToolCallArgumentsDeltaEvent,
    FunctionToolCallArgumentsDoneEvent,
    LogprobsContentDeltaEvent,
    LogprobsContentDoneEvent,
    LogprobsRefusalDeltaEvent,
    LogprobsRefusalDoneEvent,
    ParsedChatCompletionSnapshot,
    RefusalDeltaEvent,
    RefusalDoneEvent,
    ResponseFormatT,
    make_event,
)
from ._parsing import (
    has_parseable_input,
    has_rich_response_format,
    is_parseable_tool,
    parse_chat_completion,
    parse_content,
    parse_function_tool_arguments,
)
from ._partial_json import PartialJSON
from .parsed_chat_completion import ParsedChatCompletion, ParsedFunction

__all__ = ["ChatCompletionStreamState", "accumulate_delta"]

_MISSING: Any = object()


def accumulate_delta(acc: dict[str, Any], delta: dict[str, Any]) -> dict[str, Any]:
    """`acc` with `delta` merged in, as a new dict; neither argument is changed.

    Strings are appended and numbers added; objects are merged key by key; a list of
    objects is merged entry by entry, each entry at the position its `index` names; a list
    of plain values is extended. `index` and `type` are replaced, never appended (they tell
    entries and union members apart). A value of another shape than before is ignored, as
    the official SDK ignores it.
    """
    out = dict(acc)
    for key, value in delta.items():
        old = out.get(key, _MISSING)
        if old is _MISSING or old is None or key == "index" or key == "type":
            out[key] = value
        elif isinstance(old, str) and isinstance(value, str):
            out[key] = old + value
        elif isinstance(old, dict) and isinstance(value, dict):
            out[key] = accumulate_delta(old, value)
        elif isinstance(old, list) and isinstance(value, list):
            out[key] = _accumulate_list(key, old, value)
        elif _is_number(old) and _is_number(value):
            out[key] = old + value
    return out


def _is_json(value: object) -> bool:
    """Whether `value` can sit in a model's JSON as it is (else it is an instance of a caller's type)."""
    return value is None or isinstance(value, dict | list | str | int | float | bool)


def _tool_by_name(tools: list[Any], name: object) -> dict[str, Any] | None:
    """The function tool of that name among the request's `tools`, or None."""
    for tool in tools:
        if isinstance(tool, dict) and tool.get("type") == "function":
            function = tool.get("function")
            if isinstance(function, dict) and function.get("name") == name:
                return tool
    return None


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _accumulate_list(key: str, old: list[Any], delta: list[Any]) -> list[Any]:
    if all(isinstance(item, str | int | float) for item in old):
        return old + delta
    merged = list(old)
    for entry in delta:
        index = entry.get("index") if isinstance(entry, dict) else None
        if not isinstance(index, int) or isinstance(index, bool):
            raise ValueError(
                f"a streamed chunk's {key!r} entry has no integer 'index' to merge it by: {entry!r:.200}"
            )
        if index < len(merged):
            merged[index] = accumulate_delta(merged[index], entry)
        else:
            merged.append(entry)
    return merged


class _ChoiceState:
    """What one choice has announced so far, and how far its content is parsed."""

    __slots__ = (
        "content_done",
        "content_parser",
        "current_tool",
        "done_tools",
        "logprobs_content_done",
        "logprobs_refusal_done",
        "parsed",
        "refusal_done",
        "tool_parsers",
        "tool_values",
    )

    def __init__(self, rich: bool) -> None:
        self.content_parser = PartialJSON() if rich else None
        self.tool_parsers: dict[int, PartialJSON] = {}
        self.content_done = False
        self.refusal_done = False
        self.logprobs_content_done = False
        self.logprobs_refusal_done = False
        self.done_tools: set[int] = set()
        self.current_tool: int | None = None
        # Parsed values that are not JSON (instances of the caller's types): set on each
        # new snapshot's models, since the snapshot's JSON holds their JSON form.
        self.parsed: object = _MISSING
        self.tool_values: dict[int, object] = {}


class ChatCompletionStreamState(Generic[ResponseFormatT]):
    """Accumulates `ChatCompletionChunk`s into a `ParsedChatCompletion`, with the events.

    For a stream you read yourself (`create(stream=True)`)::

        state = ChatCompletionStreamState()
        for chunk in client.chat.completions.create(..., stream=True):
            for event in state.handle_chunk(chunk):
                ...
        completion = state.get_final_completion()

    Pass the request's `response_format` (a type) and `tools` to get `parsed` values.
    """

    def __init__(
        self,
        *,
        input_tools: Iterable[Any] | Omit = omit,
        response_format: type[ResponseFormatT] | dict[str, Any] | Omit = omit,
    ) -> None:
        self._input_tools: list[Any] = [] if isinstance(input_tools, Omit) else list(input_tools)
        self._response_format = response_format
        self._rich = has_rich_response_format(response_format)
        self._parseable = has_parseable_input(response_format=response_format, input_tools=self._input_tools)
        self._raw: dict[str, Any] | None = None
        self._snapshot: ParsedChatCompletionSnapshot | None = None
        self._positions: dict[int, int] = {}
        self._choices: list[_ChoiceState] = []

    @property
    def current_completion_snapshot(self) -> ParsedChatCompletionSnapshot:
        """The completion accumulated so far (a new object after each chunk)."""
        if self._snapshot is None:
            raise RuntimeError("no chunk has been handled yet, so there is no completion snapshot")
        return self._snapshot

    def get_final_completion(self) -> ParsedChatCompletion[ResponseFormatT]:
        """The completion, parsed as `.parse()` parses one. Call it once the stream is over:
        it does not check that the stream ended."""
        return cast(
            "ParsedChatCompletion[ResponseFormatT]",
            parse_chat_completion(
                response_format=self._response_format,
                input_tools=self._input_tools,
                chat_completion=self.current_completion_snapshot,
            ),
        )

    def handle_chunk(
        self, chunk: ChatCompletionChunk | dict[str, Any]
    ) -> list[ChatCompletionStreamEvent[ResponseFormatT]]:
        """Merge `chunk` into the completion; return the events it gives, a `ChunkEvent` first.

        `chunk` is a `ChatCompletionChunk` (or its decoded JSON, a dict)."""
        if isinstance(chunk, dict):
            chunk = ChatCompletionChunk._from_raw(chunk)
        elif not isinstance(chunk, ChatCompletionChunk):
            raise TypeError(
                f"handle_chunk() takes a ChatCompletionChunk (or its JSON dict), not {type(chunk).__name__}"
            )
        data: dict[str, Any] = chunk.__dict__["_data"]
        raw = self._raw
        if raw is None:
            raw = {"system_fingerprint": None, **data, "object": "chat.completion", "choices": []}
        else:
            raw = {**raw, "choices": list(raw["choices"])}
            raw["usage"] = data.get("usage")
            raw["system_fingerprint"] = data.get("system_fingerprint")
        choices: list[dict[str, Any]] = raw["choices"]
        changed: list[tuple[dict[str, Any], int]] = []
        for choice in data.get("choices") or ():
            changed.append((choice, self._merge_choice(raw, choice)))
        self._raw = raw

        events: list[ChatCompletionStreamEvent[ResponseFormatT]] = []
        for choice, position in changed:
            self._choice_events(choice, choices[position], self._choices[position], events)
        snapshot = self._build_snapshot(raw)
        events.insert(0, make_event(ChunkEvent, type="chunk", chunk=chunk, snapshot=snapshot))
        return events

    # -- accumulation ----------------------------------------------------------

    def _merge_choice(self, raw: dict[str, Any], choice: dict[str, Any]) -> int:
        """Merge one choice's delta into `raw["choices"]`; returns its position there."""
        choices: list[dict[str, Any]] = raw["choices"]
        index = choice.get("index", 0)
        delta: dict[str, Any] = choice.get("delta") or {}
        position = self._positions.get(index)
        if position is None:
            position = self._positions[index] = len(choices)
            snapshot = {key: value for key, value in choice.items() if key != "delta"}
            snapshot["message"] = dict(delta)
            choices.append(snapshot)
            self._choices.append(_ChoiceState(self._rich))
        else:
            old = choices[position]
            snapshot = {**old, "message": accumulate_delta(old["message"], delta)}
            logprobs = choice.get("logprobs")
            if logprobs is not None:
                snapshot["logprobs"] = _merge_logprobs(old.get("logprobs"), logprobs)
            choices[position] = snapshot
        finish_reason = choice.get("finish_reason")
        if finish_reason:
            snapshot["finish_reason"] = finish_reason
            if self._parseable and finish_reason == "length":
                raise LengthFinishReasonError(completion=self._build_snapshot(raw))
            if self._parseable and finish_reason == "content_filter":
                raise ContentFilterFinishReasonError()
        state = self._choices[position]
        message = snapshot["message"]
        content = delta.get("content")
        if state.content_parser is not None and isinstance(content, str) and content:
            state.content_parser.feed(content)
            if not message.get("refusal") and state.content_parser.text.strip():
                message["parsed"] = state.content_parser.value()
        for call in delta.get("tool_calls") or ():
            self._preview_arguments(message, state, call)
        return position

    def _preview_arguments(self, message: dict[str, Any], state: _ChoiceState, call: dict[str, Any]) -> None:
        """The parsed-so-far arguments of a strict function tool's call, on `message`."""
        index = call.get("index")
        calls = message.get("tool_calls")
        if not isinstance(index, int) or not isinstance(calls, list) or index >= len(calls):
            return
        tool_call = calls[index]
        function = tool_call.get("function")
        if tool_call.get("type", "function") != "function" or not isinstance(function, dict):
            return
        piece = (call.get("function") or {}).get("arguments")
        parser = state.tool_parsers.get(index)
        if parser is None:
            tool = _tool_by_name(self._input_tools, function.get("name"))
            if tool is None or not is_parseable_tool(tool):
                return
            parser = state.tool_parsers[index] = PartialJSON()
        if isinstance(piece, str):
            parser.feed(piece)
        if parser.text:
            # This chunk's copy of the path down to the function, so no snapshot changes.
            calls = message["tool_calls"] = list(calls)
            calls[index] = {**tool_call, "function": {**function, "parsed_arguments": parser.value()}}

    # -- events ----------------------------------------------------------------

    def _choice_events(
        self,
        choice: dict[str, Any],
        snapshot: dict[str, Any],
        state: _ChoiceState,
        events: list[ChatCompletionStreamEvent[ResponseFormatT]],
    ) -> None:
        delta: dict[str, Any] = choice.get("delta") or {}
        message = snapshot["message"]
        content = delta.get("content")
        if content is not None and message.get("content") is not None:
            events.append(
                make_event(
                    ContentDeltaEvent,
                    type="content.delta",
                    delta=content,
                    snapshot=message["content"],
                    parsed=message.get("parsed"),
                )
            )
        refusal = delta.get("refusal")
        if refusal is not None and message.get("refusal") is not None:
            events.append(
                make_event(
                    RefusalDeltaEvent, type="refusal.delta", delta=refusal, snapshot=message["refusal"]
                )
            )
        for call in delta.get("tool_calls") or ():
            tool_call = message["tool_calls"][call["index"]]
            if tool_call.get("type", "function") == "function":
                function = tool_call.get("function") or {}
                events.append(
                    make_event(
                        FunctionToolCallArgumentsDeltaEvent,
                        type="tool_calls.function.arguments.delta",
                        name=function.get("name"),
                        index=call["index"],
                        arguments=function.get("arguments", ""),
                        parsed_arguments=function.get("parsed_arguments"),
                        arguments_delta=(call.get("function") or {}).get("arguments") or "",
                    )
                )
        logprobs = choice.get("logprobs")
        logprobs_so_far = snapshot.get("logprobs")
        if logprobs is not None and logprobs_so_far is not None:
            if logprobs.get("content") and logprobs_so_far.get("content"):
                events.append(
                    make_event(
                        LogprobsContentDeltaEvent,
                        type="logprobs.content.delta",
                        content=logprobs["content"],
                        snapshot=logprobs_so_far["content"],
                    )
                )
            if logprobs.get("refusal") and logprobs_so_far.get("refusal"):
                events.append(
                    make_event(
                        LogprobsRefusalDeltaEvent,
                        type="logprobs.refusal.delta",
                        refusal=logprobs["refusal"],
                        snapshot=logprobs_so_far["refusal"],
                    )
                )
        self._done_events(delta, snapshot, state, events)

    def _done_events(
        self,
        delta: dict[str, Any],
        snapshot: dict[str, Any],
        state: _ChoiceState,
        events: list[ChatCompletionStreamEvent[ResponseFormatT]],
    ) -> None:
        """What finished: the content (and refusal, logprobs) when the choice finishes or
        turns to tool calls; a tool call when the next begins or the choice finishes."""
        if snapshot.get("finish_reason"):
            self._content_done_events(snapshot, state, events)
            if state.current_tool is not None:
                self._tool_done_event(snapshot, state, state.current_tool, events)
        for call in delta.get("tool_calls") or ():
            index = call["index"]
            if state.current_tool != index:
                self._content_done_events(snapshot, state, events)
                if state.current_tool is not None:
                    self._tool_done_event(snapshot, state, state.current_tool, events)
            state.current_tool = index

    def _content_done_events(
        self,
        snapshot: dict[str, Any],
        state: _ChoiceState,
        events: list[ChatCompletionStreamEvent[ResponseFormatT]],
    ) -> None:
        message = snapshot["message"]
        content = message.get("content")
        if content and not state.content_done:
            state.content_done = True
            parsed: object = None
            if self._rich and not message.get("refusal"):
                parsed = parse_content(cast(type, self._response_format), content)
                if not _is_json(parsed):
                    state.parsed = parsed
                else:
                    message["parsed"] = parsed
            events.append(make_event(ContentDoneEvent, type="content.done", content=content, parsed=parsed))
        refusal = message.get("refusal")
        if refusal is not None and not state.refusal_done:
            state.refusal_done = True
            events.append(make_event(RefusalDoneEvent, type="refusal.done", refusal=refusal))
        logprobs = snapshot.get("logprobs")
        if logprobs is not None:
            if logprobs.get("content") is not None and not state.logprobs_content_done:
                state.logprobs_content_done = True
                events.append(
                    make_event(
                        LogprobsContentDoneEvent, type="logprobs.content.done", content=logprobs["content"]
                    )
                )
            if logprobs.get("refusal") is not None and not state.logprobs_refusal_done:
                state.logprobs_refusal_done = True
                events.append(
                    make_event(
                        LogprobsRefusalDoneEvent, type="logprobs.refusal.done", refusal=logprobs["refusal"]
                    )
                )

    def _tool_done_event(
        self,
        snapshot: dict[str, Any],
        state: _ChoiceState,
        index: int,
        events: list[ChatCompletionStreamEvent[ResponseFormatT]],
    ) -> None:
        if index in state.done_tools:
            return
        state.done_tools.add(index)
        message = snapshot["message"]
        tool_call = message["tool_calls"][index]
        if tool_call.get("type", "function") != "function":
            return
        function = tool_call.get("function") or {}
        arguments = function.get("arguments", "")
        parsed = parse_function_tool_arguments(
            input_tools=self._input_tools,
            function=ParsedFunction._from_raw({"name": function.get("name"), "arguments": arguments}),
        )
        if not _is_json(parsed):
            state.tool_values[index] = parsed
        elif parsed is not None:
            calls = message["tool_calls"] = list(message["tool_calls"])
            calls[index] = {**tool_call, "function": {**function, "parsed_arguments": parsed}}
        events.append(
            make_event(
                FunctionToolCallArgumentsDoneEvent,
                type="tool_calls.function.arguments.done",
                name=function.get("name"),
                index=index,
                arguments=arguments,
                parsed_arguments=parsed,
            )
        )

    # -- snapshots -------------------------------------------------------------

    def _build_snapshot(self, raw: dict[str, Any]) -> ParsedChatCompletionSnapshot:
        snapshot: ParsedChatCompletionSnapshot = ParsedChatCompletion._from_raw(raw)
        for position, state in enumerate(self._choices):
            if state.parsed is _MISSING and not state.tool_values:
                continue
            message = snapshot.choices[position].message
            if state.parsed is not _MISSING:
                message.__dict__["parsed"] = state.parsed
            for index, value in state.tool_values.items():
                tool_calls = message.tool_calls or []
                if index < len(tool_calls):
                    tool_calls[index].function.__dict__["parsed_arguments"] = value
        self._snapshot = snapshot
        return snapshot


def _merge_logprobs(old: dict[str, Any] | None, new: dict[str, Any]) -> dict[str, Any]:
    if old is None:
        return {"content": new.get("content"), "refusal": new.get("refusal")}
    merged = dict(old)
    for key in ("content", "refusal"):
        if new.get(key):
            merged[key] = (old.get(key) or []) + new[key]
    return merged
