"""How many tokens a request will use, estimated before it is sent (sans-IO).

    estimate = ceil(characters of the prompt text / 4)           (or a tokenizer's count)
             + the completion allowance x n                       (chat, completions, responses)

The prompt text is every message `content` string, or the `text` of each
content part (chat); `instructions` and the `input` string or items (the
Responses API); every `prompt` string (completions); every input string, or
one token per id of a token array (embeddings, moderations). The completion
allowance is `max_completion_tokens`, else `max_tokens`, else
`max_output_tokens`, else `DEFAULT_COMPLETION_TOKENS`; embeddings and
moderations have none. The bundled mock server charges its rate limits with
exactly this formula, so tests against it can expect zero 429s.

The estimate is a reservation: once the response says what was really used
(`usage.total_tokens`), the pacer is corrected by the difference.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from typing import Any, Final

__all__ = ["DEFAULT_COMPLETION_TOKENS", "TokenCounter", "estimate_tokens", "usage_tokens"]

DEFAULT_COMPLETION_TOKENS: Final = 256
TokenCounter = Callable[[str], int]

_NO_COMPLETION: Final = ("embeddings", "moderations")


class _Tally:
    """Characters of prompt text, or a tokenizer's count of it; and token ids counted as such."""

    __slots__ = ("chars", "counted", "counter", "ids")

    def __init__(self, counter: TokenCounter | None) -> None:
        self.counter = counter
        self.chars = 0
        self.counted = 0
        self.ids = 0

    def text(self, value: str) -> None:
        if self.counter is None:
            self.chars += len(value)
        else:
            self.counted += self.counter(value)

    def content(self, value: object) -> None:
        """A string, or parts with `text` (and, for input items, their own `content`)."""
        if isinstance(value, str):
            self.text(value)
        elif isinstance(value, list | tuple):
            for part in value:
                if isinstance(part, Mapping):
                    text = part.get("text")
                    if isinstance(text, str):
                        self.text(text)

    def tokens(self) -> int:
        return math.ceil(self.chars / 4) + self.counted + self.ids


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def estimate_tokens(path: str, body: Mapping[str, Any], counter: TokenCounter | None = None) -> int:
    """The estimated tokens of a request to `path` (relative to the base URL); 0 if unknown."""
    endpoint = path.strip("/")
    tally = _Tally(counter)
    if endpoint == "chat/completions":
        for message in body.get("messages") or ():
            if isinstance(message, Mapping):
                tally.content(message.get("content"))
    elif endpoint == "responses":
        instructions = body.get("instructions")
        if isinstance(instructions, str):
            tally.text(instructions)
        given = body.get("input")
        if isinstance(given, str):
            tally.text(given)
        elif isinstance(given, list | tuple):
            for item in given:
                if isinstance(item, Mapping):
                    tally.content(item.get("content"))
    elif endpoint == "completions":
        prompt = body.get("prompt")
        for text in (
            [prompt] if isinstance(prompt, str) else prompt if isinstance(prompt, list | tuple) else ()
        ):
            if isinstance(text, str):
                tally.text(text)
    elif endpoint in _NO_COMPLETION:
        given = body.get("input")
        for item in [given] if isinstance(given, str) else given if isinstance(given, list | tuple) else ():
            if isinstance(item, str):
                tally.text(item)
            elif isinstance(item, Mapping):
                tally.content([item])
            elif endpoint == "embeddings" and _is_int(item):
                tally.ids += 1  # a token id, one token (of a single token array)
            elif endpoint == "embeddings" and isinstance(item, list | tuple):
                tally.ids += len(item)  # one of several token arrays
        return max(0, tally.tokens())
    else:
        return 0
    allowance: int = DEFAULT_COMPLETION_TOKENS
    for field in ("max_completion_tokens", "max_tokens", "max_output_tokens"):
        value = body.get(field)
        if isinstance(value, int) and not isinstance(value, bool):
            allowance = value
            break
    n = body.get("n")
    if endpoint != "responses" and isinstance(n, int) and not isinstance(n, bool):
        allowance *= n
    return max(0, tally.tokens() + allowance)


# At most 15 digits: a server sending a 5,000-digit number must not make int() raise.
_TOTAL_TOKENS: Final = re.compile(rb'"total_tokens"\s*:\s*(\d{1,15})\b')


def usage_tokens(body: bytes) -> int | None:
    """`usage.total_tokens` of a response body, found without decoding the JSON (the last one wins)."""
    matches = _TOTAL_TOKENS.findall(body)
    return int(matches[-1]) if matches else None
