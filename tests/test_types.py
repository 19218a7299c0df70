"""Typed response classes: realistic payloads read as typed objects and come back unchanged."""

from __future__ import annotations

import copy
import importlib
import pkgutil
import types
import typing
from typing import Any, get_args, get_origin

import pytest

import openai_actors.types
from openai_actors._models import BaseModel, _type_tags
from openai_actors.types import (
    Batch,
    Completion,
    FileDeleted,
    FileObject,
    ModerationCreateResponse,
)
from openai_actors.types._alias import Alias
from openai_actors.types.chat import ChatCompletionChunk
from openai_actors.types.responses import (
    Response,
    ResponseCompletedEvent,
    ResponseContentPartAddedEvent,
    ResponseContentPartDoneEvent,
    ResponseCreatedEvent,
    ResponseErrorEvent,
    ResponseFailedEvent,
    ResponseFileSearchCallCompletedEvent,
    ResponseFileSearchCallInProgressEvent,
    ResponseFileSearchCallSearchingEvent,
    ResponseFunctionCallArgumentsDeltaEvent,
    ResponseFunctionCallArgumentsDoneEvent,
    ResponseFunctionToolCall,
    ResponseFunctionWebSearch,
    ResponseIncompleteEvent,
    ResponseInProgressEvent,
    ResponseOutputItemAddedEvent,
    ResponseOutputItemDoneEvent,
    ResponseOutputMessage,
    ResponseOutputRefusal,
    ResponseOutputText,
    ResponseOutputTextAnnotationAddedEvent,
    ResponseQueuedEvent,
    ResponseReasoningItem,
    ResponseReasoningSummaryPartAddedEvent,
    ResponseReasoningSummaryPartDoneEvent,
    ResponseReasoningSummaryTextDeltaEvent,
    ResponseReasoningSummaryTextDoneEvent,
    ResponseReasoningTextDeltaEvent,
    ResponseReasoningTextDoneEvent,
    ResponseRefusalDeltaEvent,
    ResponseRefusalDoneEvent,
    ResponseStreamEvent,
    ResponseTextDeltaEvent,
    ResponseTextDoneEvent,
    ResponseWebSearchCallCompletedEvent,
    ResponseWebSearchCallInProgressEvent,
    ResponseWebSearchCallSearchingEvent,
    UnknownResponseStreamEvent,
    parse_response_stream_event,
)
from openai_actors.types.responses.easy_input_message import EasyInputMessage
from openai_actors.types.responses.function_tool import FunctionTool
from openai_actors.types.responses.response_format_text_json_schema_config import (
    ResponseFormatTextJSONSchemaConfig,
)
from openai_actors.types.responses.response_input_item import ItemReference

# -- payloads, shaped as the API sends them ------------------------------------------


def response_payload(**extra: Any) -> dict[str, Any]:
    return {
        "id": "resp_67ccd2bed1ec8190b14f964abc0542670bb6a6b452d3795b",
        "object": "response",
        "created_at": 1741476542,
        "status": "completed",
        "background": False,
        "error": None,
        "incomplete_details": None,
        "instructions": "Answer briefly.",
        "max_output_tokens": None,
        "max_tool_calls": None,
        "model": "gpt-4.1-2025-04-14",
        "output": [
            {
                "id": "rs_6876cf02e0bc8192b74af0fb64b715ff06fa2fcced15a5ac",
                "type": "reasoning",
                "summary": [{"type": "summary_text", "text": "The user wants the weather."}],
                "encrypted_content": "gAAAAABo...",
            },
            {
                "id": "fc_67ca09c6bedc8190a7abfec07b1a1332096610f474011cc0",
                "type": "function_call",
                "status": "completed",
                "call_id": "call_unLAR8MvFNptuiZK6K6HCy5k",
                "name": "get_current_weather",
                "arguments": '{"location":"Boston, MA","unit":"celsius"}',
            },
            {
                "id": "msg_67ccd2bf17f0819081ff3bb2cf6508e60bb6a6b452d3795b",
                "type": "message",
                "status": "completed",
                "role": "assistant",
                "content": [
                    {
                        "type": "output_text",
                        "text": "It is 12 °C in Boston",
                        "annotations": [
                            {
                                "type": "url_citation",
                                "start_index": 0,
                                "end_index": 21,
                                "url": "https://weather.example/boston",
                                "title": "Boston weather",
                            }
                        ],
                        "logprobs": [],
                    },
                    {"type": "refusal", "refusal": "I will not say more."},
                    {"type": "output_text", "text": ", and sunny.", "annotations": []},
                ],
            },
        ],
        "parallel_tool_calls": True,
        "previous_response_id": None,
        "prompt_cache_key": None,
        "reasoning": {"effort": "medium", "summary": "auto"},
        "safety_identifier": None,
        "service_tier": "default",
        "store": True,
        "temperature": 1.0,
        "text": {
            "format": {
                "type": "json_schema",
                "name": "weather",
                "schema": {"type": "object", "properties": {"temp": {"type": "number"}}},
                "strict": True,
            },
            "verbosity": "medium",
        },
        "tool_choice": "auto",
        "tools": [
            {
                "type": "function",
                "name": "get_current_weather",
                "description": "Get the current weather in a given location",
                "parameters": {
                    "type": "object",
                    "properties": {"location": {"type": "string"}, "unit": {"type": "string"}},
                    "required": ["location", "unit"],
                },
                "strict": True,
                "async": False,
            },
            {"type": "web_search_preview", "search_context_size": "medium"},
        ],
        "top_logprobs": 0,
        "top_p": 1.0,
        "truncation": "disabled",
        "usage": {
            "input_tokens": 328,
            "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0},
            "output_tokens": 52,
            "output_tokens_details": {"reasoning_tokens": 16},
            "total_tokens": 380,
        },
        "user": None,
        "metadata": {"job": "nightly"},
        **extra,
    }


def chunk_payload() -> dict[str, Any]:
    return {
        "id": "chatcmpl-123",
        "object": "chat.completion.chunk",
        "created": 1694268190,
        "model": "gpt-4o-mini",
        "system_fingerprint": "fp_44709d6fcb",
        "service_tier": "default",
        "choices": [
            {
                "index": 0,
                "delta": {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [
                        {
                            "index": 0,
                            "id": "call_abc123",
                            "type": "function",
                            "function": {"name": "get_weather", "arguments": '{"loc'},
                        }
                    ],
                },
                "logprobs": None,
                "finish_reason": None,
            }
        ],
        "usage": None,
    }


def completion_payload() -> dict[str, Any]:
    return {
        "id": "cmpl-uqkvlQyYK7bGYrRHQ0eXlWi7",
        "object": "text_completion",
        "created": 1589478378,
        "model": "gpt-3.5-turbo-instruct",
        "system_fingerprint": "fp_44709d6fcb",
        "choices": [
            {
                "text": "\n\nThis is indeed a test",
                "index": 0,
                "logprobs": {
                    "tokens": ["\n\n", "This"],
                    "token_logprobs": [-0.1, -0.2],
                    "top_logprobs": [{"\n\n": -0.1}, {"This": -0.2}],
                    "text_offset": [0, 2],
                },
                "finish_reason": "length",
            }
        ],
        "usage": {"prompt_tokens": 5, "completion_tokens": 7, "total_tokens": 12},
    }


def moderation_payload() -> dict[str, Any]:
    names = [
        "sexual",
        "sexual/minors",
        "harassment",
        "harassment/threatening",
        "hate",
        "hate/threatening",
        "illicit",
        "illicit/violent",
        "self-harm",
        "self-harm/intent",
        "self-harm/instructions",
        "violence",
        "violence/graphic",
    ]
    return {
        "id": "modr-0d9740456c391e43c445bf0f010940c7",
        "model": "omni-moderation-latest",
        "results": [
            {
                "flagged": True,
                "categories": {name: name in ("harassment", "violence") for name in names},
                "category_scores": {
                    name: 0.8 if name == "harassment/threatening" else 0.001 for name in names
                },
                "category_applied_input_types": {
                    name: ["text", "image"] if name == "violence" else ["text"] for name in names
                },
            }
        ],
    }


def file_payload() -> dict[str, Any]:
    return {
        "id": "file-abc123",
        "object": "file",
        "bytes": 120000,
        "created_at": 1677610602,
        "expires_at": 1680202602,
        "filename": "batch_input.jsonl",
        "purpose": "batch",
        "status": "processed",
        "status_details": None,
    }


def batch_payload() -> dict[str, Any]:
    return {
        "id": "batch_abc123",
        "object": "batch",
        "endpoint": "/v1/chat/completions",
        "model": "gpt-4o-mini-2024-07-18",
        "errors": {
            "object": "list",
            "data": [{"code": "invalid_json", "line": 3, "message": "bad line", "param": None}],
        },
        "input_file_id": "file-abc123",
        "completion_window": "24h",
        "status": "completed",
        "output_file_id": "file-cvaTdG",
        "error_file_id": "file-HOWS94",
        "created_at": 1711471533,
        "in_progress_at": 1711471538,
        "expires_at": 1711557933,
        "finalizing_at": 1711493133,
        "completed_at": 1711493163,
        "failed_at": None,
        "expired_at": None,
        "cancelling_at": None,
        "cancelled_at": None,
        "request_counts": {"total": 100, "completed": 95, "failed": 5},
        "usage": {
            "input_tokens": 1500,
            "input_tokens_details": {"cached_tokens": 1024},
            "output_tokens": 500,
            "output_tokens_details": {"reasoning_tokens": 300},
            "total_tokens": 2000,
        },
        "metadata": {"customer_id": "user_123456789", "batch_description": "Nightly eval job"},
    }


# -- top-level types -------------------------------------------------------------------


class TestResponse:
    def test_top_level_fields(self) -> None:
        r = Response._from_raw(response_payload())
        assert "resp_67ccd2bed1ec8190b14f964abc0542670bb6a6b452d3795b" == r.id
        assert "response" == r.object
        assert 1741476542 == r.created_at
        assert "completed" == r.status
        assert "gpt-4.1-2025-04-14" == r.model
        assert "Answer briefly." == r.instructions
        assert "auto" == r.tool_choice
        assert r.parallel_tool_calls is True
        assert r.error is None
        assert r.incomplete_details is None
        assert {"job": "nightly"} == r.metadata
        assert "disabled" == r.truncation
        assert r.reasoning is not None and "medium" == r.reasoning.effort

    def test_output_items_are_typed_by_their_type(self) -> None:
        r = Response._from_raw(response_payload())
        reasoning, call, message = r.output
        assert isinstance(reasoning, ResponseReasoningItem)
        assert ["The user wants the weather."] == [s.text for s in reasoning.summary]
        assert reasoning.content is None
        assert isinstance(call, ResponseFunctionToolCall)
        assert "get_current_weather" == call.name
        assert "call_unLAR8MvFNptuiZK6K6HCy5k" == call.call_id
        assert '{"location":"Boston, MA","unit":"celsius"}' == call.arguments
        assert isinstance(message, ResponseOutputMessage)
        first, refusal, last = message.content
        assert isinstance(first, ResponseOutputText)
        assert isinstance(refusal, ResponseOutputRefusal)
        assert isinstance(last, ResponseOutputText)
        assert "I will not say more." == refusal.refusal
        citation = first.annotations[0]
        assert "url_citation" == citation.type
        assert "https://weather.example/boston" == getattr(citation, "url", None)
        assert [] == first.logprobs
        assert last.logprobs is None

    def test_output_text_joins_the_text_parts_of_messages_only(self) -> None:
        r = Response._from_raw(response_payload())
        assert "It is 12 °C in Boston, and sunny." == r.output_text

    def test_output_text_is_empty_without_messages(self) -> None:
        r = Response._from_raw(response_payload(output=[]))
        assert "" == r.output_text

    def test_output_text_skips_unknown_items_and_parts(self) -> None:
        r = Response._from_raw(
            response_payload(
                output=[
                    {"type": "brand_new_item", "id": "x", "text": "not a message"},
                    {
                        "type": "message",
                        "id": "m",
                        "role": "assistant",
                        "status": "completed",
                        "content": [
                            {"type": "output_audio", "text": "not text"},
                            {"type": "output_text", "text": "kept", "annotations": []},
                        ],
                    },
                ]
            )
        )
        assert "kept" == r.output_text

    def test_unknown_output_item_is_kept_and_readable(self) -> None:
        r = Response._from_raw(
            response_payload(output=[{"type": "brand_new_item", "id": "x", "payload": {"a": 1}}])
        )
        (item,) = r.output
        # Typed as the union's first member, the official SDK's fallback too; nothing is lost.
        assert isinstance(item, ResponseOutputMessage)
        item_type: str = item.type
        assert "brand_new_item" == item_type
        assert "x" == item.id
        assert {"a": 1} == getattr(item, "payload")  # noqa: B009
        with pytest.raises(AttributeError, match="content"):
            _ = item.content

    def test_usage_and_details(self) -> None:
        usage = Response._from_raw(response_payload()).usage
        assert usage is not None
        assert (328, 52, 380) == (usage.input_tokens, usage.output_tokens, usage.total_tokens)
        assert 0 == usage.input_tokens_details.cached_tokens
        assert 16 == usage.output_tokens_details.reasoning_tokens
        assert 0 == usage.input_tokens_details.cache_write_tokens

    def test_tools_and_text_format_read_their_renamed_keys(self) -> None:
        r = Response._from_raw(response_payload())
        tool = r.tools[0]
        assert isinstance(tool, FunctionTool)
        # `async` is in neither the spec nor the official types: kept, as any undeclared field.
        assert False is getattr(tool, "async")
        assert ["location", "unit"] == (tool.parameters or {})["required"]
        assert "web_search_preview" == r.tools[1].type
        assert r.text is not None
        fmt = r.text.format
        assert isinstance(fmt, ResponseFormatTextJSONSchemaConfig)
        assert {"type": "object", "properties": {"temp": {"type": "number"}}} == fmt.schema_
        assert "medium" == r.text.verbosity

    def test_error_and_incomplete_details(self) -> None:
        r = Response._from_raw(
            response_payload(
                status="failed",
                error={"code": "server_error", "message": "The server had an error"},
                incomplete_details={"reason": "max_output_tokens"},
            )
        )
        assert r.error is not None
        assert ("server_error", "The server had an error") == (r.error.code, r.error.message)
        assert r.incomplete_details is not None and "max_output_tokens" == r.incomplete_details.reason

    def test_instructions_as_input_items_are_typed(self) -> None:
        items = [
            {"type": "message", "role": "developer", "content": "Be brief."},
            {"type": "item_reference", "id": "msg_1"},
        ]
        r = Response._from_raw(response_payload(instructions=items))
        assert isinstance(r.instructions, list)
        message, reference = r.instructions
        assert isinstance(message, EasyInputMessage)
        assert ("developer", "Be brief.") == (message.role, message.content)
        assert isinstance(reference, ItemReference)
        assert items == r.to_dict()["instructions"]


class TestChatCompletionChunk:
    def test_tool_call_delta(self) -> None:
        c = ChatCompletionChunk._from_raw(chunk_payload())
        assert "chat.completion.chunk" == c.object
        assert c.usage is None
        (choice,) = c.choices
        assert choice.finish_reason is None
        assert "assistant" == choice.delta.role
        assert choice.delta.content is None
        assert choice.delta.tool_calls is not None
        (call,) = choice.delta.tool_calls
        assert (0, "call_abc123", "function") == (call.index, call.id, call.type)
        assert call.function is not None
        assert ("get_weather", '{"loc') == (call.function.name, call.function.arguments)

    def test_final_chunk_with_usage(self) -> None:
        data = chunk_payload()
        data["choices"] = []
        data["usage"] = {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}
        c = ChatCompletionChunk._from_raw(data)
        assert [] == c.choices
        assert c.usage is not None and 15 == c.usage.total_tokens

    def test_delta_text_and_reasoning_content(self) -> None:
        data = chunk_payload()
        data["choices"][0]["delta"] = {"content": "Hel", "reasoning_content": "thinking"}
        data["choices"][0]["finish_reason"] = "stop"
        (choice,) = ChatCompletionChunk._from_raw(data).choices
        assert ("Hel", "thinking", "stop") == (
            choice.delta.content,
            choice.delta.reasoning_content,
            choice.finish_reason,
        )
        assert choice.delta.tool_calls is None

    def test_moderation(self) -> None:
        data = chunk_payload()
        result = {
            "type": "moderation_result",
            "model": "omni-moderation-latest",
            "flagged": False,
            "categories": {"self-harm/intent": False},
            "category_scores": {"self-harm/intent": 0.01},
            "category_applied_input_types": {"self-harm/intent": ["text"]},
        }
        data["moderation"] = {
            "input": {"type": "moderation_results", "model": "omni-moderation-latest", "results": [result]},
            "output": {"type": "error", "code": "timeout", "message": "took too long"},
        }
        m = ChatCompletionChunk._from_raw(data).moderation
        assert m is not None
        assert "moderation_results" == m.input.type
        assert {"self-harm/intent": 0.01} == m.input.results[0].category_scores
        assert "error" == m.output.type


class TestLegacyCompletion:
    def test_fields(self) -> None:
        c = Completion._from_raw(completion_payload())
        assert "text_completion" == c.object
        (choice,) = c.choices
        assert ("\n\nThis is indeed a test", 0, "length") == (choice.text, choice.index, choice.finish_reason)
        assert choice.logprobs is not None
        assert [{"\n\n": -0.1}, {"This": -0.2}] == choice.logprobs.top_logprobs
        assert [0, 2] == choice.logprobs.text_offset
        assert c.usage is not None and 12 == c.usage.total_tokens


class TestModeration:
    def test_categories_read_by_their_python_names(self) -> None:
        r = ModerationCreateResponse._from_raw(moderation_payload())
        (m,) = r.results
        assert m.flagged is True
        assert m.categories.harassment is True
        assert m.categories.harassment_threatening is False
        assert m.categories.self_harm_intent is False
        assert m.categories.violence is True
        assert m.categories.illicit_violent is False
        assert 0.8 == m.category_scores.harassment_threatening
        assert 0.001 == m.category_scores.self_harm_instructions
        assert ["text", "image"] == m.category_applied_input_types.violence
        assert ["text"] == m.category_applied_input_types.sexual_minors

    def test_slash_named_keys_stay_reachable_and_in_the_json(self) -> None:
        (m,) = ModerationCreateResponse._from_raw(moderation_payload()).results
        assert 0.8 == getattr(m.category_scores, "harassment/threatening")
        assert "self-harm/intent" in m.categories.to_dict()
        assert "self_harm_intent" not in m.categories.to_dict()

    def test_a_missing_renamed_field(self) -> None:
        payload = moderation_payload()
        categories = payload["results"][0]["categories"]
        del categories["illicit/violent"], categories["self-harm"]
        (m,) = ModerationCreateResponse._from_raw(payload).results
        assert m.categories.illicit_violent is None
        with pytest.raises(AttributeError, match="self_harm"):
            _ = m.categories.self_harm


class TestFilesAndBatches:
    def test_file_object(self) -> None:
        f = FileObject._from_raw(file_payload())
        assert ("file-abc123", 120000, "batch", "processed") == (f.id, f.bytes, f.purpose, f.status)
        assert 1680202602 == f.expires_at
        assert f.status_details is None

    def test_file_deleted(self) -> None:
        d = FileDeleted._from_raw({"id": "file-abc123", "object": "file", "deleted": True})
        assert ("file-abc123", True) == (d.id, d.deleted)

    def test_batch(self) -> None:
        b = Batch._from_raw(batch_payload())
        assert ("batch_abc123", "completed", "/v1/chat/completions") == (b.id, b.status, b.endpoint)
        assert b.request_counts is not None
        assert (100, 95, 5) == (b.request_counts.total, b.request_counts.completed, b.request_counts.failed)
        assert b.usage is not None
        assert 1024 == b.usage.input_tokens_details.cached_tokens
        assert 300 == b.usage.output_tokens_details.reasoning_tokens
        assert b.errors is not None and b.errors.data is not None
        assert ("invalid_json", 3) == (b.errors.data[0].code, b.errors.data[0].line)
        assert {"customer_id": "user_123456789", "batch_description": "Nightly eval job"} == b.metadata
        assert b.failed_at is None


ROUND_TRIPS: list[tuple[type[BaseModel], Any]] = [
    (Response, response_payload),
    (ChatCompletionChunk, chunk_payload),
    (Completion, completion_payload),
    (ModerationCreateResponse, moderation_payload),
    (FileObject, file_payload),
    (Batch, batch_payload),
]


@pytest.mark.parametrize(("cls", "payload"), ROUND_TRIPS, ids=[c.__name__ for c, _ in ROUND_TRIPS])
def test_to_dict_round_trips_after_reading_everything(cls: type[BaseModel], payload: Any) -> None:
    data = payload()
    original = copy.deepcopy(data)
    obj = cls._from_raw(data)
    _read_everything(obj)
    assert original == obj.to_dict()
    assert original == data
    assert obj == cls._from_raw(copy.deepcopy(original))


def _read_everything(value: Any) -> None:
    """Read every declared field (and renamed one) of every model reachable from `value`."""
    if isinstance(value, list):
        for v in value:
            _read_everything(v)
    elif isinstance(value, dict):
        for v in value.values():
            _read_everything(v)
    elif isinstance(value, BaseModel):
        cls = type(value)
        names = list(cls.__fields__) + [n for n, a in _aliases(cls).items() if a.key in value.to_dict()]
        for name in names:
            try:
                field_value = getattr(value, name)
            except AttributeError:
                continue  # an unknown union member's required field: raises only when read
            _read_everything(field_value)


def _aliases(cls: type) -> dict[str, Alias[Any]]:
    return {
        name: attr for klass in cls.__mro__ for name, attr in vars(klass).items() if isinstance(attr, Alias)
    }


# -- streaming events -------------------------------------------------------------------

ITEM = {"id": "msg_1", "type": "message", "role": "assistant", "status": "in_progress", "content": []}
TEXT_PART = {"type": "output_text", "text": "", "annotations": []}
IN_PROGRESS = {**response_payload(), "status": "in_progress", "output": [], "usage": None}

EVENTS: list[tuple[type[BaseModel], dict[str, Any]]] = [
    (ResponseCreatedEvent, {"type": "response.created", "sequence_number": 0, "response": IN_PROGRESS}),
    (
        ResponseInProgressEvent,
        {"type": "response.in_progress", "sequence_number": 1, "response": IN_PROGRESS},
    ),
    (ResponseQueuedEvent, {"type": "response.queued", "sequence_number": 0, "response": IN_PROGRESS}),
    (
        ResponseCompletedEvent,
        {"type": "response.completed", "sequence_number": 9, "response": response_payload()},
    ),
    (ResponseFailedEvent, {"type": "response.failed", "sequence_number": 9, "response": IN_PROGRESS}),
    (ResponseIncompleteEvent, {"type": "response.incomplete", "sequence_number": 9, "response": IN_PROGRESS}),
    (
        ResponseOutputItemAddedEvent,
        {"type": "response.output_item.added", "sequence_number": 2, "output_index": 0, "item": ITEM},
    ),
    (
        ResponseOutputItemDoneEvent,
        {"type": "response.output_item.done", "sequence_number": 8, "output_index": 0, "item": ITEM},
    ),
    (
        ResponseContentPartAddedEvent,
        {
            "type": "response.content_part.added",
            "sequence_number": 3,
            "item_id": "msg_1",
            "output_index": 0,
            "content_index": 0,
            "part": TEXT_PART,
        },
    ),
    (
        ResponseContentPartDoneEvent,
        {
            "type": "response.content_part.done",
            "sequence_number": 7,
            "item_id": "msg_1",
            "output_index": 0,
            "content_index": 0,
            "part": {**TEXT_PART, "text": "Hi"},
        },
    ),
    (
        ResponseTextDeltaEvent,
        {
            "type": "response.output_text.delta",
            "sequence_number": 4,
            "item_id": "msg_1",
            "output_index": 0,
            "content_index": 0,
            "delta": "Hi",
            "logprobs": [],
            "obfuscation": "xyz",
        },
    ),
    (
        ResponseTextDoneEvent,
        {
            "type": "response.output_text.done",
            "sequence_number": 6,
            "item_id": "msg_1",
            "output_index": 0,
            "content_index": 0,
            "text": "Hi",
            "logprobs": [],
        },
    ),
    (
        ResponseOutputTextAnnotationAddedEvent,
        {
            "type": "response.output_text.annotation.added",
            "sequence_number": 5,
            "item_id": "msg_1",
            "output_index": 0,
            "content_index": 0,
            "annotation_index": 0,
            "annotation": {"type": "file_path", "file_id": "file-1", "index": 0},
        },
    ),
    (
        ResponseRefusalDeltaEvent,
        {
            "type": "response.refusal.delta",
            "sequence_number": 4,
            "item_id": "msg_1",
            "output_index": 0,
            "content_index": 0,
            "delta": "No",
        },
    ),
    (
        ResponseRefusalDoneEvent,
        {
            "type": "response.refusal.done",
            "sequence_number": 5,
            "item_id": "msg_1",
            "output_index": 0,
            "content_index": 0,
            "refusal": "No.",
        },
    ),
    (
        ResponseFunctionCallArgumentsDeltaEvent,
        {
            "type": "response.function_call_arguments.delta",
            "sequence_number": 4,
            "item_id": "fc_1",
            "output_index": 1,
            "delta": '{"loc',
        },
    ),
    (
        ResponseFunctionCallArgumentsDoneEvent,
        {
            "type": "response.function_call_arguments.done",
            "sequence_number": 5,
            "item_id": "fc_1",
            "output_index": 1,
            "arguments": '{"location":"Boston"}',
        },
    ),
    (
        ResponseReasoningSummaryPartAddedEvent,
        {
            "type": "response.reasoning_summary_part.added",
            "sequence_number": 3,
            "item_id": "rs_1",
            "output_index": 0,
            "summary_index": 0,
            "part": {"type": "summary_text", "text": ""},
        },
    ),
    (
        ResponseReasoningSummaryPartDoneEvent,
        {
            "type": "response.reasoning_summary_part.done",
            "sequence_number": 6,
            "item_id": "rs_1",
            "output_index": 0,
            "summary_index": 0,
            "part": {"type": "summary_text", "text": "Thinking."},
        },
    ),
    (
        ResponseReasoningSummaryTextDeltaEvent,
        {
            "type": "response.reasoning_summary_text.delta",
            "sequence_number": 4,
            "item_id": "rs_1",
            "output_index": 0,
            "summary_index": 0,
            "delta": "Think",
        },
    ),
    (
        ResponseReasoningSummaryTextDoneEvent,
        {
            "type": "response.reasoning_summary_text.done",
            "sequence_number": 5,
            "item_id": "rs_1",
            "output_index": 0,
            "summary_index": 0,
            "text": "Thinking.",
        },
    ),
    (
        ResponseReasoningTextDeltaEvent,
        {
            "type": "response.reasoning_text.delta",
            "sequence_number": 4,
            "item_id": "rs_1",
            "output_index": 0,
            "content_index": 0,
            "delta": "Hmm",
        },
    ),
    (
        ResponseReasoningTextDoneEvent,
        {
            "type": "response.reasoning_text.done",
            "sequence_number": 5,
            "item_id": "rs_1",
            "output_index": 0,
            "content_index": 0,
            "text": "Hmm.",
        },
    ),
    (
        ResponseErrorEvent,
        {"type": "error", "sequence_number": 1, "code": "ERR_SOMETHING", "message": "Oops", "param": None},
    ),
    (
        ResponseWebSearchCallInProgressEvent,
        {
            "type": "response.web_search_call.in_progress",
            "sequence_number": 1,
            "item_id": "ws_1",
            "output_index": 0,
        },
    ),
    (
        ResponseWebSearchCallSearchingEvent,
        {
            "type": "response.web_search_call.searching",
            "sequence_number": 2,
            "item_id": "ws_1",
            "output_index": 0,
        },
    ),
    (
        ResponseWebSearchCallCompletedEvent,
        {
            "type": "response.web_search_call.completed",
            "sequence_number": 3,
            "item_id": "ws_1",
            "output_index": 0,
        },
    ),
    (
        ResponseFileSearchCallInProgressEvent,
        {
            "type": "response.file_search_call.in_progress",
            "sequence_number": 1,
            "item_id": "fs_1",
            "output_index": 0,
        },
    ),
    (
        ResponseFileSearchCallSearchingEvent,
        {
            "type": "response.file_search_call.searching",
            "sequence_number": 2,
            "item_id": "fs_1",
            "output_index": 0,
        },
    ),
    (
        ResponseFileSearchCallCompletedEvent,
        {
            "type": "response.file_search_call.completed",
            "sequence_number": 3,
            "item_id": "fs_1",
            "output_index": 0,
        },
    ),
]


class TestStreamEvents:
    @pytest.mark.parametrize(("cls", "data"), EVENTS, ids=[d["type"] for _, d in EVENTS])
    def test_each_event_type_gets_its_class(self, cls: type[BaseModel], data: dict[str, Any]) -> None:
        original = copy.deepcopy(data)
        event = parse_response_stream_event(data)
        assert cls is type(event)
        assert data["type"] == event.type
        assert data["sequence_number"] == event.sequence_number
        _read_everything(event)
        assert original == event.to_dict()

    def test_every_member_of_the_union_is_parsed_to_itself(self) -> None:
        members = get_args(ResponseStreamEvent)
        assert 58 == len(members)  # as the official union
        for cls in members:
            (tag,) = _type_tags(cls)
            assert cls is type(parse_response_stream_event({"type": tag, "sequence_number": 0}))

    def test_typed_reads_on_common_events(self) -> None:
        by_type = {d["type"]: parse_response_stream_event(copy.deepcopy(d)) for _, d in EVENTS}
        delta = by_type["response.output_text.delta"]
        assert isinstance(delta, ResponseTextDeltaEvent)
        assert ("Hi", "msg_1", 0, 0) == (delta.delta, delta.item_id, delta.output_index, delta.content_index)
        assert "xyz" == getattr(delta, "obfuscation")  # noqa: B009
        completed = by_type["response.completed"]
        assert isinstance(completed, ResponseCompletedEvent)
        assert "It is 12 °C in Boston, and sunny." == completed.response.output_text
        added = by_type["response.output_item.added"]
        assert isinstance(added, ResponseOutputItemAddedEvent)
        assert isinstance(added.item, ResponseOutputMessage)
        part = by_type["response.content_part.added"]
        assert isinstance(part, ResponseContentPartAddedEvent)
        assert isinstance(part.part, ResponseOutputText)
        annotation = by_type["response.output_text.annotation.added"]
        assert isinstance(annotation, ResponseOutputTextAnnotationAddedEvent)
        assert annotation.annotation is not None and "file_path" == annotation.annotation.type
        error = by_type["error"]
        assert isinstance(error, ResponseErrorEvent)
        assert ("ERR_SOMETHING", "Oops", None) == (error.code, error.message, error.param)
        args = by_type["response.function_call_arguments.done"]
        assert isinstance(args, ResponseFunctionCallArgumentsDoneEvent)
        assert '{"location":"Boston"}' == args.arguments

    def test_narrowing_on_type_works_at_run_time(self) -> None:
        event = parse_response_stream_event(copy.deepcopy(EVENTS[10][1]))
        text = ""
        if event.type == "response.output_text.delta":
            text += event.delta
        assert "Hi" == text

    def test_an_unknown_event_is_kept_with_all_its_fields(self) -> None:
        data = {
            "type": "response.hologram.delta",
            "sequence_number": 12,
            "item_id": "holo_1",
            "delta": {"voxels": [1, 2, 3]},
        }
        event = parse_response_stream_event(data)
        assert isinstance(event, UnknownResponseStreamEvent)
        assert UnknownResponseStreamEvent is type(event)
        assert "response.hologram.delta" == event.type
        assert 12 == event.sequence_number
        assert "holo_1" == getattr(event, "item_id")  # noqa: B009
        assert {"voxels": [1, 2, 3]} == getattr(event, "delta")  # noqa: B009
        assert data == event.to_dict()

    def test_an_event_without_a_usable_type(self) -> None:
        for data in ({"sequence_number": 1}, {"type": ["odd"]}, {"type": None}):
            event = parse_response_stream_event(data)
            assert isinstance(event, UnknownResponseStreamEvent)
            # Dumped as sent; that `["odd"]` is not the declared str is pydantic's warning, tested elsewhere.
            assert data == event.to_dict(warnings=False)

    def test_an_unknown_output_item_inside_a_known_event(self) -> None:
        event = parse_response_stream_event(
            {
                "type": "response.output_item.added",
                "sequence_number": 2,
                "output_index": 0,
                "item": {"type": "hologram_call", "id": "h_1", "status": "in_progress"},
            }
        )
        assert isinstance(event, ResponseOutputItemAddedEvent)
        item = event.item
        assert ("hologram_call", "h_1", "in_progress") == (str(item.type), item.id, getattr(item, "status"))  # noqa: B009

    def test_web_search_item(self) -> None:
        event = parse_response_stream_event(
            {
                "type": "response.output_item.done",
                "sequence_number": 4,
                "output_index": 0,
                "item": {
                    "type": "web_search_call",
                    "id": "ws_1",
                    "status": "completed",
                    "action": {"type": "search", "query": "weather boston", "sources": []},
                },
            }
        )
        assert isinstance(event, ResponseOutputItemDoneEvent)
        assert isinstance(event.item, ResponseFunctionWebSearch)
        assert "search" == event.item.action.type
        assert "weather boston" == getattr(event.item.action, "query", None)


# -- every declared class --------------------------------------------------------------


def _our_modules() -> list[types.ModuleType]:
    modules = []
    for info in pkgutil.walk_packages(openai_actors.types.__path__, "openai_actors.types."):
        if info.name.endswith(".webhooks") or ".webhooks." in info.name:
            continue  # not part of this set of declarations
        modules.append(importlib.import_module(info.name))
    return modules


def _declared_models() -> list[type[BaseModel]]:
    return [
        obj
        for module in _our_modules()
        for obj in vars(module).values()
        if isinstance(obj, type) and issubclass(obj, BaseModel) and obj.__module__ == module.__name__
    ]


def _union_aliases() -> list[tuple[str, Any]]:
    found = []
    for module in _our_modules():
        for name, obj in vars(module).items():
            if get_origin(obj) in (typing.Union, types.UnionType):
                found.append((f"{module.__name__}.{name}", obj))
    return found


def test_every_annotation_resolves_at_run_time() -> None:
    models = _declared_models()
    assert len(models) > 250
    for cls in models:
        typing.get_type_hints(cls)
        hints = cls.__field_types__()  # with the aliased fields (`schema_`), which are not annotations
        assert set(cls.__fields__) <= set(hints), cls


def test_every_union_of_models_can_tell_its_members_apart() -> None:
    """The converter picks a union member by the JSON `type`: each needs a distinct Literal tag.

    Checked for the Responses types, whose unions the spec tags apart, but for the
    input items: there, as in the official types, a message may leave `type` out and
    an input and an output message share it. Those are told apart by their other
    literal fields and their required ones (tested in test_models)."""
    checked = 0
    untagged = {"ResponseInputItem", "ResponseItem"}
    for name, union in _union_aliases():
        if not name.startswith("openai_actors.types.responses") or name.rsplit(".", 1)[1] in untagged:
            continue
        models = [a for a in get_args(union) if isinstance(a, type) and issubclass(a, BaseModel)]
        if len(models) < 2:
            continue
        tags = [tag for m in models for tag in _type_tags(m)]
        assert all(_type_tags(m) for m in models), name
        assert len(tags) == len(set(tags)), name
        checked += 1
    assert checked > 5


# -- faithful to the official SDK ------------------------------------------------------


def _official_modules() -> list[tuple[types.ModuleType, types.ModuleType]]:
    pytest.importorskip("openai")
    pairs = []
    ours = {m.__name__: m for m in _our_modules()}
    mine = [n for n in ours if not n.rsplit(".", 1)[-1].startswith("_")]
    for name in mine:
        if not hasattr(ours[name], "__all__"):
            continue
        official_name = name.replace("openai_actors.types", "openai.types", 1)
        try:
            official = importlib.import_module(official_name)
        except ImportError:
            continue
        pairs.append((ours[name], official))
    return pairs


# Fields we declare that the official schema does not have (sent by compatible servers).
OUR_EXTRAS = {
    ("ChoiceDelta", "reasoning_content"),
    ("ChatCompletionMessage", "reasoning_content"),
}
# Where the OpenAPI description (which the types are generated from) and the official
# SDK 3.3.1 disagree; see codegen/names.toml for each.
SPEC_DIFFERS = {
    # The spec's beta realtime schemas are the newer API's; the SDK keeps the older fields.
    "openai_actors.types.beta.realtime",
    # The SDK flattens these unions into one model with every member's fields.
    "openai_actors.types.beta.realtime.conversation_item",
    # The SDK names fields the spec does not have yet (geography; a response item's agent/status).
    "openai_actors.types.admin.organization.project_create_params",
    "openai_actors.types.admin.organization.project_update_params",
    "openai_actors.types.beta.beta_response_input_item_param",
}


# Spellings the official SDK chose by hand for one class (elsewhere `model_x` is `api_model_x`);
# and the `websockets` library's options this client's own WebSocket has no use for (refused
# by name: extension factories are websockets objects; the send queue's budget replaces write_limit).
OFFICIAL_ONLY = {
    "PerModelUsage": {"run_model_name"},
    "WebSocketConnectionOptions": {"extensions", "write_limit"},
    "WebsocketConnectionOptions": {"extensions", "write_limit"},  # the older spelling, the same class
}


def _field_names(cls: Any) -> set[str]:
    if isinstance(cls, type) and issubclass(cls, BaseModel):
        return set(cls.__fields__) | set(_aliases(cls))
    return set(getattr(cls, "__annotations__", {}))


def test_fields_match_the_official_sdk() -> None:
    """Every class the official module defines, when ours has it, has every field the official one has.

    Nested classes the official SDK names differently (it copies a shared schema into
    each module that uses it; the generator defines it once) are counted, not required.
    """
    compared = absent = 0
    mismatches: list[str] = []
    for ours, official in _official_modules():
        if any(ours.__name__.startswith(m) for m in SPEC_DIFFERS):
            continue
        for name, off_cls in vars(official).items():
            if not isinstance(off_cls, type) or off_cls.__module__ != official.__name__:
                continue
            if hasattr(off_cls, "model_fields"):
                off_fields = set(off_cls.model_fields)
            elif hasattr(off_cls, "__required_keys__"):
                off_fields = set(off_cls.__annotations__)
            else:
                continue
            our_cls = getattr(ours, name, None)
            if our_cls is None:
                absent += 1
                continue
            missing = off_fields - _field_names(our_cls) - OFFICIAL_ONLY.get(name, set())
            if missing:
                mismatches.append(f"{ours.__name__}.{name} lacks {sorted(missing)}")
            compared += 1
    assert [] == mismatches
    assert compared > 1700
    # The absent ones are nested classes the official SDK copies into each module that
    # uses a shared schema, where the generator defines it once and imports it.
    assert absent < compared / 2


def _flat_args(tp: Any) -> set[Any]:
    args = set()
    for a in get_args(tp) or (tp,):
        if get_origin(a) is typing.Annotated:
            a = get_args(a)[0]
        if get_origin(a) in (typing.Union, types.UnionType):
            args |= _flat_args(a)
        else:
            args.add(a)
    return args
