"""Specification of the mock server's generic routes: every operation of the OpenAPI
description answers, from the samples generated into openai_actors/mock/_generated_routes.py
(`python -m codegen.mock_samples`).

Over real sockets with httpx, not through the client's resources.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from openai_actors.mock import MockServer
from openai_actors.mock._generated_routes import BODIES, EVENTS, ROUTES, SAMPLES, Route

from .test_mock_server import assert_openai_error
from .test_mock_streaming import data_of, parse_sse

# The operations the mock answers by hand (validating, keeping state), not from samples.
HAND = {
    ("POST", "/chat/completions"),
    ("POST", "/completions"),
    ("POST", "/embeddings"),
    ("GET", "/models"),
    ("GET", "/models/{model}"),
    ("POST", "/moderations"),
    ("POST", "/responses"),
    ("GET", "/responses/{response_id}"),
    ("DELETE", "/responses/{response_id}"),
    ("POST", "/responses/{response_id}/cancel"),
    ("POST", "/files"),
    ("GET", "/files"),
    ("GET", "/files/{file_id}"),
    ("DELETE", "/files/{file_id}"),
    ("GET", "/files/{file_id}/content"),
    ("POST", "/batches"),
    ("GET", "/batches"),
    ("GET", "/batches/{batch_id}"),
    ("POST", "/batches/{batch_id}/cancel"),
}


def _path(route: Route) -> str:
    """The route's template without its query (`/responses?beta=true`)."""
    return route.template.partition("?")[0]


def _url(route: Route) -> str:
    """The route with each path parameter `{name}` filled in as `name-1`, query kept."""
    return re.sub(r"\{(\w+)\}", r"\1-1", route.template)


@pytest.fixture(scope="module")
def http() -> Iterator[httpx.Client]:
    """One server and client for the walk over the table (a server per operation is slow)."""
    with MockServer() as server, httpx.Client(base_url=server.url, timeout=5.0) as client:
        yield client


# --- the table ----------------------------------------------------------------


def test_table_covers_every_operation_once() -> None:
    """288 operations (182 paths), each once; every sample, body and stream they name exists."""
    assert 288 == len(ROUTES)
    assert 182 == len({route.template for route in ROUTES})
    assert len(ROUTES) == len({(route.method, route.template) for route in ROUTES})
    assert HAND <= {(route.method, _path(route)) for route in ROUTES}
    for route in ROUTES:
        assert route.method in ("GET", "POST", "DELETE"), route
        assert 200 <= route.status < 300, route
        if route.media_type == "application/json":
            assert route.sample in SAMPLES, route
        else:
            assert route.sample is None, route
            assert not route.media_type or route.media_type in BODIES, route
        assert route.events is None or EVENTS[route.events], route


def _resource(route: Route) -> str:
    return route.template.strip("/").split("/")[0].partition("?")[0]


RESOURCES = sorted({_resource(route) for route in ROUTES})


@pytest.mark.parametrize("resource", RESOURCES)
def test_every_operation_answers(http: httpx.Client, resource: str) -> None:
    """Each operation (here those under /v1/<resource>) answers 2xx with a body of its kind:
    JSON with the sample's top-level properties (the required ones among them), the route's
    bytes, or nothing. Operations answered by hand only promise a well-formed answer to this
    made-up request. (One test per resource, not per operation: a test's teardown collects
    garbage, which would cost more than all the requests.)"""
    failures = []
    for route in ROUTES:
        if _resource(route) == resource:
            problem = _check_operation(http, route)
            if problem:
                failures.append(f"{route.method} {route.template}: {problem}")
    assert [] == failures


def _check_operation(http: httpx.Client, route: Route) -> str | None:
    body = {} if route.method == "POST" else None
    response = http.request(route.method, _url(route), json=body)
    if (route.method, _path(route)) in HAND:
        if response.status_code >= 300:
            assert_openai_error(response, response.status_code)
        return None
    if route.status != response.status_code:
        return f"status {response.status_code}: {response.text[:200]}"
    content_type = response.headers["content-type"]
    if route.media_type == "application/json":
        if "application/json" != content_type:
            return f"content-type {content_type}"
        value = response.json()
        sample = SAMPLES[route.sample or ""]
        if type(sample) is not type(value):
            return f"{type(value).__name__} for a {type(sample).__name__} sample"
        if isinstance(sample, dict):
            if set(sample) != set(value):
                return f"properties {sorted(value)}, not {sorted(sample)}"
            one_page = value.get("has_more") is False and 1 == len(value.get("data", ()))
            if value.get("object") == "list" and "has_more" in value and not one_page:
                return f"not a one-page list: {value}"
    elif route.media_type:
        if (route.media_type, BODIES[route.media_type]) != (content_type, response.content):
            return f"{content_type} {response.content[:40]!r}"
    elif response.content:
        return f"a body where none is described: {response.content[:40]!r}"
    return None


# --- kinds of answers -----------------------------------------------------------


def test_binary_routes_answer_bytes_of_their_media_type(http: httpx.Client) -> None:
    """Speech, file, video and skill content are bytes with their content type; a skill's
    bundle is a (valid, empty) zip."""
    speech = http.post("/audio/speech", json={"model": "tts-1", "input": "hi", "voice": "alloy"})
    video = http.get("/videos/video_1/content")
    container_file = http.get("/containers/cntr_1/files/cfile_1/content")
    skill = http.get("/skills/skill_1/content")

    assert ("application/octet-stream", BODIES["application/octet-stream"]) == (
        speech.headers["content-type"],
        speech.content,
    )
    assert ("video/mp4", b"ftyp") == (video.headers["content-type"], video.content[4:8])
    assert "application/octet-stream" == container_file.headers["content-type"]
    assert container_file.content
    assert "application/zip" == skill.headers["content-type"]
    assert [] == zipfile.ZipFile(io.BytesIO(skill.content)).namelist()


def test_multipart_uploads_are_accepted(http: httpx.Client) -> None:
    """A multipart body is read (not validated): an upload part, an image edit, a transcription."""
    part = http.post("/uploads/upload_1/parts", files={"data": ("chunk", b"\x00" * 1000)})
    edit = http.post("/images/edits", data={"prompt": "a hat"}, files={"image": ("a.png", b"\x89PNG")})
    text = http.post("/audio/transcriptions", data={"model": "whisper-1"}, files={"file": ("a.wav", b"RIFF")})

    assert (200, "upload.part", "upload_1") == (
        part.status_code,
        part.json()["object"],
        part.json()["upload_id"],
    )
    assert 200 == edit.status_code
    assert edit.json()["data"]
    assert {"text": "string"} == text.json()


def test_unparseable_bodies_are_400(http: httpx.Client) -> None:
    """Requests are only checked for parsing: broken JSON or multipart is a 400 in OpenAI's shape."""
    broken_json = http.post("/vector_stores", content=b"{nope", headers={"content-type": "application/json"})
    broken_form = http.post(
        "/uploads/upload_1/parts",
        content=b"garbage",
        headers={"content-type": "multipart/form-data; boundary=x"},
    )

    assert_openai_error(broken_json, 400)
    assert "invalid_multipart" == assert_openai_error(broken_form, 400)["code"]


def test_lists_answer_one_page(http: httpx.Client) -> None:
    """A list answers one item, no more pages, its cursors that item's id."""
    page = http.get("/vector_stores", params={"limit": 5, "after": "vs_0"}).json()

    assert ("list", False, 1) == (page["object"], page["has_more"], len(page["data"]))
    assert page["data"][0]["id"] == page["first_id"] == page["last_id"]
    assert "vector_store" == page["data"][0]["object"]


# --- path parameters --------------------------------------------------------------


def test_path_ids_show_in_the_answer(http: httpx.Client) -> None:
    """The object a route names takes the route's last id; fields named like a path parameter
    take its value; a created object keeps its own id."""
    run = http.get("/threads/thread_9/runs/run_7").json()
    cancelled = http.post("/threads/thread_9/runs/run_7/cancel").json()
    created = http.post("/threads/thread_9/runs", json={"assistant_id": "asst_1"}).json()
    step = http.get("/threads/thread_9/runs/run_7/steps/step_3").json()
    files = http.get("/vector_stores/vs_5/files").json()
    deleted = http.delete("/vector_stores/vs_5/files/file%2F1").json()
    job = http.post("/fine_tuning/jobs/ftjob_4/cancel").json()

    assert ("run_7", "thread_9", "thread.run") == (run["id"], run["thread_id"], run["object"])
    assert "run_7" == cancelled["id"]
    assert ("run_abc123", "thread_9") == (created["id"], created["thread_id"])
    assert ("step_3", "run_7", "thread_9") == (step["id"], step["run_id"], step["thread_id"])
    assert "vs_5" == files["data"][0]["vector_store_id"]
    assert "vs_5" != files["data"][0]["id"]
    assert ("file/1", True) == (deleted["id"], deleted["deleted"])
    assert "ftjob_4" == job["id"]


def test_the_requested_model_is_echoed(http: httpx.Client) -> None:
    """A `model` in the request shows in an answer that has one."""
    video = http.post("/videos", json={"model": "sora-2", "prompt": "a cat"}).json()

    assert ("sora-2", "video") == (video["model"], video["object"])


# --- streams ----------------------------------------------------------------------


@pytest.mark.anyio
async def test_image_generation_streams_its_events(server: MockServer) -> None:
    """`"stream": true` on a route with a text/event-stream answer gets its events, each
    named after its type; without it the route answers JSON."""
    async with httpx.AsyncClient(base_url=server.url, timeout=5.0) as client:
        streamed = await client.post("/images/generations", json={"prompt": "a cat", "stream": True})
        plain = await client.post("/images/generations", json={"prompt": "a cat"})

    assert "text/event-stream; charset=utf-8" == streamed.headers["content-type"]
    events = parse_sse(streamed.text)
    assert ["image_generation.partial_image", "image_generation.completed"] == [e["event"] for e in events]
    assert [e["event"] for e in events] == [data["type"] for data in data_of(events)]
    assert "application/json" == plain.headers["content-type"]
    assert plain.json()["data"]


@pytest.mark.anyio
async def test_speech_and_transcription_stream(server: MockServer) -> None:
    """Speech streams with `"stream_format": "sse"`; a transcription with the form field `stream=true`."""
    async with httpx.AsyncClient(base_url=server.url, timeout=5.0) as client:
        speech = await client.post(
            "/audio/speech",
            json={"model": "gpt-4o-mini-tts", "input": "hi", "voice": "alloy", "stream_format": "sse"},
        )
        transcript = await client.post(
            "/audio/transcriptions",
            data={"model": "gpt-4o-transcribe", "stream": "true"},
            files={"file": ("a.wav", b"RIFF")},
        )

    assert ["speech.audio.delta", "speech.audio.done"] == [
        data["type"] for data in data_of(parse_sse(speech.text))
    ]
    kinds = [data["type"] for data in data_of(parse_sse(transcript.text))]
    assert ("transcript.text.delta", "transcript.text.done") == (kinds[-2], kinds[-1])


def test_assistant_runs_stream_and_end_with_done(http: httpx.Client) -> None:
    """A streamed run: thread.* events whose data is the object, then `event: done` / `[DONE]`
    (answered by mock/_assistants.py, which tests/test_assistant_streams.py checks in full)."""
    response = http.post("/threads/thread_1/runs", json={"assistant_id": "asst_1", "stream": True})
    events = parse_sse(response.text)
    names = [event["event"] for event in events]

    assert ["thread.run.created", "thread.run.completed", "done"] == [names[0], names[-2], names[-1]]
    assert "thread.message.delta" in names
    data: list[Any] = data_of(events)
    assert ("thread.run", "[DONE]") == (data[0]["object"], data[-1])


# --- routing ----------------------------------------------------------------------


def test_unknown_paths_are_404_and_wrong_methods_405(http: httpx.Client) -> None:
    """A path no route matches is a 404 (unknown_url); a known one with another method a 405
    listing the methods of the hand-written and the generated routes."""
    for path in ("/nothing/here", "/threads/thread_1/nothing", "/vector_stores/vs_1/files/f/content/x"):
        error = assert_openai_error(http.get(path), 404)
        assert ("unknown_url", f"Invalid URL (GET /v1{path})") == (error["code"], error["message"])
    not_allowed = http.put("/threads/thread_1")

    assert_openai_error(not_allowed, 405)
    assert "GET, POST, DELETE" == not_allowed.headers["allow"]
    assert "POST, GET" == http.put("/chat/completions").headers["allow"]


def test_hand_routes_keep_their_behaviour(http: httpx.Client) -> None:
    """A route answered by hand still is (an unknown file is a 404); a method it lacks falls
    through to the generated routes (listing stored chat completions, deleting a model)."""
    missing = http.get("/files/file-404")
    listed = http.get("/chat/completions")
    deleted = http.delete("/models/ft:gpt-4o-mini:org::abc")
    compact = http.post("/responses/compact?beta=true", json={"model": "gpt-4o-mini", "input": "hi"})

    assert "No such File object" in assert_openai_error(missing, 404)["message"]
    assert ("list", "chat.completion") == (listed.json()["object"], listed.json()["data"][0]["object"])
    assert {"id": "ft:gpt-4o-mini:org::abc", "object": "model", "deleted": True} == deleted.json()
    assert "response.compaction" == compact.json()["object"]


def test_samples_are_json_values() -> None:
    """Every sample and event survives a JSON round trip unchanged (no tuples, no bytes)."""
    for value in [*SAMPLES.values(), *(data for events in EVENTS.values() for _, data in events)]:
        assert value == json.loads(json.dumps(value))
