"""Streamed Assistants runs: ``POST /v1/threads/runs``, ``/v1/threads/{id}/runs`` and
``/v1/threads/{id}/runs/{run_id}/submit_tool_outputs`` with ``"stream": true``.

A run streams the events OpenAI's does, named in each ``event:`` line:
``thread.created`` (create-and-run only), ``thread.run.created``, ``queued``,
``in_progress``, then either

* a message: ``thread.run.step.created`` / ``in_progress`` (message creation),
  ``thread.message.created`` / ``in_progress``, a ``thread.message.delta`` per
  mock token of the reply, ``thread.message.completed``,
  ``thread.run.step.completed``, ``thread.run.completed``; or
* when the request offers the code interpreter (and no function tool), a
  tool-calls step first, whose call's code (printing the reply) and log come
  in ``thread.run.step.delta`` events, then the message as above;
* when the request offers function tools (and ``tool_choice`` is not
  ``"none"``), a call of one: a tool-calls step whose
  ``thread.run.step.delta`` events name the call, then bring its arguments
  (sampled from its ``parameters``, ``_structured``) piece by piece, then
  ``thread.run.requires_action``. The run is kept until its tool outputs
  come: ``submit_tool_outputs`` completes the step, runs on
  (``queued``, ``in_progress``) and answers with a message,

and ``event: done`` / ``data: [DONE]``. The reply is "echo: " + the text of
the last user message given (``additional_messages``, or the new thread's
``messages``; "Hello!" when there is none), JSON fitting ``response_format``'s
schema, or after tool outputs "echo: " + the outputs. A request that does not
stream is not answered here (``_generic`` answers it from samples).
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Final

from ._common import (
    ApiError,
    Result,
    StreamReply,
    default_error_body,
    invalid_type,
    load_object,
    now,
    pieces,
    required,
    string,
    tokens,
)
from ._http import Request
from ._structured import ToolCall, chat_structure

__all__ = ["MAX_PENDING", "Assistants"]

# Runs waiting for tool outputs, kept at most (the oldest forgotten first).
MAX_PENDING: Final = 10_000
_DEFAULT_MODEL: Final = "gpt-4o-mini"
_GREETING: Final = "Hello!"
_DONE: Final = b"event: done\ndata: [DONE]\n\n"


def _event(name: str, data: dict[str, Any]) -> bytes:
    return f"event: {name}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n".encode()


def _error_event(sent: int, payload: bytes | None) -> bytes:
    """What a failing Assistants stream sends: an ``error`` event."""
    return b"event: error\ndata: " + (payload or default_error_body(500)) + b"\n\n"


@dataclass(frozen=True, slots=True)
class _Run:
    """What a run's events repeat: its ids, its settings, when it began."""

    id: str
    thread_id: str
    assistant_id: str
    model: str
    created_at: int
    settings: dict[str, Any]  # instructions, tools, tool_choice, ... as the run object shows them

    def object(self, status: str, **changes: Any) -> dict[str, Any]:
        return {
            "id": self.id,
            "object": "thread.run",
            "created_at": self.created_at,
            "thread_id": self.thread_id,
            "assistant_id": self.assistant_id,
            "status": status,
            "required_action": None,
            "last_error": None,
            "expires_at": None
            if status in ("completed", "failed", "cancelled", "expired")
            else self.created_at + 600,
            "started_at": None if status == "queued" else self.created_at,
            "cancelled_at": None,
            "failed_at": None,
            "completed_at": None,
            "incomplete_details": None,
            "model": self.model,
            **self.settings,
            "usage": None,
            **changes,
        }

    def step(self, step_id: str, details: dict[str, Any], status: str, **changes: Any) -> dict[str, Any]:
        return {
            "id": step_id,
            "object": "thread.run.step",
            "created_at": self.created_at,
            "assistant_id": self.assistant_id,
            "thread_id": self.thread_id,
            "run_id": self.id,
            "type": details["type"],
            "status": status,
            "step_details": details,
            "last_error": None,
            "expired_at": None,
            "cancelled_at": None,
            "failed_at": None,
            "completed_at": None,
            "metadata": {},
            "usage": None,
            **changes,
        }


@dataclass(frozen=True, slots=True)
class _Waiting:
    """A run stopped at requires_action: the call it waits on."""

    run: _Run
    step_id: str
    call_id: str
    name: str
    arguments: str
    prompt_tokens: int


class Assistants:
    """The streamed run handlers, around the runs waiting for tool outputs (loop thread only)."""

    def __init__(self, limit: int = MAX_PENDING) -> None:
        self._limit = limit
        self._waiting: OrderedDict[str, _Waiting] = OrderedDict()

    def dispatch(self, request: Request, number: int) -> Result | None:
        """The answer to a streamed run request, or None when ``request`` is not one."""
        if request.method != "POST":
            return None
        parts = request.path.split("/")  # "", "v1", "threads", ...
        if parts[3:] == ["runs"]:
            thread_id = None
        elif len(parts) == 5 and parts[4] == "runs" and parts[3]:
            thread_id = parts[3]
        elif len(parts) == 7 and parts[4] == "runs" and parts[6] == "submit_tool_outputs" and parts[3]:
            payload = load_object(request.body)
            if payload.get("stream") is not True:
                return None
            return self._submit_tool_outputs(request, number, parts[3], parts[5], payload)
        else:
            return None
        payload = load_object(request.body)
        if payload.get("stream") is not True:
            return None
        return self._start(request, number, thread_id, payload)

    # -- a new run --------------------------------------------------------------------

    def _start(self, request: Request, number: int, thread_id: str | None, payload: dict[str, Any]) -> Result:
        assistant_id = string(payload, "assistant_id")
        model = payload.get("model")
        if model is not None and not isinstance(model, str):
            raise invalid_type("model", "a string", model)
        if thread_id is None:
            thread = payload.get("thread") or {}
            if not isinstance(thread, dict):
                raise invalid_type("thread", "an object", thread)
            prompt = _last_user_text(thread.get("messages") or [], "thread.messages")
        else:
            prompt = _last_user_text(payload.get("additional_messages") or [], "additional_messages")
        run = _Run(
            f"run_{number}",
            thread_id or f"thread_{number}",
            assistant_id,
            model or _DEFAULT_MODEL,
            now(),
            _settings(payload),
        )
        structure = (
            chat_structure(payload, None, prompt)
            if "tools" in payload or "response_format" in payload
            else None
        )
        prompt_tokens = tokens(len(prompt) + len(str(payload.get("instructions") or "")))
        head = [] if thread_id is not None else [_event("thread.created", _thread(run))]
        if isinstance(structure, ToolCall):
            waiting = _Waiting(
                run, f"step_{number}", f"call_{number}", structure.name, structure.arguments, prompt_tokens
            )
            self._keep(waiting)
            request.usage = prompt_tokens + tokens(len(structure.arguments))
            return StreamReply(_chain(head, _started(run), _tool_call(waiting)), _error_event)
        reply = "echo: " + prompt if prompt else _GREETING
        if isinstance(structure, str):
            reply = structure
        request.usage = prompt_tokens + tokens(len(reply))
        answer = _answer(run, f"step_{number}", f"msg_{number}", reply, prompt_tokens)
        if structure is None and _runs_code(payload):
            code = _code_run(run, f"step_{number}_code", f"ci_{number}", reply)
            return StreamReply(_chain(head, _started(run), code, answer), _error_event)
        return StreamReply(_chain(head, _started(run), answer), _error_event)

    def _keep(self, waiting: _Waiting) -> None:
        self._waiting[waiting.run.id] = waiting
        while len(self._waiting) > self._limit:
            self._waiting.popitem(last=False)

    # -- tool outputs -----------------------------------------------------------------

    def _submit_tool_outputs(
        self, request: Request, number: int, thread_id: str, run_id: str, payload: dict[str, Any]
    ) -> Result:
        outputs = required(payload, "tool_outputs")
        if not isinstance(outputs, list):
            raise invalid_type("tool_outputs", "an array", outputs)
        texts: dict[str, str] = {}
        for index, output in enumerate(outputs):
            if not isinstance(output, dict):
                raise invalid_type(f"tool_outputs[{index}]", "an object", output)
            call_id = output.get("tool_call_id")
            text = output.get("output", "")
            if not isinstance(call_id, str) or not isinstance(text, str):
                raise ApiError(
                    400,
                    f"Invalid 'tool_outputs[{index}]': expected a string 'tool_call_id' and a string 'output'.",
                    param=f"tool_outputs[{index}]",
                )
            texts[call_id] = text
        waiting = self._waiting.get(run_id)
        if waiting is None or waiting.run.thread_id != thread_id:
            raise ApiError(404, f"No run found with id '{run_id}'.", code="not_found")
        if set(texts) != {waiting.call_id}:
            raise ApiError(
                400,
                f"Expected tool outputs for call_ids {[waiting.call_id]!r}, got {sorted(texts)!r}",
                param="tool_outputs",
            )
        del self._waiting[run_id]  # only once the outputs are right: a corrected retry still finds it
        reply = "echo: " + texts[waiting.call_id]
        request.usage = tokens(len(texts[waiting.call_id])) + tokens(len(reply))
        return StreamReply(_resumed(waiting, texts[waiting.call_id], number, reply), _error_event)


# --- the event sequences ------------------------------------------------------------------


def _chain(*parts: Iterator[bytes] | list[bytes]) -> Iterator[bytes]:
    for part in parts:
        yield from part


def _started(run: _Run) -> Iterator[bytes]:
    yield _event("thread.run.created", run.object("queued"))
    yield _event("thread.run.queued", run.object("queued"))
    yield _event("thread.run.in_progress", run.object("in_progress"))


def _answer(run: _Run, step_id: str, message_id: str, reply: str, prompt_tokens: int) -> Iterator[bytes]:
    """A message written piece by piece, then the run completed."""
    yield from _message(run, step_id, message_id, reply, prompt_tokens)
    usage = _usage(prompt_tokens, tokens(len(reply)))
    yield _event("thread.run.completed", run.object("completed", completed_at=now(), usage=usage))
    yield _DONE


def _message(run: _Run, step_id: str, message_id: str, reply: str, prompt_tokens: int) -> Iterator[bytes]:
    details = {"type": "message_creation", "message_creation": {"message_id": message_id}}
    yield _event("thread.run.step.created", run.step(step_id, details, "in_progress"))
    yield _event("thread.run.step.in_progress", run.step(step_id, details, "in_progress"))
    message = {
        "id": message_id,
        "object": "thread.message",
        "created_at": now(),
        "assistant_id": run.assistant_id,
        "thread_id": run.thread_id,
        "run_id": run.id,
        "status": "in_progress",
        "incomplete_details": None,
        "completed_at": None,
        "incomplete_at": None,
        "role": "assistant",
        "content": [],
        "attachments": [],
        "metadata": {},
    }
    yield _event("thread.message.created", message)
    yield _event("thread.message.in_progress", message)
    for piece in pieces(reply):
        block = {"index": 0, "type": "text", "text": {"value": piece, "annotations": []}}
        delta = {"id": message_id, "object": "thread.message.delta", "delta": {"content": [block]}}
        yield _event("thread.message.delta", delta)
    done = now()
    content = [{"type": "text", "text": {"value": reply, "annotations": []}}]
    yield _event(
        "thread.message.completed",
        {**message, "status": "completed", "completed_at": done, "content": content},
    )
    usage = _usage(prompt_tokens, tokens(len(reply)))
    yield _event(
        "thread.run.step.completed", run.step(step_id, details, "completed", completed_at=done, usage=usage)
    )


def _tool_call(waiting: _Waiting) -> Iterator[bytes]:
    """A tool-calls step naming the call, then its arguments piece by piece, then requires_action."""
    run, step_id, call_id = waiting.run, waiting.step_id, waiting.call_id
    details: dict[str, Any] = {"type": "tool_calls", "tool_calls": []}
    yield _event("thread.run.step.created", run.step(step_id, details, "in_progress"))
    yield _event("thread.run.step.in_progress", run.step(step_id, details, "in_progress"))
    named = {
        "index": 0,
        "id": call_id,
        "type": "function",
        "function": {"name": waiting.name, "arguments": "", "output": None},
    }
    yield _step_delta(step_id, named)
    for piece in pieces(waiting.arguments):
        yield _step_delta(step_id, {"index": 0, "type": "function", "function": {"arguments": piece}})
    call = {
        "id": call_id,
        "type": "function",
        "function": {"name": waiting.name, "arguments": waiting.arguments},
    }
    action = {"type": "submit_tool_outputs", "submit_tool_outputs": {"tool_calls": [call]}}
    yield _event("thread.run.requires_action", run.object("requires_action", required_action=action))
    yield _DONE


def _code_run(run: _Run, step_id: str, call_id: str, reply: str) -> Iterator[bytes]:
    """A code interpreter call that prints the reply: its code, then its log, piece by piece."""
    code = f"print({json.dumps(reply)})"
    details: dict[str, Any] = {"type": "tool_calls", "tool_calls": []}
    yield _event("thread.run.step.created", run.step(step_id, details, "in_progress"))
    yield _event("thread.run.step.in_progress", run.step(step_id, details, "in_progress"))
    named = {
        "index": 0,
        "id": call_id,
        "type": "code_interpreter",
        "code_interpreter": {"input": "", "outputs": []},
    }
    yield _step_delta(step_id, named)
    for piece in pieces(code):
        yield _step_delta(
            step_id, {"index": 0, "type": "code_interpreter", "code_interpreter": {"input": piece}}
        )
    log = {"index": 0, "type": "logs", "logs": reply + "\n"}
    yield _step_delta(
        step_id, {"index": 0, "type": "code_interpreter", "code_interpreter": {"outputs": [log]}}
    )
    call = {
        "id": call_id,
        "type": "code_interpreter",
        "code_interpreter": {"input": code, "outputs": [{"type": "logs", "logs": reply + "\n"}]},
    }
    done = {"type": "tool_calls", "tool_calls": [call]}
    yield _event("thread.run.step.completed", run.step(step_id, done, "completed", completed_at=now()))


def _runs_code(payload: dict[str, Any]) -> bool:
    """Whether the run may use the code interpreter (offered, and ``tool_choice`` not "none")."""
    tools = payload.get("tools")
    return (
        isinstance(tools, list)
        and any(isinstance(tool, dict) and tool.get("type") == "code_interpreter" for tool in tools)
        and payload.get("tool_choice") != "none"
    )


def _step_delta(step_id: str, call: dict[str, Any]) -> bytes:
    delta = {"step_details": {"type": "tool_calls", "tool_calls": [call]}}
    return _event("thread.run.step.delta", {"id": step_id, "object": "thread.run.step.delta", "delta": delta})


def _resumed(waiting: _Waiting, output: str, number: int, reply: str) -> Iterator[bytes]:
    """The rest of a run after its tool outputs: the call's step completed, then a message."""
    run = waiting.run
    call = {
        "id": waiting.call_id,
        "type": "function",
        "function": {"name": waiting.name, "arguments": waiting.arguments, "output": output},
    }
    details = {"type": "tool_calls", "tool_calls": [call]}
    usage = _usage(waiting.prompt_tokens, tokens(len(waiting.arguments)))
    yield _event(
        "thread.run.step.completed",
        run.step(waiting.step_id, details, "completed", completed_at=now(), usage=usage),
    )
    yield _event("thread.run.queued", run.object("queued"))
    yield _event("thread.run.in_progress", run.object("in_progress"))
    prompt_tokens = waiting.prompt_tokens + tokens(len(output))
    yield from _answer(run, f"step_{number}", f"msg_{number}", reply, prompt_tokens)


# --- pieces -------------------------------------------------------------------------------


def _usage(prompt_tokens: int, completion_tokens: int) -> dict[str, int]:
    return {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
    }


def _thread(run: _Run) -> dict[str, Any]:
    return {
        "id": run.thread_id,
        "object": "thread",
        "created_at": run.created_at,
        "tool_resources": {},
        "metadata": {},
    }


def _settings(payload: dict[str, Any]) -> dict[str, Any]:
    """The run object's copy of the request's settings, with OpenAI's defaults."""
    return {
        "instructions": payload.get("instructions") or "",
        "tools": payload.get("tools") or [],
        "metadata": payload.get("metadata") or {},
        "temperature": payload.get("temperature", 1.0),
        "top_p": payload.get("top_p", 1.0),
        "max_prompt_tokens": payload.get("max_prompt_tokens"),
        "max_completion_tokens": payload.get("max_completion_tokens"),
        "truncation_strategy": payload.get("truncation_strategy") or {"type": "auto", "last_messages": None},
        "tool_choice": payload.get("tool_choice") or "auto",
        "parallel_tool_calls": payload.get("parallel_tool_calls", True),
        "response_format": payload.get("response_format") or "auto",
    }


def _last_user_text(messages: Any, name: str) -> str:
    """The text of the last user message of a thread's or a run's messages ("" for none)."""
    if not isinstance(messages, list):
        raise invalid_type(name, "an array", messages)
    text = ""
    for message in messages:
        if not isinstance(message, dict) or message.get("role") != "user":
            continue
        content = message.get("content")
        if isinstance(content, str):
            text = content
        elif isinstance(content, list):
            text = "".join(
                part["text"]
                for part in content
                if isinstance(part, dict) and part.get("type") == "text" and isinstance(part.get("text"), str)
            )
    return text
