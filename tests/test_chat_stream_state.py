"""The chat stream helper's state machine, sans-IO: chunk dicts in, events and snapshots out."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel

from openai_actors import ContentFilterFinishReasonError, LengthFinishReasonError, pydantic_function_tool
from openai_actors._helpers._chat_stream_state import accumulate_delta
from openai_actors.lib.streaming.chat import (
    ChatCompletionStreamState,
    ChunkEvent,
    ContentDeltaEvent,
    ContentDoneEvent,
    FunctionToolCallArgumentsDoneEvent,
)
from openai_actors.types.chat import ChatCompletionChunk


class Location(BaseModel):
    city: str
    temperature: float


STRICT_TOOL: dict[str, Any] = {
    "type": "function",
    "function": {
        "name": "lookup",
        "strict": True,
        "parameters": {"type": "object", "properties": {"q": {"type": "string"}}, "required": ["q"]},
    },
}
LOOSE_TOOL: dict[str, Any] = {"type": "function", "function": {"name": "loose", "parameters": {}}}


def chunk(*choices: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "gpt-4o",
        "system_fingerprint": "fp_1",
        "choices": list(choices),
        **extra,
    }


def delta(
    index: int = 0, finish_reason: str | None = None, logprobs: Any = None, **fields: Any
) -> dict[str, Any]:
    return {"index": index, "delta": fields, "logprobs": logprobs, "finish_reason": finish_reason}


def pieces(text: str, sizes: list[int]) -> Iterator[str]:
    start, i = 0, 0
    while start < len(text):
        size = sizes[i % len(sizes)] if sizes else 4
        yield text[start : start + size]
        start += size
        i += 1


def content_stream(text: str, sizes: list[int], choices: int = 1) -> list[dict[str, Any]]:
    out = [chunk(*(delta(i, role="assistant", content="", refusal=None) for i in range(choices)))]
    for piece in pieces(text, sizes):
        out += [chunk(delta(i, content=piece)) for i in range(choices)]
    out += [chunk(delta(i, finish_reason="stop")) for i in range(choices)]
    out.append(chunk(usage={"prompt_tokens": 3, "completion_tokens": 5, "total_tokens": 8}))
    return out


def tool_stream(calls: list[tuple[str, str]], sizes: list[int]) -> list[dict[str, Any]]:
    """Parallel tool calls as OpenAI streams them: each named in one chunk, then its arguments."""
    out = [chunk(delta(role="assistant", content=None, refusal=None))]
    for index, (name, arguments) in enumerate(calls):
        head = {
            "index": index,
            "id": f"call_{index}",
            "type": "function",
            "function": {"name": name, "arguments": ""},
        }
        out.append(chunk(delta(tool_calls=[head])))
        for piece in pieces(arguments, sizes):
            out.append(chunk(delta(tool_calls=[{"index": index, "function": {"arguments": piece}}])))
    out.append(chunk(delta(finish_reason="tool_calls")))
    return out


def ours(chunks: list[dict[str, Any]], **options: Any) -> tuple[ChatCompletionStreamState[Any], list[Any]]:
    state: ChatCompletionStreamState[Any] = ChatCompletionStreamState(**options)
    events = [event for data in chunks for event in state.handle_chunk(ChatCompletionChunk._from_raw(data))]
    return state, events


def summary(event: Any) -> tuple[Any, ...]:
    """An event's type and values, comparable between this package and the official SDK."""
    kind = event.type
    if kind == "chunk":
        return (kind, event.chunk.id, [c.message.content for c in event.snapshot.choices])
    if kind in ("content.delta", "refusal.delta"):
        return (kind, event.delta, event.snapshot, getattr(event, "parsed", None))
    if kind == "content.done":
        return (kind, event.content, event.parsed)
    if kind == "refusal.done":
        return (kind, event.refusal)
    if kind.startswith("tool_calls"):
        return (kind, event.name, event.index, event.arguments, event.parsed_arguments)
    if kind.startswith("logprobs"):
        values = [getattr(event, name) for name in ("content", "refusal", "snapshot") if hasattr(event, name)]
        return (kind, [[item.token for item in value] for value in values if value is not None])
    raise AssertionError(kind)


def official_events(chunks: list[dict[str, Any]], **options: Any) -> tuple[Any, list[Any]]:
    official = pytest.importorskip("openai")
    from openai.lib.streaming.chat import ChatCompletionStreamState as Official

    state = Official(**options)
    events = []
    for data in chunks:
        # Summarised at once: the official snapshot is one object, changed by later chunks.
        events += [
            summary(e)
            for e in state.handle_chunk(official.types.chat.ChatCompletionChunk.model_validate(data))
        ]
    return state, events


def final_summary(completion: Any) -> list[tuple[Any, ...]]:
    return [
        (
            choice.finish_reason,
            choice.message.content,
            choice.message.refusal,
            choice.message.parsed,
            [
                (c.function.name, c.function.arguments, c.function.parsed_arguments)
                for c in choice.message.tool_calls or ()
            ],
        )
        for choice in completion.choices
    ]


class TestAgreesWithTheOfficialSDK:
    """The same chunks through this state and through openai 3.3.1's: the same events, in
    the same order, with the same values, and the same final completion."""

    def check(
        self, chunks: list[dict[str, Any]], official_options: dict[str, Any] | None = None, **options: Any
    ) -> None:
        official_state, expected = official_events(chunks, **(official_options or options))
        state, got = ours(chunks, **options)
        assert expected == [summary(e) for e in got]
        assert final_summary(official_state.get_final_completion()) == final_summary(
            state.get_final_completion()
        )

    @given(st.text(max_size=40), st.lists(st.integers(1, 6), min_size=1, max_size=5), st.integers(1, 2))
    def test_text(self, text: str, sizes: list[int], choices: int) -> None:
        self.check(content_stream(text, sizes, choices))

    @given(st.text(max_size=20), st.floats(-50, 50), st.lists(st.integers(1, 7), min_size=1, max_size=5))
    def test_structured_output(self, city: str, temperature: float, sizes: list[int]) -> None:
        text = json.dumps({"city": city, "temperature": temperature})
        self.check(content_stream(text, sizes), response_format=Location)

    @given(st.lists(st.integers(1, 9), min_size=1, max_size=5))
    def test_parallel_tool_calls_of_strict_pydantic_and_loose_tools(self, sizes: list[int]) -> None:
        calls = [
            ("lookup", '{"q": "weather"}'),
            ("Location", '{"city": "Oslo", "temperature": -3.5}'),
            ("loose", '{"x": [1, 2]}'),
        ]
        tools = [STRICT_TOOL, pydantic_function_tool(Location), LOOSE_TOOL]
        official = pytest.importorskip("openai")
        official_tools = [STRICT_TOOL, official.pydantic_function_tool(Location), LOOSE_TOOL]
        self.check(tool_stream(calls, sizes), {"input_tools": official_tools}, input_tools=tools)

    @given(st.text(min_size=1, max_size=12), st.lists(st.integers(1, 5), min_size=1, max_size=3))
    def test_text_then_a_tool_call_in_two_interleaved_choices(self, text: str, sizes: list[int]) -> None:
        """The content is done when the choice turns to a tool call; choices interleave."""
        chunks = [chunk(*(delta(i, role="assistant", content="") for i in range(2)))]
        for piece in pieces(text, sizes):
            chunks.append(chunk(delta(1, content=piece), delta(0, content=piece)))
        for i in range(2):
            head = {
                "index": 0,
                "id": f"c{i}",
                "type": "function",
                "function": {"name": "lookup", "arguments": ""},
            }
            chunks.append(chunk(delta(i, tool_calls=[head])))
        for piece in pieces('{"q": "later"}', sizes):
            chunks += [
                chunk(delta(i, tool_calls=[{"index": 0, "function": {"arguments": piece}}])) for i in range(2)
            ]
        chunks.append(chunk(delta(0, finish_reason="tool_calls"), delta(1, finish_reason="tool_calls")))
        self.check(chunks, input_tools=[STRICT_TOOL])

    def test_a_refusal(self) -> None:
        refusal = "I'm sorry, I can't assist with that request."
        chunks = [chunk(delta(role="assistant", content=None, refusal=""))]
        chunks += [chunk(delta(refusal=piece)) for piece in pieces(refusal, [5])]
        chunks.append(chunk(delta(finish_reason="stop")))
        self.check(chunks, response_format=Location)

    def test_logprobs_of_content_and_refusal(self) -> None:
        def logprob(token: str) -> dict[str, Any]:
            return {"token": token, "logprob": -0.5, "bytes": list(token.encode()), "top_logprobs": []}

        chunks = [chunk(delta(role="assistant", content=""))]
        for token in ["Hel", "lo"]:
            chunks.append(
                chunk(delta(content=token, logprobs={"content": [logprob(token)], "refusal": None}))
            )
        chunks.append(chunk(delta(refusal="no", logprobs={"content": None, "refusal": [logprob("no")]})))
        chunks.append(chunk(delta(finish_reason="stop")))
        self.check(chunks)


class TestEvents:
    def test_text_deltas_carry_the_text_so_far_and_the_final_completion_adds_up(self) -> None:
        state, events = ours(content_stream("Hello world", [4]))
        deltas = [e for e in events if isinstance(e, ContentDeltaEvent) and e.delta]
        assert ["Hell", "o wo", "rld"] == [e.delta for e in deltas]
        assert ["Hell", "Hello wo", "Hello world"] == [e.snapshot for e in deltas]
        assert [("content.done", "Hello world", None)] == [
            summary(e) for e in events if e.type == "content.done"
        ]
        final = state.get_final_completion()
        assert "Hello world" == final.choices[0].message.content
        assert "chat.completion" == final.object
        assert final.usage is not None and 8 == final.usage.total_tokens

    def test_every_chunk_gives_a_chunk_event_first(self) -> None:
        chunks = content_stream("abcdefgh", [4])
        state: ChatCompletionStreamState[None] = ChatCompletionStreamState()
        for data in chunks:
            events = state.handle_chunk(ChatCompletionChunk._from_raw(data))
            assert isinstance(events[0], ChunkEvent)
            assert data["id"] == events[0].chunk.id

    def test_structured_content_is_previewed_then_parsed_into_the_type(self) -> None:
        text = '{"city": "Paris", "temperature": 21.5}'
        state, events = ours(content_stream(text, [9]), response_format=Location)
        previews = [e.parsed for e in events if isinstance(e, ContentDeltaEvent) and e.delta]
        # Pieces: `{"city": ` `"Paris", ` `"temperat` `ure": 21.` `5}`; "21." is not a number yet.
        paris = {"city": "Paris"}
        assert [{}, paris, paris, paris, {"city": "Paris", "temperature": 21.5}] == previews
        (done,) = [e for e in events if isinstance(e, ContentDoneEvent)]
        assert Location(city="Paris", temperature=21.5) == done.parsed
        assert done.parsed == state.current_completion_snapshot.choices[0].message.parsed
        assert done.parsed == state.get_final_completion().choices[0].message.parsed

    def test_a_pydantic_tool_call_is_parsed_into_its_model_when_done(self) -> None:
        arguments = '{"city": "Rome", "temperature": 30}'
        state, events = ours(
            tool_stream([("Location", arguments)], [7]), input_tools=[pydantic_function_tool(Location)]
        )
        deltas = [e for e in events if e.type == "tool_calls.function.arguments.delta"]
        assert arguments == deltas[-1].arguments
        assert {"city": "Rome", "temperature": 30} == deltas[-1].parsed_arguments
        (done,) = [e for e in events if isinstance(e, FunctionToolCallArgumentsDoneEvent)]
        assert Location(city="Rome", temperature=30) == done.parsed_arguments
        call = state.get_final_completion().choices[0].message.tool_calls
        assert call is not None and Location(city="Rome", temperature=30) == call[0].function.parsed_arguments

    def test_snapshots_handed_out_never_change(self) -> None:
        """Each chunk's snapshot is its own: what was read from an earlier one stays true of it."""
        state: ChatCompletionStreamState[None] = ChatCompletionStreamState()
        seen: list[tuple[Any, str | None]] = []
        for data in content_stream("one two three", [3]):
            state.handle_chunk(ChatCompletionChunk._from_raw(data))
            snapshot = state.current_completion_snapshot
            seen.append((snapshot, snapshot.choices[0].message.content))
        assert all(content == snapshot.choices[0].message.content for snapshot, content in seen)
        assert "one two three" == seen[-1][1]

    def test_a_chunk_may_be_handed_in_as_its_json_and_anything_else_is_a_type_error(self) -> None:
        state: ChatCompletionStreamState[None] = ChatCompletionStreamState()
        for data in content_stream("by hand", [3]):
            state.handle_chunk(data)
        assert "by hand" == state.get_final_completion().choices[0].message.content
        with pytest.raises(TypeError, match=r"takes a ChatCompletionChunk \(or its JSON dict\), not str"):
            state.handle_chunk("data: {}")  # type: ignore[arg-type]

    def test_state_before_any_chunk_says_so(self) -> None:
        with pytest.raises(RuntimeError, match="no chunk"):
            ChatCompletionStreamState().current_completion_snapshot  # noqa: B018


class TestFinishReasons:
    def test_length_with_something_to_parse_raises_with_the_completion(self) -> None:
        chunks = content_stream('{"city": "Pa', [4])
        chunks[-2] = chunk(delta(finish_reason="length"))
        state: ChatCompletionStreamState[Location] = ChatCompletionStreamState(response_format=Location)
        with pytest.raises(LengthFinishReasonError) as info:
            for data in chunks:
                state.handle_chunk(ChatCompletionChunk._from_raw(data))
        assert '{"city": "Pa' == info.value.completion.choices[0].message.content

    def test_content_filter_with_something_to_parse_raises(self) -> None:
        chunks = content_stream("{", [4])
        chunks[-2] = chunk(delta(finish_reason="content_filter"))
        with pytest.raises(ContentFilterFinishReasonError):
            ours(chunks, input_tools=[STRICT_TOOL])

    def test_length_with_nothing_to_parse_streams_on_and_the_final_completion_raises(self) -> None:
        """As in the official SDK: the events all come, but there is no final completion to
        parse from a cut answer."""
        chunks = content_stream("cut sho", [4])
        chunks[-2] = chunk(delta(finish_reason="length"))
        state, events = ours(chunks)
        assert "cut sho" == next(e for e in events if isinstance(e, ContentDoneEvent)).content
        assert "length" == state.current_completion_snapshot.choices[0].finish_reason
        with pytest.raises(LengthFinishReasonError):
            state.get_final_completion()


class TestAccumulateDelta:
    def test_strings_append_lists_merge_by_index_and_neither_input_changes(self) -> None:
        acc = {"content": "He", "tool_calls": [{"index": 0, "function": {"arguments": "{"}}]}
        delta_ = {
            "content": "llo",
            "tool_calls": [{"index": 0, "function": {"arguments": "}"}}, {"index": 1, "id": "b"}],
        }
        before = json.dumps([acc, delta_])
        merged = accumulate_delta(acc, delta_)
        assert {
            "content": "Hello",
            "tool_calls": [{"index": 0, "function": {"arguments": "{}"}}, {"index": 1, "id": "b"}],
        } == merged
        assert before == json.dumps([acc, delta_])

    def test_index_and_type_are_replaced_not_appended(self) -> None:
        assert {"index": 1, "type": "function"} == accumulate_delta(
            {"index": 0, "type": "func"}, {"index": 1, "type": "function"}
        )

    def test_a_list_entry_without_an_index_is_a_clear_error(self) -> None:
        with pytest.raises(ValueError, match="'tool_calls' entry has no integer 'index'"):
            accumulate_delta({"tool_calls": [{"index": 0}]}, {"tool_calls": [{"id": "x"}]})
