"""AzureOpenAI and AsyncAzureOpenAI: settings, routes, credentials, copies, against the mock."""

from __future__ import annotations

import threading
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
import pytest

from openai_actors import (
    AsyncAzureOpenAI,
    AuthenticationError,
    AzureOpenAI,
    KeyProviderError,
    OpenAIError,
    omit,
)
from openai_actors._azure import (
    AZURE_AD_TOKEN,
    AZURE_API_KEY,
    AzureSettings,
    azure_route,
    choose_credential,
    resolve_azure,
)
from openai_actors.mock import Fault, MockServer
from openai_actors.mock._router import v1_path

from .conftest import chat_body
from .log_events import captured_events

VERSION = "2024-10-21"
AZURE_ENV = ("AZURE_OPENAI_API_KEY", "AZURE_OPENAI_AD_TOKEN", "AZURE_OPENAI_ENDPOINT", "OPENAI_API_VERSION")


@pytest.fixture(autouse=True)
def _no_azure_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in AZURE_ENV:
        monkeypatch.delenv(name, raising=False)


def endpoint_of(server: MockServer) -> str:
    """The mock as an Azure endpoint: its origin (Azure paths start at /openai/)."""
    return server.url.removesuffix("/v1")


def resolve(environ: dict[str, str] | None = None, **given: Any) -> tuple[AzureSettings, str]:
    arguments: dict[str, Any] = dict.fromkeys(
        (
            "api_version",
            "azure_endpoint",
            "azure_deployment",
            "api_key",
            "azure_ad_token",
            "azure_ad_token_provider",
            "base_url",
        )
    )
    arguments.update(given)
    return resolve_azure(environ=environ or {}, **arguments)


def settings(**changes: Any) -> AzureSettings:
    values: dict[str, Any] = {
        "api_version": VERSION,
        "endpoint": "https://r.openai.azure.com",
        "deployment": None,
        "api_key": "k",
        "azure_ad_token": None,
        "azure_ad_token_provider": None,
    }
    values.update(changes)
    return AzureSettings(**values)


class TestResolve:
    def test_the_endpoint_gives_the_openai_root_as_base_url(self) -> None:
        s, base = resolve(api_key="k", api_version=VERSION, azure_endpoint="https://r.openai.azure.com/")
        assert ("https://r.openai.azure.com/openai", "https://r.openai.azure.com", None) == (
            base,
            s.endpoint,
            s.deployment,
        )

    def test_a_deployment_is_put_in_the_base_url(self) -> None:
        s, base = resolve(api_key="k", api_version=VERSION, azure_endpoint="https://r", azure_deployment="d1")
        assert ("https://r/openai/deployments/d1", "d1") == (base, s.deployment)

    def test_base_url_is_used_as_given_and_a_deployment_then_means_nothing(self) -> None:
        s, base = resolve(api_key="k", api_version=VERSION, base_url="https://gw/x", azure_deployment="d1")
        assert ("https://gw/x", None, None) == (base, s.endpoint, s.deployment)

    def test_every_setting_can_come_from_the_environment(self) -> None:
        environ = {
            "AZURE_OPENAI_API_KEY": "env-key",
            "AZURE_OPENAI_AD_TOKEN": "env-token",
            "OPENAI_API_VERSION": "2020-01-01",
            "AZURE_OPENAI_ENDPOINT": "https://env",
        }
        s, base = resolve(environ)
        assert ("env-key", "env-token", "2020-01-01", "https://env/openai") == (
            s.api_key,
            s.azure_ad_token,
            s.api_version,
            base,
        )

    def test_arguments_win_over_the_environment(self) -> None:
        environ = {
            "AZURE_OPENAI_API_KEY": "env",
            "OPENAI_API_VERSION": "env",
            "AZURE_OPENAI_ENDPOINT": "https://env",
        }
        s, base = resolve(environ, api_key="arg", api_version="arg", azure_endpoint="https://arg")
        assert ("arg", "arg", "https://arg/openai") == (s.api_key, s.api_version, base)

    def test_no_credentials_is_an_openai_error_naming_every_way_to_give_one(self) -> None:
        with pytest.raises(OpenAIError) as info:
            resolve(api_version=VERSION, azure_endpoint="https://r")
        for way in (
            "api_key",
            "azure_ad_token",
            "azure_ad_token_provider",
            "AZURE_OPENAI_API_KEY",
            "AZURE_OPENAI_AD_TOKEN",
        ):
            assert way in str(info.value)

    def test_credentials_are_checked_before_the_version_and_the_version_before_the_endpoint(self) -> None:
        with pytest.raises(OpenAIError, match="credentials"):
            resolve()
        with pytest.raises(ValueError, match="OPENAI_API_VERSION"):
            resolve(api_key="k")
        with pytest.raises(ValueError, match="AZURE_OPENAI_ENDPOINT"):
            resolve(api_key="k", api_version=VERSION)

    def test_base_url_and_azure_endpoint_are_mutually_exclusive(self) -> None:
        with pytest.raises(ValueError, match="mutually exclusive"):
            resolve(api_key="k", api_version=VERSION, azure_endpoint="https://r", base_url="https://gw")

    def test_an_empty_key_is_no_credential(self) -> None:
        with pytest.raises(OpenAIError, match="credentials"):
            resolve({"AZURE_OPENAI_API_KEY": ""}, api_version=VERSION, azure_endpoint="https://r")

    @pytest.mark.parametrize(
        ("given", "message"),
        [
            ({"api_key": 7}, "api_key must be a str or a callable"),
            ({"azure_ad_token": b"t"}, "azure_ad_token must be a str, not bytes"),
            ({"azure_ad_token_provider": "tok"}, "azure_ad_token_provider must be a callable"),
            ({"api_key": "k", "api_version": 2024}, "api_version must be a str, not int"),
            ({"api_key": "k", "azure_deployment": 1}, "azure_deployment must be a str, not int"),
        ],
    )
    def test_a_setting_of_the_wrong_type_is_a_type_error_naming_it(
        self, given: dict[str, Any], message: str
    ) -> None:
        arguments = {"api_version": VERSION, "azure_endpoint": "https://r", **given}
        with pytest.raises(TypeError, match=message):
            resolve(**arguments)


class TestChooseCredential:
    def test_a_key_is_sent_as_the_api_key_header(self) -> None:
        assert ("k", AZURE_API_KEY) == choose_credential(settings(api_key="k"))
        assert ("api-key", "") == (AZURE_API_KEY.header, AZURE_API_KEY.prefix)

    def test_a_token_wins_over_a_provider_and_a_provider_over_a_key(self) -> None:
        def provider() -> str:
            return "p"

        assert ("t", AZURE_AD_TOKEN) == choose_credential(
            settings(api_key="k", azure_ad_token="t", azure_ad_token_provider=provider)
        )
        assert (provider, AZURE_AD_TOKEN) == choose_credential(
            settings(api_key="k", azure_ad_token_provider=provider)
        )
        assert ("Authorization", "Bearer ") == (AZURE_AD_TOKEN.header, AZURE_AD_TOKEN.prefix)

    def test_a_token_in_the_environment_wins_over_a_key_argument_as_in_the_official_sdk(self) -> None:
        s, _ = resolve(
            {"AZURE_OPENAI_AD_TOKEN": "env-token"},
            api_key="k",
            api_version=VERSION,
            azure_endpoint="https://r",
        )
        assert ("env-token", AZURE_AD_TOKEN) == choose_credential(s)


class TestRoute:
    @pytest.mark.parametrize(
        ("path", "params", "base_path", "expected"),
        [
            ("chat/completions", {"model": "gpt"}, "/openai/", "deployments/gpt/chat/completions"),
            ("/embeddings", {"model": "emb"}, "/openai/", "deployments/emb/embeddings"),
            (
                "audio/transcriptions",
                {"model": "whisper"},
                "/openai/",
                "deployments/whisper/audio/transcriptions",
            ),
            ("images/edits", {"model": "dalle"}, "/openai/", "deployments/dalle/images/edits"),
            ("chat/completions", {"model": "a/b"}, "/openai/", "deployments/a%2Fb/chat/completions"),
            # No model, or a base URL that already names a deployment: left alone.
            ("chat/completions", {}, "/openai/", "chat/completions"),
            ("chat/completions", None, "/openai/", "chat/completions"),
            ("chat/completions", {"model": "gpt"}, "/openai/deployments/d1/", "chat/completions"),
            # Not a deployment endpoint: relative to the base URL.
            ("responses", {"model": "gpt"}, "/openai/", "responses"),
            ("files", None, "/openai/", "files"),
        ],
    )
    def test_routes_without_a_configured_deployment(
        self, path: str, params: dict[str, Any] | None, base_path: str, expected: str
    ) -> None:
        assert expected == azure_route(path, params, base_path, settings())

    def test_with_a_deployment_the_other_endpoints_go_to_the_openai_root(self) -> None:
        s = settings(deployment="d1")
        base = "/openai/deployments/d1/"
        assert "https://r.openai.azure.com/openai/files" == azure_route("files", None, base, s)
        assert "https://r.openai.azure.com/openai/batches/b1" == azure_route("/batches/b1", None, base, s)
        assert "chat/completions" == azure_route("chat/completions", {"model": "x"}, base, s)
        assert "https://elsewhere/x" == azure_route("https://elsewhere/x", None, base, s)

    def test_a_model_that_cannot_name_a_deployment_is_refused(self) -> None:
        with pytest.raises(ValueError, match="model"):
            azure_route("chat/completions", {"model": ".."}, "/openai/", settings())
        with pytest.raises(TypeError, match="model must be a str"):
            azure_route("chat/completions", {"model": 4}, "/openai/", settings())

    def test_the_mock_serves_azure_paths_as_v1_routes(self) -> None:
        assert "/v1/chat/completions" == v1_path("/openai/deployments/d/chat/completions")
        assert "/v1/files/f1" == v1_path("/openai/files/f1")
        assert "/v1/realtime" == v1_path("/openai/v1/realtime")  # Azure's v1 API
        assert "/v1/models" == v1_path("/v1/models")


class TestConstruction:
    def test_data_residency_is_refused_with_the_reason(self) -> None:
        with pytest.raises(OpenAIError, match="endpoint"):
            AzureOpenAI(api_key="k", api_version=VERSION, azure_endpoint="https://r", data_residency="eu")  # type: ignore[arg-type]
        client = AzureOpenAI(api_key="k", api_version=VERSION, azure_endpoint="https://r")
        with pytest.raises(OpenAIError, match="endpoint"):
            client.with_options(data_residency="eu")  # type: ignore[arg-type]
        client.close()

    def test_openai_settings_are_not_read(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """OPENAI_API_KEY is not an Azure key, nor OPENAI_BASE_URL an Azure endpoint."""
        monkeypatch.setenv("OPENAI_API_KEY", "sk-openai")
        monkeypatch.setenv("OPENAI_BASE_URL", "https://api.openai.com/v1")
        with pytest.raises(OpenAIError, match="credentials"):
            AzureOpenAI(api_version=VERSION, azure_endpoint="https://r")
        client = AzureOpenAI(api_key="k", api_version=VERSION, azure_endpoint="https://r")
        assert "https://r/openai/" == client.base_url
        client.close()

    def test_api_key_reads_as_in_the_official_sdk(self) -> None:
        keyed = AzureOpenAI(api_key="k", api_version=VERSION, azure_endpoint="https://r")
        token = AzureOpenAI(azure_ad_token="secret-token", api_version=VERSION, azure_endpoint="https://r")
        assert ("k", "<missing API key>") == (keyed.api_key, token.api_key)
        assert "secret-token" not in repr(token) + repr(token._options) + repr(token._options.keys)
        keyed.close()
        token.close()

    def test_the_settings_never_show_a_credential(self) -> None:
        shown = repr(settings(api_key="sk-secret-key", azure_ad_token="secret-token"))
        assert "secret" not in shown
        assert VERSION in shown

    def test_a_token_that_cannot_be_sent_is_refused_without_showing_it(self) -> None:
        with pytest.raises(KeyProviderError) as info:
            AzureOpenAI(azure_ad_token="secret\nx", api_version=VERSION, azure_endpoint="https://r")
        assert "secret" not in str(info.value)
        assert "azure_ad_token" in str(info.value)


@pytest.mark.anyio
class TestWhatIsSent:
    async def test_a_chat_completion_goes_to_the_models_deployment_with_the_api_key_header(
        self, server: MockServer
    ) -> None:
        async with AsyncAzureOpenAI(
            api_key="az-key", api_version=VERSION, azure_endpoint=endpoint_of(server)
        ) as client:
            r = await client.chat.completions.create(**chat_body("hello", model="my-gpt"))
        assert "echo: hello" == r.choices[0].message.content
        request = server.requests[0]
        assert ("POST", "/openai/deployments/my-gpt/chat/completions") == (request.method, request.path)
        assert {"api-version": [VERSION]} == request.query
        assert "az-key" == request.headers["api-key"]
        assert "authorization" not in request.headers
        assert "my-gpt" == request.json()["model"]

    async def test_with_a_deployment_chat_goes_to_it_and_files_to_the_openai_root(
        self, server: MockServer
    ) -> None:
        async with AsyncAzureOpenAI(
            api_key="k", api_version=VERSION, azure_endpoint=endpoint_of(server), azure_deployment="dep"
        ) as client:
            await client.chat.completions.create(**chat_body(model="<ignored>"))
            await client.files.list()
            await client.models.list()
        assert [
            "/openai/deployments/dep/chat/completions",
            "/openai/files",
            "/openai/models",
        ] == [r.path for r in server.requests]
        assert all({"api-version": [VERSION]}.items() <= r.query.items() for r in server.requests)

    async def test_a_multipart_request_is_routed_by_its_model(self, server: MockServer) -> None:
        async with AsyncAzureOpenAI(
            api_key="k", api_version=VERSION, azure_endpoint=endpoint_of(server)
        ) as client:
            await client.audio.transcriptions.create(model="whisper-dep", file=("a.wav", b"RIFF"))
        assert "/openai/deployments/whisper-dep/audio/transcriptions" == server.requests[0].path

    async def test_other_endpoints_keep_their_path_and_get_the_version(self, server: MockServer) -> None:
        async with AsyncAzureOpenAI(
            api_key="k", api_version=VERSION, azure_endpoint=endpoint_of(server)
        ) as client:
            await client.responses.create(model="gpt", input="hi")
            await client.embeddings.create(model="emb", input="hi")
        assert ["/openai/responses", "/openai/deployments/emb/embeddings"] == [
            r.path for r in server.requests
        ]
        assert [{"api-version": [VERSION]}] * 2 == [r.query for r in server.requests]

    async def test_batch_lines_are_routed_like_calls(self, server: MockServer) -> None:
        """client.batch() sends each line through the same routing: its model names the deployment."""
        lines = [
            {
                "custom_id": "a",
                "method": "POST",
                "url": "/v1/chat/completions",
                "body": chat_body(model="dep-1"),
            },
            {
                "custom_id": "b",
                "method": "POST",
                "url": "/v1/embeddings",
                "body": {"model": "emb", "input": "x"},
            },
        ]
        async with AsyncAzureOpenAI(
            api_key="k", api_version=VERSION, azure_endpoint=endpoint_of(server)
        ) as client:
            ids = [result.custom_id async for result in client.batch(lines)]
        assert ["a", "b"] == sorted(ids)
        assert {"/openai/deployments/dep-1/chat/completions", "/openai/deployments/emb/embeddings"} == {
            r.path for r in server.requests
        }

    async def test_organization_project_and_websocket_base_url_are_kept(self, server: MockServer) -> None:
        async with AsyncAzureOpenAI(
            api_key="k",
            api_version=VERSION,
            azure_endpoint=endpoint_of(server),
            organization="org-1",
            project="proj-1",
            websocket_base_url="wss://r.example/openai",
        ) as client:
            await client.models.list()
            assert "wss://r.example/openai" == client.websocket_base_url
        headers = server.requests[0].headers
        assert ("org-1", "proj-1") == (headers["openai-organization"], headers["openai-project"])

    async def test_default_query_is_kept_beside_the_version(self, server: MockServer) -> None:
        async with AsyncAzureOpenAI(
            api_key="k",
            api_version=VERSION,
            base_url=server.url.removesuffix("/v1") + "/openai/deployments/d9",
            default_query={"trace": "1", "api-version": "overridden"},
        ) as client:
            await client.chat.completions.create(**chat_body())
        request = server.requests[0]
        assert "/openai/deployments/d9/chat/completions" == request.path
        assert {"trace": ["1"], "api-version": [VERSION]} == request.query

    async def test_a_static_token_is_sent_as_a_bearer_token(self, server: MockServer) -> None:
        async with AsyncAzureOpenAI(
            azure_ad_token="tok-1", api_version=VERSION, azure_endpoint=endpoint_of(server)
        ) as client:
            await client.chat.completions.create(**chat_body())
        headers = server.requests[0].headers
        assert "Bearer tok-1" == headers["authorization"]
        assert "api-key" not in headers

    async def test_a_caller_supplied_or_omitted_api_key_header_is_respected(self, server: MockServer) -> None:
        async with AsyncAzureOpenAI(
            api_key="k", api_version=VERSION, azure_endpoint=endpoint_of(server)
        ) as client:
            await client.models.list(extra_headers={"api-key": "per-call"})
            await client.with_options(default_headers={"api-key": omit}).models.list()
        assert ["per-call", None] == [r.headers.get("api-key") for r in server.requests]


@pytest.mark.anyio
class TestSecrecy:
    async def test_no_key_or_token_appears_in_an_error_or_a_log_event(self, server: MockServer) -> None:
        path = "/openai/deployments/gpt-4o-mini/chat/completions"
        server.script(Fault(status=401, path=path, headers={"x-should-retry": "false"}))
        server.script(Fault(status=400, path=path))
        shown: list[str] = []
        with captured_events() as events:
            async with AsyncAzureOpenAI(
                api_key="az-secret-key", api_version=VERSION, azure_endpoint=endpoint_of(server)
            ) as client:
                with pytest.raises(AuthenticationError) as first:
                    await client.chat.completions.create(**chat_body())
                with pytest.raises(OpenAIError) as second:
                    await client.chat.completions.create(
                        **chat_body(), extra_headers={"api-key": "az-secret-per-call"}
                    )
                for info in (first, second):
                    error: Any = info.value
                    shown += [str(error), repr(error.request), repr(dict(error.request.headers))]
                shown += [repr(client), repr(client._options), repr(client._azure)]
        assert events, "debug events were expected"
        shown += [repr(e) for e in events]
        assert [] == [text for text in shown if "secret" in text]
        assert ["az-secret-key", "az-secret-per-call"] == [r.headers["api-key"] for r in server.requests]


class TokenProvider:
    """A sync Entra ID token provider: tok1, tok2, ...; counts its calls."""

    def __init__(self) -> None:
        self.calls = 0
        self._lock = threading.Lock()

    def __call__(self) -> str:
        with self._lock:
            self.calls += 1
            return f"tok{self.calls}"


def bearer_tokens(server: MockServer) -> list[str | None]:
    return [r.headers.get("authorization") for r in server.requests]


@pytest.mark.anyio
class TestTokenProvider:
    @pytest.mark.parametrize("kind", ["sync", "async"])
    async def test_the_provider_is_called_once_for_many_concurrent_requests(
        self, server: MockServer, kind: str
    ) -> None:
        tokens = TokenProvider()

        async def async_tokens() -> str:
            await anyio.lowlevel.checkpoint()
            return tokens()

        provider: Callable[[], str] | Callable[[], Awaitable[str]] = (
            tokens if kind == "sync" else async_tokens
        )
        async with AsyncAzureOpenAI(
            azure_ad_token_provider=provider, api_version=VERSION, azure_endpoint=endpoint_of(server)
        ) as client:
            async with anyio.create_task_group() as tg:
                for i in range(20):
                    tg.start_soon(lambda i=i: client.chat.completions.create(**chat_body(f"r{i}")))
        assert 1 == tokens.calls
        assert ["Bearer tok1"] * 20 == bearer_tokens(server)

    async def test_a_401_fetches_a_new_token_and_retries_once(self, server: MockServer) -> None:
        tokens = TokenProvider()
        server.script(Fault(status=401, path="/openai/deployments/gpt-4o-mini/chat/completions"))
        async with AsyncAzureOpenAI(
            azure_ad_token_provider=tokens,
            api_version=VERSION,
            azure_endpoint=endpoint_of(server),
            max_retries=0,
        ) as client:
            r = await client.chat.completions.create(**chat_body("again"))
        assert "echo: again" == r.choices[0].message.content
        assert ["Bearer tok1", "Bearer tok2"] == bearer_tokens(server)

    async def test_a_static_key_rejected_with_401_is_final(self, server: MockServer) -> None:
        server.script(Fault(status=401, path="/openai/deployments/gpt-4o-mini/chat/completions"))
        async with AsyncAzureOpenAI(
            api_key="k", api_version=VERSION, azure_endpoint=endpoint_of(server)
        ) as client:
            with pytest.raises(AuthenticationError):
                await client.chat.completions.create(**chat_body())
        assert 1 == len(server.requests)

    async def test_a_provider_returning_no_string_fails_that_request_only_without_showing_the_value(
        self, server: MockServer
    ) -> None:
        answers: list[object] = [b"secret-bytes", "tok-good"]

        def provider() -> object:
            return answers.pop(0)

        async with AsyncAzureOpenAI(
            azure_ad_token_provider=provider,  # type: ignore[arg-type]
            api_version=VERSION,
            azure_endpoint=endpoint_of(server),
        ) as client:
            with pytest.raises(KeyProviderError) as info:
                await client.chat.completions.create(**chat_body())
            r = await client.chat.completions.create(**chat_body("recovered"))
        message = str(info.value)
        assert "token returned by the azure_ad_token_provider" in message
        assert "is a bytes, not a str" in message
        assert "secret" not in message
        assert "echo: recovered" == r.choices[0].message.content
        assert ["Bearer tok-good"] == bearer_tokens(server)


@pytest.mark.anyio
class TestCopies:
    async def test_with_options_keeps_the_azure_settings_and_the_fetched_token(
        self, server: MockServer
    ) -> None:
        tokens = TokenProvider()
        async with AsyncAzureOpenAI(
            azure_ad_token_provider=tokens,
            api_version=VERSION,
            azure_endpoint=endpoint_of(server),
            azure_deployment="dep",
        ) as client:
            await client.chat.completions.create(**chat_body())
            copy = client.with_options(max_retries=0, default_query={"x": "1"})
            await copy.chat.completions.create(**chat_body())
            await copy.files.list()
        assert [
            "/openai/deployments/dep/chat/completions",
            "/openai/deployments/dep/chat/completions",
            "/openai/files",
        ] == [r.path for r in server.requests]
        assert [VERSION] * 3 == [r.query["api-version"][0] for r in server.requests]
        assert ["1", "1"] == [r.query["x"][0] for r in server.requests[1:]]
        assert ["Bearer tok1"] * 3 == bearer_tokens(server)
        assert 1 == tokens.calls
        assert isinstance(copy, AsyncAzureOpenAI)

    async def test_with_options_can_change_the_version_and_the_credential(self, server: MockServer) -> None:
        async with AsyncAzureOpenAI(
            api_key="k", api_version=VERSION, azure_endpoint=endpoint_of(server)
        ) as client:
            await client.with_options(api_version="2099-01-01").models.list()
            await client.with_options(azure_ad_token="tok-x").models.list()
            await client.with_options(api_key="k2").models.list()
            await client.with_options(set_default_query={"only": "this"}).models.list()
        assert ["2099-01-01", VERSION, VERSION, VERSION] == [
            r.query["api-version"][0] for r in server.requests
        ]
        assert [("k", None), (None, "Bearer tok-x"), ("k2", None), ("k", None)] == [
            (r.headers.get("api-key"), r.headers.get("authorization")) for r in server.requests
        ]
        assert ["this"] == server.requests[3].query["only"]

    async def test_a_new_base_url_drops_the_endpoints_deployment_routing(self, server: MockServer) -> None:
        async with AsyncAzureOpenAI(
            api_key="k", api_version=VERSION, azure_endpoint="https://unused.example", azure_deployment="dep"
        ) as client:
            await client.with_options(base_url=server.url).files.list()
        assert "/v1/files" == server.requests[0].path


class TestSyncClient:
    def test_the_sync_client_routes_authenticates_and_caches_the_token(self, server: MockServer) -> None:
        tokens = TokenProvider()
        with AzureOpenAI(
            azure_ad_token_provider=tokens, api_version=VERSION, azure_endpoint=endpoint_of(server)
        ) as client:
            results: list[str | None] = []

            def ask(i: int) -> None:
                r = client.chat.completions.create(**chat_body(f"t{i}", model="dep-a"))
                results.append(r.choices[0].message.content)

            threads = [threading.Thread(target=ask, args=(i,)) for i in range(8)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            client.with_options(api_key="kk", azure_ad_token=None).embeddings.create(model="emb", input="x")
        assert sorted(f"echo: t{i}" for i in range(8)) == sorted(r for r in results if r)
        assert 1 == tokens.calls
        paths = [r.path for r in server.requests]
        assert ["/openai/deployments/dep-a/chat/completions"] * 8 == paths[:8]
        assert "/openai/deployments/emb/embeddings" == paths[8]
        assert ["Bearer tok1"] * 9 == bearer_tokens(server)  # the provider still wins over a key
        assert all(r.query == {"api-version": [VERSION]} for r in server.requests)

    def test_the_environment_configures_the_sync_client(
        self, server: MockServer, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("AZURE_OPENAI_API_KEY", "env-key")
        monkeypatch.setenv("AZURE_OPENAI_ENDPOINT", endpoint_of(server))
        monkeypatch.setenv("OPENAI_API_VERSION", "2023-05-15")
        with AzureOpenAI() as client:
            client.chat.completions.create(**chat_body())
        request = server.requests[0]
        assert ("env-key", {"api-version": ["2023-05-15"]}) == (request.headers["api-key"], request.query)
