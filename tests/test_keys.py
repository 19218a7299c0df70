"""The API key: cached, refreshed on age and on 401, fetched once however many ask."""

from __future__ import annotations

import threading
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import anyio
import anyio.lowlevel
import httpx
import pytest

from openai_actors import AsyncOpenAI, AuthenticationError, KeyProviderError
from openai_actors._keys import KeySource
from openai_actors.mock import Fault, MockServer

from .conftest import chat_body
from .log_events import captured_events

pytestmark = pytest.mark.anyio
CHAT = "/v1/chat/completions"


class Keys:
    """A key provider that hands out k1, k2, ... and counts its calls; it can be made to fail."""

    def __init__(self) -> None:
        self.calls = 0
        self.failing: Exception | None = None
        self._lock = threading.Lock()

    def __call__(self) -> str:
        with self._lock:
            self.calls += 1
            if self.failing is not None:
                raise self.failing
            return f"k{self.calls}"


def auth_headers(server: MockServer) -> list[str]:
    return [r.headers.get("authorization", "") for r in server.requests]


async def ask_many(client: AsyncOpenAI, n: int) -> list[BaseException | str]:
    results: list[BaseException | str] = []

    async def ask() -> None:
        try:
            r = await client.chat.completions.create(**chat_body())
            results.append(r.id)
        except Exception as exc:
            results.append(exc)

    async with anyio.create_task_group() as tg:
        for _ in range(n):
            tg.start_soon(ask)
    return results


class TestKeySourceClock:
    """The cache's notion of age, with an explicit clock."""

    async def test_a_fetched_key_is_reused_until_the_refresh_interval(self) -> None:
        now = [0.0]
        source = KeySource(Keys(), refresh_interval=60.0, clock=lambda: now[0])
        async with anyio.create_task_group() as tg:
            assert "k1" == await source.get(tg)
        now[0] = 59.9
        assert "k1" == source.cached()
        now[0] = 60.0
        assert source.cached() is None

    async def test_a_fetch_that_could_not_start_is_not_waited_for(self) -> None:
        """A task group that takes no new task (its dispatcher stopping): that get fails, the next starts a fetch."""
        source = KeySource(Keys(), refresh_interval=60.0, clock=lambda: 0.0)
        async with anyio.create_task_group() as closed:
            pass
        with pytest.raises(RuntimeError):
            await source.get(closed)
        with anyio.fail_after(5):
            async with anyio.create_task_group() as tg:
                assert "k1" == await source.get(tg)

    def test_a_string_key_never_expires(self) -> None:
        source = KeySource("sk-static", refresh_interval=1.0, clock=lambda: 1e9)
        assert "sk-static" == source.cached()
        assert not source.invalidate("sk-static")


class TestProviders:
    @pytest.mark.parametrize("kind", ["sync", "async"])
    async def test_concurrent_requests_cause_one_call_of_the_provider(
        self, server: MockServer, kind: str
    ) -> None:
        keys = Keys()

        async def async_keys() -> str:
            await anyio.lowlevel.checkpoint()
            return keys()

        provider: Callable[[], str] | Callable[[], Awaitable[str]] = keys if kind == "sync" else async_keys
        async with AsyncOpenAI(api_key=provider, base_url=server.url) as client:
            results = await ask_many(client, 200)
        assert all(isinstance(r, str) for r in results), results[:3]
        assert 1 == keys.calls
        assert {"Bearer k1"} == set(auth_headers(server))

    async def test_a_key_older_than_the_interval_is_fetched_again(self, server: MockServer) -> None:
        keys = Keys()
        async with AsyncOpenAI(api_key=keys, base_url=server.url, api_key_refresh_interval=1e-9) as client:
            await client.chat.completions.create(**chat_body())
            await client.chat.completions.create(**chat_body())
        assert ["Bearer k1", "Bearer k2"] == auth_headers(server)

    async def test_a_401_refreshes_the_key_and_retries_once(self, server: MockServer) -> None:
        keys = Keys()
        server.script(Fault(status=401, path=CHAT))
        async with AsyncOpenAI(api_key=keys, base_url=server.url, max_retries=0) as client:
            r = await client.chat.completions.create(**chat_body("after refresh"))
        assert "echo: after refresh" == r.choices[0].message.content
        assert ["Bearer k1", "Bearer k2"] == auth_headers(server)

    async def test_a_second_401_is_final(self, server: MockServer) -> None:
        keys = Keys()
        server.script(Fault(status=401, path=CHAT), Fault(status=401, path=CHAT))
        async with AsyncOpenAI(api_key=keys, base_url=server.url) as client:
            with pytest.raises(AuthenticationError):
                await client.chat.completions.create(**chat_body())
        assert (2, 2) == (keys.calls, len(server.requests))

    async def test_many_401s_at_once_cause_one_refresh(self) -> None:
        """Fifty requests sent with k1 all get 401 (the server has rotated to k2): one new key
        is fetched for all of them, and each is retried once with it."""

        async def server(request: httpx.Request) -> httpx.Response:
            await anyio.lowlevel.checkpoint()  # let the other requests interleave
            if request.headers["authorization"] != "Bearer k2":
                return httpx.Response(401, json={"error": {"message": "rotated"}})
            return httpx.Response(200, json={"id": "ok"})

        stale = iter(["k1"])
        provider_calls: list[int] = []

        def provider() -> str:
            provider_calls.append(1)
            return next(stale, "k2")

        http = httpx.AsyncClient(transport=httpx.MockTransport(server))
        async with AsyncOpenAI(api_key=provider, base_url="http://test/v1", http_client=http) as client:
            results = await ask_many(client, 50)
        assert ["ok"] * 50 == results
        assert 2 == len(provider_calls)

    async def test_a_static_key_rejected_with_401_is_not_retried(self, server: MockServer) -> None:
        server.script(Fault(status=401, path=CHAT))
        async with AsyncOpenAI(api_key="sk-static", base_url=server.url) as client:
            with pytest.raises(AuthenticationError):
                await client.chat.completions.create(**chat_body())
        assert 1 == len(server.requests)


class TestFailingProviders:
    async def test_every_waiting_caller_gets_an_error_naming_the_provider_then_it_recovers(
        self, server: MockServer
    ) -> None:
        keys = Keys()
        keys.failing = ConnectionError("vault unreachable")
        async with AsyncOpenAI(api_key=keys, base_url=server.url) as client:
            results = await ask_many(client, 20)
            assert 20 == len(results)
            for result in results:
                assert isinstance(result, KeyProviderError)
                assert "api_key provider Keys() failed: ConnectionError: vault unreachable" in str(result)
            keys.failing = None
            r = await client.chat.completions.create(**chat_body("recovered"))
        assert "echo: recovered" == r.choices[0].message.content
        assert [] == [h for h in auth_headers(server) if not h.startswith("Bearer k")]

    @pytest.mark.parametrize(
        ("value", "message"),
        [
            (None, "is a NoneType, not a str"),
            ("", "is empty"),
            ("k\r\n", "forbidden character at position 1"),
        ],
    )
    async def test_a_provider_returning_an_unusable_key_is_a_clear_error(
        self, server: MockServer, value: object, message: str
    ) -> None:
        async with AsyncOpenAI(api_key=lambda: value, base_url=server.url) as client:  # type: ignore[arg-type,return-value]
            with pytest.raises(KeyProviderError, match=message):
                await client.chat.completions.create(**chat_body())
        assert [] == server.requests


@pytest.fixture
def events() -> Iterator[list[dict[str, Any]]]:
    with captured_events() as captured:
        yield captured


class TestSecrecy:
    async def test_the_key_appears_in_no_log_event_error_or_repr(
        self, server: MockServer, events: list[dict[str, Any]]
    ) -> None:
        secret = "sk-very-secret-0123456789"
        server.script(Fault(status=401, path=CHAT, headers={"x-should-retry": "false"}))
        async with AsyncOpenAI(api_key=secret, base_url=server.url) as client:
            with pytest.raises(AuthenticationError) as info:
                await client.chat.completions.create(**chat_body())
            shown = [repr(client), repr(client._options), str(info.value), repr(info.value.request)]
            shown += [repr(dict(info.value.request.headers)), repr(info.value.response.request.headers)]
        assert events, "debug events were expected"
        shown += [repr(e) for e in events]
        assert [] == [text for text in shown if secret in text]
