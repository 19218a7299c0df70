"""Clients over the in-memory transport, for the dispatcher tests that run on a fake clock."""

from __future__ import annotations

from typing import Any

import pytest

from openai_actors import AsyncOpenAI
from openai_actors._mock_transport import Handler, MockTransport

__all__ = ["COMPLETION", "client_over"]

COMPLETION = {
    "id": "c",
    "object": "chat.completion",
    "created": 1,
    "model": "m",
    "choices": [{"index": 0, "message": {"role": "assistant", "content": "ok"}, "finish_reason": "stop"}],
}


def client_over(
    monkeypatch: pytest.MonkeyPatch, handler: Handler, **options: Any
) -> tuple[AsyncOpenAI, MockTransport]:
    """An AsyncOpenAI (a test key, any other option as given) whose requests `handler` answers in memory."""
    from openai_actors import _client

    transport = MockTransport(handler)
    with monkeypatch.context() as patch:
        patch.setattr(_client, "_native_or_httpx", lambda *args, **kwargs: transport)
        client = AsyncOpenAI(api_key="sk-test", base_url="http://mock.test/v1", **options)
    return client, transport
