"""Structured answers: JSON that fits the request's schema, and function tool calls.

When a chat completion asks for ``response_format: {"type": "json_schema", ...}``
(or a response for ``text.format``), the answer is a sample of that schema, so
that client code parsing it into its model (``.parse()``, ``text_format=``)
gets a valid value. When the request offers function tools, the answer calls
one: the one ``tool_choice`` names, else the first, with arguments sampled from
its ``parameters``. It does not when ``tool_choice`` is ``"none"`` or when the
conversation ends with a tool's output (the model then answers in text).

A sample is deterministic: every property present (strict schemas require them
all), the first member of a union or value of an enum, arrays of one item
(or ``minItems``), strings their property's name (or a value of their
``format``), numbers their minimum or 0, booleans false.
"""

from __future__ import annotations

import json
from typing import Any, Final

__all__ = ["ToolCall", "chat_structure", "json_sample", "response_structure"]

MAX_DEPTH: Final = 24
_FORMATS: Final = {
    "date-time": "2023-11-14T22:13:20Z",
    "date": "2023-11-14",
    "time": "22:13:20",
    "duration": "P1D",
    "email": "user@example.com",
    "uri": "https://example.com/mock",
    "url": "https://example.com/mock",
    "uuid": "00000000-0000-4000-8000-000000000000",
    "ipv4": "127.0.0.1",
    "ipv6": "::1",
    "hostname": "example.com",
}


class _Cut(Exception):
    """A schema met again inside itself, or nested too deep: the caller picks a stand-in."""


def json_sample(schema: Any) -> Any:
    """A JSON value valid against ``schema`` (a JSON Schema with local ``$ref``s)."""
    try:
        return _Sampler(schema).value(schema, "", (), 0)
    except _Cut:
        return {}


class _Sampler:
    def __init__(self, root: Any) -> None:
        self.root = root

    def resolve(self, ref: str) -> Any:
        if not ref.startswith("#"):
            return {}
        node = self.root
        for part in ref[1:].split("/"):
            if not part:
                continue
            part = part.replace("~1", "/").replace("~0", "~")
            if isinstance(node, dict) and part in node:
                node = node[part]
            elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
                node = node[int(part)]
            else:
                return {}
        return node

    def value(self, schema: Any, name: str, seen: tuple[str, ...], depth: int) -> Any:
        if depth > MAX_DEPTH:
            raise _Cut
        if not isinstance(schema, dict):
            return name or "string"  # `true` or a missing schema: anything goes
        ref = schema.get("$ref")
        if isinstance(ref, str):
            if ref in seen:
                raise _Cut
            target = self.resolve(ref)
            rest = {key: item for key, item in schema.items() if key != "$ref"}
            merged = {**target, **rest} if isinstance(target, dict) else rest
            return self.value(merged, name, (*seen, ref), depth + 1)
        if "const" in schema:
            return schema["const"]
        enum = schema.get("enum")
        if isinstance(enum, list) and enum:
            values = [item for item in enum if item is not None]
            return values[0] if values else None
        for key in ("anyOf", "oneOf"):
            members = schema.get(key)
            if isinstance(members, list) and members:
                return self._union(members, name, seen, depth)
        parts = schema.get("allOf")
        if isinstance(parts, list) and parts:
            return self.value(self._merge(schema, parts), name, seen, depth + 1)
        kind = _kind(schema)
        if kind == "object":
            return self._object(schema, seen, depth)
        if kind == "array":
            return self._array(schema, name, seen, depth)
        if kind == "string":
            return _string(schema, name)
        if kind == "integer":
            return int(_number(schema))
        if kind == "number":
            return float(_number(schema))
        if kind == "boolean":
            default = schema.get("default")
            return default if isinstance(default, bool) else False
        if kind == "null":
            return None
        return name or "string"

    def _union(self, members: list[Any], name: str, seen: tuple[str, ...], depth: int) -> Any:
        nullable = False
        for member in members:
            if isinstance(member, dict) and _kind(member) == "null" and "$ref" not in member:
                nullable = True
                continue
            try:
                return self.value(member, name, seen, depth + 1)
            except _Cut:
                continue
        if nullable:
            return None
        raise _Cut

    def _merge(self, schema: dict[str, Any], parts: list[Any]) -> dict[str, Any]:
        merged: dict[str, Any] = {key: item for key, item in schema.items() if key != "allOf"}
        properties: dict[str, Any] = dict(merged.get("properties") or {})
        required: list[str] = list(merged.get("required") or [])
        for part in parts:
            while isinstance(part, dict) and isinstance(part.get("$ref"), str):
                part = {**self.resolve(part["$ref"]), **{k: v for k, v in part.items() if k != "$ref"}}
            if not isinstance(part, dict):
                continue
            properties.update(part.get("properties") or {})
            required += [item for item in part.get("required") or [] if item not in required]
            for key, item in part.items():
                if key not in ("properties", "required"):
                    merged.setdefault(key, item)
        if properties:
            merged["properties"] = properties
            merged["required"] = required
        return merged

    def _object(self, schema: dict[str, Any], seen: tuple[str, ...], depth: int) -> dict[str, Any]:
        result: dict[str, Any] = {}
        properties = schema.get("properties")
        if not isinstance(properties, dict):
            return result
        for key, prop in properties.items():
            try:
                result[key] = self.value(prop, key, seen, depth + 1)
            except _Cut:
                result[key] = _stand_in(prop)
        return result

    def _array(self, schema: dict[str, Any], name: str, seen: tuple[str, ...], depth: int) -> list[Any]:
        prefix = schema.get("prefixItems")
        items: list[Any] = []
        if isinstance(prefix, list):
            for item in prefix:
                items.append(self.value(item, name, seen, depth + 1))
        low = schema.get("minItems")
        count = max(1, low if isinstance(low, int) else 0)
        high = schema.get("maxItems")
        if isinstance(high, int):
            count = min(count, high)
        item_schema = schema.get("items", {})
        if item_schema is False:
            return items
        try:
            while len(items) < count:
                items.append(self.value(item_schema, _singular(name), seen, depth + 1))
        except _Cut:
            if len(items) < (low if isinstance(low, int) else 0):
                raise
        return items


def _kind(schema: dict[str, Any]) -> str:
    kind = schema.get("type")
    if isinstance(kind, list):
        kinds = [item for item in kind if item != "null"]
        kind = kinds[0] if kinds else "null"
    if isinstance(kind, str):
        return kind
    if "properties" in schema:
        return "object"
    if "items" in schema or "prefixItems" in schema:
        return "array"
    return ""


def _stand_in(schema: Any) -> Any:
    """What a property cut off by recursion becomes: null when allowed, else an empty value."""
    if not isinstance(schema, dict):
        return None
    kinds = schema.get("type")
    members = schema.get("anyOf") or schema.get("oneOf") or []
    if kinds == "null" or (isinstance(kinds, list) and "null" in kinds):
        return None
    if any(isinstance(member, dict) and member.get("type") == "null" for member in members):
        return None
    return {"object": {}, "array": [], "string": "", "integer": 0, "number": 0.0, "boolean": False}.get(
        _kind(schema)
    )


def _string(schema: dict[str, Any], name: str) -> str:
    default = schema.get("default")
    if isinstance(default, str):
        return default
    fmt = schema.get("format")
    text = _FORMATS.get(fmt, "") if isinstance(fmt, str) else ""
    text = text or name or "string"
    low = schema.get("minLength")
    if isinstance(low, int) and len(text) < low:
        text += "x" * (low - len(text))
    high = schema.get("maxLength")
    if isinstance(high, int) and len(text) > high:
        text = text[:high]
    return text


def _number(schema: dict[str, Any]) -> float:
    for key in ("default", "minimum"):
        value = schema.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return value
    low = schema.get("exclusiveMinimum")
    if isinstance(low, int | float) and not isinstance(low, bool):
        return low + 1
    high = schema.get("maximum")
    if isinstance(high, int | float) and not isinstance(high, bool) and high < 0:
        return high
    return 0


def _singular(word: str) -> str:
    if word.endswith("ies"):
        return word[:-3] + "y"
    if word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


# --- what a request asks for ------------------------------------------------------


class ToolCall:
    """A function tool the answer calls, with its arguments as JSON text."""

    __slots__ = ("arguments", "name")

    def __init__(self, name: str, arguments: str) -> None:
        self.name = name
        self.arguments = arguments


def chat_structure(payload: dict[str, Any], last_role: object, last_text: str) -> ToolCall | str | None:
    """For a chat completion: the tool to call, the JSON text to answer, or None (plain text)."""
    tools = payload.get("tools")
    if tools and last_role not in ("tool", "function"):
        functions = {
            tool["function"]["name"]: tool["function"]
            for tool in tools
            if isinstance(tool, dict)
            and tool.get("type") == "function"
            and isinstance(tool.get("function"), dict)
            and isinstance(tool["function"].get("name"), str)
        }
        name = _chosen(payload.get("tool_choice"), functions, chat=True)
        if name is not None:
            return ToolCall(name, _dumps(json_sample(functions[name].get("parameters") or {})))
    return _json_format(payload.get("response_format"), last_text, nested=True)


def response_structure(payload: dict[str, Any], last_type: object, last_text: str) -> ToolCall | str | None:
    """For a response: the function to call, the JSON text to answer, or None (plain text)."""
    tools = payload.get("tools")
    if tools and last_type not in ("function_call_output", "custom_tool_call_output"):
        functions = {
            tool["name"]: tool
            for tool in tools
            if isinstance(tool, dict) and tool.get("type") == "function" and isinstance(tool.get("name"), str)
        }
        name = _chosen(payload.get("tool_choice"), functions, chat=False)
        if name is not None:
            return ToolCall(name, _dumps(json_sample(functions[name].get("parameters") or {})))
    text = payload.get("text")
    return _json_format(text.get("format") if isinstance(text, dict) else None, last_text, nested=False)


def _chosen(choice: Any, functions: dict[str, Any], *, chat: bool) -> str | None:
    """The function ``tool_choice`` picks among ``functions`` (the first unless it names one)."""
    if not functions or choice == "none":
        return None
    first = next(iter(functions))
    if not isinstance(choice, dict):
        return first  # "auto", "required" or absent: the mock always calls one
    kind = choice.get("type")
    if kind == "function":
        named = choice.get("function") if chat else choice
        name = named.get("name") if isinstance(named, dict) else None
        if name is None and isinstance(choice.get("name"), str):
            name = choice["name"]
        return name if name in functions else None
    if kind == "allowed_tools":
        allowed = choice.get("allowed_tools") if chat else choice
        listed = allowed.get("tools") if isinstance(allowed, dict) else None
        for tool in listed if isinstance(listed, list) else ():
            if isinstance(tool, dict) and tool.get("type") == "function":
                inner = tool.get("function")
                named = inner if isinstance(inner, dict) else tool
                if named.get("name") in functions:
                    return str(named["name"])
        return None  # only built-in or custom tools allowed
    return None  # a built-in or custom tool: not a function call


def _json_format(fmt: Any, last_text: str, *, nested: bool) -> str | None:
    if not isinstance(fmt, dict):
        return None
    kind = fmt.get("type")
    if kind == "json_schema":
        holder = fmt.get("json_schema") if nested else fmt
        schema = holder.get("schema") if isinstance(holder, dict) else None
        return _dumps(json_sample(schema if isinstance(schema, dict) else {}))
    if kind == "json_object":
        return _dumps({"echo": last_text})
    return None
