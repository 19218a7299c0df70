"""Writes `openai_actors/mock/_generated_routes.py`: what the mock server answers on every route.

For each operation of the OpenAPI description: its method, route template,
status, the media type it answers with, and a sample answer built from the
response schema. The mock answers its hand-written routes by hand and every
other route from this table (`openai_actors/mock/_generic.py`).

How a sample is built, deterministically (nothing depends on the clock):

- every required property is present (all properties when a schema names none);
- a string takes its `const`/`enum` (first value), a short `example`, or a value
  guessed from its name and format: `id` an `<prefix>_abc123` id whose prefix
  comes from the object's `object` const (`thread.run` -> `run_abc123`) or the
  route, `<thing>_id` a `<thing>` id, URLs, emails, `model`;
- integers named like timestamps (`*_at`, `created`, format `unixtime`) are
  1700000000, other numbers their default or minimum or 0; booleans False
  (`deleted` True);
- arrays hold one item; anyOf/oneOf take their first non-null member; a schema
  met again inside itself is cut off (null when allowed, else an empty value).

Binary answers (audio, file and video content, zips, images) get a few bytes of
the right media type; `text/event-stream` answers a short list of events built
from the streaming schema.

    python -m codegen.mock_samples          # write the module
    python -m codegen.mock_samples --check  # exit 1 when it is out of date
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from codegen.spec import Schema, deref, load_spec, properties

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "openai_actors" / "mock" / "_generated_routes.py"
VERBS = ("get", "post", "put", "patch", "delete")

TIMESTAMP = 1_700_000_000
MAX_DEPTH = 12
MAX_EVENTS = 4

# Binary media types and the few bytes answered for each: a valid empty ID3 tag,
# the head of an MP4 (an `ftyp` box), of a WebP and of a PNG, an empty zip.
BINARY_BODIES: dict[str, bytes] = {
    "application/octet-stream": b"ID3\x04\x00\x00\x00\x00\x00\x00mock audio",
    "application/zip": b"PK\x05\x06" + bytes(18),
    "image/png": b"\x89PNG\r\n\x1a\nmock image",
    "image/webp": b"RIFF\x0e\x00\x00\x00WEBPVP8 mock",
    "video/mp4": b"\x00\x00\x00\x14ftypmp42\x00\x00\x00\x00mp42",
}
# Other non-JSON media types answered as text.
TEXT_BODIES: dict[str, bytes] = {
    "application/sdp": b"v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=mock\r\nt=0 0\r\n",
    "text/plain": b"mock text\n",
}
BINARY_PREFIXES = ("image/", "video/", "audio/")

# Id prefixes the API uses where the object's own name would guess wrong.
ID_PREFIXES: dict[str, str] = {
    "assistant": "asst",
    "chat_completion": "chatcmpl",
    "checkpoint": "ftckpt",
    "container": "cntr",
    "conversation": "conv",
    "files_batch": "vsfb",
    "file_batch": "vsfb",
    "fine_tuning_job": "ftjob",
    "job": "ftjob",
    "message": "msg",
    "moderation": "modr",
    "project": "proj",
    "response": "resp",
    "text_completion": "cmpl",
    "vector_store": "vs",
}

# Enum values preferred, when allowed, to the first: a finished, successful answer.
PREFERRED: dict[str, tuple[str, ...]] = {
    "role": ("assistant",),
    "status": ("completed", "succeeded", "processed", "active"),
}

# Members of a union preferred to the first, by their `type`.
TEXTUAL = ("text", "output_text", "input_text", "message")

# What the last word of a longer id name (`input_file_id`) names.
OBJECT_WORDS = ("batch", "file", "project", "run", "thread", "upload", "user", "video")

# The assistants' run routes stream (`"stream": true`) though the description
# gives them no `text/event-stream` answer: these events of AssistantStreamEvent.
ASSISTANT_STREAM_ROUTES = (
    ("post", "/threads/runs"),
    ("post", "/threads/{thread_id}/runs"),
    ("post", "/threads/{thread_id}/runs/{run_id}/submit_tool_outputs"),
)
ASSISTANT_EVENTS = ("thread.run.created", "thread.message.delta", "thread.run.completed", "done")
# For long unions of stream events (the Responses API's): the lifecycle ones.
LIFECYCLE = ("created", "in_progress", "completed")


class _Cut(Exception):
    """A schema met again inside itself (or too deep): the caller chooses a stand-in."""


def _singular(word: str) -> str:
    if word.endswith("ies"):
        return word[:-3] + "y"
    if word.endswith(("sses", "ches", "shes", "xes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def make_id(stem: str) -> str:
    stem = re.sub(r"[^a-z0-9_]+", "_", stem.lower()).strip("_") or "obj"
    last = stem.rsplit("_", 1)[-1]
    if stem not in ID_PREFIXES and (last in ID_PREFIXES or last in OBJECT_WORDS):
        stem = last  # input_file_id, previous_response_id, remixed_from_video_id
    return f"{ID_PREFIXES.get(stem, stem)}_abc123"


def _object_stem(const: str) -> str:
    """`thread.run` -> `run`, `chat.completion` -> `chat_completion`, `vector_store.files_batch` -> ..."""
    const = const.removesuffix(".deleted")
    if const in ("chat.completion", "fine_tuning.job"):
        return const.replace(".", "_")
    return const.rsplit(".", 1)[-1]


def _is_null(spec: dict[str, Any], schema: Schema) -> bool:
    return deref(spec, schema).get("type") == "null"


_ANNOTATIONS = {"nullable", "description", "title", "default", "example", "examples", "deprecated"}


def _substantive(parts: list[Schema]) -> list[Schema]:
    """The parts of an allOf that say more than `nullable: true` or a description."""
    return [part for part in parts if set(part) - _ANNOTATIONS]


def _free_string(schema: Schema) -> bool:
    """A string without an enum, const or example: `object: {type: string}`."""
    return schema.get("type") == "string" and not {"enum", "const", "example"} & set(schema)


def _nullable(spec: dict[str, Any], schema: Schema) -> bool:
    schema = deref(spec, schema)
    if schema.get("nullable") or any(part.get("nullable") for part in schema.get("allOf", ())):
        return True
    return any(_is_null(spec, member) for member in [*schema.get("anyOf", ()), *schema.get("oneOf", ())])


def _required(spec: dict[str, Any], schema: Schema) -> list[str]:
    schema = deref(spec, schema)
    names: list[str] = []
    for part in schema.get("allOf", ()):
        names += _required(spec, part)
    names += schema.get("required", [])
    return list(dict.fromkeys(names))


def _const(schema: Schema) -> Any:
    """The single value a schema allows, or None."""
    if "const" in schema:
        return schema["const"]
    enum = schema.get("enum")
    if enum and (len(enum) == 1 or schema.get("x-stainless-const")):
        return enum[0]
    return None


class Sampler:
    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec

    def sample(self, schema: Schema, hint: str) -> Any:
        try:
            return self._value(schema, "", hint, (), 0)
        except _Cut:
            return {}

    def _value(self, schema: Schema, name: str, hint: str, stack: tuple[str, ...], depth: int) -> Any:
        if depth > MAX_DEPTH:
            raise _Cut
        ref = schema.get("$ref")
        if ref is not None:
            if ref in stack:
                raise _Cut
            stack = (*stack, ref)
            schema = deref(self.spec, schema)
        const = _const(schema)
        if const is not None:
            return const
        if "enum" in schema:
            values = [value for value in schema["enum"] if value is not None]
            for preferred in PREFERRED.get(name, ()):
                if preferred in values:
                    return preferred
            return values[0] if values else None
        parts = _substantive(schema.get("allOf", []))
        if len(parts) == 1 and "properties" not in schema:  # a wrapper: `allOf: [$ref, {nullable}]`
            return self._value(parts[0], name, hint, stack, depth + 1)
        members = [m for m in schema.get("anyOf", []) + schema.get("oneOf", []) if not _is_null(self.spec, m)]
        if members and "properties" not in schema and "allOf" not in schema:
            # A text part or message before an image or a tool call, when the union has one.
            members.sort(key=lambda member: self._type_const(member) not in TEXTUAL)
            for member in members:
                try:
                    return self._value(member, name, hint, stack, depth + 1)
                except _Cut:
                    continue
            if _nullable(self.spec, schema):
                return None
            raise _Cut
        kind = schema.get("type")
        if kind is None:
            if "properties" in schema or "allOf" in schema:
                kind = "object"
            elif "items" in schema:
                kind = "array"
        if kind == "object":
            return self._object(schema, hint, stack, depth)
        if kind == "array":
            try:
                item_hint = _singular(hint) if hint == name else hint  # `projects` -> `project_abc123`
                item = self._value(schema.get("items", {}), _singular(name), item_hint, stack, depth + 1)
            except _Cut:
                return []
            return [item]
        if kind == "string":
            return self._string(schema, name, hint)
        if kind == "integer":
            return self._number(schema, name, int)
        if kind == "number":
            return float(self._number(schema, name, float))
        if kind == "boolean":
            if name == "deleted":
                return True
            default = schema.get("default")
            return default if isinstance(default, bool) else False
        return None

    def _object(self, schema: Schema, hint: str, stack: tuple[str, ...], depth: int) -> Any:
        props = properties(self.spec, schema)
        if not props:
            return {}
        required = _required(self.spec, schema)
        # The answer itself has all its properties (an ImagesResponse requires only
        # `created`, but client code reads its `data`); nested objects the required ones.
        full = depth == 0 or not required
        names = list(props) if full else [name for name in props if name in required]
        object_const = _const(deref(self.spec, props["object"])) if "object" in props else None
        if isinstance(object_const, str) and object_const != "list":
            hint = _object_stem(object_const)
        result: dict[str, Any] = {}
        for name in names:
            prop = props[name]
            child_hint = hint if name == "data" else name
            try:
                if name == "id" and self._kind(prop) == "string":
                    result[name] = make_id(hint)
                elif name == "object" and object_const is None and _free_string(deref(self.spec, prop)):
                    result[name] = "list" if "data" in props else hint
                elif _nullable(self.spec, prop) and (self._kind(prop) != "string" or name == "refusal"):
                    # A successful answer has no `error`, `last_error`, `failed_at`, `refusal`...
                    result[name] = None
                else:
                    result[name] = self._value(prop, name, child_hint, stack, depth + 1)
            except _Cut:
                result[name] = None if _nullable(self.spec, prop) else _empty(deref(self.spec, prop))
        data = result.get("data")
        if isinstance(data, list) and data and isinstance(data[0], dict) and "id" in data[0]:
            for name in ("first_id", "last_id"):
                if name in result:
                    result[name] = data[0]["id"]
        return result

    def _type_const(self, schema: Schema) -> object:
        prop = properties(self.spec, schema).get("type")
        return _const(deref(self.spec, prop)) if prop else None

    def _kind(self, schema: Schema) -> str:
        """The type of a (possibly nullable) schema: that of its first non-null member."""
        schema = deref(self.spec, schema)
        parts = _substantive(schema.get("allOf", []))
        for member in [*schema.get("anyOf", ()), *schema.get("oneOf", ())] + (
            parts if len(parts) == 1 else []
        ):
            if not _is_null(self.spec, member):
                return self._kind(member)
        if "properties" in schema or "allOf" in schema:
            return "object"
        return str(schema.get("type", ""))

    def _string(self, schema: Schema, name: str, hint: str) -> str:
        fmt = schema.get("format", "")
        example = schema.get("example")
        if name.endswith("_id") and name not in ("first_id", "last_id"):
            return make_id(name[: -len("_id")])
        if name in ("first_id", "last_id"):
            return make_id(hint)
        if isinstance(example, str) and len(example) <= 40 and "\n" not in example:
            return example
        default = schema.get("default")
        if isinstance(default, str) and default:
            return default
        if fmt in ("uri", "url") or name.endswith("url"):
            return "https://example.com/mock"
        if fmt == "email" or name.endswith("email"):
            return "user@example.com"
        if fmt == "date-time":
            return "2023-11-14T22:13:20Z"
        if name == "model":
            return "gpt-4o-mini"
        if name in ("b64_json", "data", "audio") or fmt in ("byte", "base64"):
            return "bW9jaw=="
        if name.endswith("name"):
            return "mock"
        return "string"

    def _number(self, schema: Schema, name: str, kind: type[int] | type[float]) -> int | float:
        if (
            schema.get("format") == "unixtime"
            or name.endswith("_at")
            or name in ("created", "timestamp")
            or (name.endswith("_time") and kind is int)
        ):
            return TIMESTAMP
        for key in ("default", "minimum", "example"):
            value = schema.get(key)
            if isinstance(value, int | float) and not isinstance(value, bool):
                return kind(value)
        return kind(0)


def _empty(schema: Schema) -> Any:
    return {"object": {}, "array": [], "string": "", "integer": 0, "number": 0.0, "boolean": False}.get(
        schema.get("type", "")
    )


# --- the table ------------------------------------------------------------------


def _ref_name(schema: Schema) -> str | None:
    ref = schema.get("$ref")
    return ref.rsplit("/", 1)[1] if isinstance(ref, str) else None


def _route_hint(route: str) -> str:
    """The thing a route is about: its last literal segment, singular (`/vector_stores` -> `vector_store`)."""
    literals = [seg for seg in route.split("?")[0].split("/") if seg and not seg.startswith("{")]
    actions = {"cancel", "content", "complete", "archive", "unarchive", "activate", "deactivate"}
    for segment in reversed(literals):
        if segment not in actions:
            return _singular(segment)
    return "obj"


def _is_binary(media: str) -> bool:
    return media in BINARY_BODIES or media.startswith(BINARY_PREFIXES) or media == "application/zip"


class Table:
    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec
        self.sampler = Sampler(spec)
        self.samples: dict[str, Any] = {}
        self.events: dict[str, list[tuple[str | None, Any]]] = {}
        self.routes: list[tuple[str, str, int, str, str | None, str | None]] = []

    def build(self) -> None:
        for route, item in self.spec["paths"].items():
            for verb in VERBS:
                if verb in item:
                    self._operation(route, verb, item[verb])
        self.routes.sort(key=lambda row: (row[1], VERBS.index(row[0].lower())))

    def _operation(self, route: str, verb: str, op: dict[str, Any]) -> None:
        status, content = 200, {}
        for code, response in op.get("responses", {}).items():
            if str(code).startswith("2"):
                status, content = int(code), response.get("content", {})
                break
        media = ""
        sample: str | None = None
        binary = [m for m in content if _is_binary(m)]
        if binary:
            media = binary[0]
            self._body(media)
        elif "application/json" in content:
            media = "application/json"
            schema = content["application/json"]["schema"]
            sample = _ref_name(schema) or op["operationId"]
            if sample not in self.samples:
                self.samples[sample] = self.sampler.sample(schema, _route_hint(route))
        elif content:
            media = next(iter(content))
            self._body(media)
        elif route.endswith("/content") and verb == "get":
            media = "application/octet-stream"
        events = None
        if "text/event-stream" in content:
            events = self._stream(content["text/event-stream"]["schema"])
        elif (verb, route) in ASSISTANT_STREAM_ROUTES:
            events = self._assistant_stream()
        self.routes.append((verb.upper(), route, status, media, sample, events))

    def _body(self, media: str) -> None:
        if media not in BINARY_BODIES and media not in TEXT_BODIES:
            if _is_binary(media):
                BINARY_BODIES[media] = b"mock " + media.encode()
            else:
                TEXT_BODIES[media] = b"mock\n"

    def _stream(self, schema: Schema) -> str:
        name = _ref_name(schema) or "stream"
        if name in self.events:
            return name
        target = deref(self.spec, schema)
        members = target.get("anyOf") or target.get("oneOf")
        events: list[tuple[str | None, Any]] = []
        if not members:
            # One kind of chunk (chat completions): data-only events, then [DONE].
            events = [(None, self.sampler.sample(schema, "chunk")), (None, "[DONE]")]
        else:
            chosen = [m for m in members if not _is_null(self.spec, m)]
            if len(chosen) > MAX_EVENTS:
                lifecycle = [m for m in chosen if self._event_type(m).count(".") == 1]
                lifecycle = [m for m in lifecycle if self._event_type(m).split(".")[1] in LIFECYCLE]
                lifecycle.sort(key=lambda m: LIFECYCLE.index(self._event_type(m).split(".")[1]))
                chosen = lifecycle or chosen[:MAX_EVENTS]
            for number, member in enumerate(chosen):
                data = self.sampler.sample(member, "event")
                if isinstance(data, dict) and "sequence_number" in data:
                    data["sequence_number"] = number
                kind = data.get("type") if isinstance(data, dict) else None
                events.append((kind if isinstance(kind, str) else None, data))
        self.events[name] = events
        return name

    def _event_type(self, member: Schema) -> str:
        prop = properties(self.spec, member).get("type")
        value = _const(deref(self.spec, prop)) if prop else None
        return value if isinstance(value, str) else ""

    def _assistant_stream(self) -> str:
        name = "AssistantStreamEvent"
        if name in self.events:
            return name
        found: dict[str, Any] = {}
        pending = [self.spec["components"]["schemas"][name]]
        while pending:
            schema = deref(self.spec, pending.pop(0))
            members = schema.get("oneOf") or schema.get("anyOf")
            if members:
                pending = list(members) + pending
                continue
            props = properties(self.spec, schema)
            event = _const(deref(self.spec, props.get("event", {})))
            if event in ASSISTANT_EVENTS and event not in found:
                data = props.get("data", {})
                if deref(self.spec, data).get("enum") == ["[DONE]"]:
                    found[event] = "[DONE]"
                else:
                    found[event] = self.sampler.sample(data, _object_stem(event.rsplit(".", 1)[0]))
        self.events[name] = [(event, found[event]) for event in ASSISTANT_EVENTS if event in found]
        return name


# --- rendering --------------------------------------------------------------------

HEADER = '''\
# Generated by `python -m codegen.mock_samples` from codegen/spec/openapi.yaml.
# Do not edit by hand: change codegen/mock_samples.py and run it again.
"""What the mock server answers on each route of the OpenAPI description.

`ROUTES` holds one `Route` per operation. `media_type` says what the answer is:
"application/json" (the JSON value `SAMPLES[sample]`), a binary or text media
type (the bytes `BODIES[media_type]`), or "" (an empty body). `events` names the
list of Server-Sent Events in `EVENTS` answered when the request asks to stream:
(event name or None, data), the data "[DONE]" or a JSON value.
"""

from __future__ import annotations

from typing import Any, Final, NamedTuple

__all__ = ["BODIES", "EVENTS", "ROUTES", "SAMPLES", "Route"]


class Route(NamedTuple):
    method: str
    template: str
    status: int
    media_type: str
    sample: str | None
    events: str | None

'''


def render(table: Table) -> str:
    lines = [HEADER]
    # One line per route, as a table (`ruff format` would fold the long ones).
    lines.append("# fmt: off")
    lines.append("ROUTES: Final[tuple[Route, ...]] = (")
    for method, route, status, media, sample, events in table.routes:
        fields = ", ".join(_literal(value) for value in (method, route, status, media, sample, events))
        lines.append(f"    Route({fields}),")
    lines.append(")")
    lines.append("# fmt: on")
    lines.append("")
    used_media = sorted({row[3] for row in table.routes if row[3] and row[3] != "application/json"})
    bodies = {**BINARY_BODIES, **TEXT_BODIES}
    lines.append("BODIES: Final[dict[str, bytes]] = {")
    for media in used_media:
        lines.append(f"    {media!r}: {bodies[media]!r},")
    lines.append("}")
    lines.append("")
    lines.append("SAMPLES: Final[dict[str, Any]] = {")
    for name in sorted(table.samples):
        lines.append(f"    {name!r}: {_literal(table.samples[name])},")
    lines.append("}")
    lines.append("")
    lines.append("EVENTS: Final[dict[str, list[tuple[str | None, Any]]]] = {")
    for name in sorted(table.events):
        items = ", ".join(f"({event!r}, {_literal(data)})" for event, data in table.events[name])
        lines.append(f"    {name!r}: [{items}],")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _literal(value: Any) -> str:
    """A Python literal for a JSON value, keys in the schema's order."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{key!r}: {_literal(item)}" for key, item in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_literal(item) for item in value) + "]"
    if isinstance(value, str):
        return json.dumps(value)  # double quotes, as ruff format writes them
    return repr(value)


def _ruff_format(text: str) -> str:
    command = [sys.executable, "-m", "ruff", "format", "--stdin-filename", str(OUT), "-"]
    done = subprocess.run(command, input=text.encode(), capture_output=True, check=False, cwd=ROOT)
    if done.returncode != 0:
        raise SystemExit(f"ruff format failed: {done.stderr.decode()}")
    return done.stdout.decode()


def generate() -> str:
    table = Table(load_spec())
    table.build()
    return _ruff_format(render(table))


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    text = generate()
    if "--check" in args:
        if not OUT.exists() or OUT.read_text() != text:
            print(f"{OUT.relative_to(ROOT)} is out of date: run python -m codegen.mock_samples")
            return 1
        return 0
    OUT.write_text(text)
    print(f"wrote {OUT.relative_to(ROOT)} ({text.count(chr(10))} lines)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
