"""From schemas to Python: response models on the lazy model layer, and request TypedDicts.

Every definition has a home module and a name. A name comes from the official
SDK's table (through names.toml when the spec spells it differently); a
component schema the table does not name lives in `types/_spec/` under the
spec's own name; an object defined inline is a class in the module that uses
it, named after the property that holds it (as the official SDK names them).
A schema is emitted twice at most: as a model (what the server sends) and as
a TypedDict (what a caller sends, named `...Param`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Literal

from .names import attribute, class_name, docstring, is_identifier, pascal, singular, snake
from .spec import Schema, deref, schema_of_ref

Kind = Literal["model", "param"]
PACKAGE = "openai_actors"


@dataclass(frozen=True)
class Ref:
    module: str  # "openai_actors.types.chat.chat_completion"
    name: str


@dataclass
class Module:
    path: str
    imports: dict[str, set[str]] = field(default_factory=dict)  # module -> names
    typing: set[str] = field(default_factory=set)
    blocks: list[str] = field(default_factory=list)
    # After every class: an alias is evaluated at import, a class's annotations are not.
    aliases: list[str] = field(default_factory=list)
    # Classes that subclass one above (the stream=True/False variants of a params TypedDict).
    blocks_after: list[str] = field(default_factory=list)
    exports_after: list[str] = field(default_factory=list)
    names: set[str] = field(default_factory=set)
    exports: list[str] = field(default_factory=list)
    local: dict[Ref, str] = field(default_factory=dict)  # imported refs -> their name here

    def use(self, ref: Ref) -> str:
        """The name `ref` has in this module, importing it (under another name if taken)."""
        if ref.module == self.path:
            return ref.name
        local = self.local.get(ref)
        if local is not None:
            return local
        local = ref.name
        if local in self.names or local in self.local.values():
            local = self.unique(f"{ref.name}_")
        self.local[ref] = local
        spelling = ref.name if local == ref.name else f"{ref.name} as {local}"
        self.imports.setdefault(ref.module, set()).add(spelling)
        return local

    def unique(self, name: str) -> str:
        base, n = name, 1
        while name in self.names or name in self.local.values():
            n += 1
            name = f"{base}{n}"
        self.names.add(name)
        return name


def official_module(official: str, name: str) -> str:
    """`openai.types.chat`, `ChatCompletion` -> `openai_actors.types.chat.chat_completion`."""
    return f"{PACKAGE}{official[len('openai') :]}.{snake(name)}"


def _nullable(spec: dict[str, Any], schema: Schema) -> tuple[Schema, bool]:
    """(the schema without its null option, whether null is allowed)."""
    nullable = bool(schema.get("nullable"))
    parts = schema.get("allOf")
    if parts and set(schema) <= {"allOf", "description", "default", "nullable", "title"}:
        # `allOf: [X, {nullable: true}]`: the OpenAPI 3.0 way of writing "X or null".
        real = [p for p in parts if not (isinstance(p, dict) and set(p) <= {"nullable", "description"})]
        if len(real) == 1 and len(parts) > 1:
            return real[0], nullable or any(isinstance(p, dict) and p.get("nullable") for p in parts)
    t = schema.get("type")
    if isinstance(t, list) and "null" in t:
        rest = [x for x in t if x != "null"]
        schema = {**schema, "type": rest[0] if len(rest) == 1 else rest}
        nullable = True
    for key in ("anyOf", "oneOf"):
        options = schema.get(key)
        if options and any(deref(spec, o).get("type") == "null" for o in options if isinstance(o, dict)):
            real = [o for o in options if not isinstance(o, dict) or deref(spec, o).get("type") != "null"]
            nullable = True
            if len(real) == 1 and set(schema) <= {key, "description", "default", "nullable", "title"}:
                return real[0], True
            schema = {**schema, key: real}
    return schema, nullable


class TypeGen:
    def __init__(self, spec: dict[str, Any], overrides: dict[str, Any] | None = None) -> None:
        self.spec = spec
        overrides = overrides or {}
        # From overrides.toml, each keyed by "module:Class": fields to add ({field: type}),
        # a hand-written base class ("module:Base"), fields the spec requires that servers omit.
        self.extra_fields: dict[str, dict[str, str]] = overrides.get("extra_fields", {})
        self.model_bases: dict[str, str] = overrides.get("model_bases", {})
        self.optional_fields: dict[str, list[str]] = overrides.get("optional_fields", {})
        self.modules: dict[str, Module] = {}
        self.by_schema: dict[tuple[int, Kind], Ref] = {}
        self.pending: list[tuple[Schema, Kind, Ref, str | None]] = []
        self.emitted: set[tuple[int, Kind]] = set()
        self.keep: list[Any] = []  # schemas made here, kept alive so their ids stay unique
        self.same: dict[Ref, Ref] = {}  # a table name given to a schema already named: re-exported
        self.stripped: dict[int, tuple[Schema, bool]] = {}  # `_nullable` of each schema, made once
        self.args_for: dict[Ref, str] = {}  # a method's params TypedDict -> its keyword-arguments twin
        self.alias_top: str | None = None  # the alias being emitted: its members take their tags' names

    # -- registration ----------------------------------------------------------------

    def module(self, path: str) -> Module:
        mod = self.modules.get(path)
        if mod is None:
            mod = self.modules[path] = Module(path)
        return mod

    def register(self, schema: Schema, kind: Kind, ref: Ref, doc: str | None = None) -> Ref:
        key = (id(schema), kind)
        if key in self.by_schema:
            first = self.by_schema[key]
            if first != ref and ref not in self.same:
                # The table names one schema twice (in two modules): the second re-exports the first.
                self.same[ref] = first
                other = self.module(ref.module)
                other.names.add(ref.name)
                other.exports.append(ref.name)
                if first.name == ref.name:
                    # `as` itself: an explicit re-export, which strict type checkers require.
                    other.imports.setdefault(first.module, set()).add(f"{first.name} as {first.name}")
                else:
                    other.typing.add("TypeAlias")
                    other.aliases.append(f"{ref.name}: TypeAlias = {other.use(first)}")
            return first
        self.keep.append(schema)
        self.by_schema[key] = ref
        self.module(ref.module).names.add(ref.name)
        self.pending.append((schema, kind, ref, doc))
        return ref

    def run(self) -> None:
        while self.pending:
            schema, kind, ref, doc = self.pending.pop(0)
            key = (id(schema), kind)
            if key in self.emitted:
                continue
            self.emitted.add(key)
            self.emit(schema, kind, ref, doc)

    def _twin(self, model: Ref) -> Ref:
        """Where the request side of a named model lives: `chat_completion_audio_param.ChatCompletionAudioParam`
        for a module's own type, and under the same name for a class nested in it
        (`response_input_item.Message` -> `response_input_item_param.Message`), as the official SDK has them."""
        module = model.module + "_param"
        if snake(model.name) == model.module.rsplit(".", 1)[1]:
            return Ref(module, model.name + "Param")
        target = self.module(module)
        name = model.name if model.name not in target.names else target.unique(model.name)
        return Ref(module, name)

    def _component_ref(self, name: str, schema: Schema, kind: Kind) -> Ref:
        """The home of a component schema nobody named: by its spec name, or as the Param of a model name."""
        model = self.by_schema.get((id(schema), "model"))
        if kind == "param" and model is not None and "._spec." not in model.module:
            parts = model.module.split(".")
            if parts[-2] == "shared":
                module = ".".join([*parts[:-2], "shared_params", parts[-1]])
                return Ref(module, model.name)
            return self._twin(model)
        name = class_name(name)
        if kind == "param":
            # Apart from the models: the spec has both `X` and `XParam` schemas.
            return Ref(
                f"{PACKAGE}.types._spec_params.{snake(name)}",
                name if name.endswith("Param") else name + "Param",
            )
        return Ref(f"{PACKAGE}.types._spec.{snake(name)}", name)

    # -- type expressions --------------------------------------------------------------

    def expr(self, schema: Schema, kind: Kind, mod: Module, hint: str) -> str:
        """The Python type of a value with this schema, as it appears in `mod`."""
        if not isinstance(schema, dict):  # `true` / `false`: any value (or none)
            return "object"
        registered = self._registered(schema, kind)
        if registered is not None:
            return mod.use(registered)
        if self._has_public_model(schema, kind):
            # An inline schema the table names as a model: its request side is `XParam`.
            model = self.by_schema[(id(schema), "model")]
            return mod.use(self.register(schema, kind, self._twin(model)))
        if "$ref" in schema:
            name = schema["$ref"].rsplit("/", 1)[1]
            target = schema_of_ref(self.spec, schema["$ref"])
            registered = self._registered(target, kind)
            if registered is not None:
                return mod.use(registered)
            if self._is_simple(target):
                return self.expr(target, kind, mod, hint)
            if kind == "param" and self._plain(target):
                kind = "model"  # no object inside: one alias serves both directions
            elif self._has_public_model(target, kind):
                pass  # the request-side twin of a named model: `XParam` beside `X`
            elif "._spec" not in mod.path and self._is_object(target):
                # As the official SDK does: a schema it gives no name of its own is a
                # class of the first module that uses it, named after the property
                # (`chat_completion_chunk.ChoiceDelta`); later users import it from there.
                ref = Ref(mod.path, mod.unique(pascal(hint)))
                self.register(target, kind, ref)
                self.emitted.add((id(target), kind))
                self.emit(target, kind, ref, None)
                return ref.name
            return mod.use(self.register(target, kind, self._component_ref(name, target, kind)))
        schema, nullable = self._nullable(schema)
        text = self._expr_nonnull(schema, kind, mod, hint)
        if nullable and text not in ("object", "Any") and not text.endswith("| None"):
            text = f"{text} | None"
        return text

    def _nullable(self, schema: Schema) -> tuple[Schema, bool]:
        """`_nullable`, giving the same object for the same schema, so that it is registered once."""
        key = id(schema)
        hit = self.stripped.get(key)
        if hit is None:
            hit = self.stripped[key] = _nullable(self.spec, schema)
            self.keep.append(schema)
        return hit

    def _has_public_model(self, schema: Schema, kind: Kind) -> bool:
        model = self.by_schema.get((id(schema), "model"))
        return kind == "param" and model is not None and "._spec." not in model.module

    def _is_object(self, schema: Schema) -> bool:
        base, _ = _nullable(self.spec, schema)
        return bool(base.get("properties")) and not (base.get("anyOf") or base.get("oneOf"))

    def _registered(self, schema: Schema, kind: Kind) -> Ref | None:
        ref = self.by_schema.get((id(schema), kind))
        if ref is None and kind == "param" and self._plain(schema):
            ref = self.by_schema.get((id(schema), "model"))
        return ref

    def _plain(self, schema: Schema, depth: int = 0) -> bool:
        """Whether a schema holds no object anywhere (an enum, a union of primitives and enums)."""
        if depth > 8:
            return False
        if "$ref" in schema:
            return self._plain(schema_of_ref(self.spec, schema["$ref"]), depth + 1)
        if schema.get("properties") or schema.get("allOf") or schema.get("type") == "object":
            return False
        if schema.get("type") == "array":
            return self._plain(schema.get("items") or {}, depth + 1)
        members = schema.get("anyOf") or schema.get("oneOf") or ()
        return all(self._plain(m, depth + 1) for m in members)

    def _is_simple(self, schema: Schema) -> bool:
        """Primitives and enums are spelt out where used, not given a module of their own."""
        schema, _ = _nullable(self.spec, schema)
        if "$ref" in schema:
            return False
        return schema.get("type") in ("string", "integer", "number", "boolean") and "anyOf" not in schema

    def _expr_nonnull(self, schema: Schema, kind: Kind, mod: Module, hint: str) -> str:
        if "$ref" in schema:
            return self.expr(schema, kind, mod, hint)
        if "const" in schema:
            mod.typing.add("Literal")
            return f"Literal[{schema['const']!r}]"
        if "enum" in schema and schema.get("type") != "array":
            values = [v for v in schema["enum"] if v is not None]
            if values:
                mod.typing.add("Literal")
                return f"Literal[{', '.join(repr(v) for v in values)}]"
        members = schema.get("anyOf") or schema.get("oneOf")
        if members:
            return self._union(members, kind, mod, hint, schema)
        all_of = schema.get("allOf")
        if all_of and not schema.get("properties") and len(all_of) == 1:
            return self.expr(all_of[0], kind, mod, hint)
        t = schema.get("type")
        if isinstance(t, list):
            return " | ".join(self._expr_nonnull({**schema, "type": x}, kind, mod, hint) for x in t)
        if t == "string":
            if schema.get("format") == "binary":
                mod.imports.setdefault(f"{PACKAGE}._multipart", set()).add("FileTypes")
                return "FileTypes"
            return "str"
        if t == "integer":
            return "int"
        if t == "number":
            return "float"
        if t == "boolean":
            return "bool"
        if t == "null":
            return "None"
        if t == "array":
            items = schema.get("items") or {}
            inner = self.expr(items, kind, mod, singular(hint))
            if kind == "param":
                if inner == "str":
                    mod.imports.setdefault("collections.abc", set()).add("Sequence")
                    return "Sequence[str]"
                mod.imports.setdefault("collections.abc", set()).add("Iterable")
                return f"Iterable[{inner}]"
            return f"list[{inner}]"
        if t == "object" or "properties" in schema or all_of:
            if schema.get("properties") or all_of:
                known = self._registered(schema, kind)
                if known is not None:
                    return mod.use(known)
                ref = Ref(mod.path, mod.unique(pascal(hint)))
                self.register(schema, kind, ref)
                # Now, not later: a class using it may need it defined first (an Alias field).
                self.emitted.add((id(schema), kind))
                self.emit(schema, kind, ref, None)
                return ref.name
            extra = schema.get("additionalProperties")
            if isinstance(extra, dict) and extra:
                return f"dict[str, {self.expr(extra, kind, mod, singular(hint))}]"
            return "dict[str, object]"
        return "object"

    def _union(self, members: list[Schema], kind: Kind, mod: Module, hint: str, schema: Schema) -> str:
        parts: list[str] = []
        for piece in self._members(members, kind, mod, hint):
            if piece not in parts:
                parts.append(piece)
        if "object" in parts:
            return "object"
        if "None" in parts:
            parts = [p for p in parts if p != "None"] + ["None"]
        return " | ".join(parts) if parts else "object"

    def _members(self, members: list[Schema], kind: Kind, mod: Module, hint: str) -> list[str]:
        """The Python types of a union's members, named as the official SDK names them.

        A member object is named after its `type` tag (`Message`, `ComputerCallOutput`),
        prefixed by the property it belongs to unless the union is a module's own
        alias; a member that is itself a union nobody named is flattened into this one.
        """
        out: list[str] = []
        top = hint == self.alias_top
        for i, member in enumerate(members):
            if not isinstance(member, dict):
                out.append("object")
                continue
            real = deref(self.spec, member)
            target_known = (
                self._registered(real, kind) is not None or self._registered(member, kind) is not None
            )
            nested = real.get("anyOf") or real.get("oneOf")
            if not target_known and nested and not real.get("properties"):
                stripped, _ = self._nullable(real)
                inner = stripped.get("anyOf") or stripped.get("oneOf") or []
                out += self._members(inner, kind, mod, hint)
                continue
            sub_hint = hint
            if real.get("properties") or real.get("allOf"):
                tag = _type_const(self.spec, real)
                title = member.get("title") or real.get("title")
                if tag:
                    sub_hint = pascal(tag) if top else hint + pascal(tag)
                elif title:
                    sub_hint = pascal(title)
                elif sum(1 for m in members if _is_object_schema(self.spec, m)) > 1:
                    sub_hint = f"{pascal(hint)}Variant{i}"
                # else: the union's one object, named after the property that holds it
            out += _split_union(self.expr(member, kind, mod, sub_hint))
        return out

    # -- definitions ---------------------------------------------------------------------

    def emit(self, schema: Schema, kind: Kind, ref: Ref, doc: str | None) -> None:
        mod = self.module(ref.module)
        mod.exports.append(ref.name)
        real = deref(self.spec, schema)
        base, _ = _nullable(self.spec, real)
        if base.get("properties") or (base.get("allOf") and not (base.get("anyOf") or base.get("oneOf"))):
            props, required = self.properties(base)
            if props or base.get("allOf"):
                block = self._class(ref.name, props, required, kind, mod, doc or real.get("description"))
                mod.blocks.append(block)
                return
        text = self._alias_expr(base, kind, mod, ref.name)
        public = "._spec" not in ref.module
        if kind == "param" and public and base.get("type") == "array" and text.startswith("Iterable["):
            # A public name for a list of request items is a list, as the official SDK's
            # (`ResponseInputParam = List[...]`): code builds one and appends to it. Fields
            # keep Iterable, which takes any iterable (and, unlike list, a list of a subtype).
            text = "list[" + text.removeprefix("Iterable[")
        mod.typing.add("TypeAlias")
        lines = [f"{ref.name}: TypeAlias = {_wrap(text)}"]
        lines += docstring(doc or real.get("description"), "")
        mod.aliases.append("\n".join(lines))

    def _alias_expr(self, schema: Schema, kind: Kind, mod: Module, name: str) -> str:
        # An alias's own anyOf members are named after their tags, not after the alias.
        if "$ref" in schema:
            target = schema_of_ref(self.spec, schema["$ref"])
            registered = self.by_schema.get((id(target), kind))
            if registered is None:
                return self._alias_expr(target, kind, mod, name)
        outer, self.alias_top = self.alias_top, name
        try:
            return self._expr_nonnull(schema, kind, mod, name)
        finally:
            self.alias_top = outer

    def properties(self, schema: Schema) -> tuple[dict[str, Schema], set[str]]:
        props: dict[str, Schema] = {}
        required: set[str] = set()
        for part in schema.get("allOf", ()):
            sub = deref(self.spec, part)
            p, r = self.properties(sub)
            props.update(p)
            required |= r
        props.update(schema.get("properties") or {})
        required |= set(schema.get("required") or ())
        for key in [k for k, prop in props.items() if _sdk_only(self.spec, prop)]:
            # Computed by the SDKs (`Response.output_text`), never sent: not a field. A
            # hand-written base class provides it where the official SDK has it ([model_bases]).
            del props[key]
            required.discard(key)
        return props, required

    def _class(
        self,
        name: str,
        props: dict[str, Schema],
        required: set[str],
        kind: Kind,
        mod: Module,
        doc: str | None,
    ) -> str:
        fields: list[str] = []
        functional: list[str] = []
        needs_functional = False
        # A method's keyword arguments (`args`): the same keys, the request options, and
        # `omit` accepted wherever a key may be left out, as the official signatures accept it.
        args = self.args_for.get(Ref(mod.path, name)) if kind == "param" else None
        args_fields: list[str] = []
        args_functional: list[str] = []
        if kind == "model":
            required = required - set(self.optional_fields.get(f"{mod.path}:{name}", ()))
        for key, prop in props.items():
            text = self.expr(prop, kind, mod, _nest(name, pascal(key), mod))
            prop_doc = docstring(deref(self.spec, prop).get("description") or prop.get("description"), "    ")
            if kind == "param":
                mod.typing.add("Required")
                value = f"Required[{text}]" if key in required else text
                functional.append(f"    {key!r}: {value!r},")  # used if any key is not a Python name
                fields.append(f"    {key}: {value}")
                fields += prop_doc
                arg_value = value if key in required else _or_omit(text)
                args_fields.append(f"    {key}: {arg_value}")
                args_functional.append(f"    {key!r}: {arg_value!r},")
                if not is_identifier(key):
                    needs_functional = True
                continue
            # A property whose named schema admits null (`metadata: Metadata`) is optional too,
            # as the official types declare it (`Optional[Metadata] = None`).
            nullable_target = _nullable(self.spec, prop)[1] or _nullable(self.spec, deref(self.spec, prop))[1]
            # A required `object` stays required (it admits null, but has no default), as officially.
            optional = key not in required or text.endswith("| None") or nullable_target
            attr = attribute(key)
            if attr != key:
                mod.imports.setdefault(f"{PACKAGE}.types._alias", set()).add("Alias")
                fields.append(f"    {attr} = Alias[{_strip_none(text)!r}]({key!r}, required={not optional})")
                continue
            if optional:
                fields.append(
                    f"    {key}: {text if text.endswith('| None') or text == 'object' else text + ' | None'} = None"
                )
            else:
                fields.append(f"    {key}: {text}")
            fields += prop_doc
            official = "schema_" if key == "schema" else f"api_{key}" if key.startswith("model_") else None
            if official is not None:
                # pydantic reserves these names, so the official SDK spells them so; both read here.
                mod.imports.setdefault(f"{PACKAGE}.types._alias", set()).add("Alias")
                fields.append(
                    f"    {official} = Alias[{_strip_none(text)!r}]({key!r}, required={not optional})"
                )
        for extra_name, extra_type in self.extra_fields.get(f"{mod.path}:{name}", {}).items():
            fields.append(f"    {extra_name}: {extra_type} = None")
        head = docstring(doc, "    ")
        if "object" in props:
            # The field `object` would shadow the builtin for the annotations after it.
            fields = [_builtin_object(line) for line in fields]
            if any("builtins.object" in line for line in fields):
                mod.imports.setdefault("builtins", set())
        if kind == "param":
            mod.typing.add("TypedDict")
            if needs_functional:
                # Keys that are not Python names need the functional form (with every key).
                block = _functional(name, functional)
                if args:
                    # The functional form cannot derive: the request options are listed (loosely typed).
                    options = [
                        f"    {k!r}: 'object',"
                        for k in ("extra_headers", "extra_query", "extra_body", "timeout")
                    ]
                    block += "\n\n\n" + _functional(args, args_functional + options)
            else:
                body = head + ([""] if head and fields else []) + fields or ["    pass"]
                block = "\n".join([f"class {name}(TypedDict, total=False):", *body])
                if args:
                    block += "\n\n\n" + "\n".join(
                        [f"class {args}(RequestOptionParams, total=False):", *(args_fields or ["    pass"])]
                    )
            if args:
                mod.imports.setdefault(f"{PACKAGE}._resources._base", set()).add("RequestOptionParams")
                mod.imports.setdefault(f"{PACKAGE}._types", set()).add("Omit")
            return block
        mod.imports.setdefault(f"{PACKAGE}._models", set()).add("BaseModel")
        bases = ["BaseModel"]
        extra_base = self.model_bases.get(f"{mod.path}:{name}")
        if extra_base is not None:
            module, _, base = extra_base.partition(":")
            bases.insert(0, mod.use(Ref(module, base)))
        body = head + ([""] if head and fields else []) + fields or ["    pass"]
        return "\n".join([f"class {name}({', '.join(bases)}):", *body])


def _or_omit(text: str) -> str:
    """`T | Omit`, with None kept last (`T | Omit | None`)."""
    return f"{text[: -len(' | None')]} | Omit | None" if text.endswith(" | None") else f"{text} | Omit"


def _functional(name: str, items: list[str]) -> str:
    """A TypedDict in the functional form, for keys that are not Python names."""
    return "\n".join(
        [f"{name} = TypedDict(", f"    {name!r},", "    {", *items, "    },", "    total=False,", ")"]
    )


def _builtin_object(line: str) -> str:
    if line.startswith("    ") and not line.startswith("    object") and ": " in line and '"""' not in line:
        name, _, rest = line.partition(": ")
        return name + ": " + re.sub(r"\bobject\b", "builtins.object", rest)
    return line


def _nest(parent: str, hint: str, mod: Module) -> str:
    """The name hint for an inline object under `parent`: `Choice`, then `ChoiceLogprobs`."""
    top = mod.exports[0] if mod.exports else parent
    return hint if parent == top else parent + hint


def _is_object_schema(spec: dict[str, Any], schema: Schema) -> bool:
    real = deref(spec, schema) if isinstance(schema, dict) else {}
    return bool(real.get("properties") or real.get("allOf"))


def _sdk_only(spec: dict[str, Any], prop: Schema) -> bool:
    """Whether the spec marks a property as one the SDKs compute (`x-oaiSupportedSDKs`)."""
    if not isinstance(prop, dict):
        return False
    real = deref(spec, prop)
    members = real.get("anyOf") or real.get("oneOf") or ()
    return "x-oaiSupportedSDKs" in real or any(
        isinstance(m, dict) and "x-oaiSupportedSDKs" in m for m in members
    )


def _type_const(spec: dict[str, Any], schema: Schema) -> str | None:
    for key in ("type", "object", "role", "event"):
        prop = (schema.get("properties") or {}).get(key)
        if prop:
            prop = deref(spec, prop)
            values = prop.get("enum") or ([prop["const"]] if "const" in prop else [])
            if len(values) == 1 and isinstance(values[0], str):
                return values[0]
    return None


def _split_union(text: str) -> list[str]:
    depth, start, out = 0, 0, []
    for i, ch in enumerate(text):
        if ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
        elif ch == "|" and depth == 0:
            out.append(text[start:i].strip())
            start = i + 1
    out.append(text[start:].strip())
    return out


def _strip_none(text: str) -> str:
    parts = [p for p in _split_union(text) if p != "None"]
    return " | ".join(parts) or "object"


def _wrap(text: str) -> str:
    return text if "|" not in text else f"Union[{', '.join(_split_union(text))}]"
