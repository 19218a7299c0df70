"""URLs on their way to the request line: encoded, never able to end it, hosts in IDNA form.

The rules are httpx's (`_urls.py` says which); where a test compares with
httpx, httpx is the specification.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

import httpx
import pytest

from openai_actors import AsyncOpenAI, OpenAI
from openai_actors._connection import _Connection
from openai_actors._request import build_call
from openai_actors._transport import Origin, WireRequest
from openai_actors._urls import (
    check_printable,
    encode_host,
    quote_path,
    quote_query,
    remove_dot_segments,
    split_url,
)
from openai_actors.mock import MockServer

from .conftest import client_for

KEY = "sk-secret-key-0123456789"
SMUGGLED = "x HTTP/1.1\r\nHost: api\r\n\r\nDELETE /v1/files/file-1 HTTP/1.1\r\nX-Pad: y"
CONTROLS = ["\r", "\n", "\r\n", "\t", "\x00", "\x0b", "\x1b", "\x7f"]


def target(path: str, base_url: str = "http://api.example.com/v1", **kwargs: Any) -> tuple[Origin, str]:
    """Where a generic-verb call for `path` goes: (origin, request target)."""
    options = AsyncOpenAI(api_key=KEY, base_url=base_url)._options
    call = build_call(options, "GET", path, **kwargs)
    return call.origin, call.target


class TestControlCharacters:
    @pytest.mark.parametrize("control", CONTROLS)
    @pytest.mark.parametrize(
        "path",
        [
            "models?search={}",
            "models/{}",
            "http://api.example.com/v1/models?search={}",
            "http://api.example.com/v1/{}/models",
        ],
    )
    def test_a_control_character_anywhere_in_the_path_is_a_value_error(self, path: str, control: str) -> None:
        """CR/LF would end the request line (a second request follows); urlsplit would silently
        drop CR, LF and TAB from an absolute URL; either way the caller must hear of it."""
        with pytest.raises(ValueError, match="control character"):
            target(path.format(control))

    def test_the_error_says_which_character_and_where_but_not_the_text(self) -> None:
        path = "models?search=" + SMUGGLED
        with pytest.raises(ValueError, match="control character") as info:
            target(path)
        message = str(info.value)
        assert f"'\\r' at position {path.index(chr(13))}" in message
        assert "DELETE" not in message and KEY not in message

    def test_check_printable_accepts_non_ascii_and_spaces(self) -> None:
        """Only ASCII controls are refused (as httpx does): the rest is percent-encoded."""
        check_printable("café au lait \u2028 \x85", "path")

    @pytest.mark.parametrize("control", CONTROLS)
    def test_a_base_url_with_a_control_character_is_refused_at_construction(self, control: str) -> None:
        with pytest.raises(ValueError, match="base_url contains the control character"):
            AsyncOpenAI(api_key=KEY, base_url=f"http://api.example{control}.com/v1")


class TestEncoding:
    @pytest.mark.parametrize(
        ("path", "expected"),
        [
            ("models?search=a b", "/v1/models?search=a%20b"),
            ("models?search=café", "/v1/models?search=caf%C3%A9"),
            ('models?q="<x>"', "/v1/models?q=%22%3Cx%3E%22"),
            ("models?q=100%", "/v1/models?q=100%25"),
            ("models?q=%41%2f%zz", "/v1/models?q=%41%2f%25zz"),
            ("models?a=1&b=/?:@", "/v1/models?a=1&b=/?:@"),
            ("models?q=x#fragment", "/v1/models?q=x"),
            ("models#fragment?q=x", "/v1/models"),
            ("files/ü b", "/v1/files/%C3%BC%20b"),
            ("files/%7E%zz", "/v1/files/%7E%25zz"),
            ("chat/completions", "/v1/chat/completions"),
        ],
    )
    def test_the_path_and_query_of_a_generic_call_are_percent_encoded(self, path: str, expected: str) -> None:
        """Valid %XX escapes are kept; a lone % and anything outside RFC 3986's sets are encoded."""
        assert expected == target(path)[1]

    def test_an_absolute_url_is_encoded_the_same_way(self) -> None:
        origin, sent = target("HTTPS://Other.Example:8443/a b/./c?q=é d#f")
        assert (Origin("https", "other.example", 8443), "/a%20b/c?q=%C3%A9%20d") == (origin, sent)

    def test_query_mappings_are_encoded_keys_and_values_alike(self) -> None:
        """default_query, the query parameters and extra_query never reach the line raw."""
        options = AsyncOpenAI(api_key=KEY, base_url="http://h/v1", default_query={"a\r\nb": "c d"})._options
        call = build_call(options, "GET", "models", query={"q": "\r\n"}, extra_query={"x&y": "1=2#"})
        assert "/v1/models?a%0D%0Ab=c+d&q=%0D%0A&x%26y=1%3D2%23" == call.target

    @pytest.mark.parametrize(
        "raw", ["a b", "ü/é", "%41%zz%", "x%2", "%%41", "~!$&'()*+,;=:@/", '"<>`{}|\\^[]', "a\u2028b"]
    )
    def test_what_is_sent_decodes_to_what_httpx_sends(self, raw: str) -> None:
        """The same text reaches the server as through httpx (which sends a lone % unencoded,
        and some characters RFC 3986 has no place for as they are)."""
        ours_path, ours_query = quote_path(raw), quote_query(raw)
        assert unquote(httpx.URL("http://h/" + raw).raw_path.decode()) == "/" + unquote(ours_path)
        assert unquote(httpx.URL("http://h/?" + raw).query.decode()) == unquote(ours_query)
        assert ours_path.isascii() and ours_query.isascii() and " " not in ours_path + ours_query


class TestDotSegments:
    @pytest.mark.parametrize(
        "path",
        [
            "/v1/files/..",
            "/v1/files/.",
            "/v1/a/./b/../c",
            "/v1/../../..",
            "/v1/.hidden/..x",
            "/./a/",
            "/a/b/..",
        ],
    )
    def test_dot_segments_are_resolved_as_httpx_resolves_them(self, path: str) -> None:
        assert (httpx.URL("http://h" + path).raw_path.decode() or "/") == remove_dot_segments(path)

    @pytest.mark.parametrize(
        ("path", "expected"),
        [
            ("files/../models", "/v1/models"),
            ("..", "/"),
            ("./models", "/v1/models"),
            ("a/%2e%2e", "/v1/a/%2e%2e"),
        ],
    )
    def test_a_generic_call_sends_its_path_with_dot_segments_resolved(self, path: str, expected: str) -> None:
        """No proxy on the way can resolve them differently; %2e%2e is not a dot segment (httpx neither)."""
        assert expected == target(path)[1]

    def test_a_base_url_with_dot_segments_is_resolved(self) -> None:
        assert "http://h/v2/" == AsyncOpenAI(api_key=KEY, base_url="http://h/v1/../v2").base_url


class TestHosts:
    def test_a_non_ascii_base_url_host_is_idna_encoded(self) -> None:
        client = OpenAI(api_key=KEY, base_url="https://Bücher.example/v1")
        assert "https://xn--bcher-kva.example/v1/" == client.base_url
        assert Origin("https", "xn--bcher-kva.example", 443) == client._options.origin

    def test_a_non_ascii_host_in_an_absolute_url_is_idna_encoded(self) -> None:
        assert Origin("http", "xn--bcher-kva.example", 8080) == target("http://bücher.example:8080/x")[0]

    def test_the_native_request_head_names_the_idna_host(self) -> None:
        """Before, encoding the Host line raised UnicodeEncodeError for such a host."""
        origin, sent = target("http://bücher.example/v1/models")
        request = WireRequest("GET", origin, sent, build_options_headers(), [], b"")
        head = _Connection._head(request, b"")
        assert head.startswith(b"GET /v1/models HTTP/1.1\r\nHost: xn--bcher-kva.example\r\n")

    def test_encode_host_matches_httpx(self) -> None:
        for host in ("bücher.example", "Example.COM", "münchen.de", "127.0.0.1"):
            assert httpx.URL(f"http://{host}/").raw_host.decode() == encode_host(host)

    @pytest.mark.parametrize(
        ("url", "message"),
        [
            ("http://exa mple.com/", "invalid host"),
            ("http://[::1x]/", "not a valid URL|invalid IPv6"),
            ("http://xn--a.example/\u0000", "control character"),
            ("ftp://h/", "http:// or https://"),
            ("http://h:99999/", "invalid port"),
            ("http://\udcff.example/", "not a valid IDNA name"),
        ],
    )
    def test_bad_urls_are_value_errors_saying_what_is_wrong(self, url: str, message: str) -> None:
        with pytest.raises(ValueError, match=message):
            split_url(url)


def build_options_headers() -> Any:
    return AsyncOpenAI(api_key=KEY, base_url="http://h/v1")._options.headers


@pytest.mark.anyio
class TestOnTheWire:
    async def test_a_smuggled_request_never_reaches_the_server(self, server: MockServer) -> None:
        """The reproduction: a search text with CR LF in it made the server see a second
        request, a DELETE carrying the key. Now the caller gets a ValueError and nothing is sent."""
        async with AsyncOpenAI(api_key=KEY, base_url=server.url) as client:
            with pytest.raises(ValueError, match="control character"):
                await client.get("models?search=" + SMUGGLED)
            await client.get("models")
        assert [("GET", "/v1/models")] == [(r.method, r.path) for r in server.requests]

    async def test_a_non_ascii_query_arrives_as_the_caller_wrote_it(self, server: MockServer) -> None:
        async with client_for(server) as client:
            await client.get("models?search=café au lait&n=100%")
        assert {"search": ["café au lait"], "n": ["100%"]} == server.requests[0].query
