"""The request bodies a run sends: deterministic, built once per run (pure)."""

from __future__ import annotations

import dataclasses
import json
import math
import random
from dataclasses import dataclass
from typing import Any, Final, Literal

__all__ = [
    "CHARS_PER_TOKEN",
    "DEFAULT_MODELS",
    "Endpoint",
    "Messages",
    "Workload",
    "length_range",
    "parse_prompts",
    "prompt_text",
    "request_bodies",
    "request_body",
]

Endpoint = Literal["chat", "embeddings"]
# One prompt as chat messages, each {"role": ..., "content": ...}.
Messages = tuple[dict[str, str], ...]

CHARS_PER_TOKEN: Final = 4
DEFAULT_MODELS: Final[dict[str, str]] = {"chat": "gpt-4o-mini", "embeddings": "text-embedding-3-small"}

# At most this many different bodies when the lengths are random (then cycled), and at
# most about this many characters in all: enough for a fair sample of lengths, bounded memory.
_MAX_BODIES: Final = 512
_MAX_BODY_CHARS: Final = 64 * 1024 * 1024

# Ordinary English prose: tokenizers split it at about four characters per
# token, so `tokens * 4` characters of it is about `tokens` tokens.
_PROSE: Final = (
    "Benchmarks measure what they are built to measure, so this paragraph says nothing in "
    "particular and repeats as often as it must. A river runs past the old mill, where seven "
    "workers count grain into sacks before the market opens at dawn. Numbers, names and "
    "punctuation keep the text close to what people really send: questions, lists, and notes. "
)


@dataclass(frozen=True, slots=True)
class Workload:
    """What each request asks for."""

    endpoint: Endpoint
    model: str
    prompt_tokens: int
    max_tokens: int | None
    """Chat only; None leaves it out of the request."""
    stream: bool
    range_ratio: float = 0.0
    """Each request's prompt and max_tokens drawn uniformly within this share of theirs (vLLM's random dataset)."""
    seed: int = 0
    """The seed of those draws."""
    ignore_eos: bool = False
    """Chat: ask the server (vLLM's extension) to generate max_tokens, not stop at the end of a sentence."""
    prompts: tuple[Messages, ...] = ()
    """Real prompts (from a file), sent in turn instead of generated prose of `prompt_tokens`."""


def prompt_text(tokens: int) -> str:
    """Deterministic prose of exactly `tokens * CHARS_PER_TOKEN` characters (about `tokens` tokens)."""
    if tokens < 1:
        raise ValueError(f"a prompt needs at least one token, not {tokens}")
    size = tokens * CHARS_PER_TOKEN
    return (_PROSE * (size // len(_PROSE) + 1))[:size]


def request_body(workload: Workload) -> dict[str, Any]:
    """The keyword arguments of `chat.completions.create` or `embeddings.create` for `workload`.

    A stream asks for `stream_options={"include_usage": True}`, so the output
    tokens come from the server's count rather than from counting chunks.
    """
    return _body(workload, ({"role": "user", "content": prompt_text(workload.prompt_tokens)},))


def _body(workload: Workload, messages: Messages) -> dict[str, Any]:
    if workload.endpoint == "embeddings":
        return {"model": workload.model, "input": "\n".join(message["content"] for message in messages)}
    body: dict[str, Any] = {"model": workload.model, "messages": [dict(message) for message in messages]}
    if workload.max_tokens is not None:
        body["max_tokens"] = workload.max_tokens
    if workload.ignore_eos:
        body["extra_body"] = {"ignore_eos": True}
    if workload.stream:
        body["stream"] = True
        body["stream_options"] = {"include_usage": True}
    return body


def length_range(length: int, range_ratio: float) -> tuple[int, int]:
    """The lengths drawn for `length` at `range_ratio`: from length * (1 - r) to length * (1 + r), at least 1."""
    if not 0 <= range_ratio < 1:
        raise ValueError(f"a range ratio is at least 0 and less than 1, not {range_ratio}")
    return max(1, math.floor(length * (1 - range_ratio))), math.ceil(length * (1 + range_ratio))


def request_bodies(workload: Workload) -> list[dict[str, Any]]:
    """The bodies to send in turn: `request_body(workload)` alone, or bodies of random lengths.

    With a range ratio, each body's prompt tokens and max_tokens are drawn
    uniformly from `length_range` by `random.Random(workload.seed)`: the same
    seed, the same bodies in the same order.
    """
    if workload.prompts:
        return [_body(workload, messages) for messages in workload.prompts]
    if workload.range_ratio == 0:
        return [request_body(workload)]
    rng = random.Random(workload.seed)
    low, high = length_range(workload.prompt_tokens, workload.range_ratio)
    count = max(1, min(_MAX_BODIES, _MAX_BODY_CHARS // (high * CHARS_PER_TOKEN)))
    bodies = []
    for _ in range(count):
        max_tokens = workload.max_tokens
        if max_tokens is not None:
            max_tokens = rng.randint(*length_range(max_tokens, workload.range_ratio))
        prompt_tokens = rng.randint(low, high)
        drawn = dataclasses.replace(
            workload, prompt_tokens=prompt_tokens, max_tokens=max_tokens, range_ratio=0.0
        )
        bodies.append(request_body(drawn))
    return bodies


def parse_prompts(text: str) -> tuple[Messages, ...]:
    """The prompts of a prompts file; ValueError saying where and what is wrong.

    JSON Lines, one prompt a line: a string, {"prompt": "..."} or
    {"messages": [{"role": ..., "content": ...}, ...]}. Or a JSON array of
    those, or of ShareGPT conversations ({"conversations": [{"from": "human",
    "value": ...}, ...]}), whose first human turn (after any system turn) is
    the prompt; conversations without a human turn are skipped, as vLLM skips
    them.
    """
    stripped = text.strip()
    if not stripped:
        raise ValueError("no prompts: the file is empty")
    items: list[tuple[str, Any]] = []
    if stripped.startswith("["):
        try:
            array = json.loads(stripped)
        except json.JSONDecodeError as exc:
            raise ValueError(f"not valid JSON: {exc}") from None
        items = [(f"item {index}", item) for index, item in enumerate(array, 1)]
    else:
        for number, line in enumerate(text.splitlines(), 1):
            if line.strip():
                try:
                    items.append((f"line {number}", json.loads(line)))
                except json.JSONDecodeError as exc:
                    raise ValueError(f"line {number}: not valid JSON: {exc}") from None
    prompts = []
    for where, item in items:
        messages = _messages(where, item)
        if messages is not None:
            prompts.append(messages)
    if not prompts:
        raise ValueError("no prompts: no item has a prompt (a ShareGPT conversation needs a human turn)")
    return tuple(prompts)


def _messages(where: str, item: Any) -> Messages | None:
    expected = 'a string, {"prompt": ...}, {"messages": [...]} or {"conversations": [...]}'
    if isinstance(item, str):
        return ({"role": "user", "content": item},)
    if not isinstance(item, dict):
        raise ValueError(f"{where}: expected {expected}, not {type(item).__name__}")
    if isinstance(item.get("prompt"), str):
        return ({"role": "user", "content": item["prompt"]},)
    if "messages" in item:
        messages = item["messages"]
        if not isinstance(messages, list) or not messages:
            raise ValueError(f"{where}: messages must be a list of messages, not empty")
        for message in messages:
            ok = isinstance(message, dict) and isinstance(message.get("role"), str)
            if not (ok and isinstance(message.get("content"), str)):
                raise ValueError(f"{where}: each message needs a string role and a string content")
        return tuple({"role": message["role"], "content": message["content"]} for message in messages)
    if "conversations" in item:
        turns = item["conversations"]
        if not isinstance(turns, list):
            raise ValueError(f"{where}: conversations must be a list of turns")
        system: Messages = ()
        for turn in turns:
            if not isinstance(turn, dict) or not isinstance(turn.get("value"), str):
                raise ValueError(f'{where}: each ShareGPT turn needs "from" and a string "value"')
            if turn.get("from") == "system":
                system = ({"role": "system", "content": turn["value"]},)
            elif turn.get("from") in ("human", "user"):
                return (*system, {"role": "user", "content": turn["value"]})
        return None
    raise ValueError(f"{where}: expected {expected}")
