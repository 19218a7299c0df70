"""The edge cases a review found: each proves one promise holds where it once did not.

Every request ends in exactly one result or one exception, whatever the
timing of close(), cancellation, redirects, bad servers or a stalled key
provider; the key never leaks; one bad call never takes the others down.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import traceback
from collections.abc import AsyncIterator
from typing import Any

import anyio
import httpx
import pytest

from openai_actors import (
    APIConnectionError,
    APIResponseValidationError,
    APITimeoutError,
    AsyncOpenAI,
    ClientClosedError,
    InternalServerError,
    NotFoundError,
    OpenAI,
    RateLimitError,
)
from openai_actors.mock import Fault, MockServer

from .conftest import RawServer, close_while_threads_ask, until

pytestmark = pytest.mark.anyio


class TestCloseAtAnyTime:
    async def test_close_before_the_dispatcher_first_runs_still_answers_the_caller(
        self, server: MockServer
    ) -> None:
        """close() right after the first request was submitted, before the background task
        ever ran: the caller gets ClientClosedError, not a hang (and trio does not crash)."""
        client = AsyncOpenAI(api_key="sk", base_url=server.url)
        outcome: list[BaseException] = []

        async def ask() -> None:
            try:
                await client.models.list()
            except ClientClosedError as exc:
                outcome.append(exc)

        with anyio.fail_after(5):
            async with anyio.create_task_group() as tg:
                tg.start_soon(ask)
                await anyio.lowlevel.checkpoint()  # the request is submitted; the dispatcher has not run
                await client.close()
        assert 1 == len(outcome)

    def test_sync_close_racing_requests_from_other_threads(self, server: MockServer) -> None:
        """Threads hammering a client that another thread closes get answers or
        ClientClosedError, never a hang or an internal error."""
        close_while_threads_ask(server.url)


class TestQueuesAndTimeouts:
    async def test_a_busy_origin_does_not_hold_up_another(self, server: MockServer) -> None:
        """With every connection to one server busy, requests to another still go."""
        server.script(Fault(action="hang"))
        with MockServer() as other:
            async with AsyncOpenAI(api_key="sk", base_url=server.url, max_connections=1) as client:
                elsewhere = client.with_options(base_url=other.url)
                async with anyio.create_task_group() as tg:
                    tg.start_soon(lambda: client.models.retrieve("gpt-4o-mini"))
                    await until(server, lambda s: s.hanging == 1)
                    tg.start_soon(
                        lambda: client.models.retrieve("gpt-4o-mini")
                    )  # queued behind the hanging one
                    with anyio.fail_after(5):
                        page = await elsewhere.models.list()
                    tg.cancel_scope.cancel()
        assert page.data

    async def test_a_queued_request_fails_after_its_pool_timeout(self, server: MockServer) -> None:
        server.script(Fault(action="hang"))
        async with AsyncOpenAI(api_key="sk", base_url=server.url, max_connections=1, timeout=None) as client:
            async with anyio.create_task_group() as tg:
                tg.start_soon(lambda: client.models.retrieve("gpt-4o-mini"))
                await until(server, lambda s: s.hanging == 1)
                with pytest.raises(APITimeoutError, match="pool timed out"), anyio.fail_after(5):
                    await client.models.list(timeout=httpx.Timeout(None, pool=0.2))
                tg.cancel_scope.cancel()

    async def test_a_per_request_timeout_of_none_means_no_timeout(self, server: MockServer) -> None:
        server.script(Fault(delay=0.3, path="/v1/models"))
        async with AsyncOpenAI(api_key="sk", base_url=server.url, timeout=0.1, max_retries=0) as client:
            page = await client.models.list(timeout=None)
        assert page.data

    async def test_a_stalled_key_provider_times_out_and_does_not_block_close(
        self, server: MockServer
    ) -> None:
        release = threading.Event()

        def slow_vault() -> str:
            release.wait(10)
            return "sk-late"

        client = AsyncOpenAI(api_key=slow_vault, base_url=server.url, timeout=httpx.Timeout(5, pool=0.2))
        try:
            with pytest.raises(APITimeoutError, match="pool timed out"), anyio.fail_after(5):
                await client.models.list()
            with anyio.fail_after(5):
                await client.close()
        finally:
            release.set()

    async def test_entering_the_same_client_twice_is_refused(self, server: MockServer) -> None:
        async with AsyncOpenAI(api_key="sk", base_url=server.url) as client:
            with pytest.raises(RuntimeError, match="already open"):
                async with client:
                    pass


class TestRedirects:
    async def test_credentials_set_by_the_caller_do_not_follow_to_another_origin(
        self, server: MockServer
    ) -> None:
        with MockServer() as elsewhere:
            server.script(Fault(status=307, body=b"", headers={"location": f"{elsewhere.url}/models"}))
            async with AsyncOpenAI(api_key="sk-own", base_url=server.url) as client:
                await client.models.list(extra_headers={"Authorization": "Bearer sk-caller", "Cookie": "a=b"})
        headers = elsewhere.requests[0].headers
        assert ("authorization" in headers, "cookie" in headers) == (False, False)

    async def test_a_streamed_body_is_not_sent_again_after_a_307(self, server: MockServer) -> None:
        server.script(Fault(status=307, body=b"", headers={"location": "/v1/embeddings"}))

        async def body() -> AsyncIterator[bytes]:
            yield b'{"model": "m", "input": "x"}'

        async with AsyncOpenAI(api_key="sk", base_url=server.url) as client:
            with pytest.raises(APIConnectionError, match="streamed and cannot be sent again"):
                await client.post("embeddings", content=body())
        assert 1 == len(server.requests)

    async def test_a_malformed_location_fails_only_its_own_request(self, raw_server: RawServer) -> None:
        raw_server.replies = [
            b"HTTP/1.1 302 Found\r\nLocation: http://[oops/\r\nContent-Length: 0\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}",
        ]
        async with AsyncOpenAI(api_key="sk", base_url=raw_server.url) as client:
            with pytest.raises(APIConnectionError, match="not a valid URL"):
                await client.get("x")
            assert {} == await client.get("y")

    async def test_a_location_with_spaces_and_unicode_is_percent_encoded(self, server: MockServer) -> None:
        server.script(Fault(status=302, body=b"", headers={"location": "/v1/mod els/caf\u00e9?q=a b"}))
        async with AsyncOpenAI(api_key="sk", base_url=server.url) as client:
            with pytest.raises(NotFoundError):  # the mock has no such path; what matters is what was sent
                await client.models.list()
        assert "/v1/mod%20els/caf%C3%A9" == server.requests[1].path


class TestBadServersAndHeaders:
    @pytest.mark.parametrize(
        "status_line", [b"HTTP/1.1 \xc2\xb2\xe2\x81\xb0\xe2\x81\xb0 OK", b"HTTP/1.1 000 X", b"HTTP/1.1 042 X"]
    )
    async def test_impossible_status_codes_are_protocol_errors(
        self, raw_server: RawServer, status_line: bytes
    ) -> None:
        raw_server.replies = [status_line + b"\r\nContent-Length: 2\r\n\r\n{}"] * 3
        async with AsyncOpenAI(api_key="sk", base_url=raw_server.url, max_retries=0) as client:
            with pytest.raises(APIConnectionError, match="bad status code"):
                await client.get("x")

    @pytest.mark.parametrize(
        ("status", "error"), [(200, APIResponseValidationError), (500, InternalServerError)]
    )
    async def test_json_nested_too_deep_is_a_clear_error(
        self, raw_server: RawServer, status: int, error: type[Exception]
    ) -> None:
        body = b"[" * 100_000
        raw_server.replies = [b"HTTP/1.1 %d X\r\nContent-Length: %d\r\n\r\n%b" % (status, len(body), body)]
        async with AsyncOpenAI(api_key="sk", base_url=raw_server.url, max_retries=0) as client:
            with pytest.raises(error):
                await client.get("x")

    async def test_latin1_header_values_survive_into_the_exception(self, server: MockServer) -> None:
        server.script(Fault(status=429, headers={"x-debug": "caf\u00e9", "retry-after": "500"}))
        async with AsyncOpenAI(
            api_key="sk", base_url=server.url, default_headers={"X-User": "Jos\u00e9"}
        ) as client:
            with pytest.raises(RateLimitError) as info:
                await client.models.list()
        assert ("caf\u00e9", "Jos\u00e9") == (
            info.value.response.headers["x-debug"],
            info.value.request.headers["x-user"],
        )

    @pytest.mark.parametrize("name", ["Content-Length", "Transfer-Encoding"])
    async def test_framing_headers_cannot_be_given(self, server: MockServer, name: str) -> None:
        async with AsyncOpenAI(api_key="sk", base_url=server.url) as client:
            with pytest.raises(ValueError, match="set by the client"):
                await client.models.list(extra_headers={name: "5"})

    async def test_a_caller_set_host_header_replaces_the_urls(self, server: MockServer) -> None:
        async with AsyncOpenAI(api_key="sk", base_url=server.url) as client:
            await client.models.list(extra_headers={"Host": "virtual.example"})
        assert "virtual.example" == server.requests[0].headers["host"]


class TestKeys:
    async def test_the_key_is_in_no_traceback_of_a_failed_request(self, server: MockServer) -> None:
        """Tools that render tracebacks with their locals (Sentry, rich, pytest) must not find the key."""
        server.script(Fault(action="reset"), Fault(status=500, headers={"x-should-retry": "false"}))
        async with AsyncOpenAI(api_key="sk-SECRET-123", base_url=server.url, max_retries=0) as client:
            for _ in range(2):
                with pytest.raises((APIConnectionError, InternalServerError)) as info:
                    await client.models.list()
                rendered = "".join(
                    traceback.TracebackException.from_exception(info.value, capture_locals=True).format()
                )
                assert "sk-SECRET-123" not in rendered

    def test_a_copy_with_its_own_http_client_has_its_own_key_source(self, server: MockServer) -> None:
        calls: list[int] = []

        def provider() -> str:
            calls.append(1)
            return "sk-p"

        with OpenAI(api_key=provider, base_url=server.url) as a, httpx.Client() as http:
            a.models.list()
            b = a.with_options(http_client=http)
            b.models.list()
            b.close()
        assert 2 == len(calls)

    def test_the_key_refresh_interval_holds_across_trio_runs(self, server: MockServer) -> None:
        """trio's clock restarts at a random offset each run; key age must not use it."""
        import trio

        calls: list[int] = []

        def provider() -> str:
            calls.append(1)
            return f"k{len(calls)}"

        client = AsyncOpenAI(api_key=provider, base_url=server.url, api_key_refresh_interval=3600)

        async def ask() -> None:
            await client.models.list()

        for _ in range(3):
            trio.run(ask)
        assert 1 == len(calls)


def test_ctrl_c_in_a_sync_caller_withdraws_its_request(server: MockServer) -> None:
    """KeyboardInterrupt in a thread blocked on a request cancels the attempt (the server
    sees the connection close while the process lives on) instead of leaving it running
    until the read timeout."""
    # The child gets Python's own Ctrl-C handler whatever it inherits: a
    # suite run as a background job has SIGINT ignored, and a child started
    # with it ignored keeps ignoring it, so it would never be interrupted.
    script = f"""
import signal, sys
signal.signal(signal.SIGINT, signal.default_int_handler)
from openai_actors import OpenAI
client = OpenAI(api_key="sk", base_url={server.url!r}, max_retries=0)
try:
    client.models.list()
except KeyboardInterrupt:
    print("interrupted", flush=True)
sys.stdin.readline()
"""
    server.script(Fault(action="hang"))
    with subprocess.Popen(
        [sys.executable, "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    ) as proc:
        try:
            assert proc.stdout is not None and proc.stdin is not None
            server.wait_for(lambda s: s.hanging == 1, timeout=20)
            proc.send_signal(signal.SIGINT)
            assert "interrupted" == proc.stdout.readline().strip()
            server.wait_for(lambda s: s.disconnects == 1)
            assert proc.poll() is None  # the disconnect came from the withdrawal, not from exiting
            proc.stdin.write("\n")
            proc.stdin.flush()
            proc.wait(10)
        finally:
            if proc.poll() is None:  # failed (or timed out) above: leaving the block would wait for it
                proc.kill()


class _Interrupted(Exception):
    pass


def test_an_interruption_inside_start_still_withdraws_the_request(
    server: MockServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-C can land after the request was handed to the loop thread but before its future
    reached the caller: the request is withdrawn all the same, not left to its read timeout."""
    from openai_actors._portal import PortalThread

    original = PortalThread.start

    def start_then_interrupted(self: PortalThread, fn: Any, *args: Any) -> Any:
        monkeypatch.setattr(PortalThread, "start", original)  # once: close() starts calls too
        original(self, fn, *args)
        server.wait_for(lambda s: s.hanging == 1, timeout=20)
        raise _Interrupted

    monkeypatch.setattr(PortalThread, "start", start_then_interrupted)
    client = OpenAI(api_key="sk", base_url=server.url, max_retries=0)
    server.script(Fault(action="hang"))
    try:
        with pytest.raises(_Interrupted):
            client.models.list()
        server.wait_for(lambda s: s.disconnects == 1)
        assert 0 == client.stats().in_flight
    finally:
        client.close()


@pytest.mark.skipif(not hasattr(signal, "pthread_kill"), reason="POSIX signals only")
def test_an_interrupted_wait_on_the_loop_thread_cancels_what_it_waited_for() -> None:
    """What sync streams and batches wait on in the loop thread stops when their caller is
    interrupted, instead of running on unwatched."""
    from openai_actors._portal import PortalThread

    started, cancelled = threading.Event(), threading.Event()

    async def forever() -> None:
        started.set()
        try:
            await anyio.sleep_forever()
        except anyio.get_cancelled_exc_class():
            cancelled.set()
            raise

    def interrupted(signum: int, frame: object) -> None:
        raise _Interrupted

    previous = signal.signal(signal.SIGUSR1, interrupted)
    portal = PortalThread()
    waiter = threading.get_ident()

    def interrupt_once_started() -> None:
        assert started.wait(10)
        signal.pthread_kill(waiter, signal.SIGUSR1)

    helper = threading.Thread(target=interrupt_once_started)
    try:
        helper.start()
        with pytest.raises(_Interrupted):
            portal.call(forever)
        assert cancelled.wait(10)
    finally:
        helper.join(10)
        portal.stop()
        signal.signal(signal.SIGUSR1, previous)


@pytest.mark.anyio
async def test_a_call_withdrawn_before_the_loop_thread_starts_it_never_runs() -> None:
    """An interruption can come while the call is being handed over, before there is a future to
    cancel: the withdrawal, queued behind the hand-over in the loop thread, still stops it."""
    from openai_actors._portal import _Cancellable

    ran: list[str] = []

    async def record(what: str) -> str:
        ran.append(what)
        return what

    withdrawn = _Cancellable(record, ("withdrawn",))
    withdrawn.cancel()
    assert await withdrawn.run() is None
    kept = _Cancellable(record, ("kept",))
    assert "kept" == await kept.run()
    assert ["kept"] == ran
    assert 3 == await _Cancellable(len, ("abc",)).run()  # plain functions too


@pytest.mark.skipif(not hasattr(signal, "pthread_kill"), reason="POSIX signals only")
def test_a_signal_whose_handler_is_pending_interrupts_a_waiting_sync_caller(server: MockServer) -> None:
    """A signal caught by another thread leaves its Python handler pending for the main thread,
    which, blocked on a lock, would not run it until the request finished; the wait is sliced, so
    it does within one slice, and the request is withdrawn (the test above, seen hanging once, is
    the same thing with a real Ctrl-C that came just before the wait began)."""

    def interrupted(signum: int, frame: object) -> None:
        raise _Interrupted

    previous = signal.signal(signal.SIGUSR1, interrupted)
    client = OpenAI(api_key="sk", base_url=server.url, max_retries=0)
    server.script(Fault(action="hang"))

    def signal_once_hanging() -> None:
        server.wait_for(lambda s: s.hanging == 1, timeout=20)
        signal.pthread_kill(threading.get_ident(), signal.SIGUSR1)  # caught here, not in the waiter

    helper = threading.Thread(target=signal_once_hanging)
    try:
        helper.start()
        with pytest.raises(_Interrupted):
            client.models.list()
        server.wait_for(lambda s: s.disconnects == 1)  # withdrawn, not left to its read timeout
    finally:
        helper.join(10)
        client.close()
        signal.signal(signal.SIGUSR1, previous)
