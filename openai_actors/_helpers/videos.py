"""`client.videos` with its hand-written helpers."""

from __future__ import annotations

import functools
from typing import Unpack

from .._resources._base import RequestOptionParams
from .._types import Omit, omit
from ..resources.videos import AsyncVideos as _AsyncVideos
from ..resources.videos import Videos as _Videos
from ..types.video import Video
from ..types.video_create_params import VideoCreateParams
from ._polling import apoll, poll, poll_headers

__all__ = ["AsyncVideos", "Videos"]


class _CreateAndPollArgs(VideoCreateParams, RequestOptionParams, total=False):
    pass


def _rendered(video: Video) -> bool:
    # Anything but queued or in_progress is final (completed, failed, or a status added later).
    return video.status not in ("queued", "in_progress")


class Videos(_Videos):
    def create_and_poll(
        self, *, poll_interval_ms: int | Omit = omit, **params: Unpack[_CreateAndPollArgs]
    ) -> Video:
        """Create a video and wait for it to be rendered."""
        video = self.create(**params)
        return self.poll(video.id, poll_interval_ms=poll_interval_ms)

    def poll(self, video_id: str, *, poll_interval_ms: int | Omit = omit) -> Video:
        """Wait for the video to be rendered.

        It returns a video that failed too: check `status` and `error`.
        """
        fetch = functools.partial(
            self.with_raw_response.retrieve, video_id, extra_headers=poll_headers(poll_interval_ms)
        )
        return poll(fetch, _rendered, poll_interval_ms)


class AsyncVideos(_AsyncVideos):
    async def create_and_poll(
        self, *, poll_interval_ms: int | Omit = omit, **params: Unpack[_CreateAndPollArgs]
    ) -> Video:
        """Create a video and wait for it to be rendered."""
        video = await self.create(**params)
        return await self.poll(video.id, poll_interval_ms=poll_interval_ms)

    async def poll(self, video_id: str, *, poll_interval_ms: int | Omit = omit) -> Video:
        """Wait for the video to be rendered.

        It returns a video that failed too: check `status` and `error`.
        """
        fetch = functools.partial(
            self.with_raw_response.retrieve, video_id, extra_headers=poll_headers(poll_interval_ms)
        )
        return await apoll(fetch, _rendered, poll_interval_ms)
