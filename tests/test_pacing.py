"""The pacing core with explicit clocks: smooth, exact, learned, paused; durations; token estimates."""

from __future__ import annotations

import heapq
import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import anyio
import pytest
from hypothesis import given
from hypothesis import strategies as st

from openai_actors._mock_transport import MockRequest, MockResponse
from openai_actors._pacing import Pacer, Rate, ServerLimits, parse_duration, read_server_limits
from openai_actors._tokens import DEFAULT_COMPLETION_TOKENS, estimate_tokens, usage_tokens
from openai_actors.mock._ratelimit import estimate_tokens as mock_estimate

from .scripted import COMPLETION, client_over
from .virtual_time import fake_clock_backend

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


# -- servers, simulated -------------------------------------------------------------------
#
# Two ways a server counts a limit, each answering a request at `now` with whether it
# was accepted, the x-ratelimit-* headers it sends, and the retry-after of a refusal.
# `others` is another process on the same key, spending that many units a second.


class FixedWindowServer:
    """`limit` requests per fixed window of `window` seconds from time 0, as fixed-window
    gateways count them: remaining in this window, reset = the time until it ends."""

    def __init__(self, limit: int, window: float = WINDOW, *, others: float = 0.0) -> None:
        self.limit, self.window, self.others = limit, window, others
        self.index = 0
        self.ours = 0

    def charge(self, now: float) -> tuple[bool, ServerLimits, float]:
        index = math.floor(now / self.window)
        if index != self.index:
            self.index, self.ours = index, 0
        start = index * self.window
        theirs = min(math.floor(self.others * (now - start)), self.limit - self.ours)
        accepted = self.ours + theirs < self.limit
        self.ours += accepted
        reset = start + self.window - now
        left = self.limit - self.ours - theirs
        return (
            accepted,
            ServerLimits(limit_requests=self.limit, remaining_requests=left, reset_requests=reset),
            reset,
        )


class RefillServer:
    """`limit` requests per `window` seconds in a bucket refilled continuously, as OpenAI counts
    them: reset = the time until the bucket is full again."""

    def __init__(self, limit: int, window: float = WINDOW, *, others: float = 0.0) -> None:
        self.limit, self.window, self.others = limit, window, others
        self.rate = limit / window
        self.level = float(limit)
        self.stamp = 0.0

    def charge(self, now: float) -> tuple[bool, ServerLimits, float]:
        gained = (self.rate - self.others) * (now - self.stamp)
        self.level, self.stamp = min(max(self.level + gained, 0.0), float(self.limit)), now
        accepted = self.level >= 1
        self.level -= accepted
        limits = ServerLimits(
            limit_requests=self.limit,
            remaining_requests=math.floor(self.level),
            reset_requests=(self.limit - self.level) / self.rate,
        )
        return accepted, limits, max(1 - self.level, 0.0) / self.rate


@dataclass
class Served:
    served: list[float] = field(default_factory=list)
    """When each request the server accepted reached it."""
    refused: int = 0
    finished: float = 0.0
    """When the last answer came back."""

    def per_window(self, window: float = WINDOW) -> list[int]:
        counts = [0] * (math.floor(max(self.served, default=0.0) / window) + 1)
        for t in self.served:
            counts[math.floor(t / window)] += 1
        return counts


def run(
    pacer: Pacer,
    server: FixedWindowServer | RefillServer,
    count: int,
    concurrency: int,
    latency: Callable[[], float] = lambda: 0.0,
) -> Served:
    """`count` requests from `concurrency` callers through `pacer`, as the dispatcher drives it.

    Each admitted request reaches the server at once; its answer comes back
    `latency()` seconds later (out of order when latencies differ) and is observed
    then. A refused request pauses everyone for the server's retry-after, gives
    its reservation back and is sent again.
    """
    result = Served()
    now, waiting, number = 0.0, count, 0
    answers: list[tuple[float, int, bool, ServerLimits, float]] = []
    while waiting or answers:
        ready = math.inf
        if waiting and len(answers) < concurrency:
            ready = pacer.ready_at(0, now)
            if ready <= now:
                pacer.admit(0, now)
                accepted, limits, retry = server.charge(now)
                if accepted:
                    result.served.append(now)
                heapq.heappush(answers, (now + latency(), number, accepted, limits, retry))
                number += 1
                waiting -= 1
                continue
        now = min(ready, answers[0][0] if answers else math.inf)
        while answers and answers[0][0] <= now:
            at, _, accepted, limits, retry = heapq.heappop(answers)
            pacer.observe(limits, at)
            if not accepted:
                result.refused += 1
                pacer.give_back(1, 0)
                pacer.pause(at + retry)
                waiting += 1
            result.finished = at
    return result


def jittered(low: float, high: float, seed: int = 12) -> Callable[[], float]:
    """Latencies drawn evenly from [low, high): with many in flight, answers come back out of order."""
    draw = random.Random(seed).uniform
    return lambda: draw(low, high)


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


class TestWhatTheServerSaysIsLeft:
    """`remaining` and `reset` are the server's account: what is left, and when it is whole again.

    A fixed-window server's reset is the end of its window, an OpenAI-style bucket's is
    the time until it is full; the same rule must pace both.
    """

    def test_a_fixed_window_with_budget_left_never_stops_sending(self) -> None:
        """Remaining 299 of 300 with the window ending in 59.9 s is room, not a debt:
        sending goes on at the paced rate."""
        pacer = Pacer()
        pacer.observe(ServerLimits(limit_requests=300, remaining_requests=299, reset_requests=59.9), 0.1)
        times = send_greedily(pacer, 100, start=0.1)
        assert times[-1] < 0.1 + 100 * Rate(300).interval

    def test_a_spent_fixed_window_holds_sending_until_its_reset(self) -> None:
        """Remaining 0, reset in 20 s: nothing goes before the reset, then sending resumes."""
        pacer = Pacer()
        pacer.observe(ServerLimits(limit_requests=300, remaining_requests=0, reset_requests=20.0), 10.0)
        assert 30.0 == pacer.ready_at(0, 10.0)
        assert 30.0 == pacer.ready_at(0, 29.999)
        assert 30.0 == pacer.ready_at(0, 30.0)

    def test_at_the_reset_the_window_is_whole_again(self) -> None:
        """After the reset the server's next answer says the budget is back: sending goes on
        at the paced rate at once, not held for another window."""
        pacer = Pacer()
        pacer.observe(ServerLimits(limit_requests=300, remaining_requests=0, reset_requests=20.0), 10.0)
        now = pacer.ready_at(0, 10.0)
        pacer.admit(0, now)
        pacer.observe(ServerLimits(limit_requests=300, remaining_requests=299, reset_requests=59.99), now)
        times = send_greedily(pacer, 20, start=now)
        assert times[-1] < now + 20 * Rate(300).interval

    def test_a_fixed_window_is_used_whole_and_never_overrun(self) -> None:
        """Against 300 per fixed minute, 900 requests from 64 callers: the first 64 go before
        the limit is known, the rest of that window is spread to fit, and each later window
        is filled to the paced rate; not one refused request."""
        result = run(Pacer(), FixedWindowServer(300), 900, concurrency=64)
        assert 0 == result.refused
        assert [300, 295, 295, 10] == result.per_window()

    def test_fixed_window_target_with_answers_out_of_order(self) -> None:
        """The issue's case: 400 requests, 64 at a time, answers taking 0.05 to 3 s (so each
        `remaining` is stale by the requests sent after it): all are served within three
        windows, with fewer refusals than requests in flight."""
        result = run(Pacer(), FixedWindowServer(300), 400, concurrency=64, latency=jittered(0.05, 3.0))
        assert 400 == len(result.served)
        assert result.finished <= 3 * WINDOW
        assert result.refused <= 64

    def test_continuous_refill_target_with_answers_out_of_order(self) -> None:
        """Against 300 per minute refilled continuously, 1,200 requests from 64 callers with
        answers out of order: no refusal, and at least 95 % of the limit used at steady state."""
        result = run(Pacer(), RefillServer(300), 1200, concurrency=64, latency=jittered(0.05, 3.0))
        assert 0 == result.refused
        assert all(n >= 0.95 * 300 for n in result.per_window()[1:3])

    def test_another_process_spending_a_fixed_window_slows_sending_to_fit(self) -> None:
        """Remaining 100 of 600 with 50 s to go, and this client has sent nothing: someone else
        spends the same key. The 100 are spread over the 50 s (not sent at this client's
        10 a second, not held for the whole window)."""
        pacer = Pacer()
        pacer.observe(ServerLimits(limit_requests=600, remaining_requests=100, reset_requests=50.0), 10.0)
        times = send_greedily(pacer, 100, start=10.0)
        assert times[0] == 10.0
        assert times[-1] >= 10.0 + 0.9 * 50.0
        assert times[-1] < 60.0

    @pytest.mark.parametrize("kind", [FixedWindowServer, RefillServer])
    def test_sharing_a_key_with_a_steady_neighbour(
        self, kind: type[FixedWindowServer | RefillServer]
    ) -> None:
        """Another process spends 100 of the 300 a minute, as fast as it likes: this client slows
        down to what is left and uses most of it. A bucket gives no refusal at all; a fixed
        window at most one per window, where the neighbour takes its last units first."""
        result = run(Pacer(), kind(300, others=100 / WINDOW), 900, concurrency=8, latency=jittered(0.05, 1.0))
        windows = result.per_window()
        assert result.refused <= (len(windows) if kind is FixedWindowServer else 0)
        assert all(n >= 0.9 * 200 for n in windows[1:3])

    def test_a_stale_answer_does_not_give_back_what_a_fresher_one_took(self) -> None:
        """In one fixed window, 5 left; five are sent; then an older answer arrives saying 40 are
        left. The newer account stands: nothing more goes before the reset."""
        pacer = Pacer()
        pacer.observe(ServerLimits(limit_requests=300, remaining_requests=5, reset_requests=30.0), 0.0)
        times = send_greedily(pacer, 5)
        pacer.observe(ServerLimits(limit_requests=300, remaining_requests=40, reset_requests=29.0), times[-1])
        assert 30.0 == pacer.ready_at(0, times[-1])

    def test_what_is_sent_after_an_answer_is_taken_from_what_it_said_was_left(self) -> None:
        """3 left: three more go (spread over the window), the fourth waits for the reset."""
        pacer = Pacer()
        pacer.observe(ServerLimits(limit_requests=300, remaining_requests=3, reset_requests=30.0), 0.0)
        times = send_greedily(pacer, 3)
        assert times[-1] < 30.0
        assert 30.0 == pacer.ready_at(0, times[-1])

    def test_a_reservation_never_sent_is_room_again(self) -> None:
        pacer = Pacer()
        pacer.observe(ServerLimits(limit_requests=300, remaining_requests=1, reset_requests=30.0), 0.0)
        pacer.admit(0, 0.0)
        assert 30.0 == pacer.ready_at(0, 0.0)
        pacer.give_back(1, 0)
        assert 30.0 > pacer.ready_at(0, 0.0)

    def test_continuous_headers_pace_at_the_limit(self) -> None:
        """OpenAI's headers at steady state (remaining near the limit, reset well under a
        second) leave the pace to the learned limit."""
        result = run(Pacer(), RefillServer(600), 3000, concurrency=16)
        assert 0 == result.refused
        assert all(n >= 0.95 * 600 for n in result.per_window()[1:4])

    def test_spent_tokens_hold_requests_that_carry_tokens(self) -> None:
        """Tokens are accounted the same way: none left until the reset holds a request that
        needs tokens, not one that needs none; a request larger than what is left waits too."""
        pacer = Pacer()
        limits = ServerLimits(limit_tokens=10_000, remaining_tokens=500, reset_tokens=20.0)
        pacer.observe(limits, 0.0)
        assert 0.0 == pacer.ready_at(400, 0.0)
        assert 20.0 == pacer.ready_at(600, 0.0)
        assert 0.0 == pacer.ready_at(0, 0.0)

    @pytest.mark.parametrize(
        "limits",
        [
            ServerLimits(limit_requests=300, remaining_requests=301, reset_requests=30.0),
            ServerLimits(limit_requests=300, remaining_requests=0, reset_requests=None),
            ServerLimits(limit_requests=300, remaining_requests=None, reset_requests=30.0),
            ServerLimits(limit_requests=300, remaining_requests=0, reset_requests=3600.0),
            ServerLimits(limit_requests=0, remaining_requests=0, reset_requests=30.0),
            ServerLimits(
                limit_requests=300,
                remaining_requests=0,
                reset_requests=None,
                malformed=("x-ratelimit-reset-requests",),
            ),
        ],
        ids=[
            "remaining-over-limit",
            "no-reset",
            "no-remaining",
            "reset-beyond-horizon",
            "zero-limit",
            "malformed",
        ],
    )
    def test_headers_that_cannot_be_trusted_hold_nothing(self, limits: ServerLimits) -> None:
        """Missing, unreadable or contradictory headers (more left than the limit, a reset
        further away than the client would wait to retry) never stop sending."""
        pacer = Pacer(requests_per_minute=600)
        pacer.observe(limits, 0.0)
        assert 0.0 == pacer.ready_at(0, 0.0)

    def test_a_contradictory_limit_is_not_adopted(self) -> None:
        pacer = Pacer()
        pacer.observe(ServerLimits(limit_requests=300, remaining_requests=301, reset_requests=1.0), 0.0)
        assert pacer.requests is None

    def test_without_learning_the_servers_account_is_ignored(self) -> None:
        """`RateLimit(learn=False)`: the configured limit alone paces."""
        pacer = Pacer(requests_per_minute=600, learn=False)
        pacer.observe(ServerLimits(limit_requests=600, remaining_requests=0, reset_requests=30.0), 0.0)
        assert 0.0 == pacer.ready_at(0, 0.0)


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


class TestThroughTheDispatcher:
    """The issue's targets at full scale (60 s windows, default settings), through the real
    dispatcher over an in-memory transport on a fake clock (tests/virtual_time.py): minutes of
    pacing in a fraction of a second, and every figure exact."""

    @pytest.fixture(params=["asyncio", "trio"])
    def anyio_backend(self, request: pytest.FixtureRequest) -> tuple[str, dict[str, Any]]:
        return fake_clock_backend(request)

    @staticmethod
    async def send(
        server: FixedWindowServer | RefillServer,
        count: int,
        concurrency: int,
        monkeypatch: pytest.MonkeyPatch,
    ) -> Served:
        """`count` chat requests from `concurrency` callers through `AsyncOpenAI()` with no
        rate_limit argument; the server charges each on arrival and answers 0.05 to 3 s later
        (so its headers are stale by then, and answers come back out of order)."""
        latency = jittered(0.05, 3.0)
        served = Served()

        async def handler(request: MockRequest) -> MockResponse:
            arrived = anyio.current_time()
            accepted, limits, retry = server.charge(arrived)
            await anyio.sleep(latency())
            headers = {
                "x-ratelimit-limit-requests": str(limits.limit_requests),
                "x-ratelimit-remaining-requests": str(limits.remaining_requests),
                "x-ratelimit-reset-requests": f"{limits.reset_requests:.3f}s",
            }
            if not accepted:
                served.refused += 1
                headers["retry-after-ms"] = str(math.ceil(retry * 1000))
                return MockResponse.json({"error": {"message": "rate limited"}}, 429, headers)
            served.served.append(arrived)
            return MockResponse.json(COMPLETION, 200, headers)

        client, _ = client_over(monkeypatch, handler)
        limiter = anyio.Semaphore(concurrency)

        async def one() -> None:
            async with limiter:
                await client.chat.completions.create(model="m", messages=[{"role": "user", "content": "hi"}])

        async with client, anyio.create_task_group() as tg:
            for _ in range(count):
                tg.start_soon(one)
        served.finished = anyio.current_time()
        return served

    @pytest.mark.anyio
    async def test_a_fixed_window_of_300_a_minute_serves_400_within_three_windows(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """All 400 served (64 at a time) within three windows, with no more 429s than requests
        in flight."""
        with anyio.fail_after(10 * WINDOW):
            result = await self.send(FixedWindowServer(300), 400, 64, monkeypatch)
        assert 400 == len(result.served)
        assert result.finished <= 3 * WINDOW
        assert result.refused <= 64

    @pytest.mark.anyio
    async def test_a_continuous_limit_of_300_a_minute_is_used_at_95_percent_without_429s(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """1,000 requests, 64 at a time: not one 429, and at least 95 % of the limit used in each
        window once the first is past."""
        with anyio.fail_after(10 * WINDOW):
            result = await self.send(RefillServer(300), 1000, 64, monkeypatch)
        assert 0 == result.refused
        assert all(n >= 0.95 * 300 for n in result.per_window()[1:3])


class TestANewEventLoop:
    def test_every_time_kept_moves_to_the_new_clock(self) -> None:
        """A pacer that paced, learned a spent budget and paused on one clock keeps the same
        waits, measured from now, on a clock whose origin is a day away."""
        old_now, new_now = 1000.0, 1000.0 - 86_400.0
        pacer = Pacer(requests_per_minute=60)
        pacer.use_clock(lambda: old_now)
        pacer.admit(0, old_now)
        pacer.observe(read_server_limits(SPENT) or ServerLimits(), old_now)
        pacer.pause(old_now + 5)
        waits = (pacer.ready_at(0, old_now) - old_now, pacer.paused_until - old_now)
        pacer.use_clock(lambda: new_now)
        assert waits == pytest.approx((pacer.ready_at(0, new_now) - new_now, pacer.paused_until - new_now))
        assert pacer.spent_until(1, new_now) == pytest.approx((new_now + 30.0, "requests"))


SPENT = {
    "x-ratelimit-limit-requests": "60",
    "x-ratelimit-remaining-requests": "0",
    "x-ratelimit-reset-requests": "30s",
}
