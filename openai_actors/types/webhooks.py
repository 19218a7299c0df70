"""The events OpenAI delivers to a webhook endpoint, as `client.webhooks.unwrap()` returns them.

Every event is a `WebhookEvent`: an id, a creation time, a `type` naming what
happened, and a `data` object saying to what. Each type the official SDK knows
has its own subclass whose `type` is a Literal, so `isinstance` (or matching on
`event.type` over `UnwrapWebhookEvent`) tells them apart; `parse_event` picks
the class by `type`, and a type this module does not know yet comes back as a
plain `WebhookEvent` rather than an error, its fields all still readable.

Most events' `data` is just the id of the batch, response, job or run that the
event is about. The call and transport events (`realtime.call.incoming`,
`live.*`) and `safety_identifier.blocked` carry no such id: their `data` class
declares what they do carry instead, and reading `data.id` on them raises
AttributeError, as it would for any field the server did not send.
"""

from __future__ import annotations

import functools
from typing import Any, Literal, TypeAlias, Union, get_args, get_origin

from .._models import BaseModel

__all__ = [
    "AgentEnvironmentExpiredWebhookEvent",
    "AgentEnvironmentFailedWebhookEvent",
    "AgentEnvironmentReadyWebhookEvent",
    "AgentEnvironmentSuspendedWebhookEvent",
    "AgentSessionActionRequiredData",
    "AgentSessionActionRequiredWebhookEvent",
    "AgentSessionConnect",
    "AgentSessionCreatedWebhookEvent",
    "AgentSessionData",
    "AgentSessionFailedWebhookEvent",
    "AgentSessionIdleWebhookEvent",
    "AgentSessionInProgressWebhookEvent",
    "AgentSessionRequiredAction",
    "BatchCancelledWebhookEvent",
    "BatchCompletedWebhookEvent",
    "BatchExpiredWebhookEvent",
    "BatchFailedWebhookEvent",
    "EvalRunCanceledWebhookEvent",
    "EvalRunFailedWebhookEvent",
    "EvalRunSucceededWebhookEvent",
    "FineTuningJobCancelledWebhookEvent",
    "FineTuningJobFailedWebhookEvent",
    "FineTuningJobSucceededWebhookEvent",
    "LiveCallIncomingData",
    "LiveCallIncomingWebhookEvent",
    "LiveTransportConnectedData",
    "LiveTransportConnectedWebhookEvent",
    "LiveTransportIncomingData",
    "LiveTransportIncomingWebhookEvent",
    "RealtimeCallIncomingData",
    "RealtimeCallIncomingWebhookEvent",
    "ResponseCancelledWebhookEvent",
    "ResponseCompletedWebhookEvent",
    "ResponseFailedWebhookEvent",
    "ResponseIncompleteWebhookEvent",
    "SafetyAlertCreatedWebhookEvent",
    "SafetyDeactivationIssuedWebhookEvent",
    "SafetyIdentifierBlockedData",
    "SafetyIdentifierBlockedWebhookEvent",
    "SafetyOrgAlertCreatedWebhookEvent",
    "SafetyWarningIssuedWebhookEvent",
    "SipHeader",
    "UnwrapWebhookEvent",
    "WebhookEvent",
    "WebhookEventData",
    "parse_event",
]


class WebhookEventData(BaseModel):
    id: str
    """The id of the object the event is about (a batch, a response, a fine-tuning job, ...)."""


class WebhookEvent(BaseModel):
    """Any webhook event; the subclasses below narrow `type` and, for some, `data`."""

    id: str
    """The event's own id; deliveries of one event share it, so it is the key for deduplication."""
    created_at: int
    """Unix time, in seconds."""
    type: str
    data: WebhookEventData
    object: Literal["event"] | None = None


# -- events about one object, named by data.id -----------------------------------


class BatchCancelledWebhookEvent(WebhookEvent):
    type: Literal["batch.cancelled"]


class BatchCompletedWebhookEvent(WebhookEvent):
    type: Literal["batch.completed"]


class BatchExpiredWebhookEvent(WebhookEvent):
    type: Literal["batch.expired"]


class BatchFailedWebhookEvent(WebhookEvent):
    type: Literal["batch.failed"]


class EvalRunCanceledWebhookEvent(WebhookEvent):
    type: Literal["eval.run.canceled"]


class EvalRunFailedWebhookEvent(WebhookEvent):
    type: Literal["eval.run.failed"]


class EvalRunSucceededWebhookEvent(WebhookEvent):
    type: Literal["eval.run.succeeded"]


class FineTuningJobCancelledWebhookEvent(WebhookEvent):
    type: Literal["fine_tuning.job.cancelled"]


class FineTuningJobFailedWebhookEvent(WebhookEvent):
    type: Literal["fine_tuning.job.failed"]


class FineTuningJobSucceededWebhookEvent(WebhookEvent):
    type: Literal["fine_tuning.job.succeeded"]


class ResponseCancelledWebhookEvent(WebhookEvent):
    type: Literal["response.cancelled"]


class ResponseCompletedWebhookEvent(WebhookEvent):
    type: Literal["response.completed"]


class ResponseFailedWebhookEvent(WebhookEvent):
    type: Literal["response.failed"]


class ResponseIncompleteWebhookEvent(WebhookEvent):
    type: Literal["response.incomplete"]


class SafetyAlertCreatedWebhookEvent(WebhookEvent):
    type: Literal["safety.alert.created"]


class SafetyDeactivationIssuedWebhookEvent(WebhookEvent):
    type: Literal["safety.deactivation_issued"]


class SafetyOrgAlertCreatedWebhookEvent(WebhookEvent):
    type: Literal["safety.org_alert.created"]


class SafetyWarningIssuedWebhookEvent(WebhookEvent):
    type: Literal["safety.warning_issued"]


class AgentEnvironmentExpiredWebhookEvent(WebhookEvent):
    type: Literal["agent.environment.expired"]


class AgentEnvironmentFailedWebhookEvent(WebhookEvent):
    type: Literal["agent.environment.failed"]


class AgentEnvironmentReadyWebhookEvent(WebhookEvent):
    type: Literal["agent.environment.ready"]


class AgentEnvironmentSuspendedWebhookEvent(WebhookEvent):
    type: Literal["agent.environment.suspended"]


# -- agent sessions ----------------------------------------------------------------


class AgentSessionConnect(BaseModel):
    remote_url: str


class AgentSessionData(WebhookEventData):
    environment_type: str
    environment_id: str | None = None
    connect: AgentSessionConnect | None = None
    """Only on `agent.session.created`."""


class AgentSessionRequiredAction(BaseModel):
    type: str
    """"computer_use_approval_request", "mcp_approval_request", "function_call" or "environment_connection"."""


class AgentSessionActionRequiredData(WebhookEventData):
    required_action: AgentSessionRequiredAction


class AgentSessionActionRequiredWebhookEvent(WebhookEvent):
    type: Literal["agent.session.action_required"]
    data: AgentSessionActionRequiredData


class AgentSessionCreatedWebhookEvent(WebhookEvent):
    type: Literal["agent.session.created"]
    data: AgentSessionData


class AgentSessionFailedWebhookEvent(WebhookEvent):
    type: Literal["agent.session.failed"]
    data: AgentSessionData


class AgentSessionIdleWebhookEvent(WebhookEvent):
    type: Literal["agent.session.idle"]
    data: AgentSessionData


class AgentSessionInProgressWebhookEvent(WebhookEvent):
    type: Literal["agent.session.in_progress"]
    data: AgentSessionData


# -- calls and transports: data names a call or session, not an object id ----------


class SipHeader(BaseModel):
    name: str
    value: str


class RealtimeCallIncomingData(WebhookEventData):
    call_id: str
    """Pass it unchanged to accept or reject the call through the Realtime API."""
    sip_headers: list[SipHeader]
    """The SIP INVITE's headers, in order, without authorization headers; untrusted input."""
    sip_media_security: str | None = None
    """"srtp", "rtp", or None when unknown."""


class LiveCallIncomingData(WebhookEventData):
    session_id: str
    sip_headers: list[SipHeader]
    sip_media_security: str | None = None


class LiveTransportIncomingData(LiveCallIncomingData):
    type: Literal["sip"]


class LiveTransportConnectedData(WebhookEventData):
    session_id: str
    type: Literal["webrtc"]


class RealtimeCallIncomingWebhookEvent(WebhookEvent):
    type: Literal["realtime.call.incoming"]
    data: RealtimeCallIncomingData


class LiveCallIncomingWebhookEvent(WebhookEvent):
    type: Literal["live.call.incoming"]
    data: LiveCallIncomingData


class LiveTransportIncomingWebhookEvent(WebhookEvent):
    type: Literal["live.transport.incoming"]
    data: LiveTransportIncomingData


class LiveTransportConnectedWebhookEvent(WebhookEvent):
    type: Literal["live.transport.connected"]
    data: LiveTransportConnectedData


class SafetyIdentifierBlockedData(WebhookEventData):
    safety_category: str
    safety_identifier: str
    model: str | None = None
    project_id: str | None = None
    request_id: str | None = None


class SafetyIdentifierBlockedWebhookEvent(WebhookEvent):
    type: Literal["safety_identifier.blocked"]
    data: SafetyIdentifierBlockedData


UnwrapWebhookEvent: TypeAlias = Union[  # noqa: UP007 (a runtime union of classes, for isinstance and match)
    AgentEnvironmentExpiredWebhookEvent,
    AgentEnvironmentFailedWebhookEvent,
    AgentEnvironmentReadyWebhookEvent,
    AgentEnvironmentSuspendedWebhookEvent,
    AgentSessionActionRequiredWebhookEvent,
    AgentSessionCreatedWebhookEvent,
    AgentSessionFailedWebhookEvent,
    AgentSessionIdleWebhookEvent,
    AgentSessionInProgressWebhookEvent,
    BatchCancelledWebhookEvent,
    BatchCompletedWebhookEvent,
    BatchExpiredWebhookEvent,
    BatchFailedWebhookEvent,
    EvalRunCanceledWebhookEvent,
    EvalRunFailedWebhookEvent,
    EvalRunSucceededWebhookEvent,
    FineTuningJobCancelledWebhookEvent,
    FineTuningJobFailedWebhookEvent,
    FineTuningJobSucceededWebhookEvent,
    LiveCallIncomingWebhookEvent,
    LiveTransportConnectedWebhookEvent,
    LiveTransportIncomingWebhookEvent,
    RealtimeCallIncomingWebhookEvent,
    ResponseCancelledWebhookEvent,
    ResponseCompletedWebhookEvent,
    ResponseFailedWebhookEvent,
    ResponseIncompleteWebhookEvent,
    SafetyAlertCreatedWebhookEvent,
    SafetyDeactivationIssuedWebhookEvent,
    SafetyIdentifierBlockedWebhookEvent,
    SafetyOrgAlertCreatedWebhookEvent,
    SafetyWarningIssuedWebhookEvent,
    WebhookEvent,
]
"""What `unwrap()` can return: one of the known events, or a `WebhookEvent` of a newer type."""


def parse_event(data: dict[str, Any]) -> WebhookEvent:
    """The event class that `data["type"]` names, over `data` (kept as is, not copied)."""
    tag = data.get("type")
    cls = _classes_by_type().get(tag, WebhookEvent) if isinstance(tag, str) else WebhookEvent
    return cls._from_raw(data)


@functools.cache
def _classes_by_type() -> dict[Any, type[WebhookEvent]]:
    # Built on first use, from the classes' own `type` Literals, so the table
    # cannot disagree with them; resolving the annotations at import would
    # cost every program that merely imports the types.
    table: dict[Any, type[WebhookEvent]] = {}
    for cls in get_args(UnwrapWebhookEvent):
        annotation = cls.__field_types__()["type"]
        if get_origin(annotation) is Literal:
            table.update(dict.fromkeys(get_args(annotation), cls))
    return table
