"""Attributes that import and build their object on first use (`client.chat`), then cost nothing."""

from __future__ import annotations

import importlib
from typing import Generic, TypeVar, overload

__all__ = ["LazyResource"]

R = TypeVar("R")


class LazyResource(Generic[R]):
    """A resource attribute of a client: its module is imported and the resource built on first use.

    A non-data descriptor, like functools.cached_property: once built, the
    instance's own attribute answers without calling anything. Resources are
    imported lazily so that `import openai_actors` stays cheap.
    """

    def __init__(self, module: str, name: str) -> None:
        self._module = module
        self._name = name
        self._attr = ""

    def __set_name__(self, owner: type, attr: str) -> None:
        self._attr = attr

    @overload
    def __get__(self, obj: None, objtype: type | None = None) -> LazyResource[R]: ...
    @overload
    def __get__(self, obj: object, objtype: type | None = None) -> R: ...
    def __get__(self, obj: object, objtype: type | None = None) -> R | LazyResource[R]:
        if obj is None:
            return self
        module = importlib.import_module(self._module)
        value: R = getattr(module, self._name)(obj)
        obj.__dict__[self._attr] = value
        return value

    def __repr__(self) -> str:
        return f"<resource {self._module}.{self._name}>"
