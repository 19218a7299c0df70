"""The token exchange's rules, with no I/O: what to send, how to read the answer, when to retry or refresh.

A workload identity trades a credential the platform already gives the
process (a subject token: a Kubernetes service-account JWT, a cloud metadata
server's ID token; or, for X.509, the client certificate of a mutual-TLS
connection) for a short-lived OpenAI access token, at the OAuth 2.0 token
endpoint (RFC 8693 token exchange). The access token is then used as the API
key until shortly before it expires.

Everything here is a pure function of its arguments (`now` is passed in), so
`tests/test_auth.py` checks the rules without sockets or clocks. The I/O
shell is `_exchange.py`.
"""

from __future__ import annotations

import email.utils
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from .._exceptions import OpenAIError

__all__ = [
    "DEFAULT_REFRESH_BUFFER_SECONDS",
    "DEFAULT_TOKEN_EXCHANGE_URL",
    "MTLS_API_BASE_URL",
    "X509_TOKEN_EXCHANGE_URL",
    "Refused",
    "Token",
    "exchange_retry_delay",
    "read_token_response",
    "refresh_after",
    "subject_token_body",
    "x509_body",
]

TOKEN_EXCHANGE_GRANT_TYPE: Final = "urn:ietf:params:oauth:grant-type:token-exchange"
DEFAULT_TOKEN_EXCHANGE_URL: Final = "https://auth.openai.com/oauth/token"
# X.509 identities exchange at a pinned mutual-TLS endpoint and call the API's mTLS host.
X509_TOKEN_EXCHANGE_URL: Final = "https://mtls.auth.openai.com/oauth/token"
MTLS_API_BASE_URL: Final = "https://mtls.api.openai.com/v1"
X509_SUBJECT_TOKEN_TYPE: Final = "urn:openai:params:oauth:token-type:x509"
DEFAULT_REFRESH_BUFFER_SECONDS: Final = 1200.0

SUBJECT_TOKEN_TYPES: Final[Mapping[str, str]] = {
    "jwt": "urn:ietf:params:oauth:token-type:jwt",
    "id": "urn:ietf:params:oauth:token-type:id_token",
}

# The exchange's own retries (X.509 and subject-token alike): at most this many,
# and never more than the client's max_retries.
MAX_EXCHANGE_RETRIES: Final = 2
_INITIAL_RETRY_DELAY: Final = 0.5
_MAX_RETRY_DELAY: Final = 8.0
_MAX_RETRY_AFTER: Final = 60.0
# RFC 6750's b64token: what may follow "Bearer " in an Authorization header.
_BEARER_TOKEN: Final = re.compile(r"[A-Za-z0-9._~+/-]+=*")
_X509_FIELDS: Final = frozenset(
    {"type", "identity_provider_id", "service_account_id", "refresh_buffer_seconds"}
)


@dataclass(frozen=True, slots=True, repr=False)
class Token:
    """An access token and how many seconds it lives from when it was received."""

    access_token: str
    expires_in: float

    def __repr__(self) -> str:
        return f"<Token expires_in={self.expires_in}>"  # never the token


@dataclass(frozen=True, slots=True)
class Refused:
    """The endpoint refused the identity (400, 401, 403): an `OAuthError` with this body."""

    status: int
    body: object


def subject_token_body(
    identity_provider_id: str, service_account_id: str, subject_token: str, token_type: str
) -> bytes:
    """The exchange request's JSON body for a subject token of `token_type` ("jwt" or "id")."""
    subject_token_type = SUBJECT_TOKEN_TYPES.get(token_type)
    if subject_token_type is None:
        raise OpenAIError(
            f"Unsupported token type: {token_type!r}. Supported types: {', '.join(SUBJECT_TOKEN_TYPES)}"
        )
    return _json(
        {
            "grant_type": TOKEN_EXCHANGE_GRANT_TYPE,
            "subject_token": subject_token,
            "subject_token_type": subject_token_type,
            "identity_provider_id": identity_provider_id,
            "service_account_id": service_account_id,
        }
    )


def x509_body(identity_provider_id: str, service_account_id: str) -> bytes:
    """The X.509 exchange's body: no subject token, the TLS client certificate stands for it."""
    return _json(
        {
            "grant_type": TOKEN_EXCHANGE_GRANT_TYPE,
            "subject_token_type": X509_SUBJECT_TOKEN_TYPE,
            "identity_provider_id": identity_provider_id,
            "service_account_id": service_account_id,
        }
    )


def _json(value: object) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def read_token_response(status: int, content: bytes, *, x509: bool) -> Token | Refused:
    """The token in a token endpoint's answer, the refusal it states, or OpenAIError saying what is wrong.

    X.509's reading is stricter, as the official SDK's: `token_type` (when
    present) must be Bearer, the token must be fit for a Bearer header,
    `expires_in` positive and finite, and a refusal keeps only its `error`
    code (a description could echo certificate details).
    """
    body: object
    try:
        body = json.loads(content) if content else None
    except (ValueError, RecursionError):
        body = None
    if status in (400, 401, 403):
        if x509:
            code = body.get("error") if isinstance(body, dict) else None
            body = {"error": code} if isinstance(code, str) else None
        return Refused(status, body)
    if not 200 <= status < 300:
        raise OpenAIError(f"Token exchange failed with status {status}")
    if body is None:
        raise OpenAIError("Token exchange succeeded but response body was empty")
    if not isinstance(body, dict):
        raise OpenAIError("Token exchange succeeded but response body was not a JSON object")
    access_token = body.get("access_token")
    if not isinstance(access_token, str) or not access_token:
        raise OpenAIError("Token exchange response did not include a valid access_token")
    expires_in = _finite(body.get("expires_in"))
    if not x509:
        if expires_in is None:
            raise OpenAIError("Token exchange response did not include a valid expires_in")
        return Token(access_token, expires_in)
    if expires_in is None or expires_in <= 0:
        raise OpenAIError("X.509 token exchange response did not include a positive, finite expires_in")
    token_type = body.get("token_type")
    if "token_type" in body and (not isinstance(token_type, str) or token_type.lower() != "bearer"):
        raise OpenAIError("X.509 token exchange response must use the Bearer token type")
    if _BEARER_TOKEN.fullmatch(access_token) is None:
        raise OpenAIError("X.509 token exchange response did not include a valid Bearer access_token")
    return Token(access_token, expires_in)


def _finite(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


def refresh_after(expires_in: float, refresh_buffer: float | None) -> float:
    """Seconds after receipt at which a token is exchanged again rather than used.

    The buffer (20 minutes unless the identity says) is capped at half the
    token's life, so a short-lived token is still used for half of it.
    """
    buffer = DEFAULT_REFRESH_BUFFER_SECONDS if refresh_buffer is None else refresh_buffer
    return max(expires_in - min(buffer, expires_in / 2), 0.0)


def exchange_retry_delay(
    status: int | None, headers: Mapping[str, str], attempt: int, *, now: float
) -> float | None:
    """Seconds before exchange attempt `attempt + 1`, or None when the answer is final.

    `status` None: the connection failed. 408, 409, 429 and 5xx are retried,
    after the server's `retry-after` (seconds or an HTTP date, `now` being
    wall-clock time) when it names one up to a minute away, else 0.5 s
    doubling to 8 s; a `retry-after` further away makes the answer final.
    Whether attempts remain is the caller's count.
    """
    if status is not None:
        if status not in (408, 409, 429) and status < 500:
            return None
        asked = _retry_after(headers.get("retry-after"), now)
        if asked is not None:
            if 0 <= asked <= _MAX_RETRY_AFTER:
                return asked
            if asked > _MAX_RETRY_AFTER:
                return None
    return min(_INITIAL_RETRY_DELAY * 2.0**attempt, _MAX_RETRY_DELAY)


def _retry_after(value: str | None, now: float) -> float | None:
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            parsed = email.utils.parsedate_tz(value)
            seconds = float(email.utils.mktime_tz(parsed)) - now if parsed is not None else -1.0
        except (OverflowError, OSError, ValueError):
            seconds = -1.0
    return seconds if math.isfinite(seconds) else None


def check_identity(identity: object) -> tuple[str, str, float | None, bool]:
    """(identity_provider_id, service_account_id, refresh_buffer, is_x509) of a `workload_identity`.

    Raises OpenAIError (TypeError for a non-mapping) naming what is wrong, at
    construction rather than at the first request.
    """
    if not isinstance(identity, Mapping):
        raise TypeError(
            f"workload_identity must be a WorkloadIdentity or X509WorkloadIdentity dict, not {type(identity).__name__}"
        )
    x509 = identity.get("type") == "x509"
    if x509:
        if "provider" in identity or "client_id" in identity:
            raise OpenAIError("X.509 workload identity does not accept a subject-token provider or client ID")
        if set(identity) - _X509_FIELDS:
            raise OpenAIError(
                "X.509 workload identity accepts only identity IDs and an optional refresh buffer"
            )
    elif "provider" not in identity:
        raise OpenAIError(
            "Invalid `workload_identity` configuration: expected an X.509 or subject-token identity"
        )
    else:
        provider = identity["provider"]
        if not isinstance(provider, Mapping) or not callable(provider.get("get_token")):
            raise OpenAIError("workload_identity's provider must be a dict with a callable get_token")
        if provider.get("token_type") not in SUBJECT_TOKEN_TYPES:
            raise OpenAIError(
                f"Unsupported token type: {provider.get('token_type')!r}. "
                f"Supported types: {', '.join(SUBJECT_TOKEN_TYPES)}"
            )
    idp = identity.get("identity_provider_id")
    account = identity.get("service_account_id")
    if not isinstance(idp, str) or not idp or not isinstance(account, str) or not account:
        what = "X.509 workload identity" if x509 else "workload_identity"
        raise OpenAIError(f"{what} requires identity-provider and service-account IDs")
    buffer: float | None = None
    if identity.get("refresh_buffer_seconds") is not None:
        buffer = _finite(identity["refresh_buffer_seconds"])
        if buffer is None or buffer < 0:
            raise OpenAIError("workload_identity requires a finite, non-negative refresh_buffer_seconds")
    return idp, account, buffer, x509


def check_x509_base_url(scheme: str, has_credentials: bool) -> None:
    """X.509 identities send their token only over HTTPS, to a URL with no user:password."""
    if scheme != "https":
        raise OpenAIError("X.509 workload identity requires an absolute HTTPS API URL")
    if has_credentials:
        raise OpenAIError("X.509 workload identity API URLs cannot contain user credentials")


# Headers that would carry a credential other than the exchanged token.
_X509_FORBIDDEN_HEADERS: Final = frozenset({"api-key", "x-api-key", "proxy-authorization"})


def check_x509_request(
    origin: tuple[str, str, int], base_origin: tuple[str, str, int], header_names: frozenset[str], auth: bool
) -> None:
    """Where an X.509 client's request may go and what it may carry, checked before it is sent.

    Only the configured API origin (the access token is bound to it), with the
    exchanged token as the only credential: no `api-key`-style or proxy
    credentials, no `Host` of the caller's, no `Authorization` in its place.
    `header_names` are lower-case.
    """
    if origin != base_origin:
        raise OpenAIError("X.509 workload identity requests must use the configured API origin")
    if {name.replace("_", "-") for name in header_names} & _X509_FORBIDDEN_HEADERS:
        raise OpenAIError("X.509 workload identity requests cannot include API-key or proxy credentials")
    if "host" in header_names:
        raise OpenAIError("X.509 workload identity requests cannot set their own Host header")
    if not auth:
        raise OpenAIError("X.509 workload identity authorization cannot be changed by request headers")
