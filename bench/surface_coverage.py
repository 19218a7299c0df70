"""How much of the official SDK's surface (openai 3.3.1) openai_actors has.

    python bench/surface_coverage.py [--json]

Three figures, each with the names it misses:

(a) methods: the methods of codegen/spec/sdk-api-3.3.1.md's table (read with
    `codegen.spec.load_table()`) present on both an `OpenAI` and an
    `AsyncOpenAI` instance at the same path (`client.beta.threads.runs.create`):
    the attribute exists and is callable. The table's helper methods, which
    have no route (`files.wait_for_processing`, `...create_and_poll`), are
    counted apart;
(b) types: the table's type names importable from the same module with
    `openai` replaced by `openai_actors` (`openai_actors.types.chat`'s
    `ChatCompletionMessageParam`);
(c) top-level names: the official package's top-level names (its `__all__`
    and the names outside it that users use, listed below from 3.3.1's
    `openai/__init__.py`) present on `openai_actors`. Names a later issue
    brings (`DEFERRED`) are listed but not counted; nor are the old v0 names,
    which exist only to raise an error.

No network, no server: the clients are built and never send. When `openai`
itself is installed, its public names are checked against the lists here,
and any it has that they do not classify are printed.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# openai 3.3.1's `openai.__all__`, verbatim.
OFFICIAL_ALL: tuple[str, ...] = (
    "types",
    "__version__",
    "__title__",
    "NoneType",
    "Transport",
    "ProxiesTypes",
    "NotGiven",
    "NOT_GIVEN",
    "not_given",
    "Omit",
    "omit",
    "OpenAIError",
    "APIError",
    "APIStatusError",
    "APITimeoutError",
    "APIConnectionError",
    "APIResponseValidationError",
    "BadRequestError",
    "AuthenticationError",
    "OAuthError",
    "PermissionDeniedError",
    "NotFoundError",
    "ConflictError",
    "UnprocessableEntityError",
    "RateLimitError",
    "InternalServerError",
    "LengthFinishReasonError",
    "ContentFilterFinishReasonError",
    "InvalidWebhookSignatureError",
    "Timeout",
    "RequestOptions",
    "DataResidency",
    "Client",
    "AsyncClient",
    "Stream",
    "AsyncStream",
    "OpenAI",
    "AsyncOpenAI",
    "BedrockOpenAI",
    "AsyncBedrockOpenAI",
    "file_from_path",
    "BaseModel",
    "DEFAULT_TIMEOUT",
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_CONNECTION_LIMITS",
    "DefaultHttpxClient",
    "DefaultAsyncHttpxClient",
    "DefaultAioHttpClient",
    "DefaultHttpx2Client",
    "DefaultAsyncHttpx2Client",
    "ReconnectingEvent",
    "ReconnectingOverrides",
    "WebSocketQueueFullError",
    "WebSocketConnectionClosedError",
)

# Imported or defined at the top of 3.3.1's `openai/__init__.py` outside `__all__`, and used.
OFFICIAL_EXTRA: tuple[str, ...] = (
    "APIResponse",
    "AsyncAPIResponse",
    "HttpxBinaryResponseContent",
    "VERSION",
    "resources",
    "AzureOpenAI",
    "AsyncAzureOpenAI",
    "pydantic_function_tool",
    "AssistantEventHandler",
    "AsyncAssistantEventHandler",
)

# The module-level client: settings (`openai.api_key = ...`) and the resources it serves.
MODULE_CLIENT: tuple[str, ...] = (
    "api_key",
    "admin_api_key",
    "organization",
    "project",
    "webhook_secret",
    "base_url",
    "timeout",
    "max_retries",
    "default_headers",
    "default_query",
    "http_client",
    "api_type",
    "api_version",
    "azure_endpoint",
    "azure_ad_token",
    "azure_ad_token_provider",
    "bedrock_token_provider",
    "admin",
    "audio",
    "batches",
    "beta",
    "chat",
    "completions",
    "containers",
    "content_provenance_checks",
    "conversations",
    "embeddings",
    "evals",
    "files",
    "fine_tuning",
    "images",
    "models",
    "moderations",
    "realtime",
    "responses",
    "skills",
    "uploads",
    "vector_stores",
    "videos",
    "webhooks",
)

# A later issue brings these: listed, not counted. Each says which issue and
# what for ("no issue yet" when none has been filed for it).
_STRUCTURED = "issue 14, structured outputs and stream helpers"
_PROVIDERS = "no issue yet, provider clients (Bedrock: AWS SigV4 or a bearer token)"
DEFERRED: dict[str, str] = {
    "BedrockOpenAI": f"{_PROVIDERS}: the Bedrock clients",
    "AsyncBedrockOpenAI": f"{_PROVIDERS}: the Bedrock clients",
    # The module-level client's settings for the clients this package does not have.
    "admin_api_key": "no issue yet, admin keys (`admin_api_key`): the module client's setting for them",
    "bedrock_token_provider": f"{_PROVIDERS}: the module client's Bedrock setting",
}

# Public attributes of `openai` that are not API: the v0 names (each raises
# "no longer supported in openai>=1.0.0" when called), submodules and
# incidental imports.
NOT_COUNTED: tuple[str, ...] = (
    "Audio",
    "ChatCompletion",
    "Completion",
    "Customer",
    "Deployment",
    "Edit",
    "Embedding",
    "Engine",
    "ErrorObject",
    "File",
    "FineTune",
    "FineTuningJob",
    "Image",
    "Model",
    "Moderation",
    "annotations",
    "auth",
    "lib",
    "override",
    "providers",
    "version",
)


def official_top_level() -> list[str]:
    """The counted official names, in the order above."""
    names = [*OFFICIAL_ALL, *OFFICIAL_EXTRA, *MODULE_CLIENT]
    return [n for n in names if n not in DEFERRED]


@dataclass
class Figure:
    present: int
    total: int
    missing: list[str] = field(default_factory=list)

    @property
    def percent(self) -> float:
        return 100.0 * self.present / self.total if self.total else 100.0


@dataclass
class Report:
    methods: Figure
    helpers: Figure
    types: Figure
    top_level: Figure
    deferred: dict[str, str]
    unclassified: list[str]  # public names of an installed `openai` that the lists above lack


def _resolve(root: object, path: str) -> object | None:
    obj: object | None = root
    for part in path.split("."):
        obj = getattr(obj, part, None)  # an error in a lazily imported module propagates
        if obj is None:
            return None
    return obj


def _on_both(clients: list[Any], resource: str, name: str) -> str | None:
    """None when the method is there on every client, else why not."""
    for client in clients:
        try:
            owner = _resolve(client, resource)
            method = getattr(owner, name, None) if owner is not None else None
        except Exception as e:
            return f"{type(e).__name__}: {e}"
        if not callable(method):
            return "absent"
    return None


def measure() -> Report:
    import openai_actors
    from codegen.spec import load_table

    table = load_table()
    clients: list[Any] = [
        openai_actors.OpenAI(api_key="sk-coverage", base_url="http://127.0.0.1:9/v1"),
        openai_actors.AsyncOpenAI(api_key="sk-coverage", base_url="http://127.0.0.1:9/v1"),
    ]
    try:
        methods = Figure(0, 0)
        for m in table.methods:
            methods.total += 1
            why = _on_both(clients, m.resource, m.name)
            if why is None:
                methods.present += 1
            else:
                methods.missing.append(_named(f"{m.resource}.{m.name}", why))
        helpers = Figure(0, 0)
        for h in table.helpers:
            helpers.total += 1
            why = _on_both(clients, h.resource, h.name)
            if why is None:
                helpers.present += 1
            else:
                helpers.missing.append(_named(f"{h.resource}.{h.name}", why))
    finally:
        clients[0].close()
        # Never used, so there is nothing to wait for: drop it without an event loop.
        del clients[1]

    types = Figure(0, 0)
    for module_name, name in table.types:
        types.total += 1
        ours = "openai_actors" + module_name[len("openai") :]
        try:
            why = None if hasattr(importlib.import_module(ours), name) else "absent"
        except Exception as e:  # not only ImportError: a module that fails to run
            why = f"{type(e).__name__}: {e}"
        if why is None:
            types.present += 1
        else:
            types.missing.append(_named(f"{ours}.{name}", why))

    top = Figure(0, 0)
    for name in official_top_level():
        top.total += 1
        if hasattr(openai_actors, name):
            top.present += 1
        else:
            top.missing.append(name)

    return Report(methods, helpers, types, top, DEFERRED, _unclassified())


def _named(name: str, why: str) -> str:
    """The name, and the error that hid it if it was not simply absent."""
    return name if why == "absent" else f"{name} ({why})"


def _unclassified() -> list[str]:
    try:
        import openai
    except ImportError:
        return []
    known = {*OFFICIAL_ALL, *OFFICIAL_EXTRA, *MODULE_CLIENT, *NOT_COUNTED}
    return sorted(n for n in dir(openai) if not n.startswith("_") and n not in known)


def _line(label: str, f: Figure) -> str:
    return f"{label}: {f.percent:.1f} % ({f.present} of {f.total})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true", help="the report as JSON")
    args = parser.parse_args()
    report = measure()
    if args.json:
        out = asdict(report)
        for key in ("methods", "helpers", "types", "top_level"):
            out[key]["percent"] = getattr(report, key).percent
        print(json.dumps(out, indent=2))
        return
    for label, f in [
        ("(a) methods on OpenAI and AsyncOpenAI", report.methods),
        ("    helper methods (no route)", report.helpers),
        ("(b) types importable from openai_actors...", report.types),
        ("(c) official top-level names", report.top_level),
    ]:
        print(_line(label, f))
        if f.missing:
            print("    missing: " + ", ".join(f.missing))
    by_issue: dict[str, list[str]] = {}
    for name, issue in report.deferred.items():
        by_issue.setdefault(issue, []).append(name)
    print("not counted in (c), a later issue's:")
    for issue, names in by_issue.items():
        print(f"    {issue}: {', '.join(names)}")
    if report.unclassified:
        print("the installed openai has names these lists lack: " + ", ".join(report.unclassified))


if __name__ == "__main__":
    main()
