"""The dispatcher: the actor that owns the connections, the key and the retry schedule.

Theory of operation
-------------------
Callers never touch the network. A caller builds a `Call`, sends it into the
dispatcher's inbox (a bounded anyio memory stream, so a flood of callers waits
there instead of piling up inside) and waits for the call's single outcome.

Inside, a few kinds of task share one task group, all in one event loop, so
the state below needs no locks:

* the admission loop takes calls from the inbox in order and hands each to a
  lane of its origin (the rate-limit issue adds its wait here);
* lanes: each lane owns one `Channel` (for the native transport, one
  keep-alive connection) and runs one call at a time; a lane is spawned when
  none is idle, up to `max_connections` per origin, and retires after
  `LANE_IDLE` seconds without work. Idle lanes are a stack, so a light load
  keeps reusing the same few warm connections and the rest retire;
* the retry timer: a failed attempt that may be retried goes into a heap with
  its due time, holding no connection and no task; when due, it goes back
  through the inbox, so retries are admitted like everything else;
* key fetches (`_keys.py`), one at a time.

A caller that stops waiting marks its call abandoned: a queued call is skipped,
a running attempt is cancelled (and its connection closed, since its state is
unknown). Stopping the dispatcher, for `close()` or because of a bug in here,
resolves every call it still holds with an error: nobody waits forever.
"""

from __future__ import annotations

import heapq
import itertools
import random
import time
from collections.abc import Callable
from typing import Final

import anyio
import anyio.abc
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

from . import _logging
from ._call import Call, CallState, StreamBody
from ._exceptions import ClientClosedError, KeyProviderError, OpenAIError
from ._redirect import MAX_REDIRECTS, RedirectError, follow
from ._retry import retry_delay
from ._transport import (
    Channel,
    Origin,
    RawResponse,
    ResponseStream,
    Transport,
    TransportError,
    TransportTimeout,
    read_response,
)

__all__ = ["DEFAULT_INBOX_SIZE", "Dispatcher"]

DEFAULT_INBOX_SIZE: Final = 256
LANE_IDLE: Final = 5.0
# Chunks of a stream's body in flight between its lane and its reader.
STREAM_BUFFER: Final = 16


class _Lane:
    __slots__ = ("call", "wake")

    def __init__(self) -> None:
        self.call: Call | None = None
        self.wake: anyio.Event | None = None

    def assign(self, call: Call) -> None:
        self.call = call
        assert self.wake is not None
        self.wake.set()


class _Pool:
    """The lanes of one origin."""

    __slots__ = ("backlog", "backlog_taken", "idle", "lanes")

    def __init__(self) -> None:
        self.lanes = 0
        self.idle: list[_Lane] = []
        # The one call the admission loop holds while every lane is busy.
        self.backlog: Call | None = None
        self.backlog_taken: anyio.Event | None = None


class Dispatcher:
    def __init__(
        self,
        transport: Transport,
        *,
        max_connections: int,
        inbox_size: int = DEFAULT_INBOX_SIZE,
        follow_redirects: bool = True,
        rand: Callable[[], float] = random.random,
    ) -> None:
        self._transport = transport
        self._max_lanes = max_connections
        self._follow_redirects = follow_redirects
        self._rand = rand
        # Made here, not in run(): callers may submit before the task first runs.
        self._inbox_send: MemoryObjectSendStream[Call]
        self._inbox_recv: MemoryObjectReceiveStream[Call]
        self._inbox_send, self._inbox_recv = anyio.create_memory_object_stream[Call](inbox_size)
        self._pools: dict[Origin, _Pool] = {}
        self._outstanding: set[Call] = set()
        self._retry_heap: list[tuple[float, int, Call]] = []
        self._retry_seq = itertools.count()
        self._retry_scope: anyio.CancelScope | None = None
        self._task_group: anyio.abc.TaskGroup | None = None
        self._stopped: anyio.Event | None = None
        self.running = False
        self.closed = False

    # -- life cycle ---------------------------------------------------------------

    async def run(self, *, task_status: anyio.abc.TaskStatus[None] = anyio.TASK_STATUS_IGNORED) -> None:
        """Run until `stop()`; started with `task_group.start(dispatcher.run)`."""
        if self.running or self.closed:
            raise RuntimeError("a dispatcher runs once")
        self._stopped = anyio.Event()
        crash: BaseException | None = None
        try:
            async with anyio.create_task_group() as tg:
                self._task_group = tg
                self.running = True
                tg.start_soon(self._retry_timer)
                task_status.started()
                await self._admission_loop()
        except Exception as exc:  # a bug in here: fail every call rather than hang it
            crash = exc
        finally:
            self.running = False
            self.closed = True
            with anyio.CancelScope(shield=True):
                self._fail_everything(crash)
                await self._transport.aclose()
            self._stopped.set()
        if crash is not None:
            _logging.emit("dispatcher.crashed", error=repr(crash))

    def stop(self) -> None:
        """Stop the dispatcher; every call it holds fails with ClientClosedError. Idempotent."""
        self.closed = True
        if self._task_group is not None:
            self._task_group.cancel_scope.cancel()

    async def wait_stopped(self) -> None:
        if self._stopped is not None and self.running:
            await self._stopped.wait()

    def _fail_everything(self, crash: BaseException | None) -> None:
        calls = set(self._outstanding)
        self._outstanding.clear()
        recv = self._inbox_recv
        while True:
            try:
                calls.add(recv.receive_nowait())
            except (anyio.WouldBlock, anyio.EndOfStream, anyio.ClosedResourceError):
                break
        recv.close()  # callers still blocked sending get BrokenResourceError
        self._inbox_send.close()
        for call in calls:
            if crash is None:
                call.resolve(ClientClosedError("the client was closed before this request completed"))
            else:
                error = OpenAIError(f"the client's dispatcher failed: {crash!r}")
                error.__cause__ = crash
                call.resolve(error)

    # -- the caller's side --------------------------------------------------------

    async def submit(self, call: Call) -> None:
        """Hand `call` to the dispatcher and wait for its outcome (in `call.outcome`)."""
        send = self._inbox_send
        if self.closed:
            raise ClientClosedError("the client is closed")
        call.done = anyio.Event()
        try:
            try:
                await send.send(call)
            except (anyio.BrokenResourceError, anyio.ClosedResourceError):
                raise ClientClosedError("the client is closed") from None
            await call.done.wait()
        except BaseException:
            call.abandon()
            raise

    # -- admission ----------------------------------------------------------------

    async def _admission_loop(self) -> None:
        recv = self._inbox_recv
        while True:
            try:
                call = recv.receive_nowait()
            except anyio.WouldBlock:
                call = await recv.receive()
            if call.state is not CallState.QUEUED:
                self._outstanding.discard(call)
                continue
            self._outstanding.add(call)
            call.admitted_at = anyio.current_time()
            await self._hand_off(call)

    async def _hand_off(self, call: Call) -> None:
        pool = self._pools.get(call.origin)
        if pool is None:
            pool = self._pools[call.origin] = _Pool()
        while True:
            if pool.idle:
                pool.idle.pop().assign(call)
                return
            if pool.lanes < self._max_lanes:
                pool.lanes += 1
                assert self._task_group is not None
                self._task_group.start_soon(self._lane, pool, call)
                return
            # Every lane is busy: park the call where the next free lane looks first.
            pool.backlog = call
            taken = pool.backlog_taken = anyio.Event()
            await taken.wait()
            return

    # -- lanes --------------------------------------------------------------------

    async def _lane(self, pool: _Pool, first: Call) -> None:
        channel = self._transport.open_channel()
        lane = _Lane()
        call: Call | None = first
        try:
            while call is not None:
                await self._serve(channel, call)
                call = self._next_from_backlog(pool)
                if call is None:
                    call = await self._wait_idle(pool, lane)
        finally:
            pool.lanes -= 1
            await channel.aclose()

    @staticmethod
    def _next_from_backlog(pool: _Pool) -> Call | None:
        call = pool.backlog
        if call is not None:
            pool.backlog = None
            assert pool.backlog_taken is not None
            pool.backlog_taken.set()
        return call

    @staticmethod
    async def _wait_idle(pool: _Pool, lane: _Lane) -> Call | None:
        lane.call = None
        lane.wake = anyio.Event()
        pool.idle.append(lane)
        with anyio.move_on_after(LANE_IDLE):
            await lane.wake.wait()
        # Checked after the wait, not from how it ended: an assignment that
        # raced the idle timeout still has to be served.
        call = lane.call
        if call is None:
            pool.idle.remove(lane)
        return call

    async def _serve(self, channel: Channel, call: Call) -> None:
        """Run `call` on this lane until it is resolved, scheduled for a retry, or abandoned."""
        again = True
        while again:
            if call.state is not CallState.QUEUED:  # abandoned while it waited
                self._outstanding.discard(call)
                return
            pool_timeout = call.timeouts.pool
            if pool_timeout is not None and anyio.current_time() - call.admitted_at > pool_timeout:
                self._settle_failure(call, TransportTimeout("pool", pool_timeout))
                return
            call.state = CallState.RUNNING
            key: str | None = None
            outcome: RawResponse | Exception | None = None
            with anyio.CancelScope() as scope:
                call.scope = scope
                try:
                    if call.auth:
                        assert call.keys is not None
                        key = call.keys.cached()
                        if key is None:
                            assert self._task_group is not None
                            key = await call.keys.get(self._task_group)
                    response = await self._attempt(channel, call, key)
                    if isinstance(response, RawResponse | Exception):
                        outcome = response
                    else:
                        await self._pump(call, response)
                except KeyProviderError as exc:
                    outcome = exc
            call.scope = None
            if outcome is None or call.state is CallState.ABANDONED or scope.cancelled_caught:
                # Delivered as a stream, or given up by the caller.
                self._outstanding.discard(call)
                return
            if isinstance(outcome, RawResponse):
                again = self._settle_response(call, outcome, key)
            else:
                self._settle_failure(call, outcome)
                again = False

    async def _attempt(
        self, channel: Channel, call: Call, key: str | None
    ) -> RawResponse | ResponseStream | Exception:
        """One attempt: a whole response, a stream's head (for a stream call that got 2xx), or why not."""
        request = call.wire(key)
        call.attempts += 1
        debug = _logging.enabled()
        if debug:
            _logging.emit("request.start", method=call.method, url=call.url, attempt=call.attempts)
        started = call.started_at = anyio.current_time()
        response: RawResponse | ResponseStream | Exception
        try:
            stream = await channel.open(request, call.timeouts)
            if call.stream and 200 <= stream.status < 300:
                response = stream
            else:
                response = await read_response(stream)
        except TransportError as exc:
            response = exc
        except Exception as exc:  # a bug in a transport must cost this call only
            response = OpenAIError(f"unexpected error while sending the request: {exc!r}")
            response.__cause__ = exc
        call.elapsed = anyio.current_time() - started
        if debug:
            failed = isinstance(response, Exception)
            _logging.emit(
                "request.finish",
                method=call.method,
                url=call.url,
                attempt=call.attempts,
                status=None if isinstance(response, Exception) else response.status,
                error=str(response) if failed else None,
                request_id=None if isinstance(response, Exception) else response.headers.get("x-request-id"),
                elapsed=round(call.elapsed, 6),
            )
        return response

    async def _pump(self, call: Call, response: ResponseStream) -> None:
        """Deliver a stream to its caller, then feed it the body as it arrives.

        Runs under the call's scope, which the reader cancels by closing the
        stream. A failure mid-body is handed to the reader, never retried:
        part of the answer is already out.
        """
        send, receive = anyio.create_memory_object_stream[bytes | TransportError](STREAM_BUFFER)
        body = StreamBody(
            call, response.status, response.reason, response.headers, response.http_version, receive
        )
        self._finish(call, body)
        if call.outcome is not body:  # the caller gave up just before the head came
            send.close()
            receive.close()
            await response.aclose()
            return
        try:
            with send:
                try:
                    while (chunk := await response.next_chunk()) is not None:
                        await send.send(chunk)
                except TransportError as exc:
                    await send.send(exc)
        except (anyio.BrokenResourceError, anyio.ClosedResourceError):
            pass  # the reader closed the stream: stop reading the body
        finally:
            await response.aclose()

    # -- outcomes -----------------------------------------------------------------

    def _settle_response(self, call: Call, response: RawResponse, key: str | None) -> bool:
        """Resolve, retry later or redirect `call`; True to run it again on this lane now."""
        status = response.status
        if status < 300:
            self._finish(call, response)
            return False
        if status == 401 and key is not None and not call.reauthenticated:
            assert call.keys is not None
            if call.keys.invalidate(key):
                # The key may have been rotated: fetch a fresh one and try once
                # more, right away; this is not one of the retries.
                call.reauthenticated = True
                call.state = CallState.QUEUED
                return True
        if status < 400:
            self._maybe_redirect(call, response)
            return False
        delay = retry_delay(
            retries_taken=call.retries_taken,
            max_retries=call.max_retries,
            status=status,
            headers=response.headers,
            replayable=call.replayable,
            now=time.time(),
            rand=self._rand(),
        )
        if delay is None:
            self._finish(call, response)
        else:
            self._schedule_retry(call, delay, f"status {status}")
        return False

    def _settle_failure(self, call: Call, error: Exception) -> None:
        if isinstance(error, TransportError):
            delay = retry_delay(
                retries_taken=call.retries_taken,
                max_retries=call.max_retries,
                status=None,
                headers=None,
                replayable=call.replayable,
                now=time.time(),
                rand=self._rand(),
            )
            if delay is not None:
                self._schedule_retry(call, delay, str(error))
                return
        self._finish(call, error)

    def _maybe_redirect(self, call: Call, response: RawResponse) -> None:
        if not (self._follow_redirects and call.follow_redirects):
            self._finish(call, response)
            return
        try:
            redirect = follow(
                call.method, call.origin, call.target, response.status, response.headers.get("location")
            )
            if redirect is not None and call.redirects >= MAX_REDIRECTS:
                raise RedirectError(f"more than {MAX_REDIRECTS} redirects")
        except RedirectError as exc:
            self._finish(call, TransportError(str(exc)))
            return
        if redirect is None:
            self._finish(call, response)
            return
        call.redirects += 1
        call.method = redirect.method
        call.origin = redirect.origin
        call.target = redirect.target
        if not redirect.keep_body:
            call.content = b""
        if not redirect.keep_credentials:
            call.auth = False
        call.state = CallState.QUEUED
        self._outstanding.discard(call)
        self._requeue(call)

    def _finish(self, call: Call, outcome: RawResponse | StreamBody | Exception) -> None:
        self._outstanding.discard(call)
        call.resolve(outcome)

    # -- the retry schedule -------------------------------------------------------

    def _schedule_retry(self, call: Call, delay: float, reason: str) -> None:
        if _logging.enabled():
            _logging.emit(
                "request.retry",
                method=call.method,
                url=call.url,
                attempt=call.attempts,
                delay=delay,
                reason=reason,
            )
        call.retries_taken += 1
        call.state = CallState.QUEUED
        due = anyio.current_time() + delay
        heapq.heappush(self._retry_heap, (due, next(self._retry_seq), call))
        scope = self._retry_scope
        if scope is not None and due < scope.deadline:
            scope.deadline = due

    async def _retry_timer(self) -> None:
        heap = self._retry_heap
        while True:
            with anyio.CancelScope(deadline=heap[0][0] if heap else float("inf")) as scope:
                self._retry_scope = scope
                await anyio.sleep_forever()
            self._retry_scope = None
            now = anyio.current_time()
            while heap and heap[0][0] <= now:
                _, _, call = heapq.heappop(heap)
                if call.state is CallState.QUEUED:
                    self._outstanding.discard(call)
                    await self._requeue_async(call)
                else:
                    self._outstanding.discard(call)

    def _requeue(self, call: Call) -> None:
        """Back through admission without waiting; used for redirects, from a lane."""
        assert self._task_group is not None
        self._task_group.start_soon(self._requeue_async, call)

    async def _requeue_async(self, call: Call) -> None:
        send = self._inbox_send
        # Registered while it waits for room in the inbox, so that a stop()
        # in the meantime still resolves it.
        self._outstanding.add(call)
        await send.send(call)
