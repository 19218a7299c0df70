"""HTTPS through the native transport: requests, streams and keep-alive over TLS, and a bad certificate."""

from __future__ import annotations

import ssl
from collections.abc import Iterator

import pytest
import trustme

from openai_actors import APIConnectionError, AsyncOpenAI, OpenAI, _connection
from openai_actors.mock import MockServer

from .conftest import chat_body

pytestmark = pytest.mark.anyio


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def tls_server(ca: trustme.CA) -> Iterator[MockServer]:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    with MockServer(ssl_context=context) as server:
        yield server


@pytest.fixture
def trusting(ca: trustme.CA, monkeypatch: pytest.MonkeyPatch) -> None:
    """The client's shared TLS context trusts the test CA (as SSL_CERT_FILE would make it)."""
    context = ssl.create_default_context()
    ca.configure_trust(context)
    monkeypatch.setattr(_connection, "_ssl_context", context)


@pytest.mark.usefixtures("trusting")
async def test_requests_and_streams_over_tls_share_one_connection(tls_server: MockServer) -> None:
    assert tls_server.url.startswith("https://")
    async with AsyncOpenAI(api_key="sk-test", base_url=tls_server.url) as client:
        for i in range(3):
            r = await client.chat.completions.create(**chat_body(f"q{i}"))
            assert f"echo: q{i}" == r.choices[0].message.content
        stream = await client.chat.completions.create(**chat_body("x" * 3000), stream=True)
        text = "".join([c.choices[0].delta.content or "" async for c in stream if c.choices])
    assert "echo: " + "x" * 3000 == text
    assert 1 == tls_server.connections_opened


@pytest.mark.usefixtures("trusting")
def test_the_sync_client_over_tls(tls_server: MockServer) -> None:
    with OpenAI(api_key="sk-test", base_url=tls_server.url) as client:
        r = client.chat.completions.create(**chat_body("sync"))
    assert "echo: sync" == r.choices[0].message.content


async def test_an_untrusted_certificate_is_a_connection_error_that_says_so(
    tls_server: MockServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_connection, "_ssl_context", ssl.create_default_context())  # no test CA
    async with AsyncOpenAI(api_key="sk-test", base_url=tls_server.url, max_retries=0) as client:
        with pytest.raises(APIConnectionError) as info:
            await client.chat.completions.create(**chat_body())
    assert "certificate verify failed" in str(info.value.__cause__)
    assert 0 == tls_server.requests_served
