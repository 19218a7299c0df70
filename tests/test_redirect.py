"""Following redirects: httpx's rules, as a pure function."""

from __future__ import annotations

import pytest

from openai_actors._redirect import Redirect, RedirectError, follow
from openai_actors._transport import Origin

API = Origin("https", "api.example.com", 443)


class TestFollow:
    def test_not_a_redirect(self) -> None:
        assert follow("POST", API, "/v1/x", 200, None) is None
        assert follow("POST", API, "/v1/x", 302, None) is None  # no Location

    @pytest.mark.parametrize("status", [307, 308])
    def test_307_and_308_resend_the_same_request(self, status: int) -> None:
        expected = Redirect("POST", API, "/v2/x?a=1", keep_body=True, keep_credentials=True)
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
