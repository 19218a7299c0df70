"""The I/O of shared limits: Lua scripts in Redis, and the task that runs them for one dispatcher.

Redis holds, under keys that share the hash tag `{key}` (so that they live on
one Redis Cluster slot):

    {key}:requests   the requests limit's GCRA: its theoretical arrival time, in
    {key}:tokens     the Redis server's milliseconds (`TIME`, read inside the script)
    {key}:pause      present while a 429's pause holds everyone (expires with it)
    {key}:processes  a sorted set: process id -> when it last leased (pruned in the script)
    {key}:learned    a hash: the limits a process learned from the server's headers

Every key expires: a GCRA a window after its time has passed (an expired one
and an idle one grant the same; kept that long so that one missing while a
process still leases tells of a Redis that lost it), the pause when it ends,
the processes after the heartbeat period, the learned limits after three
windows unused.

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
from ._shared_leases import Answer, Ask, LeaseBook, lease_validity

__all__ = ["LEASE", "PAUSE", "RELEASE", "SharedShell", "heartbeat", "key_names", "lease_args", "lease_keys"]

# How long a process counts as sharing the limits after its last lease: a quarter
# of the window, between 1 and 15 s.
HEARTBEAT_MAX: Final = 15.0


def heartbeat(window: float) -> float:
    return min(HEARTBEAT_MAX, max(1.0, window / 4))


# The longest a close waits for Redis to take back what the process held.
RELEASE_TIMEOUT: Final = 2.0

# The GCRA of one limit, shared by the scripts. A lease takes slots up to
# `validity` ahead of the burst's edge (reserved further ahead when they are
# taken, the lease then starting later), and is spent within `validity` of its
# start: a unit is sent between `tolerance + validity` before its slot and
# `validity` after. So slots are spaced as for the limit over
# `window + 2 validity` (one unit fewer, for the burst's edge), and what is
# sent in any window stays within the limit.
_GCRA: Final = """
local function gcra(limit, window, validity)
  local burst = math.max(1, math.floor(limit * 0.02))
  local interval = (window + 2 * validity) / math.max(limit - burst, 1)
  return interval, (burst - 1) * interval
end
-- Units given back free their slots, only if they are the last ones taken (`mark`, the
-- limit as the giver's last lease left it, still holds) or the giver says any will do ('').
local function give_back(raw, tat, units, interval, now, mark)
  if units > 0 and raw and (mark == '' or mark == raw) then
    return math.max(tat - units * interval, now)
  end
  return tat
end
local function store(key, tat, now, window)
  redis.call('SET', key, string.format('%.3f', tat), 'PX', math.max(math.ceil(tat - now), 0) + math.ceil(window))
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
"""

# KEYS: requests, tokens, pause, processes, learned.
# ARGV: process, window ms, validity ms, heartbeat ms, warm (0/1),
#       then for requests and for tokens: limit, want, need, give back, learned, mark, reserve.
# Returns: granted requests and tokens, the ms until each may be spent, pause ms, processes,
# learned requests and tokens, the marks of requests and tokens.
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
  local learned = tonumber(ARGV[5 + (i - 1) * 7 + 5])
  if learned > 0 then
    redis.call('HSET', KEYS[5], fields[i], learned)
    redis.call('PEXPIRE', KEYS[5], math.ceil(window * 3))
  end
end
local known = redis.call('HMGET', KEYS[5], 'requests', 'tokens')
local pause = redis.call('PTTL', KEYS[3])
local granted = {0, 0}
local delay = {0, 0}
local marks = {'', ''}
for i = 1, 2 do
  local base = 5 + (i - 1) * 7
  local limit, want, need, back = tonumber(ARGV[base + 1]), tonumber(ARGV[base + 2]), tonumber(ARGV[base + 3]), tonumber(ARGV[base + 4])
  local mark, reserve = ARGV[base + 6], tonumber(ARGV[base + 7])
  if limit > 0 then
    local interval, tolerance = gcra(limit, window, validity)
    local raw = redis.call('GET', KEYS[i])
    local tat
    if raw then
      tat = tonumber(raw)
    elseif warm then
      -- Lost while in use (a restart: a limit outlives its last lease by a window). The
      -- processes may still hold slots reserved ahead, up to a slice each (`reserve`, as
      -- the asker counts them): start beyond those, with no burst on top of what was sent.
      tat = now + tolerance + validity + reserve * interval
    else
      tat = now
    end
    tat = give_back(raw, tat, back, interval, now, mark)
    if want > 0 and pause <= 0 then
      local from = math.max(tat, now)
      -- At most what is ever free at once; when less is free now, the slots are
      -- reserved ahead and the lease starts when they come free: one round trip
      -- per slice even when every slot is wanted, slices going whole, in turn.
      local capacity = math.floor((tolerance + validity) / interval) + 1
      if need > capacity then
        -- A request bigger than that (tokens): it goes when a slot is free, as for one process.
        granted[i] = need
        delay[i] = math.max(from - tolerance - now, 0)
      else
        granted[i] = math.min(want, capacity)
        local free = math.floor((now + validity + tolerance - from) / interval) + 1
        if free >= granted[i] then
          granted[i] = math.min(want, free)
        else
          delay[i] = from - tolerance - validity + (granted[i] - 1) * interval - now
        end
      end
      tat = from + granted[i] * interval
    end
    store(KEYS[i], tat, now, window)
    marks[i] = string.format('%.3f', tat)
  end
end
if pause < 0 then pause = 0 end
return {granted[1], granted[2], math.ceil(delay[1]), math.ceil(delay[2]), pause, processes, known[1] or '', known[2] or '', marks[1], marks[2]}
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
# and for tokens: limit, give back, mark.
RELEASE: Final = (
    _GCRA
    + """
local window, validity = tonumber(ARGV[2]), tonumber(ARGV[3])
for i = 1, 2 do
  local limit, back, mark = tonumber(ARGV[4 + (i - 1) * 3]), tonumber(ARGV[5 + (i - 1) * 3]), ARGV[6 + (i - 1) * 3]
  local raw = redis.call('GET', KEYS[i])
  if limit > 0 and back > 0 and raw then
    local interval = gcra(limit, window, validity)
    store(KEYS[i], give_back(raw, tonumber(raw), back, interval, now, mark), now, window)
  end
end
redis.call('ZREM', KEYS[3], ARGV[1])
if redis.call('ZCARD', KEYS[3]) == 0 then redis.call('DEL', KEYS[3]) end
return 1
"""
)


def lease_args(process: str, window: float, ask: Ask) -> list[_Arg]:
    """The LEASE script's ARGV for `ask` from `process`, for limits over `window` seconds."""
    args: list[_Arg] = [
        process,
        window * 1000,
        lease_validity(window) * 1000,
        heartbeat(window) * 1000,
        int(ask.warm),
    ]
    for i in range(2):
        args += [
            ask.limits[i],
            ask.want[i],
            ask.need[i],
            ask.give_back[i],
            ask.learned[i],
            ask.marks[i],
            ask.reserve[i],
        ]
    return args


def lease_keys(key: str) -> list[str]:
    """The LEASE script's KEYS."""
    names = key_names(key)
    return [names[name] for name in ("requests", "tokens", "pause", "processes", "learned")]


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
        waiting: Callable[[], int],
        recheck: Callable[[], None],
        paused: Callable[[float], None],
    ) -> None:
        self._limits = limits
        self._book = book
        self._clock = clock
        self._head_cost = head_cost
        self._waiting = waiting
        self._recheck = recheck
        self._paused = paused
        self._keys = key_names(limits.key)
        # Unique per process and per client: two clients in one process lease apart.
        self.process = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"
        self._backend: _Backend | None = None
        self._poke: MemoryObjectSendStream[None] | None = None
        self._outage = False
        self._secrets = _secrets(limits.url)

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
        ask = book.ask(self._head_cost(), self._clock(), self._waiting())
        if ask is None:
            return
        reply = await self._call(LEASE, self._lease_keys(), self._lease_args(ask))
        now = self._clock()
        book.ask_seconds += now - ask.sent_at
        if isinstance(reply, BaseException):
            if book.failure is None:
                book.unreachable(ask, now)
        else:
            try:
                answer = _answer(reply)
            except (ValueError, TypeError) as exc:  # a reply these scripts never give: told, retried later
                _logging.warn(
                    "ratelimit.shared_bad_reply", url=redact_url(self._limits.url), error=repr(exc)[:200]
                )
                book.unreachable(ask, now)
            else:
                book.answer(ask, answer, now)
                if answer.paused_for > 0:
                    self._paused(answer.paused_for)
        self._recheck()

    def _lease_keys(self) -> list[str]:
        return lease_keys(self._limits.key)

    def _lease_args(self, ask: Ask) -> list[_Arg]:
        return lease_args(self.process, self._book.window, ask)

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
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return _logging.scrub_text(text)

    async def release(self) -> None:
        """The dispatcher is closing: give back what is held and leave the set of processes, briefly."""
        backend = self._backend
        if backend is None:
            return
        book = self._book
        contacted = book.contacted or book.asks
        back, marks = book.release(self._clock())
        try:
            with anyio.move_on_after(RELEASE_TIMEOUT, shield=True):
                if contacted:
                    keys = self._keys
                    limits = book.limits()
                    args: list[_Arg] = [self.process, book.window * 1000, book.validity * 1000]
                    for i in range(2):
                        args += [limits[i], back[i], marks[i]]
                    reply = await self._call(
                        RELEASE, [keys["requests"], keys["tokens"], keys["processes"]], args
                    )
                    if isinstance(reply, BaseException):
                        book.unreturned(back)  # for this client's next loop, if it has one
        finally:
            self._backend = None
            with anyio.move_on_after(RELEASE_TIMEOUT, shield=True):
                try:
                    await backend.aclose()
                except Exception:
                    pass  # closing anyway: what was not returned comes back as its lease expires


def _answer(reply: Sequence[object]) -> Answer:
    """The LEASE script's reply read; ValueError if it is not one (not 10 values)."""
    if len(reply) != 10:
        raise ValueError(f"a lease reply has 10 values, not {len(reply)}")
    granted_requests, granted_tokens, delay_requests, delay_tokens, pause, processes, *rest = reply
    learned, marks = rest[:2], rest[2:]
    return Answer(
        granted=(int(_text(granted_requests)), int(_text(granted_tokens))),
        delay=(int(_text(delay_requests)) / 1000, int(_text(delay_tokens)) / 1000),
        wait=int(_text(pause)) / 1000,
        paused_for=int(_text(pause)) / 1000,
        processes=int(_text(processes)),
        learned=(_number(learned[0]), _number(learned[1])),
        marks=(_text(marks[0]), _text(marks[1])),
    )


def _secrets(url: str) -> tuple[str, ...]:
    """The passwords in `url`: after the user name, and in the query (redis-py reads both)."""
    from urllib.parse import parse_qsl, unquote, urlsplit

    try:
        parts = urlsplit(url)
        password = parts.password
    except ValueError:
        return ()
    found = [unquote(password)] if password else []
    found += [value for name, value in parse_qsl(parts.query) if name == "password" and value]
    return tuple(found)


def _nothing() -> None:
    pass
