"""Workload identity: the exchange's rules, and the dispatcher's token against a loopback token endpoint."""

from __future__ import annotations

import email.utils
import json
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import anyio.lowlevel
import httpx
import pytest
import respx
import trustme

from openai_actors import (
    APIConnectionError,
    APITimeoutError,
    AsyncOpenAI,
    AuthenticationError,
    ClientClosedError,
    OAuthError,
    OpenAI,
    OpenAIError,
)
from openai_actors._exceptions import SubjectTokenProviderError
from openai_actors._keys import KeySource, Lease, Leases
from openai_actors.auth import (
    WorkloadIdentity,
    WorkloadIdentityAuth,
    _exchange,
    _policy,
    azure_managed_identity_token_provider,
    gcp_id_token_provider,
    k8s_service_account_token_provider,
    x509_workload_identity,
)
from openai_actors.auth._policy import (
    Refused,
    Token,
    check_identity,
    check_x509_request,
    exchange_retry_delay,
    read_token_response,
    refresh_after,
    subject_token_body,
    x509_body,
)
from openai_actors.mock import Fault, MockServer, RecordedRequest

from .conftest import chat_body
from .log_events import collector

CHAT = "/v1/chat/completions"
TOKEN_PATH = "/oauth/token"
SUBJECT = "subject-token-SECRET"


def identity(get_token: Any = lambda: SUBJECT, **extra: Any) -> WorkloadIdentity:
    return {
        "identity_provider_id": "idp_123",
        "service_account_id": "sa_123",
        "provider": {"token_type": "jwt", "get_token": get_token},
        **extra,
    }


# -- the rules, without I/O ---------------------------------------------------------


class TestExchangeRequest:
    def test_a_subject_token_body_is_an_rfc_8693_exchange(self) -> None:
        """The body names the grant, the subject token and its type, and the identity's two ids."""
        assert {
            "grant_type": "urn:ietf:params:oauth:grant-type:token-exchange",
            "subject_token": "s",
            "subject_token_type": "urn:ietf:params:oauth:token-type:id_token",
            "identity_provider_id": "idp",
            "service_account_id": "sa",
        } == json.loads(subject_token_body("idp", "sa", "s", "id"))

    def test_an_x509_body_has_no_subject_token(self) -> None:
        """The certificate stands for the subject: the body carries only its token type and the ids."""
        assert {
            "grant_type": "urn:ietf:params:oauth:grant-type:token-exchange",
            "subject_token_type": "urn:openai:params:oauth:token-type:x509",
            "identity_provider_id": "idp",
            "service_account_id": "sa",
        } == json.loads(x509_body("idp", "sa"))

    def test_an_unknown_subject_token_type_is_refused_by_name(self) -> None:
        """Only 'jwt' and 'id' are token types; the error names the one given."""
        with pytest.raises(OpenAIError, match="Unsupported token type: 'saml'"):
            subject_token_body("idp", "sa", "s", "saml")


class TestTokenResponse:
    def test_a_token_and_its_lifetime_are_read(self) -> None:
        """A 200 with `access_token` and `expires_in` is a token."""
        assert Token("at", 3600.0) == read_token_response(
            200, b'{"access_token":"at","expires_in":3600,"token_type":"Bearer"}', x509=False
        )

    @pytest.mark.parametrize("status", [400, 401, 403])
    def test_a_refusal_keeps_the_oauth_body(self, status: int) -> None:
        """400, 401 and 403 are refusals (an `OAuthError`), with the endpoint's body for its code and description."""
        body = {"error": "invalid_grant", "error_description": "expired"}
        assert Refused(status, body) == read_token_response(status, json.dumps(body).encode(), x509=False)

    def test_an_x509_refusal_keeps_only_the_error_code(self) -> None:
        """A description could echo certificate details: X.509 drops it, as the official SDK does."""
        content = b'{"error":"invalid_grant","error_description":"CN=host"}'
        assert Refused(401, {"error": "invalid_grant"}) == read_token_response(401, content, x509=True)
        assert Refused(401, None) == read_token_response(401, b"not json", x509=True)

    @pytest.mark.parametrize(
        ("status", "content", "x509", "message"),
        [
            (500, b"{}", False, "failed with status 500"),
            (200, b"", False, "body was empty"),
            (200, b"[1]", False, "not a JSON object"),
            (200, b'{"expires_in":1}', False, "valid access_token"),
            (200, b'{"access_token":"a","expires_in":"soon"}', False, "valid expires_in"),
            (200, b'{"access_token":"a","expires_in":0}', True, "positive, finite expires_in"),
            (200, b'{"access_token":"a","expires_in":1e999}', True, "positive, finite expires_in"),
            (200, b'{"access_token":"a","expires_in":5,"token_type":"mac"}', True, "Bearer token type"),
            (200, b'{"access_token":"a b","expires_in":5}', True, "valid Bearer access_token"),
        ],
    )
    def test_an_unusable_answer_says_what_is_wrong(
        self, status: int, content: bytes, x509: bool, message: str
    ) -> None:
        """Every other answer is an OpenAIError whose message names the fault."""
        with pytest.raises(OpenAIError, match=message):
            read_token_response(status, content, x509=x509)

    def test_a_token_repr_never_shows_the_token(self) -> None:
        """Reprs are safe to log."""
        assert "secret" not in repr(Token("secret", 1.0))
        assert "secret" not in repr(Lease("secret", 1.0))


class TestRefresh:
    @pytest.mark.parametrize(
        ("expires_in", "buffer", "expected"),
        [
            (3600.0, None, 2400.0),  # the 20-minute default buffer
            (600.0, None, 300.0),  # a short token: half its life
            (3600.0, 60.0, 3540.0),
            (3600.0, 0.0, 3600.0),
            (0.0, None, 0.0),
        ],
    )
    def test_a_token_is_exchanged_again_a_buffer_before_it_expires(
        self, expires_in: float, buffer: float | None, expected: float
    ) -> None:
        """The refresh time: the buffer before expiry, capped at half the token's life."""
        assert expected == refresh_after(expires_in, buffer)


class TestExchangeRetries:
    def test_a_refusal_or_a_client_error_is_final(self) -> None:
        """A 4xx other than 408, 409 and 429 is not retried."""
        assert exchange_retry_delay(400, {}, 0, now=0.0) is None
        assert exchange_retry_delay(404, {}, 0, now=0.0) is None

    @pytest.mark.parametrize("status", [None, 408, 409, 429, 500, 503])
    def test_transient_failures_back_off_from_half_a_second_to_eight(self, status: int | None) -> None:
        """A connection failure, 408, 409, 429 and 5xx: 0.5 s doubling, at most 8 s."""
        assert [0.5, 1.0, 2.0, 8.0] == [exchange_retry_delay(status, {}, a, now=0.0) for a in (0, 1, 2, 9)]

    def test_the_servers_retry_after_is_honoured_up_to_a_minute(self) -> None:
        """Retry-After in seconds or as a date; beyond a minute the answer is final; garbage is ignored."""
        assert 3.0 == exchange_retry_delay(503, {"retry-after": "3"}, 0, now=0.0)
        assert exchange_retry_delay(503, {"retry-after": "120"}, 0, now=0.0) is None
        date = email.utils.formatdate(1000.0 + 7, usegmt=True)
        assert 7.0 == exchange_retry_delay(429, {"retry-after": date}, 0, now=1000.0)
        assert 0.5 == exchange_retry_delay(429, {"retry-after": "garbage"}, 0, now=0.0)


class TestIdentityChecks:
    def test_an_identity_is_read_once_at_construction(self) -> None:
        """The ids, the buffer and the kind are read from the dict when the client is made."""
        assert ("idp_123", "sa_123", 30.0, False) == check_identity(identity(refresh_buffer_seconds=30))
        assert ("i", "s", None, True) == check_identity(
            x509_workload_identity(identity_provider_id="i", service_account_id="s")
        )

    @pytest.mark.parametrize(
        ("bad", "message"),
        [
            ({"identity_provider_id": "i", "service_account_id": "s"}, "expected an X.509 or subject-token"),
            ({**identity(), "service_account_id": ""}, "requires identity-provider and service-account IDs"),
            ({**identity(), "refresh_buffer_seconds": -1}, "non-negative refresh_buffer_seconds"),
            ({**identity(), "provider": {"token_type": "jwt"}}, "callable get_token"),
            (
                {"type": "x509", "identity_provider_id": "i", "service_account_id": "s", "x": 1},
                "accepts only",
            ),
            (
                {"type": "x509", "identity_provider_id": "i", "service_account_id": "s", "provider": {}},
                "does not",
            ),
        ],
    )
    def test_a_bad_identity_fails_at_construction_saying_why(self, bad: Any, message: str) -> None:
        """Each malformed identity is an OpenAIError from the constructor, naming the fault."""
        with pytest.raises(OpenAIError, match=message):
            AsyncOpenAI(workload_identity=bad)

    def test_api_key_and_workload_identity_are_mutually_exclusive(self) -> None:
        """As in the official SDK, except for its own placeholder key."""
        with pytest.raises(OpenAIError, match="mutually exclusive"):
            OpenAI(api_key="sk-x", workload_identity=identity())
        # The official SDK's placeholder, as `client.api_key` shows it, is no conflict.
        client = OpenAI(api_key="workload-identity-auth", workload_identity=identity())
        assert "workload-identity-auth" == client.api_key
        client.close()

    def test_no_api_key_is_needed_with_a_workload_identity(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """OPENAI_API_KEY unset: no 'api_key must be set' error; the identity is the credential."""
        monkeypatch.delenv("OPENAI_API_KEY", raising=False)
        client = OpenAI(workload_identity=identity())
        assert identity()["service_account_id"] == (client.workload_identity or {})["service_account_id"]
        client.close()


class TestX509Rules:
    BASE = ("https", "mtls.api.openai.com", 443)

    def test_only_the_api_origin_with_only_the_token(self) -> None:
        """What an X.509 client's request may not do, each refused with its reason."""
        check_x509_request(self.BASE, self.BASE, frozenset({"content-type"}), True)
        for origin, names, auth, message in [
            (("https", "evil.example", 443), frozenset(), True, "configured API origin"),
            (self.BASE, frozenset({"api-key"}), True, "API-key or proxy credentials"),
            (self.BASE, frozenset({"x_api_key"}), True, "API-key or proxy credentials"),
            (self.BASE, frozenset({"proxy-authorization"}), True, "API-key or proxy credentials"),
            (self.BASE, frozenset({"host"}), True, "Host header"),
            (self.BASE, frozenset({"authorization"}), False, "cannot be changed"),
        ]:
            with pytest.raises(OpenAIError, match=message):
                check_x509_request(origin, self.BASE, names, auth)

    def test_an_x509_client_defaults_to_the_mtls_host_and_needs_https(self) -> None:
        """The mTLS API host by default; HTTPS only, with no credentials in the URL."""
        ident = x509_workload_identity(identity_provider_id="i", service_account_id="s")
        client = OpenAI(workload_identity=ident)
        assert "https://mtls.api.openai.com/v1/" == client.base_url
        # An api_key alone drops the identity and, the base URL being a default, goes back to api.openai.com.
        assert "https://api.openai.com/v1/" == client.with_options(api_key="sk-x").base_url
        client.close()
        with pytest.raises(OpenAIError, match="HTTPS"):
            OpenAI(workload_identity=ident, base_url="http://127.0.0.1:1/v1")
        with pytest.raises(OpenAIError, match="user credentials"):
            OpenAI(workload_identity=ident, base_url="https://u:p@example.com/v1")


class FakeLeases(Leases):
    """Keys k1, k2, ... each valid for `valid_for` seconds."""

    name = "the fake exchange"

    def __init__(self, valid_for: float) -> None:
        self.valid_for = valid_for
        self.calls = 0

    async def lease(self) -> Lease:
        self.calls += 1
        return Lease(f"k{self.calls}", self.valid_for)


class TestLeasedKeys:
    @pytest.mark.anyio
    async def test_a_leased_key_is_used_until_its_lease_ends(self) -> None:
        """The lease's length, not `api_key_refresh_interval`, says when the next exchange is due."""
        now = [0.0]
        leases = FakeLeases(valid_for=2400.0)
        source = KeySource(leases, refresh_interval=1.0, clock=lambda: now[0])
        async with anyio.create_task_group() as tg:
            assert "k1" == await source.get(tg)
            now[0] = 2399.0
            assert "k1" == await source.get(tg)
            now[0] = 2400.0
            assert source.cached() is None
            assert "k2" == await source.get(tg)
        assert 2 == leases.calls


# -- against a loopback token endpoint ----------------------------------------------


class TokenEndpoint:
    """A token endpoint and an API in one mock server: issues at-1, at-2, ...; refuses revoked tokens.

    `answers` are consumed first, one per exchange (a Fault to answer with).
    Runs on the server's thread, so its state is behind a lock.
    """

    def __init__(self, server: MockServer, expires_in: float = 3600.0) -> None:
        self.server = server
        self.expires_in = expires_in
        self.issued = 0
        self.exchanges: list[RecordedRequest] = []
        self.answers: list[Fault] = []
        self.revoked: set[str] = set()
        self._lock = threading.Lock()
        server.responder = self

    @property
    def url(self) -> str:
        return self.server.url.removesuffix("/v1") + TOKEN_PATH

    def __call__(self, request: RecordedRequest) -> Fault | None:
        with self._lock:
            if request.path == TOKEN_PATH:
                self.exchanges.append(request)
                if self.answers:
                    return self.answers.pop(0)
                self.issued += 1
                body = {
                    "access_token": f"at-{self.issued}",
                    "issued_token_type": "urn:ietf:params:oauth:token-type:access_token",
                    "token_type": "Bearer",
                    "expires_in": self.expires_in,
                }
                return Fault(status=200, body=body)
            if request.headers.get("authorization", "").removeprefix("Bearer ") in self.revoked:
                return Fault(status=401, body={"error": {"message": "token revoked"}})
            return None

    def api_authorizations(self) -> list[str]:
        return [r.headers.get("authorization", "") for r in self.server.requests if r.path != TOKEN_PATH]


@pytest.fixture
def endpoint(server: MockServer, monkeypatch: pytest.MonkeyPatch) -> TokenEndpoint:
    token_endpoint = TokenEndpoint(server)
    monkeypatch.setattr(_policy, "DEFAULT_TOKEN_EXCHANGE_URL", token_endpoint.url)
    return token_endpoint


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


@pytest.mark.anyio
class TestSubjectTokenExchange:
    async def test_a_hundred_concurrent_requests_cause_one_exchange(
        self, endpoint: TokenEndpoint, server: MockServer
    ) -> None:
        """One provider call and one exchange; every request carries its token."""
        calls: list[int] = []

        def get_token() -> str:
            calls.append(1)
            return SUBJECT

        async with AsyncOpenAI(workload_identity=identity(get_token), base_url=server.url) as client:
            results = await ask_many(client, 100)
        assert all(isinstance(r, str) for r in results), results[:3]
        assert (1, 1) == (len(calls), len(endpoint.exchanges))
        assert {"Bearer at-1"} == set(endpoint.api_authorizations())
        assert 100 == len(endpoint.api_authorizations())

    async def test_the_exchange_request_is_the_official_sdks(
        self, endpoint: TokenEndpoint, server: MockServer
    ) -> None:
        """The same identity, through this client and the official one, sends the same exchange."""
        import openai

        async with AsyncOpenAI(workload_identity=identity(), base_url=server.url) as client:
            await client.chat.completions.create(**chat_body())
        official = openai.OpenAI(workload_identity=identity(), base_url=server.url)
        official._workload_identity_auth.token_exchange_url = endpoint.url  # type: ignore[union-attr]
        await anyio.to_thread.run_sync(lambda: official.chat.completions.create(**chat_body()))
        official.close()
        ours, theirs = endpoint.exchanges
        assert (theirs.method, theirs.path) == (ours.method, ours.path)
        assert json.loads(theirs.body) == json.loads(ours.body)
        assert SUBJECT == json.loads(ours.body)["subject_token"]
        assert theirs.headers["content-type"] == ours.headers["content-type"]
        assert "authorization" not in ours.headers
        assert ["Bearer at-1", "Bearer at-2"] == endpoint.api_authorizations()

    async def test_a_token_at_the_end_of_its_life_is_exchanged_again(
        self, endpoint: TokenEndpoint, server: MockServer
    ) -> None:
        """expires_in 0: already within the refresh buffer, so each request exchanges (in the clock test: when)."""
        endpoint.expires_in = 0
        async with AsyncOpenAI(workload_identity=identity(), base_url=server.url) as client:
            await client.chat.completions.create(**chat_body())
            await client.chat.completions.create(**chat_body())
        assert ["Bearer at-1", "Bearer at-2"] == endpoint.api_authorizations()

    async def test_a_token_is_used_until_its_refresh_time_then_exchanged_once_more(
        self, endpoint: TokenEndpoint, server: MockServer
    ) -> None:
        """expires_in 3600 with the default 1200 s buffer: reused up to 2400 s after receipt, not after.

        The key source's clock is a test's; everything else is the real client and server.
        """
        now = [1000.0]
        async with AsyncOpenAI(workload_identity=identity(), base_url=server.url) as client:
            keys = client._options.keys
            assert keys is not None
            keys._clock = lambda: now[0]
            await client.chat.completions.create(**chat_body())
            now[0] = 1000.0 + 2399.0
            await client.chat.completions.create(**chat_body())
            now[0] = 1000.0 + 2400.0
            await ask_many(client, 10)
            await client.chat.completions.create(**chat_body())
        assert ["Bearer at-1"] * 2 + ["Bearer at-2"] * 11 == endpoint.api_authorizations()
        assert 2 == len(endpoint.exchanges)

    async def test_a_401_exchanges_again_and_retries_once(
        self, endpoint: TokenEndpoint, server: MockServer
    ) -> None:
        """The API refuses at-1: at-2 is exchanged and the request sent again, outside its retries."""
        endpoint.revoked.add("at-1")
        async with AsyncOpenAI(workload_identity=identity(), base_url=server.url, max_retries=0) as client:
            r = await client.chat.completions.create(**chat_body("after"))
        assert "echo: after" == r.choices[0].message.content
        assert ["Bearer at-1", "Bearer at-2"] == endpoint.api_authorizations()
        assert 2 == len(endpoint.exchanges)

    async def test_a_second_401_is_final(self, endpoint: TokenEndpoint, server: MockServer) -> None:
        """Refused with the new token too: the API's AuthenticationError, after two exchanges."""
        endpoint.revoked.update({"at-1", "at-2"})
        async with AsyncOpenAI(workload_identity=identity(), base_url=server.url) as client:
            with pytest.raises(AuthenticationError) as info:
                await client.chat.completions.create(**chat_body())
        assert not isinstance(info.value, OAuthError)  # the API's 401, not the exchange's
        assert (2, 2) == (len(endpoint.exchanges), len(endpoint.api_authorizations()))

    async def test_a_refused_exchange_fails_every_waiting_caller_and_the_next_request_tries_again(
        self, endpoint: TokenEndpoint, server: MockServer
    ) -> None:
        """Twenty callers wait on one refused exchange: each raises its own OAuthError; nothing is cached."""
        endpoint.answers.append(
            Fault(status=400, body={"error": "invalid_grant", "error_description": "subject token expired"})
        )
        async with AsyncOpenAI(workload_identity=identity(), base_url=server.url) as client:
            results = await ask_many(client, 20)
            assert all(isinstance(r, OAuthError) for r in results), results[:3]
            errors = [r for r in results if isinstance(r, OAuthError)]
            assert 20 == len({id(e) for e in errors})  # each caller raised its own
            first = errors[0]
            assert ("invalid_grant", "subject token expired", 400) == (
                first.error,
                first.message,
                first.status_code,
            )
            assert SUBJECT.encode() not in first.response.request.content
            assert 1 == len(endpoint.exchanges)
            assert [] == endpoint.api_authorizations()
            r = await client.chat.completions.create(**chat_body("again"))
        assert "echo: again" == r.choices[0].message.content
        assert 2 == len(endpoint.exchanges)

    async def test_a_transient_exchange_failure_is_retried(
        self, endpoint: TokenEndpoint, server: MockServer
    ) -> None:
        """A 503 with Retry-After 0, then a token: the request goes out with it."""
        endpoint.answers.append(Fault(status=503, headers={"retry-after": "0"}))
        async with AsyncOpenAI(workload_identity=identity(), base_url=server.url) as client:
            await client.chat.completions.create(**chat_body())
        assert 2 == len(endpoint.exchanges)
        assert ["Bearer at-1"] == endpoint.api_authorizations()

    async def test_the_exchange_never_follows_a_redirect_even_when_the_http_client_would(
        self, endpoint: TokenEndpoint, server: MockServer
    ) -> None:
        """A 307 would resend the body, subject token and all, to wherever it points."""
        elsewhere = server.url.removesuffix("/v1") + "/elsewhere"
        endpoint.answers.append(Fault(status=307, headers={"location": elsewhere}))
        http = httpx.AsyncClient(follow_redirects=True)
        async with AsyncOpenAI(workload_identity=identity(), base_url=server.url, http_client=http) as client:
            with pytest.raises(OpenAIError, match="Token exchange failed with status 307"):
                await client.chat.completions.create(**chat_body())
            await client.chat.completions.create(**chat_body())  # the next one tries again
        await http.aclose()
        assert [TOKEN_PATH, TOKEN_PATH, CHAT] == [r.path for r in server.requests]

    async def test_a_hung_exchange_times_out_as_an_api_timeout_error(
        self, endpoint: TokenEndpoint, server: MockServer, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """The exchange's own time limit (shortened here) ends a hung endpoint."""
        monkeypatch.setattr(_exchange, "EXCHANGE_TIMEOUT", 0.2)
        endpoint.answers.append(Fault(action="hang"))
        async with AsyncOpenAI(workload_identity=identity(), base_url=server.url, max_retries=0) as client:
            with pytest.raises(APITimeoutError, match=r"Token exchange with http://127\.0\.0\.1"):
                await client.chat.completions.create(**chat_body())

    async def test_closing_the_client_during_an_exchange_fails_its_waiters_and_does_not_hang(
        self, endpoint: TokenEndpoint, server: MockServer
    ) -> None:
        """close() while five callers wait on a hung exchange: each gets ClientClosedError."""
        endpoint.answers.append(Fault(action="hang"))
        client = AsyncOpenAI(workload_identity=identity(), base_url=server.url)
        results: list[BaseException | str] = []
        with anyio.fail_after(10):
            async with anyio.create_task_group() as tg:

                async def ask() -> None:
                    results.extend(await ask_many(client, 5))

                tg.start_soon(ask)
                await anyio.to_thread.run_sync(server.wait_for, lambda s: len(endpoint.exchanges) == 1)
                await client.close()
        assert 5 == len(results)
        assert all(isinstance(r, ClientClosedError) for r in results), results

    async def test_a_caller_cancelled_during_the_exchange_does_not_cancel_it_for_the_others(
        self, endpoint: TokenEndpoint, server: MockServer
    ) -> None:
        """The exchange runs in the dispatcher, not in the caller that started it."""
        token = {"access_token": "slow-1", "expires_in": 3600}
        endpoint.answers.append(Fault(status=200, body=token, delay=0.5))
        async with AsyncOpenAI(workload_identity=identity(), base_url=server.url) as client:
            with anyio.CancelScope() as first:

                async def cancel_once_exchanging() -> None:
                    await anyio.to_thread.run_sync(server.wait_for, lambda s: len(endpoint.exchanges) == 1)
                    first.cancel()

                async with anyio.create_task_group() as tg:
                    tg.start_soon(cancel_once_exchanging)
                    await client.chat.completions.create(**chat_body("cancelled"))
            assert first.cancelled_caught
            r = await client.chat.completions.create(**chat_body("second"))
        assert "echo: second" == r.choices[0].message.content
        assert ["Bearer slow-1"] == endpoint.api_authorizations()
        assert 1 == len(endpoint.exchanges)

    async def test_a_failing_provider_is_a_subject_token_provider_error(
        self, endpoint: TokenEndpoint, server: MockServer
    ) -> None:
        """The provider's own message (which could hold a secret) is not repeated; nothing is exchanged."""

        def get_token() -> str:
            raise RuntimeError(f"vault said {SUBJECT}")

        async with AsyncOpenAI(workload_identity=identity(get_token), base_url=server.url) as client:
            with pytest.raises(SubjectTokenProviderError, match="subject-token provider failed") as info:
                await client.chat.completions.create(**chat_body())
        assert SUBJECT not in str(info.value)
        assert [] == endpoint.exchanges

    async def test_no_token_reaches_a_log_line_or_a_repr(
        self, endpoint: TokenEndpoint, server: MockServer
    ) -> None:
        """Debug logs and the reprs of the client, its options and its key source hold no token."""
        with collector() as logs:
            client = AsyncOpenAI(workload_identity=identity(), base_url=server.url)
            async with client:
                await client.chat.completions.create(**chat_body())
                reprs = " ".join(
                    repr(x)
                    for x in (client, client._options, client._options.keys, client._options.keys.provider)
                )
        text = " ".join(str(e) for e in logs.events) + reprs
        assert "auth.token_exchanged" in text
        assert SUBJECT not in text
        assert "at-1" not in text

    async def test_copies_share_the_token_and_an_api_key_replaces_it(
        self, endpoint: TokenEndpoint, server: MockServer
    ) -> None:
        """A copy shares the key source; `with_options(api_key=...)` drops the identity."""
        async with AsyncOpenAI(workload_identity=identity(), base_url=server.url) as client:
            await client.chat.completions.create(**chat_body())
            await client.with_options(timeout=30).chat.completions.create(**chat_body())
            keyed = client.with_options(api_key="sk-plain")
            assert keyed.workload_identity is None
            await keyed.chat.completions.create(**chat_body())
        assert ["Bearer at-1", "Bearer at-1", "Bearer sk-plain"] == endpoint.api_authorizations()
        assert 1 == len(endpoint.exchanges)


@pytest.mark.anyio
async def test_a_copy_with_another_identity_exchanges_its_own_token_on_the_same_dispatcher(
    endpoint: TokenEndpoint, server: MockServer
) -> None:
    """`with_options(workload_identity=...)` gets its own token source, yet shares the dispatcher's lanes."""
    async with AsyncOpenAI(workload_identity=identity(), base_url=server.url) as client:
        await client.chat.completions.create(**chat_body())
        other = client.with_options(workload_identity=identity(lambda: "other-subject"))
        await other.chat.completions.create(**chat_body())
        await client.chat.completions.create(**chat_body())
    assert ["Bearer at-1", "Bearer at-2", "Bearer at-1"] == endpoint.api_authorizations()
    assert [SUBJECT, "other-subject"] == [json.loads(r.body)["subject_token"] for r in endpoint.exchanges]
    # Each exchange on a channel of its own; the three API requests on the one lane they share.
    assert 3 == server.connections_opened


def test_the_sync_client_exchanges_once_for_many_threads(endpoint: TokenEndpoint, server: MockServer) -> None:
    """Sixteen threads on one `OpenAI`: one exchange, made on the dispatcher's thread, serves them all."""
    with OpenAI(workload_identity=identity(), base_url=server.url) as client:
        errors: list[BaseException] = []

        def ask() -> None:
            try:
                client.chat.completions.create(**chat_body())
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=ask) for _ in range(16)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert [] == errors
    assert 1 == len(endpoint.exchanges)
    assert {"Bearer at-1"} == set(endpoint.api_authorizations())


def test_the_sync_client_raises_oauth_error(endpoint: TokenEndpoint, server: MockServer) -> None:
    """A refused exchange reaches a sync caller as `OAuthError`; the next call exchanges again."""
    endpoint.answers.append(Fault(status=401, body={"error": "invalid_subject_token"}))
    with OpenAI(workload_identity=identity(), base_url=server.url) as client:
        with pytest.raises(OAuthError) as info:
            client.chat.completions.create(**chat_body())
        assert "invalid_subject_token" == info.value.error
        client.chat.completions.create(**chat_body())
    assert 2 == len(endpoint.exchanges)


@pytest.mark.parametrize("stack", ["httpx", "httpx2"])
def test_the_sync_client_exchanges_through_a_sync_http_client(
    endpoint: TokenEndpoint, server: MockServer, stack: str
) -> None:
    """A sync httpx (or httpx2) client runs in worker threads: the exchange goes through it too."""
    module: Any = __import__(stack)
    seen: list[str] = []
    with module.Client(event_hooks={"request": [lambda r: seen.append(r.url.path)]}) as http:
        with OpenAI(workload_identity=identity(), base_url=server.url, http_client=http) as client:
            client.chat.completions.create(**chat_body())
            client.chat.completions.create(**chat_body())
    assert [TOKEN_PATH, CHAT, CHAT] == seen
    assert ["Bearer at-1", "Bearer at-1"] == endpoint.api_authorizations()


def test_workload_identity_auth_exchanges_outside_a_client(endpoint: TokenEndpoint) -> None:
    """`WorkloadIdentityAuth` caches the token, and exchanges again once the token is invalidated."""
    auth = WorkloadIdentityAuth(workload_identity=identity(), token_exchange_url=endpoint.url)
    assert "at-1" == auth.get_token()
    assert "at-1" == auth.get_token()
    auth.invalidate_token("at-1")
    assert "at-2" == auth.get_token()
    assert "at-" not in repr(auth)


# -- X.509: mutual TLS with certificates from trustme -------------------------------


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def mtls_server(ca: trustme.CA, monkeypatch: pytest.MonkeyPatch) -> Iterator[TokenEndpoint]:
    """Token endpoint and API over TLS that demands a client certificate from the test CA."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("localhost").configure_cert(context)
    context.verify_mode = ssl.CERT_REQUIRED
    ca.configure_trust(context)
    with MockServer(ssl_context=context) as server:
        token_endpoint = TokenEndpoint(server)
        base = server.url.replace("127.0.0.1", "localhost")
        monkeypatch.setattr(_policy, "X509_TOKEN_EXCHANGE_URL", base.removesuffix("/v1") + TOKEN_PATH)
        yield token_endpoint


def client_context(ca: trustme.CA, with_certificate: bool = True) -> ssl.SSLContext:
    context = ssl.create_default_context()
    ca.configure_trust(context)
    if with_certificate:
        ca.issue_cert("workload@example.com").configure_cert(context)
    return context


X509 = x509_workload_identity(identity_provider_id="idp_x", service_account_id="sa_x")


@pytest.mark.anyio
@pytest.mark.parametrize("stack", ["httpx", "httpx2"])
async def test_x509_exchanges_over_mutual_tls_with_the_http_clients_certificate(
    mtls_server: TokenEndpoint, ca: trustme.CA, stack: str
) -> None:
    """The exchange and the API calls go through the user's httpx / httpx2 client, whose TLS context holds the certificate."""
    module: Any = __import__(stack)
    base_url = mtls_server.server.url.replace("127.0.0.1", "localhost")
    http = module.AsyncClient(verify=client_context(ca), follow_redirects=False)
    async with AsyncOpenAI(workload_identity=X509, base_url=base_url, http_client=http) as client:
        results = await ask_many(client, 20)
    await http.aclose()
    assert all(isinstance(r, str) for r in results), results[:3]
    (exchange,) = mtls_server.exchanges
    assert json.loads(x509_body("idp_x", "sa_x")) == json.loads(exchange.body)
    assert {"Bearer at-1"} == set(mtls_server.api_authorizations())


def test_x509_with_the_sync_client_and_the_official_sdk_send_the_same_exchange(
    mtls_server: TokenEndpoint, ca: trustme.CA, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both packages, one `httpx2.Client` and one loopback mTLS endpoint: the same exchange request."""
    import httpx2
    import openai
    import openai.auth._x509

    base_url = mtls_server.server.url.replace("127.0.0.1", "localhost")
    monkeypatch.setattr(openai.auth._x509, "_X509_TOKEN_EXCHANGE_URL", _policy.X509_TOKEN_EXCHANGE_URL)
    with httpx2.Client(verify=client_context(ca), follow_redirects=False) as http:
        with OpenAI(workload_identity=X509, base_url=base_url, http_client=http) as client:
            client.chat.completions.create(**chat_body())
        with openai.OpenAI(workload_identity=X509, base_url=base_url, http_client=http) as official:
            official.chat.completions.create(**chat_body())
    ours, theirs = mtls_server.exchanges
    assert json.loads(theirs.body) == json.loads(ours.body)
    assert (theirs.method, theirs.path, theirs.headers["content-type"]) == (
        ours.method,
        ours.path,
        ours.headers["content-type"],
    )
    assert ["Bearer at-1", "Bearer at-2"] == mtls_server.api_authorizations()


def test_x509_without_a_client_certificate_fails_the_exchange_as_a_connection_error(
    mtls_server: TokenEndpoint, ca: trustme.CA
) -> None:
    """The sync client: httpx's async client, on trio, leaves its request-body generator to the
    garbage collector when a TLS write fails, which trio reports (an httpx matter, not this one)."""
    base_url = mtls_server.server.url.replace("127.0.0.1", "localhost")
    with httpx.Client(verify=client_context(ca, with_certificate=False)) as http:
        with OpenAI(workload_identity=X509, base_url=base_url, http_client=http, max_retries=0) as client:
            with pytest.raises(APIConnectionError, match="Token exchange with https://localhost"):
                client.chat.completions.create(**chat_body())
    assert [] == mtls_server.exchanges


@pytest.mark.anyio
async def test_x509_without_an_http_client_says_the_certificate_belongs_in_one(
    mtls_server: TokenEndpoint, ca: trustme.CA, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The native transport trusts the test CA but has no client certificate to offer."""
    from openai_actors import _connection

    monkeypatch.setattr(_connection, "_ssl_context", client_context(ca, with_certificate=False))
    base_url = mtls_server.server.url.replace("127.0.0.1", "localhost")
    async with AsyncOpenAI(workload_identity=X509, base_url=base_url, max_retries=0) as client:
        with pytest.raises(APIConnectionError, match="needs an http_client whose TLS context holds"):
            await client.chat.completions.create(**chat_body())
    assert [] == mtls_server.exchanges


@pytest.mark.anyio
async def test_x509_never_follows_an_api_redirect_nor_reads_openai_api_key(
    mtls_server: TokenEndpoint, ca: trustme.CA, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The user's client would follow a 307; an X.509 client does not, and uses only the exchanged token."""
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-the-environment")
    base_url = mtls_server.server.url.replace("127.0.0.1", "localhost")
    elsewhere = base_url + "/elsewhere"
    mtls_server.server.script(Fault(status=307, headers={"location": elsewhere}, path=CHAT))
    http = httpx.AsyncClient(verify=client_context(ca), follow_redirects=True)
    async with AsyncOpenAI(workload_identity=X509, base_url=base_url, http_client=http) as client:
        # The 307 comes back as the answer (the mock gives it a completion's body): not followed.
        await client.chat.completions.create(**chat_body())
    await http.aclose()
    assert [TOKEN_PATH, CHAT] == [r.path for r in mtls_server.server.requests]
    assert ["Bearer at-1"] == mtls_server.api_authorizations()


@pytest.mark.anyio
async def test_x509_requests_go_only_to_the_api_origin_with_only_the_token(
    mtls_server: TokenEndpoint, ca: trustme.CA
) -> None:
    """Each refusal happens before anything is sent: no exchange, no API request."""
    base_url = mtls_server.server.url.replace("127.0.0.1", "localhost")
    http = httpx.AsyncClient(verify=client_context(ca))
    async with AsyncOpenAI(workload_identity=X509, base_url=base_url, http_client=http) as client:
        with pytest.raises(OpenAIError, match="configured API origin"):
            await client.get("https://example.com/v1/models")
        with pytest.raises(OpenAIError, match="API-key"):
            await client.chat.completions.create(**chat_body(), extra_headers={"api-key": "k"})
        with pytest.raises(OpenAIError, match="cannot be changed"):
            await client.chat.completions.create(**chat_body(), extra_headers={"Authorization": "Bearer x"})
    await http.aclose()
    assert [] == mtls_server.exchanges
    assert [] == mtls_server.api_authorizations()


# -- the subject-token providers ----------------------------------------------------


class TestProviders:
    def test_the_k8s_provider_reads_the_mounted_token_each_time(self, tmp_path: Path) -> None:
        """Kubernetes rotates the file: each call reads it; empty or missing is an error."""
        path = tmp_path / "token"
        path.write_text("jwt-1\n")
        provider = k8s_service_account_token_provider(path)
        assert ("jwt", "jwt-1") == (provider["token_type"], provider["get_token"]())
        path.write_text("jwt-2")
        assert "jwt-2" == provider["get_token"]()
        path.write_text("  ")
        with pytest.raises(SubjectTokenProviderError, match="is empty"):
            provider["get_token"]()
        with pytest.raises(SubjectTokenProviderError, match="Failed to read"):
            k8s_service_account_token_provider(tmp_path / "missing")["get_token"]()

    def test_the_azure_provider_asks_imds_for_the_managed_identitys_token(self) -> None:
        """The IMDS URL, query and `Metadata: true` header the official provider sends."""
        seen: list[httpx.Request] = []

        def imds(request: httpx.Request) -> httpx.Response:
            seen.append(request)
            return httpx.Response(200, json={"access_token": "azure-jwt"})

        with httpx.Client(transport=httpx.MockTransport(imds)) as http:
            provider = azure_managed_identity_token_provider(client_id="cid", http_client=http)
            assert ("jwt", "azure-jwt") == (provider["token_type"], provider["get_token"]())
        (request,) = seen
        assert "169.254.169.254" == request.url.host
        assert "/metadata/identity/oauth2/token" == request.url.path
        assert {
            "api-version": "2018-02-01",
            "resource": "https://management.azure.com/",
            "client_id": "cid",
        } == dict(request.url.params)
        assert "true" == request.headers["metadata"]

    def test_the_gcp_provider_asks_the_metadata_server_for_an_id_token(self) -> None:
        """The metadata URL, audience and `Metadata-Flavor: Google` header."""
        seen: list[httpx.Request] = []

        def metadata(request: httpx.Request) -> httpx.Response:
            seen.append(request)
            return httpx.Response(200, text="gcp-id-token\n")

        with httpx.Client(transport=httpx.MockTransport(metadata)) as http:
            provider = gcp_id_token_provider("https://aud", http_client=http)
            assert ("id", "gcp-id-token") == (provider["token_type"], provider["get_token"]())
        (request,) = seen
        assert "metadata.google.internal" == request.url.host
        assert {"audience": "https://aud"} == dict(request.url.params)
        assert "Google" == request.headers["metadata-flavor"]

    def test_a_metadata_server_error_is_a_subject_token_provider_error(self) -> None:
        """An HTTP error from the metadata server names its status."""
        http = httpx.Client(transport=httpx.MockTransport(lambda r: httpx.Response(404)))
        with http, pytest.raises(SubjectTokenProviderError, match="HTTP 404"):
            gcp_id_token_provider(http_client=http)["get_token"]()


# -- respx, as the official SDK's own tests mock the exchange -----------------------


@respx.mock
def test_respx_answers_the_exchange_and_the_api_as_in_the_official_sdks_tests() -> None:
    """The official `test_basic_auth`, with respx for respx2: the exchange goes where respx answers."""
    exchange = respx.post("https://auth.openai.com/oauth/token").mock(
        return_value=httpx.Response(200, json={"access_token": "fake_access_token", "expires_in": 3600})
    )
    models = respx.get("https://api.openai.com/v1/models").mock(
        return_value=httpx.Response(200, json={"data": [], "object": "list"})
    )
    with OpenAI(workload_identity=identity()) as client:
        client.models.list()
        client.models.list()
    assert (1, 2) == (exchange.call_count, models.call_count)
    assert SUBJECT == json.loads(exchange.calls[0].request.content)["subject_token"]
    assert "Bearer fake_access_token" == models.calls[1].request.headers["authorization"]


def test_an_exchange_respx_does_not_mock_says_so() -> None:
    """respx's "not mocked!" for the token URL reaches the caller, naming the exchange."""
    with respx.mock, OpenAI(workload_identity=identity(), max_retries=0) as client:
        with pytest.raises(
            OpenAIError,
            match=r"Token exchange with https://auth\.openai\.com/oauth/token failed: AllMockedAssertionError: RESPX.*not mocked",
        ):
            client.models.list()
