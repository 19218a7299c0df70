"""The I/O of shared limits: Lua scripts in Redis, and the task that runs them for one dispatcher.

Redis holds, under keys that share the hash tag `{key}` (so that they live on
one Redis Cluster slot):

    {key}:requests   the requests limit's GCRA: its theoretical arrival time, in
    {key}:tokens     the Redis server's milliseconds (`TIME`, read inside the script)
    {key}:pause      present while a 429's pause holds everyone (expires with it)
    {key}:processes  a sorted set: process id -> when it last leased (pruned in the script)
    {key}:learned    a hash: the limits a process learned from the server's headers

Every key expires: a GCRA a second after its time has passed (an expired one
and an idle one grant the same), the pause when it ends, the processes after
the heartbeat period, the learned limits after three windows unused.

One script per operation, each one round trip: `lease` (give back expired
units, take a slice, heartbeat, publish and read learned limits, read the
pause), `pause`, and `release` (at close: give back, leave the process set).
The policy around them is `_shared_leases.py`; this module only moves its
asks and answers.

Backends: redis-py's asyncio client where the event loop is asyncio; on trio
its synchronous client in a worker thread (one at a time), since leases are
rare (bench/README.md has the cost).
"""

from __future__ import annotations

import asyncio
import math
import os
import secrets
import socket
from collections.abc import Callable, Sequence
from typing import Any, Final, Protocol

import anyio
import anyio.abc
from anyio.streams.memory import MemoryObjectSendStream

from . import _logging
from ._shared import SharedLimits, redact_url
from ._shared_leases import Answer, Ask, LeaseBook

__all__ = ["LEASE", "PAUSE", "RELEASE", "SharedShell", "key_names"]

# How long a process counts as sharing the limits after its last lease.
HEARTBEAT: Final = 15.0
# The longest a close waits for Redis to take back what the process held.
RELEASE_TIMEOUT: Final = 2.0

# The GCRA of one limit, shared by the scripts. A lease takes the units whose
# slots fall before `now + validity` (so that a process spending a second's
# worth asks about once a second, even when every slot is wanted), and spends
# them within `validity` after: a unit is sent at most `validity` before or
# after its slot. The interval is that of the limit over `window + 2 validity`,
# so what is sent in any window stays within the limit.
_GCRA: Final = """
local function gcra(limit, window, validity)
  local burst = math.max(1, math.floor(limit * 0.02))
  local interval = (window + 2 * validity) / math.max(limit - burst + 1, 1)
  return interval, (burst - 1) * interval
end
local function give_back(key, tat, units, interval, now)
  if units > 0 and tat then
    return math.max(tat - units * interval, now)
  end
  return tat
end
local function store(key, tat, now)
  redis.call('SET', key, string.format('%.3f', tat), 'PX', math.max(math.ceil(tat - now), 0) + 1000)
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
"""

# KEYS: requests, tokens, pause, processes, learned.
# ARGV: process, window ms, validity ms, heartbeat ms, warm (0/1),
#       then for requests and for tokens: limit, want, need, give back, learned.
# Returns: granted requests, granted tokens, wait ms, pause ms, processes, learned requests, learned tokens.
LEASE: Final = (
    _GCRA
    + """
local window, validity, heartbeat = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local warm = ARGV[5] == '1'
redis.call('ZADD', KEYS[4], now, ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', now - heartbeat)
redis.call('PEXPIRE', KEYS[4], math.ceil(heartbeat))
local processes = redis.call('ZCARD', KEYS[4])
local fields = {'requests', 'tokens'}
for i = 1, 2 do
  local learned = tonumber(ARGV[5 + (i - 1) * 5 + 5])
  if learned > 0 then
    redis.call('HSET', KEYS[5], fields[i], learned)
    redis.call('PEXPIRE', KEYS[5], math.ceil(window * 3))
  end
end
local known = redis.call('HMGET', KEYS[5], 'requests', 'tokens')
local pause = redis.call('PTTL', KEYS[3])
local granted = {0, 0}
local wait = 0
for i = 1, 2 do
  local base = 5 + (i - 1) * 5
  local limit, want, need, back = tonumber(ARGV[base + 1]), tonumber(ARGV[base + 2]), tonumber(ARGV[base + 3]), tonumber(ARGV[base + 4])
  if limit > 0 then
    local interval, tolerance = gcra(limit, window, validity)
    local raw = redis.call('GET', KEYS[i])
    local tat
    if raw then
      tat = tonumber(raw)
    elseif warm then
      tat = now + tolerance  -- lost (a restart) while in use: no burst on top of what was sent
    else
      tat = now
    end
    tat = give_back(KEYS[i], tat, back, interval, now)
    if want > 0 and pause <= 0 then
      local from = math.max(tat, now)
      -- The most that is ever free at once; a lease waits until what it wants is
      -- (at most that), so that under contention slices go whole, in turn,
      -- rather than one unit per round trip as each slot comes free.
      local capacity = math.floor((tolerance + validity) / interval) + 1
      if need > capacity then
        -- A request bigger than that (tokens): it goes when a slot is free, as for one process.
        if from - tolerance <= now then
          granted[i] = need
        else
          wait = math.max(wait, from - tolerance - now)
        end
      else
        local target = math.min(want, capacity)
        local free = math.floor((now + validity + tolerance - from) / interval) + 1
        if free >= target then
          granted[i] = math.min(want, free)
        else
          wait = math.max(wait, from - tolerance - validity + (target - 1) * interval - now)
        end
      end
      tat = from + granted[i] * interval
    end
    store(KEYS[i], tat, now)
  end
end
if pause > 0 then wait = pause else pause = 0 end
return {granted[1], granted[2], math.ceil(wait), pause, processes, known[1] or '', known[2] or ''}
"""
)

# KEYS: pause. ARGV: milliseconds. Lengthens the pause in force, never shortens it.
PAUSE: Final = """
local ms = tonumber(ARGV[1])
if redis.call('PTTL', KEYS[1]) < ms then
  redis.call('SET', KEYS[1], '1', 'PX', ms)
end
return ms
"""

# KEYS: requests, tokens, processes. ARGV: process, window ms, validity ms, then for requests
# and for tokens: limit, give back.
RELEASE: Final = (
    _GCRA
    + """
local window, validity = tonumber(ARGV[2]), tonumber(ARGV[3])
for i = 1, 2 do
  local limit, back = tonumber(ARGV[4 + (i - 1) * 2]), tonumber(ARGV[5 + (i - 1) * 2])
  local raw = redis.call('GET', KEYS[i])
  if limit > 0 and back > 0 and raw then
    local interval = gcra(limit, window, validity)
    store(KEYS[i], give_back(KEYS[i], tonumber(raw), back, interval, now), now)
  end
end
redis.call('ZREM', KEYS[3], ARGV[1])
if redis.call('ZCARD', KEYS[3]) == 0 then redis.call('DEL', KEYS[3]) end
return 1
"""
)


def key_names(key: str) -> dict[str, str]:
    """The Redis keys of one shared limit, all in the hash tag `{key}`."""
    return {name: f"{{{key}}}:{name}" for name in ("requests", "tokens", "pause", "processes", "learned")}


_Arg = str | int | float


class _Backend(Protocol):
    async def run(self, script: str, keys: Sequence[str], args: Sequence[_Arg]) -> Any: ...

    async def aclose(self) -> None: ...


def _client_options(limits: SharedLimits, retry: Any) -> dict[str, Any]:
    from redis.backoff import NoBackoff

    # No retries inside redis-py: a failed round trip is the lease book's to back off from.
    return {
        "socket_timeout": limits.timeout,
        "socket_connect_timeout": limits.timeout,
        "retry": retry(NoBackoff(), 0),
        "client_name": "openai-actors",
    }


class _AsyncioBackend:
    """redis-py's asyncio client, in the dispatcher's own loop."""

    def __init__(self, limits: SharedLimits) -> None:
        import redis.asyncio
        from redis.asyncio.retry import Retry

        self._client = redis.asyncio.Redis.from_url(limits.url, **_client_options(limits, Retry))
        self._scripts: dict[str, Any] = {}

    async def run(self, script: str, keys: Sequence[str], args: Sequence[_Arg]) -> Any:
        runner = self._scripts.get(script)
        if runner is None:
            runner = self._scripts[script] = self._client.register_script(script)
        # EVALSHA, and EVAL again after a Redis restart forgot the script.
        return await runner(keys=list(keys), args=list(args))

    async def aclose(self) -> None:
        await self._client.aclose()


class _ThreadBackend:
    """redis-py's synchronous client in a worker thread, one call at a time (trio)."""

    def __init__(self, limits: SharedLimits) -> None:
        import redis
        from redis.retry import Retry

        self._client = redis.Redis.from_url(limits.url, **_client_options(limits, Retry))
        self._scripts: dict[str, Any] = {}
        self._limiter = anyio.CapacityLimiter(1)

    async def run(self, script: str, keys: Sequence[str], args: Sequence[_Arg]) -> Any:
        runner = self._scripts.get(script)
        if runner is None:
            runner = self._scripts[script] = self._client.register_script(script)
        return await anyio.to_thread.run_sync(
            lambda: runner(keys=list(keys), args=list(args)), limiter=self._limiter, abandon_on_cancel=True
        )

    async def aclose(self) -> None:
        client = self._client
        await anyio.to_thread.run_sync(client.close, abandon_on_cancel=True)


def _backend(limits: SharedLimits) -> _Backend:
    if asyncio._get_running_loop() is not None:
        return _AsyncioBackend(limits)
    return _ThreadBackend(limits)


def _refused_credentials(exc: BaseException) -> bool:
    from redis import exceptions

    if isinstance(exc, exceptions.AuthenticationError | exceptions.AuthenticationWrongNumberOfArgsError):
        return True
    text = str(exc)
    return isinstance(exc, exceptions.ResponseError) and any(
        word in text for word in ("NOAUTH", "WRONGPASS", "NOPERM", "invalid password")
    )


def _text(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _number(value: object) -> float | None:
    text = _text(value)
    return float(text) if text else None


class SharedShell:
    """One dispatcher's link to the shared limits: sends the lease book's asks, applies the answers.

    Runs as a task of the dispatcher (`run`), in its loop; `release()` at the
    dispatcher's close gives back what the process holds.
    """

    def __init__(
        self,
        limits: SharedLimits,
        book: LeaseBook,
        *,
        clock: Callable[[], float],
        head_cost: Callable[[], int],
        recheck: Callable[[], None],
        paused: Callable[[float], None],
    ) -> None:
        self._limits = limits
        self._book = book
        self._clock = clock
        self._head_cost = head_cost
        self._recheck = recheck
        self._paused = paused
        self._keys = key_names(limits.key)
        # Unique per process and per client: two clients in one process lease apart.
        self.process = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"
        self._backend: _Backend | None = None
        self._poke: MemoryObjectSendStream[None] | None = None
        self._outage = False
        self._password = _password(limits.url)

    def poke(self) -> None:
        """Something for the shell to do (called by the lease book, in the loop)."""
        poke = self._poke
        if poke is not None:
            try:
                poke.send_nowait(None)
            except anyio.WouldBlock:
                pass  # already poked: one round does everything pending

    async def run(self, *, task_status: anyio.abc.TaskStatus[None] = anyio.TASK_STATUS_IGNORED) -> None:
        send, receive = anyio.create_memory_object_stream[None](1)
        self._backend = _backend(self._limits)
        self._poke = send
        self._book.notify = self.poke
        if self._book.wanted or self._book.pause_to_share:
            self.poke()  # wanted before this task ran (the first request)
        task_status.started()
        try:
            with send, receive:
                async for _ in receive:
                    await self._round()
        finally:
            self._poke = None
            self._book.notify = _nothing

    async def _round(self) -> None:
        book = self._book
        pause = book.take_pause()
        if pause > 0:
            await self._call(PAUSE, [self._keys["pause"]], [math.ceil(pause * 1000)])
        ask = book.ask(self._head_cost(), self._clock())
        if ask is None:
            return
        reply = await self._call(LEASE, self._lease_keys(), self._lease_args(ask))
        now = self._clock()
        if isinstance(reply, BaseException):
            if book.failure is None:
                book.unreachable(ask, now)
        else:
            answer = _answer(reply)
            book.answer(ask, answer, now)
            if answer.paused_for > 0:
                self._paused(answer.paused_for)
        self._recheck()

    def _lease_keys(self) -> list[str]:
        keys = self._keys
        return [keys["requests"], keys["tokens"], keys["pause"], keys["processes"], keys["learned"]]

    def _lease_args(self, ask: Ask) -> list[_Arg]:
        book = self._book
        args: list[_Arg] = [
            self.process,
            book.window * 1000,
            book.validity * 1000,
            HEARTBEAT * 1000,
            int(ask.warm),
        ]
        for i in range(2):
            args += [ask.limits[i], ask.want[i], ask.need[i], ask.give_back[i], ask.learned[i]]
        return args

    async def _call(self, script: str, keys: Sequence[str], args: Sequence[_Arg]) -> Any:
        """The script's reply, or the exception that says Redis was not reachable (after telling of it)."""
        assert self._backend is not None
        try:
            reply = await self._backend.run(script, keys, args)
        except Exception as exc:
            if _refused_credentials(exc):
                message = (
                    f"the Redis server of the shared limits ({redact_url(self._limits.url)}) refused this "
                    f"client's credentials: {self._scrub(exc)}"
                )
                self._book.fail(message)
                _logging.warn(
                    "ratelimit.shared_refused", url=redact_url(self._limits.url), error=self._scrub(exc)
                )
                return exc
            # Anything else (refused connections, timeouts, and replies these scripts should
            # never get, a cluster's MOVED, a read-only replica) is an outage: backed off, retried, told.
            if not self._outage:
                self._outage = True
                action = "sending at this process's share" if self._book.local_fallback else "admissions wait"
                _logging.warn(
                    "ratelimit.shared_unreachable",
                    url=redact_url(self._limits.url),
                    error=self._scrub(exc),
                    then=action,
                )
            return exc
        if self._outage:
            self._outage = False
            _logging.warn("ratelimit.shared_reachable", url=redact_url(self._limits.url))
        return reply

    def _scrub(self, exc: BaseException) -> str:
        text = f"{type(exc).__name__}: {exc}"
        if self._password:
            text = text.replace(self._password, "***")
        return _logging.scrub_text(text)

    async def release(self) -> None:
        """The dispatcher is closing: give back what is held and leave the set of processes, briefly."""
        backend = self._backend
        if backend is None:
            return
        self._backend = None
        book = self._book
        contacted = book.contacted or book.asks
        back = book.release(self._clock())
        try:
            with anyio.move_on_after(RELEASE_TIMEOUT, shield=True):
                if contacted:
                    keys = self._keys
                    limits = book.limits()
                    args: list[_Arg] = [self.process, book.window * 1000, book.validity * 1000]
                    for i in range(2):
                        args += [limits[i], back[i]]
                    reply = await self._call(
                        RELEASE, [keys["requests"], keys["tokens"], keys["processes"]], args
                    )
                    if isinstance(reply, BaseException):
                        book.unreturned(back)
                await backend.aclose()
        except Exception:
            pass  # closing anyway: what was not returned comes back as its lease expires


def _answer(reply: Sequence[object]) -> Answer:
    granted_requests, granted_tokens, wait, pause, processes, learned_requests, learned_tokens = reply
    return Answer(
        granted=(int(_text(granted_requests)), int(_text(granted_tokens))),
        wait=int(_text(wait)) / 1000,
        paused_for=int(_text(pause)) / 1000,
        processes=int(_text(processes)),
        learned=(_number(learned_requests), _number(learned_tokens)),
    )


def _password(url: str) -> str | None:
    from urllib.parse import unquote, urlsplit

    try:
        password = urlsplit(url).password
    except ValueError:
        return None
    return unquote(password) if password else None


def _nothing() -> None:
    pass
