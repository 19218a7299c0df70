"""``/v1/files``: upload (multipart), list, retrieve, download, delete; kept in memory."""

from __future__ import annotations

import itertools
from typing import Any, Final

from . import _multipart
from ._common import ApiError, Reply, json_reply, now, paginate, query_params
from ._http import Request

__all__ = ["DEFAULT_MAX_STORAGE", "PURPOSES", "Files"]

DEFAULT_MAX_STORAGE: Final = 512 * 1024 * 1024
# What a client may upload with; the API itself also creates "batch_output" files.
PURPOSES: Final = ("assistants", "batch", "fine-tune", "vision", "user_data", "evals")
PREFIX: Final = "file-"
_OCTET_STREAM: Final = {"content-type": "application/octet-stream"}


class Files:
    """The handlers, around the stored files (loop thread only).

    Uploads are refused with a 413 once the stored bytes would pass
    ``max_storage``; files the mock writes itself (batch results) always fit.
    """

    def __init__(self, max_storage: int = DEFAULT_MAX_STORAGE) -> None:
        self.max_storage = max_storage
        self._files: dict[str, tuple[dict[str, Any], bytes]] = {}
        self._ids = itertools.count(1)
        self._used = 0

    def add(self, filename: str, purpose: str, data: bytes) -> dict[str, Any]:
        """Store a file; return its file object."""
        file_id = f"{PREFIX}{next(self._ids)}"
        file: dict[str, Any] = {
            "id": file_id,
            "object": "file",
            "bytes": len(data),
            "created_at": now(),
            "filename": filename,
            "purpose": purpose,
            "status": "processed",
            "expires_at": None,
            "status_details": None,
        }
        self._files[file_id] = (file, data)
        self._used += len(data)
        return file

    def content(self, file_id: str) -> bytes | None:
        found = self._files.get(file_id)
        return None if found is None else found[1]

    # --- handlers -----------------------------------------------------------

    def upload(self, request: Request, number: int) -> Reply:
        try:
            boundary = _multipart.boundary_of(request.headers.get("content-type"))
            parts = _multipart.parse(request.body, boundary)
        except _multipart.MultipartError as error:
            raise ApiError(400, str(error), code="invalid_multipart") from None
        fields = {part.name: part for part in parts}
        purpose_part = fields.get("purpose")
        if purpose_part is None:
            raise _missing("purpose")
        purpose = purpose_part.data.decode("utf-8", "replace")
        if purpose not in PURPOSES:
            raise ApiError(
                400,
                f"Invalid value for 'purpose': {purpose!r}; expected one of {', '.join(PURPOSES)}.",
                param="purpose",
                code="invalid_value",
            )
        file_part = fields.get("file")
        if file_part is None:
            raise _missing("file")
        if not file_part.filename:
            raise ApiError(
                400,
                "The 'file' field must be a file upload with a filename.",
                param="file",
                code="invalid_value",
            )
        if self._used + len(file_part.data) > self.max_storage:
            raise ApiError(
                413,
                f"File storage is full: {self._used} of {self.max_storage} bytes are used and this file "
                f"has {len(file_part.data)}.",
                param="file",
                code="file_too_large",
            )
        return json_reply(self.add(file_part.filename, purpose, file_part.data))

    def list_files(self, request: Request, number: int) -> Reply:
        params = query_params(request)
        order = params.get("order", "desc")
        if order not in ("asc", "desc"):
            raise ApiError(
                400,
                f"Invalid 'order': expected 'asc' or 'desc', got {order!r}.",
                param="order",
                code="invalid_value",
            )
        purpose = params.get("purpose")
        files = (file for file, _ in self._files.values() if purpose is None or file["purpose"] == purpose)
        return paginate(
            files, PREFIX, params, default_limit=10_000, max_limit=10_000, descending=order == "desc"
        )

    def retrieve(self, request: Request, number: int, file_id: str) -> Reply:
        return json_reply(self._get(file_id)[0])

    def download(self, request: Request, number: int, file_id: str) -> Reply:
        return 200, self._get(file_id)[1], _OCTET_STREAM

    def delete(self, request: Request, number: int, file_id: str) -> Reply:
        _, data = self._get(file_id)
        del self._files[file_id]
        self._used -= len(data)
        return json_reply({"id": file_id, "object": "file", "deleted": True})

    def _get(self, file_id: str) -> tuple[dict[str, Any], bytes]:
        found = self._files.get(file_id)
        if found is None:
            raise ApiError(404, f"No such File object: {file_id}", param="id")
        return found


def _missing(name: str) -> ApiError:
    return ApiError(
        400, f"Missing required parameter: '{name}'.", param=name, code="missing_required_parameter"
    )
