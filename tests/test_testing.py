"""openai_actors.testing: the `mock_openai` fixture, and in-process httpx.MockTransport clients."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

import httpx
import pytest

from openai_actors import (
    APIConnectionError,
    APITimeoutError,
    AsyncOpenAI,
    InternalServerError,
    OpenAI,
    RateLimitError,
)
from openai_actors.testing import Answer, MockOpenAI, ReceivedRequest, Route

from .conftest import chat_body

CHAT = "POST /v1/chat/completions"


def content(client: OpenAI, text: str = "hi") -> str:
    return client.chat.completions.create(**chat_body(text)).choices[0].message.content or ""


class TestRoutes:
    """ "METHOD /path" with {name} segments: pure matching, no server."""

    def test_a_route_matches_its_method_and_whole_path(self) -> None:
        route = Route.parse("post /v1/files/{file_id}/content")
        assert (True, False, False, False) == (
            route.matches("POST", "/v1/files/file-1/content"),
            route.matches("GET", "/v1/files/file-1/content"),
            route.matches("POST", "/v1/files/a/b/content"),
            route.matches("POST", "/v1/files/file-1/content/x"),
        )

    def test_a_route_without_a_method_matches_any(self) -> None:
        route = Route.parse("/v1/models")
        assert route.matches("GET", "/v1/models") and route.matches("DELETE", "/v1/models")

    @pytest.mark.parametrize("bad", ["v1/models", "POST v1/models", "POST  ", "1 /x", ""])
    def test_a_malformed_route_is_refused_with_the_form_expected(self, bad: str) -> None:
        with pytest.raises(ValueError, match="'METHOD /path'"):
            Route.parse(bad)


class TestAnswers:
    """A bad script fails in the test that wrote it, with what was wrong."""

    def test_one_body_at_most(self) -> None:
        with pytest.raises(ValueError, match="json and body"):
            Answer(json={}, body=b"x")

    @pytest.mark.parametrize("status", [99, 600, True, "200"])
    def test_a_status_out_of_range_is_refused(self, status: Any) -> None:
        with pytest.raises(ValueError, match="status"):
            Answer(status=status)

    def test_a_body_that_is_not_json_is_refused_in_the_test(self) -> None:
        with pytest.raises(TypeError):
            Answer(json={"x": object()})

    def test_an_unknown_fault_is_refused(self) -> None:
        with pytest.raises(ValueError, match="unknown fault"):
            Answer(fault="explode")  # type: ignore[arg-type]

    def test_respond_refuses_what_it_cannot_use(self, mock_openai: MockOpenAI) -> None:
        with pytest.raises(TypeError, match="not both"):
            mock_openai.respond(CHAT, {"a": 1}, status=200)
        with pytest.raises(TypeError, match="needs an answer"):
            mock_openai.respond(CHAT)
        with pytest.raises(ValueError, match="times"):
            mock_openai.respond(CHAT, json={}, times=0)
        with pytest.raises(TypeError, match="an Answer or a dict"):
            mock_openai.respond(CHAT, [Answer(), 3])  # type: ignore[list-item]


class TestScripts:
    """One answer, a sequence, a handler, `times`: then the mock's own answer."""

    def test_unscripted_routes_get_the_mocks_own_answer(self, mock_openai: MockOpenAI) -> None:
        assert "echo: hi" == content(mock_openai.client())

    def test_one_answer_for_every_request(self, mock_openai: MockOpenAI) -> None:
        mock_openai.respond(CHAT, reply="Paris.")
        client = mock_openai.client()
        assert ["Paris.", "Paris."] == [content(client), content(client)]

    def test_json_status_and_headers(self, mock_openai: MockOpenAI) -> None:
        mock_openai.respond(
            "GET /v1/models/{model}",
            json={"id": "gpt-x", "object": "model", "created": 1, "owned_by": "me"},
            headers={"x-request-id": "req_7"},
        )
        model = mock_openai.client().models.retrieve("gpt-x")
        assert ("gpt-x", "me", "req_7") == (model.id, model.owned_by, model._request_id)

    def test_a_sequence_is_used_once_each_then_the_mocks_own_answer(self, mock_openai: MockOpenAI) -> None:
        mock_openai.respond(
            CHAT,
            [
                Answer(status=429, headers={"retry-after-ms": "1"}),
                Answer(status=503, headers={"retry-after-ms": "1"}),
                Answer(reply="third"),
            ],
        )
        client = mock_openai.client()
        assert ["third", "echo: hi"] == [content(client), content(client)]
        assert ["0", "1", "2", "0"] == [
            r.headers["x-stainless-retry-count"] for r in mock_openai.requests_to(CHAT)
        ]

    def test_times(self, mock_openai: MockOpenAI) -> None:
        mock_openai.respond(CHAT, reply="scripted", times=2)
        client = mock_openai.client()
        assert ["scripted", "scripted", "echo: hi"] == [content(client) for _ in range(3)]

    def test_a_handler_answers_from_the_request(self, mock_openai: MockOpenAI) -> None:
        def shout(request: ReceivedRequest) -> Answer | None:
            text = request.json()["messages"][-1]["content"]
            return None if text == "pass" else Answer(reply=text.upper())

        mock_openai.respond(CHAT, shout)
        client = mock_openai.client()
        assert ["HELLO", "echo: pass"] == [content(client, "hello"), content(client, "pass")]

    def test_a_handler_may_return_a_dict_as_json(self, mock_openai: MockOpenAI) -> None:
        mock_openai.respond("GET /v1/models", lambda request: {"object": "list", "data": []})
        assert [] == mock_openai.client().models.list().data

    def test_a_handler_that_raises_answers_500_and_fails_the_test_at_the_end(self) -> None:
        def broken(request: ReceivedRequest) -> Answer:
            raise KeyError("no such thing")

        with pytest.raises(KeyError, match="no such thing"), MockOpenAI() as mock:
            mock.respond(CHAT, broken)
            with pytest.raises(InternalServerError):
                content(mock.client(max_retries=0))
            assert mock.client(max_retries=0).models.list().data  # the server goes on

    def test_a_later_respond_replaces_the_script(self, mock_openai: MockOpenAI) -> None:
        client = mock_openai.client()
        mock_openai.respond(CHAT, reply="one")
        first = content(client)
        mock_openai.respond(CHAT, reply="two")
        assert ["one", "two"] == [first, content(client)]

    def test_reset_forgets_scripts_and_requests(self, mock_openai: MockOpenAI) -> None:
        mock_openai.respond(CHAT, reply="one")
        client = mock_openai.client()
        content(client)
        mock_openai.reset()
        assert ([], "echo: hi") == (mock_openai.requests, content(client))


class TestWhatWasReceived:
    """`mock_openai.requests`: what the server got, credentials never printed."""

    def test_method_path_headers_and_json(self, mock_openai: MockOpenAI) -> None:
        client = mock_openai.client(organization="org-1")
        client.chat.completions.create(**chat_body("hello", temperature=0.2))
        [request] = mock_openai.requests
        assert ("POST", "/v1/chat/completions", chat_body("hello", temperature=0.2)) == (
            request.method,
            request.path,
            request.json(),
        )
        assert f"Bearer {mock_openai.api_key}" == request.headers["authorization"]
        assert "org-1" == request.headers["openai-organization"]

    def test_the_key_is_never_printed(self, mock_openai: MockOpenAI) -> None:
        content(mock_openai.client(api_key="sk-secret-value"))
        [request] = mock_openai.requests
        assert "sk-secret-value" == request.headers["authorization"].removeprefix("Bearer ")
        assert "sk-secret-value" not in repr(request) + repr(request.headers) + str(request.headers)

    def test_the_query(self, mock_openai: MockOpenAI) -> None:
        list(mock_openai.client().files.list(limit=5))
        assert {"limit": ["5"]} == mock_openai.requests_to("GET /v1/files")[0].query


class TestFaults:
    """The mock server's faults, latency and rate limits, as the client meets them."""

    @pytest.mark.parametrize("fault", ["reset", "close", "truncate"])
    def test_a_broken_connection_is_an_api_connection_error(
        self, mock_openai: MockOpenAI, fault: str
    ) -> None:
        mock_openai.respond(CHAT, fault=fault)
        with pytest.raises(APIConnectionError):
            content(mock_openai.client(max_retries=0))

    def test_a_fault_once_is_retried_over(self, mock_openai: MockOpenAI) -> None:
        mock_openai.respond(CHAT, fault="reset", times=1)
        assert "echo: hi" == content(mock_openai.client())
        assert 2 == len(mock_openai.requests)

    def test_a_stream_dropped_midway(self, mock_openai: MockOpenAI) -> None:
        mock_openai.respond(CHAT, fault="stream_drop", after=2)
        stream = mock_openai.client().chat.completions.create(**chat_body("a b c d e f"), stream=True)
        seen: list[Any] = []
        with pytest.raises(APIConnectionError):
            seen.extend(stream)
        assert 2 <= len(seen)

    def test_a_429_with_retry_after_is_a_rate_limit_error(self, mock_openai: MockOpenAI) -> None:
        mock_openai.respond(CHAT, status=429, headers={"retry-after": "1"})
        with pytest.raises(RateLimitError) as info:
            content(mock_openai.client(max_retries=0))
        assert "1" == info.value.response.headers["retry-after"]

    def test_latency_past_the_timeout_is_an_api_timeout_error(self, mock_openai: MockOpenAI) -> None:
        mock_openai.latency = 1.0
        with pytest.raises(APITimeoutError):
            content(mock_openai.client(max_retries=0, timeout=0.1))

    def test_a_scripted_delay(self, mock_openai: MockOpenAI) -> None:
        mock_openai.respond(CHAT, reply="late", delay=1.0)
        with pytest.raises(APITimeoutError):
            content(mock_openai.client(max_retries=0, timeout=0.1))

    def test_rate_limits_refuse_with_429_and_say_when(self, mock_openai: MockOpenAI) -> None:
        """(With its own rate control on, a client reads the limit from the first reply's
        x-ratelimit headers and waits instead of being refused: off here.)"""
        mock_openai.rate_limit(requests=1, window=60)
        client = mock_openai.client(max_retries=0, rate_limit=None)
        content(client)
        with pytest.raises(RateLimitError) as info:
            content(client)
        assert "retry-after" in info.value.response.headers
        mock_openai.rate_limit(None)
        assert "echo: hi" == content(client)


class TestAsync:
    """The fixture from asyncio and trio tests."""

    @pytest.mark.anyio
    async def test_scripted_answers_and_streams(self, mock_openai: MockOpenAI) -> None:
        mock_openai.respond(CHAT, reply="streamed answer")
        async with mock_openai.async_client() as client:
            stream = await client.chat.completions.create(**chat_body(), stream=True)
            async with stream:
                text = "".join([c.choices[0].delta.content or "" async for c in stream if c.choices])
            whole = await client.chat.completions.create(**chat_body())
        assert ("streamed answer", "streamed answer") == (text, whole.choices[0].message.content)
        assert [True, None] == [r.json().get("stream") for r in mock_openai.requests]

    @pytest.mark.anyio
    async def test_a_client_not_closed_is_stopped_with_the_mock(self, mock_openai: MockOpenAI) -> None:
        client = mock_openai.async_client()
        assert "echo: hi" == (await client.chat.completions.create(**chat_body())).choices[0].message.content


class TestThePlugin:
    """How pytest finds the fixture (a fresh install's entry point is checked in notes/respx.md)."""

    def test_the_fixture_is_a_registered_plugin(self, pytestconfig: pytest.Config) -> None:
        import openai_actors.testing

        assert openai_actors.testing is pytestconfig.pluginmanager.get_plugin("openai_actors.testing")

    def test_the_package_declares_it_as_a_pytest11_entry_point(self) -> None:
        pyproject = tomllib.loads((Path(__file__).parent.parent / "pyproject.toml").read_text())
        assert {"openai_actors.testing": "openai_actors.testing"} == pyproject["project"]["entry-points"][
            "pytest11"
        ]


class TestHttpxMockTransport:
    """An in-process httpx.MockTransport, handed over as `http_client`: no server, no sockets."""

    @staticmethod
    def handler(request: httpx.Request) -> httpx.Response:
        text = json.loads(request.content)["messages"][-1]["content"]
        completion = {
            "id": "c",
            "object": "chat.completion",
            "created": 0,
            "model": "m",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": f"<{text}>"}}],
        }
        return httpx.Response(200, json=completion, headers={"x-request-id": "req_mt"})

    def test_sync(self) -> None:
        http = httpx.Client(transport=httpx.MockTransport(self.handler))
        with OpenAI(api_key="sk-test", http_client=http) as client:
            r = client.chat.completions.create(**chat_body("x"))
        assert ("<x>", "req_mt") == (r.choices[0].message.content, r._request_id)

    @pytest.mark.anyio
    async def test_async(self) -> None:
        http = httpx.AsyncClient(transport=httpx.MockTransport(self.handler))
        async with AsyncOpenAI(api_key="sk-test", http_client=http) as client:
            r = await client.chat.completions.create(**chat_body("y"))
        await http.aclose()
        assert "<y>" == r.choices[0].message.content

    @pytest.mark.anyio
    async def test_an_assertion_in_the_handler_fails_the_caller_at_once(self) -> None:
        calls: list[httpx.Request] = []

        def strict(request: httpx.Request) -> httpx.Response:
            calls.append(request)
            assert "gpt-4o" == json.loads(request.content)["model"], "wrong model"
            return httpx.Response(200, json={})

        http = httpx.AsyncClient(transport=httpx.MockTransport(strict))
        async with AsyncOpenAI(api_key="sk-test", http_client=http) as client:
            with pytest.raises(AssertionError, match="wrong model"):
                await client.chat.completions.create(**chat_body())
        await http.aclose()
        assert 1 == len(calls)  # not retried


class TestWithRespx:
    def test_a_pass_through_route_lets_requests_reach_the_mock(
        self, mock_openai: MockOpenAI, respx_mock: Any
    ) -> None:
        """While respx mocks, the mock server is reached through a pass-through route, as with httpx."""
        respx_mock.route(url__startswith=mock_openai.base_url).pass_through()
        assert "echo: hi" == content(mock_openai.client())
        assert 1 == len(mock_openai.requests)
