"""Specification of the mock server's legacy completions, Responses API and moderations
(the non-streaming side; streams are in test_mock_streaming.py)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from .test_mock_server import assert_openai_error

# --- legacy completions -----------------------------------------------------


def test_legacy_completion_has_openai_shape(client: httpx.Client) -> None:
    """POST /v1/completions answers a text_completion echoing the prompt, with usage."""
    reply = client.post("/completions", json={"model": "m", "prompt": "say this"}).json()

    assert reply["id"].startswith("cmpl-")
    assert ("text_completion", "m") == (reply["object"], reply["model"])
    choice = {"text": "echo: say this", "index": 0, "logprobs": None, "finish_reason": "stop"}
    assert [choice] == reply["choices"]
    assert {"prompt_tokens": 2, "completion_tokens": 4, "total_tokens": 6} == reply["usage"]


def test_legacy_completion_prompt_list_gives_a_choice_per_prompt(client: httpx.Client) -> None:
    """A list of prompts gets one choice per prompt, in order; max_tokens truncates each."""
    body = {"model": "m", "prompt": ["one", "a much longer prompt"], "max_tokens": 3}
    reply = client.post("/completions", json=body).json()

    assert [("echo: one", "stop"), ("echo: a much", "length")] == [
        (choice["text"], choice["finish_reason"]) for choice in reply["choices"]
    ]
    assert [0, 1] == [choice["index"] for choice in reply["choices"]]


def test_legacy_completion_rejects_a_bad_prompt(client: httpx.Client) -> None:
    """A missing or non-string prompt is a 400 naming "prompt"."""
    for body in ({"model": "m"}, {"model": "m", "prompt": [1, 2]}, {"model": "m", "prompt": []}):
        error = assert_openai_error(client.post("/completions", json=body), 400)
        assert "prompt" == error["param"]


# --- Responses API ----------------------------------------------------------


def test_response_has_openai_shape(client: httpx.Client) -> None:
    """A response echoes the last user text, with OpenAI's fields and request parameters."""
    body = {
        "model": "gpt-4o-mini",
        "input": [
            {"role": "system", "content": "be nice"},
            {"role": "user", "content": "first"},
            {"role": "assistant", "content": [{"type": "output_text", "text": "ok"}]},
            {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "second"}]},
        ],
        "instructions": "answer briefly",
        "temperature": 0.5,
        "metadata": {"k": "v"},
    }
    reply = client.post("/responses", json=body).json()

    number = reply["id"].removeprefix("resp_")
    assert number.isdigit()
    message = {
        "id": f"msg_{number}",
        "type": "message",
        "status": "completed",
        "content": [{"type": "output_text", "annotations": [], "text": "echo: second"}],
        "role": "assistant",
    }
    assert [message] == reply["output"]
    assert ("response", "completed", "gpt-4o-mini") == (reply["object"], reply["status"], reply["model"])
    assert (None, None) == (reply["error"], reply["incomplete_details"])
    assert ("answer briefly", 0.5, {"k": "v"}) == (
        reply["instructions"],
        reply["temperature"],
        reply["metadata"],
    )
    assert (True, "auto", [], 1.0) == (
        reply["parallel_tool_calls"],
        reply["tool_choice"],
        reply["tools"],
        reply["top_p"],
    )
    usage = {
        "input_tokens": 9,  # ceil((7 + 5 + 2 + 6 + 14) / 4)
        "input_tokens_details": {"cached_tokens": 0},
        "output_tokens": 3,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": 12,
    }
    assert usage == reply["usage"]
    assert isinstance(reply["created_at"], int)


def test_response_max_output_tokens_makes_it_incomplete(client: httpx.Client) -> None:
    """max_output_tokens truncates the text; the response is "incomplete" and says why."""
    reply = client.post(
        "/responses", json={"model": "m", "input": "long input", "max_output_tokens": 2}
    ).json()

    assert ("incomplete", {"reason": "max_output_tokens"}) == (reply["status"], reply["incomplete_details"])
    assert "echo: lo" == reply["output"][0]["content"][0]["text"]
    assert 2 == reply["max_output_tokens"]


def test_response_life_cycle(client: httpx.Client) -> None:
    """A created response can be retrieved, cancelled and deleted; then it is gone."""
    created = client.post("/responses", json={"model": "m", "input": "keep me"}).json()
    path = f"/responses/{created['id']}"

    retrieved = client.get(path).json()
    cancelled = client.post(f"{path}/cancel").json()
    deleted = client.delete(path)

    assert created == retrieved
    assert "cancelled" == cancelled["status"]
    assert {"id": created["id"], "object": "response.deleted", "deleted": True} == deleted.json()
    assert_openai_error(client.get(path), 404)
    assert_openai_error(client.delete(path), 404)
    assert_openai_error(client.post(f"{path}/cancel"), 404)


def test_store_false_keeps_nothing(client: httpx.Client) -> None:
    """A response created with "store": false cannot be retrieved, as on OpenAI."""
    created = client.post("/responses", json={"model": "m", "input": "forget", "store": False}).json()

    assert created["store"] is False
    assert_openai_error(client.get(f"/responses/{created['id']}"), 404)


@pytest.mark.parametrize(
    "body",
    [
        {"input": "x"},
        {"model": "m", "input": 5},
        {"model": "m", "input": ["not an item"]},
        {"model": "m", "input": [{"role": "user", "content": 5}]},
        {"model": "m", "input": "x", "max_output_tokens": 0},
        {"model": "m", "input": "x", "stream": "yes"},
    ],
)
def test_invalid_response_requests_are_400(client: httpx.Client, body: dict[str, Any]) -> None:
    """Malformed Responses API requests get an OpenAI-style 400."""
    assert_openai_error(client.post("/responses", json=body), 400)


# --- moderations ------------------------------------------------------------

CATEGORIES = [
    "harassment",
    "harassment/threatening",
    "hate",
    "hate/threatening",
    "illicit",
    "illicit/violent",
    "self-harm",
    "self-harm/instructions",
    "self-harm/intent",
    "sexual",
    "sexual/minors",
    "violence",
    "violence/graphic",
]


def test_moderation_flags_exactly_the_inputs_saying_bad(client: httpx.Client) -> None:
    """One result per input; inputs containing the word "bad" are flagged, others are not."""
    inputs = ["a Bad day", "badge of honour", "all good"]
    reply = client.post("/moderations", json={"input": inputs}).json()

    assert reply["id"].startswith("modr-")
    assert "omni-moderation-latest" == reply["model"]
    assert [True, False, False] == [result["flagged"] for result in reply["results"]]
    flagged, clean = reply["results"][0], reply["results"][2]
    for result in reply["results"]:
        assert CATEGORIES == list(result["categories"])
        assert CATEGORIES == list(result["category_scores"])
        assert {category: ["text"] for category in CATEGORIES} == result["category_applied_input_types"]
    assert ["harassment"] == [name for name, value in flagged["categories"].items() if value]
    assert flagged["category_scores"]["harassment"] > 0.5 > max(clean["category_scores"].values())
    assert not any(clean["categories"].values())


def test_moderation_of_one_string_and_of_multimodal_parts(client: httpx.Client) -> None:
    """A string is one input; an array of parts is one input, judged on its texts, whose
    image-capable categories apply to images too. The model is echoed."""
    single = client.post("/moderations", json={"input": "bad", "model": "text-moderation-latest"}).json()
    parts = [{"type": "text", "text": "fine"}, {"type": "image_url", "image_url": {"url": "data:,"}}]
    multimodal = client.post("/moderations", json={"input": parts}).json()

    assert ("text-moderation-latest", [True]) == (single["model"], [r["flagged"] for r in single["results"]])
    [result] = multimodal["results"]
    assert result["flagged"] is False
    assert ["text", "image"] == result["category_applied_input_types"]["violence"]
    assert ["text"] == result["category_applied_input_types"]["hate"]


def test_moderation_without_input_is_400(client: httpx.Client) -> None:
    """input is required."""
    error = assert_openai_error(client.post("/moderations", json={}), 400)

    assert "input" == error["param"]


# --- routing ----------------------------------------------------------------


def test_item_routes_answer_404_and_405(client: httpx.Client) -> None:
    """Unknown sub-paths are 404 (unknown_url); known ones with the wrong method are 405."""
    assert "unknown_url" == assert_openai_error(client.get("/responses/resp_1/nothing"), 404)["code"]
    assert "unknown_url" == assert_openai_error(client.get("/unknown/x"), 404)["code"]
    response = client.put("/responses/resp_1")
    assert_openai_error(response, 405)
    assert "GET, DELETE" == response.headers["allow"]
