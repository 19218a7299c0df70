"""Workload identity: an OpenAI access token exchanged for the platform's own credential.

Pass one to a client instead of an API key::

    from openai_actors import OpenAI
    from openai_actors.auth import k8s_service_account_token_provider

    client = OpenAI(
        workload_identity={
            "identity_provider_id": "idp_...",
            "service_account_id": "sa_...",
            "provider": k8s_service_account_token_provider(),
        }
    )

The client's dispatcher exchanges the token, shares it between every request,
exchanges again before it expires and after a 401, one exchange at a time.
"""

from ._workload import (
    SubjectTokenProvider,
    SubjectTokenWorkloadIdentity,
    WorkloadIdentity,
    WorkloadIdentityAuth,
    X509WorkloadIdentity,
    azure_managed_identity_token_provider,
    gcp_id_token_provider,
    k8s_service_account_token_provider,
    x509_workload_identity,
)

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
