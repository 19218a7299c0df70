"""Following redirects: httpx's rules, as a pure function, then on the wire."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from openai_actors import AsyncOpenAI
from openai_actors._redirect import Redirect, RedirectError, follow
from openai_actors._transport import Origin
from openai_actors.mock import Fault, MockServer

from .conftest import client_for

API = Origin("https", "api.example.com", 443)
METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


class TestFollow:
    def test_not_a_redirect(self) -> None:
        assert follow("POST", API, "/v1/x", 200, None) is None
        assert follow("POST", API, "/v1/x", 302, None) is None  # no Location

    @pytest.mark.parametrize("status", [307, 308])
    def test_307_and_308_resend_the_same_request(self, status: int) -> None:
        expected = Redirect(
            "POST",
            API,
            "/v2/x?a=1",
            keep_body=True,
            keep_credentials=True,
            drop_headers=frozenset({"cookie"}),
        )
        assert expected == follow("POST", API, "/v1/x", status, "/v2/x?a=1")

    @pytest.mark.parametrize("status", [301, 302, 303])
    def test_a_post_moved_by_301_302_or_303_becomes_a_get_without_body(self, status: int) -> None:
        redirect = follow("POST", API, "/v1/x", status, "y")
        assert redirect is not None
        assert ("GET", "/v1/y", False) == (redirect.method, redirect.target, redirect.keep_body)

    def test_303_keeps_head(self) -> None:
        redirect = follow("HEAD", API, "/a", 303, "/b")
        assert redirect is not None and "HEAD" == redirect.method

    def test_credentials_are_not_sent_to_another_host(self) -> None:
        redirect = follow("GET", API, "/a", 302, "https://elsewhere.example.com/a")
        assert redirect is not None
        assert (Origin("https", "elsewhere.example.com", 443), False) == (
            redirect.origin,
            redirect.keep_credentials,
        )

    def test_credentials_survive_an_upgrade_to_https_on_the_same_host(self) -> None:
        plain = Origin("http", "api.example.com", 80)
        redirect = follow("GET", plain, "/a", 301, "https://api.example.com/a")
        assert redirect is not None and redirect.keep_credentials

    def test_credentials_do_not_survive_a_downgrade_or_a_port_change(self) -> None:
        for location in ("http://api.example.com/a", "https://api.example.com:8443/a"):
            redirect = follow("GET", API, "/a", 302, location)
            assert redirect is not None and not redirect.keep_credentials

    @pytest.mark.parametrize("location", ["ftp://x/y", "mailto:a@b.example", "https://h:notaport/"])
    def test_unfollowable_locations_raise_saying_why(self, location: str) -> None:
        with pytest.raises(RedirectError, match="redirected to"):
            follow("GET", API, "/a", 302, location)

    @pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
    @pytest.mark.parametrize("method", METHODS)
    def test_the_method_is_the_one_httpx_would_send(self, method: str, status: int) -> None:
        """303 and 302 make anything but HEAD a GET (a 302 on DELETE, PUT or PATCH used to keep
        its method), 301 makes a POST a GET; the body goes whenever the method changes."""
        request = httpx.Request(method, "https://api.example.com/a")
        expected = httpx.Client()._redirect_method(request, httpx.Response(status, request=request))
        redirect = follow(method, API, "/a", status, "/b")
        assert redirect is not None
        assert (expected, expected == method) == (redirect.method, redirect.keep_body)

    @pytest.mark.parametrize(
        ("origin", "location", "dropped"),
        [
            (API, "/b", {"cookie"}),
            (
                API,
                "https://elsewhere.example.com/b",
                {"cookie", "host", "authorization", "proxy-authorization"},
            ),
            (
                API,
                "https://api.example.com:8443/b",
                {"cookie", "host", "authorization", "proxy-authorization"},
            ),
            (Origin("http", "api.example.com", 80), "https://api.example.com/b", {"cookie", "host"}),
        ],
    )
    def test_the_headers_that_must_not_follow_are_named(
        self, origin: Origin, location: str, dropped: set[str]
    ) -> None:
        """A caller's Host header names the old origin (httpx rewrites it); credentials stay only
        on the same origin or an http-to-https upgrade; httpx never carries a Cookie header on."""
        redirect = follow("GET", origin, "/a", 302, location)
        assert redirect is not None
        assert dropped == redirect.drop_headers

    def test_a_non_ascii_location_host_is_idna_encoded(self) -> None:
        redirect = follow("GET", API, "/a", 302, "https://bücher.example/ü?q=é")
        assert redirect is not None
        assert (Origin("https", "xn--bcher-kva.example", 443), "/%C3%BC?q=%C3%A9") == (
            redirect.origin,
            redirect.target,
        )

    def test_a_location_has_its_dot_segments_resolved_and_its_fragment_dropped(self) -> None:
        redirect = follow("GET", API, "/v1/a", 307, "https://other.example/x/../y/./z?q=1#frag")
        assert redirect is not None and "/y/z?q=1" == redirect.target

    @pytest.mark.parametrize("control", ["\r\n", "\t", "\x00", "\x7f"])
    def test_a_location_with_a_control_character_is_not_followed(self, control: str) -> None:
        """urlsplit would quietly drop CR, LF and TAB; httpx refuses such a Location, and so do we."""
        with pytest.raises(RedirectError, match="control character"):
            follow("GET", API, "/a", 302, f"/b{control}c")


@pytest.fixture
def elsewhere() -> Iterator[MockServer]:
    """A second server: another origin (same host, another port)."""
    with MockServer() as srv:
        yield srv


@pytest.mark.anyio
class TestOnTheWire:
    @pytest.mark.parametrize("method", ["DELETE", "PUT", "PATCH"])
    async def test_a_302_turns_delete_put_and_patch_into_a_get_without_body(
        self, server: MockServer, method: str
    ) -> None:
        server.script(Fault(status=302, headers={"location": "/v1/models"}, body=b"", path="/v1/things/1"))
        async with client_for(server) as client:
            verb = getattr(client, method.lower())
            await verb("things/1", body={"delete": "everything"})
        sent = [(r.method, r.path, r.body) for r in server.requests]
        assert [(method, "/v1/things/1", b'{"delete":"everything"}'), ("GET", "/v1/models", b"")] == sent

    async def test_a_callers_host_header_does_not_follow_a_redirect_to_another_origin(
        self, server: MockServer, elsewhere: MockServer
    ) -> None:
        """The caller's Host named the first origin; the second gets its own, and no key."""
        server.script(Fault(status=307, headers={"location": elsewhere.url + "/models"}, body=b""))
        async with AsyncOpenAI(api_key="sk-test", base_url=server.url) as client:
            await client.models.list(extra_headers={"Host": "api.example.com", "Cookie": "a=b"})
        assert "api.example.com" == server.requests[0].headers["host"]
        received = elsewhere.requests[0].headers
        assert (f"127.0.0.1:{elsewhere.port}", None, None) == (
            received["host"],
            received.get("authorization"),
            received.get("cookie"),
        )
