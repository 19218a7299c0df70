"""`client.batches`: the Batch API (create, retrieve, list, cancel)."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cached_property
from typing import Any, Literal, Required, Unpack

from .._pagination import AsyncPage, AsyncPaginator, SyncPage
from .._raw import (
    async_to_raw_response_wrapper,
    async_to_streamed_response_wrapper,
    to_raw_response_wrapper,
    to_streamed_response_wrapper,
)
from .._request import path_param
from ..types.batch import Batch
from ._base import AsyncResource, RequestOptionParams, SyncResource, make_call

__all__ = ["AsyncBatches", "BatchCreateParams", "BatchListParams", "Batches"]


class BatchCreateParams(RequestOptionParams, total=False):
    completion_window: Required[Literal["24h"]]
    endpoint: Required[str]
    input_file_id: Required[str]
    metadata: dict[str, str] | None
    output_expires_after: Mapping[str, Any]


class BatchListParams(RequestOptionParams, total=False):
    after: str
    limit: int


def _path(batch_id: str, suffix: str = "") -> str:
    return f"batches/{path_param(batch_id, 'batch_id')}{suffix}"


class Batches(SyncResource):
    def create(self, **params: Unpack[BatchCreateParams]) -> Batch:
        """Start a batch over an uploaded JSONL file of requests."""
        call = make_call(self._client, "create", params, BatchCreateParams, "POST", "batches")
        result: Batch = self._client._request(call, Batch._from_raw)
        return result

    def retrieve(self, batch_id: str, **params: Unpack[RequestOptionParams]) -> Batch:
        call = make_call(self._client, "retrieve", params, RequestOptionParams, "GET", _path(batch_id))
        result: Batch = self._client._request(call, Batch._from_raw)
        return result

    def list(self, **params: Unpack[BatchListParams]) -> SyncPage[Batch]:
        """Your batches, a page at a time; iterating the page walks every page."""

        def fetch(query: Mapping[str, Any]) -> SyncPage[Batch]:
            merged = {**params, **query}
            call = make_call(self._client, "list", merged, BatchListParams, "GET", "batches", in_query=True)
            page: SyncPage[Batch] = self._client._request(call, lambda raw: SyncPage(raw, Batch, fetch))
            return page

        return fetch({})

    def cancel(self, batch_id: str, **params: Unpack[RequestOptionParams]) -> Batch:
        call = make_call(
            self._client, "cancel", params, RequestOptionParams, "POST", _path(batch_id, "/cancel")
        )
        result: Batch = self._client._request(call, Batch._from_raw)
        return result

    @cached_property
    def with_raw_response(self) -> BatchesWithRawResponse:
        return BatchesWithRawResponse(self)

    @cached_property
    def with_streaming_response(self) -> BatchesWithStreamingResponse:
        return BatchesWithStreamingResponse(self)


class AsyncBatches(AsyncResource):
    async def create(self, **params: Unpack[BatchCreateParams]) -> Batch:
        """Start a batch over an uploaded JSONL file of requests."""
        call = make_call(self._client, "create", params, BatchCreateParams, "POST", "batches")
        result: Batch = await self._client._request(call, Batch._from_raw)
        return result

    async def retrieve(self, batch_id: str, **params: Unpack[RequestOptionParams]) -> Batch:
        call = make_call(self._client, "retrieve", params, RequestOptionParams, "GET", _path(batch_id))
        result: Batch = await self._client._request(call, Batch._from_raw)
        return result

    def list(self, **params: Unpack[BatchListParams]) -> AsyncPaginator[Batch, AsyncPage[Batch]]:
        """Your batches: await for the first page, or `async for` over every batch."""

        async def fetch(query: Mapping[str, Any]) -> AsyncPage[Batch]:
            merged = {**params, **query}
            call = make_call(self._client, "list", merged, BatchListParams, "GET", "batches", in_query=True)
            page: AsyncPage[Batch] = await self._client._request(
                call, lambda raw: AsyncPage(raw, Batch, fetch)
            )
            return page

        return AsyncPaginator(lambda: fetch({}))

    async def cancel(self, batch_id: str, **params: Unpack[RequestOptionParams]) -> Batch:
        call = make_call(
            self._client, "cancel", params, RequestOptionParams, "POST", _path(batch_id, "/cancel")
        )
        result: Batch = await self._client._request(call, Batch._from_raw)
        return result

    @cached_property
    def with_raw_response(self) -> AsyncBatchesWithRawResponse:
        return AsyncBatchesWithRawResponse(self)

    @cached_property
    def with_streaming_response(self) -> AsyncBatchesWithStreamingResponse:
        return AsyncBatchesWithStreamingResponse(self)


class BatchesWithRawResponse:
    def __init__(self, batches: Batches) -> None:
        self.create = to_raw_response_wrapper(batches.create)
        self.retrieve = to_raw_response_wrapper(batches.retrieve)
        self.list = to_raw_response_wrapper(batches.list)
        self.cancel = to_raw_response_wrapper(batches.cancel)


class BatchesWithStreamingResponse:
    def __init__(self, batches: Batches) -> None:
        self.create = to_streamed_response_wrapper(batches.create)
        self.retrieve = to_streamed_response_wrapper(batches.retrieve)
        self.list = to_streamed_response_wrapper(batches.list)
        self.cancel = to_streamed_response_wrapper(batches.cancel)


class AsyncBatchesWithRawResponse:
    def __init__(self, batches: AsyncBatches) -> None:
        self.create = async_to_raw_response_wrapper(batches.create)
        self.retrieve = async_to_raw_response_wrapper(batches.retrieve)
        self.list = async_to_raw_response_wrapper(batches.list)
        self.cancel = async_to_raw_response_wrapper(batches.cancel)


class AsyncBatchesWithStreamingResponse:
    def __init__(self, batches: AsyncBatches) -> None:
        self.create = async_to_streamed_response_wrapper(batches.create)
        self.retrieve = async_to_streamed_response_wrapper(batches.retrieve)
        self.list = async_to_streamed_response_wrapper(batches.list)
        self.cancel = async_to_streamed_response_wrapper(batches.cancel)
