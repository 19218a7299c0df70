"""From the table's methods to resource classes: one module per resource, sync and async side by side.

A generated method checks nothing and builds nothing itself: it names an
`Operation` (openai_actors/_operations.py) that says where the request goes and
how the answer is read, so each resource module reads as a list of endpoints.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .names import docstring, pascal, singular, snake
from .spec import Schema, TableMethod, deref, properties, resolve
from .types_gen import PACKAGE, Module, Ref, TypeGen, official_module

PAGES = {
    "SyncCursorPage": "CursorPage",
    "SyncConversationCursorPage": "ConversationCursorPage",
    "SyncNextCursorPage": "NextCursorPage",
    "SyncPage": "Page",
}


@dataclass
class Node:
    path: str  # "beta.threads.runs"
    methods: list[TableMethod] = field(default_factory=list)
    children: dict[str, Node] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return pascal(self.path.rsplit(".", 1)[-1])

    @property
    def module(self) -> str:
        parts = self.path.split(".")
        if self.children:
            return f"{PACKAGE}.resources.{'.'.join(parts)}.{parts[-1]}"
        return f"{PACKAGE}.resources.{'.'.join(parts)}"


def tree(methods: list[TableMethod], hand: dict[str, str]) -> Node:
    root = Node("")
    for method in methods:
        node = root
        parts = method.resource.split(".")
        for i in range(len(parts)):
            path = ".".join(parts[: i + 1])
            node = node.children.setdefault(parts[i], Node(path))
        node.methods.append(method)
    for name in hand:
        root.children.pop(name, None)
    return root


@dataclass
class Endpoint:
    method: TableMethod
    op: dict[str, Any]
    summary: str | None
    path_params: list[str]
    query: dict[str, tuple[Schema, bool]]
    headers: dict[str, tuple[str, Schema]]  # parameter -> (header name, schema)
    body: Schema | None
    body_kind: str  # json / multipart / none
    files: list[str]
    stream_event: Schema | None


def endpoint(spec: dict[str, Any], method: TableMethod) -> Endpoint:
    op = spec["paths"][method.route][method.verb]
    path_params: list[str] = []
    query: dict[str, tuple[Schema, bool]] = {}
    headers: dict[str, tuple[str, Schema]] = {}
    for param in op.get("parameters", ()):
        if "$ref" in param:
            name = param["$ref"].rsplit("/", 1)[1]
            param = spec["components"]["parameters"][name]
        if param["in"] == "path":
            path_params.append(param["name"])
        elif param["in"] == "query":
            # `include[]`: the name is `include`; a list is sent in that notation anyway.
            name = param["name"].removesuffix("[]")
            query[name] = (param.get("schema") or {}, bool(param.get("required")))
        elif param["in"] == "header":
            schema = param.get("schema") or {}
            headers[schema.get("x-stainless-param") or param["name"].replace("-", "_")] = (
                param["name"],
                schema,
            )
    for name in _template_params(method.route):
        if name not in path_params:
            path_params.append(name)
    content = op.get("requestBody", {}).get("content", {})
    body: Schema | None = None
    body_kind = "none"
    files: list[str] = []
    # Multipart where the endpoint takes files (they can only go that way), else JSON.
    multipart = content.get("multipart/form-data")
    if multipart is not None and (
        "application/json" not in content
        or any(_is_file(spec, p) for p in properties(spec, multipart["schema"]).values())
    ):
        body, body_kind = content["multipart/form-data"]["schema"], "multipart"
        for key, prop in properties(spec, body).items():
            if _is_file(spec, prop):
                files.append(key)
    elif "application/json" in content:
        body, body_kind = content["application/json"]["schema"], "json"
    stream_event = None
    for code, response in op.get("responses", {}).items():
        if str(code).startswith("2"):
            sse = response.get("content", {}).get("text/event-stream")
            if sse and "schema" in sse:
                stream_event = sse["schema"]
            break
    return Endpoint(
        method,
        op,
        op.get("summary") or op.get("description"),
        path_params,
        query,
        headers,
        body,
        body_kind,
        files,
        stream_event,
    )


def _template_params(route: str) -> list[str]:
    import re

    return re.findall(r"{(\w+)}", route)


def _is_file(spec: dict[str, Any], prop: Schema) -> bool:
    prop = deref(spec, prop)
    if prop.get("format") == "binary":
        return True
    for key in ("anyOf", "oneOf"):
        if any(_is_file(spec, m) for m in prop.get(key, ())):
            return True
    if prop.get("type") == "array":
        return _is_file(spec, prop.get("items") or {})
    return False


class ResourceGen:
    def __init__(self, spec: dict[str, Any], types: TypeGen, overrides: dict[str, Any]) -> None:
        self.spec = spec
        self.types = types
        self.overrides = overrides
        self.extended: dict[str, str] = overrides.get("extended", {})
        # "beta.chat" = "chat": a second path to a resource (overrides.toml [resource_aliases]).
        self.aliases: dict[str, str] = overrides.get("resource_aliases", {})
        # "beta.assistants" = {"OpenAI-Beta" = "assistants=v2"}: headers every method of
        # that resource sends (overrides.toml [resource_headers]); emptied as they are used.
        self.resource_headers: dict[str, dict[str, str]] = dict(overrides.get("resource_headers", {}))
        self.unused_headers = set(self.resource_headers)
        self.root: Node | None = None
        self.typing_imports: dict[str, dict[str, set[str]]] = {}  # module -> its TYPE_CHECKING imports
        self.files: dict[str, str] = {}

    def _typing_only(self, mod: Module, ref: Ref) -> str:
        """A name the module needs for type checkers only (imported under TYPE_CHECKING)."""
        self.typing_imports.setdefault(mod.path, {}).setdefault(ref.module, set()).add(ref.name)
        return ref.name

    # -- the params TypedDict of a method ---------------------------------------------

    def params_schema(self, ep: Endpoint, path_keywords: list[str]) -> Schema | None:
        props: dict[str, Schema] = {}
        required: list[str] = []
        for key in path_keywords:  # the official params TypedDicts hold them too
            props[key] = {"type": "string"}
            required.append(key)
        if ep.body is not None:
            body = deref(self.spec, ep.body)
            for key, prop in properties(self.spec, body).items():
                props[key] = prop
            required += _required(self.spec, body)
        for key, (schema, req) in ep.query.items():
            props.setdefault(key, schema)
            if req:
                required.append(key)
        for key, (_, schema) in ep.headers.items():
            props.setdefault(key, schema)
        if not props:
            return None
        return {"type": "object", "properties": props, "required": required}

    # -- one resource module --------------------------------------------------------------

    def emit(self, node: Node) -> None:
        if not node.path:
            self.root = node
        for child in node.children.values():
            self.emit(child)
        if not node.path:
            return
        mod = Module(node.module)
        lines_ops: list[str] = []
        sync_methods: list[str] = []
        async_methods: list[str] = []
        args_blocks: list[str] = []
        for method in node.methods:
            ep = endpoint(self.spec, method)
            self._method(ep, mod, lines_ops, sync_methods, async_methods, args_blocks)
        children = sorted(node.children.values(), key=lambda c: c.path) + self._aliased(node)
        self.files[node.module] = self._render(
            node, mod, lines_ops, sync_methods, async_methods, args_blocks, children
        )

    def _aliased(self, node: Node) -> list[Node]:
        """The resources reachable from `node` under a second path, as its children."""
        found: list[Node] = []
        for alias, target in sorted(self.aliases.items()):
            parent, _, attr = alias.rpartition(".")
            if parent != node.path:
                continue
            resource = self.root
            for part in target.split("."):
                assert resource is not None
                resource = resource.children.get(part)
            if resource is None or attr != target.rsplit(".", 1)[-1]:
                raise SystemExit(f"[resource_aliases] {alias} = {target}: no such resource, or another name")
            found.append(resource)
        return found

    def _method(
        self,
        ep: Endpoint,
        mod: Module,
        ops: list[str],
        sync: list[str],
        async_: list[str],
        args_blocks: list[str],
    ) -> None:
        m = ep.method
        key = f"{m.resource}.{m.name}"
        extra = self.overrides.get("methods", {}).get(key, {})
        const = f"_{snake(m.name).upper()}"

        # Parameters: the official params TypedDict, plus path parameters given by keyword.
        params_ref: Ref | None = None
        kw_paths = [p for p in ep.path_params if p not in m.positional]
        if "body" in extra:
            # The spec's body for this route is not what the official SDK sends (see overrides.toml).
            body = dict(properties(self.spec, resolve(self.spec, extra["body"])))
            for key in extra.get("omit", ()):
                body.pop(key, None)
            for key, location in extra.get("add", {}).items():
                body[key] = resolve(self.spec, location)
            ep.body = {"type": "object", "properties": body, "required": extra.get("required", [])}
        schema = self.params_schema(ep, [])
        # The official params TypedDicts hold the keyword path parameters too.
        in_params = kw_paths if m.params_type and schema is not None else []
        if in_params:
            schema = self.params_schema(ep, in_params)
        streaming = (ep.stream_event is not None or "stream_event" in extra) and (
            schema is not None and "stream" in schema["properties"]
        )
        if schema is not None:
            if m.params_type and m.params_module:
                ref = Ref(
                    f"{PACKAGE}{m.params_module[len('openai') :]}.{snake(m.params_type)}", m.params_type
                )
            else:
                # Parameters the table gives no type for: named as the official SDK names its own.
                *package, last = m.resource.split(".")
                stem = f"{singular(last)}_{m.name}_params"
                ref = Ref(".".join([f"{PACKAGE}.types", *package, stem]), pascal(stem))
            if streaming and "stream" in schema["properties"]:
                params_ref = self._streaming_params(schema, ref)
            else:
                params_ref = self.types.register(schema, "param", ref)
                self.types.args_for[params_ref] = _args_name(params_ref.name)
        args = f"_{pascal(m.name)}Args"
        # The method's keyword arguments: the params TypedDict's twin (request options
        # included, `omit` accepted), and the path parameters it does not hold.
        bases = (
            [self._typing_only(mod, Ref(params_ref.module, _args_name(params_ref.name)))]
            if params_ref
            else []
        )
        if not bases:
            bases.append(self._typing_only(mod, Ref(f"{PACKAGE}._resources._base", "RequestOptionParams")))
        field_lines = [f"    {p}: Required[str]" for p in kw_paths if p not in in_params]
        if field_lines:
            mod.typing.add("Required")
        args_blocks.append(
            "\n".join([f"class {args}({', '.join(bases)}, total=False):", *(field_lines or ["    pass"])])
        )
        if streaming and params_ref is not None:
            for variant in ("Streaming", "NonStreaming"):
                vref = Ref(params_ref.module, _args_name(params_ref.name + variant))
                args_blocks.append(
                    f"class {args}{variant}({self._typing_only(mod, vref)}, total=False):\n"
                    + ("\n".join(field_lines) if field_lines else "    pass")
                )

        # What comes back.
        returns, cast, page = self._returns(m, mod, extra)
        item = ""
        event = self._event_type(ep, extra, mod) if streaming else ""
        if streaming:
            item = f", stream_item=as_cast({event})"
            if "stream_item" in extra:
                # A hand-written builder of each event (overrides.toml says why).
                module, _, func = extra["stream_item"].partition(":")
                item = f", stream_item={mod.use(Ref(module, func))}"
        path = m.route.lstrip("/")
        # The keys, written out: the TypedDicts are for type checkers only, so that a
        # call imports its result's types and nothing of its parameters' (dozens of modules).
        keys = sorted(set(schema["properties"] if schema else ()) | set(kw_paths))
        required = sorted(set(schema["required"] if schema else ()) | set(kw_paths))
        fields = [repr(m.name), repr(m.verb.upper()), repr(path), f"keys={tuple(keys)!r}"]
        if required:
            fields.append(f"required={tuple(required)!r}")
        if ep.path_params:
            fields.append(f"path_params={tuple(ep.path_params)!r}")
        if ep.query:
            fields.append(f"query={tuple(sorted(ep.query))!r}")
        if ep.headers:
            fields.append(f"headers={tuple((k, h) for k, (h, _) in sorted(ep.headers.items()))!r}")
        fixed = self.resource_headers.get(m.resource)
        if fixed:
            self.unused_headers.discard(m.resource)
            fields.append(f"fixed_headers={tuple(sorted(fixed.items()))!r}")
        if ep.body_kind != "json":
            fields.append(f"body={ep.body_kind!r}")
        if ep.files:
            fields.append(f"files=frozenset({sorted(ep.files)!r})")
        fields.append(f"cast={cast}")
        if "prepare" in extra:
            module, _, func = extra["prepare"].partition(":")
            fields.append(f"prepare={mod.use(Ref(module, func))}")
        if page:
            sync_page, async_page = page
            mod.use(Ref(f"{PACKAGE}._pagination", sync_page))
            mod.use(Ref(f"{PACKAGE}._pagination", async_page))
            fields.append(f"page={sync_page}, async_page={async_page}")
            mod.use(Ref(f"{PACKAGE}._operations", "PageOperation"))
            ops.append(f"{const}: PageOperation[{returns}] = PageOperation({', '.join(fields)}{item})")
        else:
            mod.use(Ref(f"{PACKAGE}._operations", "Operation"))
            ops.append(f"{const}: Operation[{returns}] = Operation({', '.join(fields)}{item})")

        positional = "".join(f", {p}: str" for p in m.positional)
        path_arg = ", {" + ", ".join(f"{p!r}: {p}" for p in m.positional) + "}" if m.positional else ""
        doc = docstring(ep.summary, "        ")
        call_args = f"{const}, params{path_arg}"
        if page:
            sync_page, async_page = page
            mod.use(Ref(f"{PACKAGE}._pagination", "AsyncPaginator"))
            sync.append(
                "\n".join(
                    [
                        f"    def {m.name}(self{positional}, **params: Unpack[{args}]) -> {sync_page}[{returns}]:",
                        *doc,
                        f"        page: {sync_page}[{returns}] = self._page({call_args})",
                        "        return page",
                    ]
                )
            )
            async_.append(
                "\n".join(
                    [
                        f"    def {m.name}(self{positional}, **params: Unpack[{args}])"
                        f" -> AsyncPaginator[{returns}, {async_page}[{returns}]]:",
                        *doc,
                        f"        pages: AsyncPaginator[{returns}, {async_page}[{returns}]] = self._page({call_args})",
                        "        return pages",
                    ]
                )
            )
            return
        if streaming and params_ref is not None:
            mod.use(Ref("typing", "overload"))
            mod.use(Ref(f"{PACKAGE}._streaming", "Stream"))
            mod.use(Ref(f"{PACKAGE}._streaming", "AsyncStream"))
            for prefix, stream_cls, target in (("", "Stream", sync), ("async ", "AsyncStream", async_)):
                awaiting = "await " if prefix else ""
                target.append(
                    "\n".join(
                        [
                            "    @overload",
                            f"    {prefix}def {m.name}(self{positional}, **params: Unpack[{args}NonStreaming]) -> {returns}: ...",
                            "    @overload",
                            f"    {prefix}def {m.name}(self{positional}, **params: Unpack[{args}Streaming]) -> {stream_cls}[{event}]: ...",
                            "    @overload",
                            f"    {prefix}def {m.name}(self{positional}, **params: Unpack[{args}]) -> {returns} | {stream_cls}[{event}]: ...",
                            f"    {prefix}def {m.name}(self{positional}, **params: Any) -> {returns} | {stream_cls}[{event}]:",
                            *doc,
                            f"        result: {returns} | {stream_cls}[{event}] = {awaiting}self._run({call_args})",
                            "        return result",
                        ]
                    )
                )
            return
        for prefix, target in (("", sync), ("async ", async_)):
            awaiting = "await " if prefix else ""
            target.append(
                "\n".join(
                    [
                        f"    {prefix}def {m.name}(self{positional}, **params: Unpack[{args}]) -> {returns}:",
                        *doc,
                        f"        return {awaiting}self._run({call_args})",
                    ]
                )
            )

    def _streaming_params(self, schema: Schema, ref: Ref) -> Ref:
        """`XParams` with `XParamsStreaming` / `XParamsNonStreaming`, for the overloads on `stream`."""
        base_props = {k: v for k, v in schema["properties"].items() if k != "stream"}
        base = {
            **schema,
            "properties": base_props,
            "required": [r for r in schema["required"] if r != "stream"],
        }
        base_ref = self.types.register(base, "param", Ref(ref.module, ref.name + "Base"))
        base_args = _args_name(base_ref.name)
        self.types.args_for[base_ref] = base_args
        mod = self.types.module(ref.module)
        mod.typing.update({"Literal", "Required"})
        tail = [
            f"class {ref.name}({base_ref.name}, total=False):\n    stream: bool | None",
            f"class {ref.name}NonStreaming({base_ref.name}, total=False):\n    stream: Literal[False] | None",
            f"class {ref.name}Streaming({base_ref.name}, total=False):\n    stream: Required[Literal[True]]",
            f"class {_args_name(ref.name)}({base_args}, total=False):\n    stream: bool | Omit | None",
            f"class {_args_name(ref.name + 'NonStreaming')}({base_args}, total=False):\n"
            "    stream: Literal[False] | Omit | None",
            f"class {_args_name(ref.name + 'Streaming')}({base_args}, total=False):\n"
            "    stream: Required[Literal[True]]",
        ]
        mod.blocks_after.extend(tail)
        mod.names.update({ref.name, ref.name + "NonStreaming", ref.name + "Streaming"})
        mod.exports_after += [ref.name, ref.name + "NonStreaming", ref.name + "Streaming"]
        return ref

    def _event_type(self, ep: Endpoint, extra: dict[str, Any], mod: Module) -> str:
        if "stream_event" in extra:
            official, _, name = extra["stream_event"].rpartition(".")
            return mod.use(Ref(official_module(official, name), name))
        assert ep.stream_event is not None
        return self.types.expr(ep.stream_event, "model", mod, "StreamEvent")

    def _returns(
        self, m: TableMethod, mod: Module, extra: dict[str, Any]
    ) -> tuple[str, str, tuple[str, str] | None]:
        ret = m.returns
        if ret == "None":
            mod.use(Ref(f"{PACKAGE}._operations", "NO_CONTENT"))
            return "None", "NO_CONTENT", None
        if ret == "str":  # a file's content as text (files.retrieve_content)
            mod.use(Ref(f"{PACKAGE}._operations", "TEXT"))
            return "str", "TEXT", None
        if ret == "HttpxBinaryResponseContent":
            mod.use(Ref(f"{PACKAGE}._operations", "BINARY"))
            mod.use(Ref(f"{PACKAGE}._response", "BinaryContent"))
            return "BinaryContent", "BINARY", None
        page = None
        if "[" in ret:
            outer, _, inner = ret.partition("[")
            ret = inner.rstrip("]")
            kind = PAGES[extra.get("page", outer)]
            page = (f"Sync{kind}", f"Async{kind}")
        module = m.returns_module or "openai.types"
        ref = Ref(official_module(module, ret), ret)
        if ref not in self.types.by_schema.values() and ref not in self.types.same:
            # Not in the table's type lists: the route's own answer, under the table's name.
            location = f"@{m.verb} {m.route}:response" + (".data[]" if page else "")
            self.types.register(resolve(self.spec, location), "model", ref)
        name = mod.use(ref)
        mod.use(Ref(f"{PACKAGE}._models", "as_cast"))
        return name, f"as_cast({name})", page

    def _render(
        self,
        node: Node,
        mod: Module,
        ops: list[str],
        sync: list[str],
        async_: list[str],
        args_blocks: list[str],
        children: list[Node],
    ) -> str:
        name = node.name
        sync_body: list[str] = []
        async_body: list[str] = []
        checking: list[str] = []
        for child in children:
            attr = child.path.rsplit(".", 1)[-1]
            # A resource with hand-written helpers (overrides.toml [extended]) is built from
            # the hand-written subclass, which lives outside the generated files.
            home = self.extended.get(child.path, child.module)
            checking.append(
                f"    from {relative_import(node.module, home)} import Async{child.name}, {child.name}"
            )
            for body, cls in ((sync_body, child.name), (async_body, f"Async{child.name}")):
                body.append(
                    "\n".join(
                        [
                            "    @cached_property",
                            f"    def {attr}(self) -> {cls}:",
                            f"        from {relative_import(node.module, home)} import {cls}",
                            "",
                            f"        return {cls}(self._client)",
                        ]
                    )
                )
        mod.use(Ref(f"{PACKAGE}._operations", "SyncAPIResource"))
        mod.use(Ref(f"{PACKAGE}._operations", "AsyncAPIResource"))
        if children:
            mod.use(Ref("functools", "cached_property"))
        if sync or async_:
            mod.use(Ref("typing", "Unpack"))
        if any("Any" in s for s in sync):
            mod.use(Ref("typing", "Any"))
        if mod.typing:
            for t in mod.typing:
                mod.use(Ref("typing", t))
        sync_all = sync + sync_body
        async_all = async_ + async_body
        out = [
            f'"""`client.{node.path}`: generated from the OpenAPI description by codegen; do not edit."""',
            "",
            "from __future__ import annotations",
            "",
            *render_imports(mod),
        ]
        views: list[str] = []
        for prefix in ("", "Async"):
            for kind, wrapper in (
                ("RawResponse", "raw_response"),
                ("StreamingResponse", "streamed_response"),
            ):
                func = f"{'async_' if prefix else ''}to_{wrapper}_wrapper"
                lines = [
                    f"    class {prefix}{name}With{kind}:",
                    f"        def __init__(self, resource: {prefix}{name}) -> None:",
                ]
                lines += [
                    f"            self.{m} = {func}(resource.{m})" for m in node_method_names(node)
                ] or ["            pass"]
                for child in children:
                    attr = child.path.rsplit(".", 1)[-1]
                    child_view = f"{prefix}{child.name}With{kind}"
                    checking.append(
                        f"    from {relative_import(node.module, child.module)} import {child_view}"
                    )
                    lines += ["", "        @property", f"        def {attr}(self) -> {child_view}: ..."]
                views.append("\n".join(lines))
            checking.append(
                f"    from {relative_import(node.module, PACKAGE + '._raw')} import {'async_' if prefix else ''}to_raw_response_wrapper, {'async_' if prefix else ''}to_streamed_response_wrapper"
            )
        for module, names in sorted(self.typing_imports.pop(mod.path, {}).items()):
            checking.append(
                f"    from {relative_import(node.module, module)} import {', '.join(sorted(names))}"
            )
        out += ["", "from typing import TYPE_CHECKING", "", "if TYPE_CHECKING:", *checking]
        out += ["", f"__all__ = [{', '.join(repr(x) for x in sorted((name, 'Async' + name)))}]", ""]
        if args_blocks:
            indented = [
                "\n".join("    " + line if line else line for line in b.split("\n")) for b in args_blocks
            ]
            out += ["", "if TYPE_CHECKING:", "", "\n\n".join(indented), ""]
        if ops:
            out += ["", *ops, ""]
        for prefix, members in (("", sync_all), ("Async", async_all)):
            # For type checkers only: what each method returns through the views. At run
            # time one generic view (openai_actors/_operations.py) serves every resource.
            typed_views = "\n".join(
                [
                    "    if TYPE_CHECKING:",
                    "",
                    "        @property",
                    f"        def with_raw_response(self) -> {prefix}{name}WithRawResponse: ...",
                    "",
                    "        @property",
                    f"        def with_streaming_response(self) -> {prefix}{name}WithStreamingResponse: ...",
                ]
            )
            base = "AsyncAPIResource" if prefix else "SyncAPIResource"
            out += ["", f"class {prefix}{name}({base}):", "\n\n".join([*members, typed_views]), "", ""]
        out += ["if TYPE_CHECKING:", "", "\n\n".join(views), ""]
        return "\n".join(out)


def _args_name(params: str) -> str:
    """The keyword-arguments twin of a params TypedDict (`CompletionCreateParams` -> `_CompletionCreateArgs`)."""
    return "_" + params.replace("Params", "Args", 1) if "Params" in params else f"_{params}Args"


def node_method_names(node: Node) -> list[str]:
    return [m.name for m in node.methods]


def _required(spec: dict[str, Any], schema: Schema) -> list[str]:
    schema = deref(spec, schema)
    out = list(schema.get("required") or ())
    for part in schema.get("allOf", ()):
        out += _required(spec, part)
    return out


def relative_import(here: str, there: str) -> str:
    """A relative import from module `here` to module `there`."""
    a = here.split(".")[:-1]
    b = there.split(".")
    common = 0
    while common < len(a) and common < len(b) and a[common] == b[common]:
        common += 1
    dots = "." * (len(a) - common + 1)
    return dots + ".".join(b[common:])


def render_imports(mod: Module) -> list[str]:
    std: list[str] = []
    local: list[str] = []
    for module in sorted(mod.imports):
        names = sorted(mod.imports[module])
        if module == "builtins":
            std.append("import builtins")
            continue
        if module.startswith(PACKAGE):
            line = f"from {relative_import(mod.path, module)} import {', '.join(names)}"
            local.append(line)
        else:
            std.append(f"from {module} import {', '.join(names)}")
    return std + ([""] if std and local else []) + local
