"""Limits shared through a real redis-server: clients, threads and OS processes against the mock server.

The mock server enforces the same limit the clients share, so a 429 there is
a failure of the sharing; the times it received requests at give the count
in any window. Short windows (2 s) keep the tests short.
"""

from __future__ import annotations

import functools
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import anyio
import pytest

from openai_actors import AsyncOpenAI, OpenAI, RateLimit, SharedLimits, SharedLimitsError
from openai_actors.mock import Fault, MockServer

from ._redis import RedisServer
from .conftest import eventually, send_many
from .log_events import captured_events

pytestmark = pytest.mark.anyio

WINDOW = 2.0
LIMIT = 200  # per WINDOW: 100 requests/s
ROOT = Path(__file__).resolve().parent.parent


def most_in_any_window(times: Sequence[float], window: float) -> int:
    """The most of `times` that fall in any `window` seconds."""
    times = sorted(times)
    most = 0
    start = 0
    for end, t in enumerate(times):
        while t - times[start] >= window:
            start += 1
        most = max(most, end - start + 1)
    return most


def chat_times(server: MockServer) -> list[float]:
    return [r.received_at for r in server.requests if r.path == "/v1/chat/completions"]


def contents(server: MockServer) -> list[str]:
    return [r.json()["messages"][0]["content"] for r in server.requests if r.path == "/v1/chat/completions"]


@pytest.fixture
def limited() -> Iterator[MockServer]:
    """A mock server enforcing LIMIT requests per WINDOW, as OpenAI does (a continuously refilled bucket)."""
    with MockServer(rate_limit_requests=LIMIT, rate_limit_window=WINDOW) as server:
        yield server


def shared_rate(url: str, key: str, **options: Any) -> RateLimit:
    return RateLimit(
        requests_per_minute=options.pop("rpm", LIMIT),
        window=options.pop("window", WINDOW),
        shared=SharedLimits(url, key=key, **options),
    )


def redis_keys(redis: RedisServer, key: str) -> dict[str, int]:
    """Every key of `key`'s limits, with its time to live in ms."""
    client: Any = redis.client()
    try:
        return {name.decode(): client.pttl(name) for name in client.keys(f"{{{key}}}:*")}
    finally:
        client.close()


def redis_get(redis: RedisServer, name: str) -> bytes:
    client: Any = redis.client()
    try:
        value = client.get(name)
    finally:
        client.close()
    assert value is not None, name
    return bytes(value)


def wait_until(predicate: Any, timeout: float, what: str) -> None:
    """Poll a condition in another process (Redis, a child) that offers nothing to wait on."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


class TestOneProcess:
    @pytest.mark.timeout(30)
    async def test_clients_sharing_a_limit_keep_to_it_together(
        self, limited: MockServer, redis_server: RedisServer, shared_key: str
    ) -> None:
        """Three clients, each paced to the whole limit, share it: no 429, never more than the limit in
        a window, every request sent exactly once, with far fewer round trips to Redis than requests."""
        rate = shared_rate(redis_server.url, shared_key)
        clients = [AsyncOpenAI(api_key="sk", base_url=limited.url, rate_limit=rate) for _ in range(3)]
        try:
            async with anyio.create_task_group() as tg:
                for i, client in enumerate(clients):
                    tg.start_soon(_send_prefixed, client, f"c{i}", 100)
        finally:
            for client in clients:
                await client.close()
        assert 0 == limited.rate_limited
        assert sorted(f"c{i}-{j}" for i in range(3) for j in range(100)) == sorted(contents(limited))
        assert most_in_any_window(chat_times(limited), WINDOW) <= LIMIT
        leases = sum(c._book.asks for c in clients if c._book is not None)
        assert leases < 300

    @pytest.mark.timeout(30)
    async def test_clients_sharing_a_token_limit_keep_to_it_together(
        self, redis_server: RedisServer, shared_key: str
    ) -> None:
        """Tokens too: reserved as the estimate, corrected to the usage, shared; no 429 from a server
        enforcing the same tokens per window, though the clients together want more than a window's."""
        tokens = 12_000
        with MockServer(rate_limit_tokens=tokens, rate_limit_window=WINDOW) as server:
            rate = RateLimit(
                tokens_per_minute=tokens, window=WINDOW, shared=SharedLimits(redis_server.url, key=shared_key)
            )
            clients = [AsyncOpenAI(api_key="sk", base_url=server.url, rate_limit=rate) for _ in range(3)]
            try:
                async with anyio.create_task_group() as tg:
                    for i, client in enumerate(clients):
                        # About 60 tokens each: 18,000 in all, a window and a half.
                        tg.start_soon(
                            functools.partial(_send_prefixed, padding=" " + "word " * 44),
                            client,
                            f"t{i}",
                            100,
                        )
            finally:
                for client in clients:
                    await client.close()
            assert 0 == server.rate_limited
            assert 300 == len({c.split(" ")[0] for c in contents(server)})
        used = sum(c.stats().tokens_used for c in clients)
        assert used > tokens  # more than one window's worth went through

    @pytest.mark.timeout(30)
    async def test_a_client_closing_gives_back_what_it_held_and_leaves_the_set_of_processes(
        self, limited: MockServer, redis_server: RedisServer, shared_key: str
    ) -> None:
        rate = shared_rate(redis_server.url, shared_key)
        async with AsyncOpenAI(api_key="sk", base_url=limited.url, rate_limit=rate) as client:
            assert [] == await send_many(client, 5, 5)
            assert f"{{{shared_key}}}:processes" in redis_keys(redis_server, shared_key)
            book = client._book
            assert book is not None
            held = book.pools[0].held
            assert held > 0  # a slice is bigger than 5 requests at first
            tat_before = float(redis_get(redis_server, f"{{{shared_key}}}:requests"))
        assert f"{{{shared_key}}}:processes" not in redis_keys(redis_server, shared_key)
        assert 0 == book.pools[0].held
        # The limit's time in Redis went back by the units given back (nobody leased since).
        tat_after = float(redis_get(redis_server, f"{{{shared_key}}}:requests"))
        assert tat_after < tat_before

    @pytest.mark.timeout(30)
    async def test_limits_learned_from_the_server_are_shared(
        self, limited: MockServer, redis_server: RedisServer, shared_key: str
    ) -> None:
        """One client learns the limit from the server's headers; another, whose server sends none,
        paces to it from its first request."""
        learner_rate = RateLimit(window=WINDOW, shared=SharedLimits(redis_server.url, key=shared_key))
        async with AsyncOpenAI(api_key="sk", base_url=limited.url, rate_limit=learner_rate) as learner:
            assert [] == await send_many(learner, 3, 1)
        with MockServer() as silent:  # no x-ratelimit-* headers
            rate = RateLimit(window=WINDOW, shared=SharedLimits(redis_server.url, key=shared_key))
            async with AsyncOpenAI(api_key="sk", base_url=silent.url, rate_limit=rate) as client:
                assert [] == await send_many(client, 1, 1)
                limit = client.stats().requests_per_minute
        assert (float(LIMIT), "learned") == (limit.value, limit.source)

    @pytest.mark.timeout(30)
    async def test_a_429_heard_by_one_client_pauses_the_others(
        self, limited: MockServer, redis_server: RedisServer, shared_key: str
    ) -> None:
        """The pause is published with the server's retry-after; a client elsewhere waits it out."""
        limited.script(Fault(status=429, headers={"retry-after-ms": "1500"}, path="/v1/chat/completions"))
        rate = shared_rate(redis_server.url, shared_key)
        pause_key = f"{{{shared_key}}}:pause"
        with MockServer() as other, captured_events() as events:
            async with (
                AsyncOpenAI(api_key="sk", base_url=limited.url, rate_limit=rate) as hearer,
                AsyncOpenAI(api_key="sk", base_url=other.url, rate_limit=rate) as client,
                anyio.create_task_group() as tg,
            ):
                tg.start_soon(send_many, hearer, 1, 1)  # refused once, retried after the pause
                await anyio.to_thread.run_sync(
                    lambda: wait_until(
                        lambda: pause_key in redis_keys(redis_server, shared_key), 5, "the pause"
                    )
                )
                left = redis_keys(redis_server, shared_key)[pause_key] / 1000
                started = time.monotonic()
                assert [] == await send_many(client, 1, 1)
                waited = time.monotonic() - started
        assert left > 0.5
        assert waited >= left - 0.1
        assert 1 == len(contents(other))
        causes = [e["cause"] for e in events if e["event"] == "ratelimit.pause"]
        assert "a 429 heard by another process sharing the limits" in causes

    @pytest.mark.timeout(30)
    async def test_keys_all_expire_and_nothing_is_left_behind(
        self, redis_server: RedisServer, shared_key: str
    ) -> None:
        """Every key has a time to live; after the longest (three windows of 0.5 s), none is left."""
        with MockServer(rate_limit_requests=100, rate_limit_window=0.5) as server:
            rate = shared_rate(redis_server.url, shared_key, rpm=100, window=0.5)
            async with AsyncOpenAI(api_key="sk", base_url=server.url, rate_limit=rate) as client:
                assert [] == await send_many(client, 20, 4)
                during = redis_keys(redis_server, shared_key)
        assert {f"{{{shared_key}}}:{name}" for name in ("requests", "processes", "learned")} <= set(during)
        assert all(ttl > 0 for ttl in during.values()), during
        await anyio.to_thread.run_sync(
            lambda: wait_until(lambda: not redis_keys(redis_server, shared_key), 5, "the keys to expire")
        )


async def _send_prefixed(
    client: AsyncOpenAI, prefix: str, count: int, concurrency: int = 16, *, padding: str = ""
) -> None:
    limiter = anyio.Semaphore(concurrency)

    async def one(i: int) -> None:
        async with limiter:
            await client.chat.completions.create(
                model="m", messages=[{"role": "user", "content": f"{prefix}-{i}{padding}"}], max_tokens=4
            )

    async with anyio.create_task_group() as tg:
        for i in range(count):
            tg.start_soon(one, i)


class TestLoops:
    @pytest.mark.timeout(30)
    def test_a_client_used_in_one_event_loop_then_another_keeps_sharing(
        self, limited: MockServer, redis_server: RedisServer, shared_key: str
    ) -> None:
        """trio, then asyncio, then trio (whose clocks start anywhere): each run leases afresh, none waits
        on a time kept on another loop's clock."""
        rate = shared_rate(redis_server.url, shared_key)
        client = AsyncOpenAI(api_key="sk", base_url=limited.url, rate_limit=rate)
        for backend in ("trio", "asyncio", "trio"):
            started = time.monotonic()
            assert [] == anyio.run(send_many, client, 20, 4, backend=backend)
            assert time.monotonic() - started < 5
        anyio.run(client.close)
        assert 60 == len(contents(limited))


class TestSyncClient:
    @pytest.mark.timeout(30)
    @pytest.mark.parametrize("anyio_backend", ["asyncio"])  # the test's own loop plays no part
    async def test_sync_clients_in_threads_share_a_limit(
        self, limited: MockServer, redis_server: RedisServer, shared_key: str
    ) -> None:
        rate = shared_rate(redis_server.url, shared_key)
        errors: list[BaseException] = []

        def run(prefix: str) -> None:
            with OpenAI(api_key="sk", base_url=limited.url, rate_limit=rate) as client:
                threads = [
                    threading.Thread(target=_ask_sync, args=(client, f"{prefix}-{t}", 25, errors))
                    for t in range(4)
                ]
                for t in threads:
                    t.start()
                for t in threads:
                    t.join(25)

        def both() -> None:
            workers = [threading.Thread(target=run, args=(p,)) for p in ("a", "b")]
            for w in workers:
                w.start()
            for w in workers:
                w.join(28)

        await anyio.to_thread.run_sync(both)
        assert [] == errors
        assert 200 == len(contents(limited))
        assert 0 == limited.rate_limited
        assert most_in_any_window(chat_times(limited), WINDOW) <= LIMIT


class TestBatch:
    @pytest.mark.timeout(30)
    async def test_batches_of_two_clients_share_a_limit(
        self, limited: MockServer, redis_server: RedisServer, shared_key: str
    ) -> None:
        """`client.batch(...)` goes through the same shared limits: two batches over the limit together,
        no 429, every custom_id answered once."""
        rate = shared_rate(redis_server.url, shared_key)

        async def one_batch(prefix: str) -> list[str]:
            lines = [
                {"custom_id": f"{prefix}{i}", "method": "POST", "url": "/v1/chat/completions",
                 "body": {"model": "m", "messages": [{"role": "user", "content": f"{prefix}{i}"}], "max_tokens": 4}}
                for i in range(150)
            ]  # fmt: skip
            async with AsyncOpenAI(api_key="sk", base_url=limited.url, rate_limit=rate) as client:
                return [r.custom_id async for r in client.batch(lines, max_in_flight=32) if r.error is None]

        answered: list[str] = []

        async def collect(prefix: str) -> None:
            answered.extend(await one_batch(prefix))

        async with anyio.create_task_group() as tg:
            tg.start_soon(collect, "a")
            tg.start_soon(collect, "b")
        assert sorted(f"{p}{i}" for p in "ab" for i in range(150)) == sorted(answered)
        assert 0 == limited.rate_limited
        assert most_in_any_window(chat_times(limited), WINDOW) <= LIMIT


def _ask_sync(client: OpenAI, prefix: str, count: int, errors: list[BaseException]) -> None:
    for i in range(count):
        try:
            client.chat.completions.create(
                model="m", messages=[{"role": "user", "content": f"{prefix}-{i}"}], max_tokens=4
            )
        except BaseException as exc:
            errors.append(exc)


def _worker(
    redis_url: str, key: str, server: MockServer, prefix: str, count: int, **extra: Any
) -> subprocess.Popen[str]:
    command = [
        sys.executable, "-m", "tests.shared_worker",
        "--redis", redis_url, "--key", key, "--base-url", server.url, "--prefix", prefix,
        "--count", str(count), "--rpm", str(extra.get("rpm", LIMIT)), "--window", str(WINDOW),
    ]  # fmt: skip
    if "on_unreachable" in extra:
        command += ["--on-unreachable", extra["on_unreachable"]]
    env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    return subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def _result(process: subprocess.Popen[str]) -> dict[str, Any]:
    out, err = process.communicate(timeout=40)
    assert 0 == process.returncode, err
    return dict(json.loads(out.strip().splitlines()[-1]))


class TestProcesses:
    @pytest.mark.timeout(60)
    @pytest.mark.parametrize("anyio_backend", ["asyncio"])  # the children run asyncio; trio is tested above
    async def test_separate_processes_share_a_limit(
        self, limited: MockServer, redis_server: RedisServer, shared_key: str
    ) -> None:
        """Three OS processes, each paced to the whole limit: together within it, no 429, nothing lost."""

        def run() -> list[dict[str, Any]]:
            children = [_worker(redis_server.url, shared_key, limited, f"p{i}", 120) for i in range(3)]
            return [_result(child) for child in children]

        results = await anyio.to_thread.run_sync(run)
        assert [120, 120, 120] == [r["ok"] for r in results]
        assert 0 == limited.rate_limited
        assert 360 == len(set(contents(limited))) == len(contents(limited))
        assert most_in_any_window(chat_times(limited), WINDOW) <= LIMIT
        assert sum(r["leases"] for r in results) < 360

    @pytest.mark.timeout(60)
    @pytest.mark.parametrize("anyio_backend", ["asyncio"])
    async def test_a_process_killed_with_sigkill_costs_at_most_its_lease(
        self, limited: MockServer, redis_server: RedisServer, shared_key: str
    ) -> None:
        """One of three is killed mid-run: the others finish within the limit, without a 429, and the
        killed one leaves the set of processes when its heartbeat lapses."""

        def run() -> list[dict[str, Any]]:
            victim = _worker(redis_server.url, shared_key, limited, "victim", 10_000)
            others = [_worker(redis_server.url, shared_key, limited, f"p{i}", 150) for i in range(2)]
            wait_until(
                lambda: sum(c.startswith("victim") for c in contents(limited)) >= 50, 20, "the victim to send"
            )
            victim.send_signal(signal.SIGKILL)
            victim.wait(10)
            victim.stdout.close()  # type: ignore[union-attr]
            victim.stderr.close()  # type: ignore[union-attr]
            return [_result(child) for child in others]

        results = await anyio.to_thread.run_sync(run)
        assert [150, 150] == [r["ok"] for r in results]
        assert 0 == limited.rate_limited
        assert most_in_any_window(chat_times(limited), WINDOW) <= LIMIT
        processes = f"{{{shared_key}}}:processes"
        await anyio.to_thread.run_sync(
            lambda: wait_until(
                lambda: processes not in redis_keys(redis_server, shared_key), 5, "the heartbeat to lapse"
            )
        )


class TestRedisFaults:
    @pytest.mark.timeout(40)
    async def test_a_redis_restart_mid_run_loses_and_repeats_nothing(
        self, limited: MockServer, own_redis: RedisServer, shared_key: str
    ) -> None:
        """Redis restarted (empty) while two clients send: every request sent once, no 429, and the
        limit held across the restart."""
        rate = shared_rate(own_redis.url, shared_key)
        clients = [AsyncOpenAI(api_key="sk", base_url=limited.url, rate_limit=rate) for _ in range(2)]

        def restart_midway() -> None:
            wait_until(lambda: len(contents(limited)) >= 150, 20, "the run to be under way")
            own_redis.restart()

        try:
            async with anyio.create_task_group() as tg:
                tg.start_soon(anyio.to_thread.run_sync, restart_midway)
                for i, client in enumerate(clients):
                    tg.start_soon(_send_prefixed, client, f"c{i}", 200)
        finally:
            for client in clients:
                await client.close()
        assert sorted(f"c{i}-{j}" for i in range(2) for j in range(200)) == sorted(contents(limited))
        assert 0 == limited.rate_limited
        assert most_in_any_window(chat_times(limited), WINDOW) <= LIMIT

    @pytest.mark.timeout(30)
    async def test_admissions_wait_for_an_unreachable_redis_with_a_warning(
        self, limited: MockServer, own_redis: RedisServer, shared_key: str
    ) -> None:
        """By default nothing is sent while Redis cannot be reached; once it is back, everything is."""
        own_redis.stop()
        rate = shared_rate(own_redis.url, shared_key, timeout=0.5)
        with captured_events() as events:
            async with AsyncOpenAI(api_key="sk", base_url=limited.url, rate_limit=rate) as client:
                async with anyio.create_task_group() as tg:
                    tg.start_soon(send_many, client, 5, 5)
                    await eventually(
                        lambda: any(e["event"] == "ratelimit.shared_unreachable" for e in events), 10
                    )
                    assert 5 == client.stats().waiting + client.stats().in_flight
                    assert 0 == client.stats().in_flight
                    assert [] == contents(limited)
                    await anyio.to_thread.run_sync(own_redis.start)
        assert 5 == len(contents(limited))
        warning = next(e for e in events if e["event"] == "ratelimit.shared_unreachable")
        assert "admissions wait" == warning["then"]

    @pytest.mark.timeout(30)
    async def test_local_fallback_sends_at_this_processes_share(
        self, limited: MockServer, own_redis: RedisServer, shared_key: str
    ) -> None:
        """Two clients were seen sharing; Redis goes away; one of them alone then sends at half the limit."""
        rate = shared_rate(own_redis.url, shared_key, on_unreachable="local", timeout=0.5)
        async with AsyncOpenAI(api_key="sk", base_url=limited.url, rate_limit=rate) as other:
            async with AsyncOpenAI(api_key="sk", base_url=limited.url, rate_limit=rate) as client:
                assert [] == await send_many(other, 3, 1)
                assert [] == await send_many(client, 3, 1)
                book = client._book
                assert book is not None
                assert 2 == book.processes
                own_redis.stop()
                started = time.monotonic()
                await _send_prefixed(client, "alone", 150)
                took = time.monotonic() - started
        sent = [
            r.received_at for r in limited.requests if r.json()["messages"][0]["content"].startswith("alone")
        ]
        assert 150 == len(sent)
        # At 100/2 s (half of 200 per 2 s), 150 requests take about 3 s less what was held.
        assert most_in_any_window(sent, WINDOW) <= LIMIT // 2 + 10
        assert took >= 2.0


class TestErrors:
    def test_a_bad_url_is_a_clear_error_at_construction_without_its_password(self) -> None:
        for url, words in [
            ("http://user:hunter2@host:6379/0", "must start with redis://"),
            ("redis://:hunter2@host:notaport/0", "port"),
            ("redis://:hunter2@/0", "names no host"),
            ("redis://:hunter2@host:6379/zero", "database"),
        ]:
            with pytest.raises(ValueError, match=words) as info:
                SharedLimits(url, key="k")
            assert "hunter2" not in str(info.value)
        with pytest.raises(ValueError, match="key"):
            SharedLimits("redis://host", key="{bad}")
        with pytest.raises(ValueError, match="on_unreachable"):
            SharedLimits("redis://host", key="k", on_unreachable="drop")  # type: ignore[arg-type]
        with pytest.raises(TypeError, match="SharedLimits"):
            RateLimit(shared="redis://host")  # type: ignore[arg-type]

    def test_a_rate_limit_with_shared_limits_pickles_for_worker_processes(self) -> None:
        """Ray actors and multiprocessing workers get their settings pickled."""
        import pickle

        rate = RateLimit(
            requests_per_minute=5, shared=SharedLimits("redis://:pw@h:1/0", key="k", on_unreachable="local")
        )
        assert rate == pickle.loads(pickle.dumps(rate))

    def test_the_password_is_never_in_a_repr(self) -> None:
        limits = SharedLimits("redis://user:hunter2@host:6379/0", key="org-acme")
        assert "hunter2" not in repr(limits)
        assert "hunter2" not in repr(RateLimit(shared=limits))
        assert "redis://***@host:6379/0" in repr(limits)

    def test_a_password_in_the_query_is_never_shown_either(self) -> None:
        """redis-py also takes `?password=` (the only way to give one to a unix:// socket): redacted too,
        in the repr and in errors; parameters that are not secrets stay readable."""
        for url, shown in [
            ("unix:///run/redis.sock?db=2&password=hunter2", "unix:///run/redis.sock?db=2&password=***"),
            (
                "redis://host:6379/0?username=app&password=hunter2",
                "redis://host:6379/0?username=***&password=***",
            ),
            ("redis://:hunter2@host/0?password=hunter2", "redis://***@host/0?password=***"),
        ]:
            assert f"SharedLimits({shown!r}, key='k', on_unreachable='wait')" == repr(
                SharedLimits(url, key="k")
            )
        with pytest.raises(ValueError, match="the database after the host must be a number") as info:
            SharedLimits("redis://host/zero?password=hunter2", key="k")
        assert "hunter2" not in str(info.value)

    def test_a_database_in_the_query_is_checked_at_construction(self) -> None:
        """`?db=` is read by redis-py only once the dispatcher starts: a bad one would fail that instead."""
        for url in ("unix:///run/redis.sock?db=x&password=hunter2", "redis://host/?db=-1"):
            with pytest.raises(ValueError, match=r"the database \(\?db=\) must be a number") as info:
                SharedLimits(url, key="k")
            assert "hunter2" not in str(info.value)
        assert "db=3" in repr(SharedLimits("unix:///run/redis.sock?db=3", key="k"))

    def test_a_reply_of_the_wrong_length_is_a_bad_reply_not_a_crash(self) -> None:
        """The shell tells of a ValueError and retries; an IndexError would have failed the dispatcher."""
        from openai_actors._shared_redis import _answer

        for reply in ([0] * 6, [0] * 11):
            with pytest.raises(ValueError, match="a lease reply has 10 values"):
                _answer(reply)

    def test_an_unreadable_port_is_named_in_our_words(self) -> None:
        """A port urllib cannot read is an error of SharedLimits naming the URL (without its password)."""
        with pytest.raises(ValueError, match="its port") as info:
            SharedLimits("redis://:hunter2@host:notaport/0", key="k")
        assert (
            "SharedLimits: 'redis://***@host:notaport/0' is not a valid Redis URL "
            "(its port is not a number from 0 to 65535)"
        ) == str(info.value)

    def test_an_ipv6_host_keeps_its_brackets(self) -> None:
        assert "'redis://***@[::1]:6379/0'" in repr(SharedLimits("redis://:hunter2@[::1]:6379/0", key="k"))

    @pytest.mark.timeout(20)
    @pytest.mark.parametrize("where", ["user-info", "query"])
    async def test_a_wrong_password_fails_requests_with_one_clear_error(
        self, shared_key: str, where: str
    ) -> None:
        from ._redis import redis_server_binary

        server = RedisServer(redis_server_binary(), password="right-one")
        await anyio.to_thread.run_sync(server.start)
        try:
            url = f"redis://:hunter2@127.0.0.1:{server.port}/0"
            if where == "query":
                url = f"redis://127.0.0.1:{server.port}/0?password=hunter2"
            with MockServer() as api, captured_events() as events:
                rate = RateLimit(requests_per_minute=100, shared=SharedLimits(url, key=shared_key))
                async with AsyncOpenAI(api_key="sk", base_url=api.url, rate_limit=rate) as client:
                    errors = await send_many(client, 3, 3)
                assert [] == contents(api)
        finally:
            server.stop()
        assert 3 == len(errors)
        assert all(isinstance(e, SharedLimitsError) for e in errors)
        assert "refused this client's credentials" in str(errors[0])
        assert "hunter2" not in str(errors[0])
        assert "hunter2" not in repr(events)


class TestTheFixture:
    def test_a_missing_redis_server_skips_here_but_fails_under_ci(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """CI must never skip the shared-limits tests silently."""
        from . import _redis

        monkeypatch.setattr(_redis.shutil, "which", lambda name: None)
        monkeypatch.setattr(_redis, "INSTALLED", Path("/nonexistent/redis-server"))
        monkeypatch.delenv("CI", raising=False)
        with pytest.raises(pytest.skip.Exception, match="redis-server is not installed"):
            _redis.redis_server_binary()
        monkeypatch.setenv("CI", "true")
        with pytest.raises(pytest.fail.Exception, match="CI must run"):
            _redis.redis_server_binary()
