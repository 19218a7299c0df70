"""The bridge to pydantic: validation, JSON schemas, and these models inside pydantic's.

Imported on first use of `model_validate`, `model_json_schema` or a pydantic
type built over a response model, never by `import openai_actors` or by reading
a response: pydantic is optional for this package's users.

A model class's pydantic schema, built on first use per class, is a typed dict
of its fields (by JSON key, so the validated dict is the JSON layout the lazy
model stores), extras allowed, inside a root-model schema of the class: pydantic
creates the instance and lets an existing one through as it is
(`revalidate_instances='never'`), and `adopt` turns the validated dict into the
lazy model's state. Nested models, unions and literals are pydantic's own schemas
for the field types, so a wrong value fails where and as it fails for the
official types, with a `ValidationError` naming the class and the field's
location. Dumping goes through the model's own `model_dump` with the options
pydantic passes down.
"""

from __future__ import annotations

import functools
import inspect
import threading
from collections.abc import Mapping
from typing import Any

try:
    import pydantic
    from pydantic.json_schema import GenerateJsonSchema
    from pydantic_core import PydanticKnownError
    from pydantic_core import core_schema as cs
except ImportError as exc:  # pragma: no cover - exercised in a subprocess without pydantic
    raise ImportError(
        "model_validate(), model_json_schema() and using response models in pydantic types "
        "need pydantic 2, which is not installed: pip install pydantic"
    ) from exc

from . import _dump
from ._models import BaseModel, _to_raw

__all__ = ["adapter", "adopt", "core_schema", "json_schema", "json_schema_of", "validate_options"]

# Classes whose schema this thread is building: a field of its own type refers back to it.
_LOCAL = threading.local()
_ADAPTERS: dict[type[BaseModel], pydantic.TypeAdapter[Any]] = {}


def _ref(cls: type[BaseModel]) -> str:
    return f"{cls.__module__}.{cls.__qualname__}:{id(cls)}"


def core_schema(cls: type[BaseModel], handler: Any) -> cs.CoreSchema:
    ref = _ref(cls)
    building: set[type[BaseModel]] = _LOCAL.__dict__.setdefault("building", set())
    if cls in building:
        return cs.definition_reference_schema(ref)
    building.add(cls)
    try:
        hints = cls.__field_types__()
        fields = {
            f.key: cs.typed_dict_field(handler.generate_schema(hints.get(f.name, Any)), required=f.required)
            for f in cls.__dump_fields__()
        }
    finally:
        building.discard(cls)
    inner = cs.no_info_wrap_validator_function(
        functools.partial(_expect_mapping, cls.__name__),
        cs.typed_dict_schema(fields, extra_behavior="allow"),
    )
    # A root model over the typed dict: pydantic-core names it by the class in errors and
    # union tags, and lets an instance through as it is; `adopt` then turns the validated
    # dict it leaves in the instance into the lazy model's state.
    return cs.model_schema(
        cls,
        inner,
        root_model=True,
        custom_init=False,
        post_init="_pydantic_post_init",
        revalidate_instances="never",
        ref=ref,
        serialization=cs.plain_serializer_function_ser_schema(_serialize, info_arg=True),
        metadata={"pydantic_js_functions": [functools.partial(json_schema_of, cls)]},
    )


def _expect_mapping(name: str, value: Any, handler: Any) -> Any:
    # What pydantic says of a model given neither a dict nor an instance (not "valid dictionary").
    if not isinstance(value, Mapping):
        raise PydanticKnownError("model_type", {"class_name": name})
    return handler(value)


def adopt(obj: BaseModel) -> None:
    state = obj.__dict__
    data: dict[str, Any] = state["root"]
    state.clear()
    state["_data"] = {key: _to_raw(v) for key, v in data.items()}
    cls = type(obj)
    for field in cls.__dump_fields__():
        if field.key in data:  # the objects pydantic built are the ones to read back
            state[field.name] = data[field.key]
    # A validated pydantic model counts its extras as set (a constructed one does not).
    state["_validated"] = True
    state["_fields_set"] = {key for key, _ in _dump.extras(obj)}


def _serialize(value: Any, info: Any) -> Any:
    if not isinstance(value, BaseModel):
        return value
    return value.model_dump(
        mode=info.mode,
        include=info.include,
        exclude=info.exclude,
        context=info.context,
        by_alias=bool(info.by_alias),
        exclude_unset=info.exclude_unset,
        exclude_defaults=info.exclude_defaults,
        exclude_none=info.exclude_none,
        round_trip=info.round_trip,
        serialize_as_any=info.serialize_as_any,
    )


def json_schema_of(cls: type[BaseModel], schema: cs.CoreSchema, handler: Any) -> dict[str, Any]:
    """The object schema as pydantic writes one for the official model: titled by the class,
    described by its docstring, open to extra keys, optional fields defaulting to null."""
    out: dict[str, Any] = handler(schema)
    target = handler.resolve_ref_schema(out)
    target["title"] = cls.__name__
    doc = cls.__dict__.get("__doc__")
    if doc:
        target["description"] = inspect.cleandoc(doc)
    target["additionalProperties"] = True
    properties = target.get("properties", {})
    for field in cls.__dump_fields__():
        if not field.required and field.key in properties:
            properties[field.key].setdefault("default", field.default)
    return out


def adapter(cls: type[BaseModel]) -> pydantic.TypeAdapter[Any]:
    found = _ADAPTERS.get(cls)
    if found is None:
        # Titled by the class, so a ValidationError reads "... for ChatCompletion" as the official's does.
        config = pydantic.ConfigDict(title=cls.__name__)
        found = _ADAPTERS[cls] = pydantic.TypeAdapter(cls, config=config)
    return found


def validate_options(**options: Any) -> dict[str, Any]:
    """The options given (not None), so a pydantic without one of them is asked only for what was used."""
    return {k: v for k, v in options.items() if v is not None}


def json_schema(
    cls: type[BaseModel],
    *,
    by_alias: bool,
    ref_template: str,
    schema_generator: type[Any] | None,
    mode: Any,
    union_format: Any,
) -> dict[str, Any]:
    return adapter(cls).json_schema(
        by_alias=by_alias,
        ref_template=ref_template,
        schema_generator=schema_generator or GenerateJsonSchema,
        mode=mode,
        union_format=union_format,
    )
