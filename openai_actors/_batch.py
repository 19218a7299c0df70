"""Batches through one client: many requests, bounded concurrency, results as they complete.

    async for result in client.batch(requests): ...     # AsyncOpenAI, asyncio or trio
    for result in client.batch(requests): ...           # OpenAI, from a plain script or threads

Theory of operation
-------------------
`requests` is an iterable (or async iterable) of Batch API request lines,
`{"custom_id", "method": "POST", "url": "/v1/...", "body"}`. A driver runs
`workers` tasks. Each takes the next request (one at a time, under a lock: an
async generator must not be advanced by two tasks at once), sends it through
the client exactly like any other call (`_build`, then the dispatcher: the
same rate controller, retry schedule and connections, all counted in
`client.stats()`), and hands the result over through a memory stream with no
buffer. So at most `workers` requests are taken and not yet handed over: the
input is read only as fast as results are consumed, and a generator of ten
million requests is never materialised.

Ordered mode numbers requests as they are taken and releases results in that
order through a `ReorderWindow`: request i is taken only once i is inside the
window, so at most `reorder_window` finished results wait for a slow one.

The driver is a background task of the caller's event loop (`AsyncOpenAI`:
an asyncio task or a trio system task, as the client's own dispatcher when it
is not run in an `async with` block), or a task in the sync client's loop
thread (`OpenAI`). It starts on the first `__anext__` / `__next__` and stops
when the input and its results are exhausted, or on `aclose()` / `close()`,
leaving an `async with` / `with` block, or garbage collection of the results
object; stopping early withdraws the requests still running.

What a request's failure looks like: a result whose `error` is the exception
the same request would raise from `create()`, never an exception out of the
loop. An exception raised by the iterable itself stops the taking of
requests; those already running finish and are delivered, then the exception
is raised to the caller.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import functools
import json
import time
import weakref
from collections import deque
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, Protocol, TypeAlias

import anyio
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

from ._batch_lines import BatchRequest, LineError, parse_request
from ._batch_window import ReorderWindow
from ._core import call_in_loop
from ._exceptions import (
    APIConnectionError,
    APIResponseValidationError,
    APITimeoutError,
    ClientClosedError,
    KeyProviderError,
    OpenAIError,
    RequestTooLargeError,
)
from ._response import check_outcome, decode_json
from ._transport import RawResponse

if TYPE_CHECKING:
    from ._call import Call
    from ._client import AsyncOpenAI, OpenAI
    from ._models import BaseModel
    from .types import Completion, CreateEmbeddingResponse, ModerationCreateResponse
    from .types.chat import ChatCompletion
    from .types.responses import Response

__all__ = [
    "AsyncBatchResults",
    "BatchInputError",
    "BatchResponse",
    "BatchResult",
    "BatchResults",
    "Driver",
    "Source",
    "error_code",
]

# The typed answer of each endpoint a batch may call.
BatchResponse: TypeAlias = (
    "ChatCompletion | Completion | CreateEmbeddingResponse | Response | ModerationCreateResponse"
)
# A request taken from the input: checked (or why not), and its line number in a file.
Pending: TypeAlias = tuple[BatchRequest | LineError, int | None]
Build: TypeAlias = Callable[..., "Call"]
Execute: TypeAlias = Callable[["Call"], Awaitable[None]]

# Results the sync facade fetches per trip into the loop thread: one trip per
# result would cost the caller's thread more than the request itself.
SYNC_PREFETCH: Final = 64


class BatchInputError(OpenAIError):
    """A request of the batch is not a valid Batch API request (the input's fault); it was not sent."""

    def __init__(self, message: str, *, code: str, line: int | None = None, index: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        """What is wrong: invalid_json_line, invalid_request, missing_custom_id, invalid_method,
        invalid_url or invalid_body."""
        self.line = line
        self.index = index


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class BatchResult:
    """One request's outcome: its answer, or the error it ended with.

    `body` is the answer's JSON (or its text when it is not JSON), for errors
    too; `response` is that body as the endpoint's typed object
    (`ChatCompletion`, `CreateEmbeddingResponse`, ...) when the request
    succeeded; `error` is the exception the same request would have raised
    from `create()` (`APIStatusError` subclasses, `APIConnectionError`, ...),
    or a `BatchInputError` for a request that could not be sent.
    """

    custom_id: str | None
    index: int
    """The request's position in the input, from 0."""
    line: int | None
    """Its line number (from 1) when it came from a file."""
    endpoint: str | None
    """e.g. "chat/completions"; None for an invalid request."""
    status_code: int | None
    """The HTTP status of the final answer; None when there was none."""
    request_id: str | None
    body: Any
    error: OpenAIError | None
    response: BatchResponse | None

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def tokens(self) -> int:
        """`usage.total_tokens` of the answer (0 when it has none)."""
        usage = self.body.get("usage") if isinstance(self.body, dict) else None
        total = usage.get("total_tokens") if isinstance(usage, dict) else None
        return total if isinstance(total, int) and not isinstance(total, bool) else 0

    def __repr__(self) -> str:
        outcome = "ok" if self.error is None else f"error={type(self.error).__name__}"
        return f"<BatchResult custom_id={self.custom_id!r} status_code={self.status_code} {outcome}>"


def error_code(error: OpenAIError) -> str:
    """The Batch API style `code` of a failure that has no HTTP answer to show."""
    if isinstance(error, BatchInputError):
        return error.code
    for kind, code in _ERROR_CODES:
        if isinstance(error, kind):
            return code
    return "client_error"


_ERROR_CODES: Final[tuple[tuple[type[OpenAIError], str], ...]] = (
    (APITimeoutError, "timeout"),
    (APIConnectionError, "connection_error"),
    (APIResponseValidationError, "invalid_response"),
    (RequestTooLargeError, "request_too_large"),
    (KeyProviderError, "api_key_error"),
    (ClientClosedError, "client_closed"),
)


# -- from a call's outcome to a result ----------------------------------------------


@functools.cache
def _model_for(endpoint: str) -> Callable[[dict[str, Any]], BaseModel]:
    # Imported on first use: the Responses types alone are a hundred modules.
    if endpoint == "chat/completions":
        from .types.chat import ChatCompletion

        return ChatCompletion._from_raw
    if endpoint == "completions":
        from .types import Completion

        return Completion._from_raw
    if endpoint == "embeddings":
        from .types import CreateEmbeddingResponse

        return CreateEmbeddingResponse._from_raw
    if endpoint == "moderations":
        from .types import ModerationCreateResponse

        return ModerationCreateResponse._from_raw
    from .types.responses import Response

    return Response._from_raw


def _typed(endpoint: str, body: dict[str, Any], request_id: str | None) -> Any:
    model = _model_for(endpoint)(body)
    model.__dict__["_request_id"] = request_id
    return model


def _error_of(call: Call) -> OpenAIError:
    """The exception the same request would raise from `create()`."""
    try:
        head = check_outcome(call)
        if isinstance(head, RawResponse):
            decode_json(call, head)  # a 2xx whose body is not JSON
    except OpenAIError as exc:
        return exc
    return OpenAIError("the request ended without a usable answer")


def _decode(content: bytes) -> tuple[Any, bool]:
    try:
        return json.loads(content), True
    except (ValueError, RecursionError):
        return content.decode("utf-8", errors="replace"), False


def result_of(call: Call, request: BatchRequest, index: int, line: int | None) -> BatchResult:
    """The result of a call that has run."""
    outcome = call.outcome
    if not isinstance(outcome, RawResponse):
        return BatchResult(
            request.custom_id, index, line, request.endpoint, None, None, None, _error_of(call), None
        )
    request_id = outcome.headers.get("x-request-id")
    body, is_json = _decode(outcome.content)
    if outcome.status < 400 and is_json and isinstance(body, dict):
        response = _typed(request.endpoint, body, request_id)
        return BatchResult(
            request.custom_id, index, line, request.endpoint, outcome.status, request_id, body, None, response
        )
    error = _error_of(call)
    return BatchResult(
        request.custom_id, index, line, request.endpoint, outcome.status, request_id, body, error, None
    )


def input_error_result(problem: LineError, index: int, line: int | None) -> BatchResult:
    error = BatchInputError(problem.message, code=problem.code, line=line, index=index)
    return BatchResult(problem.custom_id, index, line, None, None, None, None, error, None)


def _failure(request: BatchRequest, index: int, line: int | None, error: OpenAIError) -> BatchResult:
    return BatchResult(request.custom_id, index, line, request.endpoint, None, None, None, error, None)


# -- the input ----------------------------------------------------------------------


class Source(Protocol):
    """Requests in input order; `take` is never called by two tasks at once."""

    async def take(self, index: int) -> Pending | None:
        """The next request (its `index` counts from 0), or None at the end."""
        ...


_END: Final = object()


class _Requests:
    """The caller's iterable (or async iterable) of request dicts, checked as they are taken.

    A plain iterable is advanced in the event loop's thread (for `OpenAI`, the
    client's loop thread): it should not block for long, as any iterable
    consumed by async code.
    """

    def __init__(self, requests: Iterable[Any] | AsyncIterable[Any], base_path: str) -> None:
        self._base_path = base_path
        self._iter: Iterator[Any] | None = None
        self._aiter: AsyncIterator[Any] | None = None
        if isinstance(requests, AsyncIterable):
            self._aiter = aiter(requests)
        elif isinstance(requests, Iterable):
            self._iter = iter(requests)
        else:
            raise TypeError(f"requests must be an iterable or async iterable, not {type(requests).__name__}")

    async def take(self, index: int) -> Pending | None:
        if self._iter is not None:
            item = next(self._iter, _END)
            if item is _END:
                return None
        else:
            assert self._aiter is not None
            try:
                item = await anext(self._aiter)
            except StopAsyncIteration:
                return None
        return parse_request(item, index=index, base_path=self._base_path), None


# -- the driver ---------------------------------------------------------------------


class Driver:
    """Runs a batch: `workers` tasks taking requests from `source`, results out of `receive`.

    `open()` (in the event loop) makes the result stream; `run()` runs the
    workers until the input ends and every result is handed over, or until
    `cancel()`. `stop_taking()` lets the requests running finish and be
    delivered without taking more. The stream ends when `run()` ends; `error`
    then holds what stopped the input early, if anything did.
    """

    def __init__(
        self, build: Build, execute: Execute, source: Source, *, workers: int, window: int | None
    ) -> None:
        if workers < 1:
            raise ValueError(f"a batch needs at least 1 request in flight, not {workers}")
        self._build = build
        self._execute = execute
        self._source = source
        self._workers = workers
        self._window: ReorderWindow[BatchResult] | None = None if window is None else ReorderWindow(window)
        self._delivering = False
        self._taking = True
        self._cancelled = False
        self._scope: anyio.CancelScope | None = None
        self._send: MemoryObjectSendStream[BatchResult] | None = None
        self.receive: MemoryObjectReceiveStream[BatchResult] | None = None
        self._lock: anyio.Lock | None = None
        self._moved: anyio.Event | None = None
        self._finished: anyio.Event | None = None
        self.error: BaseException | None = None
        self.taken = 0
        self.running = 0
        """Requests taken and not yet answered."""
        # The calls in the client, each with the scope that withdraws it.
        self._calls: dict[Call, anyio.CancelScope] = {}

    # -- control (from the event loop's thread) ----------------------------------

    def open(self) -> MemoryObjectReceiveStream[BatchResult]:
        if self.receive is None:
            # No buffer: a finished result waits in its worker, which takes no
            # new request meanwhile. That is the backpressure on the input.
            self._send, self.receive = anyio.create_memory_object_stream[BatchResult](0)
            self._lock = anyio.Lock()
            self._moved = anyio.Event()
            self._finished = anyio.Event()
        return self.receive

    def stop_taking(self) -> None:
        """Take no more requests; those running finish and are delivered."""
        self._taking = False
        self._wake_takers()

    def withdraw_unsent(self) -> int:
        """Withdraw the requests never sent yet (waiting for the rate limits or a connection).

        They have no result; the others (sent, or waiting for a retry) go on.
        How many were withdrawn. Unordered batches only: a withdrawn request
        would leave a hole in the order.
        """
        if self._window is not None:
            raise RuntimeError("withdraw_unsent() is for unordered batches")
        unsent = [(call, scope) for call, scope in self._calls.items() if not call.sent_at]
        for call, scope in unsent:
            # Withdrawn now, not when the cancellation reaches its task: a lane
            # could take it and send it in between.
            call.abandon()
            scope.cancel()
        return len(unsent)

    @property
    def sent(self) -> int:
        """Requests running that have been sent at least once."""
        return sum(1 for call in self._calls if call.sent_at)

    def cancel(self) -> None:
        """Stop at once: requests running are withdrawn, their results never delivered."""
        self.stop_taking()
        self._cancelled = True
        if self._scope is not None:
            self._scope.cancel()

    def abandon(self) -> None:
        """Nobody will read the results any more (the results object went away)."""
        self.cancel()
        if self.receive is not None:
            self.receive.close()

    async def aclose(self) -> None:
        self.abandon()
        if self._finished is not None and self._scope is not None:
            await self._finished.wait()

    def take_error(self) -> BaseException | None:
        error, self.error = self.error, None
        return error

    # -- running --------------------------------------------------------------------

    async def run(self) -> None:
        """Run the workers; never raises but for cancellation (a bug is kept in `error`)."""
        self.open()
        assert self._send is not None
        assert self._finished is not None
        try:
            with self._send, anyio.CancelScope() as scope:
                self._scope = scope
                if self._cancelled:
                    scope.cancel()
                async with anyio.create_task_group() as tg:
                    for _ in range(self._workers):
                        tg.start_soon(self._worker)
        except Exception as exc:  # a bug in here: the caller sees it rather than a short batch
            self.error = (
                exc.exceptions[0] if isinstance(exc, ExceptionGroup) and len(exc.exceptions) == 1 else exc
            )
        finally:
            self._finished.set()

    async def _worker(self) -> None:
        while (taken := await self._take()) is not None:
            index, (request, line) = taken
            self.running += 1
            try:
                result = await self._run_one(index, request, line)
            finally:
                self.running -= 1
            if result is not None:
                await self._deliver(index, result)

    async def _take(self) -> tuple[int, Pending] | None:
        assert self._lock is not None
        async with self._lock:
            index = self.taken
            window = self._window
            while self._taking and window is not None and not window.admits(index):
                assert self._moved is not None
                await self._moved.wait()
            if not self._taking:
                return None
            try:
                pending = await self._source.take(index)
            except Exception as exc:  # the caller's iterable failed: deliver what runs, then raise it
                self.error = exc
                pending = None
            if pending is None:
                self._taking = False
                return None
            self.taken += 1
            return index, pending

    async def _run_one(
        self, index: int, request: BatchRequest | LineError, line: int | None
    ) -> BatchResult | None:
        """The request's result; None if it was withdrawn before it was sent."""
        if isinstance(request, LineError):
            return input_error_result(request, index, line)
        try:
            call = self._build("POST", request.endpoint, body=request.body)
        except (TypeError, ValueError) as exc:  # a body that cannot be sent as JSON (NaN, an object)
            where = f"line {line}" if line is not None else f"request {index}"
            problem = LineError("invalid_body", f"{where}: {exc}", request.custom_id)
            return input_error_result(problem, index, line)
        call.submitted_at = time.perf_counter()
        with anyio.CancelScope() as scope:
            self._calls[call] = scope
            try:
                await self._execute(call)
            except OpenAIError as exc:  # the client was closed under the batch
                return _failure(request, index, line, exc)
            finally:
                del self._calls[call]
        if scope.cancelled_caught:
            return None
        return result_of(call, request, index, line)

    async def _deliver(self, index: int, result: BatchResult) -> None:
        assert self._send is not None
        try:
            window = self._window
            if window is None:
                await self._send.send(result)
                return
            window.put(index, result)
            if self._delivering:
                return  # the worker delivering picks it up when it is next: nothing awaits in between
            self._delivering = True
            try:
                while (ready := window.pop()) is not None:
                    self._wake_takers()
                    await self._send.send(ready)
            finally:
                self._delivering = False
        except (anyio.BrokenResourceError, anyio.ClosedResourceError):
            self.stop_taking()  # nobody reads the results any more

    def _wake_takers(self) -> None:
        if self._moved is not None:
            self._moved.set()
            self._moved = anyio.Event()


def worker_count(client: AsyncOpenAI | OpenAI, max_in_flight: int | None) -> int:
    """How many requests a batch keeps in the client: as asked, else the client's own limit."""
    if max_in_flight is not None:
        if isinstance(max_in_flight, bool) or not isinstance(max_in_flight, int) or max_in_flight < 1:
            raise ValueError(f"max_in_flight must be a positive int, not {max_in_flight!r}")
        return max_in_flight
    rate = client._rate_limit
    if rate is not None and rate.max_in_flight is not None:
        return rate.max_in_flight
    return client._max_connections


def _window(ordered: bool, reorder_window: int | None, workers: int) -> int | None:
    if reorder_window is not None:
        if not ordered:
            raise ValueError("reorder_window applies to ordered=True only")
        if isinstance(reorder_window, bool) or not isinstance(reorder_window, int) or reorder_window < 1:
            raise ValueError(f"reorder_window must be a positive int, not {reorder_window!r}")
        return reorder_window
    return workers if ordered else None


# -- the async facade -----------------------------------------------------------------

# Background drivers, strongly held: asyncio keeps only weak references to tasks.
_BACKGROUND: set[asyncio.Task[None]] = set()


def _spawn(run: Callable[[], Awaitable[None]]) -> Any:
    """Start `run` as a background task of the running loop; the loop (or trio token) it runs in."""
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        import trio

        trio.lowlevel.spawn_system_task(run, name="openai-actors-batch", context=contextvars.copy_context())
        return trio.lowlevel.current_trio_token()

    async def main() -> None:
        await run()

    task = loop.create_task(main(), name="openai-actors-batch")
    _BACKGROUND.add(task)
    task.add_done_callback(_BACKGROUND.discard)
    return loop


def _driver(
    client: AsyncOpenAI | OpenAI,
    execute: Callable[[Call], Awaitable[None]],
    requests: Iterable[Any] | AsyncIterable[Any],
    max_in_flight: int | None,
    ordered: bool,
    reorder_window: int | None,
) -> Driver:
    workers = worker_count(client, max_in_flight)
    return Driver(
        client._build,
        execute,
        _Requests(requests, client._options.base_path),
        workers=workers,
        window=_window(ordered, reorder_window, workers),
    )


class AsyncBatchResults(AsyncIterator[BatchResult]):
    """The results of `AsyncOpenAI.batch()`, as they complete (or in input order, if asked).

    Iterate it once. Nothing is taken from the input before the first
    `__anext__`. `aclose()` (or leaving `async with`) stops the batch and
    withdraws the requests still running.
    """

    def __init__(
        self,
        client: AsyncOpenAI,
        requests: Iterable[Any] | AsyncIterable[Any],
        *,
        max_in_flight: int | None = None,
        ordered: bool = False,
        reorder_window: int | None = None,
    ) -> None:
        self._driver = _driver(client, client._execute, requests, max_in_flight, ordered, reorder_window)
        self._receive: MemoryObjectReceiveStream[BatchResult] | None = None
        self._finalizer: weakref.finalize[Any, Any] | None = None
        self._done = False

    def __aiter__(self) -> AsyncBatchResults:
        return self

    async def __anext__(self) -> BatchResult:
        if self._done:
            raise StopAsyncIteration
        receive = self._receive
        if receive is None:
            receive = self._start()
        try:
            return await receive.receive()
        except (anyio.EndOfStream, anyio.ClosedResourceError):
            pass
        self._done = True
        receive.close()
        if self._finalizer is not None:
            self._finalizer.detach()
        error = self._driver.take_error()
        if error is not None:
            raise error
        raise StopAsyncIteration

    def _start(self) -> MemoryObjectReceiveStream[BatchResult]:
        driver = self._driver
        self._receive = receive = driver.open()
        loop = _spawn(driver.run)
        # Never `self` in the callback: the finalizer must not keep us alive.
        self._finalizer = weakref.finalize(self, call_in_loop, loop, driver.abandon)
        self._finalizer.atexit = False
        return receive

    async def aclose(self) -> None:
        """Stop the batch: no more requests are taken, those running are withdrawn."""
        self._done = True
        if self._finalizer is not None:
            self._finalizer.detach()
        if self._receive is not None:
            await self._driver.aclose()

    async def __aenter__(self) -> AsyncBatchResults:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()


# -- the sync facade --------------------------------------------------------------------


class BatchResults(Iterator[BatchResult]):
    """The results of `OpenAI.batch()`: the batch runs in the client's loop thread.

    Iterate it once, from one thread. `close()` (or leaving `with`) stops the
    batch and withdraws the requests still running.
    """

    def __init__(
        self,
        client: OpenAI,
        requests: Iterable[Any],
        *,
        max_in_flight: int | None = None,
        ordered: bool = False,
        reorder_window: int | None = None,
    ) -> None:
        self._driver = _driver(client, client._submit, requests, max_in_flight, ordered, reorder_window)
        self._portal = client._portal
        self._buffer: deque[BatchResult] = deque()
        self._started = False
        self._done = False
        self._finalizer: weakref.finalize[Any, Any] | None = None

    def __iter__(self) -> BatchResults:
        return self

    def __next__(self) -> BatchResult:
        if self._buffer:
            return self._buffer.popleft()
        if self._done:
            raise StopIteration
        if not self._started:
            self._start()
        results: list[BatchResult] = self._portal.call(_receive_some, self._driver, SYNC_PREFETCH)
        if results:
            self._buffer.extend(results[1:])
            return results[0]
        self._done = True
        if self._finalizer is not None:
            self._finalizer.detach()
        error = self._driver.take_error()
        if error is not None:
            raise error
        raise StopIteration

    def _start(self) -> None:
        self._started = True
        driver = self._driver
        self._portal.call(driver.open)
        self._portal.start(driver.run)
        self._finalizer = weakref.finalize(self, self._portal.call_soon, driver.abandon)
        self._finalizer.atexit = False

    def close(self) -> None:
        """Stop the batch: no more requests are taken, those running are withdrawn."""
        self._done = True
        self._buffer.clear()
        if self._finalizer is not None:
            self._finalizer.detach()
        if self._started:
            with contextlib.suppress(ClientClosedError):  # closing the client stopped it already
                self._portal.call(self._driver.aclose)

    def __enter__(self) -> BatchResults:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


async def _receive_some(driver: Driver, limit: int) -> list[BatchResult]:
    """At least one result (waiting for it), and up to `limit` of those ready; [] at the end."""
    receive = driver.receive
    assert receive is not None
    try:
        results = [await receive.receive()]
    except (anyio.EndOfStream, anyio.ClosedResourceError):
        receive.close()
        return []
    while len(results) < limit:
        try:
            results.append(receive.receive_nowait())
        except (anyio.WouldBlock, anyio.EndOfStream, anyio.ClosedResourceError):
            break
    return results
