"""Specification of the mock server's Files API: multipart upload, list with cursor
pagination, retrieve, download, delete, and the 4xx answers to malformed uploads."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from openai_actors.mock import MockServer

from .test_mock_server import assert_openai_error


def upload(client: httpx.Client, data: bytes, filename: str = "input.jsonl", purpose: str = "batch") -> Any:
    response = client.post("/files", data={"purpose": purpose}, files={"file": (filename, data)})
    assert 200 == response.status_code, response.text
    return response.json()


def test_upload_returns_a_file_object(client: httpx.Client) -> None:
    """A multipart upload is stored and described by an OpenAI file object."""
    file = upload(client, b'{"a": 1}\n', filename="requests.jsonl", purpose="batch")

    assert file["id"].startswith("file-")
    assert isinstance(file["created_at"], int)
    expected = {
        "id": file["id"],
        "object": "file",
        "bytes": 9,
        "created_at": file["created_at"],
        "filename": "requests.jsonl",
        "purpose": "batch",
        "status": "processed",
        "expires_at": None,
        "status_details": None,
    }
    assert expected == file


def test_retrieve_download_and_delete(client: httpx.Client) -> None:
    """A file can be retrieved, downloaded byte for byte, and deleted; then it is a 404."""
    data = bytes(range(256)) * 10 + b"\r\n--not-a-boundary\r\n"
    file = upload(client, data, filename="blob.bin", purpose="user_data")

    retrieved = client.get(f"/files/{file['id']}")
    content = client.get(f"/files/{file['id']}/content")
    deleted = client.delete(f"/files/{file['id']}")

    assert file == retrieved.json()
    assert (data, "application/octet-stream") == (content.content, content.headers["content-type"])
    assert {"id": file["id"], "object": "file", "deleted": True} == deleted.json()
    for response in (
        client.get(f"/files/{file['id']}"),
        client.get(f"/files/{file['id']}/content"),
        client.delete(f"/files/{file['id']}"),
    ):
        assert "No such File object" in assert_openai_error(response, 404)["message"]


def test_filenames_with_quotes_and_unicode_survive(client: httpx.Client) -> None:
    """The filename is decoded the way httpx (and browsers) encode it."""
    file = upload(client, b"x", filename='my "quoted" ünïcode.txt', purpose="assistants")

    assert 'my "quoted" ünïcode.txt' == file["filename"]


def test_list_pages_with_after(client: httpx.Client) -> None:
    """GET /v1/files lists newest first; limit and after walk it page by page."""
    ids = [upload(client, b"%d" % index)["id"] for index in range(5)]

    pages = []
    query: dict[str, Any] = {"limit": 2}
    while True:
        page = client.get("/files", params=query).json()
        pages.append(page)
        if not page["has_more"]:
            break
        query["after"] = page["last_id"]

    assert [[ids[4], ids[3]], [ids[2], ids[1]], [ids[0]]] == [
        [file["id"] for file in page["data"]] for page in pages
    ]
    assert [True, True, False] == [page["has_more"] for page in pages]
    assert [(ids[4], ids[3]), (ids[2], ids[1]), (ids[0], ids[0])] == [
        (page["first_id"], page["last_id"]) for page in pages
    ]
    assert {"list"} == {page["object"] for page in pages}


def test_list_ascending_filtered_and_after_a_deleted_file(client: httpx.Client) -> None:
    """order=asc lists oldest first, purpose filters, and a deleted file's id still works
    as a cursor."""
    batch_ids = [upload(client, b"b", purpose="batch")["id"] for _ in range(3)]
    upload(client, b"u", purpose="user_data")
    client.delete(f"/files/{batch_ids[0]}")

    everything = client.get("/files").json()
    ascending = client.get("/files", params={"order": "asc", "purpose": "batch"}).json()
    after_deleted = client.get("/files", params={"order": "asc", "after": batch_ids[0]}).json()
    none = client.get("/files", params={"purpose": "evals"}).json()

    assert 3 == len(everything["data"])
    assert batch_ids[1:] == [file["id"] for file in ascending["data"]]
    assert batch_ids[1:] == [file["id"] for file in after_deleted["data"]][:2]
    assert {"object": "list", "data": [], "first_id": None, "last_id": None, "has_more": False} == none


@pytest.mark.parametrize(
    ("params", "param"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"order": "up"}, "order"),
        ({"after": "x"}, "after"),
    ],
)
def test_list_rejects_bad_query(client: httpx.Client, params: dict[str, Any], param: str) -> None:
    """Bad limit, order or after values are a 400 naming the parameter."""
    assert param == assert_openai_error(client.get("/files", params=params), 400)["param"]


# --- malformed uploads ------------------------------------------------------


def test_upload_missing_fields_or_bad_purpose_is_400(client: httpx.Client) -> None:
    """purpose and a file (with a filename) are required, and purpose must be known."""
    no_purpose = client.post("/files", files={"file": ("a.txt", b"x")})
    no_file = client.post("/files", data={"purpose": "batch"}, files={"other": ("a.txt", b"x")})
    no_filename = client.post("/files", data={"purpose": "batch"}, files={"file": (None, b"x")})
    bad_purpose = client.post("/files", data={"purpose": "fun"}, files={"file": ("a.txt", b"x")})

    assert "purpose" == assert_openai_error(no_purpose, 400)["param"]
    assert "file" == assert_openai_error(no_file, 400)["param"]
    assert "file" == assert_openai_error(no_filename, 400)["param"]
    assert "purpose" == assert_openai_error(bad_purpose, 400)["param"]


def multipart(body: bytes, content_type: str = "multipart/form-data; boundary=XyZ") -> dict[str, Any]:
    return {"content": body, "headers": {"content-type": content_type}}


GOOD_PART = b'--XyZ\r\ncontent-disposition: form-data; name="purpose"\r\n\r\nbatch\r\n'


@pytest.mark.parametrize(
    ("request_kwargs", "complaint"),
    [
        ({"json": {"purpose": "batch"}}, "multipart/form-data"),
        (multipart(b"", "multipart/form-data"), "no boundary"),
        (multipart(b"", 'multipart/form-data; boundary="bad boundary "'), "Invalid multipart boundary"),
        (multipart(b"no delimiter here"), "does not contain its boundary"),
        (multipart(GOOD_PART), "without its closing boundary"),
        (multipart(GOOD_PART.replace(b"\r\n\r\n", b"\r\n") + b"--XyZ--\r\n"), "no blank line"),
        (multipart(b"--XyZ\r\nx-header: 1\r\n\r\ndata\r\n--XyZ--\r\n"), "no Content-Disposition"),
        (multipart(b"--XyZ\r\ncontent-disposition: form-data\r\n\r\nd\r\n--XyZ--\r\n"), "no name"),
        (multipart(b"--XyZ\r\ncontent-disposition: attachment; name=a\r\n\r\nd\r\n--XyZ--"), "'attachment'"),
        (multipart(b"--XyZ junk\r\n"), "not followed by CRLF"),
        (multipart(b"--XyZ\r\nbroken header line\r\n\r\nd\r\n--XyZ--\r\n"), "malformed header line"),
    ],
)
def test_malformed_multipart_is_400_saying_why(
    client: httpx.Client, request_kwargs: dict[str, Any], complaint: str
) -> None:
    """A body that is not well-formed multipart/form-data is a 400 whose message says
    what is wrong; the server goes on serving."""
    error = assert_openai_error(client.post("/files", **request_kwargs), 400)

    assert complaint in error["message"]
    assert 200 == client.get("/files").status_code


def test_hand_written_multipart_with_preamble_and_epilogue(client: httpx.Client) -> None:
    """A preamble before the first boundary and an epilogue after the last are ignored;
    quoted boundaries and a trailing ';' in a header are accepted."""
    body = (
        b"preamble\r\n--a b\r\n"
        b'Content-Disposition: form-data; name="purpose";\r\n\r\nvision\r\n'
        b'--a b\r\nContent-Disposition: form-data; name="file"; filename="p.png"\r\n'
        b"Content-Type: image/png\r\n\r\n\x89PNG\r\n--a b--\r\nepilogue"
    )
    file = client.post("/files", **multipart(body, 'multipart/form-data; boundary="a b"')).json()

    assert ("p.png", "vision", 4) == (file["filename"], file["purpose"], file["bytes"])
    assert b"\x89PNG" == client.get(f"/files/{file['id']}/content").content


def test_storage_is_bounded() -> None:
    """Uploads past max_file_storage get a 413; deleting files frees the room."""
    with MockServer(max_file_storage=100) as small, httpx.Client(base_url=small.url, timeout=5.0) as http:
        first = upload(http, b"x" * 60)
        refused = http.post("/files", data={"purpose": "batch"}, files={"file": ("b", b"y" * 60)})
        http.delete(f"/files/{first['id']}")
        accepted = http.post("/files", data={"purpose": "batch"}, files={"file": ("b", b"y" * 60)})

    assert "file_too_large" == assert_openai_error(refused, 413)["code"]
    assert 200 == accepted.status_code
