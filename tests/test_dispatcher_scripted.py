"""The dispatcher over an in-memory transport on a fake clock: its timing, exactly, with no sockets.

Every test here runs on asyncio and trio with a clock that jumps to the next
timer whenever every task waits (tests/virtual_time.py), so "after 30 s" is
exact and costs nothing, and nothing depends on how busy the machine is.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import anyio
import pytest

from openai_actors import APITimeoutError, AsyncOpenAI, RateLimit, RateLimitError
from openai_actors._mock_transport import MockRequest, MockResponse, MockTransport

from .conftest import chat_body, send_many
from .log_events import captured_events
from .scripted import COMPLETION, client_over
from .virtual_time import fake_clock_backend

pytestmark = pytest.mark.anyio


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> tuple[str, dict[str, Any]]:
    return fake_clock_backend(request)


MakeClient = Callable[..., tuple[AsyncOpenAI, MockTransport]]


@pytest.fixture
def mock_client(monkeypatch: pytest.MonkeyPatch) -> MakeClient:
    """`mock_client(handler, **options)`: an AsyncOpenAI whose requests `handler` answers in memory."""
    return lambda handler, **options: client_over(monkeypatch, handler, **options)


@pytest.fixture
def events() -> Iterator[list[dict[str, Any]]]:
    with captured_events() as captured:
        yield captured


def ok(request: MockRequest) -> MockResponse:
    return MockResponse.json(COMPLETION)


def now() -> float:
    return anyio.current_time()


class TestTheFakeClock:
    async def test_a_long_sleep_takes_no_real_time_and_moves_the_clock_exactly(self) -> None:
        """The harness itself: 3,600 s of sleep pass at once, and the clock says 3,600 s passed."""
        import time

        real, start = time.monotonic(), now()
        await anyio.sleep(3600)
        assert 3600 == pytest.approx(now() - start)
        assert 5 > time.monotonic() - real


class RefuseFirst:
    """A handler: the first request gets a 429 with these headers, every other one an answer;
    `sent_at` is when each reached it."""

    def __init__(self, headers: dict[str, str]) -> None:
        self.headers = headers
        self.sent_at: list[float] = []

    def __call__(self, request: MockRequest) -> MockResponse:
        self.sent_at.append(now())
        if len(self.sent_at) == 1:
            return MockResponse.json({"error": {"message": "slow down"}}, 429, self.headers)
        return ok(request)


class TestPauseAfter429:
    async def test_a_retry_after_beyond_the_retry_horizon_fails_that_request_and_pauses_nobody(
        self, mock_client: MakeClient
    ) -> None:
        """retry-after: 500 is more than the client would wait to retry (120 s): that request
        fails at once with RateLimitError, and the next request, from another caller or a
        with_options copy, is sent at once, as the official SDK sends it."""
        client, transport = mock_client(RefuseFirst({"retry-after": "500"}))
        async with client:
            start = now()
            with pytest.raises(RateLimitError):
                await client.chat.completions.create(**chat_body())
            await client.chat.completions.create(**chat_body())
            await client.with_options(timeout=30).chat.completions.create(**chat_body())
            assert 0 == pytest.approx(now() - start, abs=0.01)
            stats = client.stats()
        assert 3 == len(transport.requests)
        assert (0.0, None) == (stats.paused_for, stats.pause_cause)

    async def test_a_retry_after_within_the_horizon_pauses_everyone_visibly_for_that_long(
        self, mock_client: MakeClient, events: list[dict[str, Any]]
    ) -> None:
        """retry-after: 30 on one request: no request from anyone is sent for 30 s (they would
        only collect 429s); stats() shows the pause and its cause while it lasts, and one
        warning event says what it is and how long."""
        handler = RefuseFirst({"retry-after": "30"})
        client, _ = mock_client(handler)
        async with client:
            start = now()
            paused = anyio.Event()
            seen: list[tuple[float, str | None]] = []

            async def watch() -> None:
                while client.stats().rate_limited == 0:  # noqa: ASYNC110 - polls the fake clock only
                    await anyio.sleep(0.5)
                stats = client.stats()
                seen.append((stats.paused_for, stats.pause_cause))
                paused.set()

            async with anyio.create_task_group() as tg:
                tg.start_soon(watch)
                tg.start_soon(lambda: client.chat.completions.create(**chat_body()))
                await paused.wait()
                await client.chat.completions.create(**chat_body())  # another caller, during the pause
            after = client.stats()
        assert [0.0, 30.0, 30.0] == [pytest.approx(t - start, abs=0.1) for t in handler.sent_at]
        assert 1 == len(seen)
        assert 29 < seen[0][0] <= 30
        assert "429 (retry-after)" == seen[0][1]
        assert (0.0, None) == (after.paused_for, after.pause_cause)
        # The refused request's retry is a warning of its own (request.retry).
        warnings = [e for e in events if e["log_level"] == "warning" and e["event"].startswith("ratelimit.")]
        assert 1 == len(warnings)
        assert ("ratelimit.pause", "429 (retry-after)", 30.0) == (
            warnings[0]["event"],
            warnings[0]["cause"],
            warnings[0]["seconds"],
        )
        assert "sk-test" not in repr(events)

    async def test_no_pause_without_rate_control(self, mock_client: MakeClient) -> None:
        """rate_limit=None turns pacing off, 429 pauses included: only the refused request waits."""
        handler = RefuseFirst({"retry-after": "30"})
        client, _ = mock_client(handler, rate_limit=None)
        async with client:
            start = now()
            async with anyio.create_task_group() as tg:
                tg.start_soon(lambda: client.chat.completions.create(**chat_body()))
                await anyio.sleep(1)
                await client.chat.completions.create(**chat_body())
        assert [0.0, 1.0, 30.0] == [pytest.approx(t - start, abs=0.1) for t in handler.sent_at]


class TestRetrySchedule:
    async def test_retry_after_ms_is_waited_for_exactly(self, mock_client: MakeClient) -> None:
        sent_at: list[float] = []

        def handler(request: MockRequest) -> MockResponse:
            sent_at.append(now())
            if len(sent_at) < 3:
                return MockResponse.json({"error": {"message": "busy"}}, 503, {"retry-after-ms": "1500"})
            return ok(request)

        client, _ = mock_client(handler)
        async with client:
            start = now()
            await client.chat.completions.create(**chat_body())
        assert [0.0, 1.5, 3.0] == [pytest.approx(t - start, abs=1e-6) for t in sent_at]

    async def test_a_stalled_server_times_out_by_the_watchdog_and_is_retried(
        self, mock_client: MakeClient
    ) -> None:
        """A handler that never answers: each attempt is cut at the read timeout (a watchdog
        tick late at most), retried with backoff, and the caller gets APITimeoutError."""

        async def hang(request: MockRequest) -> MockResponse:
            await anyio.sleep_forever()
            raise AssertionError("unreachable")

        client, transport = mock_client(hang, timeout=2.0, max_retries=1)
        async with client:
            start = now()
            with pytest.raises(APITimeoutError):
                await client.chat.completions.create(**chat_body())
            elapsed = now() - start
        assert 2 == len(transport.requests)
        # Two read timeouts of 2 s, each up to a tick late, and one backoff of 0.375 to 0.5 s.
        assert 4.375 <= elapsed <= 4.6


class TestLanes:
    async def test_idle_lanes_retire_after_lane_idle_and_the_warmest_is_reused(
        self, mock_client: MakeClient
    ) -> None:
        """Four lanes opened by four concurrent requests; then one request at a time keeps
        reusing the most recently idle lane while the other three age out after LANE_IDLE."""
        from openai_actors._dispatcher import LANE_IDLE

        async def slow(request: MockRequest) -> MockResponse:
            await anyio.sleep(0.05)
            return ok(request)

        client, transport = mock_client(slow)
        async with client:
            async with anyio.create_task_group() as tg:
                for _ in range(4):
                    tg.start_soon(lambda: client.chat.completions.create(**chat_body()))
            assert (4, 4) == (transport.connections_opened, transport.connections_open)
            for _ in range(int(LANE_IDLE) + 2):
                await anyio.sleep(1)
                await client.chat.completions.create(**chat_body())
            assert (4, 1) == (transport.connections_opened, transport.connections_open)
            await anyio.sleep(LANE_IDLE + 0.1)
            assert 0 == transport.connections_open
            await client.chat.completions.create(**chat_body())  # a fresh lane after all retired
            assert (5, 1) == (transport.connections_opened, transport.connections_open)


def sse(*events: bytes) -> bytes:
    return b"".join(b"data: " + e + b"\n\n" for e in events)


CHUNK = (
    b'{"id":"c","object":"chat.completion.chunk","created":1,"model":"m",'
    b'"choices":[{"index":0,"delta":{"content":"hi"},"finish_reason":null}]}'
)


class TestDrainAfterDone:
    """A reader that saw [DONE] leaves the lane DRAIN_BUDGET seconds to read the end of the
    body, so the connection can be reused; that budget must not reach the lane's next call."""

    @pytest.mark.parametrize(("end_after", "reused"), [(0.3, True), (1.5, False)])
    async def test_the_end_of_the_body_within_the_budget_keeps_the_connection(
        self, mock_client: MakeClient, end_after: float, reused: bool
    ) -> None:
        """[DONE], then the body's end `end_after` s later: within DRAIN_BUDGET (1 s) the lane
        keeps its connection for the next call, which the server answers after 1.2 s (longer
        than the budget: only a fresh deadline lets it through); beyond it, the connection
        is closed and the next call gets a new one."""

        async def body() -> AsyncIterator[bytes]:
            yield sse(CHUNK, b"[DONE]")
            await anyio.sleep(end_after)

        async def handler(request: MockRequest) -> MockResponse:
            if request.json().get("stream"):
                return MockResponse(200, {"content-type": "text/event-stream"}, body())
            await anyio.sleep(1.2)
            return ok(request)

        client, transport = mock_client(handler, max_connections=1, max_retries=0)
        async with client:
            stream = await client.chat.completions.create(**chat_body(), stream=True)
            assert ["hi"] == [c.choices[0].delta.content async for c in stream]
            r = await client.chat.completions.create(**chat_body())
        assert "c" == r.id
        assert (1 if reused else 2) == transport.connections_opened


class BucketServer:
    """A handler that allows `limit` requests per `window` seconds, refilled continuously (as
    OpenAI's limits are), on the event loop's clock; beyond that a 429."""

    def __init__(self, limit: int, window: float) -> None:
        self.limit = limit
        self.window = window
        self.level = float(limit)
        self.updated = 0.0
        self.rate_limited = 0
        self.sent_at: list[float] = []

    def __call__(self, request: MockRequest) -> MockResponse:
        t = now()
        self.level = min(self.limit, self.level + (t - self.updated) * self.limit / self.window)
        self.updated = t
        if self.level < 1:
            self.rate_limited += 1
            return MockResponse.json({"error": {"message": "rate limited"}}, 429, {"retry-after-ms": "100"})
        self.level -= 1
        self.sent_at.append(t)
        return ok(request)


class TestPacing:
    async def test_at_the_servers_limit_no_429s_and_the_limit_is_used(self, mock_client: MakeClient) -> None:
        """Configured at the server's 100 requests per second, 200 requests from 64 callers:
        not one 429, and the requests go at no less than 95 % of the full rate."""
        limit, window, count = 100, 1.0, 200
        server = BucketServer(limit, window)
        rate = RateLimit(requests_per_minute=limit, window=window, learn=False)
        client, _ = mock_client(server, rate_limit=rate)
        async with client:
            start = now()
            assert [] == await send_many(client, count, concurrency=64)
            elapsed = now() - start
        assert (0, count) == (server.rate_limited, len(server.sent_at))
        burst = max(1, int(limit * 0.02))
        fastest_allowed = (count - burst) * window / (limit - burst + 1)
        assert fastest_allowed <= elapsed
        assert fastest_allowed / elapsed >= 0.95

    async def test_requests_waiting_for_admission_cost_one_sleep_not_a_poll(
        self, mock_client: MakeClient, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Ten thousand requests queued behind a limit of one a minute: over 30 s the
        admission loop asks the pacer when to go a couple of times (it sleeps until the time
        it was told), not once per tick or per waiting request."""
        from openai_actors._pacing import Pacer

        asked = 0
        ready_at = Pacer.ready_at

        def counting(self: Pacer, cost: float, now: float) -> float:
            nonlocal asked
            asked += 1
            return ready_at(self, cost, now)

        monkeypatch.setattr(Pacer, "ready_at", counting)
        client, transport = mock_client(ok, rate_limit=RateLimit(requests_per_minute=1))
        async with client:
            await client.chat.completions.create(**chat_body())
            async with anyio.create_task_group() as tg:
                for _ in range(10_000):
                    tg.start_soon(lambda: client.chat.completions.create(**chat_body()))
                await anyio.wait_all_tasks_blocked()
                assert 10_000 == client.stats().waiting
                asked = 0
                await anyio.sleep(30)
                assert asked <= 2
                tg.cancel_scope.cancel()
        assert 1 == len(transport.requests)


class TestPauseVisibility:
    async def test_a_storm_of_429s_is_one_warning_and_the_pause_runs_to_the_latest_end(
        self, mock_client: MakeClient, events: list[dict[str, Any]]
    ) -> None:
        """Ten requests in flight all meet 429s asking 6 to 15 s: one warning (the pause
        starting), debug events for its extensions, and nothing sent before 15 s."""
        sent_at: list[float] = []
        gate = anyio.Event()

        async def handler(request: MockRequest) -> MockResponse:
            sent_at.append(now())
            n = len(sent_at)
            if n <= 10:
                if n == 10:
                    gate.set()
                await gate.wait()  # all ten in flight before any answer
                return MockResponse.json({"error": {"message": "slow"}}, 429, {"retry-after": str(5 + n)})
            return ok(request)

        client, _ = mock_client(handler, max_retries=0)
        async with client:
            start = now()
            async with anyio.create_task_group() as tg:
                for _ in range(10):
                    tg.start_soon(self._refused, client)
            paused = client.stats()
            await client.chat.completions.create(**chat_body())
        assert 15 == pytest.approx(paused.paused_for, abs=0.01)
        assert 15 == pytest.approx(sent_at[-1] - start, abs=0.01)
        # The answers may come in any order: the first starts the pause, and each later one
        # that asks for longer extends it.
        kinds = [(e["event"], e["log_level"]) for e in events if e["event"].startswith("ratelimit.")]
        assert ("ratelimit.pause", "warning") == kinds[0]
        assert {("ratelimit.pause_extended", "debug")} >= set(kinds[1:])
        assert 15.0 == max(e["seconds"] for e in events if e["event"].startswith("ratelimit."))

    async def test_a_spent_fixed_window_shows_as_a_pause_until_its_reset(
        self, mock_client: MakeClient
    ) -> None:
        """A fixed window of 2 requests, then remaining 0 with 40 s to its reset: the third
        request waits for the reset, and meanwhile stats() says so and why, instead of a
        silent wait that looks like a hang."""
        answered = 0

        def handler(request: MockRequest) -> MockResponse:
            nonlocal answered
            answered += 1
            remaining = max(2 - answered, 0) if now() < 40 else 1
            headers = {
                "x-ratelimit-limit-requests": "2",
                "x-ratelimit-remaining-requests": str(remaining),
                "x-ratelimit-reset-requests": f"{max(40 - now(), 0.001):.3f}s",
            }
            return MockResponse(
                200, {"content-type": "application/json", **headers}, json.dumps(COMPLETION).encode()
            )

        client, transport = mock_client(handler)
        async with client:
            await client.chat.completions.create(**chat_body())
            await client.chat.completions.create(**chat_body())
            async with anyio.create_task_group() as tg:
                tg.start_soon(lambda: client.chat.completions.create(**chat_body()))
                await anyio.wait_all_tasks_blocked()
                held, held_at = client.stats(), now()
            done_at = now()
        assert held_at < 40
        assert 40 - held_at == pytest.approx(held.paused_for, abs=1e-6)
        assert "x-ratelimit-remaining-requests" in (held.pause_cause or "")
        assert 40 == pytest.approx(done_at, abs=0.1)
        assert 3 == len(transport.requests)

    async def test_a_token_budget_too_small_for_the_next_request_shows_as_a_pause(
        self, mock_client: MakeClient
    ) -> None:
        """300 tokens left until the reset 40 s away, and a request estimated at about 2,000:
        it waits for the reset, and stats() says so meanwhile, though the budget is not empty."""

        def handler(request: MockRequest) -> MockResponse:
            headers = {
                "x-ratelimit-limit-tokens": "3000",
                "x-ratelimit-remaining-tokens": "300" if now() < 40 else "3000",
                "x-ratelimit-reset-tokens": f"{max(40 - now(), 0.001):.3f}s",
            }
            return MockResponse(
                200, {"content-type": "application/json", **headers}, json.dumps(COMPLETION).encode()
            )

        client, _ = mock_client(handler)
        async with client:
            await client.chat.completions.create(**chat_body(), max_tokens=10)
            async with anyio.create_task_group() as tg:
                tg.start_soon(lambda: client.chat.completions.create(**chat_body(), max_tokens=2000))
                await anyio.wait_all_tasks_blocked()
                held, held_at = client.stats(), now()
            done_at = now()
        assert 40 - held_at == pytest.approx(held.paused_for, abs=1e-6)
        assert "x-ratelimit-remaining-tokens" in (held.pause_cause or "")
        assert 40 == pytest.approx(done_at, abs=0.1)

    @staticmethod
    async def _refused(client: AsyncOpenAI) -> None:
        with pytest.raises(RateLimitError):
            await client.chat.completions.create(**chat_body())


class TestClose:
    async def test_closing_with_requests_in_flight_leaves_nothing_counted_in_flight(
        self, mock_client: MakeClient
    ) -> None:
        """Each caller gets ClientClosedError, and stats() after the close shows no request in
        flight and no tokens reserved (they were left counted before)."""

        async def hang(request: MockRequest) -> MockResponse:
            await anyio.sleep_forever()
            raise AssertionError("unreachable")

        client, transport = mock_client(hang)
        errors: list[BaseException] = []

        async def ask() -> None:
            try:
                await client.chat.completions.create(**chat_body())
            except Exception as exc:
                errors.append(exc)

        async with anyio.create_task_group() as tg:
            for _ in range(3):
                tg.start_soon(ask)
            await anyio.wait_all_tasks_blocked()
            assert (3, 3) == (len(transport.requests), client.stats().in_flight)
            await client.close()
        stats = client.stats()
        assert ["ClientClosedError"] * 3 == [type(e).__name__ for e in errors]
        assert (0, 0) == (stats.in_flight, stats.tokens_reserved)
