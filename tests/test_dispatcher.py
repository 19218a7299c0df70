"""The dispatcher over real sockets: concurrency, retries, cancellation, close, bad servers."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import anyio
import pytest
import structlog

from openai_actors import (
    APIConnectionError,
    APITimeoutError,
    AsyncOpenAI,
    ClientClosedError,
    InternalServerError,
    RateLimitError,
)
from openai_actors.mock import Fault, MockServer

from .conftest import RawServer, chat_body, client_for, eventually, until
from .log_events import captured_events

pytestmark = pytest.mark.anyio
CHAT = "/v1/chat/completions"
# Retry promptly: these tests are about what is retried, not how long it waits.
SOON = {"retry-after-ms": "1"}


@pytest.fixture
def events() -> Iterator[list[dict[str, Any]]]:
    """The events the client logs, with debug events switched on."""
    with captured_events() as captured:
        yield captured


class TestConcurrency:
    async def test_thousands_of_concurrent_callers_each_get_their_own_answer(
        self, server: MockServer
    ) -> None:
        """3,000 requests in flight at once over real sockets; every answer goes to its own caller."""
        answers: dict[int, str] = {}
        async with client_for(server, max_connections=256) as client:

            async def ask(i: int) -> None:
                r = await client.chat.completions.create(**chat_body(f"question {i}"))
                answers[i] = r.choices[0].message.content or ""

            async with anyio.create_task_group() as tg:
                for i in range(3000):
                    tg.start_soon(ask, i)
        assert {i: f"echo: question {i}" for i in range(3000)} == answers
        assert 256 >= server.connections_opened

    async def test_requests_share_keep_alive_connections(self, server: MockServer) -> None:
        """Sequential requests reuse one connection instead of opening one each."""
        async with client_for(server) as client:
            for _ in range(20):
                await client.chat.completions.create(**chat_body())
        assert 1 == server.connections_opened


class TestContext:
    async def test_a_lane_started_for_one_caller_does_not_carry_its_context_to_others(
        self, server: MockServer, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A lone caller's request may start a lane from the caller's own task; that lane then
        serves every caller, so it must not run in the first one's context (its log bindings)."""
        from openai_actors import _dispatcher

        monkeypatch.setattr(_dispatcher, "LANE_IDLE", 0.05)

        async def ask(caller: str | None) -> None:
            if caller is not None:
                structlog.contextvars.bind_contextvars(caller=caller)
            await client.chat.completions.create(**chat_body())

        async with client_for(server) as client:
            await client.chat.completions.create(**chat_body())  # the dispatcher is up, admission idle
            await until(server, lambda s: s.open_connections == 0)  # its lane retired
            # Each event with the context variables bound where it was logged.
            with captured_events(with_contextvars=True) as captured:
                for caller in ("A", None):  # each in a task, and so a context, of its own
                    async with anyio.create_task_group() as tg:
                        tg.start_soon(ask, caller)
        assert 2 == server.connections_opened  # A's request started a new lane
        starts = [e for e in captured if e["event"] == "request.start"]
        assert [None, None] == [e.get("caller") for e in starts]


class TestRetries:
    async def test_a_5xx_is_retried_until_it_succeeds(self, server: MockServer) -> None:
        """Two 500s then the answer: the caller sees only the answer; the retry count header counts."""
        server.script(Fault(status=500, headers=SOON, path=CHAT), Fault(status=503, headers=SOON, path=CHAT))
        async with client_for(server) as client:
            r = await client.chat.completions.create(**chat_body("x"))
        assert "echo: x" == r.choices[0].message.content
        assert ["0", "1", "2"] == [req.headers["x-stainless-retry-count"] for req in server.requests]

    async def test_after_max_retries_the_error_says_how_many_attempts(self, server: MockServer) -> None:
        server.script(*[Fault(status=500, headers=SOON, path=CHAT)] * 3)
        async with client_for(server, max_retries=2) as client:
            with pytest.raises(InternalServerError) as info:
                await client.chat.completions.create(**chat_body())
        assert (3, 500) == (info.value.attempts, info.value.status_code)
        assert "after 3 attempts" in str(info.value)
        assert 3 == len(server.requests)

    async def test_max_retries_per_call_with_options(self, server: MockServer) -> None:
        server.script(*[Fault(status=500, headers=SOON, path=CHAT)] * 6)
        async with client_for(server, max_retries=0) as client:
            with pytest.raises(InternalServerError):
                await client.with_options(max_retries=4).chat.completions.create(**chat_body())
        assert 5 == len(server.requests)

    async def test_x_should_retry_false_is_obeyed(self, server: MockServer) -> None:
        server.script(Fault(status=503, headers={"x-should-retry": "false"}, path=CHAT))
        async with client_for(server) as client:
            with pytest.raises(InternalServerError):
                await client.chat.completions.create(**chat_body())
        assert 1 == len(server.requests)

    async def test_x_should_retry_true_retries_a_400(self, server: MockServer) -> None:
        server.script(Fault(status=400, headers={"x-should-retry": "true", **SOON}, path=CHAT))
        async with client_for(server) as client:
            await client.chat.completions.create(**chat_body())
        assert 2 == len(server.requests)

    async def test_retry_after_ms_sets_the_delay(
        self, server: MockServer, events: list[dict[str, Any]]
    ) -> None:
        """The dispatcher waits exactly what the server asked (here 50 ms), and no less."""
        server.script(Fault(status=429, headers={"retry-after-ms": "50"}, path=CHAT))
        async with client_for(server) as client:
            started = anyio.current_time()
            await client.chat.completions.create(**chat_body())
            waited = anyio.current_time() - started
        retries = [e for e in events if e["event"] == "request.retry"]
        assert [0.05] == [e["delay"] for e in retries]
        assert waited >= 0.05

    async def test_retry_after_over_two_minutes_is_not_retried(self, server: MockServer) -> None:
        server.script(Fault(status=429, headers={"retry-after": "600"}, path=CHAT))
        async with client_for(server) as client:
            with pytest.raises(RateLimitError):
                await client.chat.completions.create(**chat_body())
        assert 1 == len(server.requests)

    @pytest.mark.parametrize("action", ["close", "reset", "truncate"])
    async def test_connection_failures_are_retried(self, server: MockServer, action: str) -> None:
        server.script(Fault(action=action, path=CHAT))  # type: ignore[arg-type]
        async with client_for(server) as client:
            r = await client.chat.completions.create(**chat_body("again"))
        assert "echo: again" == r.choices[0].message.content

    async def test_connection_failures_past_max_retries_raise_api_connection_error(
        self, server: MockServer
    ) -> None:
        server.script(*[Fault(action="reset", path=CHAT)] * 2)
        async with client_for(server, max_retries=1) as client:
            with pytest.raises(APIConnectionError) as info:
                await client.chat.completions.create(**chat_body())
        assert 2 == info.value.attempts
        assert "after 2 attempts" in str(info.value)

    async def test_a_stalled_server_times_out_then_retries_then_gives_up(self, server: MockServer) -> None:
        """Every attempt hangs: each times out after 0.2 s, its connection is dropped, and
        after the retries the caller gets APITimeoutError."""
        server.script(*[Fault(action="hang", path=CHAT)] * 2)
        async with client_for(server, max_retries=1, timeout=0.2) as client:
            with pytest.raises(APITimeoutError) as info:
                await client.chat.completions.create(**chat_body())
        assert 2 == info.value.attempts
        await until(server, lambda s: s.disconnects >= 2)

    async def test_a_body_that_cannot_be_resent_is_not_retried(self, server: MockServer) -> None:
        """Content from an async iterator is consumed by the first attempt: no retry."""
        server.script(Fault(status=500, path=CHAT))

        async def chunks() -> AsyncIterator[bytes]:
            yield b'{"model": "m", '
            yield b'"messages": [{"role": "user", "content": "streamed"}]}'

        async with client_for(server) as client:
            with pytest.raises(InternalServerError) as info:
                await client.post("chat/completions", content=chunks())
            assert 1 == info.value.attempts
            answer = await client.post("chat/completions", content=chunks())
        assert "echo: streamed" == answer["choices"][0]["message"]["content"]
        assert "chunked" == server.requests[-1].headers["transfer-encoding"]

    async def test_redirects_are_followed(self, server: MockServer) -> None:
        server.script(Fault(status=307, headers={"location": "/v1/chat/completions"}, body=b"", path=CHAT))
        async with client_for(server) as client:
            r = await client.chat.completions.create(**chat_body("moved"))
        assert "echo: moved" == r.choices[0].message.content
        assert 2 == len(server.requests)


class TestCancellation:
    async def test_a_cancelled_caller_frees_its_connection_and_others_are_undisturbed(
        self, server: MockServer
    ) -> None:
        """The caller's attempt is cancelled and its connection closed (the server sees the
        disconnect); a request running beside it completes normally."""
        server.script(Fault(action="hang", path=CHAT))
        async with client_for(server) as client:
            async with anyio.create_task_group() as tg:
                cancel_scope = anyio.CancelScope()

                async def doomed() -> None:
                    with cancel_scope:
                        await client.chat.completions.create(**chat_body("doomed"))
                    assert cancel_scope.cancelled_caught, "the hanging request must not complete"

                tg.start_soon(doomed)
                await until(server, lambda s: s.hanging == 1)
                cancel_scope.cancel()
                await until(server, lambda s: s.disconnects == 1)
                r = await client.chat.completions.create(**chat_body("bystander"))
        assert "echo: bystander" == r.choices[0].message.content

    async def test_a_caller_cancelled_while_queued_never_reaches_the_server(self, server: MockServer) -> None:
        """With one connection busy, a queued request whose caller gives up is never sent."""
        server.script(Fault(action="hang", path=CHAT))
        async with client_for(server, max_connections=1, timeout=5) as client:
            async with anyio.create_task_group() as tg:
                tg.start_soon(lambda: client.chat.completions.create(**chat_body("first")))
                await until(server, lambda s: s.hanging == 1)
                with anyio.move_on_after(0.1):
                    await client.chat.completions.create(**chat_body("queued"))
                tg.cancel_scope.cancel()
            r = await client.chat.completions.create(**chat_body("later"))
        assert "echo: later" == r.choices[0].message.content
        contents = [req.json()["messages"][0]["content"] for req in server.requests]
        assert "queued" not in contents


class TestOneLaneAfterAnInterruption:
    """A lane keeps one cancel scope for call after call; whatever ends an attempt early must
    not reach the lane's next call. One connection, so every call below shares the lane."""

    async def test_after_a_caller_abandons_a_running_call(self, server: MockServer) -> None:
        server.script(Fault(action="hang", path=CHAT))
        async with client_for(server, max_connections=1) as client:
            with anyio.move_on_after(0.2) as abandoned:
                await client.chat.completions.create(**chat_body("abandoned"))
            assert abandoned.cancelled_caught
            for i in range(3):
                r = await client.chat.completions.create(**chat_body(f"next {i}"))
                assert f"echo: next {i}" == r.choices[0].message.content

    async def test_after_a_read_timeout(self, server: MockServer) -> None:
        server.script(Fault(action="hang", path=CHAT))
        async with client_for(server, max_connections=1, max_retries=0, timeout=0.3) as client:
            with pytest.raises(APITimeoutError):
                await client.chat.completions.create(**chat_body("too slow"))
            server.latency = 0.5  # longer than the timeout that fired: only a fresh deadline lets it through
            r = await client.chat.completions.create(**chat_body("in time"), timeout=5)
        assert "echo: in time" == r.choices[0].message.content

    async def test_after_a_stream_read_to_its_end(self, server: MockServer) -> None:
        """Reading a stream to [DONE] gives the lane a short deadline to drain the rest; that
        deadline must not cut the lane's next, slower, call."""
        async with client_for(server, max_connections=1) as client:
            stream = await client.chat.completions.create(**chat_body("streamed"), stream=True)
            text = "".join([c.choices[0].delta.content or "" async for c in stream if c.choices])
            assert "echo: streamed" == text
            server.latency = 1.5  # beyond the drain budget (DRAIN_BUDGET, 1 s) set while reading
            r = await client.chat.completions.create(**chat_body("after"))
        assert "echo: after" == r.choices[0].message.content
        assert 1 == server.connections_opened

    async def test_after_a_stream_closed_early_by_its_reader(self, server: MockServer) -> None:
        async with client_for(server, max_connections=1) as client:
            stream = await client.chat.completions.create(**chat_body("x" * 5000), stream=True)
            await stream.__anext__()
            await stream.close()  # cancels the lane's pump mid-body
            for i in range(3):
                r = await client.chat.completions.create(**chat_body(f"next {i}"))
                assert f"echo: next {i}" == r.choices[0].message.content


class TestClose:
    async def test_close_fails_requests_in_flight_with_client_closed_error(self, server: MockServer) -> None:
        server.script(Fault(action="hang", path=CHAT))
        client = client_for(server)
        errors: list[BaseException] = []

        async def in_flight() -> None:
            try:
                await client.chat.completions.create(**chat_body())
            except ClientClosedError as exc:
                errors.append(exc)

        async with anyio.create_task_group() as tg:
            tg.start_soon(in_flight)
            await until(server, lambda s: s.hanging == 1)
            await client.close()
        assert 1 == len(errors)
        assert client.is_closed()
        with pytest.raises(ClientClosedError):
            await client.chat.completions.create(**chat_body())
        await until(server, lambda s: s.disconnects == 1)

    async def test_exiting_async_with_closes_the_client(self, server: MockServer) -> None:
        async with client_for(server) as client:
            await client.chat.completions.create(**chat_body())
        assert client.is_closed()
        with pytest.raises(ClientClosedError, match="closed"):
            await client.models.list()


class TestCancelledFromOutside:
    async def test_a_request_made_while_the_dispatcher_winds_down_fails_as_closed(
        self, server: MockServer, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """The scope around the client is cancelled; while a lane still closes its connection, a
        caller (woken with an answer just before, so not cancelled yet) asks again. Its request must
        fail with ClientClosedError, not start a lane in the closing task group: on asyncio that
        lane served it while the client closed. (On trio the group takes new tasks until its last
        child ends; after that, until the dispatcher's task notices, a lane could not be started
        at all and the caller got a RuntimeError. That window cannot be reached on purpose.)"""
        from openai_actors import _connection, _dispatcher

        admission_gone, lane_closing, release = anyio.Event(), anyio.Event(), anyio.Event()
        real_admission = _dispatcher.Dispatcher._admission_loop
        real_aclose = _connection._NativeChannel.aclose

        async def admission(self: _dispatcher.Dispatcher) -> None:
            try:
                await real_admission(self)
            finally:
                admission_gone.set()

        async def aclose(self: _connection._NativeChannel) -> None:
            lane_closing.set()
            with anyio.CancelScope(shield=True):
                await release.wait()  # keeps the dispatcher's task group closing, not closed
            await real_aclose(self)

        monkeypatch.setattr(_dispatcher.Dispatcher, "_admission_loop", admission)
        monkeypatch.setattr(_connection._NativeChannel, "aclose", aclose)
        errors: list[BaseException] = []

        async def ask(client: AsyncOpenAI) -> None:
            try:
                await client.chat.completions.create(**chat_body())
            except BaseException as exc:  # whatever it is, the test looks at it
                errors.append(exc)

        with anyio.CancelScope() as outer:
            async with client_for(server) as client:
                await client.chat.completions.create(**chat_body())  # a lane, now idle; admission waiting
                outer.cancel()
                with anyio.CancelScope(shield=True):
                    await admission_gone.wait()
                    await lane_closing.wait()
                    async with anyio.create_task_group() as tg:
                        tg.start_soon(ask, client)
                        await eventually(lambda: client.stats().submitted == 2)
                        release.set()
        assert [ClientClosedError] == [type(error) for error in errors]


class TestBadServers:
    @pytest.mark.parametrize(
        ("reply", "message"),
        [
            (b"garbage\r\n\r\n", "not an HTTP/1.x status line"),
            (b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n{}", "bytes of the body unsent"),
            (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nnope\r\n", "bad chunk size"),
            (
                b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 3\r\n\r\nabc",
                "could not be decoded",
            ),
        ],
    )
    async def test_malformed_responses_give_a_clear_connection_error(
        self, raw_server: RawServer, reply: bytes, message: str
    ) -> None:
        """A server speaking broken HTTP fails the request with a message saying what was wrong,
        and the client keeps working for the next request."""
        raw_server.replies = [reply, reply, b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}"]
        async with client_for(raw_server, max_retries=1) as client:
            with pytest.raises(APIConnectionError, match=message):
                await client.post("anything", body={})
            assert {} == await client.post("anything", body={})

    async def test_a_gzip_body_is_decoded(self, raw_server: RawServer) -> None:
        import gzip

        body = gzip.compress(b'{"ok": true}')
        raw_server.replies = [
            b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: %d\r\n\r\n%b" % (len(body), body)
        ]
        async with client_for(raw_server) as client:
            assert {"ok": True} == await client.post("x", body={})
