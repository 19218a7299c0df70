"""Sentinels and small shared types, named as the official SDK names them.

`NotGiven` marks an argument the caller left out (so `None` can still mean "no
value"), and `Omit` removes a default header. Ported code passes both around
explicitly (`temperature=NOT_GIVEN`), so they have to be accepted everywhere a
parameter is.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final, Literal, TypeAlias, final

__all__ = [
    "NOT_GIVEN",
    "Body",
    "Headers",
    "NotGiven",
    "Omit",
    "Query",
    "not_given",
    "omit",
]


@final
class NotGiven:
    """The type of `NOT_GIVEN`: an argument the caller did not pass."""

    __slots__ = ()

    def __bool__(self) -> Literal[False]:
        return False

    def __repr__(self) -> str:
        return "NOT_GIVEN"

    def __reduce__(self) -> str:
        return "NOT_GIVEN"


@final
class Omit:
    """A header value that removes the header instead of setting it."""

    __slots__ = ()

    def __bool__(self) -> Literal[False]:
        return False

    def __repr__(self) -> str:
        return "omit"


NOT_GIVEN: Final = NotGiven()
not_given: Final = NOT_GIVEN
omit: Final = Omit()

Headers: TypeAlias = Mapping[str, "str | Omit"]
Query: TypeAlias = Mapping[str, object]
Body: TypeAlias = object
# A JSON value as `json.loads` returns it.
JSON: TypeAlias = Any
