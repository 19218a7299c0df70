"""Workload identity written as for the official `openai` SDK; must pass `mypy --strict` unchanged.

Only type-checked (tests/test_typing.py), never run. What it pins down: the identities are
the official TypedDicts (a dict literal with a provider, or `x509_workload_identity(...)`),
the providers build `SubjectTokenProvider`s, `workload_identity=` is taken by both clients
and by `with_options`, and `OAuthError` is an `AuthenticationError` with its `error` code.
"""

from __future__ import annotations

import ssl
from typing import assert_type

from openai_actors import AsyncOpenAI, AuthenticationError, DefaultAsyncHttpx2Client, OAuthError, OpenAI
from openai_actors.auth import (
    SubjectTokenProvider,
    WorkloadIdentity,
    WorkloadIdentityAuth,
    X509WorkloadIdentity,
    gcp_id_token_provider,
    k8s_service_account_token_provider,
    x509_workload_identity,
)


def subject_token_client() -> OpenAI:
    provider: SubjectTokenProvider = k8s_service_account_token_provider("/var/run/token")
    identity: WorkloadIdentity = {
        "identity_provider_id": "idp_123",
        "service_account_id": "sa_123",
        "provider": provider,
        "refresh_buffer_seconds": 600,
    }
    client = OpenAI(workload_identity=identity)
    return client.with_options(workload_identity={**identity, "provider": gcp_id_token_provider()})


def x509_client(tls: ssl.SSLContext) -> AsyncOpenAI:
    identity = x509_workload_identity(identity_provider_id="idp", service_account_id="sa")
    assert_type(identity, X509WorkloadIdentity)
    return AsyncOpenAI(workload_identity=identity, http_client=DefaultAsyncHttpx2Client(verify=tls))


def on_error(error: OAuthError) -> str | None:
    assert isinstance(error, AuthenticationError)
    return error.error


def outside_a_client(identity: WorkloadIdentity) -> str:
    return WorkloadIdentityAuth(workload_identity=identity).get_token()
