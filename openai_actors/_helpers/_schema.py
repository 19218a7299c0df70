"""The strict JSON schema Structured Outputs ask for, derived from a user's pydantic type.

The API's strict mode accepts a subset of JSON Schema: every object closed
(`additionalProperties: false`) and every property listed in `required`
(optional fields are expressed as a union with null, which pydantic already
writes). pydantic's schema is otherwise kept as it is, with two rewrites the
API needs:

* a `$ref` with siblings (`{"$ref": ..., "description": ...}`, which pydantic
  writes for a documented nested model) is replaced by the definition it names,
  the siblings winning, because strict mode reads a `$ref` only on its own;
* a single-member `allOf` (older pydantic's way of documenting a reference) is
  merged into its parent.

A `default: null` is dropped (the field is nullable either way); `$defs` stay
where pydantic put them. The result is the official SDK's for the same type, key
for key and in the same order, which tests/test_parsing_differential.py checks:
the request body is what the server caches the schema by.

`strict_json_schema` is pure (a dict in, the same dict rewritten out); only
`shared_strict_json_schema` touches pydantic, imported when a user's type arrives,
and it derives each type's schema once.
"""

from __future__ import annotations

import dataclasses
import inspect
import sys
import weakref
from typing import Any, is_typeddict

__all__ = [
    "is_adaptable_type",
    "is_pydantic_model",
    "resolve_ref",
    "schema_name",
    "shared_strict_json_schema",
    "strict_json_schema",
    "to_strict_json_schema",
    "type_adapter",
]


def is_pydantic_model(tp: object) -> bool:
    """Whether `tp` is a pydantic `BaseModel` subclass, without importing pydantic.

    A class can only be one if pydantic is already imported (the user's model
    imported it), so a plain request never pays for the import."""
    if not inspect.isclass(tp):
        return False
    pydantic = sys.modules.get("pydantic")
    return pydantic is not None and issubclass(tp, pydantic.BaseModel)


def is_adaptable_type(tp: object) -> bool:
    """A dataclass (stdlib or pydantic's) or a TypedDict: schema'd and validated through a TypeAdapter."""
    return inspect.isclass(tp) and (dataclasses.is_dataclass(tp) or _is_typeddict(tp))


def _is_typeddict(tp: type) -> bool:
    # typing's and typing_extensions' (which pydantic asks for below Python 3.12) alike:
    # `typing.is_typeddict` knows only its own.
    return is_typeddict(tp) or (issubclass(tp, dict) and hasattr(tp, "__required_keys__"))


def schema_name(tp: type) -> str:
    """The `name` sent beside the schema: the class's own name, as the official SDK sends it."""
    return tp.__name__


def to_strict_json_schema(tp: Any) -> dict[str, Any]:
    """The strict schema of a pydantic model class, a dataclass, a TypedDict or a `TypeAdapter`,
    as a fresh dict the caller may change."""
    fresh: dict[str, Any] = copy_json(shared_strict_json_schema(tp))
    return fresh


# Deriving a schema costs pydantic about 0.8 ms for a two-class model, ten times what this
# client spends on the rest of a request, and a type's schema does not change: it is made
# once per type. Weak keys: a class defined on the fly does not live on here.
_schemas: weakref.WeakKeyDictionary[type, dict[str, Any]] = weakref.WeakKeyDictionary()
_adapters: weakref.WeakKeyDictionary[type, Any] = weakref.WeakKeyDictionary()


def shared_strict_json_schema(tp: Any) -> dict[str, Any]:
    """`to_strict_json_schema`, made once per type and shared: read it, never change it
    (a request body that is encoded at once, as `.parse` sends it)."""
    cached = _schemas.get(tp) if isinstance(tp, type) else None
    if cached is not None:
        return cached
    import pydantic

    if is_pydantic_model(tp):
        schema = tp.model_json_schema()
    elif isinstance(tp, pydantic.TypeAdapter):
        return strict_json_schema(tp.json_schema())
    elif is_adaptable_type(tp):
        schema = type_adapter(tp).json_schema()
    else:
        raise TypeError(
            f"cannot derive a JSON schema from {tp!r}: expected a pydantic BaseModel subclass, "
            "a dataclass, a TypedDict or a pydantic.TypeAdapter"
        )
    strict = strict_json_schema(schema)
    _schemas[tp] = strict
    return strict


def type_adapter(tp: type) -> Any:
    """pydantic's `TypeAdapter` for a dataclass or TypedDict, made once per type (building
    one compiles a validator)."""
    adapter = _adapters.get(tp)
    if adapter is None:
        import pydantic

        adapter = _adapters[tp] = pydantic.TypeAdapter(tp)
    return adapter


def copy_json(value: Any) -> Any:
    """A deep copy of JSON data (dicts, lists, scalars): a user's own copy of a shared schema."""
    if isinstance(value, dict):
        return {k: copy_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [copy_json(v) for v in value]
    return value


def strict_json_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """`schema` (a JSON schema as pydantic writes it) rewritten in place for strict mode, and returned."""
    if not isinstance(schema, dict):
        raise TypeError(f"a JSON schema must be a dict, not {type(schema).__name__}")
    return _strict(schema, schema, ())


def _strict(node: dict[str, Any], root: dict[str, Any], path: tuple[str, ...]) -> dict[str, Any]:
    # The order of the steps is the official SDK's, so that keys come out in the same order.
    for defs_key in ("$defs", "definitions"):
        defs = node.get(defs_key)
        if isinstance(defs, dict):
            for name, sub in defs.items():
                _strict(_as_schema(sub, (*path, defs_key, name)), root, (*path, defs_key, name))

    if node.get("type") == "object" and "additionalProperties" not in node:
        node["additionalProperties"] = False

    properties = node.get("properties")
    if isinstance(properties, dict):
        node["required"] = list(properties)
        node["properties"] = {
            key: _strict(_as_schema(sub, (*path, "properties", key)), root, (*path, "properties", key))
            for key, sub in properties.items()
        }

    items = node.get("items")
    if isinstance(items, dict):
        node["items"] = _strict(items, root, (*path, "items"))

    any_of = node.get("anyOf")
    if isinstance(any_of, list):
        node["anyOf"] = [
            _strict(_as_schema(sub, (*path, "anyOf", str(i))), root, (*path, "anyOf", str(i)))
            for i, sub in enumerate(any_of)
        ]

    all_of = node.get("allOf")
    if isinstance(all_of, list):
        if len(all_of) == 1:
            node.update(_strict(_as_schema(all_of[0], (*path, "allOf", "0")), root, (*path, "allOf", "0")))
            node.pop("allOf")
        else:
            node["allOf"] = [
                _strict(_as_schema(sub, (*path, "allOf", str(i))), root, (*path, "allOf", str(i)))
                for i, sub in enumerate(all_of)
            ]

    if "default" in node and node["default"] is None:
        del node["default"]

    ref = node.get("$ref")
    if ref and len(node) > 1:
        # Inline the definition; the node's own keys win over the definition's. The
        # inlined copy is made strict again: the definition may not have been yet.
        resolved = resolve_ref(root, ref)
        node.update({**resolved, **node})
        node.pop("$ref")
        return _strict(node, root, path)
    return node


def _as_schema(value: object, path: tuple[str, ...]) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise TypeError(f"expected a JSON schema object at {'/'.join(path) or '<root>'}, got {value!r}")
    return value


def resolve_ref(root: dict[str, Any], ref: object) -> dict[str, Any]:
    """The schema a local `$ref` (`#/$defs/Name`) points to within `root`."""
    if not isinstance(ref, str) or not ref.startswith("#/"):
        raise ValueError(f"cannot resolve $ref {ref!r}: only local references (#/...) are supported")
    node: Any = root
    for key in ref[2:].split("/"):
        if not isinstance(node, dict) or key not in node:
            raise ValueError(f"$ref {ref!r} names nothing in the schema")
        node = node[key]
    if not isinstance(node, dict):
        raise ValueError(f"$ref {ref!r} resolves to {node!r}, not a schema object")
    return node
