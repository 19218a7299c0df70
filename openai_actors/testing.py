"""Testing code that uses this client: the bundled mock server, scripted per route, as a pytest fixture.

    def test_summary(mock_openai):
        mock_openai.respond("POST /v1/chat/completions", reply="Short.")
        client = mock_openai.client()
        assert "Short." == summarize(client, "a long text")
        assert "a long text" in mock_openai.requests[-1].json()["messages"][-1]["content"]

The `mock_openai` fixture is registered with pytest when this package is
installed (a `pytest11` entry point); `MockOpenAI` works without pytest, as a
context manager. See `MockOpenAI.respond` for scripted answers, handlers and
faults, and `MockOpenAI.rate_limit` for OpenAI-style rate limits.
"""

from __future__ import annotations

from collections.abc import Iterator

from ._testing import Answer, FaultAction, Handler, Headers, MockOpenAI, ReceivedRequest, Route

__all__ = [
    "Answer",
    "FaultAction",
    "Handler",
    "Headers",
    "MockOpenAI",
    "ReceivedRequest",
    "Route",
]

try:
    import pytest
except ImportError:  # without pytest: MockOpenAI is used as a context manager
    pass
else:
    __all__ += ["mock_openai"]

    @pytest.fixture
    def mock_openai() -> Iterator[MockOpenAI]:
        """A started `MockOpenAI` for one test; stopped (its clients closed) after it."""
        with MockOpenAI() as mock:
            yield mock
