"""httpx2 clients as `http_client=`: sync and async, errors translated, the Default*Httpx2Client defaults."""

from __future__ import annotations

import subprocess
import sys

import httpx
import pytest

from openai_actors import (
    APIConnectionError,
    APITimeoutError,
    AsyncOpenAI,
    DefaultAsyncHttpx2Client,
    DefaultHttpx2Client,
    OpenAI,
)
from openai_actors._httpx2_clients import HTTPX2_MISSING
from openai_actors.mock import MockServer

from .conftest import chat_body

httpx2 = pytest.importorskip("httpx2")


class TestDefaults:
    def test_the_default_clients_carry_the_sdk_defaults(self) -> None:
        for client in (DefaultHttpx2Client(), DefaultAsyncHttpx2Client()):
            assert isinstance(client, httpx2.Client | httpx2.AsyncClient)
            assert (httpx2.Timeout(600.0, connect=5.0), True) == (client.timeout, client.follow_redirects)
        sync = DefaultHttpx2Client()
        sync.close()

    def test_an_httpx_timeout_and_limits_are_converted(self) -> None:
        client = DefaultHttpx2Client(
            timeout=httpx.Timeout(7.0, connect=2.0),
            limits=httpx.Limits(max_connections=3),
            follow_redirects=False,
        )
        assert (httpx2.Timeout(7.0, connect=2.0), False) == (client.timeout, client.follow_redirects)
        client.close()

    def test_without_httpx2_making_one_says_to_install_it(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setitem(sys.modules, "httpx2", None)  # as if not installed: importing it fails
        for make in (DefaultHttpx2Client, DefaultAsyncHttpx2Client):
            with pytest.raises(RuntimeError, match="pip install httpx2") as info:
                make()
            assert HTTPX2_MISSING == str(info.value)

    def test_importing_the_package_and_its_clients_does_not_import_httpx2(self) -> None:
        code = (
            "import sys, openai_actors\n"
            "from openai_actors import OpenAI, AsyncOpenAI, DefaultHttpx2Client, DefaultAsyncHttpx2Client\n"
            "OpenAI(api_key='k').close()\n"
            "assert 'httpx2' not in sys.modules, 'httpx2 was imported'\n"
        )
        subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


class TestSyncClient:
    def test_requests_and_streams_go_through_the_httpx2_client(self, server: MockServer) -> None:
        # The user's client is theirs to close, as with the official SDK.
        with (
            DefaultHttpx2Client() as http,
            OpenAI(api_key="sk-test", base_url=server.url, http_client=http) as client,
        ):
            r = client.chat.completions.create(**chat_body("one"))
            stream = client.chat.completions.create(**chat_body("two"), stream=True)
            text = "".join(chunk.choices[0].delta.content or "" for chunk in stream if chunk.choices)
        assert ("echo: one", "echo: two") == (r.choices[0].message.content, text)
        assert ["Bearer sk-test"] * 2 == [r.headers["authorization"] for r in server.requests]
        assert server.requests[0].headers["user-agent"].startswith("openai-actors/")

    def test_the_clients_own_timeout_is_the_default(self) -> None:
        http = httpx2.Client(timeout=httpx2.Timeout(12.0))
        client = OpenAI(api_key="k", http_client=http)
        assert (12.0, 12.0) == (client._options.timeout.connect, client._options.timeout.read)
        client.close()
        http.close()

    def test_a_timeout_of_the_httpx2_client_is_an_api_timeout_error(self) -> None:
        def handler(request: httpx2.Request) -> httpx2.Response:
            raise httpx2.ConnectTimeout("too slow", request=request)

        http = httpx2.Client(transport=httpx2.MockTransport(handler))
        with OpenAI(api_key="k", base_url="http://test/v1", http_client=http, max_retries=0) as client:
            with pytest.raises(APITimeoutError):
                client.models.list()
        http.close()


@pytest.mark.anyio
class TestAsyncClient:
    async def test_requests_and_streams_go_through_the_httpx2_client(self, server: MockServer) -> None:
        async with DefaultAsyncHttpx2Client() as http:
            async with AsyncOpenAI(api_key="sk-test", base_url=server.url, http_client=http) as client:
                r = await client.chat.completions.create(**chat_body("one"))
                stream = await client.chat.completions.create(**chat_body("two"), stream=True)
                text = "".join(
                    [chunk.choices[0].delta.content or "" async for chunk in stream if chunk.choices]
                )
        assert ("echo: one", "echo: two") == (r.choices[0].message.content, text)
        assert 2 == len(server.requests)

    async def test_a_connection_error_of_the_httpx2_client_is_an_api_connection_error(self) -> None:
        calls: list[str] = []

        async def handler(request: httpx2.Request) -> httpx2.Response:
            calls.append(str(request.url))
            raise httpx2.ConnectError("refused", request=request)

        async with httpx2.AsyncClient(transport=httpx2.MockTransport(handler)) as http:
            async with AsyncOpenAI(
                api_key="k", base_url="http://test/v1", http_client=http, max_retries=1
            ) as client:
                with pytest.raises(APIConnectionError) as info:
                    await client.models.list()
        assert not isinstance(info.value, APITimeoutError)
        assert ["http://test/v1/models"] * 2 == calls  # retried once, as any connection error

    async def test_a_sync_httpx2_client_is_refused_by_the_async_client(self) -> None:
        http = httpx2.Client()
        with pytest.raises(
            TypeError, match=r"http_client must be an httpx.AsyncClient \(or httpx2's\), not Client"
        ):
            AsyncOpenAI(api_key="k", http_client=http)
        http.close()
