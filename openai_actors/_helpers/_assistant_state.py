"""The Assistants event stream folded into snapshots, and the callbacks each event fires: no I/O.

Theory of operation. A streamed run sends whole objects (`thread.run.*`,
`thread.message.created`, `thread.run.step.created`, ...) and deltas of the
two objects that grow while the model writes: a message's content
(`thread.message.delta`) and a run step's tool calls (`thread.run.step.delta`).
`AssistantStreamState.feed(event)` merges each delta into the snapshot of
its object and returns the handler callbacks the event fires, in order, as
`(method name, arguments)`; the sync and async event handlers
(`assistant_events.py`) only call them, so both run exactly this logic.

Snapshots are copy-on-write: a delta never changes a dict or a model already
handed out, nor the event it came in; the merged object is new, sharing the
parts the delta left alone (and the parts it added) with what came before. So
a snapshot a callback received stays what it was, nothing is copied whole,
and the cost of a delta is the size of the path it changes.

Merging (`merge_delta`): strings are appended (text, tool-call arguments),
objects merged key by key, lists of `{"index": i, ...}` entries merged entry
by entry at position i (a content block, a tool call, an annotation); other
lists are extended; a null leaves the snapshot's value; `index` and `type`,
and any other value, take the delta's value.

Invariant: no dict or list reachable from `_message_raw[id]` or
`_step_raw[id]` is ever changed in place (they may be the events' own data);
the models in `messages` and `run_steps` are built over exactly those dicts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, cast

from ..types.beta.threads.message import Message
from ..types.beta.threads.runs.run_step import RunStep

if TYPE_CHECKING:
    from ..types.beta.assistant_stream_event import AssistantStreamEvent
    from ..types.beta.threads.message_delta_event import MessageDeltaEvent
    from ..types.beta.threads.run import Run
    from ..types.beta.threads.runs.run_step_delta_event import RunStepDeltaEvent
    from ..types.beta.threads.runs.tool_call import ToolCall

__all__ = ["AssistantStreamState", "Callback", "CallbackName", "merge_delta", "merge_entries"]

CallbackName = Literal[
    "on_event",
    "on_run_step_created",
    "on_run_step_delta",
    "on_run_step_done",
    "on_tool_call_created",
    "on_tool_call_delta",
    "on_tool_call_done",
    "on_message_created",
    "on_message_delta",
    "on_message_done",
    "on_text_created",
    "on_text_delta",
    "on_text_done",
    "on_image_file_done",
]
Callback = tuple[CallbackName, tuple[Any, ...]]

# Keys that name an entry or a union member: a delta's value replaces the snapshot's.
_REPLACED = frozenset({"index", "type"})

_RUN_ACTIVE = frozenset(
    {"thread.run.created", "thread.run.queued", "thread.run.in_progress", "thread.run.cancelling"}
)
_RUN_SETTLED = frozenset(
    {
        "thread.run.completed",
        "thread.run.incomplete",
        "thread.run.failed",
        "thread.run.cancelled",
        "thread.run.expired",
        "thread.run.requires_action",
    }
)
_STEP_SETTLED = frozenset(
    {
        "thread.run.step.completed",
        "thread.run.step.failed",
        "thread.run.step.cancelled",
        "thread.run.step.expired",
    }
)
_MESSAGE_SETTLED = frozenset({"thread.message.completed", "thread.message.incomplete"})


def merge_delta(snapshot: Mapping[str, Any], delta: Mapping[str, Any]) -> dict[str, Any]:
    """`snapshot` with `delta` merged in, as a new dict; neither argument is changed."""
    merged = dict(snapshot)
    for key, new in delta.items():
        old = merged.get(key)
        if old is None or key in _REPLACED:
            merged[key] = new
        elif new is None:
            continue  # a null in a delta brings nothing new for a field already set
        elif isinstance(old, str) and isinstance(new, str):
            merged[key] = old + new
        elif isinstance(old, dict) and isinstance(new, dict):
            merged[key] = merge_delta(old, new)
        elif isinstance(old, list) and isinstance(new, list):
            merged[key] = merge_entries(old, new, key)
        else:
            merged[key] = new
    return merged


def merge_entries(entries: Sequence[Any], deltas: Sequence[Any], key: str = "list") -> list[Any]:
    """`entries` with `deltas` merged in, as a new list.

    Deltas that are objects say where they go (`index`, their position in the
    list): merged into the entry there, or added when the index is the next
    one. A list of plain values (ids) only grows.
    """
    if not any(isinstance(delta, dict) for delta in deltas):
        return [*entries, *deltas]
    merged = list(entries)
    for delta in deltas:
        index = delta.get("index") if isinstance(delta, dict) else None
        if not isinstance(index, int) or isinstance(index, bool) or index < 0:
            raise ValueError(f"a streamed delta's {key!r} entry has no valid 'index': {delta!r:.200}")
        if index < len(merged):
            old = merged[index]
            merged[index] = merge_delta(old, delta) if isinstance(old, dict) else delta
        elif index == len(merged):
            merged.append(delta)
        else:
            raise ValueError(
                f"a streamed delta's {key!r} entry has index {index}, past the {len(merged)} entries so far"
            )
    return merged


def _raw(model: Any) -> dict[str, Any]:
    """The JSON object a model wraps (not a copy: merging never changes it)."""
    return cast("dict[str, Any]", model.__dict__["_data"])


class AssistantStreamState:
    """The run, its steps and its messages as the events so far make them."""

    def __init__(self) -> None:
        self.run: Run | None = None
        self.run_steps: dict[str, RunStep] = {}
        self.messages: dict[str, Message] = {}
        self.message: Message | None = None  # the one being written, or the last one done
        self._step_id: str | None = None  # the step in progress
        self._step_raw: dict[str, dict[str, Any]] = {}
        self._message_raw: dict[str, dict[str, Any]] = {}
        self._block: int | None = None  # the content block of `message` being written
        self._tool_call: tuple[str, int] | None = None  # (step id, index) of the tool call being written

    @property
    def run_step(self) -> RunStep | None:
        """The step in progress."""
        return None if self._step_id is None else self.run_steps.get(self._step_id)

    def feed(self, event: AssistantStreamEvent) -> list[Callback]:
        """Take in one event; the callbacks it fires, `on_event` first."""
        calls: list[Callback] = [("on_event", (event,))]
        name: str = event.event
        data: Any = event.data
        if name in _RUN_ACTIVE:
            self.run = data
        elif name in _RUN_SETTLED:
            self.run = data
            self._tool_call_done(calls)
        elif name == "thread.message.created":
            self._message_created(data, calls)
        elif name == "thread.message.delta":
            self._message_delta(data, calls)
        elif name in _MESSAGE_SETTLED:
            self._message_done(data, calls)
        elif name == "thread.run.step.created":
            self._step_created(data, calls)
        elif name == "thread.run.step.in_progress":
            self._step_id = data.id
            if data.id not in self._step_raw:  # joined late: start from what the event says
                self._keep_step(_raw(data))
        elif name == "thread.run.step.delta":
            self._step_delta(data, calls)
        elif name in _STEP_SETTLED:
            self._step_done(data, calls)
        # thread.created, thread.message.in_progress, run step and message states not
        # named above, error, done, and event names this version does not know: no
        # snapshot changes, only on_event.
        return calls

    # -- messages ---------------------------------------------------------------------

    def _keep_message(self, raw: dict[str, Any]) -> Message:
        message = Message._from_raw(raw)
        self._message_raw[message.id] = raw
        self.messages[message.id] = message
        self.message = message
        return message

    def _message_created(self, message: Message, calls: list[Callback]) -> None:
        self._keep_message(_raw(message))
        self._block = None
        calls.append(("on_message_created", (message,)))

    def _message_delta(self, event: MessageDeltaEvent, calls: list[Callback]) -> None:
        raw = self._message_raw.get(event.id)
        if raw is None:
            raise RuntimeError(f"the stream sent a delta of message {event.id!r} before creating it")
        blocks_before = len(raw.get("content") or ())
        delta = event.delta
        content_deltas = delta.content or []
        if content_deltas:
            content = merge_entries(raw.get("content") or [], _raw(delta).get("content") or [], "content")
            raw = {**raw, "content": content}
        snapshot = self._keep_message(raw)
        for block_delta in content_deltas:
            index = block_delta.index
            block = snapshot.content[index]
            if index != self._block:
                self._block_done(snapshot, calls)
                self._block = index
                if index >= blocks_before and block.type == "text":
                    calls.append(("on_text_created", (block.text,)))
            if block_delta.type == "text" and block_delta.text is not None and block.type == "text":
                calls.append(("on_text_delta", (block_delta.text, block.text)))
        calls.append(("on_message_delta", (delta, snapshot)))

    def _message_done(self, message: Message, calls: list[Callback]) -> None:
        # The server's own final object replaces the one pieced together from deltas.
        self._keep_message(_raw(message))
        self._block_done(message, calls)
        self._block = None
        calls.append(("on_message_done", (message,)))

    def _block_done(self, message: Message, calls: list[Callback]) -> None:
        """The callback for the end of the block being written, if any."""
        if self._block is None or self._block >= len(message.content):
            return
        block = message.content[self._block]
        if block.type == "text":
            calls.append(("on_text_done", (block.text,)))
        elif block.type == "image_file":
            calls.append(("on_image_file_done", (block.image_file,)))

    # -- run steps --------------------------------------------------------------------

    def _keep_step(self, raw: dict[str, Any]) -> RunStep:
        step = RunStep._from_raw(raw)
        self._step_raw[step.id] = raw
        self.run_steps[step.id] = step
        return step

    def _step_created(self, step: RunStep, calls: list[Callback]) -> None:
        self._keep_step(_raw(step))
        self._step_id = step.id
        calls.append(("on_run_step_created", (step,)))

    def _step_delta(self, event: RunStepDeltaEvent, calls: list[Callback]) -> None:
        raw = self._step_raw.get(event.id)
        if raw is None:
            raise RuntimeError(f"the stream sent a delta of run step {event.id!r} before creating it")
        delta = event.delta
        snapshot = self._keep_step(merge_delta(raw, _raw(delta)))
        details = delta.step_details
        if details is not None and details.type == "tool_calls" and details.tool_calls:
            for call_delta in details.tool_calls:
                key = (event.id, call_delta.index)
                call = self._tool_call_snapshot(key)
                if call is None:
                    continue
                if key != self._tool_call:
                    self._tool_call_done(calls)
                    self._tool_call = key
                    calls.append(("on_tool_call_created", (call,)))
                calls.append(("on_tool_call_delta", (call_delta, call)))
        calls.append(("on_run_step_delta", (delta, snapshot)))

    def _step_done(self, step: RunStep, calls: list[Callback]) -> None:
        # As for messages, the server's final object (tool outputs filled in) wins; the
        # call being written is reported from it, or as merged when it lacks the call.
        merged = None if self._tool_call is None else self._tool_call_snapshot(self._tool_call)
        self._keep_step(_raw(step))
        self._tool_call_done(calls, merged)
        calls.append(("on_run_step_done", (step,)))
        if self._step_id == step.id:
            self._step_id = None

    def _tool_call_snapshot(self, key: tuple[str, int]) -> ToolCall | None:
        step = self.run_steps.get(key[0])
        if step is None or step.step_details.type != "tool_calls":
            return None
        calls = step.step_details.tool_calls
        return calls[key[1]] if key[1] < len(calls) else None

    def _tool_call_done(self, calls: list[Callback], fallback: ToolCall | None = None) -> None:
        """`on_tool_call_done` for the tool call being written, once."""
        if self._tool_call is None:
            return
        call = self._tool_call_snapshot(self._tool_call) or fallback
        self._tool_call = None
        if call is not None:
            calls.append(("on_tool_call_done", (call,)))
