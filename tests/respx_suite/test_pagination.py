"""Auto-pagination over two pages, mocked with respx."""

import httpx
import openai
import pytest
import respx

FILES_URL = "https://api.openai.com/v1/files"


def file_object(file_id):
    return {
        "id": file_id,
        "object": "file",
        "bytes": 10,
        "created_at": 1700000000,
        "filename": f"{file_id}.jsonl",
        "purpose": "batch",
        "status": "processed",
    }


def pages(request):
    after = request.url.params.get("after")
    if after is None:
        body = {"object": "list", "data": [file_object("file-1"), file_object("file-2")], "has_more": True}
    elif after == "file-2":
        body = {"object": "list", "data": [file_object("file-3")], "has_more": False}
    else:
        return httpx.Response(400, json={"error": {"message": f"unexpected cursor {after}"}})
    return httpx.Response(200, json=body)


@respx.mock
def test_iterating_fetches_every_page():
    route = respx.get(FILES_URL).mock(side_effect=pages)
    client = openai.OpenAI(api_key="sk-test")
    ids = [f.id for f in client.files.list(limit=2)]
    assert ids == ["file-1", "file-2", "file-3"]
    assert route.call_count == 2
    assert route.calls[0].request.url.params["limit"] == "2"
    assert route.calls[1].request.url.params["after"] == "file-2"


@respx.mock
def test_page_by_page():
    respx.get(FILES_URL).mock(side_effect=pages)
    client = openai.OpenAI(api_key="sk-test")
    first = client.files.list(limit=2)
    assert [f.id for f in first.data] == ["file-1", "file-2"]
    assert first.has_next_page()
    second = first.get_next_page()
    assert [f.id for f in second.data] == ["file-3"]
    assert not second.has_next_page()


@pytest.mark.anyio
async def test_async_iteration(respx_mock):
    respx_mock.get(FILES_URL).mock(side_effect=pages)
    async with openai.AsyncOpenAI(api_key="sk-test") as client:
        ids = [f.id async for f in client.files.list(limit=2)]
    assert ids == ["file-1", "file-2", "file-3"]
