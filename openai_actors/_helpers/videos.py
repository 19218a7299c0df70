"""`client.videos` with its hand-written helpers."""

from __future__ import annotations

from ..resources.videos import AsyncVideos as _AsyncVideos
from ..resources.videos import Videos as _Videos

__all__ = ["AsyncVideos", "Videos"]


class Videos(_Videos):
    pass


class AsyncVideos(_AsyncVideos):
    pass
