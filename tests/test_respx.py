"""respx in users' tests: while a respx mock is active, every request goes to its routes, never out.

Each test that must not reach the network runs under `no_network`: connecting
a socket or resolving a name is refused and recorded, and the test asserts
that nothing was. Every way respx is used is covered: both mockers, the
decorator, the context manager and the `respx_mock` fixture, on the sync
client and on asyncio and trio.
"""

from __future__ import annotations

import json
import socket
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

import anyio
import httpx
import pytest
import respx
from respx.models import AllMockedAssertionError

from openai_actors import (
    APIConnectionError,
    APITimeoutError,
    AsyncOpenAI,
    NotFoundError,
    OpenAI,
    RateLimitError,
)
from openai_actors.mock import MockServer

from .conftest import chat_body

API = "https://api.openai.com/v1"
CHAT_URL = f"{API}/chat/completions"
MOCKERS = ["httpcore", "httpx"]
# For the respx_mock fixture, which takes its settings from a marker.
BY_MARKER = [pytest.param("httpcore"), pytest.param("httpx", marks=pytest.mark.respx(using="httpx"))]


def completion(content: str = "mocked", id: str = "chatcmpl-1") -> dict[str, Any]:
    return {
        "id": id,
        "object": "chat.completion",
        "created": 0,
        "model": "gpt-4o-mini",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "finish_reason": "stop",
                "logprobs": None,
            }
        ],
    }


def chunk(content: str) -> bytes:
    data = {
        "id": "c",
        "object": "chat.completion.chunk",
        "created": 0,
        "model": "m",
        "choices": [{"index": 0, "delta": {"content": content}, "finish_reason": None}],
    }
    return f"data: {json.dumps(data)}\n\n".encode()


SSE = [chunk("a"), chunk("b"), chunk("c"), b"data: [DONE]\n\n"]
SSE_HEADERS = {"content-type": "text/event-stream"}


@dataclass
class NetworkGuard:
    """What tried to reach the network: every attempt is refused (OSError) and kept here."""

    attempts: list[str] = field(default_factory=list)


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> NetworkGuard:
    guard = NetworkGuard()

    def refuse(what: str) -> Any:
        def refused(*args: Any, **kwargs: Any) -> Any:
            guard.attempts.append(f"{what}{args[1:] if what.startswith('connect') else args}")
            raise OSError(f"no network in this test ({what})")

        return refused

    monkeypatch.setattr(socket.socket, "connect", refuse("connect"))
    monkeypatch.setattr(socket.socket, "connect_ex", refuse("connect_ex"))
    monkeypatch.setattr(socket, "getaddrinfo", refuse("getaddrinfo"))
    return guard


@pytest.fixture
def sync_client() -> Iterator[OpenAI]:
    """Built before any respx mock starts, as a module-level client is."""
    with OpenAI(api_key="sk-test") as client:
        yield client


async def ask(client: AsyncOpenAI) -> str:
    r = await client.chat.completions.create(**chat_body())
    return r.choices[0].message.content or ""


class TestTheGuard:
    @pytest.mark.anyio
    async def test_it_catches_a_request_that_would_go_out(self, no_network: NetworkGuard) -> None:
        """Without respx, a request to api.openai.com tries the network, and the guard sees it:
        so an empty `attempts` in the tests below means something."""
        async with AsyncOpenAI(api_key="sk-test", max_retries=0) as client:
            with pytest.raises(APIConnectionError):
                await ask(client)
        assert [] != no_network.attempts


class TestNoNetworkWhileMocked:
    """Every way respx is used: the route answers, and nothing tries the network."""

    @pytest.mark.anyio
    @pytest.mark.parametrize("using", MOCKERS)
    async def test_context_manager_async(self, no_network: NetworkGuard, using: str) -> None:
        """A client built before the mock starts, used inside `with respx.mock`."""
        async with AsyncOpenAI(api_key="sk-test") as client:
            with respx.mock(using=using) as router:
                route = router.post(CHAT_URL).respond(json=completion("routed"))
                assert "routed" == await ask(client)
        assert (1, []) == (route.call_count, no_network.attempts)

    @pytest.mark.parametrize("using", MOCKERS)
    def test_context_manager_sync(self, no_network: NetworkGuard, sync_client: OpenAI, using: str) -> None:
        with respx.mock(using=using) as router:
            route = router.post(CHAT_URL).respond(json=completion("routed"))
            r = sync_client.chat.completions.create(**chat_body())
        assert ("routed", 1, []) == (r.choices[0].message.content, route.call_count, no_network.attempts)

    @pytest.mark.anyio
    @respx.mock
    async def test_decorator_async(self, no_network: NetworkGuard) -> None:
        route = respx.post(CHAT_URL).respond(json=completion("decorated"))
        async with AsyncOpenAI(api_key="sk-test") as client:
            assert "decorated" == await ask(client)
        assert (1, []) == (route.call_count, no_network.attempts)

    @pytest.mark.anyio
    @respx.mock(using="httpx")
    async def test_decorator_with_the_httpx_mocker_async(
        self, no_network: NetworkGuard, respx_mock: respx.MockRouter
    ) -> None:
        route = respx_mock.post(CHAT_URL).respond(json=completion("decorated"))
        async with AsyncOpenAI(api_key="sk-test") as client:
            assert "decorated" == await ask(client)
        assert (1, []) == (route.call_count, no_network.attempts)

    @respx.mock
    def test_decorator_sync(self, no_network: NetworkGuard, sync_client: OpenAI) -> None:
        route = respx.post(CHAT_URL).respond(json=completion("decorated"))
        r = sync_client.chat.completions.create(**chat_body())
        assert ("decorated", 1, []) == (r.choices[0].message.content, route.call_count, no_network.attempts)

    @respx.mock(using="httpx")
    def test_decorator_with_the_httpx_mocker_sync(
        self, no_network: NetworkGuard, sync_client: OpenAI, respx_mock: respx.MockRouter
    ) -> None:
        route = respx_mock.post(CHAT_URL).respond(json=completion("decorated"))
        r = sync_client.chat.completions.create(**chat_body())
        assert ("decorated", 1, []) == (r.choices[0].message.content, route.call_count, no_network.attempts)

    @pytest.mark.anyio
    @pytest.mark.parametrize("using", BY_MARKER)
    async def test_the_respx_mock_fixture_async(
        self, no_network: NetworkGuard, respx_mock: respx.MockRouter, using: str
    ) -> None:
        assert using == respx_mock.using
        route = respx_mock.post(CHAT_URL).respond(json=completion("fixture"))
        async with AsyncOpenAI(api_key="sk-test") as client:
            assert "fixture" == await ask(client)
        assert (1, []) == (route.call_count, no_network.attempts)

    @pytest.mark.parametrize("using", BY_MARKER)
    def test_the_respx_mock_fixture_sync(
        self, no_network: NetworkGuard, sync_client: OpenAI, respx_mock: respx.MockRouter, using: str
    ) -> None:
        assert using == respx_mock.using
        route = respx_mock.post(CHAT_URL).respond(json=completion("fixture"))
        r = sync_client.chat.completions.create(**chat_body())
        assert ("fixture", 1, []) == (r.choices[0].message.content, route.call_count, no_network.attempts)

    @pytest.mark.respx(base_url=API)
    def test_the_respx_mock_fixture_with_a_base_url(
        self, no_network: NetworkGuard, sync_client: OpenAI, respx_mock: respx.MockRouter
    ) -> None:
        route = respx_mock.post("/chat/completions").respond(json=completion("fixture"))
        r = sync_client.chat.completions.create(**chat_body())
        assert ("fixture", 1, []) == (r.choices[0].message.content, route.call_count, no_network.attempts)

    @pytest.mark.anyio
    async def test_with_a_proxy_in_the_environment(
        self, no_network: NetworkGuard, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Origins routed through the proxy (httpx) and around it (native) alike."""
        monkeypatch.setenv("HTTPS_PROXY", "http://proxy.invalid:3128")
        monkeypatch.setenv("NO_PROXY", "direct.invalid")
        async with AsyncOpenAI(api_key="sk-test") as client:
            with respx.mock:
                proxied = respx.post(CHAT_URL).respond(json=completion("proxied"))
                direct = respx.post("https://direct.invalid/v1/chat/completions").respond(
                    json=completion("direct")
                )
                assert "proxied" == await ask(client)
                r = await client.with_options(base_url="https://direct.invalid/v1").chat.completions.create(
                    **chat_body()
                )
        assert ("direct", 1, 1, []) == (
            r.choices[0].message.content,
            proxied.call_count,
            direct.call_count,
            no_network.attempts,
        )

    def test_a_client_made_at_import_time_is_routed_too(self, no_network: NetworkGuard) -> None:
        """A client made before the mock, used by code under test, then used after the mock."""
        client = MODULE_CLIENT
        try:
            with respx.mock(base_url=API) as router:
                router.get("/models").respond(
                    json={"object": "list", "data": [{"id": "m", "object": "model"}]}
                )
                assert ["m"] == [m.id for m in client.models.list()]
        finally:
            client.close()
        assert [] == no_network.attempts

    @pytest.mark.anyio
    @pytest.mark.parametrize("using", MOCKERS)
    async def test_many_concurrent_callers_each_get_their_own_answer(
        self, no_network: NetworkGuard, using: str
    ) -> None:
        def echo(request: httpx.Request) -> httpx.Response:
            text = json.loads(request.content)["messages"][0]["content"]
            return httpx.Response(200, json=completion(f"echo {text}"))

        answers: dict[int, str] = {}
        async with AsyncOpenAI(api_key="sk-test") as client:

            async def one(i: int) -> None:
                r = await client.chat.completions.create(**chat_body(f"r{i}"))
                answers[i] = r.choices[0].message.content or ""

            with respx.mock(using=using) as router:
                router.post(CHAT_URL).mock(side_effect=echo)
                async with anyio.create_task_group() as tg:
                    for i in range(50):
                        tg.start_soon(one, i)
        assert ({i: f"echo r{i}" for i in range(50)}, []) == (answers, no_network.attempts)


MODULE_CLIENT = OpenAI(api_key="sk-module")


class TestCancellation:
    """Exactly one outcome per request holds on the respx path too."""

    @pytest.mark.anyio
    async def test_a_caller_cancelled_while_its_route_answers_leaves_the_client_working(
        self, no_network: NetworkGuard
    ) -> None:
        started = anyio.Event()

        async def never(request: httpx.Request) -> httpx.Response:
            started.set()
            await anyio.sleep_forever()
            raise AssertionError("unreachable")

        async with AsyncOpenAI(api_key="sk-test") as client:
            with respx.mock:
                respx.post(CHAT_URL).mock(side_effect=never)
                respx.get(f"{API}/models").respond(json={"object": "list", "data": []})
                async with anyio.create_task_group() as tg:
                    tg.start_soon(ask, client)
                    await started.wait()
                    tg.cancel_scope.cancel()
                assert [] == (await client.models.list()).data
        assert [] == no_network.attempts


class TestLifetime:
    """The httpx client the respx path uses belongs to the dispatcher: made in its loop, closed with it."""

    def test_the_httpx_client_made_for_respx_is_closed_with_the_client(self) -> None:
        client = OpenAI(api_key="sk-test")
        with respx.mock:
            respx.post(CHAT_URL).respond(json=completion())
            client.chat.completions.create(**chat_body())
        route = client._core.transport.respx  # type: ignore[attr-defined]
        http = route.transport._client
        client.close()
        assert (True, None) == (http.is_closed, route._transport)

    @pytest.mark.anyio
    async def test_the_same_for_the_async_client(self) -> None:
        async with AsyncOpenAI(api_key="sk-test") as client:
            with respx.mock:
                respx.post(CHAT_URL).respond(json=completion())
                await ask(client)
            route = client._core.transport.respx  # type: ignore[attr-defined]
            http = route.transport._client
        assert (True, None) == (http.is_closed, route._transport)

    def test_one_client_in_two_event_loops_in_a_row(self) -> None:
        """Each loop's dispatcher makes its own httpx client for respx, and closes it."""
        import asyncio

        client = AsyncOpenAI(api_key="sk-test")
        with respx.mock:
            route = respx.post(CHAT_URL).respond(json=completion("again"))
            answers = [asyncio.run(ask(client)), asyncio.run(ask(client))]
        assert (["again", "again"], 2) == (answers, route.call_count)


class TestUnmatched:
    """What respx does with a plain httpx client, this client does."""

    @pytest.mark.anyio
    @pytest.mark.parametrize("using", MOCKERS)
    async def test_an_unmatched_request_raises_respx_error_at_once(
        self, no_network: NetworkGuard, using: str
    ) -> None:
        """As with a plain httpx client: respx's AssertionError, not retried, nothing sent."""
        async with AsyncOpenAI(api_key="sk-test") as client:
            with respx.mock(using=using, assert_all_called=False) as router:
                route = router.get(f"{API}/models").respond(json={"object": "list", "data": []})
                with pytest.raises(AllMockedAssertionError, match="not mocked"):
                    await ask(client)
                # The client is still fine afterwards.
                assert [] == (await client.models.list()).data
        assert (1, []) == (route.call_count, no_network.attempts)

    @pytest.mark.parametrize("using", MOCKERS)
    def test_an_unmatched_request_raises_respx_error_sync(
        self, no_network: NetworkGuard, sync_client: OpenAI, using: str
    ) -> None:
        with respx.mock(using=using), pytest.raises(AllMockedAssertionError) as info:
            sync_client.chat.completions.create(**chat_body())
        assert "sk-test" not in str(info.value)
        assert [] == no_network.attempts

    @pytest.mark.anyio
    async def test_an_assertion_in_a_side_effect_fails_the_caller_at_once(self) -> None:
        def check(request: httpx.Request) -> httpx.Response:
            assert "gpt-4o" == json.loads(request.content)["model"], "wrong model"
            return httpx.Response(200, json=completion())

        async with AsyncOpenAI(api_key="sk-test") as client:
            with respx.mock:
                route = respx.post(CHAT_URL).mock(side_effect=check)
                with pytest.raises(AssertionError, match="wrong model"):
                    await ask(client)
        assert 1 == route.call_count

    def test_with_assert_all_mocked_off_respx_answers_200_as_for_httpx(
        self, no_network: NetworkGuard, sync_client: OpenAI
    ) -> None:
        with respx.mock(assert_all_mocked=False) as router:
            raw = sync_client.models.with_raw_response.list()
            assert (200, 1, []) == (raw.status_code, len(router.calls), no_network.attempts)


class TestWhenTheMockStops:
    """The check is per request: a client outlives a mock, and respx's pass-through goes out."""

    @pytest.mark.anyio
    async def test_the_client_goes_back_to_the_network(self, server: MockServer) -> None:
        """Before and after the mock, the live mock server answers; during it, the route."""
        async with AsyncOpenAI(api_key="sk-test", base_url=server.url) as client:
            assert "echo: hi" == await ask(client)
            with respx.mock(base_url=server.url) as router:
                router.post("/chat/completions").respond(json=completion("from respx"))
                assert "from respx" == await ask(client)
            assert "echo: hi" == await ask(client)
        assert 2 == len(server.requests)

    @pytest.mark.anyio
    async def test_a_pass_through_route_goes_out_as_respx_lets_it(self, server: MockServer) -> None:
        async with AsyncOpenAI(api_key="sk-test", base_url=server.url) as client:
            with respx.mock(base_url=server.url) as router:
                route = router.post("/chat/completions").pass_through()
                assert "echo: hi" == await ask(client)
        # (respx's default mocker counts a pass-through twice: the pool, then its connection.)
        assert (True, 1) == (route.called, len(server.requests))


class TestWhatTheRoutesSee:
    """`route.calls`: the request as sent, attempt by attempt."""

    @pytest.mark.anyio
    async def test_the_request_as_the_client_sent_it(self, no_network: NetworkGuard) -> None:
        async with AsyncOpenAI(api_key="sk-test", organization="org-1", project="proj-1") as client:
            with respx.mock:
                route = respx.post(CHAT_URL).respond(json=completion())
                await client.chat.completions.create(
                    **chat_body("hello", temperature=0.5), extra_headers={"X-Custom": "1"}
                )
        request = route.calls.last.request
        assert chat_body("hello", temperature=0.5) == json.loads(request.content)
        assert {
            "authorization": "Bearer sk-test",
            "content-type": "application/json",
            "accept": "application/json",
            "openai-organization": "org-1",
            "openai-project": "proj-1",
            "x-stainless-retry-count": "0",
            "x-custom": "1",
        }.items() <= dict(request.headers).items()

    def test_the_headers_are_the_official_clients_but_for_its_identity(self, sync_client: OpenAI) -> None:
        """Every header but the client's identity as the official 2.x sends it (recorded from
        openai 2.54.0 through respx, with the x-stainless-async and -read-timeout openai 3.3.1 sends)."""
        official = {
            "x-stainless-async": "false",
            "x-stainless-read-timeout": "600",
            "host": "api.openai.com",
            "accept-encoding": "gzip, deflate",
            "connection": "keep-alive",
            "authorization": "Bearer sk-test",
            "accept": "application/json",
            "content-type": "application/json",
            "x-stainless-lang": "python",
            "x-stainless-retry-count": "0",
        }
        with respx.mock:
            route = respx.post(CHAT_URL).respond(json=completion())
            sync_client.chat.completions.create(**chat_body())
        ours = dict(route.calls.last.request.headers)
        assert official.items() <= ours.items()
        assert {
            "x-stainless-os",
            "x-stainless-arch",
            "x-stainless-runtime",
            "x-stainless-runtime-version",
            "x-stainless-package-version",
            "user-agent",
            "content-length",
        } == set(ours) - set(official)

    @pytest.mark.anyio
    async def test_retries_follow_the_side_effect_sequence(self, no_network: NetworkGuard) -> None:
        with respx.mock:
            route = respx.post(CHAT_URL).mock(
                side_effect=[
                    httpx.ConnectError("refused"),
                    httpx.Response(500, headers={"retry-after-ms": "1"}),
                    httpx.Response(200, json=completion("third time")),
                ]
            )
            async with AsyncOpenAI(api_key="sk-test") as client:
                assert "third time" == await ask(client)
        assert ["0", "1", "2"] == [c.request.headers["x-stainless-retry-count"] for c in route.calls]
        assert [] == no_network.attempts

    @pytest.mark.anyio
    async def test_any_other_exception_from_a_route_is_retried_then_a_connection_error(self) -> None:
        """As in the official client: whatever the transport raises is a failed exchange."""
        with respx.mock:
            route = respx.post(CHAT_URL).mock(side_effect=RuntimeError("network is down"))
            async with AsyncOpenAI(api_key="sk-test", max_retries=1) as client:
                with pytest.raises(APIConnectionError) as info:
                    await ask(client)
        assert 2 == route.call_count
        assert "RuntimeError: network is down" in repr(info.value.__cause__)

    @pytest.mark.anyio
    async def test_a_timeout_from_a_route_is_an_api_timeout_error(self) -> None:
        with respx.mock:
            route = respx.post(CHAT_URL).mock(side_effect=httpx.ReadTimeout("slow"))
            async with AsyncOpenAI(api_key="sk-test", max_retries=1) as client:
                with pytest.raises(APITimeoutError):
                    await client.with_options(timeout=0.5).chat.completions.create(**chat_body())
        assert 2 == route.call_count


class TestResponses:
    """What routes answer reaches the caller as the official client hands it over."""

    @pytest.mark.anyio
    async def test_errors_are_the_status_classes(self) -> None:
        body = {"error": {"message": "slow down", "type": "requests", "code": "rate_limit_exceeded"}}
        with respx.mock:
            respx.post(CHAT_URL).respond(429, json=body, headers={"x-request-id": "req_1"})
            respx.get(f"{API}/models/nope").respond(404, json={"error": {"message": "no such model"}})
            async with AsyncOpenAI(api_key="sk-test", max_retries=0) as client:
                with pytest.raises(RateLimitError) as limited:
                    await ask(client)
                with pytest.raises(NotFoundError) as missing:
                    await client.models.retrieve("nope")
        assert (429, body["error"], "req_1") == (
            limited.value.status_code,
            limited.value.body,
            limited.value.request_id,
        )
        assert 404 == missing.value.status_code

    @pytest.mark.anyio
    async def test_with_raw_response(self) -> None:
        with respx.mock:
            respx.post(CHAT_URL).respond(json=completion("raw"), headers={"x-request-id": "req_2"})
            async with AsyncOpenAI(api_key="sk-test") as client:
                raw = await client.chat.completions.with_raw_response.create(**chat_body())
        assert ("req_2", 200, "raw") == (
            raw.headers["x-request-id"],
            raw.status_code,
            raw.parse().choices[0].message.content,
        )

    @pytest.mark.anyio
    async def test_a_stream_from_content(self) -> None:
        with respx.mock:
            respx.post(CHAT_URL).respond(content=b"".join(SSE), headers=SSE_HEADERS)
            async with AsyncOpenAI(api_key="sk-test") as client:
                stream = await client.chat.completions.create(**chat_body(), stream=True)
                assert "abc" == "".join([c.choices[0].delta.content async for c in stream])

    @pytest.mark.anyio
    async def test_a_stream_from_an_async_byte_stream(self) -> None:
        class Events(httpx.AsyncByteStream):
            async def __aiter__(self) -> AsyncIterator[bytes]:
                for event in SSE:
                    yield event

        with respx.mock:
            respx.post(CHAT_URL).mock(return_value=httpx.Response(200, headers=SSE_HEADERS, stream=Events()))
            async with AsyncOpenAI(api_key="sk-test") as client:
                stream = await client.chat.completions.create(**chat_body(), stream=True)
                assert "abc" == "".join([c.choices[0].delta.content async for c in stream])

    def test_a_stream_from_a_sync_iterator_for_the_sync_client(self, sync_client: OpenAI) -> None:
        """As with the official OpenAI: respx's sync handler, so a sync byte stream works."""
        with respx.mock:
            respx.post(CHAT_URL).respond(content=iter(SSE), headers=SSE_HEADERS)
            stream = sync_client.chat.completions.create(**chat_body(), stream=True)
            assert "abc" == "".join([c.choices[0].delta.content for c in stream])

    def test_file_content_download(self, sync_client: OpenAI) -> None:
        with respx.mock:
            respx.get(f"{API}/files/file-1/content").respond(content=b"\x00binary\xff")
            assert b"\x00binary\xff" == sync_client.files.content("file-1").read()


class TestTheSuiteSwap:
    """tests/respx_suite is the official client's suite; here it is loaded with `openai` swapped."""

    def test_every_form_of_import_is_swapped_and_nothing_else(self) -> None:
        import ast

        from .openai_swap import swap_imports

        source = "\n".join(
            [
                "import openai",
                "import openai as oa",
                "import openai.types.chat",
                "from openai import OpenAI, APIError",
                "from openai.types.chat import ChatCompletion",
                "import openaix, json",
                "from . import openai",
            ]
        )
        swapped = ast.unparse(swap_imports(ast.parse(source)))
        assert [
            "import openai_actors as openai",
            "import openai_actors as oa",
            "import openai_actors.types.chat",
            "import openai_actors as openai",
            "from openai_actors import OpenAI, APIError",
            "from openai_actors.types.chat import ChatCompletion",
            "import openaix",
            "import json",
            "from . import openai",
        ] == swapped.splitlines()

    def test_a_suite_module_runs_on_this_package(self, pytestconfig: pytest.Config) -> None:
        from pathlib import Path

        import openai_actors

        from .openai_swap import load_swapped

        path = Path(__file__).parent / "respx_suite" / "test_chat.py"
        module = load_swapped(path, pytestconfig, "tests.respx_suite.swap_check")
        assert openai_actors is module.openai
        assert "import openai\n" in path.read_text()  # the file itself is the official client's
