"""`client.uploads` with its hand-written helpers."""

from __future__ import annotations

from ..resources.uploads.uploads import AsyncUploads as _AsyncUploads
from ..resources.uploads.uploads import Uploads as _Uploads

__all__ = ["AsyncUploads", "Uploads"]


class Uploads(_Uploads):
    pass


class AsyncUploads(_AsyncUploads):
    pass
