"""`client.moderations`."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from functools import cached_property
from typing import Any, Required, Unpack

from .._raw import (
    async_to_raw_response_wrapper,
    async_to_streamed_response_wrapper,
    to_raw_response_wrapper,
    to_streamed_response_wrapper,
)
from ..types.moderation_create_response import ModerationCreateResponse
from ._base import AsyncResource, RequestOptionParams, SyncResource, make_call

__all__ = ["AsyncModerations", "ModerationCreateParams", "Moderations"]


class ModerationCreateParams(RequestOptionParams, total=False):
    input: Required[str | Sequence[str] | Iterable[Mapping[str, Any]]]
    model: str


class Moderations(SyncResource):
    def create(self, **params: Unpack[ModerationCreateParams]) -> ModerationCreateResponse:
        """Classify whether text (or images) may be harmful."""
        call = make_call(self._client, "create", params, ModerationCreateParams, "POST", "moderations")
        result: ModerationCreateResponse = self._client._request(call, ModerationCreateResponse._from_raw)
        return result

    @cached_property
    def with_raw_response(self) -> ModerationsWithRawResponse:
        return ModerationsWithRawResponse(self)

    @cached_property
    def with_streaming_response(self) -> ModerationsWithStreamingResponse:
        return ModerationsWithStreamingResponse(self)


class AsyncModerations(AsyncResource):
    async def create(self, **params: Unpack[ModerationCreateParams]) -> ModerationCreateResponse:
        """Classify whether text (or images) may be harmful."""
        call = make_call(self._client, "create", params, ModerationCreateParams, "POST", "moderations")
        result: ModerationCreateResponse = await self._client._request(
            call, ModerationCreateResponse._from_raw
        )
        return result

    @cached_property
    def with_raw_response(self) -> AsyncModerationsWithRawResponse:
        return AsyncModerationsWithRawResponse(self)

    @cached_property
    def with_streaming_response(self) -> AsyncModerationsWithStreamingResponse:
        return AsyncModerationsWithStreamingResponse(self)


class ModerationsWithRawResponse:
    def __init__(self, moderations: Moderations) -> None:
        self.create = to_raw_response_wrapper(moderations.create)


class ModerationsWithStreamingResponse:
    def __init__(self, moderations: Moderations) -> None:
        self.create = to_streamed_response_wrapper(moderations.create)


class AsyncModerationsWithRawResponse:
    def __init__(self, moderations: AsyncModerations) -> None:
        self.create = async_to_raw_response_wrapper(moderations.create)


class AsyncModerationsWithStreamingResponse:
    def __init__(self, moderations: AsyncModerations) -> None:
        self.create = async_to_streamed_response_wrapper(moderations.create)
