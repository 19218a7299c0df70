"""Error mapping, raw responses and file downloads, mocked with respx."""

import httpx
import openai
import pytest
import respx

API = "https://api.openai.com/v1"


@respx.mock
def test_rate_limit_error_carries_status_body_and_request_id():
    error = {
        "message": "Rate limit reached for gpt-4o-mini",
        "type": "requests",
        "param": None,
        "code": "rate_limit_exceeded",
    }
    respx.post(f"{API}/chat/completions").respond(
        429, json={"error": error}, headers={"x-request-id": "req_abc123", "retry-after-ms": "10"}
    )
    client = openai.OpenAI(api_key="sk-test", max_retries=1)
    with pytest.raises(openai.RateLimitError) as exc_info:
        client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "x"}])
    exc = exc_info.value
    assert exc.status_code == 429
    assert exc.body == error
    assert exc.code == "rate_limit_exceeded"
    assert exc.request_id == "req_abc123"
    assert "Rate limit reached" in str(exc)
    assert isinstance(exc, openai.APIStatusError)
    assert respx.calls.call_count == 2  # retried once


@respx.mock
def test_not_found():
    respx.get(f"{API}/models/gpt-9").respond(
        404, json={"error": {"message": "The model 'gpt-9' does not exist", "code": "model_not_found"}}
    )
    client = openai.OpenAI(api_key="sk-test")
    with pytest.raises(openai.NotFoundError) as exc_info:
        client.models.retrieve("gpt-9")
    assert exc_info.value.status_code == 404
    assert exc_info.value.response.status_code == 404
    assert respx.calls.call_count == 1  # a 404 is not retried


@respx.mock
def test_authentication_and_bad_request_errors():
    respx.post(f"{API}/embeddings").mock(
        side_effect=[
            httpx.Response(401, json={"error": {"message": "Incorrect API key provided"}}),
            httpx.Response(400, json={"error": {"message": "bad input", "param": "input"}}),
        ]
    )
    client = openai.OpenAI(api_key="sk-wrong")
    with pytest.raises(openai.AuthenticationError):
        client.embeddings.create(model="text-embedding-3-small", input="x")
    with pytest.raises(openai.BadRequestError) as exc_info:
        client.embeddings.create(model="text-embedding-3-small", input="x")
    assert exc_info.value.param == "input"


@respx.mock
def test_with_raw_response_gives_the_headers():
    respx.get(f"{API}/models/gpt-4o").respond(
        json={"id": "gpt-4o", "object": "model", "created": 1, "owned_by": "openai"},
        headers={"x-request-id": "req_1", "openai-processing-ms": "12"},
    )
    client = openai.OpenAI(api_key="sk-test")
    raw = client.models.with_raw_response.retrieve("gpt-4o")
    assert raw.headers["x-request-id"] == "req_1"
    assert raw.headers.get("openai-processing-ms") == "12"
    assert raw.status_code == 200
    model = raw.parse()
    assert model.id == "gpt-4o"
    assert model.owned_by == "openai"


@respx.mock
def test_request_id_on_a_parsed_response():
    respx.get(f"{API}/models/gpt-4o").respond(
        json={"id": "gpt-4o", "object": "model", "created": 1, "owned_by": "openai"},
        headers={"x-request-id": "req_42"},
    )
    client = openai.OpenAI(api_key="sk-test")
    assert client.models.retrieve("gpt-4o")._request_id == "req_42"


@respx.mock
def test_file_content_download():
    respx.get(f"{API}/files/file-abc/content").respond(content=b'{"custom_id": "1"}\n{"custom_id": "2"}\n')
    client = openai.OpenAI(api_key="sk-test")
    content = client.files.content("file-abc")
    assert content.read() == b'{"custom_id": "1"}\n{"custom_id": "2"}\n'
    assert content.text.splitlines() == ['{"custom_id": "1"}', '{"custom_id": "2"}']


@respx.mock
def test_embeddings():
    route = respx.post(f"{API}/embeddings").respond(
        json={
            "object": "list",
            "data": [{"object": "embedding", "index": 0, "embedding": [0.1, 0.2, 0.3]}],
            "model": "text-embedding-3-small",
            "usage": {"prompt_tokens": 1, "total_tokens": 1},
        }
    )
    client = openai.OpenAI(api_key="sk-test")
    result = client.embeddings.create(model="text-embedding-3-small", input="hello")
    assert result.data[0].embedding == [0.1, 0.2, 0.3]
    assert route.calls.last.request.url == f"{API}/embeddings"


@pytest.mark.anyio
async def test_async_errors(respx_mock):
    respx_mock.post(f"{API}/chat/completions").respond(
        500, json={"error": {"message": "internal"}}, headers={"retry-after-ms": "10"}
    )
    async with openai.AsyncOpenAI(api_key="sk-test", max_retries=2) as client:
        with pytest.raises(openai.InternalServerError) as exc_info:
            await client.chat.completions.create(model="m", messages=[{"role": "user", "content": "x"}])
    assert exc_info.value.status_code == 500
    assert respx_mock.calls.call_count == 3


@pytest.mark.anyio
async def test_async_raw_response_and_download(respx_mock):
    respx_mock.get(f"{API}/files/file-1/content").respond(content=b"abc", headers={"x-request-id": "r"})
    async with openai.AsyncOpenAI(api_key="sk-test") as client:
        raw = await client.files.with_raw_response.content("file-1")
        assert raw.headers["x-request-id"] == "r"
        content = await client.files.content("file-1")
        assert content.content == b"abc"
