"""Typed response objects that cost almost nothing until you read them.

Why not pydantic or msgspec: the official SDK's `construct_type` costs about
57 µs per chat completion, more than this client spends sending the request;
msgspec decodes in 0.4 µs but drops the fields its struct does not declare, and
servers (vLLM, gateways, newer API versions) send many. So a model here is the
decoded JSON dict plus a class that knows the field types:

* `Model._from_raw(data)` is O(1): it stores the dict, converts nothing.
* Reading a declared field converts just that value (a nested dict becomes its
  model, a list of dicts a list of models) and caches it in the instance
  `__dict__`, where the next read finds it without calling any Python code:
  fields are non-data descriptors, so the instance dict wins.
* Fields the class does not declare stay in the dict, are reachable as
  attributes at run time, and come back out in `to_dict()` / `model_dump()`.
* A declared field that the server left out reads as None when it is Optional
  (or has a default), and raises AttributeError naming the field otherwise.

Type checkers see ordinary annotated classes; the run-time fallback for
undeclared fields is hidden from them, so typos are still caught.
"""

from __future__ import annotations

import inspect
import json
import re
import sys
import types
import typing
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar, Literal, TypeVar, Union, get_args, get_origin

__all__ = ["BaseModel", "as_cast"]

_M = TypeVar("_M", bound="BaseModel")
_MISSING: Any = object()
Converter = Callable[[Any], Any]


def _identity(value: Any) -> Any:
    return value


class _Field:
    """A declared field: converts the raw value on first read, then steps aside."""

    __slots__ = ("_convert", "default", "name", "owner", "required")

    def __init__(self, name: str, owner: type[BaseModel], default: Any, required: bool) -> None:
        self.name = name
        self.owner = owner
        self.default = default
        self.required = required
        self._convert: Converter | None = None

    def __get__(self, obj: BaseModel | None, objtype: type | None = None) -> Any:
        if obj is None:
            return self
        raw = obj.__dict__["_data"].get(self.name, _MISSING)
        if raw is _MISSING:
            if self.required:
                raise AttributeError(
                    f"{type(obj).__name__}.{self.name}: the server's response has no {self.name!r} field"
                )
            value = self.default
        elif raw is None:
            value = None
        else:
            convert = self._convert
            if convert is None:
                convert = self._convert = _converter_for(self.owner.__field_types__()[self.name])
            value = convert(raw)
        obj.__dict__[self.name] = value
        return value


class BaseModel:
    """Base of every response type: attribute access over the server's JSON."""

    __fields__: ClassVar[dict[str, _Field]] = {}
    __hints__: ClassVar[dict[str, Any] | None] = None

    if TYPE_CHECKING:
        _request_id: str | None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        fields = dict(getattr(cls, "__fields__", {}))
        for name, annotation in inspect.get_annotations(cls).items():
            if name.startswith("_") or "ClassVar" in str(annotation):
                continue
            default = cls.__dict__.get(name, _MISSING)
            required = default is _MISSING and not _looks_optional(annotation)
            field = _Field(name, cls, None if default is _MISSING else default, required)
            setattr(cls, name, field)
            fields[name] = field
        cls.__fields__ = fields
        cls.__hints__ = None

    @classmethod
    def __field_types__(cls) -> dict[str, Any]:
        hints = cls.__dict__.get("__hints__")
        if hints is None:
            try:
                hints = typing.get_type_hints(cls)
            except NameError:
                hints = _resolvable_hints(cls)
            cls.__hints__ = hints
        return hints

    def __init__(self, **data: Any) -> None:
        self.__dict__["_data"] = {key: _to_raw(value) for key, value in data.items()}

    @classmethod
    def _from_raw(cls: type[_M], data: dict[str, Any]) -> _M:
        obj = cls.__new__(cls)
        obj.__dict__["_data"] = data
        return obj

    # -- the official SDK's construction names, for ported code ----------------

    @classmethod
    def construct(cls: type[_M], **data: Any) -> _M:
        return cls(**data)

    model_construct = construct

    @classmethod
    def model_validate(cls: type[_M], obj: object) -> _M:
        if not isinstance(obj, dict):
            raise TypeError(f"{cls.__name__}.model_validate() takes a dict, not {type(obj).__name__}")
        return cls._from_raw(dict(obj))

    @classmethod
    def model_validate_json(cls: type[_M], data: str | bytes) -> _M:
        return cls.model_validate(json.loads(data))

    # -- reading ----------------------------------------------------------------

    if not TYPE_CHECKING:

        def __getattr__(self, name: str) -> Any:
            # Only reached for names that are neither declared nor cached.
            if name.startswith("__"):
                raise AttributeError(name)
            data = self.__dict__.get("_data")
            if data is not None and name in data:
                return data[name]
            if name == "_request_id":
                return None
            if name in type(self).__fields__:  # declared, required, and not sent
                raise AttributeError(
                    f"{type(self).__name__}.{name}: the server's response has no {name!r} field"
                )
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __setattr__(self, name: str, value: Any) -> None:
        if name.startswith("_"):
            self.__dict__[name] = value
            return
        self.__dict__["_data"][name] = _to_raw(value)
        self.__dict__[name] = value

    @property
    def model_extra(self) -> dict[str, Any]:
        """The fields the server sent that this class does not declare."""
        fields = type(self).__fields__
        return {k: v for k, v in self.__dict__["_data"].items() if k not in fields}

    @property
    def model_fields_set(self) -> set[str]:
        return set(self.__dict__["_data"])

    def to_dict(self, *, exclude_none: bool = False) -> dict[str, Any]:
        """A deep copy of the JSON object the server sent (with any changes you made)."""
        return _copy_json(self.__dict__["_data"], exclude_none)  # type: ignore[no-any-return]

    def to_json(self, *, indent: int | None = 2) -> str:
        return json.dumps(self.__dict__["_data"], indent=indent, ensure_ascii=False)

    def model_dump(
        self, *, mode: Literal["json", "python"] = "python", exclude_none: bool = False, **_: Any
    ) -> dict[str, Any]:
        return self.to_dict(exclude_none=exclude_none)

    def model_dump_json(self, *, indent: int | None = None, **_: Any) -> str:
        return self.to_json(indent=indent)

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        assert isinstance(other, BaseModel)
        return bool(self.__dict__["_data"] == other.__dict__["_data"])

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        data = self.__dict__["_data"]
        fields = type(self).__fields__
        parts = []
        for key in data:
            value = getattr(self, key) if key in fields else data[key]
            parts.append(f"{key}={value!r}")
        return f"{type(self).__name__}({', '.join(parts)})"

    def __getstate__(self) -> dict[str, Any]:
        return {"_data": self.__dict__["_data"], "_request_id": self.__dict__.get("_request_id")}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__["_data"] = state["_data"]
        self.__dict__["_request_id"] = state.get("_request_id")


def _resolvable_hints(cls: type) -> dict[str, Any]:
    """Field types one by one, for classes whose annotations name things not in scope
    (a model defined inside a function); those fields are left unconverted."""
    hints: dict[str, Any] = {}
    for klass in reversed(cls.__mro__):
        module = sys.modules.get(klass.__module__)
        namespace = dict(vars(module)) if module else {}
        for name, annotation in inspect.get_annotations(klass).items():
            try:
                hints[name] = eval(annotation, namespace) if isinstance(annotation, str) else annotation
            except Exception:
                hints[name] = Any
    return hints


def _looks_optional(annotation: Any) -> bool:
    # Annotations are strings under `from __future__ import annotations`; this
    # runs at class creation, before the names in them can be resolved.
    if isinstance(annotation, str):
        return annotation.startswith("Optional[") or "None" in _TOKEN.split(annotation)
    return type(None) in get_args(annotation)


_TOKEN = re.compile(r"[\s\[\],|]+")


def _to_raw(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.__dict__["_data"]
    if isinstance(value, list):
        return [_to_raw(v) for v in value]
    if isinstance(value, dict):
        return {k: _to_raw(v) for k, v in value.items()}
    return value


def _copy_json(value: Any, exclude_none: bool) -> Any:
    if isinstance(value, dict):
        return {k: _copy_json(v, exclude_none) for k, v in value.items() if not (exclude_none and v is None)}
    if isinstance(value, list):
        return [_copy_json(v, exclude_none) for v in value]
    return value


def _converter_for(tp: Any) -> Converter:
    """How to turn a raw JSON value into the declared type `tp`.

    Values of the wrong shape are passed through as they came, never rejected:
    a server that sends a string where a list was declared still gets its data
    to the caller, as the official SDK's lenient construction does.
    """
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return _model_converter(tp)
    origin = get_origin(tp)
    if origin is list:
        (item,) = get_args(tp) or (Any,)
        convert_item = _converter_for(item)
        if convert_item is _identity:
            return _identity
        return lambda raw: [convert_item(v) for v in raw] if isinstance(raw, list) else raw
    if origin is dict:
        args = get_args(tp)
        convert_value = _converter_for(args[1]) if len(args) == 2 else _identity
        if convert_value is _identity:
            return _identity
        return lambda raw: {k: convert_value(v) for k, v in raw.items()} if isinstance(raw, dict) else raw
    if origin is Union or origin is types.UnionType:
        return _union_converter([a for a in get_args(tp) if a is not type(None)])
    if origin is typing.Annotated:
        return _converter_for(get_args(tp)[0])
    return _identity


def _model_converter(model: type[BaseModel]) -> Converter:
    def convert(raw: Any) -> Any:
        return model._from_raw(raw) if isinstance(raw, dict) else raw

    return convert


def _union_converter(options: list[Any]) -> Converter:
    if len(options) == 1:
        return _converter_for(options[0])
    models = [o for o in options if isinstance(o, type) and issubclass(o, BaseModel)]
    if not models:
        others = [_converter_for(o) for o in options]
        lists = [c for c in others if c is not _identity]
        return lists[0] if lists else _identity
    # The key that tells the members apart: `type` (most unions), `event` (the
    # Assistants stream), `object` or `role`, whichever every member fixes to literals.
    key = next((k for k in _TAG_KEYS if all(_type_tags(m, k) for m in models)), "type")
    by_type: dict[Any, list[type[BaseModel]]] = {}
    for m in models:
        # A member whose tag may be left out (`type: Literal["message"] | None`) is still named by it.
        for tag in _type_tags(m, key) or _optional_tags(m, key):
            by_type.setdefault(tag, []).append(m)

    # For members sharing a tag: their other fields fixed to literals (`role`), by member.
    shared = {m for members in by_type.values() if len(members) > 1 for m in members}
    literals = {m: _literal_fields(m, key) for m in shared}

    def convert(raw: Any) -> Any:
        if not isinstance(raw, dict):
            return raw
        candidates = by_type.get(raw.get(key)) or models
        if len(candidates) > 1:
            # Members the tag does not tell apart (an input and an output message): those
            # whose other literal fields accept what is there (`role: "user"`), and of
            # them the one that asks for the most of what is there.
            fitting = [m for m in candidates if _literals_fit(literals.get(m), raw)]
            candidates = fitting or candidates
            best, most = candidates[0], -1
            for model in candidates:
                required = [name for name, f in model.__fields__.items() if f.required]
                if len(required) > most and all(name in raw for name in required):
                    best, most = model, len(required)
            return best._from_raw(raw)
        return candidates[0]._from_raw(raw)

    return convert


_TAG_KEYS = ("type", "event", "object", "role")


def _optional_tags(model: type[BaseModel], key: str) -> tuple[Any, ...]:
    """The values of a model's `key: Literal[...] | None` field."""
    tp = model.__field_types__().get(key)
    if get_origin(tp) not in (Union, types.UnionType):
        return ()
    tags: list[Any] = []
    for option in get_args(tp):
        if get_origin(option) is Literal:
            tags += get_args(option)
        elif option is not type(None):
            return ()
    return tuple(tags)


def _literal_fields(model: type[BaseModel], key: str) -> dict[str, frozenset[Any]]:
    """A model's fields other than `key` whose type is a Literal (None allowed if Optional)."""
    out: dict[str, frozenset[Any]] = {}
    for name, tp in model.__field_types__().items():
        if name == key:
            continue
        options = get_args(tp) if get_origin(tp) in (Union, types.UnionType) else (tp,)
        values: list[Any] = []
        for option in options:
            if option is type(None):
                values.append(None)
            elif get_origin(option) is Literal:
                values += get_args(option)
            else:
                break
        else:
            out[name] = frozenset(values)
    return out


def _literals_fit(fields: dict[str, frozenset[Any]] | None, raw: dict[str, Any]) -> bool:
    """Whether each literal field `raw` has holds one of the values the model allows."""
    if not fields:
        return True
    for name, allowed in fields.items():
        value = raw.get(name, _MISSING)
        if value is not _MISSING and (not isinstance(value, str | int | bool | None) or value not in allowed):
            return False
    return True


def _type_tags(model: type[BaseModel], key: str = "type") -> tuple[Any, ...]:
    """The values of a model's `key: Literal[...]` field, used to pick among a union."""
    tp = model.__field_types__().get(key)
    if tp is not None and get_origin(tp) is Literal:
        return get_args(tp)
    return ()


def as_cast(tp: Any) -> Callable[[Any], Any]:
    """How a generated method builds its result of type `tp` from the decoded JSON.

    A model class builds itself (`_from_raw`, the hot path); a union or any
    other type gets a converter, made on the first answer rather than at
    import, when the names in it may not all be defined yet.
    """
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return tp._from_raw
    converter: list[Converter] = []

    def convert(raw: Any) -> Any:
        if not converter:
            converter.append(_converter_for(tp))
        return converter[0](raw)

    return convert
