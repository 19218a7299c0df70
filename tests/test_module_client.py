"""The module-level client: `openai_actors.api_key = ...; openai_actors.chat.completions.create(...)`."""

from __future__ import annotations

import ast
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

import openai_actors
from openai_actors import AzureOpenAI, OpenAI, OpenAIError
from openai_actors import _module_client as module_client
from openai_actors.mock import MockServer

from .conftest import chat_body

SETTINGS_DEFAULTS = {
    "api_key": None,
    "organization": None,
    "project": None,
    "webhook_secret": None,
    "base_url": None,
    "timeout": openai_actors.NOT_GIVEN,
    "max_retries": 2,
    "default_headers": None,
    "default_query": None,
    "http_client": None,
    "api_type": None,
    "api_version": None,
    "azure_endpoint": None,
    "azure_ad_token": None,
    "azure_ad_token_provider": None,
}


@pytest.fixture(autouse=True)
def _fresh_module_client(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Each test starts from the default settings and no client; its client is closed after it."""
    for name in (
        "AZURE_OPENAI_API_KEY",
        "AZURE_OPENAI_AD_TOKEN",
        "AZURE_OPENAI_ENDPOINT",
        "OPENAI_API_VERSION",
    ):
        monkeypatch.delenv(name, raising=False)
    for name, value in SETTINGS_DEFAULTS.items():
        monkeypatch.setattr(openai_actors, name, value)
    module_client.reset_client()
    yield
    current = module_client._current
    module_client.reset_client()
    if current is not None:
        current[1].close()


def client_now() -> OpenAI:
    return module_client.load_client()


class TestImport:
    def test_importing_and_naming_resources_builds_no_client_and_imports_no_dispatcher(self) -> None:
        code = (
            "import sys, openai_actors\n"
            "from openai_actors import chat, files\n"
            "openai_actors.api_key = 'sk-x'\n"
            "assert repr(openai_actors.embeddings).startswith('<openai_actors.embeddings')\n"
            "loaded = sorted(m for m in sys.modules if m.startswith(('anyio', 'httpx', 'openai_actors._client',"
            " 'openai_actors._dispatcher')))\n"
            "assert loaded == [], loaded\n"
            "assert openai_actors._module_client._current is None\n"
        )
        subprocess.run([sys.executable, "-c", code], check=True, timeout=60)

    def test_the_settings_defaults_are_the_clients(self) -> None:
        from openai_actors._options import DEFAULT_MAX_RETRIES

        assert DEFAULT_MAX_RETRIES == openai_actors.max_retries
        assert openai_actors.NOT_GIVEN is openai_actors.timeout

    def test_every_top_level_resource_of_the_client_is_a_module_attribute_typed_for_checkers(self) -> None:
        """The three lists agree: the client's resources, the package's lazy names, and the
        declarations type checkers read in _module_client.py."""
        from openai_actors import _LAZY

        lazy = {name for name, (module, _) in _LAZY.items() if module == "._module_client"}
        source = Path(module_client.__file__).read_text()
        declared = {
            node.target.id
            for node in ast.walk(ast.parse(source))
            if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is None
        }
        assert set(module_client.RESOURCE_NAMES) == lazy == declared
        assert {"chat", "embeddings", "files", "beta", "responses"} <= lazy
        for name in module_client.RESOURCE_NAMES:
            assert isinstance(getattr(openai_actors, name), module_client._ResourceProxy)


class TestSnapshot:
    def test_the_snapshot_lists_every_setting_in_the_order_the_client_is_built_from(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        markers = {name: object() for name in module_client.SETTING_NAMES}
        for name, marker in markers.items():
            monkeypatch.setattr(openai_actors, name, marker)
        monkeypatch.setattr(openai_actors, "default_headers", {"h": "1"})
        monkeypatch.setattr(openai_actors, "default_query", {"q": "1"})
        markers.update(default_headers={"h": "1"}, default_query={"q": "1"})  # type: ignore[arg-type]
        snapshot = module_client._snapshot(openai_actors)
        assert markers == dict(zip(module_client.SETTING_NAMES, snapshot, strict=True))

    def test_a_mapping_changed_in_place_changes_the_snapshot(self, monkeypatch: pytest.MonkeyPatch) -> None:
        headers = {"h": "1"}
        monkeypatch.setattr(openai_actors, "default_headers", headers)
        before = module_client._snapshot(openai_actors)
        headers["h"] = "2"
        assert before != module_client._snapshot(openai_actors)


class TestRequests:
    def test_the_official_example_sends_what_the_settings_say(self, server: MockServer) -> None:
        openai_actors.api_key = "sk-module"
        openai_actors.base_url = server.url
        openai_actors.default_headers = {"x-foo": "true"}
        openai_actors.organization = "org-9"
        stream = openai_actors.chat.completions.create(**chat_body("hello there"), stream=True)
        text = "".join(chunk.choices[0].delta.content or "" for chunk in stream if chunk.choices)
        assert "echo: hello there" == text
        headers = server.requests[0].headers
        assert ("Bearer sk-module", "true", "org-9") == (
            headers["authorization"],
            headers["x-foo"],
            headers["openai-organization"],
        )

    def test_the_key_comes_from_the_environment_when_not_set(
        self, server: MockServer, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("OPENAI_API_KEY", "sk-env")
        monkeypatch.setenv("OPENAI_BASE_URL", server.url)
        openai_actors.models.list()
        assert "Bearer sk-env" == server.requests[0].headers["authorization"]

    def test_no_key_anywhere_is_the_clients_error_at_first_use(self) -> None:
        with pytest.raises(OpenAIError, match="OPENAI_API_KEY"):
            openai_actors.chat.completions.create(**chat_body())

    def test_with_raw_response_works_through_the_proxy(self, server: MockServer) -> None:
        openai_actors.api_key = "k"
        openai_actors.base_url = server.url
        raw = openai_actors.chat.completions.with_raw_response.create(**chat_body("raw"))
        assert "echo: raw" == raw.parse().choices[0].message.content


class TestSettingsChangedLater:
    def test_changes_take_effect_at_the_next_access_on_the_same_dispatcher(self, server: MockServer) -> None:
        openai_actors.api_key = "k1"
        openai_actors.base_url = server.url
        openai_actors.default_headers = {"x-a": "1"}
        openai_actors.models.list()
        first = client_now()
        openai_actors.api_key = "k2"
        assert openai_actors.default_headers is not None
        openai_actors.default_headers["x-a"] = "2"  # type: ignore[index]  # changed in place
        openai_actors.max_retries = 0
        openai_actors.default_query = {"q": "v"}
        openai_actors.models.list()
        second = client_now()
        assert [("Bearer k1", "1", {}), ("Bearer k2", "2", {"q": ["v"]})] == [
            (r.headers["authorization"], r.headers["x-a"], r.query) for r in server.requests
        ]
        assert (0, first._core) == (second.max_retries, second._core)  # no new thread, no new connections
        assert 1 == server.connections_opened

    def test_unchanged_settings_reuse_the_client(self, server: MockServer) -> None:
        openai_actors.api_key = "k"
        openai_actors.base_url = server.url
        openai_actors.models.list()
        assert client_now() is client_now()

    def test_a_resource_imported_by_name_follows_the_settings(self, server: MockServer) -> None:
        from openai_actors import models

        openai_actors.api_key = "k1"
        openai_actors.base_url = server.url
        models.list()
        openai_actors.api_key = "k2"
        models.list()
        assert ["Bearer k1", "Bearer k2"] == [r.headers["authorization"] for r in server.requests]

    def test_a_new_http_client_gets_a_new_dispatcher_through_it(self, server: MockServer) -> None:
        openai_actors.api_key = "k"
        openai_actors.base_url = server.url
        openai_actors.models.list()
        first = client_now()
        seen: list[str] = []

        def record(request: httpx.Request) -> httpx.Response:
            seen.append(str(request.url))
            return httpx.Response(200, json={"object": "list", "data": []})

        with httpx.Client(transport=httpx.MockTransport(record)) as http:
            openai_actors.http_client = http
            openai_actors.models.list()
            assert first._core is not client_now()._core
            client_now().close()
        assert [f"{server.url}/models"] == seen
        assert 1 == len(server.requests)

    def test_a_closed_module_client_is_replaced_at_the_next_use(self, server: MockServer) -> None:
        openai_actors.api_key = "k"
        openai_actors.base_url = server.url
        openai_actors.models.list()
        first = client_now()
        first.close()
        openai_actors.models.list()
        assert first is not client_now()
        assert not client_now().is_closed()
        assert 2 == len(server.requests)

    def test_threads_sharing_the_module_client_build_it_once(self, server: MockServer) -> None:
        openai_actors.api_key = "k"
        openai_actors.base_url = server.url
        clients: list[OpenAI] = []
        errors: list[BaseException] = []
        start = threading.Barrier(8)

        def ask(i: int) -> None:
            start.wait()
            try:
                r = openai_actors.chat.completions.create(**chat_body(f"t{i}"))
                assert f"echo: t{i}" == r.choices[0].message.content
                clients.append(client_now())
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=ask, args=(i,)) for i in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert [] == errors
        assert 1 == len({id(c) for c in clients})
        assert 8 == len(server.requests)


class TestApiType:
    def test_an_azure_endpoint_makes_an_azure_client(self, server: MockServer) -> None:
        openai_actors.azure_endpoint = server.url.removesuffix("/v1")
        openai_actors.api_version = "2024-10-21"
        openai_actors.api_key = "az-key"
        r = openai_actors.chat.completions.create(**chat_body("az", model="dep"))
        assert "echo: az" == r.choices[0].message.content
        assert isinstance(client_now(), AzureOpenAI)
        assert "azure" == openai_actors.api_type  # decided once and written back, as the official module
        request = server.requests[0]
        assert ("/openai/deployments/dep/chat/completions", {"api-version": ["2024-10-21"]}, "az-key") == (
            request.path,
            request.query,
            request.headers["api-key"],
        )

    def test_an_azure_token_provider_is_used_by_the_azure_module_client(self, server: MockServer) -> None:
        openai_actors.api_type = "azure"
        openai_actors.azure_endpoint = server.url.removesuffix("/v1")
        openai_actors.api_version = "2024-10-21"
        openai_actors.azure_ad_token_provider = lambda: "tok"
        openai_actors.models.list()
        assert "Bearer tok" == server.requests[0].headers["authorization"]

    @pytest.mark.parametrize(
        ("environ", "settings", "expected"),
        [
            ({}, {}, "openai"),
            ({"OPENAI_API_KEY": "k"}, {}, "openai"),
            ({"AZURE_OPENAI_API_KEY": "k"}, {}, "azure"),
            ({}, {"azure_endpoint": "https://r"}, "azure"),
            ({"AZURE_OPENAI_AD_TOKEN": "t"}, {}, "azure"),
            ({}, {"azure_ad_token_provider": str}, "azure"),
        ],
    )
    def test_the_api_type_is_inferred_from_the_credentials(
        self, environ: dict[str, str], settings: dict[str, object], expected: str
    ) -> None:
        given: dict[str, object] = {
            "azure_endpoint": None,
            "azure_ad_token": None,
            "azure_ad_token_provider": None,
        }
        given.update(settings)
        assert expected == module_client.infer_api_type(environ, **given)

    @pytest.mark.parametrize(
        ("environ", "settings"),
        [
            ({"OPENAI_API_KEY": "k", "AZURE_OPENAI_API_KEY": "k"}, {}),
            ({"OPENAI_API_KEY": "k"}, {"azure_endpoint": "https://r"}),
            ({"AZURE_OPENAI_API_KEY": "k"}, {"azure_ad_token": "t"}),
        ],
    )
    def test_openai_and_azure_credentials_together_are_ambiguous(
        self, environ: dict[str, str], settings: dict[str, object]
    ) -> None:
        given: dict[str, object] = {
            "azure_endpoint": None,
            "azure_ad_token": None,
            "azure_ad_token_provider": None,
        }
        given.update(settings)
        with pytest.raises(module_client.AmbiguousModuleClientError, match="api_type"):
            module_client.infer_api_type(environ, **given)

    def test_an_api_type_set_explicitly_wins_over_the_inference(
        self, server: MockServer, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("AZURE_OPENAI_API_KEY", "az")
        openai_actors.api_type = "openai"
        openai_actors.api_key = "k"
        openai_actors.base_url = server.url
        openai_actors.models.list()
        assert type(client_now()) is OpenAI

    def test_an_unknown_api_type_is_refused_by_name(self) -> None:
        openai_actors.api_type = "amazon-bedrock"  # type: ignore[assignment]
        with pytest.raises(OpenAIError, match="api_type must be 'openai' or 'azure', not 'amazon-bedrock'"):
            openai_actors.models.list()
