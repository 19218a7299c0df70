"""`client.uploads` with its hand-written helpers."""

from __future__ import annotations

import builtins
import os
from collections.abc import Iterator
from typing import Any, overload

import anyio

from .. import _logging
from .._types import Omit, omit
from ..resources.uploads.uploads import AsyncUploads as _AsyncUploads
from ..resources.uploads.uploads import Uploads as _Uploads
from ..types.file_purpose import FilePurpose
from ..types.upload import Upload
from ._polling import given

__all__ = ["DEFAULT_PART_SIZE", "AsyncUploads", "Uploads"]

# The official SDK's part size: an Upload takes parts of up to 64 MB.
DEFAULT_PART_SIZE = 64 * 1024 * 1024


def _in_memory(filename: str | None, size: int | None) -> tuple[str, int]:
    """(filename, size) of bytes to upload: neither can be found from the bytes alone."""
    if filename is None:
        raise TypeError("The `filename` argument must be given for in-memory files")
    if size is None:
        raise TypeError("The `bytes` argument must be given for in-memory files")
    return filename, size


def _basename(file: os.PathLike[str]) -> str:
    return os.path.basename(os.fspath(file))


def _part_size(part_size: int | None) -> int:
    if part_size is None:
        return DEFAULT_PART_SIZE
    # A part of no bytes would read nothing and upload an empty file.
    if part_size < 1:
        raise ValueError(f"part_size must be at least 1, not {part_size!r}")
    return part_size


def _slices(data: builtins.bytes, size: int) -> Iterator[builtins.bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


def _log_part(upload: Upload, part_id: str, size: int) -> None:
    if _logging.enabled():
        _logging.emit("upload.part", upload_id=upload.id, part_id=part_id, bytes=size)


def _create_args(filename: str, size: int, mime_type: str, purpose: FilePurpose) -> dict[str, Any]:
    # Typed loosely: the SDK's FilePurpose has values the spec's upload purposes do not list yet.
    return {"filename": filename, "bytes": size, "mime_type": mime_type, "purpose": purpose}


class Uploads(_Uploads):
    @overload
    def upload_file_chunked(
        self,
        *,
        file: os.PathLike[str],
        mime_type: str,
        purpose: FilePurpose,
        bytes: int | None = None,
        part_size: int | None = None,
        md5: str | Omit = omit,
    ) -> Upload: ...
    @overload
    def upload_file_chunked(
        self,
        *,
        file: builtins.bytes,
        filename: str,
        bytes: int,
        mime_type: str,
        purpose: FilePurpose,
        part_size: int | None = None,
        md5: str | Omit = omit,
    ) -> Upload: ...
    def upload_file_chunked(
        self,
        *,
        file: os.PathLike[str] | builtins.bytes,
        mime_type: str,
        purpose: FilePurpose,
        filename: str | None = None,
        bytes: int | None = None,
        part_size: int | None = None,
        md5: str | Omit = omit,
    ) -> Upload:
        """Upload a file (a path, or its bytes with `filename` and `bytes`) in parts, one after
        another, then complete the Upload with the parts in order.

        Parts are `part_size` bytes (64 MB by default), the last one what remains.
        """
        if isinstance(file, builtins.bytes):
            name, size = _in_memory(filename, bytes)
        else:
            name = filename or _basename(file)
            size = bytes if bytes is not None else os.stat(file).st_size
        chunk = _part_size(part_size)
        upload = self.create(**_create_args(name, size, mime_type, purpose))
        part_ids: list[str] = []

        def send(data: builtins.bytes) -> None:
            part = self.parts.create(upload.id, data=data)
            _log_part(upload, part.id, len(data))
            part_ids.append(part.id)

        if isinstance(file, builtins.bytes):
            for data in _slices(file, chunk):
                send(data)
        else:
            # One part in memory at a time, however large the file.
            with open(file, "rb") as f:
                while data := f.read(chunk):
                    send(data)
        return self.complete(upload.id, part_ids=part_ids, **given(md5=md5))


class AsyncUploads(_AsyncUploads):
    @overload
    async def upload_file_chunked(
        self,
        *,
        file: os.PathLike[str],
        mime_type: str,
        purpose: FilePurpose,
        bytes: int | None = None,
        part_size: int | None = None,
        md5: str | Omit = omit,
    ) -> Upload: ...
    @overload
    async def upload_file_chunked(
        self,
        *,
        file: builtins.bytes,
        filename: str,
        bytes: int,
        mime_type: str,
        purpose: FilePurpose,
        part_size: int | None = None,
        md5: str | Omit = omit,
    ) -> Upload: ...
    async def upload_file_chunked(
        self,
        *,
        file: os.PathLike[str] | builtins.bytes,
        mime_type: str,
        purpose: FilePurpose,
        filename: str | None = None,
        bytes: int | None = None,
        part_size: int | None = None,
        md5: str | Omit = omit,
    ) -> Upload:
        """Upload a file (a path, or its bytes with `filename` and `bytes`) in parts, one after
        another, then complete the Upload with the parts in order.

        Parts are `part_size` bytes (64 MB by default), the last one what remains.
        """
        if isinstance(file, builtins.bytes):
            name, size = _in_memory(filename, bytes)
        else:
            name = filename or _basename(file)
            size = bytes if bytes is not None else (await anyio.Path(file).stat()).st_size
        chunk = _part_size(part_size)
        upload = await self.create(**_create_args(name, size, mime_type, purpose))
        part_ids: list[str] = []

        async def send(data: builtins.bytes) -> None:
            part = await self.parts.create(upload.id, data=data)
            _log_part(upload, part.id, len(data))
            part_ids.append(part.id)

        if isinstance(file, builtins.bytes):
            for data in _slices(file, chunk):
                await send(data)
        else:
            # One part in memory at a time; reading in a worker thread keeps the event loop free.
            async with await anyio.open_file(file, "rb") as f:
                while data := await f.read(chunk):
                    await send(data)
        return await self.complete(upload.id, part_ids=part_ids, **given(md5=md5))
