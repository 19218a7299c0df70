"""Debug events: what they carry, that they stay quiet unless asked for."""

from __future__ import annotations

import logging
from typing import Any

import pytest
import structlog

from openai_actors import AsyncOpenAI
from openai_actors.mock import Fault, MockServer

from .conftest import chat_body

pytestmark = pytest.mark.anyio


async def one_retried_request(server: MockServer) -> None:
    server.script(Fault(status=503, headers={"retry-after-ms": "1"}, path="/v1/chat/completions"))
    async with AsyncOpenAI(api_key="sk-log-secret", base_url=server.url) as client:
        await client.chat.completions.create(**chat_body())


class TestEvents:
    async def test_start_retry_and_finish_events_with_their_fields(
        self, server: MockServer, caplog: pytest.LogCaptureFixture
    ) -> None:
        caplog.set_level(logging.DEBUG, logger="openai_actors")
        with structlog.testing.capture_logs() as events:
            await one_retried_request(server)
        kinds = [e["event"] for e in events]
        assert [
            "request.start",
            "request.finish",
            "request.retry",
            "request.start",
            "request.finish",
        ] == kinds
        first, last = events[1], events[4]
        assert (503, 1, "POST") == (first["status"], first["attempt"], first["method"])
        assert (200, 2) == (last["status"], last["attempt"])
        assert last["request_id"].startswith("req_")
        assert last["elapsed"] >= 0
        assert all("sk-log-secret" not in repr(e) for e in events)

    async def test_nothing_is_emitted_when_debug_is_off(
        self, server: MockServer, caplog: pytest.LogCaptureFixture
    ) -> None:
        caplog.set_level(logging.INFO, logger="openai_actors")
        with structlog.testing.capture_logs() as events:
            await one_retried_request(server)
        assert [] == events


def test_openai_log_debug_switches_events_on(server: MockServer) -> None:
    """OPENAI_LOG=debug, the official SDK's switch, turns the events on in a fresh process."""
    import subprocess
    import sys

    script = (
        "import anyio, structlog\n"
        "from openai_actors import AsyncOpenAI\n"
        "async def main():\n"
        f"    async with AsyncOpenAI(api_key='sk', base_url={server.url!r}) as c:\n"
        "        with structlog.testing.capture_logs() as events:\n"
        "            await c.models.list()\n"
        "    print(sorted({e['event'] for e in events}))\n"
        "anyio.run(main)\n"
    )
    env: dict[str, Any] = {"OPENAI_LOG": "debug", "PATH": ""}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=30, env=env)
    assert "['request.finish', 'request.start']" == done.stdout.strip(), done.stderr
