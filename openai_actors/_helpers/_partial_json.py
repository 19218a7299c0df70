"""The value of a JSON text that is still arriving: the stream helpers' `parsed` previews.

Theory of operation. The text only grows, piece by piece. `PartialJSON.feed` walks each
new piece once, keeping the stack of open containers and where it stands in the grammar,
and remembers the last *cut*: the end of the longest prefix that stops just after a whole
value in a value position, or just after an opening bracket. `value()` is then one
`json.loads` of that prefix with its open brackets closed. So a stream of n characters
costs O(n) steps of this scanner in all, plus one C-speed parse per preview.

What a preview leaves out is what jiter's partial mode (the official SDK's) leaves out:
an unfinished string, key or literal (`"San Fr`, `tr`), a key whose value has not begun,
and a number not yet valid as it stands (`-`, `1.`, `1e`); a trailing number that is
valid (`[1, 12`) is kept. Where the two would differ, on text that is not JSON, this one
stops at the last whole value instead of raising: a preview is a convenience, and the
full parse when the text is done reports what is wrong with it.
"""

from __future__ import annotations

import json
import re
from typing import Any, Final

__all__ = ["PartialJSON", "parse_partial"]

# Where the scanner stands, outside strings and bare tokens.
_VALUE: Final = 0  # a value is due: at the start, after `:`, `[` or `,` in an array
_KEY_OR_END: Final = 1  # just after `{`: a key or `}`
_KEY: Final = 2  # after `,` in an object: a key
_COLON: Final = 3  # after a key
_AFTER: Final = 4  # after a value: `,`, a closing bracket, or (at the top) the end
_VALUE_OR_END: Final = 5  # just after `[`: a value or `]`
_STRING: Final = 6  # inside a string (a key when `_in_key`)
_TOKEN: Final = 7  # inside a number or literal
_BROKEN: Final = 8  # the text stopped being JSON: previews stay at the last cut

_WHITESPACE: Final = frozenset(" \t\r\n")
_TOKEN_CHARS: Final = frozenset("-+.0123456789eEtrufalsn")
_CLOSER: Final = {"{": "}", "[": "]"}
_NUMBER: Final = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?\Z")
_LITERALS: Final = frozenset(("true", "false", "null"))
_STRING_STOP: Final = re.compile(r'["\\]')


def _whole_token(token: str) -> bool:
    return token in _LITERALS or _NUMBER.match(token) is not None


class PartialJSON:
    """Feed it text as it arrives; `value()` is the JSON value of what is whole so far."""

    __slots__ = (
        "_cut",
        "_cut_closers",
        "_in_key",
        "_last",
        "_pos",
        "_stack",
        "_state",
        "_text",
        "_token_start",
    )

    def __init__(self) -> None:
        self._text = ""
        self._pos = 0  # where the next feed's scan starts
        self._stack: list[str] = []  # the open containers, "{" or "["
        self._state = _VALUE
        self._in_key = False
        self._token_start = 0
        self._cut = -1  # -1: nothing whole yet
        self._cut_closers = ""
        self._last: tuple[int, Any] = (-1, None)  # the last preview, and where it ended

    @property
    def text(self) -> str:
        return self._text

    def feed(self, piece: str) -> None:
        self._text += piece
        if self._state != _BROKEN:
            self._pos = self._scan(self._pos)

    def value(self) -> Any:
        """The value of the whole part so far (see the module's docstring); None before any.

        Equal previews may be one object: treat a preview as read-only."""
        text = self._text
        if self._state == _TOKEN and _whole_token(text[self._token_start :]):
            end = len(text)  # a trailing number or literal, closed where the text ends
        elif self._cut < 0:
            return None
        else:
            end = self._cut
        # The text only grows, so where a preview ends names it: a piece that completes
        # no value (most pieces of a long string) gets the last one again, unparsed.
        last_end, last_value = self._last
        if end == last_end:
            return last_value
        whole = text[:end] + (
            self._closers() if end == len(text) and self._state == _TOKEN else self._cut_closers
        )
        try:
            value = json.loads(whole)
        except ValueError:  # a string the scanner let through (a bad escape): no preview
            value = None
        self._last = (end, value)
        return value

    def _closers(self) -> str:
        return "".join(_CLOSER[opener] for opener in reversed(self._stack))

    def _whole_value_ends(self, end: int) -> None:
        self._state = _AFTER
        self._cut = end
        self._cut_closers = self._closers()

    def _scan(self, i: int) -> int:
        """Walk the text from `i`; return where the next piece's walk starts."""
        text = self._text
        n = len(text)
        stack = self._stack
        while i < n:
            state = self._state
            if state == _STRING:
                found = _STRING_STOP.search(text, i)
                if found is None:
                    return n
                i = found.start()
                if text[i] == "\\":
                    if i + 1 >= n:
                        return i  # the escaped character has not arrived: read the escape again
                    i += 2
                    continue
                i += 1
                if self._in_key:
                    self._state = _COLON
                else:
                    self._whole_value_ends(i)
                continue
            char = text[i]
            if state == _TOKEN:
                if char in _TOKEN_CHARS:
                    i += 1
                    continue
                if not _whole_token(text[self._token_start : i]):
                    self._state = _BROKEN
                    return i
                self._whole_value_ends(i)
                continue  # the delimiter is read in the _AFTER state
            i += 1
            if char in _WHITESPACE:
                continue
            if state in (_VALUE, _VALUE_OR_END):
                if char == "]" and state == _VALUE_OR_END:
                    stack.pop()
                    self._whole_value_ends(i)
                elif char in "{[":
                    stack.append(char)
                    self._state = _KEY_OR_END if char == "{" else _VALUE_OR_END
                    self._cut = i
                    self._cut_closers = self._closers()
                elif char == '"':
                    self._state = _STRING
                    self._in_key = False
                elif char in _TOKEN_CHARS:
                    self._state = _TOKEN
                    self._token_start = i - 1
                else:
                    self._state = _BROKEN
                    return i
            elif state in (_KEY_OR_END, _KEY):
                if char == '"':
                    self._state = _STRING
                    self._in_key = True
                elif char == "}" and state == _KEY_OR_END:
                    stack.pop()
                    self._whole_value_ends(i)
                else:
                    self._state = _BROKEN
                    return i
            elif state == _COLON:
                if char != ":":
                    self._state = _BROKEN
                    return i
                self._state = _VALUE
            elif state == _AFTER:
                if not stack:
                    self._state = _BROKEN  # more after the whole top-level value
                    return i
                top = stack[-1]
                if char == ",":
                    self._state = _KEY if top == "{" else _VALUE
                elif char == _CLOSER[top]:
                    stack.pop()
                    self._whole_value_ends(i)
                else:
                    self._state = _BROKEN
                    return i
        return n


def parse_partial(text: str) -> Any:
    """The value of the whole part of `text` (a JSON text cut anywhere); None before any."""
    parser = PartialJSON()
    parser.feed(text)
    return parser.value()
