"""Reading the two inputs: the OpenAPI description and the official SDK's table of its surface.

Both are facts about the API; nothing here decides a name. `load_spec` parses the
YAML once and keeps a pickle beside it (parsing 87,000 lines takes seconds), and
`resolve` turns a location such as `CreateChatCompletionRequest.audio` into the
schema it names, so the overrides file can point into the spec.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from codegen.names import pascal

HERE = Path(__file__).parent
SPEC = HERE / "spec" / "openapi.yaml"
TABLE = HERE / "spec" / "sdk-api-3.3.1.md"

Schema = dict[str, Any]


def load_spec(path: Path = SPEC) -> dict[str, Any]:
    raw = path.read_bytes()
    digest = hashlib.sha256(raw).hexdigest()[:16]
    # In the checkout (.gitignored), not a shared temporary directory: a pickle is code
    # to whoever loads it, so it must come from a place only this user writes.
    cache = HERE / ".cache" / f"openapi-{digest}.pickle"
    cache.parent.mkdir(exist_ok=True)
    if cache.exists():
        try:
            with cache.open("rb") as f:
                loaded: dict[str, Any] = pickle.load(f)
                return loaded
        except Exception:
            pass
    import yaml  # type: ignore[import-untyped]  # no stubs; the generator reads only dicts from it

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    spec: dict[str, Any] = yaml.load(raw, Loader=loader)  # a safe loader
    tmp = cache.with_suffix(f".{os.getpid()}.tmp")  # concurrent runs each write their own
    with tmp.open("wb") as f:
        pickle.dump(spec, f)
    tmp.replace(cache)
    return spec


# -- the official SDK's table ----------------------------------------------------


@dataclass
class TableMethod:
    verb: str  # "post"
    route: str  # "/chat/completions/{completion_id}"
    resource: str  # "chat.completions"
    name: str  # "create"
    positional: list[str]  # path parameters before `*`: the last one, in order
    keyword_paths: list[str]  # path parameters after `*`
    params_type: str | None  # "CompletionCreateParams", from the params file's name
    params_module: str | None  # "openai.types.chat"
    returns: str  # "ChatCompletion", "SyncCursorPage[ChatCompletion]", "None", ...
    returns_module: str | None  # "openai.types.chat"


@dataclass
class TableHelper:
    resource: str
    name: str
    returns: str


@dataclass
class Table:
    methods: list[TableMethod] = field(default_factory=list)
    helpers: list[TableHelper] = field(default_factory=list)
    # (official module, name), in the table's order
    types: list[tuple[str, str]] = field(default_factory=list)


_METHOD = re.compile(
    r'<code title="(\w+) ([^"]+)">client\.([\w.]+)\.<a href="[^"]*">(\w+)</a>\((.*?)\) -> (.*?)</code>'
)
_HELPER = re.compile(r'<code>client\.([\w.]+)\.<a href="[^"]*">(\w+)</a>\((.*?)\) -> (.*?)</code>')
_HREF = re.compile(r'<a href="\.?/?src/(openai/types/[\w/]+)\.py">([^<]+)</a>')
_TAGS = re.compile(r"<[^>]+>")


def _module_of(file: str) -> str:
    """`openai/types/chat/completion_create_params` -> `openai.types.chat`."""
    return ".".join(file.split("/")[:-1])


def load_table(path: Path = TABLE) -> Table:
    text = path.read_text()
    table = Table()
    for verb, route, resource, name, args, returns in _METHOD.findall(text):
        params_type = params_module = None
        href = _HREF.search(args)
        if href:
            params_module = _module_of(href.group(1))
            # With the official SDK's capitals (`AdminAPIKeyCreateParams`), as its module defines it.
            params_type = pascal(href.group(1).rsplit("/", 1)[1])
        plain = _TAGS.sub("", args).replace("\\", "")
        before, _, after = plain.partition("*,")
        positional = [a.strip() for a in before.split(",") if a.strip() and not a.strip().startswith("*")]
        keyword = [a.strip() for a in after.split(",") if a.strip() and not a.strip().startswith("*")]
        ret_href = _HREF.search(returns)
        table.methods.append(
            TableMethod(
                verb=verb,
                route=route,
                resource=resource,
                name=name,
                positional=positional,
                keyword_paths=keyword,
                params_type=params_type,
                params_module=params_module,
                returns=_TAGS.sub("", returns).replace("\\", "").strip(),
                returns_module=_module_of(ret_href.group(1)) if ret_href else None,
            )
        )
    for resource, name, _args, returns in _HELPER.findall(text):
        table.helpers.append(TableHelper(resource, name, _TAGS.sub("", returns).replace("\\", "")))
    for block in re.findall(r"```python\n(.*?)```", text, re.S):
        match = re.match(r"from ([\w.]+) import \(?(.*?)\)?\s*$", block.strip(), re.S)
        if match is None:
            raise ValueError(f"unreadable import block in the table: {block[:60]!r}")
        for name in match.group(2).replace("\n", " ").split(","):
            if name.strip() and (match.group(1), name.strip()) not in table.types:
                table.types.append((match.group(1), name.strip()))
    return table


# -- locations in the spec ---------------------------------------------------------


class LocationError(ValueError):
    pass


def schema_of_ref(spec: dict[str, Any], ref: str) -> Schema:
    if not ref.startswith("#/components/schemas/"):
        raise LocationError(f"unsupported $ref {ref!r}")
    name = ref.rsplit("/", 1)[1]
    try:
        schema: Schema = spec["components"]["schemas"][name]
    except KeyError:
        raise LocationError(f"no schema {name!r}") from None
    return schema


def deref(spec: dict[str, Any], schema: Schema) -> Schema:
    while "$ref" in schema:
        schema = schema_of_ref(spec, schema["$ref"])
    return schema


def properties(spec: dict[str, Any], schema: Schema) -> dict[str, Schema]:
    """A schema's properties, with those of its allOf parts merged in (later wins)."""
    schema = deref(spec, schema)
    merged: dict[str, Schema] = {}
    for part in schema.get("allOf", ()):
        merged.update(properties(spec, part))
    merged.update(schema.get("properties", {}))
    return merged


def _strip_null(spec: dict[str, Any], schema: Schema) -> Schema:
    """`anyOf: [X, {type: null}]` -> X, so a path can step through a nullable property."""
    schema = deref(spec, schema)
    for key in ("anyOf", "oneOf"):
        options = schema.get(key)
        if options:
            real = [o for o in options if deref(spec, o).get("type") != "null"]
            if len(real) == 1:
                return _strip_null(spec, real[0])
    return schema


def route_schema(spec: dict[str, Any], verb: str, route: str, part: str) -> Schema:
    """The request body (`part="body"`) or the first 2xx JSON response (`"response"`) of a route."""
    try:
        op = spec["paths"][route][verb]
    except KeyError:
        raise LocationError(f"no route {verb} {route}") from None
    if part == "body":
        content = op.get("requestBody", {}).get("content", {})
    else:
        content = {}
        for code, response in op.get("responses", {}).items():
            if str(code).startswith("2"):
                content = response.get("content", {})
                break
    for media in ("application/json", "multipart/form-data"):
        if media in content:
            schema: Schema = content[media]["schema"]
            return schema
    raise LocationError(f"{verb} {route} has no JSON {part}")


_STEP = re.compile(r"\.(\w+)|\[\]|\|(\d+)")


def resolve(spec: dict[str, Any], location: str) -> Schema:
    """The schema a location names.

    A location is a schema name, or `@<verb> <route>:body|response`, followed by
    steps: `.prop` (a property, through allOf and nullable wrappers), `[]` (the
    items of an array), `|N` (the N-th member of an anyOf/oneOf).
    """
    head, steps = _split(location)
    if head.startswith("@"):
        verb, rest = head[1:].split(" ", 1)
        route, _, part = rest.rpartition(":")
        schema = route_schema(spec, verb, route, part)
    else:
        try:
            schema = spec["components"]["schemas"][head]
        except KeyError:
            raise LocationError(f"{location}: no schema {head!r}") from None
    for match in _STEP.finditer(steps):
        prop, index = match.group(1), match.group(2)
        if prop is not None:
            props = properties(spec, _strip_null(spec, schema))
            if prop not in props:
                raise LocationError(f"{location}: no property {prop!r} (has {sorted(props)})")
            schema = props[prop]
        elif index is not None:
            options = _strip_null(spec, schema)
            members = options.get("anyOf") or options.get("oneOf")
            if not members or int(index) >= len(members):
                raise LocationError(f"{location}: no member {index}")
            schema = members[int(index)]
        else:
            array = _strip_null(spec, schema)
            if "items" not in array:
                raise LocationError(f"{location}: not an array")
            schema = array["items"]
    return schema


def _split(location: str) -> tuple[str, str]:
    if location.startswith("@"):
        colon = location.find(":", location.find(" "))
        end = colon + 1
        while end < len(location) and location[end].isalpha():
            end += 1
        return location[:end], location[end:]
    match = re.match(r"\w+", location)
    if match is None:
        raise LocationError(f"unreadable location {location!r}")
    return match.group(0), location[match.end() :]
