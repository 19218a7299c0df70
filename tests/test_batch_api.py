"""`client.batch()`: Batch API request lines through one client, results as they complete."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import anyio
import anyio.lowlevel
import pytest

from openai_actors import (
    BadRequestError,
    BatchInputError,
    BatchResult,
    InternalServerError,
    OpenAI,
)
from openai_actors.mock import Fault, MockServer
from openai_actors.types import CreateEmbeddingResponse
from openai_actors.types.chat import ChatCompletion

from .conftest import chat_body, client_for, until

pytestmark = pytest.mark.anyio

CHAT = "/v1/chat/completions"


def line(i: int, url: str = CHAT, **body: Any) -> dict[str, Any]:
    return {"custom_id": f"r{i}", "method": "POST", "url": url, "body": body or chat_body(f"n{i}")}


def lines(count: int) -> Iterator[dict[str, Any]]:
    return (line(i) for i in range(count))


def faults() -> list[Fault]:
    """Everything a long job meets: 5xx, resets, truncated bodies, a burst of 429s."""
    return [
        Fault(status=500, path=CHAT, headers={"retry-after-ms": "10"}),
        Fault(action="reset", path=CHAT),
        Fault(action="truncate", path=CHAT),
        Fault(status=502, path=CHAT, headers={"retry-after-ms": "10"}),
        *[Fault(status=429, path=CHAT, headers={"retry-after-ms": "50"})] * 5,
    ]


class Reader:
    """An input generator that records how far it has been read."""

    def __init__(self, count: int) -> None:
        self.count = count
        self.read = 0

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for i in range(self.count):
            self.read += 1
            yield line(i)


class TestResults:
    async def test_every_request_is_answered_exactly_once_through_faults(self, server: MockServer) -> None:
        """5xx, resets, truncated bodies and 429s are retried: one successful result per custom_id."""
        server.script(*faults())
        async with client_for(server, max_retries=5) as client:
            results = [r async for r in client.batch(lines(200), max_in_flight=16)]
        assert [f"r{i}" for i in range(200)] == sorted(
            (r.custom_id for r in results), key=lambda c: int(c[1:])
        )
        assert all(r.ok and r.status_code == 200 for r in results)
        assert 0 == server.pending_faults

    async def test_results_carry_the_typed_answer_and_its_request_id(self, server: MockServer) -> None:
        """`response` is the endpoint's type, built from `body`, tagged like any other call's result."""
        requests = [line(0), line(1, "/v1/embeddings", model="e", input="x")]
        async with client_for(server) as client:
            results = {r.custom_id: r async for r in client.batch(requests)}
        chat, embedding = results["r0"], results["r1"]
        assert isinstance(chat.response, ChatCompletion)
        assert "echo: n0" == chat.response.choices[0].message.content
        assert chat.request_id == chat.response._request_id
        assert chat.body["usage"]["total_tokens"] == chat.tokens
        assert isinstance(embedding.response, CreateEmbeddingResponse)
        assert ("embeddings", 1) == (embedding.endpoint, embedding.index)

    async def test_a_failure_is_a_result_not_an_exception(self, server: MockServer) -> None:
        """The error is what create() would raise, with the status and the server's error body."""
        server.script(Fault(status=400, path=CHAT), Fault(status=503, path=CHAT))
        async with client_for(server, max_retries=0) as client:
            results = [r async for r in client.batch(lines(5), max_in_flight=1)]
        failed = [r for r in results if not r.ok]
        assert [400, 503] == [r.status_code for r in failed]
        assert isinstance(failed[0].error, BadRequestError)
        assert isinstance(failed[1].error, InternalServerError)
        assert "error" in failed[0].body
        assert None is failed[0].response
        assert 3 == sum(r.ok for r in results)

    async def test_invalid_requests_are_results_and_are_not_sent(self, server: MockServer) -> None:
        """A request the Batch API would refuse never reaches the server; its result says why."""
        requests = [line(0), {"custom_id": "x", "method": "GET", "url": CHAT, "body": {}}, "nonsense"]
        async with client_for(server) as client:
            results = [r async for r in client.batch(requests, ordered=True)]
        assert [True, False, False] == [r.ok for r in results]
        errors = [r.error for r in results[1:]]
        assert all(isinstance(e, BatchInputError) for e in errors)
        assert ["invalid_method", "invalid_request"] == [
            e.code for e in errors if isinstance(e, BatchInputError)
        ]
        assert 1 == len(server.requests)

    async def test_an_async_iterable_is_taken_one_at_a_time(self, server: MockServer) -> None:
        """An async generator is never advanced by two workers at once."""

        async def requests() -> AsyncIterator[dict[str, Any]]:
            for i in range(50):
                await anyio.lowlevel.checkpoint()
                yield line(i)

        async with client_for(server) as client:
            results = [r async for r in client.batch(requests(), max_in_flight=8)]
        assert 50 == len({r.custom_id for r in results})

    async def test_an_iterable_that_raises_ends_the_batch_after_what_was_running(
        self, server: MockServer
    ) -> None:
        """Requests already taken are delivered; then the iterable's own exception is raised."""

        def requests() -> Iterator[dict[str, Any]]:
            yield from lines(10)
            raise LookupError("the source went away")

        seen: list[BatchResult] = []
        async with client_for(server) as client:
            with pytest.raises(LookupError, match="went away"):
                async for result in client.batch(requests(), max_in_flight=4):
                    seen.append(result)
        assert 10 == len(seen)

    async def test_the_client_stats_count_the_batch(self, server: MockServer) -> None:
        """The batch goes through the dispatcher like every other call."""
        async with client_for(server) as client:
            await client.chat.completions.create(**chat_body())
            results = [r async for r in client.batch(lines(30))]
            stats = client.stats()
        assert 30 == len(results)
        assert (31, 31, 0) == (stats.submitted, stats.completed, stats.in_flight)

    def test_bad_options_are_refused_at_once(self, server: MockServer) -> None:
        """Before anything is taken from the input."""
        client = client_for(server)
        with pytest.raises(ValueError, match="max_in_flight"):
            client.batch([], max_in_flight=0)
        with pytest.raises(ValueError, match="ordered=True"):
            client.batch([], reorder_window=4)
        with pytest.raises(TypeError, match="iterable"):
            client.batch(42)  # type: ignore[arg-type]


class TestOrderAndBackpressure:
    async def test_ordered_results_come_in_input_order(self, server: MockServer) -> None:
        """Slow requests early in the input hold the later ones back, within the window."""
        server.script(*[Fault(delay=0.05, path=CHAT)] * 3)
        async with client_for(server) as client:
            results = [
                r async for r in client.batch(lines(60), ordered=True, max_in_flight=8, reorder_window=12)
            ]
        assert list(range(60)) == [r.index for r in results]
        assert [f"r{i}" for i in range(60)] == [r.custom_id for r in results]

    @pytest.mark.parametrize(("ordered", "window"), [(False, 0), (True, 5)])
    async def test_the_input_is_read_only_as_fast_as_results_are_taken(
        self, server: MockServer, ordered: bool, window: int
    ) -> None:
        """A slow consumer: never more than in-flight (+ the window) requests read ahead of the results."""
        reader = Reader(100)
        ahead: list[int] = []
        async with client_for(server) as client:
            batch = client.batch(reader, max_in_flight=4, ordered=ordered, reorder_window=window or None)
            received = 0
            async for _ in batch:
                received += 1
                ahead.append(reader.read - received)
                await anyio.sleep(0.001)
        assert 100 == received
        assert max(ahead) <= 4 + window

    async def test_nothing_is_read_before_iteration_starts(self, server: MockServer) -> None:
        """The batch is lazy: creating it takes nothing from the input."""
        reader = Reader(10)
        async with client_for(server) as client:
            batch = client.batch(reader)
            await anyio.sleep(0.01)
            assert 0 == reader.read
            await batch.aclose()


class TestStopping:
    async def test_leaving_the_block_withdraws_the_requests_running(self, server: MockServer) -> None:
        """`async with` + break: hanging requests are withdrawn and the input is not read further."""
        server.script(*[Fault(action="hang", path=CHAT)] * 3)
        reader = Reader(1000)
        async with client_for(server) as client:
            async with client.batch(reader, max_in_flight=4) as batch:
                async for _ in batch:
                    break
            await until(server, lambda s: s.hanging == 0)
            assert 0 == client.stats().in_flight
        assert reader.read <= 5

    async def test_a_batch_dropped_mid_way_is_stopped(self, server: MockServer) -> None:
        """Without `async with`: the results object going away stops the batch."""
        server.script(*[Fault(action="hang", path=CHAT)] * 2)
        reader = Reader(1000)
        async with client_for(server) as client:
            async for _ in client.batch(reader, max_in_flight=4):
                break
            await until(server, lambda s: s.hanging == 0)
            assert 0 == client.stats().in_flight
        assert reader.read <= 5


class TestSync:
    def test_a_plain_script_runs_a_batch_with_no_asyncio_in_sight(self, server: MockServer) -> None:
        """Every custom_id exactly once, through faults, from a plain `for` loop."""
        server.script(*faults())
        with OpenAI(api_key="sk-test", base_url=server.url, max_retries=5) as client:
            results = list(client.batch(lines(300), max_in_flight=32))
            stats = client.stats()
        assert 300 == len({r.custom_id for r in results})
        assert all(r.ok for r in results)
        assert 300 == stats.completed

    def test_ordered_sync_results_and_errors_as_results(self, server: MockServer) -> None:
        """Input order; a failure is a result."""
        server.script(Fault(delay=0.05, path=CHAT), Fault(status=400, path=CHAT))
        with OpenAI(api_key="sk-test", base_url=server.url, max_retries=0) as client:
            results = list(client.batch(lines(40), ordered=True, max_in_flight=4))
        assert list(range(40)) == [r.index for r in results]
        assert 1 == sum(not r.ok for r in results)

    def test_the_sync_input_is_read_lazily(self, server: MockServer) -> None:
        """Read ahead of the results by at most in-flight + one prefetched handful."""
        from openai_actors._batch import SYNC_PREFETCH

        reader = Reader(200)
        ahead = []
        with OpenAI(api_key="sk-test", base_url=server.url) as client:
            for received, _ in enumerate(client.batch(reader, max_in_flight=4), 1):
                ahead.append(reader.read - received)
        assert max(ahead) <= 4 + SYNC_PREFETCH

    def test_closing_early_withdraws_the_requests_running(self, server: MockServer) -> None:
        """`with` + break: hanging requests are withdrawn, nothing more is read."""
        server.script(*[Fault(action="hang", path=CHAT)] * 3)
        reader = Reader(1000)
        with OpenAI(api_key="sk-test", base_url=server.url) as client:
            with client.batch(reader, max_in_flight=4) as batch:
                next(batch)
            server.wait_for(lambda s: s.hanging == 0)
            assert 0 == client.stats().in_flight
        assert reader.read <= 5
