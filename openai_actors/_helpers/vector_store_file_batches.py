"""`client.vector_stores.file_batches` with its hand-written helpers."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from typing import TYPE_CHECKING

import anyio

from .._multipart import FileTypes
from .._types import Body, Headers, NotGiven, Omit, Query, not_given, omit
from ..resources.vector_stores.file_batches import AsyncFileBatches as _AsyncFileBatches
from ..resources.vector_stores.file_batches import FileBatches as _FileBatches
from ..types._spec_params.vector_store_file_attributes import VectorStoreFileAttributesParam
from ..types.file_chunking_strategy_param import FileChunkingStrategyParam
from ..types.file_object import FileObject
from ..types.vector_stores.file_batch_create_params import File
from ..types.vector_stores.vector_store_file_batch import VectorStoreFileBatch
from ._polling import apoll, given, poll, poll_headers

if TYPE_CHECKING:
    import httpx

__all__ = ["AsyncFileBatches", "FileBatches"]


def _processed(batch: VectorStoreFileBatch) -> bool:
    # Done when no file is still in progress, whatever became of the others (check file_counts.failed).
    return batch.file_counts.in_progress <= 0


def _check_concurrency(max_concurrency: int) -> None:
    # Zero workers would wait for ever on the async client; say so at once on both.
    if max_concurrency < 1:
        raise ValueError(f"max_concurrency must be at least 1, not {max_concurrency!r}")


class FileBatches(_FileBatches):
    def create_and_poll(
        self,
        vector_store_id: str,
        *,
        attributes: VectorStoreFileAttributesParam | Omit | None = omit,
        chunking_strategy: FileChunkingStrategyParam | Omit = omit,
        file_ids: Sequence[str] | Omit = omit,
        files: Iterable[File] | Omit = omit,
        poll_interval_ms: int | Omit = omit,
        extra_headers: Headers | None = None,
        extra_query: Query | None = None,
        extra_body: Body | None = None,
        timeout: float | httpx.Timeout | NotGiven | None = not_given,
    ) -> VectorStoreFileBatch:
        """Create a file batch and wait until every file in it has been processed."""
        batch = self.create(
            vector_store_id,
            **given(
                attributes=attributes, chunking_strategy=chunking_strategy, file_ids=file_ids, files=files
            ),
            extra_headers=extra_headers,
            extra_query=extra_query,
            extra_body=extra_body,
            timeout=timeout,
        )
        return self.poll(batch.id, vector_store_id=vector_store_id, poll_interval_ms=poll_interval_ms)

    def poll(
        self,
        batch_id: str,
        *,
        vector_store_id: str,
        poll_interval_ms: int | Omit = omit,
    ) -> VectorStoreFileBatch:
        """Wait until no file of the batch is in progress.

        It returns when files failed too: check `file_counts.failed`.
        """
        fetch = functools.partial(
            self.with_raw_response.retrieve,
            batch_id,
            vector_store_id=vector_store_id,
            extra_headers=poll_headers(poll_interval_ms),
        )
        return poll(fetch, _processed, poll_interval_ms)

    def upload_and_poll(
        self,
        vector_store_id: str,
        *,
        files: Iterable[FileTypes],
        max_concurrency: int = 5,
        file_ids: Sequence[str] = (),
        poll_interval_ms: int | Omit = omit,
        chunking_strategy: FileChunkingStrategyParam | Omit = omit,
    ) -> VectorStoreFileBatch:
        """Upload the files, `max_concurrency` at a time, then batch them (with `file_ids`, files
        uploaded before) into the vector store and wait for the batch to be processed.

        The first upload that fails raises its error; uploads not yet started are not sent.
        """
        _check_concurrency(max_concurrency)
        # The sync client is safe to share between threads: each upload blocks only its worker.
        with ThreadPoolExecutor(max_workers=max_concurrency) as executor:
            futures = [
                executor.submit(self._client.files.create, file=file, purpose="assistants") for file in files
            ]
            done, _ = wait(futures, return_when=FIRST_EXCEPTION)
            errors = [error for f in futures if f in done and (error := f.exception()) is not None]
            if errors:
                for future in futures:
                    future.cancel()
                raise errors[0]
        uploaded = [future.result() for future in futures]
        return self.create_and_poll(
            vector_store_id,
            file_ids=[*file_ids, *(f.id for f in uploaded)],
            poll_interval_ms=poll_interval_ms,
            chunking_strategy=chunking_strategy,
        )


class AsyncFileBatches(_AsyncFileBatches):
    async def create_and_poll(
        self,
        vector_store_id: str,
        *,
        attributes: VectorStoreFileAttributesParam | Omit | None = omit,
        chunking_strategy: FileChunkingStrategyParam | Omit = omit,
        file_ids: Sequence[str] | Omit = omit,
        files: Iterable[File] | Omit = omit,
        poll_interval_ms: int | Omit = omit,
        extra_headers: Headers | None = None,
        extra_query: Query | None = None,
        extra_body: Body | None = None,
        timeout: float | httpx.Timeout | NotGiven | None = not_given,  # noqa: ASYNC109 - the per-request option, passed on
    ) -> VectorStoreFileBatch:
        """Create a file batch and wait until every file in it has been processed."""
        batch = await self.create(
            vector_store_id,
            **given(
                attributes=attributes, chunking_strategy=chunking_strategy, file_ids=file_ids, files=files
            ),
            extra_headers=extra_headers,
            extra_query=extra_query,
            extra_body=extra_body,
            timeout=timeout,
        )
        return await self.poll(batch.id, vector_store_id=vector_store_id, poll_interval_ms=poll_interval_ms)

    async def poll(
        self,
        batch_id: str,
        *,
        vector_store_id: str,
        poll_interval_ms: int | Omit = omit,
    ) -> VectorStoreFileBatch:
        """Wait until no file of the batch is in progress.

        It returns when files failed too: check `file_counts.failed`.
        """
        fetch = functools.partial(
            self.with_raw_response.retrieve,
            batch_id,
            vector_store_id=vector_store_id,
            extra_headers=poll_headers(poll_interval_ms),
        )
        return await apoll(fetch, _processed, poll_interval_ms)

    async def upload_and_poll(
        self,
        vector_store_id: str,
        *,
        files: Iterable[FileTypes],
        max_concurrency: int = 5,
        file_ids: Sequence[str] = (),
        poll_interval_ms: int | Omit = omit,
        chunking_strategy: FileChunkingStrategyParam | Omit = omit,
    ) -> VectorStoreFileBatch:
        """Upload the files, `max_concurrency` at a time, then batch them (with `file_ids`, files
        uploaded before) into the vector store and wait for the batch to be processed.

        The first upload that fails raises its error and cancels the others. Any anyio backend.
        """
        _check_concurrency(max_concurrency)
        todo = list(enumerate(files))
        uploaded: list[FileObject | None] = [None] * len(todo)
        # `max_concurrency` workers take the files in turn: as many tasks as uploads at once, not
        # one per file. Taking the next one never awaits, so no two workers take the same file.
        pending = iter(todo)

        async def worker() -> None:
            for index, file in pending:
                uploaded[index] = await self._client.files.create(file=file, purpose="assistants")

        try:
            async with anyio.create_task_group() as tg:
                for _ in range(min(max_concurrency, len(todo))):
                    tg.start_soon(worker)
        except BaseExceptionGroup as group:
            # One failure cancels the other uploads: raise it as itself, as the official SDK does.
            if len(group.exceptions) == 1:
                raise group.exceptions[0] from None
            raise
        return await self.create_and_poll(
            vector_store_id,
            file_ids=[*file_ids, *(f.id for f in uploaded if f is not None)],
            poll_interval_ms=poll_interval_ms,
            chunking_strategy=chunking_strategy,
        )
