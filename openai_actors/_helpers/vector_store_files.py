"""`client.vector_stores.files` with its hand-written helpers."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, TypeAlias

from .._multipart import FileTypes
from .._types import Body, Headers, NotGiven, Omit, Query, not_given, omit
from ..resources.vector_stores.files import AsyncFiles as _AsyncFiles
from ..resources.vector_stores.files import Files as _Files
from ..types._spec_params.vector_store_file_attributes import VectorStoreFileAttributesParam
from ..types.file_chunking_strategy_param import FileChunkingStrategyParam
from ..types.vector_stores.vector_store_file import VectorStoreFile
from ._polling import apoll, given, poll, poll_headers

if TYPE_CHECKING:
    import httpx

__all__ = ["AsyncFiles", "Files"]


# The attributes a file is attached with (None: none).
Attributes: TypeAlias = VectorStoreFileAttributesParam | None


def _processed(file: VectorStoreFile) -> bool:
    # Anything but in_progress is final (completed, failed, cancelled, or a status added later).
    return file.status != "in_progress"


class Files(_Files):
    def create_and_poll(
        self,
        file_id: str,
        *,
        vector_store_id: str,
        attributes: Attributes | Omit = omit,
        poll_interval_ms: int | Omit = omit,
        chunking_strategy: FileChunkingStrategyParam | Omit = omit,
        extra_headers: Headers | None = None,
        extra_query: Query | None = None,
        extra_body: Body | None = None,
        timeout: float | httpx.Timeout | NotGiven | None = not_given,
    ) -> VectorStoreFile:
        """Attach a file to the vector store and wait for it to be processed."""
        self.create(
            vector_store_id,
            file_id=file_id,
            **given(attributes=attributes, chunking_strategy=chunking_strategy),
            extra_headers=extra_headers,
            extra_query=extra_query,
            extra_body=extra_body,
            timeout=timeout,
        )
        return self.poll(file_id, vector_store_id=vector_store_id, poll_interval_ms=poll_interval_ms)

    def poll(
        self,
        file_id: str,
        *,
        vector_store_id: str,
        poll_interval_ms: int | Omit = omit,
    ) -> VectorStoreFile:
        """Wait for the vector store file to finish processing.

        It returns a file that failed too: check `status` and `last_error`.
        """
        fetch = functools.partial(
            self.with_raw_response.retrieve,
            file_id,
            vector_store_id=vector_store_id,
            extra_headers=poll_headers(poll_interval_ms),
        )
        return poll(fetch, _processed, poll_interval_ms)

    def upload(
        self,
        *,
        vector_store_id: str,
        file: FileTypes,
        chunking_strategy: FileChunkingStrategyParam | Omit = omit,
    ) -> VectorStoreFile:
        """Upload a file to the Files API and attach it to the vector store, without waiting for it
        to be processed (`upload_and_poll` waits)."""
        file_obj = self._client.files.create(file=file, purpose="assistants")
        return self.create(vector_store_id, file_id=file_obj.id, **given(chunking_strategy=chunking_strategy))

    def upload_and_poll(
        self,
        *,
        vector_store_id: str,
        file: FileTypes,
        attributes: Attributes | Omit = omit,
        poll_interval_ms: int | Omit = omit,
        chunking_strategy: FileChunkingStrategyParam | Omit = omit,
    ) -> VectorStoreFile:
        """Upload a file, attach it to the vector store, and wait for it to be processed."""
        file_obj = self._client.files.create(file=file, purpose="assistants")
        return self.create_and_poll(
            file_obj.id,
            vector_store_id=vector_store_id,
            attributes=attributes,
            poll_interval_ms=poll_interval_ms,
            chunking_strategy=chunking_strategy,
        )


class AsyncFiles(_AsyncFiles):
    async def create_and_poll(
        self,
        file_id: str,
        *,
        vector_store_id: str,
        attributes: Attributes | Omit = omit,
        poll_interval_ms: int | Omit = omit,
        chunking_strategy: FileChunkingStrategyParam | Omit = omit,
        extra_headers: Headers | None = None,
        extra_query: Query | None = None,
        extra_body: Body | None = None,
        timeout: float | httpx.Timeout | NotGiven | None = not_given,  # noqa: ASYNC109 - the per-request option, passed on
    ) -> VectorStoreFile:
        """Attach a file to the vector store and wait for it to be processed."""
        await self.create(
            vector_store_id,
            file_id=file_id,
            **given(attributes=attributes, chunking_strategy=chunking_strategy),
            extra_headers=extra_headers,
            extra_query=extra_query,
            extra_body=extra_body,
            timeout=timeout,
        )
        return await self.poll(file_id, vector_store_id=vector_store_id, poll_interval_ms=poll_interval_ms)

    async def poll(
        self,
        file_id: str,
        *,
        vector_store_id: str,
        poll_interval_ms: int | Omit = omit,
    ) -> VectorStoreFile:
        """Wait for the vector store file to finish processing.

        It returns a file that failed too: check `status` and `last_error`.
        """
        fetch = functools.partial(
            self.with_raw_response.retrieve,
            file_id,
            vector_store_id=vector_store_id,
            extra_headers=poll_headers(poll_interval_ms),
        )
        return await apoll(fetch, _processed, poll_interval_ms)

    async def upload(
        self,
        *,
        vector_store_id: str,
        file: FileTypes,
        chunking_strategy: FileChunkingStrategyParam | Omit = omit,
    ) -> VectorStoreFile:
        """Upload a file to the Files API and attach it to the vector store, without waiting for it
        to be processed (`upload_and_poll` waits)."""
        file_obj = await self._client.files.create(file=file, purpose="assistants")
        return await self.create(
            vector_store_id, file_id=file_obj.id, **given(chunking_strategy=chunking_strategy)
        )

    async def upload_and_poll(
        self,
        *,
        vector_store_id: str,
        file: FileTypes,
        attributes: Attributes | Omit = omit,
        poll_interval_ms: int | Omit = omit,
        chunking_strategy: FileChunkingStrategyParam | Omit = omit,
    ) -> VectorStoreFile:
        """Upload a file, attach it to the vector store, and wait for it to be processed."""
        file_obj = await self._client.files.create(file=file, purpose="assistants")
        return await self.create_and_poll(
            file_obj.id,
            vector_store_id=vector_store_id,
            attributes=attributes,
            poll_interval_ms=poll_interval_ms,
            chunking_strategy=chunking_strategy,
        )
