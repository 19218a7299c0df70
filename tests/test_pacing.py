"""The pacing core with explicit clocks: smooth, exact, learned, paused; durations; token estimates."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from openai_actors._pacing import Pacer, Rate, ServerLimits, parse_duration, read_server_limits
from openai_actors._tokens import DEFAULT_COMPLETION_TOKENS, estimate_tokens, usage_tokens
from openai_actors.mock._ratelimit import estimate_tokens as mock_estimate

WINDOW = 60.0


def send_greedily(pacer: Pacer, count: int, cost: float = 0, start: float = 0.0) -> list[float]:
    """Admit `count` requests as early as the pacer allows; their admission times."""
    times: list[float] = []
    now = start
    for _ in range(count):
        now = pacer.ready_at(cost, now)
        pacer.admit(cost, now)
        times.append(now)
    return times


def most_in_any_window(times: list[float], window: float = WINDOW) -> int:
    """The most admissions in any half-open window [t, t + window)."""
    best, start = 0, 0
    for end, t in enumerate(times):
        while times[start] <= t - window:
            start += 1
        best = max(best, end - start + 1)
    return best


class TestRequestsPerMinute:
    @pytest.mark.parametrize("limit", [1, 7, 60, 500, 3000, 100_000])
    def test_no_window_ever_holds_more_than_the_limit(self, limit: int) -> None:
        times = send_greedily(Pacer(requests_per_minute=limit), 4 * limit)
        assert most_in_any_window(times) <= limit

    @pytest.mark.parametrize("limit", [60, 500, 3000])
    def test_at_least_95_percent_of_the_limit_is_used_at_steady_state(self, limit: int) -> None:
        times = send_greedily(Pacer(requests_per_minute=limit), 4 * limit)
        steady = [t for t in times if 2 * WINDOW <= t < 3 * WINDOW]
        assert len(steady) >= 0.95 * limit

    def test_admissions_are_spread_over_the_minute_not_bunched_at_its_start(self) -> None:
        """600/min: the first second sees the small burst and the paced ones, not 600."""
        times = send_greedily(Pacer(requests_per_minute=600), 600)
        first_second = sum(1 for t in times if t < 1.0)
        rate = Rate(600)
        assert first_second <= rate.burst + math.ceil(1.0 / rate.interval) + 1
        assert 600 == len(times) and times[-1] > 55.0

    def test_waking_late_does_not_lose_capacity_within_the_burst(self) -> None:
        """A loop that wakes a little late catches up, as long as it is within the burst."""
        pacer = Pacer(requests_per_minute=6000)
        rate = pacer.requests
        assert rate is not None
        now, sent = 0.0, 0
        while now < WINDOW:
            ready = pacer.ready_at(0, now)
            if ready > now:
                now = ready + 0.001  # every wake 1 ms late
                continue
            pacer.admit(0, now)
            sent += 1
        assert sent >= 0.95 * 6000


class TestTokensPerMinute:
    def test_tokens_are_paced_by_cost(self) -> None:
        pacer = Pacer(tokens_per_minute=60_000)
        times = send_greedily(pacer, 100, cost=3000)
        per_window = max(
            sum(3000 for t in times if a <= t < a + WINDOW) for a in (times[i] for i in range(len(times)))
        )
        assert per_window <= 60_000 + 3000  # at most one request's tokens over

    def test_a_request_bigger_than_the_limit_is_recognised(self) -> None:
        pacer = Pacer(tokens_per_minute=10_000)
        assert 10_000 == pacer.too_big(10_001)
        assert pacer.too_big(10_000) is None
        assert Pacer().too_big(10**9) is None

    def test_returning_an_unused_reservation_lets_the_next_go_sooner(self) -> None:
        with_refund, without = Pacer(tokens_per_minute=6000), Pacer(tokens_per_minute=6000)
        for pacer in (with_refund, without):
            pacer.admit(3000, 0.0)
        with_refund.give_back(0, 2900)
        assert with_refund.ready_at(1000, 0.0) < without.ready_at(1000, 0.0)

    def test_using_more_than_reserved_delays_the_next(self) -> None:
        pacer, other = Pacer(tokens_per_minute=6000), Pacer(tokens_per_minute=6000)
        for p in (pacer, other):
            p.admit(100, 0.0)
        pacer.give_back(0, -2000)  # used 2,100 where 100 was reserved
        assert pacer.ready_at(100, 0.0) > other.ready_at(100, 0.0)

    def test_requests_without_tokens_ignore_the_token_budget(self) -> None:
        pacer = Pacer(tokens_per_minute=100)
        pacer.admit(100, 0.0)
        assert 0.0 == pacer.ready_at(0, 0.0)


class TestLearning:
    def test_a_server_limit_is_adopted_when_none_is_configured(self) -> None:
        pacer = Pacer()
        assert pacer.ready_at(0, 0.0) == 0.0 and pacer.requests is None
        pacer.observe(ServerLimits(limit_requests=500, limit_tokens=200_000), 0.0)
        assert (500, "learned") == (pacer.limit_requests().value, pacer.limit_requests().source)
        assert (200_000, "learned") == (pacer.limit_tokens().value, pacer.limit_tokens().source)

    def test_a_configured_limit_is_never_raised_by_the_server(self) -> None:
        pacer = Pacer(requests_per_minute=100)
        pacer.observe(ServerLimits(limit_requests=10_000), 0.0)
        assert (100, "configured") == (pacer.limit_requests().value, pacer.limit_requests().source)

    def test_a_lower_server_limit_wins_over_a_configured_one(self) -> None:
        pacer = Pacer(requests_per_minute=1000)
        pacer.observe(ServerLimits(limit_requests=300), 0.0)
        assert (300, "learned") == (pacer.limit_requests().value, pacer.limit_requests().source)

    def test_learning_can_be_switched_off(self) -> None:
        pacer = Pacer(learn=False)
        pacer.observe(ServerLimits(limit_requests=10), 0.0)
        assert pacer.requests is None

    def test_a_server_budget_spent_elsewhere_slows_sending_down(self) -> None:
        """The server says its budget is full again only in 30 s: another process is using
        it. Sending waits as the server's bucket would."""
        pacer = Pacer(requests_per_minute=600)
        pacer.observe(ServerLimits(limit_requests=600, remaining_requests=300, reset_requests=30.0), 0.0)
        assert pacer.ready_at(0, 0.0) >= 30.0 - Rate(600).tolerance

    def test_a_server_view_no_worse_than_ours_changes_nothing(self) -> None:
        pacer = Pacer(requests_per_minute=600)
        send_greedily(pacer, 5)
        before = pacer.ready_at(0, 0.0)
        pacer.observe(ServerLimits(limit_requests=600, remaining_requests=595, reset_requests=0.4), 0.0)
        assert before == pacer.ready_at(0, 0.0)


class TestPause:
    def test_a_429_pauses_everything_then_sending_resumes_paced(self) -> None:
        pacer = Pacer(requests_per_minute=600)
        pacer.pause(5.0)
        times = send_greedily(pacer, 3, start=0.0)
        interval = Rate(600).interval
        assert times[0] == 5.0
        assert [pytest.approx(interval), pytest.approx(interval)] == [
            times[1] - times[0],
            times[2] - times[1],
        ]

    def test_a_pause_without_any_limit_still_holds(self) -> None:
        pacer = Pacer()
        pacer.pause(2.0)
        assert 2.0 == pacer.ready_at(0, 0.0)
        assert 3.0 == pacer.ready_at(0, 3.0)


class TestDurations:
    @pytest.mark.parametrize(
        ("text", "seconds"),
        [
            ("1s", 1.0),
            ("6m0s", 360.0),
            ("20ms", 0.02),
            ("1m30.5s", 90.5),
            ("1h2m3s", 3723.0),
            ("250us", 0.00025),
            ("0s", 0.0),
            ("0.5", 0.5),
            (" 2s ", 2.0),
        ],
    )
    def test_the_formats_servers_send(self, text: str, seconds: float) -> None:
        assert seconds == pytest.approx(parse_duration(text))

    @pytest.mark.parametrize("text", ["", "abc", "1x", "s", "-1s", "1s2", "nan", "inf", "1 s"])
    def test_garbage_is_none(self, text: str) -> None:
        assert parse_duration(text) is None

    def test_rate_limit_headers_are_read_and_garbage_ignored(self) -> None:
        limits = read_server_limits(
            {
                "x-ratelimit-limit-requests": "500",
                "x-ratelimit-limit-tokens": "lots",
                "x-ratelimit-remaining-requests": "499",
                "x-ratelimit-reset-requests": "120ms",
                "x-ratelimit-reset-tokens": "soon",
            }
        )
        malformed = ("x-ratelimit-limit-tokens", "x-ratelimit-reset-tokens")
        assert ServerLimits(500, None, 499, None, 0.12, None, malformed) == limits
        assert read_server_limits({"x-request-id": "r"}) is None


class TestTokenEstimates:
    @pytest.mark.parametrize(
        ("path", "body", "expected"),
        [
            ("chat/completions", {"messages": [{"content": "12345678"}]}, 2 + DEFAULT_COMPLETION_TOKENS),
            ("chat/completions", {"messages": [{"content": "123"}], "max_tokens": 10}, 1 + 10),
            (
                "chat/completions",
                {"messages": [{"content": "1234"}], "max_completion_tokens": 5, "max_tokens": 9},
                6,
            ),
            (
                "chat/completions",
                {"messages": [{"content": [{"type": "text", "text": "12345"}]}], "max_tokens": 1, "n": 3},
                2 + 3,
            ),
            ("/responses", {"input": "12345678", "instructions": "1234", "max_output_tokens": 7}, 2 + 1 + 7),
            ("responses", {"input": [{"role": "user", "content": "1234"}], "max_output_tokens": 1}, 1 + 1),
            ("completions", {"prompt": ["1234", "12345678"], "max_tokens": 2, "n": 2}, 1 + 2 + 4),
            ("embeddings", {"input": ["1234", "12345"]}, 1 + 2),
            ("embeddings", {"input": [[1, 2, 3], [4]]}, 4),
            ("moderations", {"input": "123456789"}, 3),
            ("models", {}, 0),
        ],
    )
    def test_the_formula(self, path: str, body: dict[str, object], expected: int) -> None:
        assert expected == estimate_tokens(path, body)

    def test_a_tokenizer_can_count_instead(self) -> None:
        assert 3 + 4 == estimate_tokens(
            "chat/completions",
            {"messages": [{"content": "a b c"}], "max_tokens": 4},
            lambda s: len(s.split()),
        )

    def test_usage_is_read_from_a_body_without_decoding_it(self) -> None:
        body = b'{"usage": {"prompt_tokens": 3, "completion_tokens": 4, "total_tokens": 7}}'
        assert 7 == usage_tokens(body)
        assert usage_tokens(b'{"id": "x"}') is None


class TestTheMockChargesWhatTheClientReserves:
    """The client's estimate and the mock server's charge are the same formula, so a client
    configured at the server's limit can expect no 429s from it."""

    texts = st.text(max_size=30)
    parts = st.lists(st.fixed_dictionaries({"type": st.just("text"), "text": texts}), max_size=3)
    content = st.one_of(texts, parts)
    allowance = st.fixed_dictionaries(
        {},
        optional={
            "max_tokens": st.integers(0, 500),
            "max_completion_tokens": st.integers(0, 500),
            "n": st.integers(0, 4),
        },
    )

    @given(
        st.lists(st.fixed_dictionaries({"role": st.just("user"), "content": content}), max_size=4),
        allowance,
    )
    def test_chat(self, messages: list[dict[str, object]], extra: dict[str, object]) -> None:
        body = {"model": "m", "messages": messages, **extra}
        assert mock_estimate("/v1/chat/completions", body) == estimate_tokens("chat/completions", body)

    @given(
        st.one_of(
            texts, st.lists(st.fixed_dictionaries({"role": st.just("user"), "content": content}), max_size=3)
        ),
        st.one_of(st.none(), texts),
        st.fixed_dictionaries({}, optional={"max_output_tokens": st.integers(1, 500)}),
    )
    def test_responses(self, given_input: object, instructions: str | None, extra: dict[str, object]) -> None:
        body: dict[str, object] = {"model": "m", "input": given_input, **extra}
        if instructions is not None:
            body["instructions"] = instructions
        assert mock_estimate("/v1/responses", body) == estimate_tokens("responses", body)

    @given(st.one_of(texts, st.lists(texts, max_size=3)), allowance)
    def test_completions(self, prompt: object, extra: dict[str, object]) -> None:
        body = {"model": "m", "prompt": prompt, **extra}
        assert mock_estimate("/v1/completions", body) == estimate_tokens("completions", body)

    @given(
        st.one_of(
            texts,
            st.lists(texts, max_size=3),
            st.lists(st.integers(0, 100), max_size=5),
            st.lists(st.lists(st.integers(0, 100), max_size=5), max_size=3),
        )
    )
    def test_embeddings_and_moderations(self, given_input: object) -> None:
        body = {"model": "m", "input": given_input}
        assert mock_estimate("/v1/embeddings", body) == estimate_tokens("embeddings", body)
        if not isinstance(given_input, list) or all(isinstance(i, str) for i in given_input):
            assert mock_estimate("/v1/moderations", body) == estimate_tokens("moderations", body)
