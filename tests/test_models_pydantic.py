"""Response models against the official pydantic types: dumps, validation, schemas, interop.

The oracle is the official `openai` package (its types built with `construct`,
as the official client builds responses): for the same JSON, every dump option
gives the same result. Skipped where `openai` or pydantic is not importable.
"""

from __future__ import annotations

import copy
import importlib
import json
import math
import pickle
import subprocess
import sys
import warnings
from typing import Annotated, Any, Literal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openai_actors import BaseModel
from openai_actors._dump import float_text
from openai_actors.mock import MockServer
from openai_actors.mock._generated_routes import EVENTS, SAMPLES

from .conftest import chat_body, client_for

pydantic = pytest.importorskip("pydantic")
pydantic_core = pytest.importorskip("pydantic_core")

# -- recorded JSON ----------------------------------------------------------------


def rich_completion() -> dict[str, Any]:
    """A chat completion with tool calls of both kinds, logprobs, extras, nulls and a float sent as int."""
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1_700_000_000,
        "model": "gpt-4o-mini",
        "system_fingerprint": None,
        "choices": [
            {
                "index": 0,
                "finish_reason": "tool_calls",
                "message": {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [
                        {"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}},
                        {"id": "c2", "type": "custom", "custom": {"name": "g", "input": "x"}},
                    ],
                    "vendor_field": {"x": 1, "y": None},
                },
                "logprobs": {
                    "content": [
                        {
                            "token": "a",
                            "logprob": -1,
                            "bytes": [97],
                            "top_logprobs": [{"token": "a", "logprob": -1.5e-7, "bytes": None}],
                        }
                    ],
                    "refusal": None,
                },
            },
            {"index": 1, "finish_reason": "stop", "message": {"role": "assistant", "content": "héllo ✓"}},
        ],
        "usage": {
            "prompt_tokens": 3,
            "completion_tokens": 5,
            "total_tokens": 8,
            "prompt_tokens_details": {"cached_tokens": 0},
        },
        "prompt_logprobs": None,
        "kv_transfer_params": {"k": [1, 2.5]},
    }


def verbose_transcription() -> dict[str, Any]:
    return {
        "task": "transcribe",
        "language": "english",
        "duration": 3,
        "text": "hello there",
        "words": [{"word": "hello", "start": 0, "end": 0.5}, {"word": "there", "start": 0.5, "end": 1}],
        "segments": [
            {
                "id": 0,
                "seek": 0,
                "start": 0,
                "end": 1.0,
                "text": "hello there",
                "tokens": [1, 2],
                "temperature": 0,
                "avg_logprob": -0.2,
                "compression_ratio": 1.1,
                "no_speech_prob": 1e-5,
            }
        ],
        "usage": {"type": "duration", "seconds": 3},
    }


def rich_response() -> dict[str, Any]:
    """A Responses answer with output items of several kinds."""
    data = copy.deepcopy(SAMPLES["Response"])
    data["output"] = [
        {"id": "rs_1", "type": "reasoning", "summary": [{"type": "summary_text", "text": "thinking"}]},
        {
            "id": "fc_1",
            "type": "function_call",
            "call_id": "call_1",
            "name": "f",
            "arguments": "{}",
            "status": "completed",
        },
        *data["output"],
    ]
    data["temperature"] = 1
    return data


def json_schema_format() -> dict[str, Any]:
    return {"type": "json_schema", "json_schema": {"name": "n", "schema": {"type": "object"}, "strict": True}}


# (our class, official class, JSON): the families the client answers with.
FAMILIES: list[tuple[str, str, Any]] = [
    ("chat.ChatCompletion", "chat.ChatCompletion", lambda: SAMPLES["CreateChatCompletionResponse"]),
    ("chat.ChatCompletion", "chat.ChatCompletion", rich_completion),
    (
        "chat.ChatCompletionChunk",
        "chat.ChatCompletionChunk",
        lambda: EVENTS["CreateChatCompletionStreamResponse"][0][1],
    ),
    ("CreateEmbeddingResponse", "CreateEmbeddingResponse", lambda: SAMPLES["CreateEmbeddingResponse"]),
    ("ImagesResponse", "ImagesResponse", lambda: SAMPLES["ImagesResponse"]),
    ("FileObject", "FileObject", lambda: SAMPLES["OpenAIFile"]),
    ("Batch", "Batch", lambda: SAMPLES["Batch"]),
    ("fine_tuning.FineTuningJob", "fine_tuning.FineTuningJob", lambda: SAMPLES["FineTuningJob"]),
    ("beta.Assistant", "beta.Assistant", lambda: SAMPLES["AssistantObject"]),
    ("beta.Thread", "beta.Thread", lambda: SAMPLES["ThreadObject"]),
    ("beta.threads.Run", "beta.threads.Run", lambda: SAMPLES["RunObject"]),
    ("beta.threads.Message", "beta.threads.Message", lambda: SAMPLES["MessageObject"]),
    ("VectorStore", "VectorStore", lambda: SAMPLES["VectorStoreObject"]),
    ("responses.Response", "responses.Response", lambda: SAMPLES["Response"]),
    ("responses.Response", "responses.Response", rich_response),
    ("ModerationCreateResponse", "ModerationCreateResponse", lambda: SAMPLES["CreateModerationResponse"]),
    ("audio.TranscriptionVerbose", "audio.TranscriptionVerbose", verbose_transcription),
    ("Model", "Model", lambda: SAMPLES["Model"]),
    ("Completion", "Completion", lambda: SAMPLES["CreateCompletionResponse"]),
    ("shared.ResponseFormatJSONSchema", "shared.ResponseFormatJSONSchema", json_schema_format),
]
IDS = [f"{ours}-{i}" for i, (ours, _, _) in enumerate(FAMILIES)]

# Declared here and not in openai 3.3.1 (server extensions): left out of the comparison when
# the server did not send them (the official dump has no key for them then).
OURS_ONLY = frozenset({"reasoning_content", "obfuscation"})


def load(package: str, path: str) -> type[Any]:
    module, _, name = path.rpartition(".")
    return getattr(importlib.import_module(f"{package}.types" + (f".{module}" if module else "")), name)  # type: ignore[no-any-return]


def pair(index: int) -> tuple[Any, Any, Any]:
    """Ours and the official's, from the same JSON (each its own copy)."""
    pytest.importorskip("openai", reason="the official SDK is the oracle")
    ours_path, theirs_path, data = FAMILIES[index]
    raw = data()
    ours = load("openai_actors", ours_path)._from_raw(copy.deepcopy(raw))
    theirs = load("openai", theirs_path).construct(**copy.deepcopy(raw))
    return ours, theirs, raw


def without_ours_only(ours: Any, theirs: Any) -> Any:
    """`ours` less the keys only our types declare, where the official dump has no such key."""
    if isinstance(ours, dict) and isinstance(theirs, dict):
        return {
            k: without_ours_only(v, theirs.get(k))
            for k, v in ours.items()
            if not (k in OURS_ONLY and k not in theirs)
        }
    if isinstance(ours, list) and isinstance(theirs, list) and len(ours) == len(theirs):
        return [without_ours_only(a, b) for a, b in zip(ours, theirs, strict=True)]
    return ours


DUMP_OPTIONS: list[dict[str, Any]] = [
    {},
    {"mode": "json"},
    {"exclude_unset": True},
    {"exclude_none": True},
    {"exclude_defaults": True},
    {"by_alias": True},
    {"by_alias": False, "mode": "json", "exclude_none": True},
    {"exclude_unset": True, "exclude_none": True, "by_alias": True},
    {"round_trip": True, "warnings": False, "serialize_as_any": True, "context": {"k": 1}},
    {"include": {"id", "model", "object", "data"}},
    {"exclude": {"choices": {"__all__": {"message"}}, "usage": True}},
    {
        "include": {
            "choices": {0: {"message": {"content", "tool_calls"}}, -1: True},
            "output": {"__all__": {"type"}},
        }
    },
    {"exclude": {"choices": {0}, "output": {-1}, "data": {"__all__": {"embedding", "url"}}}},
    {"include": {"choices": {"__all__": {"index"}, 0: {"finish_reason"}}}, "exclude": {"choices": {1}}},
    {"include": {"__all__"}, "exclude": {"kv_transfer_params": {"k": {0}}}},
]


class TestDumpAgainstTheOfficialTypes:
    @pytest.mark.parametrize("index", range(len(FAMILIES)), ids=IDS)
    def test_model_dump_is_the_officials(self, index: int) -> None:
        """Every family, every option combination: the same dict as the official type's."""
        ours, theirs, _ = pair(index)
        for options in DUMP_OPTIONS:
            expected = theirs.model_dump(**options)
            assert (options, expected) == (options, without_ours_only(ours.model_dump(**options), expected))

    @pytest.mark.parametrize("index", range(len(FAMILIES)), ids=IDS)
    def test_model_dump_json_is_the_officials(self, index: int) -> None:
        """The same JSON (key order aside: fields come in the spec's order, not the official's)."""
        ours, theirs, _ = pair(index)
        for options in DUMP_OPTIONS:
            options = {k: v for k, v in options.items() if k != "mode"}
            expected = json.loads(theirs.model_dump_json(**options))
            actual = without_ours_only(json.loads(ours.model_dump_json(**options)), expected)
            assert (options, expected) == (options, actual)

    @pytest.mark.parametrize("index", range(len(FAMILIES)), ids=IDS)
    def test_to_dict_and_to_json_are_the_officials(self, index: int) -> None:
        ours, theirs, _ = pair(index)
        for options in ({}, {"use_api_names": False}, {"exclude_unset": False, "exclude_none": True}):
            expected = theirs.to_dict(**options)
            assert expected == without_ours_only(ours.to_dict(**options), expected)
            expected = json.loads(theirs.to_json(**options))
            assert expected == without_ours_only(json.loads(ours.to_json(**options)), expected)

    @pytest.mark.parametrize("index", range(len(FAMILIES)), ids=IDS)
    def test_fields_set_and_extras_are_the_officials(self, index: int) -> None:
        ours, theirs, _ = pair(index)
        assert theirs.model_fields_set - OURS_ONLY == ours.model_fields_set - OURS_ONLY
        assert theirs.model_extra == {
            **(ours.model_extra or {}),
            **{k: v for k, v in theirs.model_extra.items() if k in OURS_ONLY},
        }

    @pytest.mark.parametrize("index", range(len(FAMILIES)), ids=IDS)
    def test_model_fields_name_the_official_fields(self, index: int) -> None:
        ours, theirs, _ = pair(index)
        expected = {n: (f.is_required(), f.alias) for n, f in type(theirs).model_fields.items()}
        actual = {n: (f.is_required(), f.alias) for n, f in type(ours).model_fields.items()}
        assert expected == {n: v for n, v in actual.items() if n not in OURS_ONLY}

    @pytest.mark.parametrize("index", range(len(FAMILIES)), ids=IDS)
    @settings(max_examples=25)
    @given(data=st.data())
    def test_answers_with_fields_dropped_nulled_or_added_dump_as_the_officials(
        self, index: int, data: st.DataObject
    ) -> None:
        """The recorded JSON with random fields left out, set to null or added, at any depth:
        the same dumps and the same pydantic warnings as the official type's."""
        pytest.importorskip("openai")
        ours_path, theirs_path, sample = FAMILIES[index]
        raw = copy.deepcopy(sample())
        for _ in range(data.draw(st.integers(0, 4), label="changes")):
            node = data.draw(st.sampled_from(list(objects_in(raw))), label="object")
            keys = sorted(k for k in node if k != "type" and k not in OURS_ONLY)  # the tag picks the class
            if not keys:
                continue
            key = data.draw(st.sampled_from(keys), label="key")
            change = data.draw(st.sampled_from(["drop", "null", "add"]), label="change")
            if change == "drop":
                del node[key]
            elif change == "null":
                node[key] = None
            else:
                node[f"x_{key}"] = data.draw(JSON, label="added")
        ours = load("openai_actors", ours_path)._from_raw(copy.deepcopy(raw))
        theirs = load("openai", theirs_path).construct(**copy.deepcopy(raw))
        for options in (
            {},
            {"exclude_unset": True},
            {"exclude_none": True, "by_alias": True},
            {"mode": "json", "exclude_defaults": True},
        ):
            with warnings.catch_warnings(record=True) as expected_warnings:
                warnings.simplefilter("always")
                expected = theirs.model_dump(**options)
            with warnings.catch_warnings(record=True) as actual_warnings:
                warnings.simplefilter("always")
                actual = ours.model_dump(**options)
            assert (options, expected) == (options, without_ours_only(actual, expected))
            assert [str(w.message) for w in expected_warnings] == [str(w.message) for w in actual_warnings]

    @given(data=st.data())
    def test_any_include_and_exclude_filter_the_officials_way(self, data: st.DataObject) -> None:
        """Random include/exclude filters over a rich completion: the official's result every time."""
        ours, theirs, _ = pair(1)
        options = {
            name: data.draw(filters(), label=name)
            for name in ("include", "exclude")
            if data.draw(st.booleans(), label=f"with {name}")
        }
        flags = data.draw(
            st.fixed_dictionaries(
                {},
                optional={
                    k: st.booleans()
                    for k in ("exclude_unset", "exclude_none", "exclude_defaults", "by_alias")
                },
            )
        )
        expected = theirs.model_dump(**options, **flags)
        assert expected == without_ours_only(ours.model_dump(**options, **flags), expected)

    def test_a_model_defined_like_the_official_dumps_the_same_json_text(self) -> None:
        """Where the field order is the official's, model_dump_json is the same text, indented or not."""

        class Ours(BaseModel):
            name: str
            scores: list[float]
            note: str | None = None

        class Theirs(pydantic.BaseModel):
            model_config = pydantic.ConfigDict(extra="allow")
            name: str
            scores: list[float]
            note: str | None = None

        raw = {
            "name": 'é\u0001"/',
            "scores": [1, 0.5, 1e-5, 1.5e-7, 1e16, 12345.678, float("-inf")],
            "extra": {"a": [True, None, float("inf")]},
        }
        theirs = Theirs.model_construct(**raw)
        theirs.scores = [float(x) for x in raw["scores"]]  # what the official `construct` makes of ints
        ours = Ours._from_raw(raw)
        for options in ({}, {"indent": 2}, {"indent": 0}, {"ensure_ascii": True}, {"exclude_unset": True}):
            assert theirs.model_dump_json(**options) == ours.model_dump_json(**options)
        # In JSON mode a declared float keeps inf (the text has null); an undeclared value loses it.
        assert theirs.model_dump(mode="json") == ours.model_dump(mode="json")


# Floats the json module writes otherwise than pydantic-core, and strings that look like them.
AWKWARD = st.sampled_from([1e-7, 1.5e-5, -2e-9, 1e-10, 1e16, float("inf"), "1e-07", "\\u007f", "\x7f"])
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text() | AWKWARD,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4),
    max_leaves=12,
)
KEYS = st.sampled_from(["a", "b", "", "__all__", 0, 1, 2, -1, -3, 5])


class TestAgainstPydanticItself:
    """Any JSON, any filter: a model of ours and a pydantic model declared alike dump alike."""

    @given(
        value=JSON,
        extra=JSON,
        include=st.none()
        | st.recursive(
            st.sets(KEYS, max_size=3),
            lambda i: st.dictionaries(KEYS, st.just(True) | i, max_size=3),
            max_leaves=6,
        ),
        exclude=st.none()
        | st.recursive(
            st.sets(KEYS, max_size=3),
            lambda i: st.dictionaries(KEYS, st.just(True) | i, max_size=3),
            max_leaves=6,
        ),
        indent=st.none() | st.integers(0, 3),
        ensure_ascii=st.booleans(),
    )
    def test_dumps_and_json_text_are_pydantics(
        self, value: Any, extra: Any, include: Any, exclude: Any, indent: int | None, ensure_ascii: bool
    ) -> None:
        class Ours(BaseModel):
            value: Any = None
            note: str | None = None

        class Theirs(pydantic.BaseModel):
            model_config = pydantic.ConfigDict(extra="allow")
            value: Any = None
            note: str | None = None

        raw = {"value": value, "extra": extra}
        ours, theirs = Ours._from_raw(copy.deepcopy(raw)), Theirs.model_construct(**copy.deepcopy(raw))
        inc = None if include is None else {"value": include, "extra": include, "note": True}
        exc = None if exclude is None else {"value": exclude, "extra": exclude}
        for mode in ("python", "json"):
            assert theirs.model_dump(mode=mode, include=inc, exclude=exc) == ours.model_dump(
                mode=mode, include=inc, exclude=exc
            )
        options: dict[str, Any] = {
            "indent": indent,
            "ensure_ascii": ensure_ascii,
            "include": inc,
            "exclude": exc,
        }
        assert theirs.model_dump_json(**options) == ours.model_dump_json(**options)


def places_in(value: Any, place: tuple[Any, ...] = ()) -> Any:
    """The path of every value in `value`, its own (the empty path) included."""
    yield place
    if isinstance(value, dict):
        for k, v in value.items():
            yield from places_in(v, (*place, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from places_in(v, (*place, i))


def objects_in(value: Any) -> Any:
    """Every JSON object in `value`, itself included."""
    if isinstance(value, dict):
        yield value
        for v in value.values():
            yield from objects_in(v)
    elif isinstance(value, list):
        for v in value:
            yield from objects_in(v)


def filters() -> st.SearchStrategy[Any]:
    keys = st.sampled_from(
        [
            "id",
            "choices",
            "usage",
            "model",
            "kv_transfer_params",
            "message",
            "content",
            "tool_calls",
            "index",
            "finish_reason",
            "logprobs",
            "function",
            "name",
            "k",
            "prompt_tokens",
            "__all__",
            0,
            1,
            -1,
        ]
    )
    leaf = st.one_of(st.just(True), st.just(...), st.sets(keys, max_size=3))
    return st.recursive(
        st.sets(keys, max_size=4),
        lambda inner: st.dictionaries(keys, st.one_of(leaf, inner), max_size=4),
        max_leaves=8,
    )


class TestDumpOptions:
    def test_an_option_pydantic_does_not_have_is_a_type_error_naming_it(self) -> None:
        ours, _, _ = pair(0)
        with pytest.raises(TypeError, match="exclude_nones"):
            ours.model_dump(exclude_nones=True)
        with pytest.raises(TypeError, match="indent"):
            ours.model_dump(indent=2)

    @pytest.mark.parametrize(
        "options",
        [
            {"exclude_none": 1},
            {"by_alias": "yes"},
            {"warnings": "loud"},
            {"include": 5},
            {"round_trip": None},
        ],
    )
    def test_a_wrong_option_value_is_a_type_error_as_pydantic_makes_it(self, options: dict[str, Any]) -> None:
        ours, theirs, _ = pair(0)
        with pytest.raises(TypeError):
            theirs.model_dump(**options)
        with pytest.raises(TypeError):
            ours.model_dump(**options)

    def test_int_sent_for_a_float_dumps_as_a_float(self) -> None:
        ours, _, _ = pair(16)
        assert [0.0, 0.5] == [w["start"] for w in ours.model_dump()["words"]]
        assert 3.0 == ours.model_dump()["duration"] and isinstance(ours.model_dump()["duration"], float)

    @given(st.floats(allow_nan=True, allow_infinity=True))
    def test_floats_are_written_as_pydantic_writes_them(self, value: float) -> None:
        """As a model's model_dump_json writes them: inf and nan as null."""
        assert pydantic_core.to_json(value, inf_nan_mode="null").decode() == float_text(value)


class TestForeignValues:
    def test_a_pydantic_model_held_in_a_field_dumps_as_pydantic_dumps_it(self) -> None:
        """`parsed` holds the user's pydantic instance (ParsedChatCompletion): it dumps as a dict."""

        class Answer(pydantic.BaseModel):
            city: str
            population: int | None = None

        class Holder(BaseModel):
            parsed: Any = None
            text: str | None = None

        h = Holder(text="t")
        h.parsed = Answer(city="Paris")
        assert {"parsed": {"city": "Paris", "population": None}, "text": "t"} == h.model_dump()
        assert {"parsed": {"city": "Paris"}, "text": "t"} == h.model_dump(exclude_none=True)
        assert {"parsed": {"city": "Paris"}} == h.model_dump(include={"parsed": {"city"}})
        assert '{"parsed":{"city":"Paris","population":null},"text":"t"}' == h.model_dump_json()
        assert isinstance(Holder(parsed=Answer(city="x")).model_dump()["parsed"], dict)

    def test_values_that_are_not_json_dump_as_pydantic_dumps_them(self) -> None:
        """Sets, tuples, bytes, decimals, enums, unknown objects (with and without `fallback`)."""
        import decimal
        import enum

        class Color(enum.Enum):
            RED = "red"

        class Ours(BaseModel):
            value: Any = None

        class Theirs(pydantic.BaseModel):
            model_config = pydantic.ConfigDict(extra="allow")
            value: Any = None

        for value in ({1, 2}, (1, "a"), b"ab", decimal.Decimal("1.5"), Color.RED, [Color.RED, (1,)]):
            ours, theirs = Ours(value=value, other=value), Theirs.model_construct(value=value, other=value)
            for mode in ("python", "json"):
                assert theirs.model_dump(mode=mode) == ours.model_dump(mode=mode)
            assert theirs.model_dump_json() == ours.model_dump_json()
        unknown = object()
        ours, theirs = Ours(value=unknown), Theirs.model_construct(value=unknown)
        assert theirs.model_dump() == ours.model_dump()
        with pytest.raises(
            pydantic_core.PydanticSerializationError, match="Unable to serialize unknown type"
        ):
            theirs.model_dump(mode="json")
        with pytest.raises(
            pydantic_core.PydanticSerializationError, match="Unable to serialize unknown type"
        ):
            ours.model_dump(mode="json")
        assert theirs.model_dump(mode="json", fallback=repr) == ours.model_dump(mode="json", fallback=repr)

    def test_a_datetime_dumps_as_an_iso_string_in_json_mode(self) -> None:
        import datetime

        class Holder(BaseModel):
            when: Any = None

        h = Holder(when=datetime.date(2024, 1, 2))
        assert {"when": datetime.date(2024, 1, 2)} == h.model_dump()
        assert {"when": "2024-01-02"} == h.model_dump(mode="json")
        assert '{"when":"2024-01-02"}' == h.model_dump_json()


# -- validation ---------------------------------------------------------------------


BAD_INPUTS: list[tuple[str, dict[str, Any]]] = [
    ("chat.ChatCompletion", {"id": 1, "choices": [{"index": "x"}], "created": "soon", "model": "m"}),
    ("chat.ChatCompletion", {**rich_completion(), "object": "list"}),
    (
        "CreateEmbeddingResponse",
        {"data": [{"embedding": ["a"], "index": 0, "object": "embedding"}], "model": "m"},
    ),
    ("Batch", {**SAMPLES["Batch"], "request_counts": {"total": "many"}}),
    ("responses.Response", {**SAMPLES["Response"], "created_at": "yesterday", "usage": {"input_tokens": 1}}),
    ("Model", {"id": "m", "created": None, "object": "model", "owned_by": 5}),
]


class TestValidation:
    @pytest.mark.parametrize(
        ("path", "data"), BAD_INPUTS, ids=[f"{p}-{i}" for i, (p, _) in enumerate(BAD_INPUTS)]
    )
    def test_wrong_values_fail_as_the_officials_do(self, path: str, data: dict[str, Any]) -> None:
        """The same errors (type, location, message) as the official model_validate."""
        pytest.importorskip("openai")
        with pytest.raises(pydantic.ValidationError) as theirs:
            load("openai", path).model_validate(copy.deepcopy(data))
        with pytest.raises(pydantic.ValidationError) as ours:
            load("openai_actors", path).model_validate(copy.deepcopy(data))
        # Sorted: errors come in field order, the spec's here and the official generator's there.
        expected = sorted((e["loc"], e["type"], e["msg"]) for e in theirs.value.errors())
        assert expected == sorted((e["loc"], e["type"], e["msg"]) for e in ours.value.errors())
        assert theirs.value.title == ours.value.title

    @pytest.mark.parametrize("index", range(len(FAMILIES)), ids=IDS)
    def test_recorded_answers_validate_and_dump_as_the_officials(self, index: int) -> None:
        pytest.importorskip("openai")
        ours_path, theirs_path, data = FAMILIES[index]
        theirs = load("openai", theirs_path).model_validate(copy.deepcopy(data()))
        ours = load("openai_actors", ours_path).model_validate(copy.deepcopy(data()))
        assert theirs.model_fields_set == ours.model_fields_set
        for options in ({}, {"exclude_unset": True}, {"mode": "json", "by_alias": True}):
            expected = theirs.model_dump(**options)
            assert expected == without_ours_only(ours.model_dump(**options), expected)
        from_json = load("openai_actors", ours_path).model_validate_json(json.dumps(data()))
        assert ours == from_json

    @pytest.mark.parametrize("index", range(len(FAMILIES)), ids=IDS)
    @settings(max_examples=25)
    @given(data=st.data())
    def test_answers_with_values_of_the_wrong_type_validate_as_the_officials(
        self, index: int, data: st.DataObject
    ) -> None:
        """The recorded JSON with random values replaced by others of any type: the same errors
        (location and kind), or the same validated dump."""
        pytest.importorskip("openai")
        ours_path, theirs_path, sample = FAMILIES[index]
        raw = copy.deepcopy(sample())
        # Not inside the Responses `output`, `tools` and `tool_choice`: some of their union
        # members are typed or named apart from openai 3.3.1's (TYPED_APART).
        apart = {"output", "tools", "tool_choice"} | OURS_ONLY
        places = [p for p in places_in(raw) if p and not apart & set(p)]
        for place in data.draw(st.lists(st.sampled_from(places), min_size=1, max_size=3), label="places"):
            try:
                node = raw
                for step in place[:-1]:
                    node = node[step]
                node[place[-1]] = data.draw(
                    st.sampled_from(["x", 1, 1.5, True, None, [], {}, "1", [1], {"a": 1}])
                )
            except (KeyError, IndexError, TypeError):
                continue  # an earlier change replaced what held this place

        def outcome(cls: Any) -> Any:
            try:
                validated = cls.model_validate(copy.deepcopy(raw))
            except pydantic.ValidationError as e:
                return sorted((e_["loc"], e_["type"]) for e_ in e.errors())
            return validated.model_dump(mode="json")

        expected, actual = outcome(load("openai", theirs_path)), outcome(load("openai_actors", ours_path))
        assert expected == (without_ours_only(actual, expected) if isinstance(expected, dict) else actual)

    def test_lax_coercion_is_the_officials(self) -> None:
        from openai_actors.types import Model

        m = Model.model_validate({"id": "m", "created": "5", "object": "model", "owned_by": "me"})
        assert (5, 5) == (m.created, m.to_dict()["created"])

    def test_validation_needs_no_request_and_leaves_responses_unvalidated(self) -> None:
        """Answers from the server are built unvalidated: a wrong type is passed through."""
        from openai_actors.types import Model

        m = Model._from_raw({"id": 1, "created": "soon", "object": "model", "owned_by": None})
        assert ("soon", 1) == (m.created, m.id)

    def test_model_validate_takes_pydantics_options(self) -> None:
        from openai_actors.types import Model

        with pytest.raises(pydantic.ValidationError, match=r"int_type|valid integer"):
            Model.model_validate({"id": "m", "created": "5", "object": "model", "owned_by": "x"}, strict=True)
        with pytest.raises(TypeError, match="strictly"):
            Model.model_validate({}, strictly=True)  # type: ignore[call-arg]

    def test_an_instance_validates_as_itself(self) -> None:
        ours, _, _ = pair(0)
        assert ours is type(ours).model_validate(ours)


class TestSchemas:
    @pytest.mark.parametrize("index", range(len(FAMILIES)), ids=IDS)
    def test_json_schema_is_the_officials(self, index: int) -> None:
        """The same schema for the type and each nested class both name alike (descriptions aside:
        the official docstrings are wrapped differently; and a few nested classes are named apart)."""
        ours, theirs, _ = pair(index)
        expected = strip_ours_only(type(theirs).model_json_schema())
        actual = strip_ours_only(type(ours).model_json_schema())
        expected_defs, actual_defs = expected.pop("$defs", {}), actual.pop("$defs", {})
        assert without_refs(expected) == without_refs(actual)
        shared = set(expected_defs) & set(actual_defs)
        assert 3 * len(shared) >= 2 * len(expected_defs)  # Responses' union members are named apart most
        for name in shared - TYPED_APART:
            if not refers_to_renamed(expected_defs[name], set(expected_defs) - shared):
                assert (name, without_refs(expected_defs[name])) == (name, without_refs(actual_defs[name]))

    def test_json_schema_in_serialization_mode_is_the_officials(self) -> None:
        ours, theirs, _ = pair(0)
        expected = type(theirs).model_json_schema(mode="serialization", ref_template="#/components/{model}")
        actual = type(ours).model_json_schema(mode="serialization", ref_template="#/components/{model}")
        assert set(expected) == set(actual)
        assert expected["properties"]["choices"] == actual["properties"]["choices"]


# Nested classes whose field types differ from openai 3.3.1's: the spec here has other enum
# members, other item types (`CompoundFilter.filters`) or other required fields.
TYPED_APART = frozenset(
    {
        "CompoundFilter",
        "FunctionCallOutput",
        "ImageGeneration",
        "McpListToolsTool",
        "ResponseComputerToolCallOutputItem",
        "ResponseFunctionToolCallOutputItem",
        "ToolFunction",
        "ToolSearchCall",
        "ToolSearchTool",
    }
)


def without_refs(schema: Any) -> Any:
    """A schema with the names its `$ref`s use left out."""
    if isinstance(schema, dict):
        return {k: "ref" if k == "$ref" else without_refs(v) for k, v in schema.items()}
    if isinstance(schema, list):
        return [without_refs(v) for v in schema]
    return schema


def refers_to_renamed(schema: Any, renamed: set[str]) -> bool:
    return any(f'"#/$defs/{name}"' in json.dumps(schema) for name in renamed)


def strip_ours_only(schema: Any) -> Any:
    """A schema less the fields only ours declare and its descriptions, its `required` lists
    sorted (the order of the fields is the spec's here, the official generator's there)."""
    if isinstance(schema, dict):
        out = {
            k: strip_ours_only(v)
            for k, v in schema.items()
            if k not in OURS_ONLY and not (k == "description" and isinstance(v, str))
        }
        if isinstance(out.get("required"), list):
            out["required"] = sorted(r for r in out["required"] if r not in OURS_ONLY)
        return out
    if isinstance(schema, list):
        return [strip_ours_only(v) for v in schema]
    return schema


# -- pydantic interop ----------------------------------------------------------------


class TestInsidePydantic:
    def test_a_response_is_a_field_of_a_users_pydantic_model(self) -> None:
        from openai_actors.types.chat import ChatCompletion

        class Saved(pydantic.BaseModel):
            completion: ChatCompletion
            note: str = ""

        ours, _, raw = pair(1)
        saved = Saved(completion=ours)
        assert saved.completion is ours
        assert ours.model_dump() == saved.model_dump()["completion"]
        assert ours.model_dump(exclude_unset=True) == saved.model_dump(exclude_unset=True)["completion"]
        assert {"completion": {"id": "chatcmpl-1"}} == saved.model_dump(include={"completion": {"id"}})
        again = Saved.model_validate_json(saved.model_dump_json())
        assert isinstance(again.completion, ChatCompletion)
        assert ours == again.completion
        from_dict = Saved.model_validate({"completion": raw})
        assert "c2" == from_dict.completion.choices[0].message.tool_calls[1].id  # type: ignore[index]
        with pytest.raises(pydantic.ValidationError) as err:
            Saved.model_validate({"completion": {**raw, "created": "soon"}})
        assert ("completion", "created") == err.value.errors()[0]["loc"]
        assert "completion" in Saved.model_json_schema()["properties"]

    def test_a_type_adapter_validates_dumps_and_describes_responses(self) -> None:
        from openai_actors.types import CreateEmbeddingResponse

        adapter = pydantic.TypeAdapter(CreateEmbeddingResponse)
        raw = {**SAMPLES["CreateEmbeddingResponse"], "vendor": 1}
        r = adapter.validate_python(raw)
        assert isinstance(r, CreateEmbeddingResponse)
        assert r.model_dump() == adapter.dump_python(r)
        assert r.model_dump(mode="json", exclude_unset=True) == json.loads(
            adapter.dump_json(r, exclude_unset=True)
        )
        assert CreateEmbeddingResponse.model_json_schema() == adapter.json_schema()
        listed = pydantic.TypeAdapter(list[CreateEmbeddingResponse]).validate_json(json.dumps([raw, raw]))
        assert [1, 1] == [x.vendor for x in listed]  # type: ignore[attr-defined]

    def test_recursive_models_get_a_schema(self) -> None:
        class Node(BaseModel):
            name: str
            children: list[Node] | None = None

        globals()["Node"] = Node  # resolvable, as a module-level class would be
        try:
            tree = pydantic.TypeAdapter(Node).validate_python({"name": "a", "children": [{"name": "b"}]})
            assert "b" == tree.children[0].name  # type: ignore[index]
            assert "Node" in str(Node.model_json_schema())
        finally:
            del globals()["Node"]

    def test_a_response_is_a_fastapi_response_model(self) -> None:
        fastapi = pytest.importorskip("fastapi")
        from fastapi.testclient import TestClient

        from openai_actors.types.chat import ChatCompletion

        app = fastapi.FastAPI()
        raw = rich_completion()

        def get_completion() -> ChatCompletion:
            return ChatCompletion._from_raw(copy.deepcopy(raw))

        def echo(body: ChatCompletion) -> ChatCompletion:
            return body

        # Annotations as objects (this module's are strings naming locals FastAPI cannot see);
        # FastAPI takes only pydantic models as bodies unasked, so the body is marked as one.
        get_completion.__annotations__ = {"return": ChatCompletion}
        echo.__annotations__ = {"body": Annotated[ChatCompletion, fastapi.Body()], "return": ChatCompletion}
        app.get("/c", response_model=ChatCompletion)(get_completion)
        app.post("/echo", response_model=ChatCompletion)(echo)

        with TestClient(app) as http:
            got = http.get("/c")
            assert 200 == got.status_code
            assert ChatCompletion._from_raw(copy.deepcopy(raw)).model_dump(mode="json") == got.json()
            echoed = http.post("/echo", json=raw)
            assert 200 == echoed.status_code
            assert "c2" == echoed.json()["choices"][0]["message"]["tool_calls"][1]["id"]
            bad = http.post("/echo", json={**raw, "created": "soon"})
            assert 422 == bad.status_code
            assert ["body", "created"] == bad.json()["detail"][0]["loc"]
            assert "ChatCompletion" in http.get("/openapi.json").json()["components"]["schemas"]


# -- through the client --------------------------------------------------------------


class TestThroughTheClient:
    """Responses as the client returns them, not built by hand: the same dumps as the official
    types built from the same answer, on asyncio, trio and the threaded client."""

    @pytest.mark.anyio
    async def test_an_async_clients_answers_dump_as_the_officials(self, server: MockServer) -> None:
        official = pytest.importorskip("openai")
        async with client_for(server) as client:
            raw = await client.chat.completions.with_raw_response.create(**chat_body("dump"))
            embedding = await client.embeddings.with_raw_response.create(
                model="e", input="x", encoding_format="float"
            )
        for answer, theirs_type in (
            (raw, official.types.chat.ChatCompletion),
            (embedding, official.types.CreateEmbeddingResponse),
        ):
            ours = answer.parse()
            theirs = theirs_type.construct(**answer.json())
            for options in ({}, {"exclude_unset": True}, {"mode": "json", "exclude_none": True}):
                expected = theirs.model_dump(**options)
                assert expected == without_ours_only(ours.model_dump(**options), expected)
            expected = json.loads(theirs.to_json())
            assert expected == without_ours_only(json.loads(ours.to_json()), expected)

    def test_the_threaded_clients_answers_dump_as_the_officials(self, server: MockServer) -> None:
        official = pytest.importorskip("openai")
        from openai_actors import OpenAI

        with OpenAI(api_key="sk-test", base_url=server.url) as client:
            raw = client.chat.completions.with_raw_response.create(**chat_body("sync"))
        ours, theirs = raw.parse(), official.types.chat.ChatCompletion.construct(**raw.json())
        expected = theirs.model_dump()
        assert expected == without_ours_only(ours.model_dump(), expected)
        assert "echo: sync" == ours.model_dump()["choices"][0]["message"]["content"]


# -- the rest of pydantic's BaseModel API ------------------------------------------------


class TestModelApi:
    def test_equality_is_pydantics_a_missing_field_equals_its_default(self) -> None:
        from openai_actors.types import Model

        a = Model._from_raw({"id": "m", "created": 1, "object": "model", "owned_by": "o"})
        b = Model._from_raw(
            {"id": "m", "created": 1, "object": "model", "owned_by": "o", "shutdown_date": None}
        )
        assert a == b
        assert a != Model._from_raw({"id": "m", "created": 1, "object": "model", "owned_by": "o", "x": 1})

    @pytest.mark.parametrize("index", range(len(FAMILIES)), ids=IDS)
    def test_iterating_gives_the_officials_names_and_values(self, index: int) -> None:
        """`dict(model)`: every field, then the extras; nested models are each side's own."""
        ours, theirs, _ = pair(index)
        expected = {k: v for k, v in theirs if not isinstance(v, pydantic.BaseModel | list)}
        actual = {k: v for k, v in ours if not isinstance(v, BaseModel | list) and k in dict(theirs)}
        assert expected == actual
        assert set(dict(theirs)) == set(dict(ours)) - (OURS_ONLY - set(dict(theirs)))

    def test_str_and_repr_are_the_officials(self) -> None:
        ours, theirs, _ = pair(17)
        assert str(theirs) == str(ours)
        assert repr(theirs) == repr(ours)

    def test_model_copy_is_shallow_or_deep_and_takes_updates(self) -> None:
        ours, theirs, _ = pair(1)
        shallow = ours.model_copy(update={"model": "other"})
        assert ("other", "gpt-4o-mini") == (shallow.model, ours.model)
        assert shallow.choices[0] is ours.choices[0]
        deep = ours.model_copy(deep=True)
        assert deep == ours and deep.choices[0] is not ours.choices[0]
        deep.choices[0].index = 9
        assert 0 == ours.choices[0].index
        expected = theirs.model_copy(update={"model": "other"}).model_dump()
        assert expected == without_ours_only(shallow.model_dump(), expected)

    def test_copy_module_and_pickle_keep_objects_apart(self) -> None:
        ours, _, _ = pair(1)
        ours._request_id = "req_1"
        clone = copy.copy(ours)
        clone.model = "changed"
        assert "gpt-4o-mini" == ours.model
        for other in (copy.deepcopy(ours), pickle.loads(pickle.dumps(ours))):
            assert ours == other
        assert "req_1" == pickle.loads(pickle.dumps(ours))._request_id

    def test_construct_takes_a_fields_set(self) -> None:
        from openai_actors.types import Model

        m = Model.construct(_fields_set={"owned_by"}, id="m")
        assert {"id", "owned_by"} == m.model_fields_set
        assert {"id": "m", "owned_by": None} == m.model_dump(exclude_unset=True)
        assert Model.model_construct(id="m").model_fields_set == {"id"}

    def test_model_fields_is_a_class_attribute_describing_each_field(self) -> None:
        from openai_actors.types import Model
        from openai_actors.types.shared import response_format_json_schema as rf

        fields = Model.model_fields
        assert ["id", "created", "object", "owned_by", "shutdown_date"] == list(fields)
        assert (str, True) == (fields["id"].annotation, fields["id"].is_required())
        assert (False, None) == (fields["shutdown_date"].is_required(), fields["shutdown_date"].get_default())
        assert Literal["model"] == fields["object"].annotation
        assert "schema" == rf.JSONSchema.model_fields["schema_"].alias

    @pytest.mark.parametrize(
        "inner",
        [
            {"name": "n", "schema": {"b": 2}},
            {"name": "n", "schema_": {"a": 1}},
            {"name": "n", "schema_": {"a": 1}, "schema": {"b": 2}},
        ],
    )
    def test_an_aliased_field_given_by_key_or_by_name_is_the_officials(self, inner: dict[str, Any]) -> None:
        """Constructed, a key naming no field is an extra (`"schema"` too); validated, a key that is
        no field's JSON key is (`"schema_"` too), and dumps over the field of that name."""
        official = pytest.importorskip("openai")
        data = {"type": "json_schema", "json_schema": inner}
        for build in ("construct", "model_validate"):
            theirs = getattr(official.types.shared.ResponseFormatJSONSchema, build)
            ours = getattr(load("openai_actors", "shared.ResponseFormatJSONSchema"), build)
            t = theirs(**copy.deepcopy(data)) if build == "construct" else theirs(copy.deepcopy(data))
            o = ours(**copy.deepcopy(data)) if build == "construct" else ours(copy.deepcopy(data))
            for options in ({}, {"by_alias": True}, {"exclude_unset": True}):
                assert (build, t.model_dump(**options)) == (build, o.model_dump(**options))
            assert (t.json_schema.model_fields_set, t.json_schema.model_extra) == (
                o.json_schema.model_fields_set,
                o.json_schema.model_extra,
            )

    def test_setting_an_aliased_field_writes_its_json_key(self) -> None:
        from openai_actors.types.shared import ResponseFormatJSONSchema

        r = ResponseFormatJSONSchema._from_raw(json_schema_format())
        assert {"type": "object"} == r.json_schema.schema == r.json_schema.schema_
        r.json_schema.schema_ = {"type": "string"}
        assert {"type": "string"} == r.to_dict()["json_schema"]["schema"] == r.json_schema.schema


class TestNoPydanticOnThePlainPath:
    def test_import_reading_and_dumping_a_response_never_import_pydantic(self) -> None:
        code = (
            "import sys, openai_actors\n"
            "from openai_actors import OpenAI, AsyncOpenAI\n"
            "from openai_actors.types.chat import ChatCompletion\n"
            "from openai_actors.mock._generated_routes import SAMPLES\n"
            "r = ChatCompletion._from_raw(SAMPLES['CreateChatCompletionResponse'])\n"
            "r.choices[0].message.content; r.model_dump(); r.model_dump_json(indent=2); r.to_dict()\n"
            "r.model_dump(include={'choices': {0}}, mode='json'); repr(r); r == r; r.model_copy(deep=True)\n"
            "r.model_fields_set; ChatCompletion.model_fields\n"
            "print(sorted(m for m in sys.modules if 'pydantic' in m))\n"
        )
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        assert "[]" == out.stdout.strip()

    def test_without_pydantic_validation_says_what_is_missing(self) -> None:
        code = (
            "import sys\n"
            "sys.modules['pydantic'] = None\n"
            "from openai_actors.types import Model\n"
            "m = Model._from_raw({'id': 'm'})\n"
            "assert m.model_dump(exclude_unset=True) == {'id': 'm'}\n"
            "try:\n"
            "    Model.model_validate({'id': 'm'})\n"
            "except ImportError as e:\n"
            "    print(e)\n"
        )
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        assert "need pydantic" in out.stdout


def test_floats_round_trip_through_json_text() -> None:
    """float_text writes what json.loads reads back exactly."""
    for value in (0.1, 1e-5, -2.5e-5, 1e16, 1.7976931348623157e308, 5e-324, -0.0):
        assert value == json.loads(float_text(value))
        assert math.copysign(1, value) == math.copysign(1, json.loads(float_text(value)))


WRONG_TYPES: list[tuple[str, dict[str, Any]]] = [
    (
        "chat.ChatCompletion",
        {
            **rich_completion(),
            "created": "soon",
            "choices": [
                {"index": "0", "finish_reason": "stopped", "message": {"role": "assistant", "content": 5}}
            ],
        },
    ),
    ("chat.ChatCompletion", {**rich_completion(), "choices": "oops"}),
    (
        "chat.ChatCompletion",
        {
            **rich_completion(),
            "choices": ["oops"],
            "usage": {"prompt_tokens": "a", "completion_tokens": 1, "total_tokens": 1.0},
        },
    ),
    (
        "CreateEmbeddingResponse",
        {
            **SAMPLES["CreateEmbeddingResponse"],
            "data": [{"embedding": [1.5, "a", True], "index": 0, "object": "embedding"}],
        },
    ),
    ("Model", {"id": 5, "created": True, "object": "model", "owned_by": [1]}),
]


class TestValuesOfTheWrongType:
    """Answers are not validated: a value not of its declared type is dumped as sent, and
    pydantic's `warnings` option says so as the official types do."""

    @pytest.mark.parametrize(
        ("path", "data"), WRONG_TYPES, ids=[f"{p}-{i}" for i, (p, _) in enumerate(WRONG_TYPES)]
    )
    def test_the_same_warnings_as_the_officials(self, path: str, data: dict[str, Any]) -> None:
        pytest.importorskip("openai")
        ours = load("openai_actors", path)._from_raw(copy.deepcopy(data))
        theirs = load("openai", path).construct(**copy.deepcopy(data))
        for options in ({}, {"mode": "json"}, {"warnings": "warn", "exclude": {"created"}}):
            with warnings.catch_warnings(record=True) as expected:
                warnings.simplefilter("always")
                expected_dump = theirs.model_dump(**options)
            with warnings.catch_warnings(record=True) as actual:
                warnings.simplefilter("always")
                actual_dump = ours.model_dump(**options)
            assert expected_dump == without_ours_only(actual_dump, expected_dump)
            assert [str(w.message) for w in expected] == [str(w.message) for w in actual]
            assert [w.category for w in expected] == [w.category for w in actual]
        with pytest.raises(pydantic_core.PydanticSerializationError) as theirs_error:
            theirs.model_dump(warnings="error")
        with pytest.raises(pydantic_core.PydanticSerializationError) as ours_error:
            ours.model_dump(warnings="error")
        assert str(theirs_error.value) == str(ours_error.value)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            for quiet in (False, "none"):
                assert ours.model_dump(warnings=quiet) == ours.model_dump(warnings=quiet)
