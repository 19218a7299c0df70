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

Code written for the official pydantic types works on these: `model_dump`,
`model_dump_json`, `to_dict`, `to_json` (pure Python, `_dump`), `model_validate`,
`model_json_schema` and use inside pydantic types (`_schema`, which imports
pydantic on first use), `model_copy`, `model_fields`, `==`, `repr`, pickling:
each gives what the official type gives for the same JSON.
"""

from __future__ import annotations

import copy
import inspect
import re
import sys
import types
import typing
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Literal, TypeAlias, TypeVar, Union, get_args, get_origin

from . import _dump

__all__ = ["BaseModel", "FieldInfo", "KeyAlias", "as_cast"]

# pydantic's `IncEx`: which fields `model_dump` keeps or drops, nested by field name or list index.
IncEx: TypeAlias = "set[int] | set[str] | Mapping[int, IncEx | bool] | Mapping[str, IncEx | bool]"

_M = TypeVar("_M", bound="BaseModel")
_MISSING: Any = object()
Converter = Callable[[Any], Any]


def _identity(value: Any) -> Any:
    return value


class _Field:
    """A declared field: converts the raw value on first read, then steps aside.

    `key` is the field's JSON key; it differs from `name` only for aliases
    (`schema_` reads `"schema"`)."""

    __slots__ = ("_convert", "default", "key", "name", "owner", "required")

    def __init__(
        self, name: str, owner: type[BaseModel], default: Any, required: bool, key: str | None = None
    ) -> None:
        self.name = name
        self.key = name if key is None else key
        self.owner = owner
        self.default = default
        self.required = required
        self._convert: Converter | None = None

    def __get__(self, obj: BaseModel | None, objtype: type | None = None) -> Any:
        if obj is None:
            return self
        raw = obj.__dict__["_data"].get(self.key, _MISSING)
        if raw is _MISSING:
            if self.required:
                self.owner.__dump_fields__()  # settles `required` for a type that admits null
            if self.required:
                raise AttributeError(
                    f"{type(obj).__name__}.{self.name}: the server's response has no {self.key!r} field"
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


class KeyAlias:
    """A class attribute naming a field whose JSON key is not its Python name.

    `types._alias.Alias` derives from it; `BaseModel` turns each one into a
    `_Field` reading `key` when the class is created, so an aliased field reads,
    converts and dumps like any other (`schema_` from `"schema"`, as the official
    types name it).
    """

    key: str
    required: bool

    def hint(self) -> Any:
        """The field's type: the `T` of `Alias[T](...)`, unevaluated."""
        args = getattr(getattr(self, "__orig_class__", None), "__args__", ())
        if not args:
            return Any
        return getattr(args[0], "__forward_arg__", args[0])


class FieldInfo:
    """What `Model.model_fields` gives for one field: pydantic's `FieldInfo` reading API
    (`annotation`, `default`, `alias`, `is_required()`), without importing pydantic."""

    __slots__ = ("alias", "annotation", "default")

    def __init__(self, annotation: Any, default: Any, alias: str | None) -> None:
        self.annotation = annotation
        self.default = default
        self.alias = alias

    description: ClassVar[str | None] = None
    title: ClassVar[str | None] = None
    examples: ClassVar[list[Any] | None] = None
    json_schema_extra: ClassVar[dict[str, Any] | None] = None
    exclude: ClassVar[bool | None] = None
    default_factory: ClassVar[Callable[[], Any] | None] = None

    @property
    def validation_alias(self) -> str | None:
        return self.alias

    @property
    def serialization_alias(self) -> str | None:
        return self.alias

    def is_required(self) -> bool:
        return self.default is _REQUIRED

    def get_default(self, *, call_default_factory: bool = False) -> Any:
        """The default; for a required field, a marker that reads `PydanticUndefined`, as pydantic's."""
        return self.default

    def __repr__(self) -> str:
        ann = getattr(self.annotation, "__name__", None) or repr(self.annotation)
        default = "required=True" if self.is_required() else f"default={self.default!r}"
        alias = f", alias={self.alias!r}" if self.alias else ""
        return f"FieldInfo(annotation={ann}, {default}{alias})"


class _ModelFields:
    """`Model.model_fields`: a class attribute, built on first use for each class."""

    def __get__(self, obj: object, objtype: type[BaseModel]) -> dict[str, FieldInfo]:
        cached: dict[str, FieldInfo] | None = objtype.__dict__.get("__field_infos__")
        if cached is None:
            types_ = objtype.__field_types__()
            cached = {
                f.name: FieldInfo(
                    types_.get(f.name, Any),
                    _REQUIRED if f.required else f.default,
                    f.key if f.key != f.name else None,
                )
                for f in objtype.__dump_fields__()
            }
            objtype.__field_infos__ = cached
        return cached


_REQUIRED: Any = type("Required", (), {"__repr__": lambda self: "PydanticUndefined"})()


class BaseModel:
    """Base of every response type: attribute access over the server's JSON.

    The pydantic-shaped API (`model_dump`, `model_validate`, `model_json_schema`,
    `model_copy`, ...) behaves as the official types' does for the same JSON;
    dumping is pure Python (`_dump`), validation and schemas need pydantic and
    import it on first use (`_schema`).
    """

    __fields__: ClassVar[dict[str, _Field]] = {}
    __hints__: ClassVar[dict[str, Any] | None] = None
    __alias_hints__: ClassVar[dict[str, Any]] = {}
    __field_infos__: ClassVar[dict[str, FieldInfo] | None] = None
    __plan__: ClassVar[tuple[_Field, ...] | None] = None
    __plan_names__: ClassVar[frozenset[str]] = frozenset()
    __plan_keys__: ClassVar[frozenset[str]] = frozenset()

    model_config: ClassVar[dict[str, Any]] = {"extra": "allow"}
    model_computed_fields: ClassVar[dict[str, Any]] = {}
    if TYPE_CHECKING:
        model_fields: ClassVar[dict[str, FieldInfo]]
        _request_id: str | None
    else:
        model_fields = _ModelFields()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        fields = dict(getattr(cls, "__fields__", {}))
        alias_hints = dict(getattr(cls, "__alias_hints__", {}))
        for name, annotation in inspect.get_annotations(cls).items():
            if name.startswith("_") or "ClassVar" in str(annotation):
                continue
            default = cls.__dict__.get(name, _MISSING)
            required = default is _MISSING and not _looks_optional(annotation)
            field = _Field(name, cls, None if default is _MISSING else default, required)
            setattr(cls, name, field)
            fields[name] = field
        for name, value in list(cls.__dict__.items()):
            if isinstance(value, KeyAlias):
                field = _Field(name, cls, None, value.required, key=value.key)
                setattr(cls, name, field)
                fields[name] = field
                alias_hints[name] = value.hint()
        cls.__fields__ = fields
        cls.__alias_hints__ = alias_hints
        cls.__hints__ = None

    @classmethod
    def __field_types__(cls) -> dict[str, Any]:
        hints = cls.__dict__.get("__hints__")
        if hints is None:
            try:
                hints = typing.get_type_hints(cls)
            except NameError:
                hints = _resolvable_hints(cls)
            if cls.__alias_hints__:
                # An alias with a twin (`schema_` beside `schema`) has the twin's type, None included.
                aliases = _resolve_alias_hints(cls)
                for name, field in cls.__fields__.items():
                    if name in aliases and field.key in hints:
                        aliases[name] = hints[field.key]
                    elif name in aliases and not field.required:
                        aliases[name] = typing.Optional[aliases[name]]  # noqa: UP045 - may be a string
                hints = {**hints, **aliases}
            cls.__hints__ = hints
        return hints

    @classmethod
    def __dump_fields__(cls) -> tuple[_Field, ...]:
        """The fields as the official type declares them, in order.

        An aliased field takes the place of its twin (`schema_`, key `"schema"`,
        where `schema` was declared): the official types have only the alias, and
        keep the JSON key among the extras, which falls out of extras being the keys
        that are not these fields' names.
        """
        plan = cls.__dict__.get("__plan__")
        if plan is None:
            # A field typed by a name that admits null (`metadata: Metadata`, where Metadata is
            # `dict[str, str] | None`) is optional, as the official types declare it; only the
            # resolved types tell, so this is settled here rather than at class creation.
            hints = cls.__field_types__()
            for f in cls.__fields__.values():
                if f.required and _admits_none(hints.get(f.name)):
                    f.required = False
            aliased = {f.key: f for f in cls.__fields__.values() if f.key != f.name}
            own = [aliased.pop(f.name, f) for f in cls.__fields__.values() if f.key == f.name]
            plan = (*own, *aliased.values())
            cls.__plan_names__ = frozenset(f.name for f in plan)
            cls.__plan_keys__ = frozenset(f.key for f in plan)
            cls.__plan__ = plan
        return plan

    def __init__(self, **data: Any) -> None:
        self.__dict__["_data"] = {key: _to_raw(value) for key, value in data.items()}

    @classmethod
    def _from_raw(cls: type[_M], data: dict[str, Any]) -> _M:
        obj = cls.__new__(cls)
        obj.__dict__["_data"] = data
        return obj

    # -- the official SDK's construction names, for ported code ----------------

    @classmethod
    def construct(cls: type[_M], _fields_set: set[str] | None = None, **values: Any) -> _M:
        """Build without validation, as responses are built (the official `construct`)."""
        obj = cls(**values)
        if _fields_set is not None:
            obj.__dict__["_fields_set"] = set(_fields_set)
        return obj

    model_construct = construct

    @classmethod
    def model_validate(
        cls: type[_M],
        obj: Any,
        *,
        strict: bool | None = None,
        extra: Literal["allow", "ignore", "forbid"] | None = None,
        from_attributes: bool | None = None,
        context: Any | None = None,
        by_alias: bool | None = None,
        by_name: bool | None = None,
    ) -> _M:
        """Validate `obj` against this type as pydantic does (needs pydantic):
        a wrong value raises `pydantic.ValidationError` naming its field."""
        from . import _schema

        options = _schema.validate_options(
            strict=strict,
            extra=extra,
            from_attributes=from_attributes,
            context=context,
            by_alias=by_alias,
            by_name=by_name,
        )
        return _schema.adapter(cls).validate_python(obj, **options)  # type: ignore[no-any-return]

    @classmethod
    def model_validate_json(
        cls: type[_M],
        json_data: str | bytes | bytearray,
        *,
        strict: bool | None = None,
        extra: Literal["allow", "ignore", "forbid"] | None = None,
        context: Any | None = None,
        by_alias: bool | None = None,
        by_name: bool | None = None,
    ) -> _M:
        from . import _schema

        options = _schema.validate_options(
            strict=strict, extra=extra, context=context, by_alias=by_alias, by_name=by_name
        )
        return _schema.adapter(cls).validate_json(json_data, **options)  # type: ignore[no-any-return]

    @classmethod
    def model_json_schema(
        cls,
        by_alias: bool = True,
        ref_template: str = "#/$defs/{model}",
        schema_generator: type[Any] | None = None,
        mode: Literal["validation", "serialization"] = "validation",
        *,
        union_format: Literal["any_of", "primitive_type_array"] = "any_of",
    ) -> dict[str, Any]:
        """The JSON schema pydantic gives for this type (needs pydantic)."""
        from . import _schema

        return _schema.json_schema(
            cls,
            by_alias=by_alias,
            ref_template=ref_template,
            schema_generator=schema_generator,
            mode=mode,
            union_format=union_format,
        )

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: Any) -> Any:
        """So pydantic validates into and dumps out of these types (`TypeAdapter`, a field
        of a pydantic model, a FastAPI response model)."""
        from . import _schema

        return _schema.core_schema(cls, handler)

    def _pydantic_post_init(self, context: Any) -> None:
        """Called by pydantic-core once it has validated a dict into this new instance."""
        from . import _schema

        _schema.adopt(self)

    @classmethod
    def __get_pydantic_json_schema__(cls, schema: Any, handler: Any) -> Any:
        from . import _schema

        return _schema.json_schema_of(cls, schema, handler)

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
        cls = type(self)
        field = cls.__fields__.get(name)
        key = name if field is None else field.key
        self.__dict__["_data"][key] = _to_raw(value)
        self.__dict__[name] = value
        if cls.__alias_hints__:  # `schema` and `schema_` read one key: the other's cached value is stale
            for other in cls.__fields__.values():
                if other.key == key and other.name != name:
                    self.__dict__.pop(other.name, None)

    @property
    def model_extra(self) -> dict[str, Any]:
        """The fields the server sent that this class does not declare."""
        return dict(_dump.extras(self))

    @property
    def model_fields_set(self) -> set[str]:
        """The declared fields that were given (by the server, or by you), by Python name."""
        return _dump.fields_set(self)

    def model_dump(
        self,
        *,
        mode: Literal["json", "python"] | str = "python",
        include: IncEx | None = None,
        exclude: IncEx | None = None,
        context: Any | None = None,
        by_alias: bool | None = None,
        exclude_unset: bool = False,
        exclude_defaults: bool = False,
        exclude_none: bool = False,
        exclude_computed_fields: bool = False,
        round_trip: bool = False,
        warnings: bool | Literal["none", "warn", "error"] = True,
        fallback: Callable[[Any], Any] | None = None,
        serialize_as_any: bool = False,
        polymorphic_serialization: bool | None = None,
    ) -> dict[str, Any]:
        """This object as a dict, as pydantic's `model_dump` gives it for the official type."""
        options = _dump.Options.of(
            mode=mode,
            context=context,
            by_alias=by_alias,
            exclude_unset=exclude_unset,
            exclude_defaults=exclude_defaults,
            exclude_none=exclude_none,
            exclude_computed_fields=exclude_computed_fields,
            round_trip=round_trip,
            warnings=warnings,
            fallback=fallback,
            serialize_as_any=serialize_as_any,
            polymorphic_serialization=polymorphic_serialization,
        )
        return _dump.dump(self, options, include, exclude)

    def model_dump_json(
        self,
        *,
        indent: int | None = None,
        ensure_ascii: bool = False,
        include: IncEx | None = None,
        exclude: IncEx | None = None,
        context: Any | None = None,
        by_alias: bool | None = None,
        exclude_unset: bool = False,
        exclude_defaults: bool = False,
        exclude_none: bool = False,
        exclude_computed_fields: bool = False,
        round_trip: bool = False,
        warnings: bool | Literal["none", "warn", "error"] = True,
        fallback: Callable[[Any], Any] | None = None,
        serialize_as_any: bool = False,
        polymorphic_serialization: bool | None = None,
    ) -> str:
        """This object as JSON text, as pydantic's `model_dump_json` writes it for the official type."""
        options = _dump.Options.of(
            mode="json",
            context=context,
            by_alias=by_alias,
            exclude_unset=exclude_unset,
            exclude_defaults=exclude_defaults,
            exclude_none=exclude_none,
            exclude_computed_fields=exclude_computed_fields,
            round_trip=round_trip,
            warnings=warnings,
            fallback=fallback,
            serialize_as_any=serialize_as_any,
            polymorphic_serialization=polymorphic_serialization,
        )
        return _dump.to_json_text(_dump.dump(self, options, include, exclude), indent, ensure_ascii)

    def to_dict(
        self,
        *,
        mode: Literal["json", "python"] = "python",
        use_api_names: bool = True,
        exclude_unset: bool = True,
        exclude_defaults: bool = False,
        exclude_none: bool = False,
        warnings: bool = True,
    ) -> dict[str, Any]:
        """The official `to_dict`: what the server sent, by its keys (with any changes you made)."""
        return self.model_dump(
            mode=mode,
            by_alias=use_api_names,
            exclude_unset=exclude_unset,
            exclude_defaults=exclude_defaults,
            exclude_none=exclude_none,
            warnings=warnings,
        )

    def to_json(
        self,
        *,
        indent: int | None = 2,
        use_api_names: bool = True,
        exclude_unset: bool = True,
        exclude_defaults: bool = False,
        exclude_none: bool = False,
        warnings: bool = True,
    ) -> str:
        """The official `to_json`: `to_dict` as JSON text, indented by default."""
        return self.model_dump_json(
            indent=indent,
            by_alias=use_api_names,
            exclude_unset=exclude_unset,
            exclude_defaults=exclude_defaults,
            exclude_none=exclude_none,
            warnings=warnings,
        )

    def model_copy(self: _M, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> _M:
        """A copy (sharing nested objects unless `deep`), with `update` set on it unvalidated."""
        clone = type(self).__new__(type(self))
        if deep:
            clone.__dict__.update(copy.deepcopy(self.__dict__))
        else:
            # Read every field first, so the copy shares the nested objects, as pydantic's does.
            for field in type(self).__dump_fields__():
                if field.key in self.__dict__["_data"]:
                    getattr(self, field.name)
            clone.__dict__.update(self.__dict__)
            clone.__dict__["_data"] = dict(self.__dict__["_data"])
        for name, value in (update or {}).items():
            setattr(clone, name, value)
        return clone

    def copy(self: _M, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> _M:
        return self.model_copy(update=update, deep=deep)

    def __copy__(self: _M) -> _M:
        return self.model_copy()

    def __deepcopy__(self: _M, memo: dict[int, Any] | None = None) -> _M:
        clone = type(self).__new__(type(self))
        clone.__dict__.update(copy.deepcopy(self.__dict__, memo))
        return clone

    def __eq__(self, other: object) -> bool:
        # As pydantic compares: the same class, the same field values (a field the server
        # left out equals its default) and the same extras; which fields were set is not compared.
        if type(other) is not type(self):
            return NotImplemented
        assert isinstance(other, BaseModel)
        return _dump.state(self) == _dump.state(other)

    __hash__ = None  # type: ignore[assignment]

    def __iter__(self) -> typing.Iterator[tuple[str, Any]]:
        """(name, value) for every field, then the extras: `dict(model)`, as pydantic's."""
        return _dump.state_items(self)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in _dump.state_items(self))})"

    __str__ = __repr__

    def __getstate__(self) -> dict[str, Any]:
        state = {"_data": self.__dict__["_data"], "_request_id": self.__dict__.get("_request_id")}
        if "_fields_set" in self.__dict__:
            state["_fields_set"] = self.__dict__["_fields_set"]
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__["_data"] = state["_data"]
        self.__dict__["_request_id"] = state.get("_request_id")
        if "_fields_set" in state:
            self.__dict__["_fields_set"] = state["_fields_set"]


def _admits_none(tp: Any) -> bool:
    if tp is None or tp is type(None):
        return True
    origin = get_origin(tp)
    if origin is typing.Annotated:
        return _admits_none(get_args(tp)[0])
    return (origin is Union or origin is types.UnionType) and any(_admits_none(a) for a in get_args(tp))


def _resolve_alias_hints(cls: type[BaseModel]) -> dict[str, Any]:
    module = sys.modules.get(cls.__module__)
    namespace = dict(vars(module)) if module else {}
    out: dict[str, Any] = {}
    for name, hint in cls.__alias_hints__.items():
        try:
            out[name] = eval(hint, namespace) if isinstance(hint, str) else hint
        except Exception:
            out[name] = Any
    return out


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
                required = [f.key for f in model.__fields__.values() if f.required]
                if len(required) > most and all(key in raw for key in required):
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
