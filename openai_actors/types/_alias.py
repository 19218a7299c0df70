"""Fields whose JSON key is not a usable Python name.

The API sends keys such as ``"harassment/threatening"``, ``"self-harm"``,
``"api_key.created"`` and ``"schema"``; the official SDK exposes them as
``harassment_threatening``, ``self_harm``, ``api_key_created`` and ``schema_``
through pydantic aliases. Here such a field is declared without an annotation
(which keeps type checkers reading it through `__get__` below):

    class Categories(BaseModel):
        harassment_threatening = Alias[bool]("harassment/threatening")

When the class is created, `BaseModel` replaces it with an ordinary field that
reads the other key (`_models.KeyAlias`): its value is converted to `T` like any
field's, `model_dump()` names it as the official types do (`schema_`, or
`"schema"` with `by_alias`), and the JSON stays as it came. The original key
also still reads through ``getattr(obj, "harassment/threatening")``.
"""

from __future__ import annotations

from typing import Any, Generic, TypeVar, overload

from .._models import BaseModel, KeyAlias

__all__ = ["Alias"]

_T = TypeVar("_T")


class Alias(KeyAlias, Generic[_T]):
    """A field of type `_T` read from the JSON key `key` under another attribute name."""

    def __init__(self, key: str, *, required: bool = True) -> None:
        self.key = key
        self.required = required
        self.name = key

    def __set_name__(self, owner: type[Any], name: str) -> None:
        self.name = name

    # Only type checkers use these: a model class has replaced the descriptor by then.
    @overload
    def __get__(self, obj: None, objtype: type[Any] | None = None) -> Alias[_T]: ...

    @overload
    def __get__(self, obj: BaseModel, objtype: type[Any] | None = None) -> _T: ...

    def __get__(self, obj: BaseModel | None, objtype: type[Any] | None = None) -> Alias[_T] | _T:
        if obj is None:
            return self
        return getattr(obj, self.name)  # type: ignore[no-any-return]

    def __repr__(self) -> str:
        return f"Alias({self.key!r})"
