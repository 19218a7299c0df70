"""Specification of the mock server's rate limits, enforced like OpenAI's.

Requests and tokens are token buckets refilling continuously over the window;
rate-limited endpoints are charged on arrival (1 request and the token
estimate), corrected to the reply's usage when it completes, answered 429 with
OpenAI's body and ``retry-after(-ms)`` when a bucket lacks room, and always
carry the ``x-ratelimit-*`` headers. Most tests freeze the limiter's clock so
that every number is exact.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest

import openai_actors.mock
from openai_actors import AsyncOpenAI, RateLimit
from openai_actors._pacing import parse_duration
from openai_actors.mock import Fault, MockServer, _ratelimit, main
from openai_actors.mock._ratelimit import estimate_tokens, format_duration

from .conftest import send_many

CHAT = "/v1/chat/completions"
COMPLETIONS = "/v1/completions"
RESPONSES = "/v1/responses"
EMBEDDINGS = "/v1/embeddings"
MODERATIONS = "/v1/moderations"
MORE = " Visit https://platform.openai.com/account/rate-limits to learn more."
ALL_HEADERS = [
    "x-ratelimit-limit-requests",
    "x-ratelimit-limit-tokens",
    "x-ratelimit-remaining-requests",
    "x-ratelimit-remaining-tokens",
    "x-ratelimit-reset-requests",
    "x-ratelimit-reset-tokens",
]


class Clock:
    """A monotonic clock that moves only when told to."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """Freeze the limiter's clock (only the buckets use it)."""
    frozen = Clock()
    monkeypatch.setattr(_ratelimit, "monotonic", frozen)
    return frozen


def serve(**limits: Any) -> tuple[MockServer, httpx.Client]:
    server = MockServer(**limits).start()
    return server, httpx.Client(base_url=server.url, timeout=5.0)


Limited = Callable[..., tuple[MockServer, httpx.Client]]


@pytest.fixture
def limited() -> Iterator[Limited]:
    """A factory of started servers with the given limits, and clients for them, closed after the test."""
    opened: list[tuple[MockServer, httpx.Client]] = []

    def make(**limits: Any) -> tuple[MockServer, httpx.Client]:
        opened.append(serve(**limits))
        return opened[-1]

    yield make
    for server, client in opened:
        client.close()
        server.stop()


def rate_headers(response: httpx.Response) -> dict[str, str]:
    return {
        name: value
        for name, value in response.headers.items()
        if name.startswith("x-ratelimit-") or name.startswith("retry-after")
    }


def chat(content: str = "hi", **extra: Any) -> dict[str, Any]:
    return {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": content}], **extra}


# 36 characters (9 tokens) + max_tokens 291: an estimate of 300. The mock's reply,
# "echo: " + the 36 characters, is 42 characters (11 tokens): usage 9 + 11 = 20.
CHAT_300 = chat("x" * 36, max_tokens=291)


def moderation(tokens: int) -> dict[str, Any]:
    """A moderation request estimated at ``tokens`` (moderations report no usage: no correction)."""
    return {"model": "omni-moderation-latest", "input": "abcd" * tokens}


# --- headers ----------------------------------------------------------------


def test_success_carries_ratelimit_headers(clock: Clock, limited: Limited) -> None:
    """A 200 carries both limits, the floor of each bucket after the charge, and the time until
    each is full again (1 of 5 requests per minute: 12s; 300 of 1000 tokens: 18s)."""
    _, client = limited(rate_limit_requests=5, rate_limit_tokens=1000)

    response = client.post("/chat/completions", json=CHAT_300)

    assert 200 == response.status_code
    assert {
        "x-ratelimit-limit-requests": "5",
        "x-ratelimit-limit-tokens": "1000",
        "x-ratelimit-remaining-requests": "4",
        "x-ratelimit-remaining-tokens": "700",
        "x-ratelimit-reset-requests": "12s",
        "x-ratelimit-reset-tokens": "18s",
    } == rate_headers(response)
    assert ALL_HEADERS == [name for name in response.headers if name.startswith("x-ratelimit-")]


@pytest.mark.parametrize(
    ("limits", "names"),
    [
        ({"rate_limit_requests": 5}, [name for name in ALL_HEADERS if name.endswith("-requests")]),
        ({"rate_limit_tokens": 1000}, [name for name in ALL_HEADERS if name.endswith("-tokens")]),
    ],
)
def test_only_the_limits_set_have_headers(
    clock: Clock, limited: Limited, limits: dict[str, int], names: list[str]
) -> None:
    """With one limit set, replies carry only that limit's three headers."""
    _, client = limited(**limits)

    response = client.post("/chat/completions", json=CHAT_300)

    assert names == list(rate_headers(response))


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/chat/completions", chat()),
        ("/completions", {"model": "m", "prompt": "hi"}),
        ("/responses", {"model": "m", "input": "hi"}),
        ("/embeddings", {"model": "m", "input": "hi"}),
        ("/moderations", {"input": "hi"}),
    ],
)
def test_no_headers_and_no_limits_by_default(path: str, body: dict[str, Any]) -> None:
    """Without limits, no reply carries rate limit headers and nothing is ever refused."""
    with MockServer() as server, httpx.Client(base_url=server.url, timeout=5.0) as client:
        responses = [client.post(path, json=body) for _ in range(3)]

        assert [200, 200, 200] == [response.status_code for response in responses]
        assert [{}, {}, {}] == [rate_headers(response) for response in responses]
        assert {"requests": None, "tokens": None} == server.rate_state()
        assert 0 == server.rate_limited
        assert (None, None, 60.0) == (
            server.rate_limit_requests,
            server.rate_limit_tokens,
            server.rate_limit_window,
        )


# --- 429 --------------------------------------------------------------------


def test_requests_limit_answers_openai_429(clock: Clock, limited: Limited) -> None:
    """Past the requests limit: OpenAI's 429 body, retry-after-ms/retry-after until one request
    fits, the headers unchanged by the refused request (charged nothing), counted in rate_limited."""
    server, client = limited(rate_limit_requests=2)
    assert [200, 200] == [client.post("/chat/completions", json=chat()).status_code for _ in range(2)]

    response = client.post("/chat/completions", json=chat())

    assert 429 == response.status_code
    assert {
        "error": {
            "message": "Rate limit reached for gpt-4o-mini in organization org-mock on requests per min (RPM): "
            "Limit 2, Used 2, Requested 1. Please try again in 30s." + MORE,
            "type": "requests",
            "param": None,
            "code": "rate_limit_exceeded",
        }
    } == response.json()
    assert {
        "x-ratelimit-limit-requests": "2",
        "x-ratelimit-remaining-requests": "0",
        "x-ratelimit-reset-requests": "1m0s",
        "retry-after-ms": "30000",
        "retry-after": "30",
    } == rate_headers(response)
    assert 1 == server.rate_limited
    assert {"requests": 0.0, "tokens": None} == server.rate_state()


def test_retry_after_is_exact_with_the_clock(clock: Clock, limited: Limited) -> None:
    """retry-after-ms counts down with the clock (rounded up to a millisecond, retry-after to a
    second), and once it has passed the request goes through."""
    _, client = limited(rate_limit_requests=1)
    assert 200 == client.post("/chat/completions", json=chat()).status_code

    clock.advance(59.5)
    early = client.post("/chat/completions", json=chat())
    clock.advance(0.5)
    on_time = client.post("/chat/completions", json=chat())

    assert (429, "500", "1") == (
        early.status_code,
        early.headers["retry-after-ms"],
        early.headers["retry-after"],
    )
    assert 200 == on_time.status_code


def test_tokens_limit_answers_openai_429(clock: Clock, limited: Limited) -> None:
    """Past the tokens limit: a 429 of type "tokens" naming the estimate requested, with the wait
    until the bucket holds it (200 tokens short at 1000 per minute: 12s)."""
    server, client = limited(rate_limit_tokens=1000)
    for _ in range(3):
        assert 200 == client.post("/moderations", json=moderation(300)).status_code

    response = client.post("/moderations", json=moderation(300))

    assert 429 == response.status_code
    assert {
        "error": {
            "message": "Rate limit reached for omni-moderation-latest in organization org-mock on tokens per "
            "min (TPM): Limit 1000, Used 900, Requested 300. Please try again in 12s." + MORE,
            "type": "tokens",
            "param": None,
            "code": "rate_limit_exceeded",
        }
    } == response.json()
    assert {
        "x-ratelimit-limit-tokens": "1000",
        "x-ratelimit-remaining-tokens": "100",
        "x-ratelimit-reset-tokens": "54s",
        "retry-after-ms": "12000",
        "retry-after": "12",
    } == rate_headers(response)
    assert {"requests": None, "tokens": 100.0} == server.rate_state()


def test_when_both_buckets_lack_room_the_longer_wait_is_reported(clock: Clock, limited: Limited) -> None:
    """Short of both, the 429 names the bucket to wait longer for, and retry-after-ms waits for both."""
    server, client = limited(rate_limit_requests=10, rate_limit_tokens=1000)
    for _ in range(10):
        assert 200 == client.post("/moderations", json=moderation(90)).status_code

    # Either way 1 request is missing: 6s at 10 per minute. Tokens: 900 missing at 1000 per
    # minute (54s), then 50 missing (3s).
    by_tokens = client.post("/moderations", json=moderation(1000))
    by_requests = client.post("/moderations", json=moderation(150))

    assert ("tokens", "54000") == (by_tokens.json()["error"]["type"], by_tokens.headers["retry-after-ms"])
    assert ("requests", "6000") == (
        by_requests.json()["error"]["type"],
        by_requests.headers["retry-after-ms"],
    )
    assert 2 == server.rate_limited


def test_request_larger_than_the_tokens_limit_can_never_pass(clock: Clock, limited: Limited) -> None:
    """An estimate above the tokens limit is OpenAI's "Request too large" 429, with no retry-after
    (waiting cannot help)."""
    _, client = limited(rate_limit_tokens=100)

    response = client.post("/moderations", json=moderation(300))

    assert 429 == response.status_code
    assert {
        "error": {
            "message": "Request too large for omni-moderation-latest in organization org-mock on tokens per min "
            "(TPM): Limit 100, Requested 300. The input or output tokens must be reduced in order to run "
            "successfully." + MORE,
            "type": "tokens",
            "param": None,
            "code": "rate_limit_exceeded",
        }
    } == response.json()
    assert {
        "x-ratelimit-limit-tokens": "100",
        "x-ratelimit-remaining-tokens": "100",
        "x-ratelimit-reset-tokens": "0s",
    } == rate_headers(response)


def test_a_refused_request_consumes_no_fault(clock: Clock, limited: Limited) -> None:
    """A 429 is answered at the door: a scripted fault waits for the next admitted request, and an
    admitted request's injected reply still carries the rate limit headers."""
    server, client = limited(rate_limit_requests=1)
    server.script(Fault(status=503), Fault(status=500))

    injected = client.post("/chat/completions", json=chat())
    refused = client.post("/chat/completions", json=chat())

    assert (503, "0") == (injected.status_code, injected.headers["x-ratelimit-remaining-requests"])
    assert 429 == refused.status_code
    assert 1 == server.pending_faults


# --- refill -----------------------------------------------------------------


def test_buckets_refill_continuously(clock: Clock, limited: Limited) -> None:
    """A bucket refills at limit / window per second, from the moment it was charged, up to the
    limit (4 per second: one request per 250 ms)."""
    server, client = limited(rate_limit_requests=4, rate_limit_window=1.0)
    assert [200] * 4 == [client.post("/chat/completions", json=chat()).status_code for _ in range(4)]

    clock.advance(0.125)
    half = server.rate_state()
    refused = client.post("/chat/completions", json=chat())
    clock.advance(0.125)
    admitted = client.post("/chat/completions", json=chat())
    clock.advance(10)
    full = server.rate_state()

    assert {"requests": 0.5, "tokens": None} == half
    assert (429, "125", "1") == (
        refused.status_code,
        refused.headers["retry-after-ms"],
        refused.headers["retry-after"],
    )
    assert (
        "Rate limit reached for gpt-4o-mini in organization org-mock on requests per 1s: "
        "Limit 4, Used 4, Requested 1. Please try again in 125ms." + MORE
    ) == refused.json()["error"]["message"]
    assert (200, "0", "1s") == (
        admitted.status_code,
        admitted.headers["x-ratelimit-remaining-requests"],
        admitted.headers["x-ratelimit-reset-requests"],
    )
    assert {"requests": 4.0, "tokens": None} == full


def test_waiting_retry_after_ms_lets_the_next_request_through(limited: Limited) -> None:
    """On the real clock (5 requests per second): once refused, waiting the retry-after-ms the server
    named is enough for the next request."""
    _, client = limited(rate_limit_requests=5, rate_limit_window=1.0)
    statuses: list[int] = []
    while len(statuses) < 50 and 429 not in statuses:
        response = client.post("/chat/completions", json=chat())
        statuses.append(response.status_code)

    wait_ms = int(response.headers["retry-after-ms"])
    assert 429 == response.status_code
    assert 1 <= wait_ms <= 200
    time.sleep(wait_ms / 1000)  # the time the server asked for, not a guess

    assert 200 == client.post("/chat/completions", json=chat()).status_code


def test_a_drained_bucket_refills_on_the_real_clock(limited: Limited) -> None:
    """On the real clock, a drained bucket refills by itself: once rate_state shows room for one
    request, one request passes."""
    server, client = limited(rate_limit_requests=5, rate_limit_window=1.0)
    statuses = [client.post("/chat/completions", json=chat()).status_code for _ in range(6)]
    assert 429 in statuses

    server.wait_for(lambda s: (s.rate_state()["requests"] or 0.0) >= 1.0)

    assert 200 == client.post("/chat/completions", json=chat()).status_code


# --- fixed windows ----------------------------------------------------------


def test_a_fixed_window_counts_down_and_reports_its_end(clock: Clock, limited: Limited) -> None:
    """``rate_limit_mode="fixed"``: ``remaining`` falls with each request and does not climb back
    within the window; ``reset`` is the time until the window ends, however much is left (what
    fixed-window gateways send)."""
    _, client = limited(
        rate_limit_requests=3, rate_limit_tokens=1000, rate_limit_window=60.0, rate_limit_mode="fixed"
    )

    first = client.post("/chat/completions", json=CHAT_300)
    clock.advance(15)
    second = client.post("/chat/completions", json=chat())

    assert {
        "x-ratelimit-limit-requests": "3",
        "x-ratelimit-limit-tokens": "1000",
        "x-ratelimit-remaining-requests": "2",
        "x-ratelimit-remaining-tokens": "700",
        "x-ratelimit-reset-requests": "1m0s",
        "x-ratelimit-reset-tokens": "1m0s",
    } == rate_headers(first)
    # 300 charged, corrected to the usage of 20; then the second's 257 (1 + 256).
    assert ("1", "723", "45s", "45s") == (
        second.headers["x-ratelimit-remaining-requests"],
        second.headers["x-ratelimit-remaining-tokens"],
        second.headers["x-ratelimit-reset-requests"],
        second.headers["x-ratelimit-reset-tokens"],
    )


def test_a_spent_fixed_window_refuses_until_it_ends_then_is_whole(clock: Clock, limited: Limited) -> None:
    """Spent, the window refuses with a retry-after of the time until it ends (not the time for
    one unit to refill); when it ends, the whole limit is back at once."""
    server, client = limited(rate_limit_requests=2, rate_limit_window=10.0, rate_limit_mode="fixed")
    assert [200, 200] == [client.post("/chat/completions", json=chat()).status_code for _ in range(2)]

    clock.advance(4)
    refused = client.post("/chat/completions", json=chat())
    clock.advance(5.999)
    still = client.post("/chat/completions", json=chat())
    clock.advance(0.001)
    whole = server.rate_state()
    again = [client.post("/chat/completions", json=chat()) for _ in range(3)]

    assert (429, "6000", "6", "0", "6s") == (
        refused.status_code,
        refused.headers["retry-after-ms"],
        refused.headers["retry-after"],
        refused.headers["x-ratelimit-remaining-requests"],
        refused.headers["x-ratelimit-reset-requests"],
    )
    assert (
        "Rate limit reached for gpt-4o-mini in organization org-mock on requests per 10s: "
        "Limit 2, Used 2, Requested 1. Please try again in 6s." + MORE
    ) == refused.json()["error"]["message"]
    assert (429, "1") == (still.status_code, still.headers["retry-after-ms"])
    assert {"requests": 2.0, "tokens": None} == whole
    assert [200, 200, 429] == [r.status_code for r in again]
    assert ("1", "10s") == (
        again[0].headers["x-ratelimit-remaining-requests"],
        again[0].headers["x-ratelimit-reset-requests"],
    )


def test_fixed_windows_follow_one_another_from_when_the_limit_was_set(clock: Clock, limited: Limited) -> None:
    """Windows are back to back from the moment the limit was set, idle ones included: 25 s in,
    the third 10 s window has 5 s to go."""
    _, client = limited(rate_limit_requests=2, rate_limit_window=10.0, rate_limit_mode="fixed")
    clock.advance(25)
    response = client.post("/chat/completions", json=chat())
    assert ("1", "5s") == (
        response.headers["x-ratelimit-remaining-requests"],
        response.headers["x-ratelimit-reset-requests"],
    )


def test_the_mode_can_change_while_serving_keeping_what_was_used(clock: Clock, limited: Limited) -> None:
    """Switching a server between modes keeps what was used; the new mode counts from then."""
    server, client = limited(rate_limit_requests=2, rate_limit_window=10.0)
    assert "continuous" == server.rate_limit_mode
    client.post("/chat/completions", json=chat())
    server.rate_limit_mode = "fixed"
    response = client.post("/chat/completions", json=chat())
    assert ("fixed", "0", "10s") == (
        server.rate_limit_mode,
        response.headers["x-ratelimit-remaining-requests"],
        response.headers["x-ratelimit-reset-requests"],
    )


def test_an_unknown_mode_is_refused() -> None:
    with pytest.raises(ValueError, match="rate_limit_mode"):
        MockServer(rate_limit_mode="sliding")  # type: ignore[arg-type]
    server = MockServer()
    with pytest.raises(ValueError, match="rate_limit_mode"):
        server.rate_limit_mode = "sliding"  # type: ignore[assignment]


# --- the estimate -----------------------------------------------------------

ESTIMATES = [
    # chat: ceil(chars / 4) of every string content, + 256 without a max.
    (
        "chat strings",
        CHAT,
        {
            "model": "m",
            "messages": [
                {"role": "system", "content": "Be brief."},
                {"role": "user", "content": "hello there"},
            ],
        },
        5 + 256,
    ),
    ("chat max_tokens", CHAT, chat("abcdefghijklm", max_tokens=10), 4 + 10),
    ("chat max_completion_tokens first", CHAT, chat("hi", max_completion_tokens=50, max_tokens=10), 1 + 50),
    ("chat n times max_tokens", CHAT, chat("x" * 8, n=3, max_tokens=20), 2 + 60),
    ("chat n times the default", CHAT, chat("abc", n=2), 1 + 512),
    ("chat characters, not bytes", CHAT, chat("héllo wörld 🙂", max_tokens=1), 4 + 1),
    (
        "chat content parts",
        CHAT,
        {
            "model": "m",
            "messages": [
                {
                    "role": "user",
                    "content": [
                        {"type": "text", "text": "look at"},
                        {"type": "image_url", "image_url": {"url": "https://example.com/a.png"}},
                        {"type": "text", "text": " this"},
                    ],
                },
                {"role": "assistant", "content": None},
            ],
        },
        3 + 256,
    ),
    # responses: instructions + input, + max_output_tokens or 256.
    (
        "responses string input",
        RESPONSES,
        {"model": "m", "instructions": "Be funny", "input": "Tell me a joke"},
        6 + 256,
    ),
    (
        "responses input items",
        RESPONSES,
        {
            "model": "m",
            "max_output_tokens": 40,
            "input": [
                {"role": "system", "content": "rules"},
                {
                    "role": "user",
                    "content": [
                        {"type": "input_text", "text": "abc"},
                        {"type": "input_image", "image_url": "https://example.com/a.png"},
                    ],
                },
                {"type": "function_call_output", "call_id": "call_1", "output": "not counted"},
            ],
        },
        2 + 40,
    ),
    (
        "responses instructions only",
        RESPONSES,
        {"model": "m", "instructions": "abcd", "max_output_tokens": 16},
        1 + 16,
    ),
    # completions: every prompt string, + max_tokens or 256, times n.
    ("completions prompt", COMPLETIONS, {"model": "m", "prompt": "Say this is a test"}, 5 + 256),
    (
        "completions prompts and n",
        COMPLETIONS,
        {"model": "m", "prompt": ["one", "three"], "n": 2, "max_tokens": 5},
        2 + 10,
    ),
    # embeddings: input text / 4, token ids one each; no allowance.
    ("embeddings string", EMBEDDINGS, {"model": "m", "input": "The food was delicious"}, 6),
    ("embeddings strings", EMBEDDINGS, {"model": "m", "input": ["a", "bb", "ccc"]}, 2),
    ("embeddings token array", EMBEDDINGS, {"model": "m", "input": [1, 2, 3, 4, 5]}, 5),
    ("embeddings token arrays", EMBEDDINGS, {"model": "m", "input": [[1, 2], [3, 4, 5]]}, 5),
    # moderations: input text / 4; no allowance.
    ("moderations string", MODERATIONS, {"input": "some text to check"}, 5),
    ("moderations strings", MODERATIONS, {"input": ["abc", "defgh"]}, 2),
    (
        "moderations parts",
        MODERATIONS,
        {
            "input": [
                {"type": "text", "text": "a picture of"},
                {"type": "image_url", "image_url": {"url": "https://example.com/a.png"}},
            ]
        },
        3,
    ),
]


@pytest.mark.parametrize(
    ("path", "body", "expected"),
    [case[1:] for case in ESTIMATES],
    ids=[case[0] for case in ESTIMATES],
)
def test_token_estimate_per_endpoint_and_shape(
    clock: Clock, limited: Limited, path: str, body: dict[str, Any], expected: int
) -> None:
    """estimate_tokens follows the formula for each endpoint and request shape, and the server
    charges exactly that on arrival (seen in x-ratelimit-remaining-tokens)."""
    _, client = limited(rate_limit_tokens=1_000_000)

    response = client.post(path.removeprefix("/v1"), json=body)

    assert expected == estimate_tokens(path, body)
    assert (200, str(1_000_000 - expected)) == (
        response.status_code,
        response.headers["x-ratelimit-remaining-tokens"],
    )


def test_estimate_ignores_what_it_cannot_read() -> None:
    """Malformed fields count nothing (such requests are refused with a 400 anyway), other paths
    are estimated at 0, and a non-integer max falls through to the next field."""
    assert 256 == estimate_tokens(CHAT, {"messages": "not a list"})
    assert 256 + 1 == estimate_tokens(CHAT, {"messages": [1, {"content": 5}, {"content": "abc"}]})
    assert 0 == estimate_tokens("/v1/models", {"input": "abcd"})
    assert 7 == estimate_tokens(CHAT, {"max_completion_tokens": "many", "max_tokens": 7})
    assert 256 == estimate_tokens(COMPLETIONS, {"prompt": "", "max_tokens": True, "n": False})


# --- usage correction -------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/chat/completions", CHAT_300),
        ("/completions", {"model": "m", "prompt": "x" * 36, "max_tokens": 291}),
        ("/responses", {"model": "m", "input": "x" * 36, "max_output_tokens": 291}),
    ],
)
def test_usage_corrects_the_token_bucket(
    clock: Clock, limited: Limited, path: str, body: dict[str, Any]
) -> None:
    """A request estimated at 300 tokens whose reply reports 20 is charged 300 on arrival (the
    header) and refunded 280 once answered: the bucket has spent exactly the usage."""
    server, client = limited(rate_limit_tokens=1000)

    response = client.post(path, json=body)

    assert 300 == estimate_tokens("/v1" + path, body)
    assert 20 == response.json()["usage"]["total_tokens"]
    assert "700" == response.headers["x-ratelimit-remaining-tokens"]
    assert {"requests": None, "tokens": 980.0} == server.rate_state()


def test_usage_above_the_estimate_charges_the_difference(clock: Clock, limited: Limited) -> None:
    """The correction goes both ways: embeddings of "a" and "b" are estimated at ceil(2 / 4) = 1
    token, but the mock reports one per input, 2: the bucket ends 2 down."""
    server, client = limited(rate_limit_tokens=1000)

    response = client.post("/embeddings", json={"model": "m", "input": ["a", "b"]})

    assert ("999", 2) == (
        response.headers["x-ratelimit-remaining-tokens"],
        response.json()["usage"]["total_tokens"],
    )
    assert {"requests": None, "tokens": 998.0} == server.rate_state()


def test_error_replies_are_not_corrected(clock: Clock, limited: Limited) -> None:
    """A reply without usage (here a 400) keeps the whole estimate charged; a body that is not JSON
    is estimated at 0 tokens but still counts as a request."""
    server, client = limited(rate_limit_requests=10, rate_limit_tokens=1000)
    no_model = {key: value for key, value in CHAT_300.items() if key != "model"}

    invalid = client.post("/chat/completions", json=no_model)
    garbage = client.post("/chat/completions", content=b"not json")

    assert (400, "700") == (invalid.status_code, invalid.headers["x-ratelimit-remaining-tokens"])
    assert (400, "700", "8") == (
        garbage.status_code,
        garbage.headers["x-ratelimit-remaining-tokens"],
        garbage.headers["x-ratelimit-remaining-requests"],
    )
    assert {"requests": 8.0, "tokens": 700.0} == server.rate_state()


STREAMS = [
    ("/chat/completions", {**CHAT_300, "stream": True}),
    ("/chat/completions", {**CHAT_300, "stream": True, "stream_options": {"include_usage": True}}),
    ("/completions", {"model": "m", "prompt": "x" * 36, "max_tokens": 291, "stream": True}),
    ("/responses", {"model": "m", "input": "x" * 36, "max_output_tokens": 291, "stream": True}),
]


@pytest.mark.parametrize(("path", "body"), STREAMS, ids=["chat", "chat-usage", "completions", "responses"])
def test_streams_are_corrected_when_they_end(
    clock: Clock, limited: Limited, path: str, body: dict[str, Any]
) -> None:
    """A stream is charged its estimate on arrival and corrected to its usage (20) when it ends,
    whether or not the client asked to see the usage."""
    server, client = limited(rate_limit_tokens=1000)

    response = client.post(path, json=body)

    assert (200, "700") == (response.status_code, response.headers["x-ratelimit-remaining-tokens"])
    assert {"requests": None, "tokens": 980.0} == server.rate_state()


def test_a_stream_keeps_its_estimate_until_it_ends(clock: Clock, limited: Limited) -> None:
    """While a stream is still running (its head sent, its events delayed), the whole estimate is
    charged; the correction comes with its end."""
    server, client = limited(rate_limit_tokens=1000, stream_first_delay=0.2)

    with client.stream("POST", "/chat/completions", json={**CHAT_300, "stream": True}) as response:
        during = server.rate_state()
        response.read()

    assert {"requests": None, "tokens": 700.0} == during
    assert {"requests": None, "tokens": 980.0} == server.rate_state()


def test_a_stream_cut_by_a_fault_is_not_corrected(clock: Clock, limited: Limited) -> None:
    """A stream that never ends (dropped mid-way) never reports its usage: its estimate stays charged."""
    server, client = limited(rate_limit_tokens=1000)
    server.script(Fault(action="stream_drop", after=2))

    with pytest.raises(httpx.TransportError):
        client.post("/chat/completions", json={**CHAT_300, "stream": True})

    assert {"requests": None, "tokens": 700.0} == server.rate_state()


# --- what is limited --------------------------------------------------------


def test_models_files_and_batches_are_not_limited(clock: Clock, limited: Limited) -> None:
    """With the requests bucket empty, models, files, batches, stored responses and wrong methods
    still answer, without rate limit headers and without being charged; batch lines run unlimited."""
    server, client = limited(rate_limit_requests=1)
    assert 200 == client.post("/chat/completions", json=chat()).status_code
    line = {"custom_id": "a", "method": "POST", "url": CHAT, "body": chat("in a batch")}
    upload = client.post(
        "/files", data={"purpose": "batch"}, files={"file": ("b.jsonl", json.dumps(line).encode() + b"\n")}
    )
    batch = client.post(
        "/batches",
        json={"input_file_id": upload.json()["id"], "endpoint": CHAT, "completion_window": "24h"},
    )
    server.wait_for(lambda s: (s.batch(batch.json()["id"]) or {}).get("status") == "completed")
    others = [
        upload,
        batch,
        client.get("/models"),
        client.get("/models/gpt-4o"),
        client.get("/files"),
        client.get("/batches"),
        client.get(f"/batches/{batch.json()['id']}"),
        client.get("/responses/resp_missing"),
        client.put("/chat/completions"),
    ]

    assert [200, 200, 200, 200, 200, 200, 200, 404, 405] == [response.status_code for response in others]
    assert [{}] * len(others) == [rate_headers(response) for response in others]
    assert {"completed": 1, "failed": 0, "total": 1} == (server.batch(batch.json()["id"]) or {}).get(
        "request_counts"
    )
    assert ({"requests": 0.0, "tokens": None}, 0) == (server.rate_state(), server.rate_limited)
    assert 429 == client.post("/chat/completions", json=chat()).status_code


# --- configuration ----------------------------------------------------------


def test_limits_can_change_while_serving(clock: Clock, limited: Limited) -> None:
    """Limits set while serving apply to the next request: a new limit starts full, a changed one
    keeps what was used, a new window changes the refill rate, and None lifts a limit."""
    server, client = limited()

    def post() -> httpx.Response:
        return client.post("/chat/completions", json=chat())

    assert {} == rate_headers(post())
    server.rate_limit_requests = 1
    assert [200, 429] == [post().status_code for _ in range(2)]

    server.rate_limit_requests = 3  # 1 of 3 used: 2 left
    assert [200, 200, 429] == [post().status_code for _ in range(3)]

    server.rate_limit_window = 6.0  # 3 per 6 s: one every 2 s
    assert "2000" == post().headers["retry-after-ms"]

    server.rate_limit_tokens = 1000
    refused = post()
    assert (429, "1000") == (refused.status_code, refused.headers["x-ratelimit-remaining-tokens"])

    server.rate_limit_requests = None
    admitted = post()
    assert (
        200,
        ["x-ratelimit-limit-tokens", "x-ratelimit-remaining-tokens", "x-ratelimit-reset-tokens"],
    ) == (
        admitted.status_code,
        list(rate_headers(admitted)),
    )
    assert (None, 1000, 6.0) == (
        server.rate_limit_requests,
        server.rate_limit_tokens,
        server.rate_limit_window,
    )

    server.rate_limit_tokens = None
    assert {} == rate_headers(post())
    assert ({"requests": None, "tokens": None}, 4) == (server.rate_state(), server.rate_limited)


@pytest.mark.parametrize(
    "limits",
    [
        {"rate_limit_requests": 0},
        {"rate_limit_tokens": -5},
        {"rate_limit_requests": True},
        {"rate_limit_tokens": 1.5},
        {"rate_limit_window": 0.0},
        {"rate_limit_window": float("inf")},
        {"rate_limit_window": float("nan")},
    ],
)
def test_invalid_limits_are_refused(limits: dict[str, Any]) -> None:
    """Limits must be None or integers >= 1 and the window a positive finite number, when
    constructing the server and when setting them later."""
    with pytest.raises(ValueError, match="rate_limit_"):
        MockServer(**limits)
    server = MockServer()
    name, value = next(iter(limits.items()))
    with pytest.raises(ValueError, match=name):
        setattr(server, name, value)


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [
        (0.0, "0s"),
        (-1.0, "0s"),
        (0.0004, "1ms"),
        (0.02, "20ms"),
        (0.999, "999ms"),
        (0.9991, "1s"),
        (1.0, "1s"),
        (1.2, "1.2s"),
        (8.64, "8.64s"),
        (12.000000000000002, "12s"),
        (59.999, "59.999s"),
        (60.0, "1m0s"),
        (90.5, "1m30.5s"),
        (360.0, "6m0s"),
        (3599.999, "59m59.999s"),
        (3600.0, "1h0m0s"),
        (3723.25, "1h2m3.25s"),
        (172800.5, "48h0m0.5s"),
    ],
)
def test_durations_are_formatted_as_openai_does(seconds: float, expected: str) -> None:
    """Reset times and waits are Go durations rounded up to the millisecond: ms below a second,
    seconds with up to 3 decimals, then XmYs and XhYmZs (float noise does not add a millisecond)."""
    assert expected == format_duration(seconds)


# --- CLI --------------------------------------------------------------------


@pytest.mark.parametrize("argv", [["--rpm", "0"], ["--tpm", "-1"], ["--window", "0"]])
def test_cli_refuses_invalid_limits(argv: list[str]) -> None:
    """--rpm and --tpm must be >= 1 and --window > 0; otherwise the CLI exits with status 2."""
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert 2 == exited.value.code


def run_cli(*flags: str) -> list[httpx.Response]:
    """Start ``python -m openai_actors.mock --port 0`` with ``flags``; two chat requests' responses."""
    package_root = Path(openai_actors.mock.__file__).resolve().parents[2]
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(package_root), os.environ.get("PYTHONPATH")])),
    }
    command = [sys.executable, "-m", "openai_actors.mock", "--port", "0", *flags]
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    ) as process:
        try:
            assert process.stdout is not None
            url = process.stdout.readline().strip()
            with httpx.Client(base_url=url, timeout=5.0) as http:
                return [http.post("/chat/completions", json=chat()) for _ in range(2)]
        finally:
            process.terminate()
            process.communicate(timeout=10)


def test_cli_enforces_limits() -> None:
    """`python -m openai_actors.mock --rpm 1 --tpm 100000 --window 30` enforces those limits."""
    first, second = run_cli("--rpm", "1", "--tpm", "100000", "--window", "30")

    assert (200, "1", "100000") == (
        first.status_code,
        first.headers["x-ratelimit-limit-requests"],
        first.headers["x-ratelimit-limit-tokens"],
    )
    assert (429, "30") == (second.status_code, second.headers["retry-after"])


def test_cli_selects_fixed_windows() -> None:
    """`--ratelimit-mode fixed`: 1 of 2 used, and the reset is the window's end (the window
    started with the server, moments ago), where a bucket would say 15 s."""
    first, _ = run_cli("--rpm", "2", "--window", "30", "--ratelimit-mode", "fixed")
    reset = parse_duration(first.headers["x-ratelimit-reset-requests"])
    assert "1" == first.headers["x-ratelimit-remaining-requests"]
    assert reset is not None and 20 < reset <= 30


def test_cli_refuses_an_unknown_mode(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--ratelimit-mode", "sliding"])
    assert 2 == exited.value.code
    assert "continuous" in capsys.readouterr().err


# --- this client against each mode ------------------------------------------
#
# The targets, scaled to a 1 s window (the client is told the window's length,
# nothing else): the full-scale runs are bench/rate_limit.py's.


@pytest.mark.anyio
@pytest.mark.timeout(30)
async def test_a_client_with_nothing_configured_fills_fixed_windows() -> None:
    """100 requests per fixed window, 133 requests from 64 callers, over real sockets: the first
    64 go before the limit is known, the window's reset (its end) is not read as a debt, so all
    are served, with fewer 429s than requests in flight. (How many windows it takes is asserted
    exactly on a fake clock: test_pacing.py, TestThroughTheDispatcher.)"""
    limit, window = 100, 1.0
    with MockServer(rate_limit_requests=limit, rate_limit_window=window, rate_limit_mode="fixed") as server:
        rate = RateLimit(window=window)
        async with AsyncOpenAI(api_key="sk", base_url=server.url, rate_limit=rate) as client:
            with anyio.fail_after(10 * window):
                errors = await send_many(client, 133, concurrency=64)
        refused = server.rate_limited
    assert [] == errors
    assert refused <= 64


@pytest.mark.anyio
@pytest.mark.timeout(30)
async def test_a_client_with_nothing_configured_uses_a_continuous_limit_without_429s() -> None:
    """100 requests per second refilled continuously, 300 requests from 64 callers, over real
    sockets: not one 429. (The share of the limit used is asserted exactly on a fake clock:
    test_pacing.py, TestThroughTheDispatcher.)"""
    limit, window = 100, 1.0
    with MockServer(rate_limit_requests=limit, rate_limit_window=window) as server:
        rate = RateLimit(window=window)
        async with AsyncOpenAI(api_key="sk", base_url=server.url, rate_limit=rate) as client:
            with anyio.fail_after(10 * window):
                errors = await send_many(client, 300, concurrency=64)
        refused = server.rate_limited
    assert ([], 0) == (errors, refused)


@pytest.mark.anyio
@pytest.mark.timeout(30)
async def test_fixed_windows_of_tokens_are_learned_too() -> None:
    """A fixed window of 3,000 estimated tokens a second (each request ~101, corrected to its
    usage when answered): 120 requests from 30 callers all succeed within a few windows, with
    fewer 429s than requests in flight."""
    window = 1.0
    with MockServer(rate_limit_tokens=3000, rate_limit_window=window, rate_limit_mode="fixed") as server:
        rate = RateLimit(window=window)
        async with AsyncOpenAI(api_key="sk", base_url=server.url, rate_limit=rate) as client:
            with anyio.fail_after(10 * window):
                errors = await send_many(client, 120, concurrency=30, max_tokens=100)
            stats = client.stats()
        refused = server.rate_limited
    assert [] == errors
    assert (3000, "learned") == (stats.tokens_per_minute.value, stats.tokens_per_minute.source)
    assert refused <= 30
