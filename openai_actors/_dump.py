"""`model_dump` and `model_dump_json` for the lazy response models, in pure Python.

What they return is what pydantic returns for the official types built from the
same JSON (the official SDK builds responses with `construct`, unvalidated):

* every declared field, by its Python name (`schema_`), or by its JSON key with
  `by_alias`; a field the server left out dumps as its default (None) and counts
  as unset; a JSON null also dumps as the default;
* then the keys the class does not declare (extras), as they came; a JSON key of
  an aliased field is also among them, as it is in the official types;
* an int sent where a float is declared dumps as a float, as `construct` makes it;
* `include` / `exclude` as pydantic-core reads them: sets or dicts, nested by
  field name, dict key or list index (modulo the list's length), `"__all__"`
  for every item, `True` / `...` for the whole item;
* a value that is not JSON data (a pydantic model in `parsed`, a datetime you set)
  is handed to pydantic-core's own serializer, imported only then.

Nothing here imports pydantic for a response that holds only JSON data.
"""

from __future__ import annotations

import json
import math
import re
import types
import typing
import warnings as _warnings
from collections.abc import Callable, Iterator, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from dataclasses import field as _dataclass_field
from json.encoder import encode_basestring, encode_basestring_ascii
from typing import TYPE_CHECKING, Any, Union, get_args, get_origin

from . import _models  # partly initialised here (it imports this module): read at call time

if TYPE_CHECKING:
    from ._models import BaseModel, _Field

__all__ = ["Options", "dump", "fields_set", "float_text", "state", "state_items", "to_json_text"]

_NO: Any = object()
Filter = Any  # a set or dict of field names / list indices, as pydantic takes them


def _flag(name: str, value: object, allow_none: bool = False) -> None:
    if not (type(value) is bool or (allow_none and value is None)):
        raise TypeError(f"{name} must be a bool, not {type(value).__name__} ({value!r})")


@dataclass(frozen=True, slots=True)
class Options:
    """The options of one `model_dump` call, checked as pydantic checks them."""

    mode: str
    context: Any
    by_alias: bool
    exclude_unset: bool
    exclude_defaults: bool
    exclude_none: bool
    exclude_computed_fields: bool
    round_trip: bool
    warnings: bool | str
    fallback: Callable[[Any], Any] | None
    serialize_as_any: bool
    polymorphic_serialization: bool | None
    # What did not have its declared type, as pydantic words it: filled while dumping.
    unexpected: list[str] = _dataclass_field(default_factory=list)

    @property
    def json(self) -> bool:
        return self.mode == "json"

    @classmethod
    def of(
        cls,
        *,
        mode: str,
        context: Any,
        by_alias: bool | None,
        exclude_unset: bool,
        exclude_defaults: bool,
        exclude_none: bool,
        exclude_computed_fields: bool,
        round_trip: bool,
        warnings: bool | str,
        fallback: Callable[[Any], Any] | None,
        serialize_as_any: bool,
        polymorphic_serialization: bool | None,
    ) -> Options:
        if not isinstance(mode, str):
            raise TypeError(f"mode must be 'python' or 'json', not {mode!r}")
        _flag("by_alias", by_alias, allow_none=True)
        _flag("exclude_unset", exclude_unset)
        _flag("exclude_defaults", exclude_defaults)
        _flag("exclude_none", exclude_none)
        _flag("exclude_computed_fields", exclude_computed_fields)
        _flag("round_trip", round_trip)
        _flag("serialize_as_any", serialize_as_any)
        _flag("polymorphic_serialization", polymorphic_serialization, allow_none=True)
        if not (type(warnings) is bool or warnings in ("none", "warn", "error")):
            raise TypeError(f"warnings must be a bool or 'none', 'warn' or 'error', not {warnings!r}")
        if fallback is not None and not callable(fallback):
            raise TypeError(f"fallback must be callable, not {type(fallback).__name__}")
        return cls(
            mode,
            context,
            bool(by_alias),
            exclude_unset,
            exclude_defaults,
            exclude_none,
            exclude_computed_fields,
            round_trip,
            warnings,
            fallback,
            serialize_as_any,
            polymorphic_serialization,
        )

    def serializer_kwargs(self) -> dict[str, Any]:
        """These options as pydantic-core's `to_python` takes them (for values that are not ours)."""
        kwargs: dict[str, Any] = {
            "mode": self.mode,
            "by_alias": self.by_alias,
            "exclude_unset": self.exclude_unset,
            "exclude_defaults": self.exclude_defaults,
            "exclude_none": self.exclude_none,
            "round_trip": self.round_trip,
            "warnings": self.warnings,
            "fallback": self.fallback,
            "serialize_as_any": self.serialize_as_any,
            "context": self.context,
        }
        if self.exclude_computed_fields:
            kwargs["exclude_computed_fields"] = True
        if self.polymorphic_serialization is not None:
            kwargs["polymorphic_serialization"] = self.polymorphic_serialization
        return kwargs


def _check_filter(name: str, value: object) -> None:
    if value is not None and not isinstance(value, AbstractSet | Mapping | list | tuple | str):
        raise TypeError(f"`{name}` argument must be a set or dict.")


def dump(obj: BaseModel, options: Options, include: Filter, exclude: Filter) -> dict[str, Any]:
    _check_filter("include", include)
    _check_filter("exclude", exclude)
    out = _model(obj, options, include, exclude)
    if options.unexpected:
        _report(options.unexpected, options.warnings)
    return out


def _report(unexpected: list[str], mode: bool | str) -> None:
    """As pydantic reports values that were not of their declared type: one warning, or an error."""
    message = "Pydantic serializer warnings:\n  " + "\n  ".join(unexpected)
    if mode != "error":
        _warnings.warn(message, UserWarning, stacklevel=4)
        return
    try:
        from pydantic_core import PydanticSerializationError
    except ImportError:
        raise ValueError(message) from None
    raise PydanticSerializationError(message)


# -- include / exclude ----------------------------------------------------------


def _whole(value: object) -> bool:
    return value is True or value is Ellipsis


def _nested(value: object) -> bool:
    return isinstance(value, AbstractSet | Mapping)


def _as_dict(value: Any) -> dict[Any, Any]:
    return dict(value) if isinstance(value, Mapping) else dict.fromkeys(value, True)


def _with_every(own: Any, every: Any) -> Any:
    """An item's own filter and `"__all__"`'s, as pydantic-core combines them: the item's own
    whole-item mark wins, then its own nested filter over `"__all__"`'s whole-item mark;
    two nested filters are joined (recursively, for a key both name)."""
    if own is _NO or every is _NO:
        return every if own is _NO else own
    if _whole(own) or not _nested(every):
        return own
    if not _nested(own):
        return every
    if isinstance(own, AbstractSet) and isinstance(every, AbstractSet):
        return set(own) | set(every)
    joined = _as_dict(own)
    for key, value in _as_dict(every).items():
        joined[key] = _with_every(joined[key], value) if key in joined else value
    return joined


def _lookup(flt: Mapping[Any, Any], key: Any, include: bool) -> Any:
    """The filter `flt` (a dict) sets for `key`: `_NO` for none, True for the whole item, or a nested
    filter. In an include filter any other value (None, 1) means the whole item, and False none;
    in an exclude filter such values mean nothing."""

    def read(value: Any) -> Any:
        if value is _NO or _whole(value) or _nested(value):
            return value
        if include:
            return _NO if value is False else True
        return _NO

    return _with_every(read(flt.get(key, _NO)), read(flt.get("__all__", _NO)))


def _contains(flt: Any, key: Any) -> bool:
    try:
        return key in flt or "__all__" in flt
    except TypeError:  # an int looked up in a str
        return False


def _for_list(flt: Filter, length: int) -> Filter:
    """A filter with its indices taken modulo the list's length, as pydantic-core takes them
    (-1 is the last item; so is `length - 1 + length`); of two keys naming one item, the later wins."""
    if flt is None or isinstance(flt, str) or length == 0:
        return flt
    if not isinstance(flt, Mapping):
        return {k % length if type(k) is int else k for k in flt}
    return {key % length if type(key) is int else key: value for key, value in flt.items()}


def _next(key: Any, include: Filter, exclude: Filter) -> tuple[Any, Any] | None:
    """The filters for the item `key` (None: leave the item out)."""
    inner_include = inner_exclude = None
    if exclude is not None:
        if isinstance(exclude, Mapping):
            value = _lookup(exclude, key, include=False)
            if _whole(value):
                return None
            if _nested(value):
                inner_exclude = value
        elif _contains(exclude, key):
            return None
    if include is not None:
        if isinstance(include, Mapping):
            value = _lookup(include, key, include=True)
            if value is _NO:
                return None
            if _nested(value):
                inner_include = value
        elif not _contains(include, key):
            return None
    return inner_include, inner_exclude


# -- values ---------------------------------------------------------------------


def fields_set(obj: BaseModel) -> set[str]:
    data = obj.__dict__["_data"]
    given = {f.name for f in type(obj).__dump_fields__() if f.key in data}
    explicit = obj.__dict__.get("_fields_set")
    return given | explicit if explicit is not None else given


def _value_of(obj: BaseModel, field: _Field) -> Any:
    """A field's typed value; its default when the server left it out."""
    if field.key in obj.__dict__["_data"]:
        return getattr(obj, field.name)
    return field.default


def extras(obj: BaseModel) -> Iterator[tuple[str, Any]]:
    """The keys that are not fields, with their values.

    As in the official types: built unvalidated (`construct`), the keys that name no
    field, so an aliased field's JSON key (`"schema"`) is one; validated by pydantic,
    the keys that are no field's JSON key, so its name (`"schema_"`) is one.
    """
    cls = type(obj)
    cls.__dump_fields__()
    fields = cls.__plan_keys__ if "_validated" in obj.__dict__ else cls.__plan_names__
    for key, value in obj.__dict__["_data"].items():
        if key not in fields:
            yield key, value


def state_items(obj: BaseModel) -> Iterator[tuple[str, Any]]:
    """Every declared field with its value, then the extras: what pydantic shows and compares."""
    for field in type(obj).__dump_fields__():
        yield field.name, _value_of(obj, field)
    yield from extras(obj)


def state(obj: BaseModel) -> tuple[list[Any], dict[str, Any]]:
    return [_value_of(obj, f) for f in type(obj).__dump_fields__()], dict(extras(obj))


Step = tuple["_Field", Callable[[Any], Any] | None, "Check | None"]
_STEPS: dict[type, tuple[Step, ...]] = {}


def _steps(cls: type[BaseModel]) -> tuple[Step, ...]:
    """A class's fields with how each is coerced and checked, made once per class."""
    steps = _STEPS.get(cls)
    if steps is None:
        steps = _STEPS[cls] = tuple((f, _float_coercer(f), _checker(f)) for f in cls.__dump_fields__())
    return steps


def _model(obj: BaseModel, o: Options, include: Filter, exclude: Filter) -> dict[str, Any]:
    data = obj.__dict__["_data"]
    explicit = obj.__dict__.get("_fields_set")
    filtering = include is not None or exclude is not None
    checking = o.warnings is not False and o.warnings != "none"
    inner_include = inner_exclude = None
    out: dict[str, Any] = {}
    for field, coerce, check in _steps(type(obj)):
        name = field.name
        if o.exclude_unset and field.key not in data and (explicit is None or name not in explicit):
            continue
        if filtering:
            nxt = _next(name, include, exclude)
            if nxt is None:
                continue
            inner_include, inner_exclude = nxt
        value = getattr(obj, name) if field.key in data else field.default
        if value is None:
            if o.exclude_none:
                continue
        else:
            if coerce is not None:
                value = coerce(value)
            if checking and check is not None:
                check(value, name, o.unexpected)
        if o.exclude_defaults and not field.required and value == field.default:
            continue
        key = field.key if o.by_alias else name
        out[key] = _value(value, o, inner_include, inner_exclude, coerce is not None)
    for key, value in extras(obj):
        if value is None and o.exclude_none:
            continue
        if filtering:
            nxt = _next(key, include, exclude)
            if nxt is None:
                continue
            inner_include, inner_exclude = nxt
        out[key] = _value(value, o, inner_include, inner_exclude)
    return out


_PLAIN = frozenset({str, int, bool, float, type(None)})


def _value(value: Any, o: Options, include: Filter, exclude: Filter, floats: bool = False) -> Any:
    """`value` dumped. `floats`: it is (in) a field declared float, where pydantic's JSON mode
    keeps inf and nan; elsewhere it infers the type, and makes them None."""
    kind = type(value)
    if kind in _PLAIN:
        if kind is float and o.json and not floats and not math.isfinite(value):
            return None
        return value
    if isinstance(value, _models.BaseModel):
        return _model(value, o, include, exclude)
    if kind is list or kind is tuple:
        if include is None and exclude is None:
            items = [_value(v, o, None, None, floats) for v in value]
        else:
            items = []
            include, exclude = _for_list(include, len(value)), _for_list(exclude, len(value))
            for i, v in enumerate(value):
                nxt = _next(i, include, exclude)
                if nxt is not None:
                    items.append(_value(v, o, *nxt, floats))
        return tuple(items) if kind is tuple and not o.json else items
    if kind is dict:
        out = {}
        for k, v in value.items():
            if include is None and exclude is None:
                out[k] = _value(v, o, None, None, floats)
            elif (nxt := _next(k, include, exclude)) is not None:
                out[k] = _value(v, o, *nxt, floats)
        return out
    return _foreign(value, o, include, exclude)


def _foreign(value: Any, o: Options, include: Filter, exclude: Filter) -> Any:
    """A value that is not JSON data, dumped by pydantic-core's inference, as pydantic would."""
    try:
        serializer = _any_serializer()
    except ImportError:
        if not o.json:
            return value
        if o.fallback is not None:
            return o.fallback(value)
        raise TypeError(
            f"Unable to serialize unknown type: {type(value)!r} (install pydantic to dump it)"
        ) from None
    return serializer.to_python(value, include=include, exclude=exclude, **o.serializer_kwargs())


_SERIALIZER: list[Any] = []


def _any_serializer() -> Any:
    if not _SERIALIZER:
        from pydantic_core import SchemaSerializer, core_schema

        _SERIALIZER.append(SchemaSerializer(core_schema.any_schema()))
    return _SERIALIZER[0]


# -- an int where a float is declared --------------------------------------------

_UNKNOWN: Any = object()
_COERCERS: dict[tuple[type, str], Callable[[Any], Any] | None] = {}


def _float_coercer(field: _Field) -> Callable[[Any], Any] | None:
    key = (field.owner, field.name)
    coerce = _COERCERS.get(key, _UNKNOWN)
    if coerce is _UNKNOWN:
        coerce = _COERCERS[key] = _coercer_for(field.owner.__field_types__().get(field.name))
    return coerce  # type: ignore[no-any-return]


def _to_float(value: Any) -> Any:
    if isinstance(value, int):
        as_float = float(value)
        return as_float if as_float == value else value
    return value


def _coercer_for(tp: Any) -> Callable[[Any], Any] | None:
    """How the official `construct` turns ints into floats in a value of type `tp` (None: it does not)."""
    if tp is float:
        return _to_float
    origin = get_origin(tp)
    args = get_args(tp)
    if origin is Union or origin is types.UnionType:
        options = [a for a in args if a is not type(None)]
        return _coercer_for(options[0]) if len(options) == 1 else None
    if origin is typing.Annotated:
        return _coercer_for(args[0])
    if origin is list and args:
        item = _coercer_for(args[0])
        if item is None:
            return None
        return lambda v: [item(x) for x in v] if isinstance(v, list) else v
    if origin is dict and len(args) == 2:
        each = _coercer_for(args[1])
        if each is None:
            return None
        return lambda v: {k: each(x) for k, x in v.items()} if isinstance(v, dict) else v
    return None


# -- values not of their declared type -------------------------------------------------
#
# The server's values are not validated, so one may not have its declared type (a
# string for an int); pydantic warns when it dumps such a value, and says which.
# Literals and unions are not checked: pydantic does not warn for a literal outside
# its values, and a union member is chosen leniently here.

Check = Callable[[Any, str, list[str]], None]
_CHECKERS: dict[tuple[type, str], Check | None] = {}


def _checker(field: _Field) -> Check | None:
    key = (field.owner, field.name)
    check = _CHECKERS.get(key, _UNKNOWN)
    if check is _UNKNOWN:
        check = _CHECKERS[key] = _check_for(field.owner.__field_types__().get(field.name))
    return check  # type: ignore[no-any-return]


def _unexpected(expected: str, value: Any, name: str) -> str:
    return (
        f"PydanticSerializationUnexpectedValue(Expected `{expected}` - serialized value may not be "
        f"as expected [field_name={name!r}, input_value={value!r}, input_type={type(value).__name__}])"
    )


_SCALARS: dict[Any, tuple[type, ...]] = {int: (int,), float: (int, float), str: (str,), bool: (bool,)}


def _type_name(tp: Any) -> str:
    origin = get_origin(tp)
    if origin is list or origin is dict:
        return f"{origin.__name__}[{', '.join(_type_name(a) for a in get_args(tp))}]"
    return getattr(tp, "__name__", None) or repr(tp)


def _check_for(tp: Any) -> Check | None:
    """A check of a value against `tp`, adding pydantic's words to `unexpected` when it does not fit."""
    origin = get_origin(tp)
    args = get_args(tp)
    if origin is Union or origin is types.UnionType:
        options = [a for a in args if a is not type(None)]
        return _check_for(options[0]) if len(options) == 1 else None
    if origin is typing.Annotated:
        return _check_for(args[0])
    expected = _type_name(tp)
    if tp in _SCALARS:
        kinds = _SCALARS[tp]

        def scalar(value: Any, name: str, unexpected: list[str]) -> None:
            if not isinstance(value, kinds):
                unexpected.append(_unexpected(expected, value, name))

        return scalar
    if isinstance(tp, type) and issubclass(tp, _models.BaseModel):
        model = tp

        def instance(value: Any, name: str, unexpected: list[str]) -> None:
            if not isinstance(value, model):
                unexpected.append(_unexpected(expected, value, name))

        return instance
    if origin is list or origin is dict:
        container: type[Any] = origin
        inner = _check_for(args[-1]) if args else None

        def collection(value: Any, name: str, unexpected: list[str]) -> None:
            if not isinstance(value, container):
                unexpected.append(_unexpected(expected, value, name))
            elif inner is not None:
                items: Any = value.values() if container is dict else value
                for item in items:
                    if item is not None:
                        inner(item, name, unexpected)

        return collection
    return None


# -- JSON text --------------------------------------------------------------------


def float_text(value: float) -> str:
    """A float as pydantic-core writes it: Python's shortest repr, but `1e-7` for `1e-07`,
    `1e+16` kept, `0.00001` for `1e-05`, and null for inf and nan."""
    if not math.isfinite(value):
        return "null"
    text = float.__repr__(value)
    if "e" not in text:
        return text
    mantissa, exp = text.split("e")
    power = int(exp)
    if power == -5:
        sign = "-" if mantissa.startswith("-") else ""
        return f"{sign}0.0000{mantissa.lstrip('-').replace('.', '')}"
    return f"{mantissa}e{'+' if power > 0 else '-'}{abs(power)}"


def _key_text(key: Any) -> str:
    if isinstance(key, str):
        return key
    if key is None or isinstance(key, bool):
        return "null" if key is None else ("true" if key else "false")
    if isinstance(key, float):
        return float_text(key)
    return str(key)


def to_json_text(value: Any, indent: int | None, ensure_ascii: bool) -> str:
    """JSON-mode dump output as pydantic's `model_dump_json` writes it."""
    if indent is not None and (type(indent) is not int or indent < 0):
        raise TypeError(f"indent must be a non-negative int or None, not {indent!r}")
    # The json module writes what pydantic-core does but for floats with an exponent of
    # -5 to -9 (`1e-07`), inf and nan (refused here), and DEL with ensure_ascii; where
    # its text may hold one of those, the value is written again by `_text` below.
    separators = (",", ":") if indent is None else (",", ": ")
    try:
        text = json.dumps(
            value, ensure_ascii=ensure_ascii, allow_nan=False, indent=indent, separators=separators
        )
    except ValueError:
        text = None
    if text is not None and not _REWRITE.search(text):
        return text
    quote = _quote_ascii if ensure_ascii else encode_basestring
    return _text(value, quote, indent, 0)


_REWRITE = re.compile(r"e-0\d|\\u007f")


def _quote_ascii(text: str) -> str:
    # pydantic-core leaves DEL as it is when it escapes everything beyond ASCII; json escapes it.
    if "\x7f" not in text:
        return encode_basestring_ascii(text)
    return '"' + "\x7f".join(encode_basestring_ascii(part)[1:-1] for part in text.split("\x7f")) + '"'


def _text(value: Any, quote: Callable[[str], str], indent: int | None, level: int) -> str:
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        return quote(value)
    if isinstance(value, int):
        return int.__repr__(value)
    if isinstance(value, float):
        return float_text(value)
    if isinstance(value, Mapping):
        items = [(quote(_key_text(k)), _text(v, quote, indent, level + 1)) for k, v in value.items()]
        if not items:
            return "{}"
        if indent is None:
            return "{" + ",".join(f"{k}:{v}" for k, v in items) + "}"
        pad = "\n" + " " * (indent * (level + 1))
        return "{" + ",".join(f"{pad}{k}: {v}" for k, v in items) + "\n" + " " * (indent * level) + "}"
    if isinstance(value, list | tuple):
        parts = [_text(v, quote, indent, level + 1) for v in value]
        if not parts:
            return "[]"
        if indent is None:
            return "[" + ",".join(parts) + "]"
        pad = "\n" + " " * (indent * (level + 1))
        return "[" + ",".join(pad + p for p in parts) + "\n" + " " * (indent * level) + "]"
    raise TypeError(f"Unable to serialize unknown type: {type(value)!r}")
