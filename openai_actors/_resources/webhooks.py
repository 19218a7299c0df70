"""`client.webhooks`: check that a delivery came from OpenAI, and read it.

Both methods are plain functions of their arguments and the client's
`webhook_secret`; nothing is sent anywhere. So they are sync on the async
client too, as in the official SDK, and safe to call from any thread or task.
"""

from __future__ import annotations

from .._operations import AsyncAPIResource, SyncAPIResource
from .._webhooks import DEFAULT_TOLERANCE, HeadersLike, unwrap, verify_signature
from ..types.webhooks import WebhookEvent

__all__ = ["AsyncWebhooks", "Webhooks"]


def _secret(given: str | None, configured: str | None) -> str:
    secret = given if given is not None else configured
    if secret is None:
        raise ValueError(
            "no webhook secret: pass secret=..., or set it on the client with "
            "webhook_secret=... or the OPENAI_WEBHOOK_SECRET environment variable"
        )
    return secret


class Webhooks(SyncAPIResource):
    def verify_signature(
        self,
        payload: str | bytes,
        headers: HeadersLike,
        *,
        secret: str | None = None,
        tolerance: int = DEFAULT_TOLERANCE,
    ) -> None:
        """Raise `InvalidWebhookSignatureError` unless OpenAI signed `payload` in the last `tolerance` seconds.

        `payload` is the raw request body; `secret` defaults to the client's `webhook_secret`.
        """
        verify_signature(payload, headers, _secret(secret, self._client.webhook_secret), tolerance=tolerance)

    def unwrap(
        self, payload: str | bytes, headers: HeadersLike, *, secret: str | None = None
    ) -> WebhookEvent:
        """Verify the delivery as `verify_signature` does, then return it as a typed event."""
        return unwrap(payload, headers, _secret(secret, self._client.webhook_secret))


class AsyncWebhooks(AsyncAPIResource):
    def verify_signature(
        self,
        payload: str | bytes,
        headers: HeadersLike,
        *,
        secret: str | None = None,
        tolerance: int = DEFAULT_TOLERANCE,
    ) -> None:
        """Raise `InvalidWebhookSignatureError` unless OpenAI signed `payload` in the last `tolerance` seconds.

        `payload` is the raw request body; `secret` defaults to the client's `webhook_secret`.
        This does no I/O, so it is not a coroutine.
        """
        verify_signature(payload, headers, _secret(secret, self._client.webhook_secret), tolerance=tolerance)

    def unwrap(
        self, payload: str | bytes, headers: HeadersLike, *, secret: str | None = None
    ) -> WebhookEvent:
        """Verify the delivery as `verify_signature` does, then return it as a typed event (no I/O)."""
        return unwrap(payload, headers, _secret(secret, self._client.webhook_secret))
