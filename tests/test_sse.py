"""The sans-IO event-stream decoder, through its public API only."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openai_actors._sse import ServerSentEvent, SSEDecoder


def decode(*chunks: bytes) -> list[ServerSentEvent]:
    """Every event a fresh decoder gives for these chunks, fed in order, then closed."""
    decoder = SSEDecoder()
    events = [event for chunk in chunks for event in decoder.feed(chunk)]
    return events + decoder.close()


def sse(
    data: str, *, event: str | None = None, id: str | None = None, retry: int | None = None
) -> ServerSentEvent:
    return ServerSentEvent(event=event, data=data, id=id, retry=retry)


def splits(data: bytes) -> st.SearchStrategy[list[bytes]]:
    """Every way to cut `data` into consecutive chunks, empty ones included."""
    return st.lists(st.integers(0, len(data)), max_size=16).map(
        lambda cuts: [data[a:b] for a, b in zip([0, *sorted(cuts)], [*sorted(cuts), len(data)], strict=True)]
    )


class TestUTF8:
    def test_a_character_cut_between_chunks_is_joined(self) -> None:
        """A chunk may end inside a multi-byte character; the next one completes it."""
        assert [sse("é€😀")] == decode(b"data: \xc3", b"\xa9\xe2\x82", b"\xac\xf0\x9f\x98", b"\x80\n\n")

    def test_invalid_bytes_become_replacement_characters(self) -> None:
        """Bytes that are not UTF-8 are replaced with U+FFFD rather than raising."""
        assert [sse("a\ufffdb\ufffd")] == decode(b"data: a\xffb\xc3\n\n")

    def test_a_truncated_character_before_a_line_end_is_replaced(self) -> None:
        """A lead byte followed by a new chunk that does not continue it is invalid, not held forever."""
        assert [sse("\ufffd")] == decode(b"data: \xe2\x82", b"\n\n")

    def test_a_leading_byte_order_mark_is_ignored(self) -> None:
        """One BOM at the start of the stream is not part of the first field name."""
        assert [sse("x")] == decode(b"\xef\xbb\xbfdata: x\n\n")

    def test_a_byte_order_mark_cut_between_chunks_is_still_ignored(self) -> None:
        """The BOM is recognised as a character, wherever the chunks split it."""
        assert [sse("x")] == decode(b"\xef", b"\xbb", b"\xbfdata: x\n\n")

    def test_only_the_first_byte_order_mark_is_ignored(self) -> None:
        """A second BOM, or one later in the stream, is an ordinary character (here, of a field name)."""
        assert [] == decode(b"\xef\xbb\xbf\xef\xbb\xbfdata: x\n\n")
        assert [sse("a")] == decode(b"data: a\n\n\xef\xbb\xbfdata: b\n\n")


class TestLineEnds:
    @pytest.mark.parametrize("end", [b"\n", b"\r\n", b"\r"])
    def test_lf_crlf_and_cr_each_end_a_line(self, end: bytes) -> None:
        """The three line endings read the same."""
        raw = b"event: e" + end + b"data: a" + end + b"data: b" + end + end
        assert [sse("a\nb", event="e")] == decode(raw)

    def test_mixed_line_ends_in_one_stream(self) -> None:
        """Each line may end differently."""
        assert [sse("a\nb\nc")] == decode(b"data: a\rdata: b\r\ndata: c\n\r\n")

    def test_cr_at_the_end_of_a_chunk_and_lf_at_the_start_of_the_next_are_one_line_end(self) -> None:
        """Split CRLF is not CR followed by an empty line, which would dispatch early."""
        assert [sse("a\nb")] == decode(b"data: a\r", b"\ndata: b\r\n\r\n")

    def test_a_chunk_ending_in_cr_completes_its_line_at_once(self) -> None:
        """The decoder does not wait to see whether LF follows: the event is out with this chunk."""
        decoder = SSEDecoder()
        assert [sse("a")] == decoder.feed(b"data: a\r\r")
        assert [] == decoder.feed(b"\n")  # the LF of the second CRLF, not another blank line
        assert [sse("b")] == decoder.feed(b"data: b\n\n")

    def test_lf_after_cr_is_only_dropped_right_after_it(self) -> None:
        """An empty chunk between CR and LF does not break the pair; other text does."""
        assert [sse("a\nb")] == decode(b"data: a\r", b"", b"\ndata: b\n\n")
        assert [sse("a"), sse("b")] == decode(b"data: a\r", b"\r", b"\n\ndata: b\n\n")

    def test_a_line_cut_into_many_chunks_is_reassembled(self) -> None:
        """Text without a line end waits for the rest of its line."""
        assert [sse("abcdef")] == decode(b"da", b"ta", b": a", b"bc", b"def", b"\n", b"\n")


class TestFields:
    def test_comment_lines_are_ignored(self) -> None:
        """A line starting with a colon is a comment, even inside an event."""
        assert [sse("a\nb")] == decode(b": keep-alive\n\n:\ndata: a\n: note\ndata: b\n\n")

    def test_a_line_without_a_colon_is_a_field_with_an_empty_value(self) -> None:
        """`data` alone appends an empty line, so the event is dispatched with empty data."""
        assert [sse("")] == decode(b"data\n\n")
        assert [sse("\nx")] == decode(b"data\ndata: x\n\n")

    def test_exactly_one_space_after_the_colon_is_removed(self) -> None:
        """`data:x` and `data: x` are the same; a second space is part of the value."""
        assert [sse("x\nx\n x\nx ")] == decode(b"data:x\ndata: x\ndata:  x\ndata: x \n\n")

    def test_only_the_first_colon_separates_name_and_value(self) -> None:
        """Colons in the value are kept, as in any JSON payload."""
        assert [sse('{"a": "b:c"}')] == decode(b'data: {"a": "b:c"}\n\n')

    def test_data_lines_are_joined_with_lf(self) -> None:
        """Empty data lines contribute empty lines; there is no trailing LF."""
        assert [sse("a\n\nb")] == decode(b"data: a\ndata:\ndata: b\n\n")

    def test_event_sets_the_type(self) -> None:
        """The `event:` value is the event's type; the last one given wins."""
        assert [sse("x", event="b")] == decode(b"event: a\nevent: b\ndata: x\n\n")

    def test_an_empty_event_type_is_none(self) -> None:
        """An empty `event:` is the spec's default type, which is None here."""
        assert [sse("x")] == decode(b"event:\ndata: x\n\n")

    def test_id_persists_across_events(self) -> None:
        """The last event id belongs to the stream, not to one event."""
        assert [sse("a", id="1"), sse("b", id="1"), sse("c", id="2")] == decode(
            b"id: 1\ndata: a\n\ndata: b\n\nid: 2\ndata: c\n\n"
        )

    def test_an_id_containing_nul_is_ignored(self) -> None:
        """The spec ignores such an id; the previous one stands."""
        assert [sse("a", id="1")] == decode(b"id: 1\nid: x\x00y\ndata: a\n\n")

    def test_an_empty_id_clears_it(self) -> None:
        """`id:` with no value resets the last event id to none."""
        assert [sse("a", id="1"), sse("b")] == decode(b"id: 1\ndata: a\n\nid\ndata: b\n\n")

    def test_an_id_in_a_block_without_data_still_counts(self) -> None:
        """An id-only block dispatches nothing but sets the id the next event carries."""
        decoder = SSEDecoder()
        assert [] == decoder.feed(b"id: 7\n\n")
        assert "7" == decoder.last_event_id
        assert [sse("a", id="7")] == decoder.feed(b"data: a\n\n")

    def test_retry_is_given_with_its_event_only(self) -> None:
        """`retry:` is reported on the event it came with, and not on later ones."""
        assert [sse("a", retry=1500), sse("b")] == decode(b"retry: 1500\ndata: a\n\ndata: b\n\n")

    @pytest.mark.parametrize(
        "value", [b"", b"-1", b"+5", b"1.5", b"10a", b" 5", b"\xd9\xa1\xd9\xa2", b"\xc2\xb2"]
    )
    def test_retry_that_is_not_all_ascii_digits_is_ignored(self, value: bytes) -> None:
        """Signs, spaces, decimals, and non-ASCII digits (Arabic-Indic, superscript) are not a retry."""
        decoder = SSEDecoder()
        assert [sse("a")] == decoder.feed(b"retry: " + value + b"\ndata: a\n\n")
        assert None is decoder.reconnection_time

    def test_the_reconnection_time_outlives_its_event(self) -> None:
        """The decoder remembers the last valid retry, even from a block that dispatched nothing."""
        decoder = SSEDecoder()
        decoder.feed(b"retry: 3000\n\ndata: a\n\n")
        assert 3000 == decoder.reconnection_time

    def test_unknown_fields_are_ignored(self) -> None:
        """Field names other than the four are skipped; names are case-sensitive."""
        assert [sse("a")] == decode(b"foo: bar\nData: x\nEVENT: y\ndata: a\n\n")


class TestDispatch:
    def test_a_blank_line_without_data_dispatches_nothing(self) -> None:
        """An event needs at least one data line, even an empty one."""
        assert [] == decode(b"\n\n\nevent: e\n\nid: 1\nretry: 5\n\n")

    def test_the_event_type_is_reset_even_when_nothing_is_dispatched(self) -> None:
        """A type in a block without data does not leak into the next event."""
        assert [sse("x")] == decode(b"event: lost\n\ndata: x\n\n")

    def test_done_is_an_ordinary_event(self) -> None:
        """`[DONE]` is the stream layer's business; here it is data like any other."""
        assert [sse("[DONE]"), sse("after")] == decode(b"data: [DONE]\n\ndata: after\n\n")

    def test_one_chunk_can_complete_several_events(self) -> None:
        """Events come out in order, all from the chunk that completed them."""
        decoder = SSEDecoder()
        assert [sse("a"), sse("b"), sse("c")] == decoder.feed(b"data: a\n\ndata: b\n\ndata: c\n\ndata: d")
        assert [sse("d")] == decoder.feed(b"\n\n")

    def test_json_decodes_the_data(self) -> None:
        """`json()` parses the data as JSON."""
        assert {"a": [1, 2]} == decode(b'data: {"a":\ndata: [1, 2]}\n\n')[0].json()


class TestEndOfStream:
    @pytest.mark.parametrize("tail", [b"data: x", b"data: x\n", b"data: x\r", b"event: e\ndata: x\n"])
    def test_an_event_without_its_blank_line_is_discarded(self, tail: bytes) -> None:
        """As in the spec and the official SDK: a stream cut off mid-event yields no partial event."""
        decoder = SSEDecoder()
        assert [sse("a")] == decoder.feed(b"data: a\n\n" + tail)
        assert [] == decoder.close()

    def test_feeding_after_close_is_an_error(self) -> None:
        """Bytes after the end of the stream mean the caller lost track of it."""
        decoder = SSEDecoder()
        decoder.close()
        with pytest.raises(RuntimeError, match="after close"):
            decoder.feed(b"data: x\n\n")


# -- properties ------------------------------------------------------------------

# Field values: any text that can be encoded, minus the line-end characters.
VALUE = st.text(st.characters(codec="utf-8", exclude_characters="\r\n"), max_size=12)
ID = st.text(st.characters(codec="utf-8", exclude_characters="\r\n\x00"), max_size=8)
EVENT = st.tuples(
    st.none() | VALUE,  # event
    st.lists(VALUE, min_size=1, max_size=3),  # data lines
    st.none() | ID,  # id
    st.none() | st.integers(0, 10**12),  # retry
    st.booleans(),  # a comment line first
    st.booleans(),  # an unknown field last
)
Event = tuple[str | None, list[str], str | None, int | None, bool, bool]


def encode_lines(events: list[Event], data: st.DataObject) -> list[str]:
    """The lines (without their ends) of a stream carrying these events."""
    lines: list[str] = []
    for event, data_lines, id, retry, comment, unknown in events:
        if comment:
            lines.append(": " + data.draw(VALUE))
        if event is not None:
            lines.append("event: " + event)
        if id is not None:
            lines.append("id: " + id)
        if retry is not None:
            lines.append(f"retry: {retry}")
        for value in data_lines:
            forms = ["data: " + value]
            if not value.startswith(" "):
                forms.append("data:" + value)
            if not value:
                forms.append("data")
            lines.append(data.draw(st.sampled_from(forms)))
        if unknown:
            lines.append("x-unknown: " + data.draw(VALUE))
        lines.append("")
    return lines


def join_lines(lines: list[str], data: st.DataObject) -> str:
    """The lines, each ended by CR, LF or CRLF at random."""
    out: list[str] = []
    previous_end = ""
    for line in lines:
        end = data.draw(st.sampled_from(["\n", "\r", "\r\n"]))
        if previous_end == "\r" and not line and end == "\n":
            end = "\r\n"  # CR then an empty line ended by LF would be one CRLF: unencodable
        out.append(line + end)
        previous_end = end
    return "".join(out)


def expected_events(events: list[Event]) -> list[ServerSentEvent]:
    out: list[ServerSentEvent] = []
    last_id: str | None = None
    for event, data_lines, id, retry, _, _ in events:
        if id is not None:
            last_id = id or None
        out.append(sse("\n".join(data_lines), event=event or None, id=last_id, retry=retry))
    return out


# Syntax, a BOM, pieces of multi-byte characters, and bytes that are never UTF-8.
PIECES = [b"data", b"event", b"id", b"retry", b":", b" ", b"\r", b"\n", b"\r\n", b"5", b"x", b"\x00"]
PIECES += [b"\xef\xbb\xbf", b"\xc3", b"\xa9", b"\xe2\x82", b"\xf0\x9f\x98\x80", b"\xff", b"\x80"]
NOISE = st.binary(max_size=200) | st.lists(st.sampled_from(PIECES), max_size=60).map(b"".join)


class TestProperties:
    @settings(max_examples=300)
    @given(st.lists(EVENT, max_size=5), st.booleans(), st.data())
    def test_any_stream_split_anywhere_gives_the_events_it_encodes(
        self, events: list[Event], bom: bool, data: st.DataObject
    ) -> None:
        """Any line ends, any cuts (inside characters, between CR and LF): the same, right events."""
        raw = (("\ufeff" if bom else "") + join_lines(encode_lines(events, data), data)).encode()
        whole = decode(raw)
        assert expected_events(events) == whole
        assert whole == decode(*data.draw(splits(raw)))

    @given(st.lists(EVENT, min_size=1, max_size=3), st.data())
    def test_a_byte_at_a_time_gives_the_same_events(self, events: list[Event], data: st.DataObject) -> None:
        """The smallest chunks are the hardest split of all."""
        raw = join_lines(encode_lines(events, data), data).encode()
        assert decode(raw) == decode(*(raw[i : i + 1] for i in range(len(raw))))

    @settings(max_examples=300)
    @given(NOISE, st.data())
    def test_arbitrary_bytes_never_raise_and_any_split_agrees(self, raw: bytes, data: st.DataObject) -> None:
        """Garbage in, never an exception out; and chunking never changes the result."""
        whole = decode(raw)
        assert whole == decode(*data.draw(splits(raw)))
        assert all(isinstance(event.data, str) for event in whole)


# -- real-world streams ---------------------------------------------------------


def chat_chunk(delta: dict[str, object], finish_reason: str | None = None) -> bytes:
    chunk = {
        "id": "chatcmpl-9xYz",
        "object": "chat.completion.chunk",
        "created": 1718000000,
        "model": "gpt-4o-mini-2024-07-18",
        "system_fingerprint": "fp_0aa8d3e20b",
        "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}],
    }
    return b"data: " + json.dumps(chunk, separators=(",", ":")).encode() + b"\n\n"


CHAT_STREAM = b"".join(
    [
        chat_chunk({"role": "assistant", "content": "", "refusal": None}),
        chat_chunk({"content": "Bonjour"}),
        chat_chunk({"content": " à"}),
        chat_chunk({"content": " vous 👋"}),
        chat_chunk({}, "stop"),
        b"data: [DONE]\n\n",
    ]
)

RESPONSES_STREAM = (
    b"event: response.created\n"
    b'data: {"type":"response.created","sequence_number":0,"response":{"id":"resp_1","object":"response",'
    b'"status":"in_progress","output":[]}}\n\n'
    b"event: response.output_text.delta\n"
    b'data: {"type":"response.output_text.delta","sequence_number":1,"item_id":"msg_1","output_index":0,'
    b'"content_index":0,"delta":"Hi"}\n\n'
    b"event: response.output_text.delta\n"
    b'data: {"type":"response.output_text.delta","sequence_number":2,"item_id":"msg_1","output_index":0,'
    b'"content_index":0,"delta":" there"}\n\n'
    b"event: response.completed\n"
    b'data: {"type":"response.completed","sequence_number":3,"response":{"id":"resp_1","object":"response",'
    b'"status":"completed"}}\n\n'
)

# Gateways keep idle connections open with comments; some servers use CRLF.
GATEWAY_STREAM = (
    b": PROCESSING\r\n\r\n: PROCESSING\r\n\r\n"
    + chat_chunk({"content": "ok"}).replace(b"\n", b"\r\n")
    + b"data: [DONE]\r\n\r\n"
)


class TestRealWorld:
    def test_a_chat_completions_stream(self) -> None:
        """Every chunk is one event with no type; the content deltas rebuild the text; [DONE] ends it."""
        events = decode(CHAT_STREAM)
        assert "[DONE]" == events[-1].data
        chunks = [event.json() for event in events[:-1]]
        assert "Bonjour à vous 👋" == "".join(c["choices"][0]["delta"].get("content", "") for c in chunks)
        assert {None} == {event.event for event in events}

    def test_a_responses_stream_types_each_event(self) -> None:
        """Each `event:` line names the event, and agrees with the type inside its data."""
        events = decode(RESPONSES_STREAM)
        assert [
            "response.created",
            "response.output_text.delta",
            "response.output_text.delta",
            "response.completed",
        ] == [event.event for event in events]
        assert [event.event for event in events] == [event.json()["type"] for event in events]

    def test_a_gateway_stream_with_keep_alive_comments_and_crlf(self) -> None:
        """Comment-only blocks dispatch nothing; CRLF streams read as LF ones."""
        events = decode(GATEWAY_STREAM)
        assert ["ok", None] == [
            events[0].json()["choices"][0]["delta"]["content"],
            None if events[1].data == "[DONE]" else events[1].data,
        ]

    @pytest.mark.parametrize("raw", [CHAT_STREAM, RESPONSES_STREAM, GATEWAY_STREAM])
    def test_the_official_sdk_reads_the_same_events(self, raw: bytes) -> None:
        """On well-formed streams the official decoder and this one agree, field for field."""
        streaming = pytest.importorskip("openai._streaming")
        official = [
            (e.event, e.data, e.id, e.retry)
            for e in streaming.SSEDecoder().iter_bytes(iter([raw[i : i + 7] for i in range(0, len(raw), 7)]))
        ]
        assert official == [(e.event, e.data, e.id, e.retry) for e in decode(raw)]
