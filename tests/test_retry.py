"""The retry policy, with explicit clocks and randomness: every delay is exact."""

from __future__ import annotations

import email.utils

import pytest

from openai_actors._retry import backoff, parse_retry_after, retry_delay, status_is_retryable

NOW = 1_700_000_000.0


def delay(
    *,
    retries_taken: int = 0,
    max_retries: int = 2,
    status: int | None = 500,
    headers: dict[str, str] | None = None,
    replayable: bool = True,
    rand: float = 0.0,
) -> float | None:
    return retry_delay(
        retries_taken=retries_taken,
        max_retries=max_retries,
        status=status,
        headers=headers,
        replayable=replayable,
        now=NOW,
        rand=rand,
    )


class TestWhatIsRetried:
    @pytest.mark.parametrize("status", [408, 409, 429, 500, 502, 503, 504, 599])
    def test_these_statuses_are_retried(self, status: int) -> None:
        assert status_is_retryable(status, {}, NOW)

    @pytest.mark.parametrize("status", [400, 401, 403, 404, 422])
    def test_these_statuses_are_not(self, status: int) -> None:
        assert not status_is_retryable(status, {}, NOW)

    def test_x_should_retry_true_retries_any_status(self) -> None:
        assert status_is_retryable(400, {"x-should-retry": "true"}, NOW)

    def test_x_should_retry_false_stops_even_a_500(self) -> None:
        assert not status_is_retryable(500, {"x-should-retry": "false"}, NOW)

    def test_a_retry_after_over_two_minutes_means_give_up(self) -> None:
        """Even x-should-retry: true does not outweigh a server asking for more than 120 s."""
        assert not status_is_retryable(429, {"retry-after": "121", "x-should-retry": "true"}, NOW)
        assert status_is_retryable(429, {"retry-after": "120"}, NOW)

    def test_connection_errors_are_retried(self) -> None:
        assert 0.5 == delay(status=None)

    def test_no_retry_once_max_retries_are_used(self) -> None:
        assert delay(retries_taken=1, max_retries=2) is not None
        assert delay(retries_taken=2, max_retries=2) is None
        assert delay(max_retries=0) is None

    def test_a_body_that_cannot_be_resent_is_not_retried(self) -> None:
        assert delay(replayable=False) is None


class TestHowLongToWait:
    @pytest.mark.parametrize(
        ("retries_taken", "expected"),
        [(0, 0.5), (1, 1.0), (2, 2.0), (3, 4.0), (4, 8.0), (5, 8.0), (10_000, 8.0)],
    )
    def test_exponential_backoff_capped_at_eight_seconds(self, retries_taken: int, expected: float) -> None:
        assert expected == backoff(retries_taken, rand=0.0)

    def test_jitter_takes_off_up_to_a_quarter(self) -> None:
        assert 0.375 == backoff(0, rand=1.0)
        assert 6.0 == backoff(4, rand=1.0)
        assert 0.4375 == backoff(0, rand=0.5)

    def test_retry_after_ms_wins_over_retry_after(self) -> None:
        assert 0.25 == delay(status=429, headers={"retry-after-ms": "250", "retry-after": "7"})

    def test_retry_after_seconds_may_be_fractional(self) -> None:
        assert 1.5 == delay(status=429, headers={"retry-after": "1.5"})

    def test_retry_after_as_an_http_date(self) -> None:
        date = email.utils.formatdate(NOW + 30, usegmt=True)
        assert 30.0 == delay(status=503, headers={"retry-after": date})

    def test_retry_after_in_the_past_or_zero_falls_back_to_backoff(self) -> None:
        """Only 0 < retry-after <= 120 is obeyed; zero or negative means "use the backoff"."""
        assert 0.5 == delay(status=429, headers={"retry-after": "0"})
        past = email.utils.formatdate(NOW - 30, usegmt=True)
        assert 1.0 == delay(retries_taken=1, status=429, headers={"retry-after": past})

    @pytest.mark.parametrize("garbage", ["soon", "", "nan", "1e", "Mon, 99 Foo"])
    def test_garbage_retry_after_is_ignored(self, garbage: str) -> None:
        assert 0.5 == delay(status=429, headers={"retry-after": garbage})

    def test_an_overflowing_retry_after_counts_as_too_long(self) -> None:
        assert delay(status=429, headers={"retry-after": "1e999"}) is None

    def test_parse_retry_after_returns_none_without_headers(self) -> None:
        assert parse_retry_after({}, NOW) is None
