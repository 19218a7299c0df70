"""Webhook verification and unwrapping: the pure functions, the event types, and `client.webhooks`."""

from __future__ import annotations

import base64
import hashlib
import hmac
import inspect
import json
import time
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

import openai_actors
from openai_actors._exceptions import InvalidWebhookSignatureError
from openai_actors._resources.webhooks import AsyncWebhooks, Webhooks
from openai_actors._webhooks import unwrap, verify_signature
from openai_actors.types.webhooks import (
    BatchCompletedWebhookEvent,
    RealtimeCallIncomingWebhookEvent,
    ResponseCompletedWebhookEvent,
    SipHeader,
    WebhookEvent,
    parse_event,
)

KEY = b"a key of thirty-two bytes, exact"
SECRET = "whsec_" + base64.b64encode(KEY).decode()
NOW = 1_718_000_000
ID = "wh_685d8c7f3a8c8190"
PAYLOAD = json.dumps(
    {
        "id": "evt_685d8c7f",
        "object": "event",
        "created_at": NOW,
        "type": "response.completed",
        "data": {"id": "resp_abc123"},
        "delivery_note": "café ☕",
    },
    ensure_ascii=False,
)


def sign(payload: str, *, key: bytes = KEY, webhook_id: str = ID, timestamp: int | str = NOW) -> str:
    """The scheme written out: base64 of HMAC-SHA256 over "{id}.{timestamp}.{payload}" in UTF-8."""
    content = f"{webhook_id}.{timestamp}.{payload}"
    return base64.b64encode(hmac.new(key, content.encode("utf-8"), hashlib.sha256).digest()).decode()


def headers_for(
    payload: str = PAYLOAD, *, signature: str | None = None, timestamp: int | str = NOW, key: bytes = KEY
) -> dict[str, str]:
    if signature is None:
        signature = "v1," + sign(payload, key=key, timestamp=timestamp)
    return {"webhook-id": ID, "webhook-timestamp": str(timestamp), "webhook-signature": signature}


def rejection(
    payload: str | bytes = PAYLOAD,
    headers: Any = None,
    secret: str = SECRET,
    *,
    now: float = NOW,
    tolerance: int = 300,
) -> str:
    """The message `verify_signature` rejects with; it must never reveal the secret or its key."""
    with pytest.raises(InvalidWebhookSignatureError) as info:
        verify_signature(
            payload, headers_for() if headers is None else headers, secret, now=now, tolerance=tolerance
        )
    message = str(info.value)
    for revealing in {secret, secret.removeprefix("whsec_"), KEY.decode()} - {""}:
        assert revealing not in message
    return message


class TestVerifySignature:
    def test_a_signature_computed_from_the_scheme_is_accepted(self) -> None:
        """HMAC-SHA256 over id.timestamp.payload, base64, as `v1,`: exactly what verifies."""
        verify_signature(PAYLOAD, headers_for(), SECRET, now=NOW)

    def test_the_standard_webhooks_published_vector(self) -> None:
        """The Standard Webhooks specification's own example verifies, byte for byte."""
        headers = {
            "webhook-id": "msg_p5jXN8AQM9LWM0D4loKWxJek",
            "webhook-timestamp": "1614265330",
            "webhook-signature": "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
        }
        secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
        verify_signature('{"test": 2432232314}', headers, secret, now=1614265330)

    def test_bytes_and_str_payloads_verify_alike(self) -> None:
        """The body as received (bytes) and as text (str) are the same signed content, non-ASCII included."""
        verify_signature(PAYLOAD.encode(), headers_for(), SECRET, now=NOW)
        verify_signature(PAYLOAD, headers_for(), SECRET, now=NOW)

    def test_a_secret_without_the_prefix_is_the_key_itself(self) -> None:
        """As in the official SDK: no `whsec_` means the string's UTF-8 bytes are the key, not base64."""
        secret = "plain-secret-é"
        verify_signature(PAYLOAD, headers_for(key=secret.encode()), secret, now=NOW)
        unprefixed = base64.b64encode(KEY).decode()  # not decoded: these bytes are the key
        assert "matches the payload" in rejection(headers=headers_for(key=KEY), secret=unprefixed)

    def test_whitespace_around_a_prefixed_secret_is_ignored(self) -> None:
        """A secret read from a file often ends in a newline; it is the same key."""
        verify_signature(PAYLOAD, headers_for(), SECRET + "\n", now=NOW)

    def test_any_one_matching_v1_entry_passes(self) -> None:
        """Several space-separated entries (a secret being rotated, other versions): one match is enough."""
        good = "v1," + sign(PAYLOAD)
        for header in [f"v1,bm90IGl0 {good}", f"{good} v1,bm90IGl0", f"v1a,c29tZXRoaW5n  {good}\tv2,eA=="]:
            verify_signature(PAYLOAD, headers_for(signature=header), SECRET, now=NOW)

    @pytest.mark.parametrize(
        "container",
        [
            dict,
            httpx.Headers,
            lambda h: list(h.items()),
        ],
        ids=["dict", "httpx.Headers", "pairs"],
    )
    def test_header_names_match_in_any_case_in_every_container(
        self, container: Callable[[dict[str, str]], Any]
    ) -> None:
        """`Webhook-Id`, `WEBHOOK-TIMESTAMP`...: a dict, an httpx.Headers or a list of pairs all work."""
        mixed = {
            "Webhook-Id": ID,
            "WEBHOOK-TIMESTAMP": str(NOW),
            "webhook-Signature": "v1," + sign(PAYLOAD),
            "Content-Type": "application/json",
        }
        verify_signature(PAYLOAD, container(mixed), SECRET, now=NOW)

    def test_the_error_is_a_value_error(self) -> None:
        """Code written for the official SDK that catches ValueError keeps working."""
        assert issubclass(InvalidWebhookSignatureError, ValueError)

    @given(st.text(st.characters(codec="utf-8")), st.binary(min_size=1, max_size=2), st.data())
    def test_any_change_to_the_payload_is_caught(
        self, payload: str, extra: bytes, data: st.DataObject
    ) -> None:
        """Whatever the text, its signature verifies, and bytes inserted anywhere make it fail."""
        headers = headers_for(payload)
        body = payload.encode()
        verify_signature(body, headers, SECRET, now=NOW)
        position = data.draw(st.integers(0, len(body)))
        assert "matches the payload" in rejection(body[:position] + extra + body[position:], headers)


class TestRejections:
    @pytest.mark.parametrize("name", ["webhook-id", "webhook-timestamp", "webhook-signature"])
    def test_a_missing_header_is_named(self, name: str) -> None:
        """Each of the three headers is required, and the message says which one is missing."""
        headers = {k: v for k, v in headers_for().items() if k != name}
        assert f"the webhook request has no {name} header" == rejection(headers=headers)

    @pytest.mark.parametrize(
        "timestamp", ["", "abc", "1718000000.5", "-1", "+1718000000", " 1718000000", "1_718"]
    )
    def test_a_timestamp_that_is_not_whole_seconds_is_rejected(self, timestamp: str) -> None:
        """Only ASCII digits are a timestamp; signs, fractions and spaces are not."""
        message = rejection(headers=headers_for(timestamp=timestamp))
        assert message.startswith("the webhook-timestamp header is not a whole number of seconds")

    def test_an_old_timestamp_is_rejected(self) -> None:
        """A delivery signed more than `tolerance` seconds ago may be a replay."""
        message = rejection(now=NOW + 3600)
        assert "the webhook timestamp is too old: 3600 s ago, more than the tolerance of 300 s" == message

    def test_a_future_timestamp_is_rejected(self) -> None:
        """A delivery dated more than `tolerance` seconds ahead is refused too."""
        message = rejection(now=NOW - 3600)
        assert (
            "the webhook timestamp is in the future: 3600 s ahead, more than the tolerance of 300 s"
            == message
        )

    @pytest.mark.parametrize("secret", ["whsec_not*base64", "whsec_abc", "whsec_YWJj ZGVm"])
    def test_a_prefixed_secret_that_is_not_base64_is_rejected(self, secret: str) -> None:
        """A mangled secret is reported as such, not as a signature that does not match."""
        assert "the webhook secret is not valid base64 after its whsec_ prefix" == rejection(secret=secret)

    @pytest.mark.parametrize("secret", ["", "whsec_"])
    def test_an_empty_secret_is_rejected(self, secret: str) -> None:
        """An empty key would let anyone sign; it is refused outright."""
        assert "the webhook secret is empty" == rejection(secret=secret)

    @pytest.mark.parametrize(
        "header", ["", "  ", "v2,abc", "v1a,abc v0,abc", sign(PAYLOAD), "V1," + sign(PAYLOAD)]
    )
    def test_a_header_without_v1_entries_is_rejected(self, header: str) -> None:
        """Bare signatures and other versions are not v1 entries, even when the bytes would match."""
        assert "the webhook-signature header has no v1 signature" == rejection(
            headers=headers_for(signature=header)
        )

    @pytest.mark.parametrize(
        "headers",
        [
            headers_for(key=b"another key"),
            headers_for(signature="v1,bm90IGl0 v1,"),
            headers_for(signature="v1,é"),
            {**headers_for(), "webhook-id": "wh_other"},
            {**headers_for(), "webhook-timestamp": str(NOW + 1)},
        ],
        ids=["other secret", "wrong entries", "non-ASCII entry", "id changed", "timestamp changed"],
    )
    def test_a_signature_that_does_not_match_is_rejected(self, headers: dict[str, str]) -> None:
        """The id and timestamp are signed along with the payload, so changing either fails."""
        assert rejection(headers=headers).startswith(
            "no v1 signature in the webhook-signature header matches the payload"
        )

    def test_a_changed_payload_is_rejected(self) -> None:
        """One character more in the body is enough."""
        assert "matches the payload" in rejection(PAYLOAD + " ")

    def test_a_payload_with_a_lone_surrogate_is_rejected(self) -> None:
        """Text that UTF-8 cannot encode was never signed; this is a rejection, not a UnicodeEncodeError."""
        assert "UTF-8 cannot encode" in rejection(PAYLOAD + "\ud800")


class TestTolerance:
    @pytest.mark.parametrize("offset", [300, 0, -300])
    def test_exactly_at_the_limit_is_accepted(self, offset: int) -> None:
        """`tolerance` seconds old, or ahead, is still in the window."""
        verify_signature(PAYLOAD, headers_for(), SECRET, now=NOW + offset)

    @pytest.mark.parametrize(
        ("offset", "words"), [(301, "too old: 301 s ago"), (-301, "in the future: 301 s ahead")]
    )
    def test_one_second_past_the_limit_is_rejected(self, offset: int, words: str) -> None:
        """One more second either way and the delivery is refused."""
        assert words in rejection(now=NOW + offset)

    def test_time_is_counted_in_whole_seconds(self) -> None:
        """As in the official SDK, a fraction of a second past the limit does not count."""
        verify_signature(PAYLOAD, headers_for(), SECRET, now=NOW + 300.9)

    def test_the_tolerance_is_adjustable(self) -> None:
        """A tighter window rejects what the default would accept."""
        assert "more than the tolerance of 10 s" in rejection(now=NOW + 11, tolerance=10)
        verify_signature(PAYLOAD, headers_for(), SECRET, now=NOW + 11, tolerance=20)

    def test_the_clock_is_used_without_now(self) -> None:
        """Without `now`, a delivery signed this second verifies, and one signed an hour ago does not."""
        current = int(time.time())
        verify_signature(PAYLOAD, headers_for(timestamp=current), SECRET)
        with pytest.raises(InvalidWebhookSignatureError, match="too old"):
            verify_signature(PAYLOAD, headers_for(timestamp=current - 3600), SECRET)


class TestOfficialSDK:
    """The official SDK, where it is installed, accepts and rejects the same deliveries."""

    @pytest.mark.parametrize("secret", [SECRET, "plain-secret"])
    def test_both_accept_a_fresh_signature_and_reject_a_changed_payload(self, secret: str) -> None:
        """One vector, two implementations: the scheme and the key derivation agree."""
        openai = pytest.importorskip("openai")
        key = KEY if secret.startswith("whsec_") else secret.encode()
        headers = headers_for(timestamp=int(time.time()), key=key)
        official = openai.OpenAI(api_key="x", webhook_secret=secret)
        try:
            official.webhooks.verify_signature(PAYLOAD, headers)
            verify_signature(PAYLOAD, headers, secret)
            with pytest.raises(openai.InvalidWebhookSignatureError):
                official.webhooks.verify_signature(PAYLOAD + " ", headers)
            with pytest.raises(InvalidWebhookSignatureError):
                verify_signature(PAYLOAD + " ", headers, secret)
        finally:
            official.close()


class TestUnwrap:
    def test_unwrap_returns_the_typed_event_with_undeclared_fields_kept(self) -> None:
        """The class comes from `type`; declared fields are typed; fields it does not declare are still there."""
        event = unwrap(PAYLOAD, headers_for(), SECRET, now=NOW)
        assert ResponseCompletedWebhookEvent is type(event)
        assert ("evt_685d8c7f", NOW, "response.completed", "event") == (
            event.id,
            event.created_at,
            event.type,
            event.object,
        )
        assert "resp_abc123" == event.data.id
        assert "café ☕" == event.delivery_note  # type: ignore[attr-defined]
        assert {"delivery_note": "café ☕"} == event.model_extra
        assert json.loads(PAYLOAD) == event.to_dict()

    def test_unwrap_accepts_bytes(self) -> None:
        """The raw body, as a web framework hands it over, unwraps the same."""
        assert unwrap(PAYLOAD, headers_for(), SECRET, now=NOW) == unwrap(
            PAYLOAD.encode(), headers_for(), SECRET, now=NOW
        )

    def test_unwrap_verifies_before_it_parses(self) -> None:
        """An unsigned body is rejected as such, even if it is not JSON at all."""
        with pytest.raises(InvalidWebhookSignatureError, match="matches the payload"):
            unwrap("not json", headers_for(), SECRET, now=NOW)

    def test_a_signed_body_that_is_not_an_object_is_a_value_error(self) -> None:
        """A genuine delivery that is not a JSON object cannot be an event."""
        with pytest.raises(ValueError, match="JSON list, not an object"):
            unwrap("[1]", headers_for("[1]"), SECRET, now=NOW)


class TestEventTypes:
    def test_the_class_is_picked_by_type(self) -> None:
        """Each known type has its class, all of them `WebhookEvent`s."""
        event = parse_event(
            {"id": "e", "created_at": 1, "type": "batch.completed", "data": {"id": "batch_1"}}
        )
        assert BatchCompletedWebhookEvent is type(event)
        assert isinstance(event, WebhookEvent)
        assert ("batch_1", None) == (event.data.id, event.object)

    @pytest.mark.parametrize("type_", ["something.new", None, ["batch.completed"]])
    def test_an_unknown_type_falls_back_to_the_base_event(self, type_: object) -> None:
        """A newer type than this package knows, or a malformed one, is still readable."""
        event = parse_event({"id": "e", "created_at": 1, "type": type_, "data": {"id": "x", "more": 1}})
        assert WebhookEvent is type(event)
        assert ("x", 1) == (event.data.id, event.data.more)  # type: ignore[attr-defined]

    def test_a_call_event_has_its_own_data(self) -> None:
        """`realtime.call.incoming` names a call, not an object; its SIP headers are models."""
        event = parse_event(
            {
                "id": "evt_1",
                "created_at": 1,
                "type": "realtime.call.incoming",
                "data": {"call_id": "rtc_1", "sip_headers": [{"name": "From", "value": "sip:a@b"}]},
            }
        )
        assert isinstance(event, RealtimeCallIncomingWebhookEvent)
        assert ("rtc_1", [SipHeader(name="From", value="sip:a@b")], None) == (
            event.data.call_id,
            event.data.sip_headers,
            event.data.sip_media_security,
        )


# -- client.webhooks ---------------------------------------------------------------


def fresh_headers() -> dict[str, str]:
    """Headers signed now: the resource methods read the clock."""
    return headers_for(timestamp=int(time.time()))


class TestResources:
    @pytest.mark.parametrize("resource_class", [Webhooks, AsyncWebhooks])
    def test_the_clients_secret_is_used_by_default(
        self, resource_class: type[Webhooks | AsyncWebhooks]
    ) -> None:
        """With no `secret=`, the client's `webhook_secret` verifies and unwraps."""
        webhooks = resource_class(SimpleNamespace(webhook_secret=SECRET))  # type: ignore[arg-type]
        headers = fresh_headers()
        webhooks.verify_signature(PAYLOAD, headers)
        assert ResponseCompletedWebhookEvent is type(webhooks.unwrap(PAYLOAD.encode(), headers))

    def test_an_explicit_secret_wins_over_the_clients(self) -> None:
        """`secret=` is used even when the client has another one."""
        webhooks = Webhooks(SimpleNamespace(webhook_secret="whsec_b3RoZXI="))  # type: ignore[arg-type]
        webhooks.verify_signature(PAYLOAD, fresh_headers(), secret=SECRET)
        with pytest.raises(InvalidWebhookSignatureError):
            webhooks.verify_signature(PAYLOAD, fresh_headers())

    @pytest.mark.parametrize("resource_class", [Webhooks, AsyncWebhooks])
    def test_no_secret_anywhere_says_how_to_give_one(
        self, resource_class: type[Webhooks | AsyncWebhooks]
    ) -> None:
        """The message names all three ways to supply the secret."""
        webhooks = resource_class(SimpleNamespace(webhook_secret=None))  # type: ignore[arg-type]
        for call in (webhooks.verify_signature, webhooks.unwrap):
            with pytest.raises(ValueError, match="secret=") as info:
                call(PAYLOAD, fresh_headers())
            assert not isinstance(info.value, InvalidWebhookSignatureError)
            assert "webhook_secret" in str(info.value)
            assert "OPENAI_WEBHOOK_SECRET" in str(info.value)

    def test_the_tolerance_is_passed_through(self) -> None:
        """`verify_signature(tolerance=...)` narrows the window."""
        webhooks = Webhooks(SimpleNamespace(webhook_secret=SECRET))  # type: ignore[arg-type]
        headers = headers_for(timestamp=int(time.time()) - 100)
        webhooks.verify_signature(PAYLOAD, headers)
        with pytest.raises(InvalidWebhookSignatureError, match="tolerance of 50 s"):
            webhooks.verify_signature(PAYLOAD, headers, tolerance=50)

    def test_a_real_async_client_supplies_its_secret(self) -> None:
        """`AsyncOpenAI(webhook_secret=...)` is where the resource finds the secret."""
        client = openai_actors.AsyncOpenAI(api_key="sk", webhook_secret=SECRET)
        event = AsyncWebhooks(client).unwrap(PAYLOAD, fresh_headers())
        assert "resp_abc123" == event.data.id

    def test_the_async_clients_methods_are_not_coroutines(self) -> None:
        """Verification does no I/O, so it is sync on the async client too, as in the official SDK."""
        assert not inspect.iscoroutinefunction(AsyncWebhooks.verify_signature)
        assert not inspect.iscoroutinefunction(AsyncWebhooks.unwrap)
