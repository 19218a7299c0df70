"""The token exchange, run by the dispatcher's key source: the I/O around `_policy.py`.

A `TokenExchange` is the `Leases` of a client made with `workload_identity=`:
its `KeySource` calls `lease()` on first use, again once the token is within
its refresh buffer of expiry, and again after a 401; however many requests
wait, one exchange runs (`_keys.py`), and its failure reaches each of them.

The exchange is sent through the client's own transport, the one its API
requests use (`attach`), one fresh channel per attempt. So it goes out with
the same TLS settings, proxies and, for an `http_client`, the same httpx
client: for X.509 that is the point, since the client certificate lives in
that client's TLS context, and for a subject token it means one network
configuration for everything the client sends, on asyncio, trio or the sync
client's thread alike, with no extra HTTP stack. The subject-token provider is
sync (it reads a file or asks a metadata server), so it runs in a worker
thread. The whole attempt has one 10 s limit.

No token, subject token or certificate detail is put in a log line, a repr
or an exception here: errors carry the endpoint's URL and status only (an
`OAuthError`'s request is rebuilt without its body).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

import anyio

from .. import _logging
from .._exceptions import (
    APIConnectionError,
    APITimeoutError,
    OAuthError,
    OpenAIError,
    SubjectTokenProviderError,
)
from .._keys import Lease, Leases
from .._transport import (
    Deadline,
    DeliverAsIs,
    HeaderBlock,
    HttpxTransport,
    RawResponse,
    Timeouts,
    TransportError,
    TransportTimeout,
    WireRequest,
    read_response,
)
from .._urls import split_url
from .._version import __version__
from . import _policy

if TYPE_CHECKING:
    import httpx

    from .._transport import Transport

__all__ = ["TokenExchange"]

EXCHANGE_TIMEOUT: Final = 10.0
_TIMEOUTS: Final = Timeouts(EXCHANGE_TIMEOUT, EXCHANGE_TIMEOUT, EXCHANGE_TIMEOUT, EXCHANGE_TIMEOUT)


class TokenExchange(Leases):
    """Access tokens for one workload identity, from its token endpoint."""

    def __init__(self, identity: Mapping[str, Any], *, max_retries: int) -> None:
        self._idp, self._account, self._buffer, self.x509 = _policy.check_identity(identity)
        self.identity = identity
        # Read when the client is made, not imported: tests point these at loopback.
        self.url = _policy.X509_TOKEN_EXCHANGE_URL if self.x509 else _policy.DEFAULT_TOKEN_EXCHANGE_URL
        self.name = "the X.509 token exchange" if self.x509 else "the workload identity token exchange"
        self._origin, path, query, _ = split_url(self.url, "the token exchange URL")
        self._target = f"{path}?{query}" if query else path
        self._retries = min(max(max_retries, 0), _policy.MAX_EXCHANGE_RETRIES)
        self._transport: Transport | None = None

    def __repr__(self) -> str:
        return f"<TokenExchange {self.url}>"

    def attach(self, transport: Transport) -> None:
        self._transport = transport

    async def lease(self) -> Lease:
        body = await self._body()
        token = await self._exchange(body)
        if _logging.enabled():
            _logging.emit("auth.token_exchanged", url=self.url, expires_in=token.expires_in)
        return Lease(token.access_token, _policy.refresh_after(token.expires_in, self._buffer))

    async def _body(self) -> bytes:
        if self.x509:
            return _policy.x509_body(self._idp, self._account)
        provider = self.identity["provider"]
        try:
            # abandon_on_cancel: a hung metadata server must not keep close() waiting.
            subject = await anyio.to_thread.run_sync(provider["get_token"], abandon_on_cancel=True)
        except OpenAIError:
            raise
        except Exception as exc:
            raise SubjectTokenProviderError(
                f"the workload identity's subject-token provider failed: {type(exc).__name__}"
            ) from exc
        if not isinstance(subject, str) or not subject:
            raise OpenAIError("The workload identity provider returned an empty subject token")
        return _policy.subject_token_body(self._idp, self._account, subject, provider["token_type"])

    async def _exchange(self, body: bytes) -> _policy.Token:
        attempt = 0
        while True:
            last = attempt >= self._retries
            try:
                raw = await self._post(body)
            except TransportError as exc:
                if last:
                    raise self._connection_error(exc) from None
                delay = _policy.exchange_retry_delay(None, {}, attempt, now=time.time())
            else:
                delay = _policy.exchange_retry_delay(raw.status, raw.headers, attempt, now=time.time())
                if delay is None or last:
                    return self._read(raw)
            assert delay is not None
            await anyio.sleep(delay)
            attempt += 1

    async def _post(self, body: bytes) -> RawResponse:
        transport = self._transport
        if transport is None:
            raise OpenAIError("the token exchange has no transport: it runs only inside a client")
        headers = HeaderBlock(
            (
                ("Accept", "application/json"),
                ("Content-Type", "application/json"),
                ("User-Agent", f"openai-actors/{__version__} (Python)"),
            )
        )
        request = WireRequest("POST", self._origin, self._target, headers, [], body)
        try:
            with anyio.fail_after(EXCHANGE_TIMEOUT):
                if isinstance(transport, HttpxTransport):
                    # Never after a redirect: a 307 would carry the subject token elsewhere.
                    return await read_response(
                        await transport.open(request, _TIMEOUTS, follow_redirects=False)
                    )
                # The other transports leave redirects to the dispatcher, which is not involved here.
                return await self._post_on_channel(transport, request)
        except TimeoutError:
            raise TransportTimeout("read", EXCHANGE_TIMEOUT) from None
        except DeliverAsIs as exc:  # a test's transport (respx: "not mocked!") refused it
            error = exc.error
            raise OpenAIError(
                f"Token exchange with {self.url} failed: {type(error).__name__}: {error}"
            ) from error

    @staticmethod
    async def _post_on_channel(transport: Transport, request: WireRequest) -> RawResponse:
        channel = transport.open_channel()  # a connection of its own, closed after
        try:
            stream = await channel.open(request, _TIMEOUTS, Deadline(anyio.current_time))
            return await read_response(stream)
        finally:
            with anyio.CancelScope(shield=True):
                await channel.aclose()

    def _read(self, raw: RawResponse) -> _policy.Token:
        answer = _policy.read_token_response(raw.status, raw.content, x509=self.x509)
        if isinstance(answer, _policy.Refused):
            raise OAuthError(response=self._response(raw), body=answer.body)
        return answer

    def _request(self) -> httpx.Request:
        import httpx

        return httpx.Request("POST", self.url)  # no body: it would hold the subject token

    def _response(self, raw: RawResponse) -> httpx.Response:
        import httpx

        return httpx.Response(raw.status, headers=raw.headers, content=raw.content, request=self._request())

    def _connection_error(self, exc: TransportError) -> APIConnectionError:
        if (
            self.x509
            and not isinstance(self._transport, HttpxTransport | None)
            and not isinstance(exc, TransportTimeout)
        ):
            # The usual cause: the certificate lives in an http_client's TLS context, and there is none.
            exc = TransportError(
                f"{exc} (an X.509 identity needs an http_client whose TLS context holds the client certificate)"
            )
        if isinstance(exc, TransportTimeout):
            return APITimeoutError(
                self._request(), message=f"Token exchange with {self.url} timed out: {exc}."
            )
        return APIConnectionError(
            message=f"Token exchange with {self.url} failed: {exc}.", request=self._request()
        )
