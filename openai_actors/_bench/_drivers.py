"""This client and the official `openai` one behind one interface: `one()` sends a request, returns a Record.

Both read what a caller would (the reply's content or the embeddings, and the
usage), timed the same way, so the figures compare like with like. This
client's requests go through `with_raw_response` (non-streaming) to read
`queued`, which the official client has no counterpart of.

The official package is imported with `importlib`, so it stays optional (and
untyped here) for this package.
"""

from __future__ import annotations

import importlib
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from time import perf_counter
from typing import Any, Final, Protocol

from .._client import AsyncOpenAI
from .._ratelimit import RateLimit
from ._record import Record
from ._workload import Workload, request_bodies

__all__ = [
    "ACTORS",
    "CLIENTS",
    "OFFICIAL",
    "OFFICIAL_AIOHTTP",
    "Connection",
    "Driver",
    "LearnedLimits",
    "open_driver",
]

ACTORS: Final = "openai_actors"
OFFICIAL: Final = "openai"
OFFICIAL_AIOHTTP: Final = "openai-aiohttp"
CLIENTS: Final = (ACTORS, OFFICIAL, OFFICIAL_AIOHTTP)

# The first error message kept per exception class, for the report.
_EXAMPLE_LENGTH: Final = 300


@dataclass(frozen=True, slots=True)
class Connection:
    """Where and how to send: the same for every client of a run."""

    base_url: str
    api_key: str
    max_retries: int
    timeout: float


class Driver(Protocol):
    one: Callable[[], Awaitable[Record]]
    examples: dict[str, str]
    """The first message seen of each kind of error."""

    def learned_limits(self) -> LearnedLimits | None:
        """The rate limits the client learned from the server's headers and paced itself to, if any."""
        ...


@dataclass(frozen=True, slots=True)
class LearnedLimits:
    requests_per_minute: float | None
    tokens_per_minute: float | None


class _Driver:
    """The request functions shared by both clients; a subclass says how to call and what is queued."""

    def __init__(self, workload: Workload, create: Callable[..., Awaitable[Any]]) -> None:
        self.examples: dict[str, str] = {}
        # Cycled through, one per request: one body unless the lengths are random.
        self._bodies = request_bodies(workload)
        self._turn = 0
        self._create = create
        self.one: Callable[[], Awaitable[Record]]
        if workload.endpoint == "embeddings":
            self.one = self._embeddings
        elif workload.stream:
            self.one = self._chat_stream
        else:
            self.one = self._chat

    def learned_limits(self) -> LearnedLimits | None:
        return None  # the official client paces nothing

    @property
    def _body(self) -> dict[str, Any]:
        """The next request's body (each read takes the next one)."""
        bodies = self._bodies
        if len(bodies) == 1:
            return bodies[0]
        turn = self._turn
        self._turn = turn + 1
        return bodies[turn % len(bodies)]

    def _failed(self, start: float, exc: Exception) -> Record:
        kind = type(exc).__name__
        if kind not in self.examples:
            self.examples[kind] = str(exc)[:_EXAMPLE_LENGTH]
        return Record(start, perf_counter(), None, None, None, 0, 0, kind)

    async def _send(self) -> tuple[Any, float | None]:
        """The parsed response and the seconds it queued in the client (None: not known)."""
        raise NotImplementedError

    def _stream_queued(self, stream: Any) -> float | None:
        return None

    async def _chat(self) -> Record:
        start = perf_counter()
        try:
            completion, queued = await self._send()
            choices = completion.choices
            if choices:
                choices[0].message.content  # noqa: B018 (read as a caller would)
            usage = completion.usage
        except Exception as exc:
            return self._failed(start, exc)
        end = perf_counter()
        if usage is None:
            return Record(start, end, None, None, queued, 0, 0, None)
        return Record(start, end, None, None, queued, usage.completion_tokens, usage.prompt_tokens, None)

    async def _embeddings(self) -> Record:
        start = perf_counter()
        try:
            response, queued = await self._send()
            response.data[0].embedding  # noqa: B018 (read as a caller would)
            usage = response.usage
        except Exception as exc:
            return self._failed(start, exc)
        end = perf_counter()
        prompt_tokens = 0 if usage is None else usage.prompt_tokens
        return Record(start, end, None, None, queued, 0, prompt_tokens, None)

    async def _chat_stream(self) -> Record:
        start = perf_counter()
        gaps: list[float] = []
        first = last = 0.0
        chunks = 0
        usage = None
        try:
            stream = await self._create(**self._body)
            async with stream:
                async for chunk in stream:
                    choices = chunk.choices
                    if choices and choices[0].delta.content:
                        now = perf_counter()
                        if chunks:
                            gaps.append(now - last)
                        else:
                            first = now
                        last = now
                        chunks += 1
                    elif chunk.usage is not None:
                        usage = chunk.usage
        except Exception as exc:
            return self._failed(start, exc)
        end = perf_counter()
        queued = self._stream_queued(stream)
        ttft = first - start if chunks else None
        if usage is None:
            return Record(start, end, ttft, gaps, queued, chunks, 0, None)
        return Record(start, end, ttft, gaps, queued, usage.completion_tokens, usage.prompt_tokens, None)


class _ActorsDriver(_Driver):
    def __init__(self, client: AsyncOpenAI, workload: Workload) -> None:
        if workload.endpoint == "embeddings":
            create: Callable[..., Awaitable[Any]] = client.embeddings.create
            self._create_raw: Callable[..., Awaitable[Any]] = client.embeddings.with_raw_response.create
        else:
            create = client.chat.completions.create
            self._create_raw = client.chat.completions.with_raw_response.create
        super().__init__(workload, create)
        self._client = client

    def learned_limits(self) -> LearnedLimits | None:
        stats = self._client.stats()
        learned = [
            limit.value if limit.source == "learned" else None
            for limit in (stats.requests_per_minute, stats.tokens_per_minute)
        ]
        return None if learned == [None, None] else LearnedLimits(*learned)

    async def _send(self) -> tuple[Any, float | None]:
        raw = await self._create_raw(**self._body)
        return raw.parse(), raw.queued

    def _stream_queued(self, stream: Any) -> float | None:
        queued: float | None = stream.queued
        return queued


class _OfficialDriver(_Driver):
    async def _send(self) -> tuple[Any, float | None]:
        return await self._create(**self._body), None


@asynccontextmanager
async def open_driver(
    client: str, connection: Connection, workload: Workload, rate_limit: RateLimit | None
) -> AsyncIterator[Driver]:
    """A driver for `client` (one of CLIENTS), its client open for the block and closed after it.

    `rate_limit` applies to this client only (None: its default, limits learned
    from the server's headers); the official client has no rate controller.
    """
    if client == ACTORS:
        options: dict[str, Any] = {} if rate_limit is None else {"rate_limit": rate_limit}
        async with AsyncOpenAI(
            api_key=connection.api_key,
            base_url=connection.base_url,
            max_retries=connection.max_retries,
            timeout=connection.timeout,
            **options,
        ) as ours:
            yield _ActorsDriver(ours, workload)
        return
    if client not in (OFFICIAL, OFFICIAL_AIOHTTP):
        raise ValueError(f"unknown client {client!r}; choose from {', '.join(CLIENTS)}")
    openai = importlib.import_module("openai")
    extra: dict[str, Any] = {}
    if client == OFFICIAL_AIOHTTP:
        extra["http_client"] = openai.DefaultAioHttpClient()
    async with openai.AsyncOpenAI(
        api_key=connection.api_key,
        base_url=connection.base_url,
        max_retries=connection.max_retries,
        timeout=connection.timeout,
        **extra,
    ) as theirs:
        target = theirs.embeddings if workload.endpoint == "embeddings" else theirs.chat.completions
        yield _OfficialDriver(workload, target.create)
