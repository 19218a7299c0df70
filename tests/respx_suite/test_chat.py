"""Chat completions mocked with respx: decorator, fixture, base_url, side effects, streaming."""

import json

import httpx
import openai
import pytest
import respx

CHAT_URL = "https://api.openai.com/v1/chat/completions"


def completion(content, id="chatcmpl-123"):
    return {
        "id": id,
        "object": "chat.completion",
        "created": 1700000000,
        "model": "gpt-4o-mini",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "finish_reason": "stop",
                "logprobs": None,
            }
        ],
        "usage": {"prompt_tokens": 5, "completion_tokens": 2, "total_tokens": 7},
    }


def sse(*pieces):
    events = []
    for piece in pieces:
        chunk = {
            "id": "chatcmpl-1",
            "object": "chat.completion.chunk",
            "created": 1700000000,
            "model": "gpt-4o-mini",
            "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}],
        }
        events.append(f"data: {json.dumps(chunk)}\n\n")
    events.append("data: [DONE]\n\n")
    return "".join(events).encode()


def summarize(client, text):
    """The code under test."""
    response = client.chat.completions.create(
        model="gpt-4o-mini",
        messages=[{"role": "system", "content": "Summarize."}, {"role": "user", "content": text}],
        temperature=0,
    )
    return response.choices[0].message.content


async def asummarize(client, text):
    response = await client.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": text}]
    )
    return response.choices[0].message.content


@respx.mock
def test_summarize_sends_the_prompt_and_returns_the_answer():
    route = respx.post(CHAT_URL).mock(return_value=httpx.Response(200, json=completion("short")))
    client = openai.OpenAI(api_key="sk-test-123")

    assert summarize(client, "a long text") == "short"

    assert route.called
    assert route.call_count == 1
    request = route.calls.last.request
    assert request.method == "POST"
    assert request.headers["authorization"] == "Bearer sk-test-123"
    assert request.headers["content-type"] == "application/json"
    body = json.loads(request.content)
    assert body["model"] == "gpt-4o-mini"
    assert body["temperature"] == 0
    assert body["messages"][1] == {"role": "user", "content": "a long text"}


def test_with_the_respx_mock_fixture(respx_mock):
    respx_mock.post(CHAT_URL).mock(return_value=httpx.Response(200, json=completion("from fixture")))
    client = openai.OpenAI(api_key="sk-test")
    assert summarize(client, "x") == "from fixture"
    assert respx_mock.calls.call_count == 1


@pytest.mark.respx(base_url="https://api.openai.com/v1")
def test_with_a_base_url_marker(respx_mock):
    route = respx_mock.post("/chat/completions").respond(json=completion("relative route"))
    client = openai.OpenAI(api_key="sk-test")
    assert summarize(client, "x") == "relative route"
    assert route.calls.last.response.status_code == 200


def test_base_url_of_a_compatible_server():
    with respx.mock(base_url="http://localhost:8000/v1") as mock:
        route = mock.post("/chat/completions").respond(json=completion("local model"))
        client = openai.OpenAI(api_key="none", base_url="http://localhost:8000/v1")
        assert summarize(client, "x") == "local model"
    assert route.called


def test_organization_project_and_extra_headers_reach_the_server():
    with respx.mock:
        route = respx.post(CHAT_URL).respond(json=completion("ok"))
        client = openai.OpenAI(
            api_key="sk-test",
            organization="org-abc",
            project="proj-xyz",
            default_headers={"X-Team": "search"},
        )
        client.chat.completions.create(
            model="gpt-4o-mini",
            messages=[{"role": "user", "content": "x"}],
            extra_headers={"X-Trace": "t-1"},
        )
    headers = route.calls.last.request.headers
    assert headers["openai-organization"] == "org-abc"
    assert headers["openai-project"] == "proj-xyz"
    assert headers["x-team"] == "search"
    assert headers["x-trace"] == "t-1"


@respx.mock
def test_a_server_error_is_retried_then_succeeds():
    route = respx.post(CHAT_URL).mock(
        side_effect=[
            httpx.Response(503, headers={"retry-after-ms": "10"}, json={"error": {"message": "busy"}}),
            httpx.Response(200, json=completion("after retry")),
        ]
    )
    client = openai.OpenAI(api_key="sk-test")
    assert summarize(client, "x") == "after retry"
    assert route.call_count == 2
    assert [call.request.headers["x-stainless-retry-count"] for call in route.calls] == ["0", "1"]


@respx.mock
def test_a_connection_error_is_retried():
    route = respx.post(CHAT_URL).mock(
        side_effect=[httpx.ConnectError("connection refused"), httpx.Response(200, json=completion("ok"))]
    )
    client = openai.OpenAI(api_key="sk-test")
    assert summarize(client, "x") == "ok"
    assert route.call_count == 2


@respx.mock
def test_connection_errors_end_in_api_connection_error():
    route = respx.post(CHAT_URL).mock(side_effect=httpx.ConnectError("connection refused"))
    client = openai.OpenAI(api_key="sk-test", max_retries=0)
    with pytest.raises(openai.APIConnectionError):
        summarize(client, "x")
    assert route.call_count == 1


@respx.mock
def test_any_exception_from_the_transport_is_a_connection_error():
    route = respx.post(CHAT_URL).mock(side_effect=RuntimeError("network is down"))
    client = openai.OpenAI(api_key="sk-test", max_retries=0)
    with pytest.raises(openai.APIConnectionError):
        summarize(client, "x")
    assert route.call_count == 1


@respx.mock
def test_a_timeout_is_an_api_timeout_error():
    respx.post(CHAT_URL).mock(side_effect=httpx.ReadTimeout("read timed out"))
    client = openai.OpenAI(api_key="sk-test", max_retries=0, timeout=5.0)
    with pytest.raises(openai.APITimeoutError):
        summarize(client, "x")


@respx.mock
def test_streamed_chat():
    respx.post(CHAT_URL).respond(
        200, content=sse("Hel", "lo", "!"), headers={"content-type": "text/event-stream"}
    )
    client = openai.OpenAI(api_key="sk-test")
    stream = client.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}], stream=True
    )
    text = "".join(chunk.choices[0].delta.content or "" for chunk in stream)
    assert text == "Hello!"
    assert json.loads(respx.calls.last.request.content)["stream"] is True


@pytest.mark.anyio
async def test_async_client_with_the_fixture(respx_mock):
    route = respx_mock.post(CHAT_URL).respond(json=completion("async answer"))
    client = openai.AsyncOpenAI(api_key="sk-test")
    assert await asummarize(client, "x") == "async answer"
    assert route.call_count == 1
    await client.close()


# The official 2.x client leaves its SSE async generators to the garbage
# collector after [DONE]; on trio that warns.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
@pytest.mark.anyio
@respx.mock
async def test_async_streamed_chat():
    respx.post(CHAT_URL).respond(content=sse("a", "b"), headers={"content-type": "text/event-stream"})
    async with openai.AsyncOpenAI(api_key="sk-test") as client:
        stream = await client.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}], stream=True
        )
        async with stream:
            pieces = [chunk.choices[0].delta.content async for chunk in stream]
    assert pieces == ["a", "b"]


@pytest.mark.anyio
async def test_async_retry_sequence_with_a_side_effect_function():
    attempts = []

    def flaky(request):
        attempts.append(request)
        if len(attempts) < 3:
            return httpx.Response(500, headers={"retry-after-ms": "10"})
        return httpx.Response(200, json=completion(f"attempt {len(attempts)}"))

    async with respx.mock(base_url="https://api.openai.com/v1") as mock:
        mock.post("/chat/completions").mock(side_effect=flaky)
        async with openai.AsyncOpenAI(api_key="sk-test") as client:
            assert await asummarize(client, "x") == "attempt 3"
    assert len(attempts) == 3
