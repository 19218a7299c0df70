"""Streams and raw responses at their edges: each test proves a promise a review found broken."""

from __future__ import annotations

import gc
import gzip
import json
import threading
import traceback
from collections.abc import Iterator

import anyio
import httpx
import pytest

from openai_actors import (
    APIConnectionError,
    APIError,
    APIResponseValidationError,
    AsyncOpenAI,
    BadRequestError,
    ClientClosedError,
    OpenAI,
    OpenAIError,
)
from openai_actors.mock import Fault, MockServer

from .conftest import RawServer, chat_body, until

pytestmark = pytest.mark.anyio
CHAT = "/v1/chat/completions"
LONG = "streaming " * 40


def sse(*events: object, done: bool = True) -> bytes:
    """An event-stream body of these data objects."""
    text = "".join(f"data: {json.dumps(e) if not isinstance(e, str) else e}\n\n" for e in events)
    return (text + ("data: [DONE]\n\n" if done else "")).encode()


def http(status: int, body: bytes, *headers: str) -> bytes:
    head = "".join(f"{h}\r\n" for h in headers)
    return b"HTTP/1.1 %d X\r\n%bContent-Length: %d\r\n\r\n%b" % (status, head.encode(), len(body), body)


def chunk(content: str) -> dict[str, object]:
    return {"id": "c", "object": "chat.completion.chunk", "created": 0, "model": "m",
            "choices": [{"index": 0, "delta": {"content": content}, "finish_reason": None}]}  # fmt: skip


class TestCompressedResponses:
    async def test_a_gzip_error_response_raises_the_status_error(self, raw_server: RawServer) -> None:
        body = gzip.compress(b'{"error": {"message": "bad model"}}')
        raw_server.replies = [http(400, body, "Content-Encoding: gzip", "Content-Type: application/json")]
        async with AsyncOpenAI(api_key="sk", base_url=raw_server.url) as client:
            with pytest.raises(BadRequestError, match="bad model") as info:
                await client.models.list()
        assert {"message": "bad model"} == info.value.body
        assert b'{"error": {"message": "bad model"}}' == info.value.response.content

    async def test_raw_headers_of_a_gzip_response(self, raw_server: RawServer) -> None:
        raw_server.replies = [
            http(200, gzip.compress(b"{}"), "Content-Encoding: gzip", "X-Ratelimit-Remaining-Requests: 7")
        ]
        async with AsyncOpenAI(api_key="sk", base_url=raw_server.url) as client:
            raw = await client.with_options(max_retries=0).models.with_raw_response.retrieve("m")
        assert "7" == raw.headers["x-ratelimit-remaining-requests"]


class TestStreamsEndVisibly:
    async def test_closing_the_client_under_a_stream_raises_instead_of_ending_it_short(
        self, server: MockServer
    ) -> None:
        server.script(Fault(chunk_delay=0.05, path=CHAT))
        client = AsyncOpenAI(api_key="sk", base_url=server.url)
        stream = await client.chat.completions.create(**chat_body(LONG), stream=True)
        await stream.__anext__()
        await client.close()
        with pytest.raises(ClientClosedError):
            async for _ in stream:
                pass

    async def test_a_stream_keeps_its_client_alive(self, server: MockServer) -> None:
        """The client going out of scope (and being collected) must not end its stream."""

        async def start() -> object:
            client = AsyncOpenAI(api_key="sk", base_url=server.url)
            return await client.chat.completions.create(**chat_body("kept alive"), stream=True)

        stream = await start()
        gc.collect()
        text = "".join([c.choices[0].delta.content or "" async for c in stream if c.choices])  # type: ignore[attr-defined]
        assert "echo: kept alive" == text

    async def test_items_before_an_error_event_are_delivered_first(self, raw_server: RawServer) -> None:
        body = sse(chunk("a"), chunk("b"), {"error": {"message": "boom"}}, done=False)
        raw_server.replies = [http(200, body, "Content-Type: text/event-stream")]
        got: list[str] = []
        async with AsyncOpenAI(api_key="sk", base_url=raw_server.url) as client:
            stream = await client.chat.completions.create(**chat_body(), stream=True)
            with pytest.raises(APIError, match="boom"):
                async for c in stream:
                    got.append(c.choices[0].delta.content or "")
        assert ["a", "b"] == got

    @pytest.mark.parametrize("bad", ["42", "[1, 2]", "null", "not json"])
    async def test_an_event_that_is_not_a_json_object_is_a_validation_error(
        self, raw_server: RawServer, bad: str
    ) -> None:
        raw_server.replies = [http(200, sse(chunk("ok"), bad), "Content-Type: text/event-stream")]
        async with AsyncOpenAI(api_key="sk", base_url=raw_server.url) as client:
            stream = await client.responses.create(model="m", input="x", stream=True)
            with pytest.raises(APIResponseValidationError, match="streamed event is not"):
                async for _ in stream:
                    pass

    async def test_json_instead_of_an_event_stream_is_reported(self, raw_server: RawServer) -> None:
        raw_server.replies = [http(200, b'{"id": "not-a-stream"}', "Content-Type: application/json")]
        async with AsyncOpenAI(api_key="sk", base_url=raw_server.url) as client:
            stream = await client.chat.completions.create(**chat_body(), stream=True)
            with pytest.raises(APIResponseValidationError, match="application/json, not an event stream"):
                async for _ in stream:
                    pass

    async def test_done_ends_the_stream_even_if_the_server_lingers(self, raw_server: RawServer) -> None:
        """After [DONE] the server keeps the body open: iteration still ends at once."""
        raw_server.linger = threading.Event()
        head = b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"
        body = sse(chunk("x"))
        raw_server.replies = [
            head + b"%x\r\n%b\r\n" % (len(body), body)
        ]  # no final chunk: the body stays open
        async with AsyncOpenAI(api_key="sk", base_url=raw_server.url, timeout=30) as client:
            stream = await client.chat.completions.create(**chat_body(), stream=True)
            with anyio.fail_after(5):
                assert ["x"] == [c.choices[0].delta.content async for c in stream]

    async def test_peeking_with_anext_then_looping_gets_everything(self, server: MockServer) -> None:
        async with AsyncOpenAI(api_key="sk", base_url=server.url) as client:
            stream = await client.chat.completions.create(**chat_body("peek"), stream=True)
            first = await stream.__anext__()
            rest = [c async for c in stream]
        pieces = [c.choices[0].delta.content or "" for c in [first, *rest] if c.choices]
        assert "echo: peek" == "".join(pieces)

    async def test_reading_a_stream_after_it_was_closed_is_an_error(self, server: MockServer) -> None:
        server.script(Fault(chunk_delay=0.05, path=CHAT))
        async with AsyncOpenAI(api_key="sk", base_url=server.url) as client:
            stream = await client.chat.completions.create(**chat_body(LONG), stream=True)
            async for _ in stream:
                break  # closes it
            with pytest.raises(RuntimeError, match="stream was closed"):
                await stream.__anext__()


class TestRawResponsesClose:
    async def test_an_unparsed_raw_stream_is_closed_when_dropped(self, server: MockServer) -> None:
        server.script(Fault(action="stream_stall", after=1, path=CHAT))
        async with AsyncOpenAI(api_key="sk", base_url=server.url) as client:
            raw = await client.chat.completions.with_raw_response.create(**chat_body(LONG), stream=True)
            assert 200 == raw.status_code
            del raw
            gc.collect()
            await until(server, lambda s: s.disconnects == 1)

    async def test_a_3xx_not_followed_is_a_streaming_response_too(self, raw_server: RawServer) -> None:
        raw_server.replies = [http(304, b"")]
        async with AsyncOpenAI(api_key="sk", base_url=raw_server.url) as client:
            async with client.models.with_streaming_response.retrieve("m") as response:
                assert (304, b"") == (response.status_code, await response.read())

    async def test_parse_twice_returns_the_same_object(self, server: MockServer) -> None:
        async with AsyncOpenAI(api_key="sk", base_url=server.url) as client:
            async with client.chat.completions.with_streaming_response.create(
                **chat_body(), stream=True
            ) as r:
                assert await r.parse() is await r.parse()

    async def test_iter_lines_ends_lines_as_httpx_does(self, raw_server: RawServer) -> None:
        raw_server.replies = [http(200, "a\x0cb\r\nc\u2028d\re".encode())]
        async with AsyncOpenAI(api_key="sk", base_url=raw_server.url) as client:
            async with client.with_options(max_retries=0).models.with_streaming_response.retrieve("m") as r:
                assert ["a", "b", "c", "d", "e"] == [line async for line in r.iter_lines()]


class TestIsolation:
    async def test_a_transport_that_breaks_mid_stream_fails_only_that_stream(self) -> None:
        class Broken(httpx.AsyncByteStream):
            async def __aiter__(self) -> Iterator[bytes]:  # type: ignore[override]
                yield sse(chunk("a"), done=False)
                raise ValueError("transport bug")

        def handler(request: httpx.Request) -> httpx.Response:
            if request.url.path.endswith("/models"):
                return httpx.Response(200, json={"object": "list", "data": []})
            return httpx.Response(200, headers={"content-type": "text/event-stream"}, stream=Broken())

        async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as http_client:
            async with AsyncOpenAI(api_key="sk", base_url="http://t/v1", http_client=http_client) as client:
                stream = await client.chat.completions.create(**chat_body(), stream=True)
                with pytest.raises(OpenAIError, match="transport bug"):
                    async for _ in stream:
                        pass
                assert [] == (await client.models.list()).data

    async def test_a_huge_usage_number_does_not_stop_the_dispatcher(self, raw_server: RawServer) -> None:
        body = b'{"usage": {"total_tokens": ' + b"9" * 5000 + b"}}"
        raw_server.replies = [http(200, body), http(200, b"{}")]
        async with AsyncOpenAI(api_key="sk", base_url=raw_server.url) as client:
            with pytest.raises(APIResponseValidationError):
                await client.post("chat/completions", body=chat_body())
            assert {} == await client.get("x")

    async def test_the_key_is_not_reachable_through_an_httpx_error(self) -> None:
        def handler(request: httpx.Request) -> httpx.Response:
            raise httpx.ConnectError("refused", request=request)

        async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as http_client:
            async with AsyncOpenAI(
                api_key="sk-SECRET-42", base_url="http://t/v1", http_client=http_client, max_retries=0
            ) as client:
                with pytest.raises(APIConnectionError) as info:
                    await client.models.list()
        seen: list[str] = []
        error: BaseException | None = info.value
        while error is not None:
            seen.append(repr(vars(error)))
            request = getattr(error, "request", None)
            if request is not None:
                seen.append(repr(dict(request.headers)))
            error = error.__cause__ or error.__context__
        seen.append(
            "".join(traceback.TracebackException.from_exception(info.value, capture_locals=True).format())
        )
        assert [] == [text for text in seen if "sk-SECRET-42" in text]


class TestPages:
    async def test_models_list_is_one_page_whatever_has_more_says(self, raw_server: RawServer) -> None:
        page = b'{"object": "list", "data": [{"id": "m1", "object": "model", "created": 0, "owned_by": "x"}], "has_more": true}'
        raw_server.replies = [http(200, page), http(200, page)]
        async with AsyncOpenAI(api_key="sk", base_url=raw_server.url) as client:
            assert ["m1"] == [m.id async for m in client.models.list()]


def test_a_sync_unparsed_raw_stream_is_closed_when_dropped(server: MockServer) -> None:
    server.script(Fault(action="stream_stall", after=1, path=CHAT))
    with OpenAI(api_key="sk", base_url=server.url) as client:
        raw = client.chat.completions.with_raw_response.create(**chat_body(LONG), stream=True)
        del raw
        gc.collect()
        server.wait_for(lambda s: s.disconnects == 1)
