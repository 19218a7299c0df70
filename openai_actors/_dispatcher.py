"""The dispatcher: the actor that owns the connections, the key and the retry schedule.

Theory of operation
-------------------
Callers never touch the network. A caller builds a `Call`, sends it into the
dispatcher's inbox (a bounded anyio memory stream, so a flood of callers waits
there instead of piling up inside) and waits for the call's single outcome.

Inside, a few kinds of task share one task group, all in one event loop, so
the state below needs no locks:

* the admission loop takes calls from the inbox in order and puts each in the
  queue of its origin (the rate-limit issue adds its wait here); it never
  waits for a connection, so a busy origin does not hold up another. When
  the client is idle (nothing in flight, the inbox empty, no limit set or in
  force), `submit` does this same work in the caller's task instead, without
  awaiting in between: the order and the state are the same, and a lone
  caller's request skips a task switch;
* lanes: each lane owns one `Channel` (for the native transport, one
  keep-alive connection) and runs one call at a time, taking the next from its
  origin's queue. A lane is spawned when none is idle, up to `max_connections`
  per origin, and retires after `LANE_IDLE` seconds without work. Idle lanes
  are a stack, so a light load keeps reusing the same few warm connections;
* timers: a failed attempt that may be retried goes into a heap with its due
  time, holding no connection and no task, and goes back through the inbox
  when due (so retries are admitted like everything else); a call waiting in
  a queue longer than its pool timeout fails with APITimeoutError;
* key fetches (`_keys.py`), one at a time: a callable api_key, or a workload
  identity's token exchange (`auth/_exchange.py`);
* with limits shared between processes, the shell (`_shared_redis.py`) that
  asks Redis for leases of them: admission takes a request's units from the
  lease book (`_shared_leases.py`) after its pacer allows it, and waits for the
  shell's answer when the book has none; closing gives back what is held.

The choices are made in sans-IO pieces and only applied here: what follows
an attempt (finish, retry at T, re-authenticate, redirect, pause everyone
until T) in `_decisions.py`; which lane serves, retires or expires in
`_pools.py`; when admission may go in `_pacing.py`; retry delays in
`_retry.py`. Every time here is the event loop's clock, so a loop with a fake
clock (tests/virtual_time.py) over an in-memory transport (`_mock_transport.py`)
drives all of it without sockets or sleeps.

Ownership, the invariant that makes "exactly one outcome" checkable: a call is
in `_outstanding` from when admission first takes it until it is resolved or
withdrawn, wherever it is meanwhile (a queue, a lane, the retry heap, back in
the inbox). Stopping the dispatcher, for `close()` or because of a bug in
here, resolves every call in `_outstanding` and in the inbox with an error.

A caller that stops waiting withdraws its call (`withdraw`): a queued call
leaves its queue, a running attempt is cancelled (and its connection closed,
since its state is unknown), a call waiting for a retry is dropped when due.
"""

from __future__ import annotations

import contextvars
import heapq
import itertools
import logging
import random
import time
import traceback
from collections.abc import Callable
from typing import TYPE_CHECKING, Final, TypeVar

import anyio
import anyio.abc
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

from . import _logging
from ._call import END_OF_BODY, Call, CallState, Piece, StreamBody
from ._decisions import (
    Decision,
    Fail,
    Finish,
    FollowRedirect,
    Pause,
    Reauthenticate,
    Retry,
    after_error,
    after_response,
    pause_after_429,
)
from ._exceptions import (
    ClientClosedError,
    KeyProviderError,
    OpenAIError,
    RequestTooLargeError,
    SharedLimitsError,
)
from ._keys import KeySource, KeyUnavailable
from ._pacing import Pacer, read_server_limits
from ._pools import Lane, Pool
from ._ratelimit import Counters
from ._redirect import Redirect
from ._shared import SharedLimits
from ._shared_leases import LeaseBook
from ._signals import Signal, loop_clock, signal_factory
from ._tokens import usage_tokens
from ._transport import (
    Channel,
    Deadline,
    DeliverAsIs,
    Origin,
    RawResponse,
    ResponseStream,
    Transport,
    TransportError,
    TransportTimeout,
    read_response,
)

if TYPE_CHECKING:
    from ._shared_redis import SharedShell

__all__ = ["DEFAULT_INBOX_SIZE", "Dispatcher"]

# The inbox's bound. A call in the inbox costs a slot in a deque; a caller
# blocked because the inbox is full costs about 3 KB more (anyio's blocking
# send: an event, its waiters, coroutines), and the calls exist either way.
# So the bound is set above the bursts a client sees (thousands of tasks
# submitting in one turn of the loop, before admission runs), and only a flood
# beyond it waits outside (bench/README.md, memory).
DEFAULT_INBOX_SIZE: Final = 16384
LANE_IDLE: Final = 5.0
# How often the watchdog checks the lanes' deadlines: a timeout fires up to this late.
WATCH_TICK: Final = 0.05
# Chunks of a stream's body in flight between its lane and its reader.
STREAM_BUFFER: Final = 16
_INF: Final = float("inf")


class Dispatcher:
    def __init__(
        self,
        transport: Transport,
        *,
        max_connections: int,
        inbox_size: int = DEFAULT_INBOX_SIZE,
        follow_redirects: bool = True,
        rand: Callable[[], float] = random.random,
        wall: Callable[[], float] = time.time,
        pacer: Pacer | None = None,
        max_in_flight: int | None = None,
        counters: Counters | None = None,
        shared: SharedLimits | None = None,
        book: LeaseBook | None = None,
    ) -> None:
        self._transport = transport
        self._pacer = pacer
        # Limits shared with other processes: the leases held (the book, which
        # outlives this loop as the pacer does) and the task that asks Redis.
        self._shared = shared
        self._book = book
        self._shell: SharedShell | None = None
        self._max_in_flight = max_in_flight
        self.counters = counters if counters is not None else Counters()
        # The call admission is holding until the limits let it go, and how to wake it.
        self._holding: Call | None = None
        self._admission_scope: anyio.CancelScope | None = None
        self._max_lanes = max_connections
        self._follow_redirects = follow_redirects
        self._rand = rand
        self._wall = wall  # for HTTP dates in retry-after; every other time is the loop's clock
        self.pause_cause: str | None = None  # why the last 429's pause (the pacer keeps its end)
        self._spent_noted = 0.0  # the end of the last spent window a warning told of
        # Made here, not in run(): callers may submit before the task first runs.
        self._inbox_send: MemoryObjectSendStream[Call]
        self._inbox_recv: MemoryObjectReceiveStream[Call]
        self._inbox_send, self._inbox_recv = anyio.create_memory_object_stream[Call](inbox_size)
        self._new_signal: Callable[[], Signal] | None = None  # chosen in the loop, by whoever needs one first
        # The loop's clock, as anyio.current_time() reads it but without looking
        # up the backend on each call (a tenth of the cost on asyncio; it is
        # read several times a request). Chosen in run(), in the loop.
        self._now: Callable[[], float] = anyio.current_time
        # The context lanes start in (see _hand_off); taken in run(), in the dispatcher's task.
        self._context = contextvars.Context()
        # Set by whoever fills the empty inbox while admission waits on it (see _admission_loop).
        self._inbox_filled: Signal | None = None
        # Admission has stopped: the task group is closing, and takes no new task.
        self._stopping = False
        self._pools: dict[Origin, Pool] = {}
        self._outstanding: set[Call] = set()
        self._retry_heap: list[tuple[float, int, Call]] = []
        self._retry_seq = itertools.count()
        self._timer_scope: anyio.CancelScope | None = None
        self._deadlines: set[Deadline] = set()
        self._watch_idle: anyio.Event | None = None
        self._task_group: anyio.abc.TaskGroup | None = None
        self._stopped: anyio.Event | None = None
        self._started: anyio.Event | None = None  # made by the first `host()` waiting for run()
        self.running = False
        self.closed = False

    # -- life cycle ---------------------------------------------------------------

    async def run(self, *, task_status: anyio.abc.TaskStatus[None] = anyio.TASK_STATUS_IGNORED) -> None:
        """Run until `stop()`; started with `task_group.start(dispatcher.run)`."""
        self._stopped = anyio.Event()
        self._now = loop_clock()
        if self._pacer is not None:
            self._pacer.use_clock(self._now)
        self._context = contextvars.copy_context()
        if self.running or self.closed:
            # Stopped before it ever ran (close() right after the first request):
            # whatever reached the inbox meanwhile still gets its answer.
            self._fail_everything(None)
            self._stopped.set()
            task_status.started()
            return
        crash: BaseException | None = None
        try:
            async with anyio.create_task_group() as tg:
                self._task_group = tg
                self.running = True
                if self._started is not None:
                    self._started.set()
                tg.start_soon(self._timer)
                tg.start_soon(self._watchdog)
                if self._shared is not None and self._book is not None:
                    from ._shared_redis import SharedShell  # redis-py only when limits are shared

                    self._shell = SharedShell(
                        self._shared,
                        self._book,
                        clock=self._now,
                        head_cost=self._head_cost,
                        waiting=self.waiting,
                        recheck=self._recheck_admission,
                        paused=self._peer_pause,
                    )
                    await tg.start(self._shell.run)
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
                if self._shell is not None:  # after the refunds: what was held goes back to Redis
                    await self._shell.release()
            self._stopped.set()
            if self._started is not None:
                self._started.set()  # a host() still waiting sees the dispatcher closed
        if crash is not None:
            # The traceback as text, not exc_info: renderers of exc_info (structlog's
            # dict tracebacks, Sentry) include frames' locals, and some hold the key.
            text = "".join(traceback.format_exception(crash))
            logging.getLogger("openai_actors").error("the dispatcher failed: %r\n%s", crash, text)

    async def host(self) -> anyio.abc.TaskGroup:
        """The task group the dispatcher's tasks run in, for a long-lived task of the client's (a realtime connection).

        Such a task must catch its own exceptions (one would stop the
        dispatcher); it is cancelled when the dispatcher stops.
        """
        if self._task_group is None and not self.closed:
            if self._started is None:
                self._started = anyio.Event()
            await self._started.wait()
        if self.closed or self._task_group is None:
            raise ClientClosedError("the client is closed")
        return self._task_group

    async def key(self, keys: KeySource) -> str:
        """The key from `keys`, fetched in the dispatcher's task group if need be (so one fetch serves everyone)."""
        key = keys.cached()
        if key is not None:
            return key
        try:
            return await keys.get(await self.host())
        except KeyUnavailable as exc:
            raise exc.error from None

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
            # Its place in flight and its tokens, for stats() after the close, and
            # (never sent) its reservation, for the pacer, which outlives this loop.
            self._release(call, refund=call.attempts == call.attempts_at_admission)
            error: OpenAIError
            if crash is None:
                error = ClientClosedError("the client was closed before this request completed")
            else:
                error = OpenAIError(f"the client's dispatcher failed: {crash!r}")
                error.__cause__ = crash
            if call.resolve(error) and _logging.info_enabled():
                _logging.request_done(call, error)

    def _signal(self) -> Signal:
        new = self._new_signal
        if new is None:
            new = self._new_signal = signal_factory()
        return new()

    # -- the caller's side --------------------------------------------------------

    async def submit(self, call: Call) -> None:
        """Hand `call` to the dispatcher and wait for its outcome (in `call.outcome`)."""
        send = self._inbox_send
        if self.closed:
            raise ClientClosedError("the client is closed")
        call.done = self._signal()
        call.owner = self
        self.counters.submitted += 1
        try:
            if not self.counters.in_flight and self._inbox_filled is not None and not self._limited():
                # The client is idle: nothing in flight, admission waiting on
                # an empty inbox (nobody is ahead of this call), no limit that
                # could hold it. Do admission's work here, in this task, with
                # no await in between, rather than wake admission for it: one
                # task switch fewer for each request of a caller working alone.
                # Under load the inbox stays the way in: admission then takes
                # the calls of many callers in one go, which costs less than
                # each caller doing it in turn (bench/README.md).
                self._outstanding.add(call)
                self._admit(call)
                self._hand_off(call)
            else:
                try:
                    try:
                        # Not send() first: it begins with a trip round the event
                        # loop, which costs more than the rest of this method.
                        send.send_nowait(call)
                    except anyio.WouldBlock:
                        await send.send(call)  # the inbox is full: wait for room
                    self._wake_admission()
                except (anyio.BrokenResourceError, anyio.ClosedResourceError):
                    call.owner = None  # never taken: nothing to withdraw (nor to log as cancelled)
                    raise ClientClosedError("the client is closed") from None
            await call.done.wait()
        except BaseException:
            call.abandon()
            raise

    def waiting(self) -> int:
        """Calls not yet admitted: in the inbox, blocked sending to it, or held at its head."""
        stats = self._inbox_send.statistics()
        holding = self._holding
        held = holding is not None and holding.state is CallState.QUEUED
        return stats.current_buffer_used + stats.tasks_waiting_send + held

    def withdraw(self, call: Call) -> None:
        """Forget an abandoned call: out of its queue now; a lane or timer that holds it lets go."""
        self._outstanding.discard(call)
        if _logging.info_enabled():
            _logging.request_done(call, None)
        # Admitted but never sent: its reservation goes back to the pacer.
        self._release(call, refund=call.attempts == call.attempts_at_admission)
        if self._holding is call and self._admission_scope is not None:
            self._admission_scope.cancel()
        queue = call.queue
        if queue is not None:
            queue.pop(call, None)
            call.queue = None
            if queue:  # a new head may be due sooner than the timer expects
                self._expect_expiry(next(iter(queue)))

    # -- admission ----------------------------------------------------------------

    async def _admission_loop(self) -> None:
        try:
            recv = self._inbox_recv
            while True:
                try:
                    call = recv.receive_nowait()
                except anyio.WouldBlock:
                    call = None
                if call is None:
                    # Not recv.receive(): it starts with a trip round the event loop
                    # even when it then has to wait, one more task switch for each
                    # request at low load. Senders wake this instead.
                    filled = self._inbox_filled = self._signal()
                    await filled.wait()
                    continue
                if call.state is not CallState.QUEUED:
                    self._outstanding.discard(call)
                    continue
                self._outstanding.add(call)
                if self._limited() and not await self._wait_for_admission(call):
                    continue
                self._admit(call)
                self._hand_off(call)
        finally:
            # Admission has stopped (the dispatcher is cancelled, from stop() or
            # from a scope around it, or failed), and its task group is closing:
            # from here a caller must not hand its call to a lane itself
            # (submit's shortcut). Through the inbox, it gets ClientClosedError.
            self._inbox_filled = None
            self._stopping = True

    def _limited(self) -> bool:
        pacer = self._pacer
        if self._max_in_flight is not None or self._book is not None:
            return True
        return pacer is not None and (
            pacer.requests is not None or pacer.tokens is not None or pacer.paused_until > self._now()
        )

    async def _wait_for_admission(self, call: Call) -> bool:
        """Hold the head of the line until the limits let it go; False if it must not go at all.

        Waiting is one sleep of this one task until the computed time, however
        many calls wait behind (they wait in the inbox, in order).
        """
        pacer = self._pacer
        if pacer is not None and (limit := pacer.too_big(call.cost)) is not None:
            self._finish(
                call,
                RequestTooLargeError(
                    f"this request's estimated {call.cost:,} tokens exceed the limit of {limit:,.0f} tokens "
                    f"per {pacer.window:g} s: it could never be sent"
                ),
            )
            return False
        self._holding = call
        try:
            while call.state is CallState.QUEUED:
                now = self._now()
                if self._max_in_flight is not None and self.counters.in_flight >= self._max_in_flight:
                    deadline = float("inf")  # until a call in flight ends (_release wakes us)
                else:
                    deadline = now if pacer is None else pacer.ready_at(call.cost, now)
                    book = self._book
                    if deadline <= now and book is not None:
                        deadline = book.ready_at(call.cost, now)
                        if book.failure is not None:
                            self._finish(call, SharedLimitsError(book.failure))
                            return False
                    if deadline <= now:
                        return True
                    assert pacer is not None
                    self._note_spent(pacer, call, now)
                with anyio.CancelScope(deadline=deadline) as scope:
                    self._admission_scope = scope
                    await anyio.sleep_forever()
            self._outstanding.discard(call)  # withdrawn while it waited
            return False
        finally:
            self._holding = None
            self._admission_scope = None

    def _note_spent(self, pacer: Pacer, call: Call, now: float) -> None:
        """A warning when the server's own account holds every request until its reset: once per reset.

        Pacing to a rate is routine and says nothing; a spent window stops
        everything for a while, like a 429's pause, and is told as one.
        """
        spent = pacer.spent_until(call.cost, now)
        if spent is not None and spent[0] != self._spent_noted:
            self._spent_noted = spent[0]
            _logging.warn("ratelimit.spent", limit=spent[1], seconds=round(spent[0] - now, 3))

    def _head_cost(self) -> int:
        holding = self._holding
        return holding.cost if holding is not None else 0

    def _recheck_admission(self) -> None:
        """Something admission waits on changed (a lease came): look at the head of the line again."""
        if self._admission_scope is not None:
            self._admission_scope.cancel()

    def _admit(self, call: Call) -> None:
        call.admitted_at = self._now()
        if self._pacer is not None:
            self._pacer.admit(call.cost, self._now())
            if self._book is not None:
                self._book.spend(call.cost, call.admitted_at)
        call.admitted = True
        call.reserved = call.cost
        call.attempts_at_admission = call.attempts
        counters = self.counters
        counters.in_flight += 1
        counters.tokens_reserved += call.cost

    def _release(self, call: Call, *, used: int | None = None, refund: bool = False) -> None:
        """The call no longer holds a place in flight: settle its reservation.

        `refund`: the server never counted it (never sent, or refused with 429).
        `used`: the tokens the response reported, to correct the estimate.
        """
        if not call.admitted:
            return
        call.admitted = False
        counters = self.counters
        counters.in_flight -= 1
        counters.tokens_reserved -= call.reserved
        pacer = self._pacer
        if pacer is not None:
            book = self._book
            if refund:
                pacer.give_back(1, call.reserved)
                if book is not None:
                    book.give_back(1, call.reserved, call.admitted_at, self._now())
            elif used is not None:
                pacer.give_back(0, call.reserved - used)
                if book is not None:
                    book.give_back(0, call.reserved - used, call.admitted_at, self._now())
        if used is not None:
            counters.tokens_used += used
        if self._max_in_flight is not None and self._admission_scope is not None:
            self._admission_scope.cancel()  # a place came free: re-check the head of the line

    def _hand_off(self, call: Call) -> None:
        pool = self._pools.get(call.origin)
        if pool is None:
            pool = self._pools[call.origin] = Pool()
        if pool.idle:
            pool.idle.pop().assign(call)
        elif pool.lanes < self._max_lanes:
            pool.lanes += 1
            assert self._task_group is not None
            # In the dispatcher's own context, never the caller's (a lone
            # caller's request may get here from its own task): a lane serves
            # everyone's requests, and tasks inherit their starter's context
            # variables (log bindings, tracing spans, a key provider's view).
            self._context.run(self._task_group.start_soon, self._lane, pool, call)
        elif pool.wait(call):
            self._expect_expiry(call)

    # -- lanes --------------------------------------------------------------------

    async def _lane(self, pool: Pool, first: Call) -> None:
        channel = self._transport.open_channel()
        lane = Lane()
        deadline = Deadline(self._now)
        self._deadlines.add(deadline)
        call: Call | None = first
        try:
            while call is not None:
                # One cancel scope for call after call, idle waits included:
                # entering one costs more than the rest of a request's
                # bookkeeping (on trio above all). A new one only after
                # something cancelled this one: a deadline, a caller
                # abandoning its call, a stream's reader closing it.
                with anyio.CancelScope() as scope:
                    deadline.scope = scope
                    while call is not None:
                        await self._serve(channel, call, deadline, scope, lane)
                        call = pool.take()
                        if scope.cancel_called:
                            # Asked just as that call ended: leave the request
                            # behind with this scope, or it would cut the next.
                            break
                        if call is None:
                            call = await self._wait_idle(pool, lane)
                deadline.scope = None
                interrupted, lane.running = lane.running, None
                if interrupted is not None:  # the scope ended its attempt
                    self._after_attempt(interrupted, None, None, lane.delivered, deadline)
                    call = None
                if call is None and not lane.retired:
                    call = pool.take()
                    if call is None:
                        call = await self._wait_idle(pool, lane)
        finally:
            pool.lanes -= 1
            self._deadlines.discard(deadline)
            await channel.aclose()

    async def _wait_idle(self, pool: Pool, lane: Lane) -> Call | None:
        """Park `lane` until it is handed a call (or None: retire); no timer per wait."""
        lane.wake = self._signal()
        if pool.park(lane, self._now()):  # otherwise an older idle lane is due first
            self._wake_timer(lane.idle_since + LANE_IDLE)
        try:
            await lane.wake.wait()
        except BaseException:
            # Cancelled while idle: the dispatcher is stopping (and fails every
            # call), or, defensively, a stray cancel of the lane's scope: then
            # nothing handed over may be lost, nor the lane left in the stack.
            if not self.closed:
                call = lane.call
                if call is not None:
                    pool.put_back(call)
                elif lane in pool.idle:
                    pool.idle.remove(lane)
            raise
        call = lane.call
        lane.retired = call is None
        return call

    async def _serve(
        self, channel: Channel, call: Call, deadline: Deadline, scope: anyio.CancelScope, lane: Lane
    ) -> None:
        """Run `call` on this lane until it is resolved, scheduled for a retry, or abandoned.

        Runs under the lane's `scope`. If that is cancelled during an attempt,
        this does not return: `lane.running` tells `_lane` which call to settle.
        """
        again = True
        while again:
            if call.state is not CallState.QUEUED:  # abandoned, or expired, while it waited
                self._outstanding.discard(call)
                return
            limit = call.timeouts.pool
            if limit is not None and self._now() - call.admitted_at > limit:
                # Waited too long behind calls with longer pool timeouts (the
                # timer watches only the head of each queue).
                self._finish(call, TransportTimeout("pool", limit))
                return
            call.state = CallState.RUNNING
            call.scope = scope
            lane.running = call
            lane.delivered = False
            if self._watch_idle is not None:
                self._watch_idle.set()  # an attempt to watch
            key: str | None = None
            outcome: RawResponse | Exception | None = None
            try:
                key = await self._key_for(call)
                response = await self._attempt(channel, call, key, deadline)
                if isinstance(response, RawResponse | Exception):
                    outcome = response
                else:
                    key = None  # not needed again, and frames' locals end up in crash logs
                    lane.delivered = True
                    await self._pump(call, response, deadline)
                    if scope.deadline != _INF:  # set by the reader's finish(): not for the next call
                        scope.deadline = _INF
            except (KeyProviderError, TransportTimeout) as exc:
                outcome = exc
            except KeyUnavailable as exc:  # a token exchange failed: its error, for this caller
                outcome = exc.error
            lane.running = None
            again = self._after_attempt(call, outcome, key, lane.delivered, deadline)

    def _after_attempt(
        self,
        call: Call,
        outcome: RawResponse | Exception | None,
        key: str | None,
        delivered: bool,
        deadline: Deadline,
    ) -> bool:
        """Settle an attempt that ended (`outcome`) or was cut off by the lane's scope (None); True: again."""
        call.scope = None
        fired, deadline.fired = deadline.fired, None
        deadline.disarm()
        if delivered or call.state is CallState.ABANDONED:
            # Its body delivered as a stream, or given up by the caller.
            self._outstanding.discard(call)
            return False
        if outcome is None:
            if fired is None:
                # Cut off neither by a deadline nor by its caller: a bug, but
                # the caller is still waiting, and must not wait forever.
                self._finish(call, OpenAIError("the request was cut off inside the client"))
                return False
            outcome = TransportTimeout(fired, deadline.seconds)  # the watchdog: retried like a timeout
        try:
            if isinstance(outcome, RawResponse):
                return self._settle_response(call, outcome, key)
            self._settle_failure(call, outcome)
        except Exception as exc:  # a bug settling one call must cost that call only
            error = OpenAIError(f"unexpected error while handling the response: {exc!r}")
            error.__cause__ = exc
            self._finish(call, error)
        return False

    async def _key_for(self, call: Call) -> str | None:
        """The key to send, fetched if need be; the wait counts against the pool timeout."""
        if not call.auth:
            return None
        keys = call.keys
        assert keys is not None
        key = keys.cached()
        if key is not None:
            return key
        assert self._task_group is not None
        limit = call.timeouts.pool
        with anyio.move_on_after(_INF if limit is None else limit) as scope:
            return await keys.get(self._task_group)
        assert scope.cancelled_caught
        raise TransportTimeout("pool", limit)

    async def _attempt(
        self, channel: Channel, call: Call, key: str | None, deadline: Deadline
    ) -> RawResponse | ResponseStream | Exception:
        """One attempt: a whole response, a stream's head (for a stream call that got 2xx), or why not."""
        request = call.wire(key)
        call.attempts += 1
        debug = _logging.enabled()
        if debug:
            _logging.emit(
                "request.start",
                method=call.method,
                url=_logging.loggable_url(call.url),
                attempt=call.attempts,
            )
        started = call.started_at = self._now()
        if not call.sent_at:
            call.sent_at = time.perf_counter()
        response: RawResponse | ResponseStream | Exception
        try:
            stream = await channel.open(request, call.timeouts, deadline)
            if call.stream and 200 <= stream.status < 300:
                response = stream
            else:
                response = await read_response(stream)
        except TransportError as exc:
            response = exc
        except DeliverAsIs as exc:
            response = exc.error
        except Exception as exc:  # a bug in a transport must cost this call only
            response = OpenAIError(f"unexpected error while sending the request: {exc!r}")
            response.__cause__ = exc
        del request, key  # the key must not linger in this frame's locals (tracebacks keep them)
        call.elapsed = self._now() - started
        if self._pacer is not None and not isinstance(response, Exception):
            limits = read_server_limits(response.headers)
            if limits is not None:
                if limits.malformed and debug:
                    url = _logging.loggable_url(call.url)
                    _logging.emit("ratelimit.headers_ignored", url=url, headers=list(limits.malformed))
                self._pacer.observe(limits, self._now())
        if debug:
            failed = isinstance(response, Exception)
            _logging.emit(
                "request.finish",
                method=call.method,
                url=_logging.loggable_url(call.url),
                attempt=call.attempts,
                status=None if isinstance(response, Exception) else response.status,
                error=_logging.scrub_text(str(response)) if failed else None,
                request_id=None if isinstance(response, Exception) else response.headers.get("x-request-id"),
                elapsed=round(call.elapsed, 6),
            )
        return response

    async def _pump(self, call: Call, response: ResponseStream, deadline: Deadline) -> None:
        """Deliver a stream to its caller, then feed it the body as it arrives.

        Runs under the call's scope, which the reader cancels by closing the
        stream. A failure mid-body is handed to the reader, never retried:
        part of the answer is already out. The call stays in `_outstanding`
        until the body ends, so a shutdown meanwhile cuts the stream off
        visibly (the reader sees no END_OF_BODY) instead of silently.
        """
        send, receive = anyio.create_memory_object_stream[Piece](STREAM_BUFFER)
        body = StreamBody(
            call, response.status, response.reason, response.headers, response.http_version, receive
        )
        self._finish(call, body)
        if call.outcome is not body:  # the caller gave up just before the head came
            send.close()
            receive.close()
            await response.aclose()
            return
        used: int | None = None
        count_usage = self._pacer is not None
        try:
            with send:
                try:
                    while (chunk := await response.next_chunk()) is not None:
                        if count_usage and b"total_tokens" in chunk:
                            used = usage_tokens(chunk)
                        await send.send(chunk)
                    await send.send(END_OF_BODY)
                except TransportError as exc:
                    await send.send(_scrubbed(exc))
                except Exception as exc:  # a bug below must cost this stream only
                    error = OpenAIError(f"unexpected error while reading the response body: {exc!r}")
                    error.__cause__ = exc
                    await send.send(_scrubbed(error))
        except anyio.get_cancelled_exc_class():
            if deadline.fired is not None:  # stalled mid-body: the reader gets the timeout
                body.failure = TransportTimeout(deadline.fired, deadline.seconds)
            raise
        except (anyio.BrokenResourceError, anyio.ClosedResourceError):
            # The reader finished early (it saw the end of its events): read what
            # is left, within the short deadline it set, so the connection can
            # be reused. (A reader that closed cancelled this scope instead.)
            try:
                while await response.next_chunk() is not None:
                    pass
            except Exception:
                pass  # the connection is closed below; the reader has its answer
        finally:
            self._outstanding.discard(call)
            self._release(call, used=used)
            await response.aclose()

    # -- outcomes -----------------------------------------------------------------

    def _settle_response(self, call: Call, response: RawResponse, key: str | None) -> bool:
        """Resolve, retry later or redirect `call`; True to run it again on this lane now."""
        status = response.status
        if status < 300:  # after_response's first rule, without the cost of its arguments
            self._finish(call, response)
            return False
        if status == 429:
            self._rate_limited(call, response)
        keys = call.keys
        decision = after_response(
            call,
            status,
            response.headers,
            key_refreshable=key is not None and keys is not None and keys.refreshable,
            follow_redirects=self._follow_redirects,
            now=self._wall(),
            rand=self._rand(),
        )
        if isinstance(decision, Reauthenticate):
            # The key may have been rotated: fetch a fresh one and try once
            # more, right away; this is not one of the retries.
            assert keys is not None
            assert key is not None
            keys.invalidate(key)
            call.reauthenticated = True
            if _logging.enabled():
                _logging.emit(
                    "request.reauthenticate", method=call.method, url=_logging.loggable_url(call.url)
                )
            call.state = CallState.QUEUED
            return True
        self._apply(call, decision, response)
        return False

    def _settle_failure(self, call: Call, error: Exception) -> None:
        self._apply(call, after_error(call, error, now=self._wall(), rand=self._rand()), error)

    def _apply(self, call: Call, decision: Decision, outcome: RawResponse | Exception) -> None:
        if isinstance(decision, Finish):
            self._finish(call, outcome)
        elif isinstance(decision, Retry):
            self._schedule_retry(call, decision.delay, decision.reason)
        elif isinstance(decision, FollowRedirect):
            self._redirect(call, decision.redirect)
        elif isinstance(decision, Fail):
            self._finish(call, TransportError(decision.message))
        else:  # Reauthenticate: the caller runs the call again on its lane
            raise AssertionError(f"{decision!r} cannot be applied here")

    def _rate_limited(self, call: Call, response: RawResponse) -> None:
        """A 429: counted, refunded, and (when the server names a wait we would retry after) a pause for all."""
        self.counters.rate_limited += 1
        self._release(call, refund=True)  # a refused request is not counted by the server
        if self._pacer is not None:
            pause = pause_after_429(response.headers, now=self._wall())
            if pause is not None:
                self._pause(pause, call)

    def _pause(self, pause: Pause, call: Call) -> None:
        """Admit nothing until the pause ends.

        A pause that starts is a warning event; one that extends a pause in
        force (the other requests in flight meet 429s too) a debug event, so
        a storm of 429s is one warning, and stats() shows the pause's end.
        """
        starting = self._hold(pause.seconds, pause.cause)
        if starting is None:
            return
        if self._book is not None:
            self._book.share_pause(pause.seconds)
        url = _logging.loggable_url(call.url)
        fields = {"cause": pause.cause, "seconds": round(pause.seconds, 3), "url": url}
        if starting:
            _logging.warn("ratelimit.pause", **fields)
        elif _logging.enabled():
            _logging.emit("ratelimit.pause_extended", **fields)

    def _peer_pause(self, seconds: float) -> None:
        """Another process sharing the limits heard a 429: pause here too, for what is left of it."""
        cause = "a 429 heard by another process sharing the limits"
        if self._hold(seconds, cause):
            _logging.warn("ratelimit.pause", cause=cause, seconds=round(seconds, 3), url=None)

    def _hold(self, seconds: float, cause: str) -> bool | None:
        """Admit nothing for `seconds`, unless a pause in force ends later: None when this changes
        nothing, else whether it starts a pause (True) or extends the one in force (False)."""
        pacer = self._pacer
        assert pacer is not None
        now = self._now()
        until = now + seconds
        if until <= pacer.paused_until:
            return None
        starting = pacer.paused_until <= now
        self.pause_cause = cause  # before the pause: stats() may read both from another thread
        pacer.pause(until)
        return starting

    def paused(self) -> tuple[float, str | None]:
        """Seconds until admissions resume whatever the rates, and why; (0.0, None) when nothing holds them.

        Two things hold them: a 429's pause, and the server's own account of a
        limit leaving too little for the request at the head of the line until
        its reset (a fixed window used up). Callable from any thread (the
        loop's clock is, see `loop_clock`), where it may be a moment behind.
        """
        pacer = self._pacer
        if pacer is None or not self.running:
            return 0.0, None
        now = self._now()
        paused_until = pacer.paused_until
        if paused_until > now:
            return paused_until - now, self.pause_cause
        holding = self._holding
        spent = pacer.spent_until(holding.cost if holding is not None else 1, now)
        if spent is not None:
            until, which = spent
            cause = f"x-ratelimit-remaining-{which}: the server's {which} budget is spent until its reset"
            return max(until - now, 0.0), cause
        return 0.0, None

    def _redirect(self, call: Call, redirect: Redirect) -> None:
        if _logging.enabled():
            _logging.emit(
                "request.redirect",
                method=call.method,
                url=_logging.loggable_url(call.url),
                to_method=redirect.method,
                to=_logging.loggable_url(f"{redirect.origin}{redirect.target}"),
            )
        call.redirects += 1
        call.method = redirect.method
        call.origin = redirect.origin
        call.target = redirect.target
        if not redirect.keep_body:
            call.content = b""
        if not redirect.keep_credentials:
            call.auth = False
        if redirect.drop_headers & call.headers.names:
            call.headers = call.headers.without(redirect.drop_headers)
        call.state = CallState.QUEUED
        self._release(call)
        self._requeue(call)

    def _finish(self, call: Call, outcome: RawResponse | StreamBody | Exception) -> None:
        if not isinstance(outcome, StreamBody):  # a stream stays owned until its body ends
            self._outstanding.discard(call)
        counters = self.counters
        if isinstance(outcome, RawResponse):
            if outcome.status < 400:
                counters.completed += 1
                used = usage_tokens(outcome.content) if self._pacer is not None and call.reserved else None
                self._release(call, used=used)
            else:
                counters.failed += 1
                self._release(call)
        elif isinstance(outcome, StreamBody):
            counters.completed += 1  # released when its body ends (_pump)
        else:
            counters.failed += 1
            self._release(call)
        delivered = _scrubbed(outcome) if isinstance(outcome, Exception) else outcome
        if call.resolve(delivered) and _logging.info_enabled():
            _logging.request_done(call, delivered)

    # -- timers: retries and pool timeouts -------------------------------------------

    def _schedule_retry(self, call: Call, delay: float, reason: str) -> None:
        _logging.warn(
            "request.retry",
            method=call.method,
            url=_logging.loggable_url(call.url),
            attempt=call.attempts,
            retry=call.retries_taken + 1,
            max_retries=call.max_retries,
            delay=delay,
            reason=_logging.scrub_text(reason),
        )
        call.retries_taken += 1
        call.state = CallState.QUEUED
        self.counters.retries_scheduled += 1
        self._release(call)
        due = self._now() + delay
        heapq.heappush(self._retry_heap, (due, next(self._retry_seq), call))
        self._wake_timer(due)

    def _expect_expiry(self, call: Call) -> None:
        """`call` heads a queue: make sure the timer wakes by its pool deadline."""
        limit = call.timeouts.pool
        if limit is not None:
            self._wake_timer(call.admitted_at + limit)

    def _wake_timer(self, when: float) -> None:
        scope = self._timer_scope
        if scope is not None and when < scope.deadline:
            scope.deadline = when

    def _next_deadline(self) -> float:
        deadline = self._retry_heap[0][0] if self._retry_heap else _INF
        for pool in self._pools.values():
            deadline = min(deadline, pool.next_deadline(LANE_IDLE))
        return deadline

    async def _watchdog(self) -> None:
        """Enforce the lanes' deadlines (see `Deadline`): one sweep per tick while any attempt runs."""
        clock = self._now
        while True:
            now = clock()
            armed = False
            for deadline in self._deadlines:
                at = deadline.at
                if at != _INF:
                    armed = True
                    if at <= now:
                        deadline.fire()
            if armed:
                await anyio.sleep(WATCH_TICK)
            else:
                # Nothing to watch: sleep until a lane starts an attempt.
                idle = self._watch_idle = anyio.Event()
                await idle.wait()
                self._watch_idle = None

    async def _timer(self) -> None:
        heap = self._retry_heap
        while True:
            with anyio.CancelScope(deadline=self._next_deadline()) as scope:
                self._timer_scope = scope
                await anyio.sleep_forever()
            self._timer_scope = None
            now = self._now()
            for pool in self._pools.values():
                pool.retire_idle(now, LANE_IDLE)
                for call, limit in pool.expired(now):
                    self._finish(call, TransportTimeout("pool", limit))
            while heap and heap[0][0] <= now:
                _, _, call = heapq.heappop(heap)
                if call.state is CallState.QUEUED:
                    await self._requeue_async(call)
                else:
                    self._outstanding.discard(call)

    def _requeue(self, call: Call) -> None:
        """Back through admission without waiting; used for redirects, from a lane."""
        if self._stopping:
            return  # still in _outstanding: the stop resolves it, as it does the inbox
        assert self._task_group is not None
        self._task_group.start_soon(self._requeue_async, call)

    async def _requeue_async(self, call: Call) -> None:
        # Still in _outstanding while it waits for room in the inbox, so a
        # stop() in the meantime resolves it.
        await self._inbox_send.send(call)
        self._wake_admission()

    def _wake_admission(self) -> None:
        filled, self._inbox_filled = self._inbox_filled, None
        if filled is not None:
            filled.set()


_E = TypeVar("_E", bound=BaseException)


def _scrubbed(error: _E) -> _E:
    """`error` (and its causes) without tracebacks: their frames' locals hold the request, and so the key."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        current.__traceback__ = None
        current = current.__cause__ or current.__context__
    return error
