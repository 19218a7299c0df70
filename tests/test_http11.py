"""The sans-IO HTTP/1.1 response parser, through its public API only."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openai_actors._http11 import (
    MAX_HEAD_BYTES,
    EndOfMessage,
    ProtocolError,
    ResponseHead,
    ResponseParser,
    check_header,
)


def run(
    chunks: list[bytes], *, eof: bool = False, head_request: bool = False
) -> tuple[list[object], ResponseParser]:
    """Feed chunks one by one, pulling every event after each; return events and parser."""
    parser = ResponseParser(head_request=head_request)
    events: list[object] = []

    def drain() -> None:
        while (event := parser.next_event()) is not None:
            events.append(event)

    for chunk in chunks:
        parser.feed(chunk)
        drain()
    if eof:
        parser.feed_eof()
        drain()
    return events, parser


def collapse(events: list[object]) -> tuple[ResponseHead, bytes, int]:
    """(head, whole body, number of EndOfMessage events) from an event list."""
    heads = [e for e in events if isinstance(e, ResponseHead)]
    body = b"".join(e for e in events if isinstance(e, bytes))
    ends = sum(isinstance(e, EndOfMessage) for e in events)
    assert 1 == len(heads)
    return heads[0], body, ends


def splits(data: bytes) -> st.SearchStrategy[list[bytes]]:
    """Every way to cut `data` into consecutive chunks."""
    return st.lists(st.integers(0, len(data)), max_size=12).map(
        lambda cuts: [data[a:b] for a, b in zip([0, *sorted(cuts)], [*sorted(cuts), len(data)], strict=True)]
    )


LENGTH = b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 13\r\n\r\n{"a":"\xc3\xa9t\xc3\xa9"}'
CHUNKED = (
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-Request-Id: req_1\r\n\r\n"
    b"5\r\nhello\r\n1;ext=1\r\n \r\n6\r\nworld!\r\n0\r\nTrailer: x\r\n\r\n"
)


class TestFraming:
    def test_content_length_body_is_returned_whole_and_message_ends(self) -> None:
        """A Content-Length body comes out byte for byte, followed by one EndOfMessage."""
        events, parser = run([LENGTH])
        head, body, ends = collapse(events)
        assert (200, "OK") == (head.status, head.reason)
        assert b'{"a":"\xc3\xa9t\xc3\xa9"}' == body
        assert 1 == ends
        assert parser.reusable

    @given(st.data())
    def test_any_split_of_a_content_length_response_gives_the_same_events(self, data: st.DataObject) -> None:
        """Cutting the bytes anywhere, even inside a UTF-8 character, changes nothing."""
        chunks = data.draw(splits(LENGTH))
        head, body, ends = collapse(run(chunks)[0])
        assert (200, b'{"a":"\xc3\xa9t\xc3\xa9"}', 1) == (head.status, body, ends)

    @given(st.data())
    def test_any_split_of_a_chunked_response_gives_the_same_body(self, data: st.DataObject) -> None:
        """Chunk sizes, extensions and trailers are parsed across any split."""
        chunks = data.draw(splits(CHUNKED))
        events, parser = run(chunks)
        head, body, ends = collapse(events)
        assert (b"hello world!", 1, "req_1") == (body, ends, head.headers["x-request-id"])
        assert parser.reusable

    @settings(max_examples=50)
    @given(st.binary(max_size=300), st.data())
    def test_close_delimited_body_runs_to_eof(self, payload: bytes, data: st.DataObject) -> None:
        """Without length or chunking, the body is everything until the server closes."""
        raw = b"HTTP/1.1 200 OK\r\n\r\n" + payload
        events, parser = run(data.draw(splits(raw)), eof=True)
        _, body, ends = collapse(events)
        assert (payload, 1) == (body, ends)
        assert not parser.reusable

    @pytest.mark.parametrize("status", [204, 304])
    def test_no_body_statuses_end_right_after_the_head(self, status: int) -> None:
        """204 and 304 have no body, whatever Content-Length says."""
        events, parser = run([f"HTTP/1.1 {status} X\r\nContent-Length: 5\r\n\r\n".encode()])
        _, body, ends = collapse(events)
        assert (b"", 1, True) == (body, ends, parser.reusable)

    def test_head_request_has_no_body(self) -> None:
        """The answer to HEAD carries headers only."""
        events, _ = run([b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n"], head_request=True)
        assert (b"", 1) == collapse(events)[1:]

    def test_interim_100_continue_is_skipped(self) -> None:
        """1xx heads are not the response; the final one follows."""
        events, _ = run([b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok"])
        head, body, _ = collapse(events)
        assert (201, b"ok") == (head.status, body)

    def test_repeated_headers_are_joined(self) -> None:
        """Two lines of one header read as one comma-separated value, by lower-case name."""
        events, _ = run([b"HTTP/1.1 200 OK\r\nX-A: 1\r\nx-a: 2\r\nContent-Length: 0\r\n\r\n"])
        assert "1, 2" == collapse(events)[0].headers["x-a"]

    def test_identical_repeated_content_length_is_accepted(self) -> None:
        """'Content-Length: 2, 2' is the same length twice, which is allowed."""
        events, _ = run([b"HTTP/1.1 200 OK\r\nContent-Length: 2, 2\r\n\r\nok"])
        assert b"ok" == collapse(events)[1]


class TestConnectionReuse:
    def test_connection_close_makes_it_not_reusable(self) -> None:
        events, parser = run([b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"])
        assert 1 == collapse(events)[2]
        assert not parser.reusable

    def test_http10_is_not_reusable_without_keep_alive(self) -> None:
        _, parser = run([b"HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n"])
        assert not parser.reusable
        _, parser = run([b"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n"])
        assert parser.reusable

    def test_bytes_after_the_message_make_it_not_reusable(self) -> None:
        """Unasked-for bytes after a response mean the connection's state is unknown."""
        _, parser = run([b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokEXTRA"])
        assert parser.done
        assert not parser.reusable

    def test_not_reusable_before_the_message_is_complete(self) -> None:
        _, parser = run([b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nab"])
        assert not parser.done
        assert not parser.reusable


class TestErrors:
    @pytest.mark.parametrize(
        ("raw", "message"),
        [
            (b"SPDY/3 200 OK\r\n\r\n", "not an HTTP/1.x status line"),
            (b"HTTP/1.1 2x0 OK\r\n\r\n", "bad status code"),
            (b"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n", "malformed header line"),
            (b"HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n", "malformed header line"),
            (b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", "bad content-length"),
            (b"HTTP/1.1 200 OK\r\nContent-Length: 1, 2\r\n\r\n", "conflicting content-length"),
            (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", "unsupported transfer-encoding"),
            (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "bad chunk size"),
            (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nokXX", "not followed by CRLF"),
            (b"HTTP/1.1 101 Switching Protocols\r\n\r\n", "switched protocols"),
        ],
    )
    def test_malformed_responses_raise_protocol_error_saying_what(self, raw: bytes, message: str) -> None:
        """Each kind of garbage gets a ProtocolError whose message names the problem."""
        with pytest.raises(ProtocolError, match=message):
            run([raw])

    @pytest.mark.parametrize(
        ("raw", "message"),
        [
            (b"", "without sending a response"),
            (b"HTTP/1.1 200 OK\r\nContent-Le", "in the middle of the response head"),
            (b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", "7 bytes of the body unsent"),
            (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab", "middle of a chunked body"),
        ],
    )
    def test_early_eof_raises_protocol_error(self, raw: bytes, message: str) -> None:
        """A connection that ends before the message does is an error, never a short body."""
        with pytest.raises(ProtocolError, match=message):
            run([raw], eof=True)

    def test_head_larger_than_the_limit_is_refused(self) -> None:
        """A server that never ends its head cannot make the parser buffer without limit."""
        with pytest.raises(ProtocolError, match="larger than"):
            run([b"HTTP/1.1 200 OK\r\n" + b"X: " + b"a" * MAX_HEAD_BYTES])

    def test_feed_after_eof_is_a_programming_error(self) -> None:
        parser = ResponseParser()
        parser.feed_eof()
        with pytest.raises(RuntimeError):
            parser.feed(b"x")


class TestCheckHeader:
    @pytest.mark.parametrize("value", ["a\r\nX-Injected: 1", "a\nb", "nul\x00", "snow\u2603"])
    def test_values_that_would_corrupt_the_request_are_refused(self, value: str) -> None:
        with pytest.raises(ValueError, match="cannot be sent"):
            check_header("X-Test", value)

    @pytest.mark.parametrize("name", ["Authorization", "X-Api-Key", "Proxy-Authorization", "X-Auth-Token"])
    def test_credential_values_are_never_shown_in_the_error(self, name: str) -> None:
        """For headers named like credentials the message gives the position, not the value."""
        with pytest.raises(ValueError, match="position 16") as info:
            check_header(name, "Bearer sk-secret\n")
        assert "sk-secret" not in str(info.value)
        assert "position 16" in str(info.value)

    def test_other_values_are_shown_to_help_find_them(self) -> None:
        with pytest.raises(ValueError, match="bad"):
            check_header("X-Trace", "bad\n")

    @pytest.mark.parametrize("name", ["", "Bad Name", "colon:", "new\nline"])
    def test_bad_names_are_refused(self, name: str) -> None:
        with pytest.raises(ValueError, match="invalid HTTP header name"):
            check_header(name, "v")

    def test_ordinary_headers_pass(self) -> None:
        check_header("X-Custom_Header.1", "value with spaces, tabs\tand latin-1 é")
