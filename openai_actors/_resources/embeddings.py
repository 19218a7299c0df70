"""`client.embeddings`.

Like the official SDK, when the caller does not choose an `encoding_format`
the request asks for base64 (a quarter of the bytes of a JSON float list, and
far cheaper to decode) and the answer is decoded back to lists of floats, so
the caller sees floats either way. Servers that ignore the format and send
floats anyway are handled too.
"""

from __future__ import annotations

import array
import base64
import binascii
import sys
from collections.abc import Iterable, Mapping, Sequence
from functools import cached_property
from typing import TYPE_CHECKING, Any, Literal, Required, Unpack

from .._call import Call
from .._raw import (
    async_to_raw_response_wrapper,
    async_to_streamed_response_wrapper,
    to_raw_response_wrapper,
    to_streamed_response_wrapper,
)
from .._response import ResponseShapeError
from ..types.embedding import CreateEmbeddingResponse
from ._base import AsyncResource, RequestOptionParams, SyncResource, check_params, split_options

if TYPE_CHECKING:
    from .._client import AsyncOpenAI, OpenAI

__all__ = ["AsyncEmbeddings", "EmbeddingCreateParams", "Embeddings", "decode_base64_floats"]


class EmbeddingCreateParams(RequestOptionParams, total=False):
    input: Required[str | Sequence[str] | Iterable[int] | Iterable[Iterable[int]]]
    model: Required[str]
    dimensions: int
    encoding_format: Literal["float", "base64"]
    user: str


def decode_base64_floats(data: str) -> list[float]:
    """Little-endian float32s, base64-encoded, as the API sends them."""
    values = array.array("f")
    values.frombytes(base64.b64decode(data, validate=True))
    if sys.byteorder == "big":
        values.byteswap()
    return values.tolist()


def _create(client: OpenAI | AsyncOpenAI, params: Mapping[str, Any]) -> tuple[Call, Any]:
    check_params("create", params, EmbeddingCreateParams)
    body, options = split_options(params)
    decode = "encoding_format" not in body
    if decode:
        body["encoding_format"] = "base64"
    call = client._build("POST", "embeddings", body=body, extra=options)

    def build(data: dict[str, Any]) -> CreateEmbeddingResponse:
        if decode:
            for item in data.get("data") or ():
                if isinstance(item, dict) and isinstance(item.get("embedding"), str):
                    try:
                        item["embedding"] = decode_base64_floats(item["embedding"])
                    except (binascii.Error, ValueError) as exc:
                        raise ResponseShapeError(
                            f"embedding {item.get('index')} is not valid base64: {exc}"
                        ) from exc
        return CreateEmbeddingResponse._from_raw(data)

    return call, build


class Embeddings(SyncResource):
    def create(self, **params: Unpack[EmbeddingCreateParams]) -> CreateEmbeddingResponse:
        """Create embedding vectors for the input text(s) or tokens."""
        call, build = _create(self._client, params)
        result: CreateEmbeddingResponse = self._client._request(call, build)
        return result

    @cached_property
    def with_raw_response(self) -> EmbeddingsWithRawResponse:
        return EmbeddingsWithRawResponse(self)

    @cached_property
    def with_streaming_response(self) -> EmbeddingsWithStreamingResponse:
        return EmbeddingsWithStreamingResponse(self)


class AsyncEmbeddings(AsyncResource):
    async def create(self, **params: Unpack[EmbeddingCreateParams]) -> CreateEmbeddingResponse:
        """Create embedding vectors for the input text(s) or tokens."""
        call, build = _create(self._client, params)
        result: CreateEmbeddingResponse = await self._client._request(call, build)
        return result

    @cached_property
    def with_raw_response(self) -> AsyncEmbeddingsWithRawResponse:
        return AsyncEmbeddingsWithRawResponse(self)

    @cached_property
    def with_streaming_response(self) -> AsyncEmbeddingsWithStreamingResponse:
        return AsyncEmbeddingsWithStreamingResponse(self)


class EmbeddingsWithRawResponse:
    def __init__(self, embeddings: Embeddings) -> None:
        self.create = to_raw_response_wrapper(embeddings.create)


class EmbeddingsWithStreamingResponse:
    def __init__(self, embeddings: Embeddings) -> None:
        self.create = to_streamed_response_wrapper(embeddings.create)


class AsyncEmbeddingsWithRawResponse:
    def __init__(self, embeddings: AsyncEmbeddings) -> None:
        self.create = async_to_raw_response_wrapper(embeddings.create)


class AsyncEmbeddingsWithStreamingResponse:
    def __init__(self, embeddings: AsyncEmbeddings) -> None:
        self.create = async_to_streamed_response_wrapper(embeddings.create)
