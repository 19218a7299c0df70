"""The request bodies a run sends: deterministic, built once per run (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final, Literal

__all__ = [
    "CHARS_PER_TOKEN",
    "DEFAULT_MODELS",
    "Endpoint",
    "Workload",
    "prompt_text",
    "request_body",
]

Endpoint = Literal["chat", "embeddings"]

CHARS_PER_TOKEN: Final = 4
DEFAULT_MODELS: Final[dict[str, str]] = {"chat": "gpt-4o-mini", "embeddings": "text-embedding-3-small"}

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
    text = prompt_text(workload.prompt_tokens)
    if workload.endpoint == "embeddings":
        return {"model": workload.model, "input": text}
    body: dict[str, Any] = {"model": workload.model, "messages": [{"role": "user", "content": text}]}
    if workload.max_tokens is not None:
        body["max_tokens"] = workload.max_tokens
    if workload.stream:
        body["stream"] = True
        body["stream_options"] = {"include_usage": True}
    return body
