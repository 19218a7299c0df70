"""Workload identities as the user writes them, and the subject-token providers of the common platforms.

The identities are plain dicts (the official SDK's TypedDicts); the client
hands them to its key source (`_exchange.py`), which exchanges and refreshes
the token inside the dispatcher. The providers are sync callables, as in the
official SDK: they read a file or ask a metadata server, so the exchange runs
them in a worker thread.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, NotRequired, TypeAlias, TypedDict

from .._exceptions import OAuthError, OpenAIError, SubjectTokenProviderError
from ._policy import (
    DEFAULT_TOKEN_EXCHANGE_URL,
    Refused,
    Token,
    check_identity,
    read_token_response,
    refresh_after,
)

if TYPE_CHECKING:
    import httpx

__all__ = [
    "SubjectTokenProvider",
    "SubjectTokenWorkloadIdentity",
    "WorkloadIdentity",
    "WorkloadIdentityAuth",
    "X509WorkloadIdentity",
    "azure_managed_identity_token_provider",
    "gcp_id_token_provider",
    "k8s_service_account_token_provider",
    "x509_workload_identity",
]


class SubjectTokenProvider(TypedDict):
    token_type: Literal["jwt", "id"]
    get_token: Callable[[], str]


class WorkloadIdentity(TypedDict):
    """A subject-token identity: the platform's token is exchanged for an OpenAI access token."""

    identity_provider_id: str
    """The identity provider's id (in OpenAI's workload identity federation)."""
    service_account_id: str
    """The service account the verified external identity is bound to."""
    provider: SubjectTokenProvider
    """Where the subject token comes from."""
    refresh_buffer_seconds: NotRequired[float]
    """How long before expiry the token is exchanged again; 1200 s, capped at half its life."""


SubjectTokenWorkloadIdentity: TypeAlias = WorkloadIdentity


class X509WorkloadIdentity(TypedDict):
    """The client certificate of the `http_client`'s TLS context stands for the identity."""

    type: Literal["x509"]
    identity_provider_id: str
    service_account_id: str
    refresh_buffer_seconds: NotRequired[float]


def x509_workload_identity(
    *,
    identity_provider_id: str,
    service_account_id: str,
    refresh_buffer_seconds: float | None = None,
) -> X509WorkloadIdentity:
    """An X.509 identity; the certificate itself goes in the `http_client`'s TLS context."""
    identity: X509WorkloadIdentity = {
        "type": "x509",
        "identity_provider_id": identity_provider_id,
        "service_account_id": service_account_id,
    }
    if refresh_buffer_seconds is not None:
        identity["refresh_buffer_seconds"] = refresh_buffer_seconds
    return identity


def k8s_service_account_token_provider(
    token_file_path: str | Path = "/var/run/secrets/kubernetes.io/serviceaccount/token",
) -> SubjectTokenProvider:
    """The projected service-account token Kubernetes mounts in the pod, read afresh at each exchange."""

    def get_token() -> str:
        try:
            with open(token_file_path) as f:
                token = f.read().strip()
        except Exception as exc:
            raise SubjectTokenProviderError(
                f"Failed to read the token file at {token_file_path}: {exc}"
            ) from exc
        if not token:
            raise SubjectTokenProviderError(f"The token file at {token_file_path} is empty.")
        return token

    return {"token_type": "jwt", "get_token": get_token}


AZURE_IMDS_TOKEN_URL = "http://169.254.169.254/metadata/identity/oauth2/token"
GCP_IDENTITY_URL = (
    "http://metadata.google.internal/computeMetadata/v1/instance/service-accounts/default/identity"
)


def azure_managed_identity_token_provider(
    resource: str = "https://management.azure.com/",
    *,
    object_id: str | None = None,
    client_id: str | None = None,
    msi_res_id: str | None = None,
    api_version: str = "2018-02-01",
    timeout: float = 10.0,
    http_client: Any = None,
) -> SubjectTokenProvider:
    """A token from Azure's instance metadata service (IMDS) for the VM's managed identity.

    `object_id`, `client_id` or `msi_res_id` pick one of several assigned
    identities. `http_client`: an `httpx.Client` (or httpx2's) to ask with;
    otherwise a new one per token.
    """

    def get_token() -> str:
        params = {"api-version": api_version, "resource": resource}
        for name, value in (("object_id", object_id), ("client_id", client_id), ("msi_res_id", msi_res_id)):
            if value is not None:
                params[name] = value
        try:
            response = _metadata_get(http_client, AZURE_IMDS_TOKEN_URL, params, {"Metadata": "true"}, timeout)
            if response.is_error:
                raise SubjectTokenProviderError(
                    f"Failed to fetch Azure subject token from IMDS: HTTP {response.status_code}",
                    response=response,
                )
            data = response.json()
            token = data.get("access_token") if isinstance(data, dict) else None
            if not isinstance(token, str) or not token:
                raise SubjectTokenProviderError(
                    "Azure IMDS response did not include an access_token", response=response
                )
            return token
        except Exception as exc:
            raise SubjectTokenProviderError(f"Failed to fetch Azure subject token from IMDS: {exc}") from exc

    return {"token_type": "jwt", "get_token": get_token}


def gcp_id_token_provider(
    audience: str = "https://api.openai.com/v1",
    *,
    timeout: float = 10.0,
    http_client: Any = None,
) -> SubjectTokenProvider:
    """An ID token for `audience` from the GCP instance metadata server.

    `http_client`: an `httpx.Client` (or httpx2's) to ask with; otherwise a new one per token.
    """

    def get_token() -> str:
        try:
            response = _metadata_get(
                http_client, GCP_IDENTITY_URL, {"audience": audience}, {"Metadata-Flavor": "Google"}, timeout
            )
            if response.is_error:
                raise SubjectTokenProviderError(
                    f"Failed to fetch GCP subject token from metadata server: HTTP {response.status_code}",
                    response=response,
                )
            token = response.text.strip()
            if not token:
                raise SubjectTokenProviderError(
                    "GCP metadata server returned an empty token", response=response
                )
            return token
        except Exception as exc:
            raise SubjectTokenProviderError(
                f"Failed to fetch GCP subject token from metadata server: {exc}"
            ) from exc

    return {"token_type": "id", "get_token": get_token}


def _metadata_get(
    http_client: Any, url: str, params: dict[str, str], headers: dict[str, str], timeout: float
) -> httpx.Response:
    if http_client is not None:
        response: httpx.Response = http_client.get(url, params=params, headers=headers, timeout=timeout)
        return response
    import httpx

    # A metadata server is link-local: never through a proxy from the environment.
    with httpx.Client(trust_env=False) as client:
        return client.get(url, params=params, headers=headers, timeout=timeout)


class WorkloadIdentityAuth:
    """A subject-token identity's access token, for use outside a client (a thread-safe, blocking cache).

    The clients do not need it: `workload_identity=` does the same inside the
    dispatcher. `get_token()` exchanges on first use and again
    `refresh_buffer_seconds` before expiry, one exchange at a time;
    `invalidate_token(token)` drops a token the API refused. So
    `api_key=auth.get_token` works too.
    """

    def __init__(
        self, *, workload_identity: WorkloadIdentity, token_exchange_url: str = DEFAULT_TOKEN_EXCHANGE_URL
    ) -> None:
        _, _, self._buffer, x509 = check_identity(workload_identity)
        if x509:
            raise OpenAIError(
                "WorkloadIdentityAuth takes a subject-token identity; pass X.509 ones to a client"
            )
        self.workload_identity = workload_identity
        self.token_exchange_url = token_exchange_url
        self._lock = threading.Lock()
        self._token: str | None = None
        self._refresh_at = 0.0

    def __repr__(self) -> str:
        return f"<WorkloadIdentityAuth {self.token_exchange_url}>"

    def get_token(self) -> str:
        with self._lock:  # one exchange at a time; the others wait for its token
            if self._token is not None and time.monotonic() < self._refresh_at:
                return self._token
            token = self._exchange()
            self._token = token.access_token
            self._refresh_at = time.monotonic() + refresh_after(token.expires_in, self._buffer)
            return token.access_token

    def invalidate_token(self, token: str | None = None) -> None:
        with self._lock:
            if token is None or token == self._token:
                self._token = None

    def _exchange(self) -> Token:
        import httpx

        from ._policy import subject_token_body

        identity = self.workload_identity
        subject = identity["provider"]["get_token"]()
        if not isinstance(subject, str) or not subject:
            raise OpenAIError("The workload identity provider returned an empty subject token")
        body = subject_token_body(
            identity["identity_provider_id"],
            identity["service_account_id"],
            subject,
            identity["provider"]["token_type"],
        )
        with httpx.Client(follow_redirects=False) as client:
            response = client.post(
                self.token_exchange_url,
                content=body,
                headers={"Content-Type": "application/json", "Accept": "application/json"},
                timeout=10.0,
            )
        answer = read_token_response(response.status_code, response.content, x509=False)
        if isinstance(answer, Refused):
            # Rebuilt with a bodiless request: the one sent holds the subject token.
            request = httpx.Request("POST", self.token_exchange_url)
            refusal = httpx.Response(
                response.status_code, headers=response.headers, content=response.content, request=request
            )
            raise OAuthError(response=refusal, body=answer.body)
        return answer
