"""Logging: one info line per request, warnings for retries and pauses, debug for the rest,
through the standard library, with no secret in any record."""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest
import structlog

import openai_actors
import openai_actors._dispatcher
from openai_actors import (
    APIConnectionError,
    AsyncOpenAI,
    ClientClosedError,
    InternalServerError,
    KeyProviderError,
    OpenAI,
    RateLimit,
    RequestTooLargeError,
    _logging,
)
from openai_actors.mock import Fault, MockServer

from .conftest import chat_body, until
from .log_events import EventCollector, captured_events, collector, fields_of

CHAT = "/v1/chat/completions"
SOON = {"retry-after-ms": "1"}
SECRET = "sk-secret-0123456789abcdef"
# The official SDK's line, as httpx logs it: `HTTP Request: POST https://... "HTTP/1.1 200 OK"`.
LINE = re.compile(
    r'HTTP Request: (?P<method>[A-Z]+) (?P<url>\S+) "HTTP/1\.1 (?P<status>\d{3})[^"]*" \((?P<rest>.*)\)'
)


def request_lines(records: list[logging.LogRecord]) -> list[logging.LogRecord]:
    return [r for r in records if getattr(r, "event", None) == "request.done"]


@pytest.fixture
def file_log(tmp_path: Path) -> Iterator[Path]:
    """What `logging.basicConfig(filename=..., level=logging.INFO)` sets up: a file handler on
    the root logger, which is at INFO (undone afterwards)."""
    path = tmp_path / "app.log"
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield path
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
        handler.close()


def ours(path: Path) -> list[str]:
    """The lines of this package's client in a log file (not those of the mock server, in this process)."""
    lines = path.read_text().splitlines()
    return [line for line in lines if " openai_actors." in line and " openai_actors.mock" not in line]


class TestTheRequestLine:
    @pytest.mark.anyio
    async def test_each_request_gets_one_info_line_in_the_applications_log_file(
        self, server: MockServer, file_log: Path, caplog: pytest.LogCaptureFixture
    ) -> None:
        """With the root logger at INFO and a file handler (basicConfig's setup), three requests,
        one of them retried, are three request lines and one retry warning, in the file and in
        caplog alike; the debug events stay out."""
        server.script(Fault(status=503, headers=SOON, path=CHAT))
        async with AsyncOpenAI(api_key=SECRET, base_url=server.url) as client:
            await client.chat.completions.create(**chat_body())
            await client.models.list()
            await client.embeddings.create(model="text-embedding-3-small", input="x")
        lines = ours(file_log)
        assert 4 == len(lines), lines
        assert lines[0].startswith("WARNING openai_actors._dispatcher Retrying request to POST ")
        assert [("POST", "/v1/chat/completions"), ("GET", "/v1/models"), ("POST", "/v1/embeddings")] == [
            (m["method"], m["url"].removeprefix(server.url.removesuffix("/v1")))
            for line in lines[1:]
            if (m := LINE.search(line)) is not None
        ]
        assert all(line.startswith("INFO openai_actors._dispatcher HTTP Request: ") for line in lines[1:])
        records = [r for r in caplog.records if r.name == "openai_actors._dispatcher"]
        assert ["WARNING", "INFO", "INFO", "INFO"] == [r.levelname for r in records]

    def test_the_sync_client_logs_the_same_lines(self, server: MockServer, file_log: Path) -> None:
        """The dispatcher of `OpenAI` runs on its own thread; its lines reach the same handlers."""
        server.script(Fault(status=500, headers=SOON, path=CHAT))
        with OpenAI(api_key=SECRET, base_url=server.url) as client:
            client.chat.completions.create(**chat_body())
            client.models.list()
        lines = ours(file_log)
        assert 3 == len(lines), lines
        assert "Retrying request to POST" in lines[0]
        assert '"HTTP/1.1 200 OK" (2 attempts, ' in lines[1]
        assert '"HTTP/1.1 200 OK" (1 attempt, ' in lines[2]

    @pytest.mark.anyio
    async def test_the_line_says_method_url_status_attempts_elapsed_and_request_id(
        self, server: MockServer
    ) -> None:
        """The message reads like httpx's line, and the record carries the same as fields."""
        server.script(Fault(status=503, headers=SOON, path=CHAT))
        with collector(logging.INFO) as logs:
            async with AsyncOpenAI(api_key=SECRET, base_url=server.url) as client:
                completion = await client.chat.completions.create(**chat_body())
        [record] = request_lines(logs.records)
        fields = fields_of(record)
        assert {
            "event": "request.done",
            "method": "POST",
            "url": f"{server.url}/chat/completions",
            "attempts": 2,
            "outcome": "response",
            "status": 200,
            "reason": "OK",
            "http_version": "1.1",
            "request_id": completion._request_id,
        } == {name: value for name, value in fields.items() if name != "elapsed"}
        assert 0 < fields["elapsed"] < 30
        assert (
            f'HTTP Request: POST {server.url}/chat/completions "HTTP/1.1 200 OK" '
            f"(2 attempts, {fields['elapsed']:.3f} s, request id {completion._request_id})"
        ) == record.getMessage()
        # The installed module's file: a checkout's when editable, site-packages' in CI.
        assert openai_actors._dispatcher.__file__ == record.pathname

    @pytest.mark.anyio
    async def test_an_error_status_is_one_line_with_that_status(self, server: MockServer) -> None:
        """A 500 after every retry: one line, with the last status, after three attempts."""
        server.script(*[Fault(status=500, headers=SOON, path=CHAT)] * 3)
        with collector(logging.INFO) as logs:
            async with AsyncOpenAI(api_key=SECRET, base_url=server.url) as client:
                with pytest.raises(InternalServerError):
                    await client.chat.completions.create(**chat_body())
        [record] = request_lines(logs.records)
        assert '"HTTP/1.1 500 Internal Server Error" (3 attempts, ' in record.getMessage()
        assert 2 == sum(e.get("event") == "request.retry" for e in logs.events)

    @pytest.mark.anyio
    async def test_a_request_that_never_got_an_answer_is_one_line_saying_why(
        self, server: MockServer
    ) -> None:
        """The connection closed on every attempt: the line says it failed, and why."""
        server.script(*[Fault(action="close", path=CHAT)] * 2)
        with collector(logging.INFO) as logs:
            async with AsyncOpenAI(api_key=SECRET, base_url=server.url, max_retries=1) as client:
                with pytest.raises(APIConnectionError) as info:
                    await client.chat.completions.create(**chat_body())
        [record] = request_lines(logs.records)
        message = record.getMessage()
        assert message.startswith(f"HTTP Request: POST {server.url}/chat/completions failed: ")
        assert message.endswith(" s)")
        assert "(2 attempts, " in message
        assert ("failed", None) == (record.outcome, getattr(record, "status", None))  # type: ignore[attr-defined]
        assert record.error  # type: ignore[attr-defined]
        assert str(info.value)

    @pytest.mark.anyio
    async def test_a_request_whose_caller_gives_up_is_one_line_saying_so(self, server: MockServer) -> None:
        server.script(Fault(action="hang", path=CHAT))
        with collector(logging.INFO) as logs:
            async with AsyncOpenAI(api_key=SECRET, base_url=server.url) as client:
                async with anyio.create_task_group() as tg:
                    tg.start_soon(lambda: client.chat.completions.create(**chat_body()))
                    await until(server, lambda s: s.hanging == 1)
                    tg.cancel_scope.cancel()
        [record] = request_lines(logs.records)
        assert "cancelled" == record.outcome  # type: ignore[attr-defined]
        assert record.getMessage().startswith(
            f"HTTP Request: POST {server.url}/chat/completions cancelled by its caller (1 attempt, "
        )

    @pytest.mark.anyio
    async def test_closing_the_client_gives_each_outstanding_request_its_line(
        self, server: MockServer
    ) -> None:
        """Two requests hang; close() fails both: two lines, each saying the client was closed."""
        server.script(Fault(action="hang", path=CHAT), Fault(action="hang", path=CHAT))
        errors: list[BaseException] = []
        with collector(logging.INFO) as logs:
            client = AsyncOpenAI(api_key=SECRET, base_url=server.url)

            async def ask() -> None:
                try:
                    await client.chat.completions.create(**chat_body())
                except ClientClosedError as exc:
                    errors.append(exc)

            async with anyio.create_task_group() as tg:
                tg.start_soon(ask)
                tg.start_soon(ask)
                await until(server, lambda s: s.hanging == 2)
                await client.close()
        assert 2 == len(errors)
        lines = request_lines(logs.records)
        assert 2 == len(lines)
        assert all("the client was closed" in r.getMessage() for r in lines)

    @pytest.mark.anyio
    async def test_a_request_never_sent_is_one_line_saying_so(self, server: MockServer) -> None:
        """Estimated above the tokens-per-minute limit, it is refused before any attempt."""
        with collector(logging.INFO) as logs:
            limit = RateLimit(tokens_per_minute=10)
            async with AsyncOpenAI(api_key=SECRET, base_url=server.url, rate_limit=limit) as client:
                with pytest.raises(RequestTooLargeError):
                    await client.chat.completions.create(**chat_body("x" * 400))
        [record] = request_lines(logs.records)
        assert record.getMessage().startswith(
            f"HTTP Request: POST {server.url}/chat/completions not sent: this request's estimated "
        )
        assert [] == server.requests

    @pytest.mark.anyio
    async def test_a_stream_is_one_line_when_its_head_arrives(self, server: MockServer) -> None:
        with collector(logging.INFO) as logs:
            async with AsyncOpenAI(api_key=SECRET, base_url=server.url) as client:
                stream = await client.chat.completions.create(**chat_body(), stream=True)
                async for _ in stream:
                    pass
        [record] = request_lines(logs.records)
        assert '"HTTP/1.1 200 OK" (1 attempt, ' in record.getMessage()

    @pytest.mark.anyio
    async def test_under_load_with_faults_every_request_has_exactly_one_line(
        self, server: MockServer
    ) -> None:
        """200 concurrent requests, some retried, some failing for good: one line each, and
        each answered request's line has its own request id."""
        server.script(
            *[Fault(status=503, headers=SOON, path=CHAT)] * 20,
            *[Fault(status=400, path=CHAT)] * 10,
            *[Fault(action="reset", path=CHAT)] * 5,
        )
        outcomes: list[str] = []
        with collector(logging.INFO) as logs:
            async with AsyncOpenAI(api_key=SECRET, base_url=server.url, max_connections=16) as client:

                async def ask() -> None:
                    try:
                        await client.chat.completions.create(**chat_body())
                        outcomes.append("ok")
                    except Exception as exc:
                        outcomes.append(type(exc).__name__)

                async with anyio.create_task_group() as tg:
                    for _ in range(200):
                        tg.start_soon(ask)
        lines = request_lines(logs.records)
        assert 200 == len(outcomes) == len(lines)
        ids = [r.request_id for r in lines if getattr(r, "status", None) is not None]  # type: ignore[attr-defined]
        assert len(ids) == len(set(ids))
        assert outcomes.count("ok") == sum(getattr(r, "status", None) == 200 for r in lines)


class TestWarnings:
    @pytest.mark.anyio
    async def test_each_retry_is_a_warning_saying_which_attempt_why_and_the_delay(
        self, server: MockServer
    ) -> None:
        server.script(Fault(status=503, headers={"retry-after-ms": "20"}, path=CHAT))
        with captured_events(logging.WARNING) as events:
            async with AsyncOpenAI(api_key=SECRET, base_url=server.url) as client:
                await client.chat.completions.create(**chat_body())
        [retry] = events
        assert {
            "event": "request.retry",
            "log_level": "warning",
            "method": "POST",
            "url": f"{server.url}/chat/completions",
            "attempt": 1,
            "retry": 1,
            "max_retries": 2,
            "delay": 0.02,
            "reason": "status 503",
        } == retry
        assert (
            f"Retrying request to POST {server.url}/chat/completions in 0.020 seconds, "
            "retry 1 of 2 (attempt 1 failed: status 503)"
        ) == _logging.render("request.retry", {k: v for k, v in retry.items() if k != "event"})

    @pytest.mark.anyio
    async def test_a_429_pause_is_a_warning_with_its_cause_and_length(self, server: MockServer) -> None:
        """A 429 naming a wait pauses every request of the client: one warning says why and
        how long, beside the refused request's retry warning."""
        server.script(Fault(status=429, headers={"retry-after-ms": "30"}, path=CHAT))
        with collector(logging.WARNING) as logs:
            async with AsyncOpenAI(api_key=SECRET, base_url=server.url) as client:
                await client.chat.completions.create(**chat_body())
        assert ["ratelimit.pause", "request.retry"] == [e["event"] for e in logs.events]
        pause = logs.events[0]
        assert ("429 (retry-after)", 0.03) == (pause["cause"], pause["seconds"])
        assert (
            "Rate limited: no request of this client is sent for 0.030 seconds "
            f"(429 (retry-after), on {server.url}/chat/completions)"
        ) == logs.records[0].getMessage()

    @pytest.mark.anyio
    async def test_a_spent_server_window_is_a_warning_once_with_its_length(self, server: MockServer) -> None:
        """The server says its request budget is spent until a reset 300 ms away: the requests
        that wait for it are one warning saying which limit and how long, not one each."""
        spent = {
            "x-ratelimit-limit-requests": "10000",
            "x-ratelimit-remaining-requests": "0",
            "x-ratelimit-reset-requests": "300ms",
        }
        server.script(Fault(headers=spent, path=CHAT))
        with collector(logging.WARNING) as logs:
            async with AsyncOpenAI(api_key=SECRET, base_url=server.url) as client:
                await client.chat.completions.create(**chat_body())
                async with anyio.create_task_group() as tg:
                    for _ in range(3):
                        tg.start_soon(lambda: client.chat.completions.create(**chat_body()))
        [event] = logs.events
        assert ("ratelimit.spent", "requests") == (event["event"], event["limit"])
        assert 0.1 < event["seconds"] <= 0.3
        assert (
            logs.records[0]
            .getMessage()
            .startswith(
                "Rate limited: the server's requests budget is spent (x-ratelimit-remaining-requests), "
                "no request of this client is sent for "
            )
        )
        assert 4 == len(server.requests)


class TestQuietWhenOff:
    @pytest.mark.anyio
    async def test_at_warning_only_retries_and_pauses_are_logged(self, server: MockServer) -> None:
        server.script(Fault(status=503, headers=SOON, path=CHAT))
        with captured_events(logging.WARNING) as events:
            async with AsyncOpenAI(api_key=SECRET, base_url=server.url) as client:
                for _ in range(3):
                    await client.chat.completions.create(**chat_body())
        assert ["request.retry"] == [e["event"] for e in events]

    def test_without_configuration_requests_do_not_even_import_structlog(self, server: MockServer) -> None:
        done = run_script(server, "print('structlog' in sys.modules)", {})
        assert ("False\n", "") == (done.stdout, done.stderr)

    def test_without_configuration_not_even_a_warning_is_printed(self, server: MockServer) -> None:
        """An application that configures no logging gets nothing on stdout or stderr, even for
        a retry (a warning: the stdlib would print it), as it gets nothing from the official SDK."""
        server.script(Fault(status=503, headers=SOON, path="/v1/models"))
        done = run_script(server, "", {})
        assert (0, "", "") == (done.returncode, done.stdout, done.stderr)
        assert 2 == len(server.requests)

    def test_without_configuration_other_errors_under_the_name_still_reach_stderr(
        self, server: MockServer
    ) -> None:
        """Only the client's events are silenced: an error logged under "openai_actors" by
        something else (the dispatcher failing, the mock server) still gets the stdlib's
        last resort."""
        tail = "import logging\nlogging.getLogger('openai_actors.mock').error('the mock server failed')"
        done = run_script(server, tail, {})
        assert ("", "the mock server failed\n") == (done.stdout, done.stderr)


class TestEvents:
    @pytest.mark.anyio
    async def test_debug_events_follow_each_attempt(self, server: MockServer) -> None:
        server.script(Fault(status=503, headers=SOON, path=CHAT))
        with captured_events() as events:
            async with AsyncOpenAI(api_key=SECRET, base_url=server.url) as client:
                await client.chat.completions.create(**chat_body())
        assert [
            ("request.start", "debug"),
            ("request.finish", "debug"),
            ("request.retry", "warning"),
            ("request.start", "debug"),
            ("request.finish", "debug"),
            ("request.done", "info"),
        ] == [(e["event"], e["log_level"]) for e in events]
        first, last = events[1], events[4]
        assert (503, 1, "POST") == (first["status"], first["attempt"], first["method"])
        assert (200, 2) == (last["status"], last["attempt"])
        assert last["request_id"].startswith("req_")

    @pytest.mark.anyio
    async def test_a_redirect_is_a_debug_event_with_both_places(self, server: MockServer) -> None:
        server.script(Fault(status=307, headers={"location": "/v1/models?limit=2"}, path="/v1/files"))
        with captured_events() as events:
            async with AsyncOpenAI(api_key=SECRET, base_url=server.url) as client:
                await client.get("/files")
        [redirect] = [e for e in events if e["event"] == "request.redirect"]
        assert (f"{server.url}/files", "GET", f"{server.url}/models?limit=2") == (
            redirect["url"],
            redirect["to_method"],
            redirect["to"],
        )


class TestSecrecy:
    @pytest.mark.anyio
    async def test_no_record_at_debug_holds_the_key_or_a_secret_from_a_url(self, server: MockServer) -> None:
        """The key in a callable that is refreshed after a 401, and then fails; as a query
        parameter a gateway might take; in the user info of redirects, followed and refused;
        retries, transport errors: no record's message or field holds it."""
        fetches = 0

        def get_key() -> str:
            nonlocal fetches
            fetches += 1
            if fetches > 2:
                raise RuntimeError("the vault is sealed")
            return SECRET

        elsewhere = server.url.replace("://", f"://user:{SECRET}@")
        server.script(
            Fault(status=401, path=CHAT),
            Fault(status=503, headers=SOON, path=CHAT),
            Fault(action="reset", path=CHAT),
            Fault(status=307, headers={"location": f"{elsewhere}/models?key={SECRET}"}, path="/v1/files"),
            Fault(status=302, headers={"location": f"ftp://user:{SECRET}@example.com/"}, path="/v1/files"),
        )
        with collector() as logs:
            async with AsyncOpenAI(api_key=get_key, base_url=server.url) as client:
                await client.chat.completions.create(**chat_body())
                await client.models.list(extra_query={"api_key": SECRET, "limit": 1})
                await client.get("/files")
                with pytest.raises(APIConnectionError):
                    await client.get("/files")
            async with AsyncOpenAI(api_key=get_key, base_url=server.url) as client:  # a third fetch
                with pytest.raises(KeyProviderError):
                    await client.models.list()
        events = {e["event"] for e in logs.events}
        assert {"request.reauthenticate", "request.retry", "request.redirect", "request.done"} <= events
        assert len(logs.records) > 10
        shown = [r.getMessage() for r in logs.records] + [repr(fields_of(r)) for r in logs.records]
        assert [] == [text for text in shown if SECRET in text]
        assert any(f"api_key={_logging.REDACTED}&limit=1" in text for text in shown)


class TestStructlogIsolation:
    @pytest.fixture
    def user_config(self) -> Iterator[list[Any]]:
        """An application's own structlog configuration, restored afterwards; what its processors saw."""
        seen: list[Any] = []

        def collect(_: Any, __: str, event_dict: Any) -> Any:
            seen.append(dict(event_dict))
            raise structlog.DropEvent

        old = structlog.get_config()
        structlog.configure(processors=[collect], cache_logger_on_first_use=False)
        try:
            yield seen
        finally:
            structlog.configure(**old)

    @pytest.mark.anyio
    async def test_the_applications_structlog_configuration_is_neither_changed_nor_used(
        self, server: MockServer, user_config: list[Any]
    ) -> None:
        before = structlog.get_config()
        with captured_events() as events:
            async with AsyncOpenAI(api_key=SECRET, base_url=server.url) as client:
                await client.models.list()
            structlog.get_logger().info("the application's own event")
        assert before == structlog.get_config()
        assert ["the application's own event"] == [e["event"] for e in user_config]
        assert ["request.start", "request.finish", "request.done"] == [e["event"] for e in events]

    @pytest.mark.anyio
    async def test_a_broken_application_configuration_does_not_break_these_events(
        self, server: MockServer
    ) -> None:
        def broken(_: Any, __: str, event_dict: Any) -> Any:
            raise RuntimeError("the application's processor is broken")

        old = structlog.get_config()
        structlog.configure(processors=[broken])
        try:
            with captured_events(logging.INFO) as events:
                async with AsyncOpenAI(api_key=SECRET, base_url=server.url) as client:
                    await client.models.list()
        finally:
            structlog.configure(**old)
        assert ["request.done"] == [e["event"] for e in events]


def run_script(server: MockServer, tail: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """A fresh interpreter that lists the models of `server` with the sync client, then runs `tail`."""
    script = (
        "import sys\n"
        "from openai_actors import OpenAI\n"
        f"with OpenAI(api_key={SECRET!r}, base_url={server.url!r}) as client:\n"
        "    client.models.list()\n"
        f"{tail}\n"
    )
    package_root = str(Path(openai_actors.__file__).parent.parent)
    return subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=30,
        env={"PATH": os.environ.get("PATH", ""), "PYTHONPATH": package_root, **env},
    )


OFFICIAL_PREFIX = r"\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d - openai_actors\._dispatcher:\d+ - (?P<level>[A-Z]+)\] "


class TestOpenaiLog:
    def test_info_prints_the_request_line_to_stderr_in_the_official_format(self, server: MockServer) -> None:
        done = run_script(server, "", {"OPENAI_LOG": "info"})
        assert "" == done.stdout
        lines = done.stderr.splitlines()
        assert 1 == len(lines), done.stderr
        match = re.fullmatch(OFFICIAL_PREFIX + r"(?P<message>.*)", lines[0])
        assert match is not None, lines[0]
        assert "INFO" == match["level"]
        assert match["message"].startswith(
            f'HTTP Request: GET {server.url}/models "HTTP/1.1 200 OK" (1 attempt, '
        )

    def test_debug_adds_the_debug_events(self, server: MockServer) -> None:
        server.script(Fault(status=503, headers=SOON, path="/v1/models"))
        done = run_script(server, "", {"OPENAI_LOG": "debug"})
        assert "" == done.stdout
        levels = [re.match(OFFICIAL_PREFIX, line) for line in done.stderr.splitlines()]
        assert ["DEBUG", "DEBUG", "WARNING", "DEBUG", "DEBUG", "INFO"] == [
            m["level"] if m else None for m in levels
        ], done.stderr
        assert f"request.start method=GET url={server.url}/models attempt=1" in done.stderr
        assert SECRET not in done.stderr

    def test_an_application_that_configures_logging_later_gets_each_line_once_and_only_its_own_way(
        self, server: MockServer, tmp_path: Path
    ) -> None:
        """OPENAI_LOG=info, then basicConfig(filename=...) after the client's first request: the
        next request's line goes to the file, once, and no longer to stderr."""
        log = tmp_path / "app.log"
        tail = (
            "import logging\n"
            f"logging.basicConfig(filename={str(log)!r}, format='%(levelname)s %(message)s')\n"
            f"with OpenAI(api_key='sk', base_url={server.url!r}) as client:\n"
            "    client.models.list()\n"
        )
        done = run_script(server, tail, {"OPENAI_LOG": "info"})
        assert 1 == len(done.stderr.splitlines()), done.stderr  # the first request, before basicConfig
        [line] = log.read_text().splitlines()
        assert line.startswith(f'INFO HTTP Request: GET {server.url}/models "HTTP/1.1 200 OK"')

    def test_the_handler_is_added_once_and_other_values_change_nothing(self) -> None:
        logger = logging.getLogger("openai_actors")
        old_level, old_handlers = logger.level, list(logger.handlers)
        try:
            _logging.configure_from_environment({"OPENAI_LOG": "warning"})
            assert (old_level, old_handlers) == (logger.level, logger.handlers)
            _logging.configure_from_environment({"OPENAI_LOG": "info"})
            _logging.configure_from_environment({"OPENAI_LOG": "debug"})
            assert logging.DEBUG == logger.level
            assert 1 == len(set(logger.handlers) - set(old_handlers))
        finally:
            logger.handlers[:] = old_handlers
            logger.setLevel(old_level)


class TestLoggableUrl:
    def test_a_url_without_query_or_user_info_is_kept(self) -> None:
        url = "https://api.openai.com/v1/chat/completions"
        assert url == _logging.loggable_url(url)

    def test_the_apis_own_parameters_are_kept_and_others_redacted(self) -> None:
        assert (
            "https://h/v1/files?limit=3&after=file-1&key=[redacted]&api-version=2024-10-21&[redacted]"
        ) == _logging.loggable_url(
            "https://h/v1/files?limit=3&after=file-1&key=sk-x&api-version=2024-10-21&sk-y"
        )

    def test_percent_encoded_names_are_compared_decoded(self) -> None:
        assert "https://h/v1/x?include%5B%5D=a&k%65y=[redacted]" == _logging.loggable_url(
            "https://h/v1/x?include%5B%5D=a&k%65y=sk-x"
        )

    def test_user_info_is_dropped(self) -> None:
        assert "https://h:8443/v1?limit=1" == _logging.loggable_url("https://me:sk-x@y@h:8443/v1?limit=1")


class TestScrubText:
    def test_every_url_in_a_message_is_made_loggable(self) -> None:
        text = "the server redirected to 'ftp://u:sk-x@example.com/a?token=sk-y#top', which is not http(s)"
        assert (
            "the server redirected to 'ftp://example.com/a?token=[redacted]#top', which is not http(s)"
        ) == _logging.scrub_text(text)

    def test_text_without_a_url_is_kept(self) -> None:
        assert "read timed out after 5.0 s" == _logging.scrub_text("read timed out after 5.0 s")


class TestRender:
    def test_a_debug_event_is_its_name_and_fields_without_the_empty_ones(self) -> None:
        assert "upload.part id=part_1 bytes=42 note='two words'" == _logging.render(
            "upload.part", {"id": "part_1", "bytes": 42, "error": None, "note": "two words"}
        )

    def test_a_request_never_sent_says_so(self) -> None:
        fields = {
            "method": "POST",
            "url": "https://h/v1/x",
            "attempts": 0,
            "elapsed": 0.25,
            "error": "too big",
        }
        assert "HTTP Request: POST https://h/v1/x not sent: too big (0 attempts, 0.250 s)" == _logging.render(
            "request.done", {**fields, "outcome": "failed"}
        )


class TestABrokenFilter:
    @pytest.mark.anyio
    async def test_a_filter_that_raises_fails_no_request_and_is_reported(
        self, server: MockServer, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """The stdlib lets a filter's exception out to whoever logged. Here that is the
        dispatcher, in the middle of a retry, of an admission held by a spent window, of
        finishing a request: each request still gets its answer, and the error is reported on
        stderr as the stdlib reports a handler's."""

        class Broken(logging.Filter):
            def filter(self, record: logging.LogRecord) -> bool:
                raise RuntimeError("the application's filter is broken")

        spent = {
            "x-ratelimit-limit-requests": "10000",
            "x-ratelimit-remaining-requests": "0",
            "x-ratelimit-reset-requests": "100ms",
        }
        server.script(Fault(status=503, headers=SOON, path=CHAT), Fault(headers=spent, path=CHAT))
        logger = logging.getLogger("openai_actors._dispatcher")  # a logger's filters see its own records
        broken = Broken()
        with collector():  # everything on, so every event is built and handled
            logger.addFilter(broken)
            try:
                async with AsyncOpenAI(api_key=SECRET, base_url=server.url) as client:
                    for _ in range(3):
                        completion = await client.chat.completions.create(**chat_body("x"))
                        assert "echo: x" == completion.choices[0].message.content
            finally:
                logger.removeFilter(broken)
        assert 4 == len(server.requests)
        reported = capsys.readouterr().err
        assert "RuntimeError: the application's filter is broken" in reported
        assert SECRET not in reported


class TestRecordsOfTheirOwn:
    def test_a_field_named_like_a_record_attribute_is_renamed_not_an_error(
        self, caplog: pytest.LogCaptureFixture
    ) -> None:
        """A field called `name` or `message` would make the stdlib refuse the record; it is
        renamed with a trailing underscore instead, so logging never fails a request."""
        caplog.set_level(logging.DEBUG, logger="openai_actors")
        with collector() as logs:
            _logging.emit("test.event", name="x", message="y", lineno=3)
        [record] = logs.records
        assert ("x", "y", 3) == (record.name_, record.message_, record.lineno_)  # type: ignore[attr-defined]
        assert "openai_actors" == record.name


def test_the_collector_sees_only_this_packages_events() -> None:
    """The helper the other test files use to read events is itself checked: a foreign record is ignored."""
    handler = EventCollector(with_contextvars=False)
    handler.handle(logging.makeLogRecord({"msg": "foreign"}))
    handler.handle(logging.makeLogRecord({"msg": "ours", "event": "x.y", "levelname": "INFO", "a": 1}))
    assert [{"event": "x.y", "a": 1, "log_level": "info"}] == handler.events
