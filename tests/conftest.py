"""Shared fixtures: both async backends, a live mock server, clients pointed at it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import settings

from openai_actors import AsyncOpenAI
from openai_actors.mock import MockServer

from ._redis import RedisServer, redis_server_binary, session_redis

# The `mock_openai` fixture, as the package's pytest11 entry point registers it once installed.
pytest_plugins = ["openai_actors.testing"]

RESPX_SUITE = Path(__file__).parent / "respx_suite"


def pytest_pycollect_makemodule(module_path: Path, parent: pytest.Collector) -> pytest.Module | None:
    """tests/respx_suite is written for the official `openai`: here it runs on `openai_actors`."""
    if module_path.parent == RESPX_SUITE and module_path.name.startswith("test_"):
        from .openai_swap import SwappedModule

        return SwappedModule.from_parent(parent, path=module_path)
    return None


# No per-example deadline: the machine is shared, and a slow example is not a wrong one.
settings.register_profile("project", deadline=None)
settings.load_profile("project")


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    """Every async test runs on asyncio and on trio."""
    return str(request.param)


@pytest.fixture
def server() -> Iterator[MockServer]:
    """A fresh mock server on a free loopback port, stopped after the test."""
    with MockServer() as srv:
        yield srv


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    """A real redis-server for the whole session, on a free loopback port (skipped if missing, but not in CI)."""
    yield from session_redis()


@pytest.fixture
def own_redis() -> Iterator[RedisServer]:
    """A redis-server of this test's own, for tests that restart or stop it."""
    server = RedisServer(redis_server_binary())
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def shared_key(request: pytest.FixtureRequest) -> str:
    """A key no other test uses, so tests sharing the session's Redis never share limits."""
    import secrets

    return f"test-{secrets.token_hex(6)}"


@pytest.fixture
def client(server: MockServer) -> Iterator[httpx.Client]:
    """A plain httpx client to the mock server, for the mock server's own tests."""
    with httpx.Client(base_url=server.url, timeout=5.0) as http:
        yield http


def client_for(server: MockServer | RawServer, **options: Any) -> AsyncOpenAI:
    """An AsyncOpenAI pointed at `server`, with a test key."""
    return AsyncOpenAI(api_key="sk-test", base_url=server.url, **options)


@pytest.fixture(autouse=True)
def _collect_garbage() -> Iterator[None]:
    """Collect after each test, so a leaked socket or stream warns in the test that leaked it.

    What survives is then frozen (`gc.freeze`), so the next collection scans only what
    later tests make: with the generated types, pydantic and the official SDK (the tests'
    oracle) imported, a full collection over everything cost about 0.3 s a test.
    """
    yield
    import gc

    gc.collect()
    gc.freeze()


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test sees the developer's OpenAI or proxy settings."""
    for name in (
        "OPENAI_API_KEY",
        "OPENAI_ORG_ID",
        "OPENAI_PROJECT_ID",
        "OPENAI_BASE_URL",
        "OPENAI_WEBHOOK_SECRET",
        "OPENAI_LOG",
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "http_proxy",
        "https_proxy",
        "all_proxy",
        "NO_PROXY",
        "no_proxy",
    ):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def sigint_reaches_children() -> Iterator[None]:
    """SIGINT not ignored in the subprocesses this test starts (and sends SIGINT to).

    A pytest started with SIGINT ignored (a script's background job, nohup)
    passes that on to every child, and a child ignoring SIGINT never stops:
    the test would hang until its timeout. A handler, unlike SIG_IGN, is not
    inherited across exec, so the child starts with the default.
    """
    import signal

    previous = signal.getsignal(signal.SIGINT)
    if previous is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        if previous is signal.SIG_IGN:
            signal.signal(signal.SIGINT, signal.SIG_IGN)


def chat_body(content: str = "hi", **extra: Any) -> dict[str, Any]:
    return {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": content}], **extra}


async def send_many(client: AsyncOpenAI, count: int, concurrency: int, **extra: Any) -> list[BaseException]:
    """`count` chat requests (contents r0, r1, ...) from `concurrency` callers; the errors they met."""
    import anyio

    errors: list[BaseException] = []
    limiter = anyio.Semaphore(concurrency)

    async def one(i: int) -> None:
        async with limiter:
            try:
                await client.chat.completions.create(**chat_body(f"r{i}"), **extra)
            except Exception as exc:
                errors.append(exc)

    async with anyio.create_task_group() as tg:
        for i in range(count):
            tg.start_soon(one, i)
    return errors


async def until(server: MockServer, predicate: Any, timeout: float = 5.0) -> None:
    """Wait, without blocking the event loop, until `predicate(server)` holds."""
    import anyio

    await anyio.to_thread.run_sync(lambda: server.wait_for(predicate, timeout))


async def eventually(predicate: Any, timeout: float = 5.0) -> None:
    """Wait until `predicate()` holds, for state that changes in this event loop with no event
    to wait on (a socket's readiness as the kernel sees it); fails after `timeout` seconds."""
    import anyio

    with anyio.fail_after(timeout):
        while not predicate():  # noqa: ASYNC110 - nothing to wait on but the condition itself
            await anyio.sleep(0.005)


def close_while_threads_ask(base_url: str, rounds: int = 5, threads: int = 8) -> None:
    """Threads send requests through one `OpenAI` while the main thread closes it: each
    thread sees answers, then ClientClosedError; no other error, no thread left hanging."""
    import gc
    import threading

    from openai_actors import ClientClosedError, OpenAI

    for _ in range(rounds):
        client = OpenAI(api_key="sk", base_url=base_url)
        unexpected: list[BaseException] = []

        def ask(client: OpenAI = client, unexpected: list[BaseException] = unexpected) -> None:
            for _ in range(20):
                try:
                    client.models.list()
                except ClientClosedError:
                    return
                except BaseException as exc:
                    unexpected.append(exc)
                    return

        workers = [threading.Thread(target=ask) for _ in range(threads)]
        for t in workers:
            t.start()
        client.close()
        for t in workers:
            t.join(10)
        assert [] == unexpected
        assert not any(t.is_alive() for t in workers)
        gc.collect()  # a socket left open would warn now, and warnings are errors here


class RawServer:
    """A loopback TCP server that answers every request with the next scripted bytes, then closes.

    For the responses a well-behaved server never sends: malformed heads, bad
    framing, garbage.
    """

    def __init__(self) -> None:
        import socket
        import threading

        self.replies: list[bytes] = []
        # Set to hold each connection open after its reply, until released.
        self.linger: threading.Event | None = None
        # Requests read so far; `on_request` (if set) is called with the count before each reply.
        self.requests = 0
        self.on_request: Callable[[int], None] | None = None
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(16)
        self.port = self._sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}/v1"
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            with conn:
                data = b""
                while b"\r\n\r\n" not in data:
                    chunk = conn.recv(65536)
                    if not chunk:
                        break
                    data += chunk
                self.requests += 1
                if self.on_request is not None:
                    self.on_request(self.requests)
                reply = (
                    self.replies.pop(0)
                    if self.replies
                    else b"HTTP/1.1 500 Nothing scripted\r\nContent-Length: 0\r\n\r\n"
                )
                try:
                    conn.sendall(reply)
                except OSError:  # the client went away meanwhile
                    continue
                if self.linger is not None:
                    self.linger.wait(30)

    def close(self) -> None:
        if self.linger is not None:
            self.linger.set()
        self._sock.close()


@pytest.fixture
def raw_server() -> Iterator[RawServer]:
    srv = RawServer()
    yield srv
    srv.close()
