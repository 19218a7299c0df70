"""Rate control over real sockets, against the mock server's OpenAI-like limits.

The mock enforces requests and tokens per window as token buckets and answers
429 with retry-after and x-ratelimit-* headers; windows here are a second, so
several pass in a test. What is about exact timing (the share of the limit used,
admission sleeping rather than polling) is tested on a fake clock in
test_dispatcher_scripted.py.
"""

from __future__ import annotations

from typing import Any

import anyio
import pytest

from openai_actors import AsyncOpenAI, OpenAI, RateLimit, RateLimitError, RequestTooLargeError
from openai_actors.mock import Fault, MockServer

from .conftest import chat_body, eventually, send_many, until

pytestmark = pytest.mark.anyio


class TestAgainstServerLimits:
    async def test_tokens_at_the_servers_limit_give_no_429s(self) -> None:
        """Each request reserves its estimate (prompt / 4 + max_tokens), the server charges
        the same and both correct to the usage: no 429 at the server's token limit."""
        with MockServer(rate_limit_tokens=2000, rate_limit_window=0.5, record=False) as server:
            rate = RateLimit(tokens_per_minute=2000, window=0.5, learn=False)
            async with AsyncOpenAI(api_key="sk", base_url=server.url, rate_limit=rate) as client:
                errors = await send_many(client, 60, concurrency=30, max_tokens=100)
                stats = client.stats()
        assert ([], 0) == (errors, server.rate_limited)
        assert (0, 0) == (stats.tokens_reserved, stats.in_flight)
        assert stats.tokens_used > 0

    async def test_with_nothing_configured_the_limit_is_learned(self) -> None:
        """The first responses teach the client the server's limit: 300 requests from 100
        callers all succeed, with fewer 429s than requests in flight at the start, before the
        limit was known. (Timing exactly, on a fake clock: test_pacing.py.)"""
        limit, window = 100, 1.0
        with MockServer(rate_limit_requests=limit, rate_limit_window=window, record=False) as server:
            async with AsyncOpenAI(
                api_key="sk", base_url=server.url, rate_limit=RateLimit(window=window)
            ) as client:
                errors = await send_many(client, 300, 100)
                stats = client.stats()
        assert [] == errors
        assert (limit, "learned") == (stats.requests_per_minute.value, stats.requests_per_minute.source)
        assert server.rate_limited < 100

    async def test_a_429_pauses_every_caller_for_the_time_the_server_asks(self) -> None:
        """One 429 with retry-after-ms 400: nothing new is sent for 400 ms; only what was
        already in flight reaches the server meanwhile."""
        with MockServer(latency=0.02) as server:
            server.script(Fault(status=429, headers={"retry-after-ms": "400"}))
            async with AsyncOpenAI(api_key="sk", base_url=server.url) as client:
                errors = await send_many(client, 40, concurrency=10)
            requests = server.requests
        assert [] == errors
        refused_at = requests[0].received_at
        during_pause = [r for r in requests[1:] if refused_at < r.received_at < refused_at + 0.4]
        assert len(during_pause) <= 10  # at most those already in flight

    async def test_stats_show_a_pause_when_asked_from_another_thread(self, server: MockServer) -> None:
        """stats() from a worker thread (a progress reporter, say) while a 429's pause lasts, on
        either backend: the pause is read on a clock any thread can read."""
        server.script(Fault(status=429, headers={"retry-after": "30"}))
        async with AsyncOpenAI(api_key="sk", base_url=server.url, max_retries=0) as client:
            with pytest.raises(RateLimitError):
                await client.chat.completions.create(**chat_body())
            during = await anyio.to_thread.run_sync(client.stats)
        assert "429 (retry-after)" == during.pause_cause
        assert 0 < during.paused_for <= 30

    async def test_max_in_flight_is_never_exceeded(self, server: MockServer) -> None:
        server.script(*[Fault(action="hang")] * 10)
        async with AsyncOpenAI(
            api_key="sk", base_url=server.url, rate_limit=RateLimit(max_in_flight=3)
        ) as client:
            async with anyio.create_task_group() as tg:
                for _ in range(10):
                    tg.start_soon(lambda: client.chat.completions.create(**chat_body()))
                await until(server, lambda s: s.hanging == 3)
                stats = client.stats()
                tg.cancel_scope.cancel()
        assert (3, 7, 3) == (stats.in_flight, stats.waiting, stats.max_in_flight)
        assert 3 == len(server.requests)

    async def test_the_inbox_is_bounded_and_callers_beyond_it_wait_to_submit(
        self, server: MockServer, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """With admission held, the inbox fills to its bound; later callers block (backpressure)
        and are still admitted, in order, once there is room."""
        from openai_actors._dispatcher import Dispatcher

        monkeypatch.setitem(Dispatcher.__init__.__kwdefaults__, "inbox_size", 4)
        server.script(Fault(action="hang"))
        async with AsyncOpenAI(
            api_key="sk", base_url=server.url, rate_limit=RateLimit(max_in_flight=1)
        ) as client:
            first = anyio.CancelScope()

            async def hanging() -> None:
                with first:
                    await client.chat.completions.create(**chat_body("first"))

            async with anyio.create_task_group() as tg:
                tg.start_soon(hanging)
                await until(server, lambda s: s.hanging == 1)
                dispatcher = client._core.dispatcher
                assert dispatcher is not None
                inbox = dispatcher._inbox_send
                for i in range(10):  # one at a time: trio starts tasks spawned together in any order
                    tg.start_soon(lambda i=i: client.chat.completions.create(**chat_body(f"q{i}")))
                    await eventually(lambda i=i: client.stats().waiting == i + 1)
                assert 5 == inbox.statistics().tasks_waiting_send
                assert 4 == inbox.statistics().current_buffer_used  # 1 held at the head, 4 in, 5 outside
                assert 10 == client.stats().waiting
                first.cancel()  # the hanging request gives its place up: the others go, one at a time
        contents = [r.json()["messages"][0]["content"] for r in server.requests]
        assert ["first"] + [f"q{i}" for i in range(10)] == contents


class TestOrder:
    async def test_waiting_requests_are_admitted_in_arrival_order(self, server: MockServer) -> None:
        rate = RateLimit(requests_per_minute=600, window=1.0)  # 10 ms apart
        async with AsyncOpenAI(
            api_key="sk", base_url=server.url, rate_limit=rate, max_connections=1
        ) as client:
            async with anyio.create_task_group() as tg:
                for i in range(30):
                    tg.start_soon(lambda i=i: client.chat.completions.create(**chat_body(f"#{i}")))
                    await anyio.wait_all_tasks_blocked()  # each caller queued before the next
        assert [f"#{i}" for i in range(30)] == [r.json()["messages"][0]["content"] for r in server.requests]

    async def test_a_big_request_is_not_overtaken_by_a_stream_of_small_ones(self, server: MockServer) -> None:
        """Token-limited: a request needing most of the budget waits its turn, and the
        small ones submitted after it wait behind it."""
        rate = RateLimit(tokens_per_minute=1000, window=0.5, learn=False)
        async with AsyncOpenAI(api_key="sk", base_url=server.url, rate_limit=rate) as client:
            async with anyio.create_task_group() as tg:

                def ask(text: str, max_tokens: int) -> None:
                    tg.start_soon(
                        lambda: client.chat.completions.create(**chat_body(text), max_tokens=max_tokens)
                    )

                for i in range(5):
                    ask(f"small {i}", 150)
                await anyio.wait_all_tasks_blocked()
                ask("big", 900)
                await anyio.wait_all_tasks_blocked()
                for i in range(5, 15):
                    ask(f"small {i}", 150)
        order = [r.json()["messages"][0]["content"] for r in server.requests]
        assert order.index("big") < min(order.index(f"small {i}") for i in range(5, 15))


class TestAdmission:
    async def test_a_request_bigger_than_the_token_limit_fails_at_once(self, server: MockServer) -> None:
        async with AsyncOpenAI(
            api_key="sk", base_url=server.url, rate_limit=RateLimit(tokens_per_minute=100)
        ) as client:
            with pytest.raises(RequestTooLargeError, match="exceed the limit of 100 tokens"):
                await client.chat.completions.create(**chat_body(), max_tokens=500)
        assert [] == server.requests

    async def test_a_caller_cancelled_while_waiting_leaves_the_queue(self, server: MockServer) -> None:
        """At one request a minute the second waits; cancelled, it is never sent, holds
        nothing, and the budget it never used is still there for the next."""
        rate = RateLimit(requests_per_minute=1, tokens_per_minute=100_000)
        async with AsyncOpenAI(api_key="sk", base_url=server.url, rate_limit=rate) as client:
            await client.chat.completions.create(**chat_body("first"))
            with anyio.move_on_after(0.2):
                await client.chat.completions.create(**chat_body("second"))
            stats = client.stats()
        assert (0, 0, 0) == (stats.waiting, stats.in_flight, stats.tokens_reserved)
        assert ["first"] == [r.json()["messages"][0]["content"] for r in server.requests]

    async def test_stats_name_where_each_limit_came_from(self) -> None:
        with MockServer(rate_limit_requests=500, rate_limit_tokens=90_000) as server:
            rate = RateLimit(requests_per_minute=50)
            async with AsyncOpenAI(api_key="sk", base_url=server.url, rate_limit=rate) as client:
                await client.chat.completions.create(**chat_body())
                copy = client.with_options(timeout=5)
                await copy.chat.completions.create(**chat_body())
                stats = copy.stats()
        assert (50, "configured") == (stats.requests_per_minute.value, stats.requests_per_minute.source)
        assert (90_000, "learned") == (stats.tokens_per_minute.value, stats.tokens_per_minute.source)
        assert (2, 2, 0) == (stats.submitted, stats.completed, stats.failed)

    async def test_rate_limit_none_turns_pacing_off(self) -> None:
        with MockServer(rate_limit_requests=500) as server:
            async with AsyncOpenAI(api_key="sk", base_url=server.url, rate_limit=None) as client:
                await client.chat.completions.create(**chat_body())
                stats = client.stats()
        assert stats.requests_per_minute.value is None

    @pytest.mark.parametrize(
        ("options", "error"),
        [
            ({"requests_per_minute": 0}, ValueError),
            ({"tokens_per_minute": -5}, ValueError),
            ({"max_in_flight": 2.5}, TypeError),
            ({"window": float("inf")}, ValueError),
            ({"requests_per_minute": "100"}, TypeError),
        ],
    )
    def test_bad_limits_are_refused(self, options: dict[str, Any], error: type[Exception]) -> None:
        with pytest.raises(error, match="RateLimit"):
            RateLimit(**options)


def test_the_sync_client_paces_too() -> None:
    with MockServer(rate_limit_requests=20, rate_limit_window=0.5) as server:
        rate = RateLimit(requests_per_minute=20, window=0.5, learn=False)
        with OpenAI(api_key="sk", base_url=server.url, rate_limit=rate) as client:
            from concurrent.futures import ThreadPoolExecutor

            with ThreadPoolExecutor(16) as pool:
                list(pool.map(lambda i: client.chat.completions.create(**chat_body(str(i))), range(40)))
            stats = client.stats()
    assert (0, 40) == (server.rate_limited, stats.completed)
