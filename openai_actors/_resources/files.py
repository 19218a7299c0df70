"""`client.files`: upload (multipart), list (cursor pages), retrieve, content, delete."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cached_property
from typing import TYPE_CHECKING, Any, Literal, Required, Unpack

from .._multipart import FileTypes, encode_multipart, read_file
from .._pagination import AsyncPage, AsyncPaginator, SyncPage
from .._raw import (
    async_to_raw_response_wrapper,
    async_to_streamed_response_wrapper,
    to_raw_response_wrapper,
    to_streamed_response_wrapper,
)
from .._request import path_param
from .._response import BinaryContent, binary_content
from ..types.file_deleted import FileDeleted
from ..types.file_object import FileObject
from ._base import AsyncResource, RequestOptionParams, SyncResource, check_params, make_call, split_options

if TYPE_CHECKING:
    from .._call import Call
    from .._client import AsyncOpenAI, OpenAI

__all__ = ["AsyncFiles", "FileCreateParams", "FileListParams", "Files"]


class FileCreateParams(RequestOptionParams, total=False):
    file: Required[FileTypes]
    purpose: Required[str]
    expires_after: Mapping[str, Any]


class FileListParams(RequestOptionParams, total=False):
    after: str
    limit: int
    order: Literal["asc", "desc"]
    purpose: str


def _path(file_id: str, suffix: str = "") -> str:
    return f"files/{path_param(file_id, 'file_id')}{suffix}"


def _upload(client: OpenAI | AsyncOpenAI, params: Mapping[str, Any]) -> Call:
    """The multipart request for an upload; the file is read here, in the caller."""
    check_params("create", params, FileCreateParams)
    given, options = split_options(params)
    fields: dict[str, Any] = {"purpose": given["purpose"]}
    expires_after = given.get("expires_after")
    if expires_after is not None:
        if not isinstance(expires_after, Mapping):
            raise TypeError(f"expires_after must be a mapping, not {type(expires_after).__name__}")
        for key, value in expires_after.items():
            fields[f"expires_after[{key}]"] = value
    content_type, body = encode_multipart(fields, {"file": read_file(given["file"])})
    headers = dict(options.get("extra_headers") or {})
    headers["Content-Type"] = content_type
    return client._build("POST", "files", content=body, extra={**options, "extra_headers": headers})


class Files(SyncResource):
    def create(self, **params: Unpack[FileCreateParams]) -> FileObject:
        """Upload a file (bytes, a binary file object, a path, or (filename, content[, type]))."""
        result: FileObject = self._client._request(_upload(self._client, params), FileObject._from_raw)
        return result

    def list(self, **params: Unpack[FileListParams]) -> SyncPage[FileObject]:
        """Your files, a page at a time; iterating the page walks every page (by `after=`)."""

        def fetch(query: Mapping[str, Any]) -> SyncPage[FileObject]:
            merged = {**params, **query}
            call = make_call(self._client, "list", merged, FileListParams, "GET", "files", in_query=True)
            page: SyncPage[FileObject] = self._client._request(
                call, lambda raw: SyncPage(raw, FileObject, fetch)
            )
            return page

        return fetch({})

    def retrieve(self, file_id: str, **params: Unpack[RequestOptionParams]) -> FileObject:
        call = make_call(self._client, "retrieve", params, RequestOptionParams, "GET", _path(file_id))
        result: FileObject = self._client._request(call, FileObject._from_raw)
        return result

    def content(self, file_id: str, **params: Unpack[RequestOptionParams]) -> BinaryContent:
        """A file's bytes (`.content`, `.text`, `.write_to_file(path)`)."""
        call = make_call(
            self._client, "content", params, RequestOptionParams, "GET", _path(file_id, "/content")
        )
        result: BinaryContent = self._client._request(call, binary_content)
        return result

    def delete(self, file_id: str, **params: Unpack[RequestOptionParams]) -> FileDeleted:
        call = make_call(self._client, "delete", params, RequestOptionParams, "DELETE", _path(file_id))
        result: FileDeleted = self._client._request(call, FileDeleted._from_raw)
        return result

    @cached_property
    def with_raw_response(self) -> FilesWithRawResponse:
        return FilesWithRawResponse(self)

    @cached_property
    def with_streaming_response(self) -> FilesWithStreamingResponse:
        return FilesWithStreamingResponse(self)


class AsyncFiles(AsyncResource):
    async def create(self, **params: Unpack[FileCreateParams]) -> FileObject:
        """Upload a file (bytes, a binary file object, a path, or (filename, content[, type]))."""
        result: FileObject = await self._client._request(_upload(self._client, params), FileObject._from_raw)
        return result

    def list(self, **params: Unpack[FileListParams]) -> AsyncPaginator[FileObject, AsyncPage[FileObject]]:
        """Your files: await for the first page, or `async for` over every file of every page."""

        async def fetch(query: Mapping[str, Any]) -> AsyncPage[FileObject]:
            merged = {**params, **query}
            call = make_call(self._client, "list", merged, FileListParams, "GET", "files", in_query=True)
            page: AsyncPage[FileObject] = await self._client._request(
                call, lambda raw: AsyncPage(raw, FileObject, fetch)
            )
            return page

        return AsyncPaginator(lambda: fetch({}))

    async def retrieve(self, file_id: str, **params: Unpack[RequestOptionParams]) -> FileObject:
        call = make_call(self._client, "retrieve", params, RequestOptionParams, "GET", _path(file_id))
        result: FileObject = await self._client._request(call, FileObject._from_raw)
        return result

    async def content(self, file_id: str, **params: Unpack[RequestOptionParams]) -> BinaryContent:
        """A file's bytes (`.content`, `.text`, `.write_to_file(path)`)."""
        call = make_call(
            self._client, "content", params, RequestOptionParams, "GET", _path(file_id, "/content")
        )
        result: BinaryContent = await self._client._request(call, binary_content)
        return result

    async def delete(self, file_id: str, **params: Unpack[RequestOptionParams]) -> FileDeleted:
        call = make_call(self._client, "delete", params, RequestOptionParams, "DELETE", _path(file_id))
        result: FileDeleted = await self._client._request(call, FileDeleted._from_raw)
        return result

    @cached_property
    def with_raw_response(self) -> AsyncFilesWithRawResponse:
        return AsyncFilesWithRawResponse(self)

    @cached_property
    def with_streaming_response(self) -> AsyncFilesWithStreamingResponse:
        return AsyncFilesWithStreamingResponse(self)


class FilesWithRawResponse:
    def __init__(self, files: Files) -> None:
        self.create = to_raw_response_wrapper(files.create)
        self.list = to_raw_response_wrapper(files.list)
        self.retrieve = to_raw_response_wrapper(files.retrieve)
        self.content = to_raw_response_wrapper(files.content)
        self.delete = to_raw_response_wrapper(files.delete)


class FilesWithStreamingResponse:
    def __init__(self, files: Files) -> None:
        self.create = to_streamed_response_wrapper(files.create)
        self.list = to_streamed_response_wrapper(files.list)
        self.retrieve = to_streamed_response_wrapper(files.retrieve)
        self.content = to_streamed_response_wrapper(files.content)
        self.delete = to_streamed_response_wrapper(files.delete)


class AsyncFilesWithRawResponse:
    def __init__(self, files: AsyncFiles) -> None:
        self.create = async_to_raw_response_wrapper(files.create)
        self.list = async_to_raw_response_wrapper(files.list)
        self.retrieve = async_to_raw_response_wrapper(files.retrieve)
        self.content = async_to_raw_response_wrapper(files.content)
        self.delete = async_to_raw_response_wrapper(files.delete)


class AsyncFilesWithStreamingResponse:
    def __init__(self, files: AsyncFiles) -> None:
        self.create = async_to_streamed_response_wrapper(files.create)
        self.list = async_to_streamed_response_wrapper(files.list)
        self.retrieve = async_to_streamed_response_wrapper(files.retrieve)
        self.content = async_to_streamed_response_wrapper(files.content)
        self.delete = async_to_streamed_response_wrapper(files.delete)
