"""AsyncOpenAI: options, environment, headers, life cycle, resources, errors."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import threading
from typing import Any

import anyio
import httpx
import pytest

from openai_actors import (
    NOT_GIVEN,
    APIResponseValidationError,
    AsyncOpenAI,
    AuthenticationError,
    BadRequestError,
    ClientClosedError,
    ConflictError,
    DefaultAsyncHttpxClient,
    DefaultHttpxClient,
    InternalServerError,
    NotFoundError,
    OpenAIError,
    PermissionDeniedError,
    RateLimit,
    RateLimitError,
    UnprocessableEntityError,
    omit,
)
from openai_actors._request import path_param
from openai_actors.mock import Fault, MockServer

from .conftest import chat_body, client_for

CHAT = "/v1/chat/completions"


class TestConstruction:
    def test_a_missing_api_key_is_an_openai_error_at_construction(self) -> None:
        with pytest.raises(OpenAIError, match="OPENAI_API_KEY"):
            AsyncOpenAI()

    def test_options_come_from_the_environment(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("OPENAI_API_KEY", "sk-env")
        monkeypatch.setenv("OPENAI_ORG_ID", "org-env")
        monkeypatch.setenv("OPENAI_PROJECT_ID", "proj-env")
        monkeypatch.setenv("OPENAI_BASE_URL", "http://localhost:9/v2")
        monkeypatch.setenv("OPENAI_WEBHOOK_SECRET", "whsec_env")
        client = AsyncOpenAI()
        assert ("sk-env", "org-env", "proj-env", "http://localhost:9/v2/", "whsec_env") == (
            client.api_key,
            client.organization,
            client.project,
            client.base_url,
            client.webhook_secret,
        )

    @pytest.mark.parametrize(
        ("env", "expected"),
        [
            ({}, "certifi"),
            ({"SSL_CERT_FILE": ""}, "certifi"),
            ({"SSL_CERT_FILE": "", "SSL_CERT_DIR": ""}, "certifi"),
            ({"SSL_CERT_FILE": "/ca.pem"}, ("/ca.pem", None)),
            ({"SSL_CERT_FILE": "/ca.pem", "SSL_CERT_DIR": "/certs"}, ("/ca.pem", None)),
            ({"SSL_CERT_DIR": "/certs"}, (None, "/certs")),
            ({"SSL_CERT_FILE": "", "SSL_CERT_DIR": "/certs"}, (None, "/certs")),
        ],
    )
    def test_tls_trusts_what_httpx_would_trust(
        self, env: dict[str, str], expected: object, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """SSL_CERT_FILE, else SSL_CERT_DIR, else certifi; set but empty counts as unset. (An
        empty SSL_CERT_FILE used to mean the system's store instead of certifi's, and with
        SSL_CERT_DIR beside it, a FileNotFoundError.)"""
        import ssl

        import certifi

        from openai_actors import _connection

        asked: list[tuple[str | None, str | None]] = []
        real = ssl.create_default_context

        def spy(
            *args: Any, cafile: str | None = None, capath: str | None = None, **kw: Any
        ) -> ssl.SSLContext:
            asked.append((cafile, capath))
            return real(*args, cafile=certifi.where(), **kw)  # the paths above need not exist

        for name in ("SSL_CERT_FILE", "SSL_CERT_DIR"):
            monkeypatch.delenv(name, raising=False)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        monkeypatch.setattr(_connection, "_ssl_context", None)
        monkeypatch.setattr(ssl, "create_default_context", spy)
        _connection.shared_ssl_context()
        assert [(certifi.where(), None) if expected == "certifi" else expected] == asked

    def test_arguments_win_over_the_environment(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("OPENAI_API_KEY", "sk-env")
        monkeypatch.setenv("OPENAI_BASE_URL", "http://localhost:9/v2")
        client = AsyncOpenAI(api_key="sk-arg", base_url="http://localhost:8/v1")
        assert ("sk-arg", "http://localhost:8/v1/") == (client.api_key, client.base_url)

    def test_defaults(self) -> None:
        client = AsyncOpenAI(api_key="sk")
        assert ("https://api.openai.com/v1/", 2) == (client.base_url, client.max_retries)
        assert (5.0, 600.0, 600.0, 600.0) == tuple(client.timeout)
        assert client.websocket_base_url is None

    @pytest.mark.parametrize(
        ("options", "error", "message"),
        [
            ({"base_url": "ftp://x"}, ValueError, "http:// or https://"),
            ({"base_url": "http://h:port/v1"}, ValueError, "invalid port"),
            ({"timeout": -1}, ValueError, "zero or more"),
            ({"timeout": "10"}, TypeError, "number of seconds"),
            ({"timeout": True}, TypeError, "not a bool"),
            ({"max_retries": -1}, ValueError, "non-negative"),
            ({"max_retries": 1.5}, TypeError, "non-negative int"),
            ({"max_retries": None}, TypeError, "non-negative int"),
            ({"default_headers": {"X-Bad": "a\nb"}}, ValueError, "cannot be sent"),
            ({"default_headers": {"X-Num": 1}}, TypeError, "must be a str"),
            ({"default_headers": ["x"]}, TypeError, "must be a mapping"),
            ({"organization": 5}, TypeError, "organization must be a str"),
            ({"api_key": 5}, TypeError, "api_key must be a str or a callable"),
            ({"max_connections": 0}, ValueError, "max_connections"),
            ({"http_client": object()}, TypeError, "http_client must be an httpx.AsyncClient"),
            ({"http_client": httpx.Client()}, TypeError, "http_client must be an httpx.AsyncClient"),
        ],
    )
    def test_bad_options_fail_at_construction_naming_the_option(
        self, options: dict[str, Any], error: type[Exception], message: str
    ) -> None:
        options.setdefault("api_key", "sk-test")
        with pytest.raises(error, match=message):
            AsyncOpenAI(**options)

    def test_a_key_that_cannot_be_sent_is_refused_without_showing_it(self) -> None:
        with pytest.raises(OpenAIError) as info:
            AsyncOpenAI(api_key="sk-secret-value\n")
        assert "sk-secret-value" not in str(info.value)
        assert "position 15" in str(info.value)

    def test_the_key_is_not_in_the_repr(self) -> None:
        assert "sk-secret" not in repr(AsyncOpenAI(api_key="sk-secret"))

    def test_timeout_accepts_an_httpx_timeout_and_none(self) -> None:
        client = AsyncOpenAI(api_key="sk", timeout=httpx.Timeout(3.0, connect=1.0))
        assert httpx.Timeout(3.0, connect=1.0) == client.timeout
        assert AsyncOpenAI(api_key="sk", timeout=None).timeout is None

    def test_default_httpx_clients_carry_the_sdk_defaults(self) -> None:
        for client in (DefaultHttpxClient(), DefaultAsyncHttpxClient()):
            assert (httpx.Timeout(600.0, connect=5.0), True) == (client.timeout, client.follow_redirects)


@pytest.mark.anyio
class TestWhatIsSent:
    async def test_headers_sent_with_every_request(self, server: MockServer) -> None:
        async with client_for(server, organization="org-1", project="proj-1") as client:
            await client.chat.completions.create(**chat_body())
        headers = server.requests[0].headers
        assert {
            "authorization": "Bearer sk-test",
            "openai-organization": "org-1",
            "openai-project": "proj-1",
            "content-type": "application/json",
            "accept": "application/json",
            "x-stainless-retry-count": "0",
            "x-stainless-lang": "python",
        }.items() <= headers.items()
        assert headers["user-agent"].startswith("openai-actors/")

    async def test_the_body_is_the_parameters_as_json(self, server: MockServer) -> None:
        async with client_for(server) as client:
            await client.chat.completions.create(**chat_body(temperature=0.5, seed=NOT_GIVEN, stop=None))
        assert {
            "model": "gpt-4o-mini",
            "messages": [{"role": "user", "content": "hi"}],
            "temperature": 0.5,
            "stop": None,
        } == server.requests[0].json()

    async def test_generators_are_sent_as_lists(self, server: MockServer) -> None:
        """Parameters typed Iterable may be generators, as with the official SDK."""
        async with client_for(server) as client:
            messages = ({"role": "user", "content": c} for c in ["a", "b"])
            r = await client.chat.completions.create(model="m", messages=messages)
        assert "echo: b" == r.choices[0].message.content

    async def test_default_and_extra_headers_and_query(self, server: MockServer) -> None:
        async with client_for(
            server,
            default_headers={"X-Team": "a", "X-Stainless-Lang": omit},
            default_query={"api-version": "1"},
        ) as client:
            await client.chat.completions.create(
                **chat_body(),
                extra_headers={"X-Call": "b", "x-team": "override"},
                extra_query={"trace": True, "filter": {"kind": "x"}},
                extra_body={"vendor_option": 7},
            )
        request = server.requests[0]
        assert ("override", "b") == (request.headers["x-team"], request.headers["x-call"])
        assert "x-stainless-lang" not in request.headers
        assert {"api-version": ["1"], "trace": ["true"], "filter[kind]": ["x"]} == request.query
        assert 7 == request.json()["vendor_option"]

    async def test_an_omitted_authorization_header_sends_no_key(self, server: MockServer) -> None:
        async with client_for(server, default_headers={"Authorization": omit}) as client:
            await client.models.list()
        assert "authorization" not in server.requests[0].headers

    async def test_a_caller_supplied_authorization_header_is_used_as_is(self, server: MockServer) -> None:
        async with client_for(server) as client:
            await client.models.list(extra_headers={"Authorization": "Basic abc"})
        assert "Basic abc" == server.requests[0].headers["authorization"]

    async def test_a_base_url_path_prefix_is_kept(self, server: MockServer) -> None:
        async with AsyncOpenAI(api_key="sk", base_url=server.url + "/") as client:
            await client.models.retrieve("gpt-4o-mini")
        assert "/v1/models/gpt-4o-mini" == server.requests[0].path

    async def test_path_parameters_are_escaped(self, server: MockServer) -> None:
        async with client_for(server) as client:
            with pytest.raises(NotFoundError):
                await client.models.retrieve("a/b?c")
        assert "/v1/models/a%2Fb%3Fc" == server.requests[0].path

    @pytest.mark.parametrize("value", [".", "..", ""])
    @pytest.mark.parametrize(
        "method",
        [
            "files.retrieve",
            "files.content",
            "files.delete",
            "batches.retrieve",
            "batches.cancel",
            "models.retrieve",
            "models.delete",
            "responses.retrieve",
            "responses.delete",
            "responses.cancel",
        ],
    )
    async def test_a_dot_or_empty_path_parameter_is_refused_before_anything_is_sent(
        self, server: MockServer, method: str, value: str
    ) -> None:
        """files.retrieve("..") sent GET /v1/files/.. with the key: a proxy that resolves dot
        segments sends that to /v1 (or, with more of them, anywhere on the host). As in the
        official SDK, "." and ".." are refused, like an empty value."""
        async with client_for(server) as client:
            resource, name = method.split(".")
            with pytest.raises(ValueError, match=f"{value!r}"):
                await getattr(getattr(client, resource), name)(value)
        assert [] == server.requests

    def test_a_path_parameter_with_dots_that_is_not_a_dot_segment_is_sent_escaped(self) -> None:
        assert ("...", ".a", "a%2F..") == tuple(path_param(v, "id") for v in ("...", ".a", "a/.."))

    async def test_a_body_that_is_not_json_fails_in_the_caller(self, server: MockServer) -> None:
        async with client_for(server) as client:
            with pytest.raises(TypeError, match="cannot be sent as JSON: Object of type object"):
                await client.chat.completions.create(model="m", messages=[{"content": object()}])
            with pytest.raises(ValueError, match="cannot be sent as JSON"):
                await client.chat.completions.create(**chat_body(temperature=float("nan")))
            await client.chat.completions.create(**chat_body())
        assert 1 == len(server.requests)

    @pytest.mark.parametrize(
        ("kwargs", "message"),
        [
            ({"model": "m", "messages": [], "temprature": 1}, "unexpected keyword argument 'temprature'"),
            ({"messages": []}, "missing 1 required keyword-only argument: 'model'"),
            ({}, "missing 2 required keyword-only arguments: 'messages' and 'model'"),
        ],
    )
    async def test_bad_keyword_arguments_give_the_type_error_python_would(
        self, server: MockServer, kwargs: dict[str, Any], message: str
    ) -> None:
        async with client_for(server) as client:
            with pytest.raises(TypeError, match=message):
                await client.chat.completions.create(**kwargs)
        assert [] == server.requests

    @pytest.mark.parametrize(
        ("extra", "message"),
        [
            ({"extra_headers": ["x"]}, "extra_headers must be a mapping"),
            ({"extra_query": 5}, "extra_query must be a mapping"),
            ({"extra_body": "x"}, "extra_body must be a mapping"),
            ({"timeout": -2}, "zero or more"),
            ({"extra_headers": {"X": "a\r\nInjected: 1"}}, "cannot be sent"),
        ],
    )
    async def test_bad_request_options_fail_in_the_caller(
        self, server: MockServer, extra: dict[str, Any], message: str
    ) -> None:
        async with client_for(server) as client:
            with pytest.raises((TypeError, ValueError), match=message):
                await client.chat.completions.create(**chat_body(), **extra)


@pytest.mark.anyio
class TestResources:
    async def test_embeddings_are_fetched_as_base64_and_decoded_to_floats(self, server: MockServer) -> None:
        async with client_for(server) as client:
            decoded = await client.embeddings.create(model="e", input=["a", "b"])
            floats = await client.embeddings.create(model="e", input=["a", "b"], encoding_format="float")
            raw = await client.embeddings.create(model="e", input="a", encoding_format="base64")
        assert "base64" == server.requests[0].json()["encoding_format"]
        assert [d.embedding for d in floats.data] == [d.embedding for d in decoded.data]
        assert isinstance(decoded.data[0].embedding, list)
        assert isinstance(raw.data[0].embedding, str)

    async def test_bad_base64_from_the_server_is_a_validation_error(self, server: MockServer) -> None:
        body = {
            "object": "list",
            "model": "e",
            "usage": {},
            "data": [{"object": "embedding", "index": 0, "embedding": "%%%"}],
        }
        server.script(Fault(status=200, body=body))
        async with client_for(server) as client:
            with pytest.raises(APIResponseValidationError, match="embedding 0 is not valid base64"):
                await client.embeddings.create(model="e", input="a")

    async def test_models_list_and_retrieve(self, server: MockServer) -> None:
        async with client_for(server) as client:
            page = await client.models.list()
            ids = [m.id async for m in client.models.list()]
            model = await client.models.retrieve("mock-model")
        assert ids == [m.id for m in page.data]
        assert "mock-model" in ids
        assert ("mock-model", "model") == (model.id, model.object)
        assert not page.has_next_page()
        assert model._request_id is not None

    async def test_generic_get_and_post_return_json(self, server: MockServer) -> None:
        async with client_for(server) as client:
            models = await client.get("models")
            answer = await client.post(
                "/chat/completions", body=chat_body("raw"), options={"headers": {"X-A": "1"}}
            )
        assert "list" == models["object"]
        assert "echo: raw" == answer["choices"][0]["message"]["content"]
        assert "1" == server.requests[-1].headers["x-a"]

    async def test_a_success_that_is_not_json_is_a_clear_validation_error(self, server: MockServer) -> None:
        server.script(Fault(status=200, body=b"<html>gateway</html>", headers={"content-type": "text/html"}))
        async with client_for(server) as client:
            with pytest.raises(APIResponseValidationError, match=r"is not JSON: '<html>gateway</html>'"):
                await client.chat.completions.create(**chat_body())


@pytest.mark.anyio
class TestErrors:
    @pytest.mark.parametrize(
        ("status", "error"),
        [
            (400, BadRequestError),
            (401, AuthenticationError),
            (403, PermissionDeniedError),
            (404, NotFoundError),
            (409, ConflictError),
            (422, UnprocessableEntityError),
            (429, RateLimitError),
            (500, InternalServerError),
        ],
    )
    async def test_each_status_raises_its_exception_with_the_official_attributes(
        self, server: MockServer, status: int, error: type[Exception]
    ) -> None:
        body = {"error": {"message": "it broke", "type": "some_type", "param": "model", "code": "c1"}}
        server.script(
            *[Fault(status=status, body=body, headers={"x-request-id": "req_e", "retry-after-ms": "1"})] * 3
        )
        async with client_for(server, max_retries=0) as client:
            with pytest.raises(error) as info:
                await client.chat.completions.create(**chat_body())
        exc: Any = info.value
        assert (status, "req_e", "c1", "model", "some_type") == (
            exc.status_code,
            exc.request_id,
            exc.code,
            exc.param,
            exc.type,
        )
        assert body["error"] == exc.body
        assert f"Error code: {status} - it broke" == exc.message
        assert status == exc.response.status_code
        assert "POST" == exc.request.method
        assert "authorization" not in exc.request.headers

    async def test_a_non_json_error_body_is_kept_as_text(self, server: MockServer) -> None:
        server.script(Fault(status=502, body=b"Bad Gateway", headers={"x-should-retry": "false"}))
        async with client_for(server) as client:
            with pytest.raises(InternalServerError) as info:
                await client.chat.completions.create(**chat_body())
        assert ("Bad Gateway", "Error code: 502") == (info.value.body, info.value.message)


@pytest.mark.anyio
class TestLifeCycle:
    async def test_without_async_with_the_dispatcher_starts_on_first_use(self, server: MockServer) -> None:
        client = client_for(server)
        r = await client.chat.completions.create(**chat_body("lazy"))
        assert "echo: lazy" == r.choices[0].message.content
        assert not client.is_closed()
        await client.close()
        assert client.is_closed()

    async def test_with_options_shares_the_dispatcher_and_connections(self, server: MockServer) -> None:
        async with client_for(server) as client:
            other = client.with_options(timeout=30, max_retries=5, default_headers={"X-Copy": "1"})
            await client.chat.completions.create(**chat_body())
            await other.chat.completions.create(**chat_body())
            assert other._core is client._core
            assert (30.0, 5) == (other.timeout, other.max_retries)
        assert 1 == server.connections_opened
        assert "1" == server.requests[1].headers["x-copy"]
        assert "x-copy" not in server.requests[0].headers
        assert other.is_closed()

    async def test_with_options_and_a_new_http_client_gets_its_own_dispatcher(
        self, server: MockServer
    ) -> None:
        async with client_for(server) as client, httpx.AsyncClient() as http:
            other = client.with_options(http_client=http)
            r = await other.chat.completions.create(**chat_body("via httpx"))
            assert other._core is not client._core
            await other.close()
        assert "echo: via httpx" == r.choices[0].message.content

    async def test_calls_after_close_raise_client_closed_error(self, server: MockServer) -> None:
        client = client_for(server)
        await client.close()
        with pytest.raises(ClientClosedError, match="closed"):
            await client.chat.completions.create(**chat_body())
        with pytest.raises(ClientClosedError):
            async with client:
                pass

    async def test_requests_go_through_a_users_http_client(self) -> None:
        """With http_client, the user's transport sees every request (proxies, mounts...)."""
        seen: list[httpx.Request] = []

        def handler(request: httpx.Request) -> httpx.Response:
            seen.append(request)
            return httpx.Response(200, json={"object": "list", "data": []})

        http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
        async with AsyncOpenAI(api_key="sk-x", base_url="http://test/v1", http_client=http) as client:
            page = await client.models.list()
        assert [] == page.data
        assert ("GET", "http://test/v1/models", "Bearer sk-x") == (
            seen[0].method,
            str(seen[0].url),
            seen[0].headers["authorization"],
        )

    async def test_errors_through_a_users_http_client_are_retried_and_translated(self) -> None:
        import respx

        with respx.mock(base_url="http://test/v1") as router:
            route = router.post("/chat/completions").mock(
                side_effect=[
                    httpx.ConnectError("refused"),
                    httpx.Response(500, headers={"retry-after-ms": "1"}),
                    httpx.Response(200, json={"id": "x"}),
                ]
            )
            async with AsyncOpenAI(
                api_key="sk-x", base_url="http://test/v1", http_client=httpx.AsyncClient()
            ) as client:
                r = await client.chat.completions.create(**chat_body())
        assert ("x", 3) == (r.id, route.call_count)


def run_in_new_loops(server: MockServer) -> list[str]:
    client = AsyncOpenAI(api_key="sk", base_url=server.url)

    async def ask(text: str) -> str:
        r = await client.chat.completions.create(**chat_body(text))
        return r.choices[0].message.content or ""

    return [asyncio.run(ask("first")), asyncio.run(ask("second"))]


async def ask_asyncio(client: AsyncOpenAI) -> str:
    r = await client.chat.completions.create(**chat_body("x"))
    return r.choices[0].message.content or ""


class TestEventLoops:
    def test_one_client_in_two_consecutive_asyncio_runs_works(self, server: MockServer) -> None:
        """The official SDK hangs here (openai-python #769); this client starts a new dispatcher."""
        assert ["echo: first", "echo: second"] == run_in_new_loops(server)

    def test_trio_then_asyncio(self, server: MockServer) -> None:
        import trio

        client = AsyncOpenAI(api_key="sk", base_url=server.url)

        async def ask() -> str:
            r = await client.chat.completions.create(**chat_body("x"))
            return r.choices[0].message.content or ""

        assert ["echo: x", "echo: x"] == [trio.run(ask), asyncio.run(ask())]

    def test_pacing_carries_over_to_the_next_event_loops_clock(self, server: MockServer) -> None:
        """A paced client used in one trio run whose clock reads a day later than the next
        run's: the pacer's times move to the new clock, so the next run's requests go at the
        paced rate, not a day late (trio's clocks are offset at random by hours)."""
        import trio
        import trio.testing

        client = AsyncOpenAI(
            api_key="sk", base_url=server.url, rate_limit=RateLimit(requests_per_minute=6000)
        )

        async def ask(jump: float = 0.0) -> str:
            if jump:
                trio.lowlevel.current_clock().jump(jump)  # type: ignore[attr-defined]
            with trio.fail_after(5):
                for _ in range(3):
                    r = await client.chat.completions.create(**chat_body("x"))
            return r.choices[0].message.content or ""

        a_day_on = trio.testing.MockClock(rate=1.0)
        assert "echo: x" == trio.run(ask, 86_400.0, clock=a_day_on)
        assert "echo: x" == trio.run(ask)
        assert "echo: x" == asyncio.run(ask_asyncio(client))

    def test_a_client_whose_loop_runs_in_another_thread_fails_at_once(self, server: MockServer) -> None:
        client = AsyncOpenAI(api_key="sk", base_url=server.url)
        started, release = threading.Event(), threading.Event()

        async def hold_loop() -> None:
            await client.chat.completions.create(**chat_body())
            started.set()
            await anyio.to_thread.run_sync(release.wait)

        thread = threading.Thread(target=asyncio.run, args=(hold_loop(),))
        thread.start()
        try:
            assert started.wait(10)

            async def from_here() -> None:
                await client.chat.completions.create(**chat_body())

            with pytest.raises(RuntimeError, match="another event loop that is still running"):
                asyncio.run(from_here())
        finally:
            release.set()
            thread.join(10)

    @pytest.mark.parametrize("backend", ["asyncio", "trio"])
    def test_a_client_never_closed_does_not_hang_interpreter_exit(
        self, server: MockServer, backend: str
    ) -> None:
        script = (
            "import anyio\n"
            "from openai_actors import AsyncOpenAI\n"
            f"client = AsyncOpenAI(api_key='sk', base_url={server.url!r})\n"
            "async def main():\n"
            "    r = await client.chat.completions.create(model='m', messages=[{'role': 'user', 'content': 'bye'}])\n"
            "    print(r.choices[0].message.content)\n"
            f"anyio.run(main, backend={backend!r})\n"
        )
        done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=30)
        assert (0, "echo: bye") == (done.returncode, done.stdout.strip()), done.stderr


def test_request_bodies_are_compact_utf8_json(server: MockServer) -> None:
    async def main() -> None:
        async with client_for(server) as client:
            await client.chat.completions.create(**chat_body("héllo ✓"))

    anyio.run(main)
    body = server.requests[0].body
    assert json.loads(body)["messages"][0]["content"] == "héllo ✓"
    assert b", " not in body and "✓".encode() in body
