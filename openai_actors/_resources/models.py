"""`client.models`."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cached_property
from typing import Any, Unpack

from .._pagination import AsyncPage, AsyncPaginator, SyncPage
from .._raw import (
    async_to_raw_response_wrapper,
    async_to_streamed_response_wrapper,
    to_raw_response_wrapper,
    to_streamed_response_wrapper,
)
from .._request import path_param
from ..types.model import Model, ModelDeleted
from ._base import AsyncResource, RequestOptionParams, SyncResource, make_call

__all__ = ["AsyncModels", "Models"]


def _path(model: str) -> str:
    return f"models/{path_param(model, 'model')}"


def _no_more(query: Mapping[str, Any]) -> SyncPage[Model]:
    raise AssertionError("a models page has no next page")


async def _no_more_async(query: Mapping[str, Any]) -> AsyncPage[Model]:
    raise AssertionError("a models page has no next page")


class Models(SyncResource):
    def list(self, **params: Unpack[RequestOptionParams]) -> SyncPage[Model]:
        """The models the server offers; iterating the page iterates them all."""

        # One page, always (as in the official SDK): no cursor to follow.
        call = make_call(self._client, "list", params, RequestOptionParams, "GET", "models")
        page: SyncPage[Model] = self._client._request(
            call, lambda raw: SyncPage(raw, Model, _no_more, cursor=False)
        )
        return page

    def retrieve(self, model: str, **params: Unpack[RequestOptionParams]) -> Model:
        call = make_call(self._client, "retrieve", params, RequestOptionParams, "GET", _path(model))
        result: Model = self._client._request(call, Model._from_raw)
        return result

    def delete(self, model: str, **params: Unpack[RequestOptionParams]) -> ModelDeleted:
        """Delete a fine-tuned model you own."""
        call = make_call(self._client, "delete", params, RequestOptionParams, "DELETE", _path(model))
        result: ModelDeleted = self._client._request(call, ModelDeleted._from_raw)
        return result

    @cached_property
    def with_raw_response(self) -> ModelsWithRawResponse:
        return ModelsWithRawResponse(self)

    @cached_property
    def with_streaming_response(self) -> ModelsWithStreamingResponse:
        return ModelsWithStreamingResponse(self)


class AsyncModels(AsyncResource):
    def list(self, **params: Unpack[RequestOptionParams]) -> AsyncPaginator[Model, AsyncPage[Model]]:
        """The models the server offers: await for the page, or `async for` over the models."""

        async def fetch() -> AsyncPage[Model]:
            # One page, always (as in the official SDK): no cursor to follow.
            call = make_call(self._client, "list", params, RequestOptionParams, "GET", "models")
            page: AsyncPage[Model] = await self._client._request(
                call, lambda raw: AsyncPage(raw, Model, _no_more_async, cursor=False)
            )
            return page

        return AsyncPaginator(fetch)

    async def retrieve(self, model: str, **params: Unpack[RequestOptionParams]) -> Model:
        call = make_call(self._client, "retrieve", params, RequestOptionParams, "GET", _path(model))
        result: Model = await self._client._request(call, Model._from_raw)
        return result

    async def delete(self, model: str, **params: Unpack[RequestOptionParams]) -> ModelDeleted:
        """Delete a fine-tuned model you own."""
        call = make_call(self._client, "delete", params, RequestOptionParams, "DELETE", _path(model))
        result: ModelDeleted = await self._client._request(call, ModelDeleted._from_raw)
        return result

    @cached_property
    def with_raw_response(self) -> AsyncModelsWithRawResponse:
        return AsyncModelsWithRawResponse(self)

    @cached_property
    def with_streaming_response(self) -> AsyncModelsWithStreamingResponse:
        return AsyncModelsWithStreamingResponse(self)


class ModelsWithRawResponse:
    def __init__(self, models: Models) -> None:
        self.list = to_raw_response_wrapper(models.list)
        self.retrieve = to_raw_response_wrapper(models.retrieve)
        self.delete = to_raw_response_wrapper(models.delete)


class ModelsWithStreamingResponse:
    def __init__(self, models: Models) -> None:
        self.list = to_streamed_response_wrapper(models.list)
        self.retrieve = to_streamed_response_wrapper(models.retrieve)
        self.delete = to_streamed_response_wrapper(models.delete)


class AsyncModelsWithRawResponse:
    def __init__(self, models: AsyncModels) -> None:
        self.list = async_to_raw_response_wrapper(models.list)
        self.retrieve = async_to_raw_response_wrapper(models.retrieve)
        self.delete = async_to_raw_response_wrapper(models.delete)


class AsyncModelsWithStreamingResponse:
    def __init__(self, models: AsyncModels) -> None:
        self.list = async_to_streamed_response_wrapper(models.list)
        self.retrieve = async_to_streamed_response_wrapper(models.retrieve)
        self.delete = async_to_streamed_response_wrapper(models.delete)
