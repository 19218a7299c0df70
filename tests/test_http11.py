"""The sans-IO HTTP/1.1 response parser, through its public API only.

`TestStrictness` pins the grammar where h11 (the oracle of
test_http11_differential.py) and RFC 9112 draw the line; the last class shows
what a caller of the client sees of a parser error.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openai_actors import APIConnectionError, AsyncOpenAI
from openai_actors._http11 import (
    MAX_HEAD_BYTES,
    EndOfMessage,
    ProtocolError,
    ResponseHead,
    ResponseParser,
    check_header,
)

from .conftest import RawServer


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


def chunked(body: bytes) -> bytes:
    """A chunked 200 response whose body section (chunks and trailers) is `body`."""
    return b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + body


class TestStrictness:
    @pytest.mark.parametrize(
        "length",
        [b"9" * 5000, b"1" * 21, b"0x10", b"+5", b"5_0", b"\xef\xbc\x95"],
        ids=["5000 digits", "21 digits", "hex", "plus", "underscore", "fullwidth digit"],
    )
    def test_a_content_length_that_is_not_1_to_20_ascii_digits_is_a_protocol_error(
        self, length: bytes
    ) -> None:
        """No digit string, however long, reaches int() unbounded: it is bad framing, said so."""
        with pytest.raises(ProtocolError, match="bad content-length"):
            run([b"HTTP/1.1 200 OK\r\nContent-Length: " + length + b"\r\n\r\n"])

    def test_a_content_length_of_20_digits_with_leading_zeros_is_read(self) -> None:
        """20 digits is the bound (len(str(2**64))), as in h11; leading zeros are digits."""
        events, _ = run([b"HTTP/1.1 200 OK\r\nContent-Length: 00000000000000000002\r\n\r\nok"])
        assert b"ok" == collapse(events)[1]

    def test_content_length_values_are_compared_after_stripping_only_spaces_and_tabs(self) -> None:
        """A no-break space (0xA0) is not optional whitespace: '5,\\xa05' is two different values."""
        with pytest.raises(ProtocolError, match="conflicting content-length"):
            run([b"HTTP/1.1 200 OK\r\nContent-Length: 2,\xa02\r\n\r\nok"])

    @pytest.mark.parametrize(
        "size_line",
        [b"0_8", b" 8", b"8 ;x", b"+8", b"-8", b"0x8", b"", b";x", b"1" * 21, b"8\x0c", b"\xd9\xa8"],
        ids=[
            "underscore",
            "leading space",
            "space before ext",
            "plus",
            "minus",
            "0x",
            "empty",
            "ext only",
            "21 digits",
            "form feed",
            "arabic-indic digit",
        ],
    )
    def test_a_chunk_size_that_is_not_1_to_20_hex_digits_is_a_protocol_error(self, size_line: bytes) -> None:
        """The chunk-size grammar is 1*HEXDIG, bounded, with nothing int() would also forgive."""
        with pytest.raises(ProtocolError, match="bad chunk size"):
            run([chunked(size_line + b"\r\n" + b"x" * 8 + b"\r\n0\r\n\r\n")])

    @pytest.mark.parametrize(
        "size_line",
        [
            b"8",
            b"8 \t",
            b"8;name=value",
            b"8;",
            b"8;\x00\rodd",
            b"0000000000000000008",
            b"00000000000000000008",
        ],
        ids=[
            "plain",
            "trailing ows",
            "extension",
            "empty extension",
            "odd extension",
            "leading zeros",
            "20 digits",
        ],
    )
    def test_chunk_sizes_with_extensions_and_trailing_whitespace_are_read(self, size_line: bytes) -> None:
        """Extensions are skipped (anything up to CRLF, as in h11); trailing spaces and tabs are tolerated."""
        events, parser = run([chunked(size_line + b"\r\n" + b"x" * 8 + b"\r\n0\r\n\r\n")])
        assert (b"x" * 8, True) == (collapse(events)[1], parser.reusable)

    @pytest.mark.parametrize(
        "framing",
        [
            b"Transfer-Encoding: chunked, chunked",
            b"Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked",
            b"Transfer-Encoding: identity, chunked",
            b"Transfer-Encoding: gzip, chunked",
            b"Transfer-Encoding:",
            b"Transfer-Encoding: chun\xe2\x84\xaaed",
        ],
        ids=["chunked twice", "two lines", "identity first", "gzip first", "empty", "kelvin sign k"],
    )
    def test_only_exactly_chunked_is_accepted_as_transfer_encoding(self, framing: bytes) -> None:
        """Anything but the single coding 'chunked' (any ASCII case) is refused, as h11 refuses it."""
        with pytest.raises(ProtocolError, match="unsupported transfer-encoding"):
            run([b"HTTP/1.1 200 OK\r\n" + framing + b"\r\n\r\n0\r\n\r\n"])

    def test_transfer_encoding_is_case_insensitive(self) -> None:
        events, _ = run([b"HTTP/1.1 200 OK\r\nTransfer-Encoding: Chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n"])
        assert b"ok" == collapse(events)[1]

    @pytest.mark.parametrize(
        "head",
        [
            b"HTTP/1.1 100 Continue\r\nContent-Length: x\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
            b"HTTP/1.1 204 No Content\r\nContent-Length: 1, 2\r\n\r\n",
            b"HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: gzip\r\n\r\n",
        ],
        ids=["interim", "204", "304"],
    )
    def test_framing_headers_are_checked_even_on_responses_without_a_body(self, head: bytes) -> None:
        """A malformed Content-Length or Transfer-Encoding is refused wherever it appears, as in h11."""
        with pytest.raises(ProtocolError, match=r"content-length|transfer-encoding"):
            run([head])

    @pytest.mark.parametrize(
        ("line", "what"),
        [
            (b"X-A: a\x00b", "NUL"),
            (b"X-A: a\x0bb", "vertical tab"),
            (b"X-A: a\x0cb", "form feed"),
            (b"X-A: a\rb", "bare CR"),
            (b"X-A: a\r", "CR before CRLF"),
            (b"X-A: ab\x00", "trailing NUL"),
        ],
    )
    def test_nul_cr_vt_and_ff_in_a_header_value_are_refused(self, line: bytes, what: str) -> None:
        """The characters h11 refuses in a field value (NUL and whitespace other than SP/HTAB)."""
        with pytest.raises(ProtocolError, match="control character"):
            run([b"HTTP/1.1 200 OK\r\n" + line + b"\r\nContent-Length: 0\r\n\r\n"])

    @pytest.mark.parametrize("reason", [b"O\x00K", b"O\rK", b"O\x0cK"])
    def test_nul_cr_and_ff_in_the_reason_phrase_are_refused(self, reason: bytes) -> None:
        with pytest.raises(ProtocolError, match="control character"):
            run([b"HTTP/1.1 200 " + reason + b"\r\nContent-Length: 0\r\n\r\n"])

    def test_other_control_characters_and_obs_text_in_values_are_kept(self) -> None:
        """h11 lets \\x01..\\x1f (but CR, LF, VT, FF) and \\x7f-\\xff through: real cookies carry them."""
        events, _ = run([b"HTTP/1.1 200 OK\r\nSet-Cookie: a\x01b\x7f\tc\r\nContent-Length: 0\r\n\r\n"])
        assert "a\x01b\x7f\tc" == collapse(events)[0].headers["set-cookie"]

    @pytest.mark.parametrize(
        "name", [b"X(y)", b"X/y", b"caf\xc3\xa9", b"\xe2\x84\xaa", b"X\x01", b"", b"X\t", b"X "]
    )
    def test_a_header_name_must_be_a_token(self, name: bytes) -> None:
        """Field names are RFC 9110 tokens: no separators, spaces, controls or non-ASCII."""
        with pytest.raises(ProtocolError, match="malformed header line"):
            run([b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n" + name + b": v\r\n\r\n"])

    @pytest.mark.parametrize(
        "raw",
        [
            b"HTTP/1.1 200 OK\nContent-Length: 2\n\nok",
            b"HTTP/1.1 200 OK\r\nContent-Length: 2\n\r\nok",
            b"HTTP/1.1 200 OK\nContent-Length: 2\r\n\nok",
        ],
        ids=["all bare LF", "bare LF then CRLF", "CRLF then bare LF"],
    )
    def test_a_head_with_bare_lf_line_endings_is_read_at_once(self, raw: bytes) -> None:
        """Like h11, a bare LF ends a head line; a head ended by a blank line is never left waiting."""
        events, parser = run([raw])
        head, body, ends = collapse(events)
        assert (200, "OK", {"content-length": "2"}, b"ok", 1) == (
            head.status,
            head.reason,
            head.headers,
            body,
            ends,
        )
        assert parser.reusable

    def test_a_folded_header_line_is_joined_with_a_space(self) -> None:
        """obs-fold (RFC 9112 section 5.2): a user agent replaces it with SP, as h11 does."""
        events, _ = run([b"HTTP/1.1 200 OK\r\nX-A: one\r\n \t two \r\nContent-Length: 0\r\n\r\n"])
        assert "one two" == collapse(events)[0].headers["x-a"]

    def test_a_continuation_line_before_any_header_is_refused(self) -> None:
        with pytest.raises(ProtocolError, match="continuation line"):
            run([b"HTTP/1.1 200 OK\r\n folded\r\nContent-Length: 0\r\n\r\n"])

    @pytest.mark.parametrize(
        "start", [b"\r\n", b"\n", b" ", b"\x16\x03\x01"], ids=["CRLF", "LF", "space", "TLS"]
    )
    def test_a_response_starting_with_a_control_or_space_is_refused_at_once(self, start: bytes) -> None:
        """As in h11, the first byte decides: no waiting for the rest of a head that cannot be one."""
        with pytest.raises(ProtocolError, match=r"not an HTTP/1\.x status line"):
            run([start])

    def test_a_wrong_byte_after_chunk_data_is_refused_at_once(self) -> None:
        """As in h11: the first byte that cannot begin the CRLF after a chunk is enough."""
        with pytest.raises(ProtocolError, match="not followed by CRLF"):
            run([chunked(b"2\r\nokX")])

    @pytest.mark.parametrize(
        ("connection", "reusable"),
        [("keep-alive", True), ("xclose", True), ("keep-alive, Close", False), ("close ,upgrade", False)],
    )
    def test_connection_close_is_a_token_not_a_substring(self, connection: str, reusable: bool) -> None:
        """Only the token 'close' (any ASCII case, in a comma list) ends the connection."""
        raw = f"HTTP/1.1 200 OK\r\nConnection: {connection}\r\nContent-Length: 0\r\n\r\n".encode()
        assert reusable == run([raw])[1].reusable

    @pytest.mark.parametrize(
        ("connection", "reusable"),
        [("Keep-Alive", True), ("keep-alive, close", False), ("xkeep-alive", False)],
    )
    def test_http10_keep_alive_is_a_token_and_close_wins(self, connection: str, reusable: bool) -> None:
        raw = f"HTTP/1.0 200 OK\r\nConnection: {connection}\r\nContent-Length: 0\r\n\r\n".encode()
        assert reusable == run([raw])[1].reusable

    def test_an_http10_response_with_transfer_encoding_is_not_reusable(self) -> None:
        """RFC 9112 section 6.1: its framing is faulty, so the connection closes even with keep-alive."""
        raw = b"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
        events, parser = run([raw])
        assert (1, False) == (collapse(events)[2], parser.reusable)

    def test_trailers_may_end_with_bare_lf(self) -> None:
        events, parser = run([chunked(b"2\r\nok\r\n0\r\nX-T: 1\n\n")])
        assert (b"ok", 1, True) == (*collapse(events)[1:], parser.reusable)

    @pytest.mark.parametrize(
        "trailers", [b"no colon\r\n\r\n", b"X: a\x00\r\n\r\n", b"Content-Length: x\r\n\r\n"]
    )
    def test_trailers_are_checked_like_header_lines(self, trailers: bytes) -> None:
        """Trailers are skipped, but not unread: a malformed one is refused, as h11 refuses it."""
        with pytest.raises(ProtocolError):
            run([chunked(b"2\r\nok\r\n0\r\n" + trailers)])


class TestDeliberatelyStricterThanH11:
    """The differences test_http11_differential.py tolerates, pinned here."""

    @pytest.mark.parametrize("code", [b"600", b"999"])
    def test_status_codes_above_599_are_refused(self, code: bytes) -> None:
        """RFC 9110 section 15 calls them invalid; h11 reads up to 999."""
        with pytest.raises(ProtocolError, match="bad status code"):
            run([b"HTTP/1.1 " + code + b" X\r\nContent-Length: 0\r\n\r\n"])

    @pytest.mark.parametrize("version", [b"HTTP/1.2", b"HTTP/2.0", b"HTTP/0.9"])
    def test_versions_other_than_1_0_and_1_1_are_refused(self, version: bytes) -> None:
        """A server that answers an HTTP/1.1 request so is not speaking our protocol; h11 takes any d.d."""
        with pytest.raises(ProtocolError, match=r"not an HTTP/1\.x status line"):
            run([version + b" 200 OK\r\nContent-Length: 0\r\n\r\n"])


class TestThroughTheClient:
    pytestmark = pytest.mark.anyio

    async def test_a_huge_content_length_is_a_connection_error_and_retried(
        self, raw_server: RawServer
    ) -> None:
        """The parser's ProtocolError reaches the caller as APIConnectionError, retried like one."""
        huge = b"HTTP/1.1 200 OK\r\nContent-Length: " + b"9" * 5000 + b"\r\n\r\n{}"
        raw_server.replies = [huge, b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}"]
        async with AsyncOpenAI(api_key="sk", base_url=raw_server.url, max_retries=1) as client:
            assert {} == await client.get("x")
        assert 2 == raw_server.requests

    async def test_a_huge_content_length_without_retries_says_what_was_wrong(
        self, raw_server: RawServer
    ) -> None:
        raw_server.replies = [b"HTTP/1.1 200 OK\r\nContent-Length: " + b"9" * 5000 + b"\r\n\r\n{}"]
        async with AsyncOpenAI(api_key="sk", base_url=raw_server.url, max_retries=0) as client:
            with pytest.raises(APIConnectionError, match="bad content-length"):
                await client.get("x")


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
