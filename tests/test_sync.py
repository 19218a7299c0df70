"""OpenAI, the sync client: one dispatcher on a daemon thread, shared by any number of threads."""

from __future__ import annotations

import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from openai_actors import ClientClosedError, InternalServerError, OpenAI
from openai_actors.mock import Fault, MockServer

from .conftest import chat_body

CHAT = "/v1/chat/completions"


def client_for(server: MockServer, **options: object) -> OpenAI:
    return OpenAI(api_key="sk-test", base_url=server.url, **options)  # type: ignore[arg-type]


def dispatcher_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "openai-actors-dispatcher"]


class TestBasics:
    def test_a_request_from_a_plain_script(self, server: MockServer) -> None:
        with client_for(server) as client:
            r = client.chat.completions.create(**chat_body("sync"))
            embedding = client.embeddings.create(model="e", input="x")
            models = [m.id for m in client.models.list()]
        assert "echo: sync" == r.choices[0].message.content
        assert isinstance(embedding.data[0].embedding, list)
        assert "mock-model" in models

    def test_constructing_a_client_starts_no_thread(self, server: MockServer) -> None:
        before = len(dispatcher_threads())
        client = client_for(server)
        assert before == len(dispatcher_threads())
        client.close()

    def test_close_stops_the_dispatcher_thread(self, server: MockServer) -> None:
        client = client_for(server)
        client.chat.completions.create(**chat_body())
        thread = client._portal._thread
        assert thread is not None and thread.is_alive()
        client.close()
        assert not thread.is_alive()
        assert client.is_closed()
        with pytest.raises(ClientClosedError):
            client.chat.completions.create(**chat_body())
        client.close()  # twice is fine

    def test_retries_and_errors_behave_as_in_the_async_client(self, server: MockServer) -> None:
        server.script(*[Fault(status=500, path=CHAT, headers={"retry-after-ms": "1"})] * 3)
        with client_for(server, max_retries=2) as client, pytest.raises(InternalServerError) as info:
            client.chat.completions.create(**chat_body())
        assert 3 == info.value.attempts

    def test_with_options_shares_the_thread_and_the_dispatcher(self, server: MockServer) -> None:
        with client_for(server) as client:
            other = client.with_options(max_retries=0)
            client.chat.completions.create(**chat_body())
            other.chat.completions.create(**chat_body())
            assert (other._portal, other._core) == (client._portal, client._core)
        assert 1 == server.connections_opened

    def test_a_sync_key_provider(self, server: MockServer) -> None:
        calls: list[int] = []

        def provider() -> str:
            calls.append(1)
            return "sk-from-provider"

        with OpenAI(api_key=provider, base_url=server.url) as client:
            for _ in range(3):
                client.chat.completions.create(**chat_body())
        assert 1 == len(calls)
        assert "Bearer sk-from-provider" == server.requests[0].headers["authorization"]

    def test_a_users_sync_httpx_client_carries_the_requests(self) -> None:
        seen: list[str] = []

        def handler(request: httpx.Request) -> httpx.Response:
            seen.append(str(request.url))
            return httpx.Response(200, json={"id": "m1", "object": "model", "created": 0, "owned_by": "me"})

        http = httpx.Client(transport=httpx.MockTransport(handler))
        with OpenAI(api_key="sk", base_url="http://test/v1", http_client=http) as client:
            model = client.models.retrieve("m1")
        assert ("m1", ["http://test/v1/models/m1"]) == (model.id, seen)


class TestThreads:
    def test_a_thousand_threads_sharing_one_client_each_get_their_own_answer(
        self, server: MockServer
    ) -> None:
        with client_for(server) as client:

            def ask(i: int) -> str:
                return (
                    client.chat.completions.create(**chat_body(f"thread {i}")).choices[0].message.content
                    or ""
                )

            with ThreadPoolExecutor(1000) as pool:
                answers = list(pool.map(ask, range(1000)))
        assert [f"echo: thread {i}" for i in range(1000)] == answers

    def test_threads_requests_run_concurrently_on_the_one_dispatcher(self, server: MockServer) -> None:
        """Twenty threads' requests are all at the server at the same moment: none waits for another."""
        server.script(*[Fault(action="hang", path=CHAT)] * 20)
        client = client_for(server)
        errors: list[BaseException] = []

        def ask() -> None:
            try:
                client.chat.completions.create(**chat_body())
            except ClientClosedError as exc:
                errors.append(exc)

        threads = [threading.Thread(target=ask) for _ in range(20)]
        for t in threads:
            t.start()
        server.wait_for(lambda s: s.hanging == 20)
        client.close()  # releases them all
        for t in threads:
            t.join(10)
        assert 20 == len(errors)

    def test_a_forgotten_client_does_not_keep_the_process_alive(self, server: MockServer) -> None:
        script = (
            "from openai_actors import OpenAI\n"
            f"client = OpenAI(api_key='sk', base_url={server.url!r})\n"
            "r = client.chat.completions.create(model='m', messages=[{'role': 'user', 'content': 'bye'}])\n"
            "print(r.choices[0].message.content)\n"
        )
        done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=30)
        assert (0, "echo: bye") == (done.returncode, done.stdout.strip()), done.stderr

    def test_a_garbage_collected_client_stops_its_thread(self, server: MockServer) -> None:
        import gc

        client = client_for(server)
        client.chat.completions.create(**chat_body())
        thread = client._portal._thread
        assert thread is not None
        del client
        gc.collect()
        thread.join(10)
        assert not thread.is_alive()
