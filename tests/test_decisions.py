"""What follows an attempt, decided without I/O: the call's state, the answer and the clock in."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from openai_actors._decisions import (
    FINISH,
    Fail,
    FollowRedirect,
    Pause,
    Reauthenticate,
    Retry,
    after_error,
    after_response,
    pause_after_429,
)
from openai_actors._redirect import MAX_REDIRECTS
from openai_actors._transport import Origin, TransportError, TransportTimeout

ORIGIN = Origin("https", "api.example.com", 443)


@dataclass
class FakeCall:
    method: str = "POST"
    origin: Origin = field(default_factory=lambda: ORIGIN)
    target: str = "/v1/chat/completions"
    retries_taken: int = 0
    max_retries: int = 2
    replayable: bool = True
    reauthenticated: bool = False
    follow_redirects: bool = True
    redirects: int = 0


def respond(call: FakeCall, status: int, headers: dict[str, str] | None = None, **kw: Any) -> object:
    options: dict[str, Any] = {"key_refreshable": False, "follow_redirects": True, "now": 0.0, "rand": 0.0}
    return after_response(call, status, headers or {}, **(options | kw))


class TestAfterResponse:
    @pytest.mark.parametrize("status", [200, 201, 204, 299])
    def test_a_success_is_delivered(self, status: int) -> None:
        assert FINISH == respond(FakeCall(), status)

    def test_a_401_with_a_refreshable_key_reauthenticates_once(self) -> None:
        """A callable key may have been rotated: fetch again and resend, once, and only a body that can be resent."""
        assert Reauthenticate() == respond(FakeCall(), 401, key_refreshable=True)
        assert FINISH == respond(FakeCall(reauthenticated=True), 401, key_refreshable=True)
        assert FINISH == respond(FakeCall(replayable=False), 401, key_refreshable=True)
        assert FINISH == respond(FakeCall(), 401, key_refreshable=False)

    def test_a_5xx_is_retried_after_the_backoff_and_given_up_after_max_retries(self) -> None:
        assert Retry(0.5, "status 503") == respond(FakeCall(), 503)
        assert Retry(1.0 * 0.75, "status 500") == respond(FakeCall(retries_taken=1), 500, rand=1.0)
        assert FINISH == respond(FakeCall(retries_taken=2), 503)

    def test_the_servers_retry_after_is_waited_for_when_within_the_horizon(self) -> None:
        assert Retry(30.0, "status 429") == respond(FakeCall(), 429, {"retry-after": "30"})
        assert FINISH == respond(FakeCall(), 429, {"retry-after": "500"})

    def test_a_400_is_delivered_unless_the_server_says_to_retry(self) -> None:
        assert FINISH == respond(FakeCall(), 400)
        assert Retry(0.5, "status 400") == respond(FakeCall(), 400, {"x-should-retry": "true"})

    def test_a_redirect_is_followed_with_httpx_rules(self) -> None:
        decision = respond(FakeCall(), 303, {"location": "/v1/elsewhere"})
        assert isinstance(decision, FollowRedirect)
        assert ("GET", "/v1/elsewhere", ORIGIN) == (
            decision.redirect.method,
            decision.redirect.target,
            decision.redirect.origin,
        )

    def test_a_redirect_is_delivered_as_is_when_not_followed(self) -> None:
        """By the caller's choice or because the transport follows redirects itself."""
        assert FINISH == respond(FakeCall(follow_redirects=False), 302, {"location": "/x"})
        assert FINISH == respond(FakeCall(), 302, {"location": "/x"}, follow_redirects=False)
        assert FINISH == respond(FakeCall(), 304)

    def test_a_redirect_that_cannot_be_followed_fails_saying_why(self) -> None:
        too_many = respond(FakeCall(redirects=MAX_REDIRECTS), 302, {"location": "/x"})
        assert Fail(f"more than {MAX_REDIRECTS} redirects") == too_many
        streamed = respond(FakeCall(replayable=False), 307, {"location": "/x"})
        assert isinstance(streamed, Fail)
        assert "cannot be sent again" in streamed.message
        bad = respond(FakeCall(), 302, {"location": "ftp://x/"})
        assert isinstance(bad, Fail)
        assert "not an http(s) URL" in bad.message


class TestAfterError:
    def test_a_transport_failure_is_retried_until_max_retries(self) -> None:
        assert Retry(0.5, "connection reset") == after_error(
            FakeCall(), TransportError("connection reset"), now=0.0, rand=0.0
        )
        assert FINISH == after_error(FakeCall(retries_taken=2), TransportError("x"), now=0.0, rand=0.0)

    def test_a_pool_timeout_is_not_retried_but_a_read_timeout_is(self) -> None:
        assert FINISH == after_error(FakeCall(), TransportTimeout("pool", 1.0), now=0.0, rand=0.0)
        assert isinstance(after_error(FakeCall(), TransportTimeout("read", 1.0), now=0.0, rand=0.0), Retry)

    def test_anything_else_is_delivered(self) -> None:
        assert FINISH == after_error(FakeCall(), ValueError("a bug"), now=0.0, rand=0.0)

    def test_a_body_that_cannot_be_resent_is_not_retried(self) -> None:
        assert FINISH == after_error(FakeCall(replayable=False), TransportError("x"), now=0.0, rand=0.0)


class TestPauseAfter429:
    def test_the_servers_retry_after_sets_the_pause(self) -> None:
        assert Pause(30.0, "429 (retry-after)") == pause_after_429({"retry-after": "30"}, now=0.0)
        assert Pause(0.25, "429 (retry-after)") == pause_after_429({"retry-after-ms": "250"}, now=0.0)

    def test_a_wait_beyond_the_retry_horizon_is_a_refusal_not_a_pause(self) -> None:
        """The server refuses that request; the others are not held for longer than a retry would wait."""
        assert None is pause_after_429({"retry-after": "500"}, now=0.0)
        assert None is pause_after_429({"retry-after": "120.5"}, now=0.0)
        assert Pause(120.0, "429 (retry-after)") == pause_after_429({"retry-after": "120"}, now=0.0)

    def test_an_http_date_is_read_against_the_wall_clock(self) -> None:
        headers = {"retry-after": "Thu, 01 Jan 1970 00:00:40 GMT"}
        assert Pause(30.0, "429 (retry-after)") == pause_after_429(headers, now=10.0)

    def test_without_retry_after_the_longest_reset_named(self) -> None:
        headers = {
            "x-ratelimit-limit-requests": "100",
            "x-ratelimit-reset-requests": "2s",
            "x-ratelimit-reset-tokens": "6s",
        }
        assert Pause(6.0, "429 (x-ratelimit-reset)") == pause_after_429(headers, now=0.0)

    def test_without_any_wait_named_the_first_backoff_step(self) -> None:
        assert Pause(0.5, "429 (no wait named)") == pause_after_429({}, now=0.0)
        assert Pause(0.5, "429 (no wait named)") == pause_after_429({"retry-after": "soon"}, now=0.0)

    def test_a_wait_named_but_already_over_is_one_backoff_step_and_says_so(self) -> None:
        passed = Pause(0.5, "429 (retry-after already passed)")
        assert passed == pause_after_429({"retry-after": "0"}, now=0.0)
        assert passed == pause_after_429({"retry-after": "-5"}, now=0.0)
        assert passed == pause_after_429({"retry-after": "Thu, 01 Jan 1970 00:00:40 GMT"}, now=100.0)
