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

_COMPLETION: Final = ("chat/completions", "completions", "responses")
_NO_COMPLETION: Final = ("embeddings", "moderations")


def _chars_over_4(text: str) -> int:
    return math.ceil(len(text) / 4)


def _text_of(value: object, counter: TokenCounter) -> int:
    """Tokens of a content value: a string, a list of parts (with `text`), or a token array."""
    if isinstance(value, str):
        return counter(value)
    if isinstance(value, list | tuple):
        total = 0
        for item in value:
            if isinstance(item, int) and not isinstance(item, bool):
                total += 1  # a token id, counted as itself
            elif isinstance(item, str):
                total += counter(item)
            elif isinstance(item, list | tuple):
                total += _text_of(item, counter)
            elif isinstance(item, Mapping):
                text = item.get("text")
                if isinstance(text, str):
                    total += counter(text)
                content = item.get("content")
                if content is not None:
                    total += _text_of(content, counter)
        return total
    return 0


def estimate_tokens(path: str, body: Mapping[str, Any], counter: TokenCounter | None = None) -> int:
    """The estimated tokens of a request to `path` (relative to the base URL); 0 if unknown."""
    count = counter or _chars_over_4
    endpoint = path.strip("/")
    if endpoint == "chat/completions":
        prompt = sum(
            _text_of(m.get("content"), count) for m in body.get("messages") or () if isinstance(m, Mapping)
        )
    elif endpoint == "responses":
        prompt = _text_of(body.get("input"), count) + _text_of(body.get("instructions"), count)
    elif endpoint == "completions":
        prompt = _text_of(body.get("prompt"), count)
    elif endpoint in _NO_COMPLETION:
        return _text_of(body.get("input"), count)
    else:
        return 0
    allowance = body.get("max_completion_tokens") or body.get("max_tokens") or body.get("max_output_tokens")
    if not isinstance(allowance, int) or isinstance(allowance, bool) or allowance < 0:
        allowance = DEFAULT_COMPLETION_TOKENS
    n = body.get("n")
    choices = n if isinstance(n, int) and not isinstance(n, bool) and n > 0 else 1
    return prompt + allowance * choices


_TOTAL_TOKENS: Final = re.compile(rb'"total_tokens"\s*:\s*(\d+)')


def usage_tokens(body: bytes) -> int | None:
    """`usage.total_tokens` of a response body, found without decoding the JSON (the last one wins)."""
    matches = _TOTAL_TOKENS.findall(body)
    return int(matches[-1]) if matches else None
