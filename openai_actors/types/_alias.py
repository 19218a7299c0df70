"""Fields whose JSON key is not a usable Python name.

The API sends keys such as ``"harassment/threatening"``, ``"self-harm"``,
``"async"`` and ``"schema"``; the official SDK exposes them as
``harassment_threatening``, ``self_harm``, ``async_`` and ``schema_`` through
pydantic aliases. Our model layer maps attribute names to JSON keys one to one,
so such a field is declared without an annotation (which keeps it out of the
model's own field machinery) as a descriptor that reads the other key:

    class Categories(BaseModel):
        harassment_threatening = Alias[bool]("harassment/threatening")

The value is returned as sent (these fields hold scalars, lists of strings or
plain dicts, so there is nothing to convert), the JSON stays as it came, and
``to_dict()`` gives back the original key. The original key also still reads
through ``getattr(obj, "harassment/threatening")``.
"""

from __future__ import annotations

from typing import Any, Generic, TypeVar, overload

from .._models import BaseModel

__all__ = ["Alias"]

_T = TypeVar("_T")


class Alias(Generic[_T]):
    """A read-only view of the JSON key `key` under another attribute name."""

    def __init__(self, key: str, *, required: bool = True) -> None:
        self.key = key
        self.required = required
        self.name = key

    def __set_name__(self, owner: type[Any], name: str) -> None:
        self.name = name

    @overload
    def __get__(self, obj: None, objtype: type[Any] | None = None) -> Alias[_T]: ...

    @overload
    def __get__(self, obj: BaseModel, objtype: type[Any] | None = None) -> _T: ...

    def __get__(self, obj: BaseModel | None, objtype: type[Any] | None = None) -> Alias[_T] | _T:
        if obj is None:
            return self
        data = obj.__dict__["_data"]
        if self.key in data:
            value: _T = data[self.key]
        elif self.required:
            raise AttributeError(
                f"{type(obj).__name__}.{self.name}: the server's response has no {self.key!r} field"
            )
        else:
            value = None  # type: ignore[assignment]
        # Non-data descriptor: the cached value in the instance dict wins from now on,
        # as it does for the model's own fields.
        obj.__dict__[self.name] = value
        return value

    def __repr__(self) -> str:
        return f"Alias({self.key!r})"
