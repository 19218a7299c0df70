"""`client.models`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Unpack

from .._pagination import AsyncPage, AsyncPaginator, SyncPage
from .._request import path_param
from ..types.model import Model, ModelDeleted
from ._base import AsyncResource, RequestOptionParams, SyncResource, check_params, split_options

__all__ = ["AsyncModels", "Models"]


def _options(
    function: str, params: Mapping[str, Any], spec: type
) -> tuple[dict[str, object], dict[str, Any]]:
    check_params(function, params, spec)
    return split_options(params)


class Models(SyncResource):
    def list(self, **params: Unpack[RequestOptionParams]) -> SyncPage[Model]:
        """The models the server offers."""
        _, options = _options("list", params, RequestOptionParams)

        def fetch(query: dict[str, Any]) -> SyncPage[Model]:
            call = self._client._build("GET", "models", query=query, extra=options)
            return self._client._request(call, lambda raw: SyncPage(raw, Model, fetch))

        return fetch({})

    def retrieve(self, model: str, **params: Unpack[RequestOptionParams]) -> Model:
        _, options = _options("retrieve", params, RequestOptionParams)
        call = self._client._build("GET", f"models/{path_param(model, 'model')}", extra=options)
        return self._client._request(call, Model._from_raw)

    def delete(self, model: str, **params: Unpack[RequestOptionParams]) -> ModelDeleted:
        """Delete a fine-tuned model you own."""
        _, options = _options("delete", params, RequestOptionParams)
        call = self._client._build("DELETE", f"models/{path_param(model, 'model')}", extra=options)
        return self._client._request(call, ModelDeleted._from_raw)


class AsyncModels(AsyncResource):
    def list(self, **params: Unpack[RequestOptionParams]) -> AsyncPaginator[Model, AsyncPage[Model]]:
        """The models the server offers: await for the page, or `async for` over the models."""
        _, options = _options("list", params, RequestOptionParams)

        async def fetch(query: dict[str, Any]) -> AsyncPage[Model]:
            call = self._client._build("GET", "models", query=query, extra=options)
            return await self._client._request(call, lambda raw: AsyncPage(raw, Model, fetch))

        return AsyncPaginator(lambda: fetch({}))

    async def retrieve(self, model: str, **params: Unpack[RequestOptionParams]) -> Model:
        _, options = _options("retrieve", params, RequestOptionParams)
        call = self._client._build("GET", f"models/{path_param(model, 'model')}", extra=options)
        return await self._client._request(call, Model._from_raw)

    async def delete(self, model: str, **params: Unpack[RequestOptionParams]) -> ModelDeleted:
        """Delete a fine-tuned model you own."""
        _, options = _options("delete", params, RequestOptionParams)
        call = self._client._build("DELETE", f"models/{path_param(model, 'model')}", extra=options)
        return await self._client._request(call, ModelDeleted._from_raw)
