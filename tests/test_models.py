"""Response models: attribute access over the server's JSON, lazy, lenient, lossless."""

from __future__ import annotations

import pickle
from typing import Any, Literal

import pytest

from openai_actors import BaseModel
from openai_actors._models import _converter_for
from openai_actors.types import CreateEmbeddingResponse
from openai_actors.types.chat import (
    ChatCompletion,
    ChatCompletionMessageCustomToolCall,
    ChatCompletionMessageFunctionToolCall,
)


def completion(**extra: Any) -> dict[str, Any]:
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1,
        "model": "m",
        "choices": [
            {
                "index": 0,
                "finish_reason": "stop",
                "message": {"role": "assistant", "content": "hello", "vendor_field": {"x": 1}},
            }
        ],
        "usage": {"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3},
        **extra,
    }


class TestAccess:
    def test_nested_fields_read_as_typed_objects(self) -> None:
        r = ChatCompletion._from_raw(completion())
        assert "hello" == r.choices[0].message.content
        assert 3 == r.usage.total_tokens if r.usage else False
        assert "ChatCompletionMessage" == type(r.choices[0].message).__name__

    def test_reads_are_cached_so_objects_keep_their_identity(self) -> None:
        r = ChatCompletion._from_raw(completion())
        assert r.choices[0] is r.choices[0]

    def test_fields_the_class_does_not_declare_are_kept_and_reachable(self) -> None:
        """Servers send extras (vLLM, gateways); they are attributes and stay in to_dict()."""
        r = ChatCompletion._from_raw(completion(prompt_logprobs=[1, 2], kv_transfer_params=None))
        assert [1, 2] == r.prompt_logprobs  # type: ignore[attr-defined]
        assert {"x": 1} == r.choices[0].message.vendor_field  # type: ignore[attr-defined]
        assert {"prompt_logprobs": [1, 2], "kv_transfer_params": None} == r.model_extra
        assert [1, 2] == r.to_dict()["prompt_logprobs"]

    def test_missing_optional_fields_read_as_none(self) -> None:
        data = completion()
        del data["usage"]
        assert ChatCompletion._from_raw(data).usage is None

    def test_a_missing_required_field_raises_attribute_error_naming_it(self) -> None:
        data = completion()
        del data["model"]
        with pytest.raises(AttributeError, match="no 'model' field"):
            _ = ChatCompletion._from_raw(data).model

    def test_an_unknown_attribute_raises_attribute_error(self) -> None:
        with pytest.raises(AttributeError, match="no attribute 'nope'"):
            _ = ChatCompletion._from_raw(completion()).nope  # type: ignore[attr-defined]

    def test_values_of_an_unexpected_shape_are_passed_through(self) -> None:
        """A server that sends a string where a list was declared still gets its data across."""
        r = ChatCompletion._from_raw(completion(choices="oops"))
        assert "oops" == r.choices

    def test_unions_pick_the_member_named_by_type(self) -> None:
        message = {
            "role": "assistant",
            "tool_calls": [
                {"id": "1", "type": "function", "function": {"name": "f", "arguments": "{}"}},
                {"id": "2", "type": "custom", "custom": {"name": "c", "input": "x"}},
            ],
        }
        r = ChatCompletion._from_raw(
            completion(choices=[{"index": 0, "finish_reason": "tool_calls", "message": message}])
        )
        calls = r.choices[0].message.tool_calls or []
        assert [ChatCompletionMessageFunctionToolCall, ChatCompletionMessageCustomToolCall] == [
            type(c) for c in calls
        ]
        assert "f" == calls[0].function.name  # type: ignore[union-attr]

    def test_union_members_with_one_tag_are_told_apart_by_their_required_fields(self) -> None:
        class Short(BaseModel):
            type: Literal["message"]
            content: str

        class Long(BaseModel):
            type: Literal["message"]
            content: str
            id: str
            status: str

        convert = _converter_for(Short | Long)
        assert Long is type(convert({"type": "message", "content": "x", "id": "m", "status": "done"}))
        assert Short is type(convert({"type": "message", "content": "x"}))
        assert Short is type(convert({"type": "other"}))

    def test_members_sharing_a_tag_are_told_apart_by_their_other_literal_fields(self) -> None:
        """An input and an output message (`ResponseItem`): the role says which."""

        class InputMessage(BaseModel):
            type: Literal["message"]
            role: Literal["user", "system", "developer"]
            content: list[Any]
            id: str

        class OutputMessage(BaseModel):
            type: Literal["message"]
            role: Literal["assistant"]
            content: list[Any]
            id: str
            status: str

        convert = _converter_for(InputMessage | OutputMessage)
        raw = {"type": "message", "role": "user", "content": [], "id": "m", "status": "completed"}
        assert InputMessage is type(convert(raw))
        assert OutputMessage is type(convert({**raw, "role": "assistant"}))
        assert OutputMessage is type(convert({**raw, "role": "narrator"}))  # no fit: required fields

    def test_a_member_whose_tag_may_be_left_out_is_still_named_by_it(self) -> None:
        class Reference(BaseModel):
            type: Literal["item_reference"] | None = None
            id: str

        class Trigger(BaseModel):
            type: Literal["compaction_trigger"]
            id: str

        convert = _converter_for(Trigger | Reference)
        assert Reference is type(convert({"type": "item_reference", "id": "x"}))
        assert Trigger is type(convert({"type": "compaction_trigger", "id": "x"}))

    def test_union_members_tagged_by_event_are_told_apart(self) -> None:
        """The Assistants stream's events name themselves in `event`, not `type`."""

        class Created(BaseModel):
            event: Literal["thread.run.created"]
            data: dict[str, Any]

        class Completed(BaseModel):
            event: Literal["thread.run.completed"]
            data: dict[str, Any]

        convert = _converter_for(Created | Completed)
        assert Completed is type(convert({"event": "thread.run.completed", "data": {}}))
        assert Created is type(convert({"event": "thread.run.created", "data": {}}))


class TestOut:
    def test_to_dict_is_a_deep_copy(self) -> None:
        data = completion()
        r = ChatCompletion._from_raw(data)
        out = r.to_dict()
        out["choices"][0]["message"]["content"] = "changed"
        assert "hello" == r.choices[0].message.content
        assert data == r.to_dict()

    def test_to_dict_can_drop_nones(self) -> None:
        r = ChatCompletion._from_raw(completion(system_fingerprint=None))
        assert "system_fingerprint" not in r.to_dict(exclude_none=True)
        assert "system_fingerprint" in r.model_dump()

    def test_to_json_round_trips(self) -> None:
        r = ChatCompletion._from_raw(completion())
        assert r == ChatCompletion.model_validate_json(r.to_json())
        assert r == ChatCompletion.model_validate_json(r.model_dump_json())

    def test_setting_a_field_updates_what_to_dict_returns(self) -> None:
        r = ChatCompletion._from_raw(completion())
        r.model = "other"
        assert ("other", "other") == (r.model, r.to_dict()["model"])

    def test_models_can_be_built_by_hand_and_compared(self) -> None:
        a = CreateEmbeddingResponse(
            data=[], model="e", object="list", usage={"prompt_tokens": 1, "total_tokens": 1}
        )
        b = CreateEmbeddingResponse.construct(**a.to_dict())
        assert a == b
        assert a != ChatCompletion._from_raw(completion())

    def test_repr_shows_class_and_fields(self) -> None:
        """As pydantic shows the official type: every field, None for those not sent, then the extras."""
        r = ChatCompletion._from_raw({"id": "x", "model": "m", "vendor": 1})
        assert (
            "ChatCompletion(id='x', choices=None, created=None, model='m', metadata=None, service_tier=None, "
            "system_fingerprint=None, object=None, usage=None, moderation=None, vendor=1)"
        ) == repr(r)
        assert repr(r) == str(r)

    def test_pickles_with_its_request_id(self) -> None:
        r = ChatCompletion._from_raw(completion())
        r._request_id = "req_9"
        clone = pickle.loads(pickle.dumps(r))
        assert (r, "req_9") == (clone, clone._request_id)

    def test_model_validate_refuses_non_dicts(self) -> None:
        pydantic = pytest.importorskip("pydantic")
        with pytest.raises(pydantic.ValidationError, match="valid dictionary"):
            ChatCompletion.model_validate([1])


class Inner(BaseModel):
    n: int


class Outer(BaseModel):
    items: list[Inner]
    note: str | None = None


class TestSubclassing:
    def test_user_models_work_like_the_builtin_ones(self) -> None:
        """Users cast generic responses into their own models (client.get(..., cast_to=...))."""
        o = Outer._from_raw({"items": [{"n": 1}, {"n": 2}]})
        assert ([1, 2], None) == ([i.n for i in o.items], o.note)

    def test_a_model_whose_annotations_cannot_be_resolved_still_reads_raw_values(self) -> None:
        """A class defined inside a function cannot have its names resolved; its data still reads."""

        class Local(BaseModel):
            inner: Inner
            other: LocalOnly  # type: ignore[name-defined]  # noqa: F821

        o = Local._from_raw({"inner": {"n": 1}, "other": {"k": 2}})
        assert (1, {"k": 2}) == (o.inner.n, o.other)
