"""Webhook signatures (the Standard Webhooks scheme OpenAI signs with), as pure functions.

Theory of operation
-------------------
OpenAI sends each delivery with three headers:

    webhook-id: evt_...                 the event's id, the same on every retry of it
    webhook-timestamp: 1718000000       Unix seconds when this attempt was signed
    webhook-signature: v1,<base64> ...  one or more space-separated signatures

and signs the UTF-8 bytes of `"{webhook-id}.{webhook-timestamp}.{body}"` with
HMAC-SHA256, keyed by the endpoint's secret. A `whsec_` secret carries its key
in base64 after the prefix; any other string is used as the key itself, in
UTF-8, as the official SDK does. A delivery is genuine when any `v1` entry in
the signature header equals the base64 HMAC we compute (compared in constant
time), and fresh when its timestamp is within `tolerance` seconds of now, in
either direction; the timestamp is signed, so an old delivery cannot be
replayed with a new one.

`verify_signature` returns None or raises `InvalidWebhookSignatureError`, a
ValueError, whose message says which check failed; no message contains the
secret or the signature that would have matched. `unwrap` verifies and then
reads the body as a typed event (see `openai_actors.types.webhooks`).

Where this is stricter than the official SDK: the timestamp must be ASCII
digits (the official `int()` also takes signs, spaces and underscores); a
signature entry must start with `v1,` (the official one also tries bare
entries, which Standard Webhooks does not define); a `whsec_` secret must be
valid base64 (surrounding whitespace aside), where the official decoder drops
stray characters and signs with what is left; and every failure, a missing
header included, is an `InvalidWebhookSignatureError` (the official SDK raises
a plain ValueError for a missing header).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
from collections.abc import Iterable, Mapping
from typing import TypeAlias

from ._exceptions import InvalidWebhookSignatureError
from .types.webhooks import WebhookEvent, parse_event

__all__ = ["HeadersLike", "unwrap", "verify_signature"]

HeadersLike: TypeAlias = Mapping[str, str] | Iterable[tuple[str, str]]
"""A dict (any case), an `httpx.Headers`, or a list of (name, value) pairs."""

DEFAULT_TOLERANCE = 300
_SECRET_PREFIX = "whsec_"


def verify_signature(
    payload: str | bytes,
    headers: HeadersLike,
    secret: str,
    *,
    tolerance: int = DEFAULT_TOLERANCE,
    now: float | None = None,
) -> None:
    """Raise `InvalidWebhookSignatureError` unless OpenAI signed this payload within `tolerance` seconds.

    `payload` is the request body exactly as received; `now` (Unix seconds)
    defaults to the clock, and exists so tests can pin it.
    """
    key = _signing_key(secret)
    webhook_id = _header(headers, "webhook-id")
    timestamp = _header(headers, "webhook-timestamp")
    signatures = _v1_signatures(_header(headers, "webhook-signature"))
    _check_timestamp(timestamp, tolerance, time.time() if now is None else now)
    expected = _sign(key, webhook_id, timestamp, payload)
    # compare_digest takes str only when it is ASCII, which any real signature is.
    if not any(hmac.compare_digest(expected, s) for s in signatures if s.isascii()):
        raise InvalidWebhookSignatureError(
            "no v1 signature in the webhook-signature header matches the payload "
            "(was it signed with another secret, or changed after it was received?)"
        )


def unwrap(
    payload: str | bytes,
    headers: HeadersLike,
    secret: str,
    *,
    tolerance: int = DEFAULT_TOLERANCE,
    now: float | None = None,
) -> WebhookEvent:
    """Verify the payload, then read it as the event class its `type` names."""
    verify_signature(payload, headers, secret, tolerance=tolerance, now=now)
    body = json.loads(payload)
    if not isinstance(body, dict):
        raise ValueError(f"the webhook payload is a JSON {type(body).__name__}, not an object")
    return parse_event(body)


def _signing_key(secret: str) -> bytes:
    if not secret.startswith(_SECRET_PREFIX):
        key = secret.encode()
    else:
        try:
            key = base64.b64decode(secret[len(_SECRET_PREFIX) :].strip(), validate=True)
        except binascii.Error:
            raise InvalidWebhookSignatureError(
                "the webhook secret is not valid base64 after its whsec_ prefix"
            ) from None
    if not key:
        raise InvalidWebhookSignatureError("the webhook secret is empty")
    return key


def _header(headers: HeadersLike, name: str) -> str:
    """The value of header `name` (given in lower case), looked up case-insensitively."""
    if isinstance(headers, Mapping):
        value = headers.get(name)  # an exact hit in a dict; any case in httpx.Headers
        if value is None:
            value = _scan(headers.items(), name)
    else:
        value = _scan(headers, name)
    if value is None:
        raise InvalidWebhookSignatureError(f"the webhook request has no {name} header")
    return value


def _scan(pairs: Iterable[tuple[str, str]], name: str) -> str | None:
    return next((value for key, value in pairs if key.lower() == name), None)


def _v1_signatures(header: str) -> list[str]:
    # Entries of other versions (Standard Webhooks reserves `v1a,` for
    # asymmetric signatures) are skipped, not failed: a sender may offer several.
    signatures = [entry[3:] for entry in header.split() if entry.startswith("v1,")]
    if not signatures:
        raise InvalidWebhookSignatureError("the webhook-signature header has no v1 signature")
    return signatures


def _check_timestamp(timestamp: str, tolerance: int, now: float) -> None:
    if not (timestamp.isascii() and timestamp.isdigit()):
        raise InvalidWebhookSignatureError(
            f"the webhook-timestamp header is not a whole number of seconds: {timestamp[:40]!r}"
        )
    # Whole seconds, as the official SDK counts, so the limits fall where its do.
    age = int(now) - int(timestamp)
    if age > tolerance:
        raise InvalidWebhookSignatureError(
            f"the webhook timestamp is too old: {age} s ago, more than the tolerance of {tolerance} s"
        )
    if -age > tolerance:
        raise InvalidWebhookSignatureError(
            f"the webhook timestamp is in the future: {-age} s ahead, more than the tolerance of {tolerance} s"
        )


def _sign(key: bytes, webhook_id: str, timestamp: str, payload: str | bytes) -> str:
    # A bytes body is signed as received: for any UTF-8 body that is the same
    # as decoding it and encoding it back, without the copies.
    try:
        body = payload if isinstance(payload, bytes) else payload.encode()
        signed = f"{webhook_id}.{timestamp}.".encode() + body
    except UnicodeEncodeError:  # a lone surrogate: this text was never sent as UTF-8
        raise InvalidWebhookSignatureError(
            "the webhook payload or webhook-id has characters UTF-8 cannot encode"
        ) from None
    return base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
