"""`data_residency=` (the regional base URL) and `DefaultAioHttpClient`, as openai 3.3.1 has them.

The region tests are pure: clients are made and never send; what is checked is
`client.base_url` and the errors. Where the official SDK is installed, the same
cases are run on it and must come out the same. The aiohttp client sends one
request to the mock server, when `httpx-aiohttp` is installed (this package
does not depend on it).
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import typing
from collections.abc import Callable, Iterator
from typing import Any

import pytest

import openai_actors
from openai_actors import AsyncOpenAI, OpenAI, OpenAIError
from openai_actors._httpx_clients import AIOHTTP_MISSING, _aiohttp_client_class
from openai_actors._options import DATA_RESIDENCY_BASE_URLS
from openai_actors.mock import MockServer

from .conftest import chat_body

pytestmark = pytest.mark.timeout(60)

REGIONS = {
    "global": "https://api.openai.com/v1/",
    "us": "https://us.api.openai.com/v1/",
    "eu": "https://eu.api.openai.com/v1/",
    "ae": "https://ae.api.openai.com/v1/",
}
WITH_BASE_URL = "The `data_residency` and `base_url` arguments are mutually exclusive"
WITH_WEBSOCKET = "The `data_residency` and `websocket_base_url` arguments are mutually exclusive"
INVALID = "Invalid `data_residency`; expected one of 'global', 'us', 'eu', or 'ae'"
ENV_URL = "http://env.example/v9"


@pytest.fixture(params=[OpenAI, AsyncOpenAI], ids=["sync", "async"])
def cls(request: pytest.FixtureRequest) -> type[Any]:
    return typing.cast("type[Any]", request.param)


@pytest.fixture
def made() -> Iterator[Callable[..., Any]]:
    """Makes clients (none sends) and closes the sync ones' threads after the test."""
    clients: list[Any] = []

    def make(cls: type[Any], **options: Any) -> Any:
        client = cls(**options)
        clients.append(client)
        return client

    yield make
    for client in clients:
        if isinstance(client, OpenAI):
            client.close()


class TestTheType:
    def test_exported_with_the_official_values(self) -> None:
        assert ("global", "us", "eu", "ae") == typing.get_args(openai_actors.DataResidency)
        assert "DataResidency" in openai_actors.__all__

    def test_every_value_has_its_url(self) -> None:
        assert set(typing.get_args(openai_actors.DataResidency)) == set(DATA_RESIDENCY_BASE_URLS)

    def test_the_type_comes_without_the_clients(self) -> None:
        code = (
            "import sys\n"
            "from openai_actors import DataResidency\n"
            "assert 'openai_actors._options' not in sys.modules\n"
            "assert 'openai_actors._client' not in sys.modules\n"
        )
        subprocess.run([sys.executable, "-c", code], check=True, timeout=50)


class TestConstructor:
    @pytest.mark.parametrize(("region", "url"), REGIONS.items())
    def test_each_region_selects_its_url(
        self, cls: type[Any], made: Callable[..., Any], region: str, url: str
    ) -> None:
        client = made(cls, api_key="sk", data_residency=region)
        assert url == client.base_url
        assert client.websocket_base_url is None

    def test_none_is_no_region(self, cls: type[Any], made: Callable[..., Any]) -> None:
        assert REGIONS["global"] == made(cls, api_key="sk", data_residency=None).base_url

    def test_the_region_wins_over_openai_base_url(
        self, cls: type[Any], made: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("OPENAI_BASE_URL", ENV_URL)
        assert REGIONS["eu"] == made(cls, api_key="sk", data_residency="eu").base_url
        assert ENV_URL + "/" == made(cls, api_key="sk").base_url

    @pytest.mark.parametrize(
        ("options", "message"),
        [
            ({"base_url": "http://localhost:8/v1"}, WITH_BASE_URL),
            ({"base_url": None}, WITH_BASE_URL),  # given, even as None
            ({"websocket_base_url": "wss://x.example/v1"}, WITH_WEBSOCKET),
            ({"base_url": "http://localhost:8/v1", "websocket_base_url": "wss://x"}, WITH_BASE_URL),
        ],
    )
    def test_exclusive_with_the_urls(self, cls: type[Any], options: dict[str, Any], message: str) -> None:
        with pytest.raises(ValueError, match="^" + _escaped(message) + "$"):
            cls(api_key="sk", data_residency="eu", **options)

    @pytest.mark.parametrize("region", ["EU", "", "mars", " eu", 5, ["eu"], b"eu"])
    def test_an_invalid_region(self, cls: type[Any], region: object) -> None:
        with pytest.raises(ValueError, match="^" + _escaped(INVALID) + "$"):
            cls(api_key="sk", data_residency=region)

    def test_the_urls_are_checked_before_the_region(self, cls: type[Any]) -> None:
        with pytest.raises(ValueError, match="mutually exclusive"):
            cls(api_key="sk", data_residency="mars", base_url="http://localhost:8/v1")

    def test_the_region_is_checked_before_the_key(self, cls: type[Any]) -> None:
        with pytest.raises(ValueError, match="Invalid `data_residency`"):
            cls(data_residency="mars")
        with pytest.raises(OpenAIError):
            cls(data_residency="eu")  # a valid region does not stand in for the key


class TestCopy:
    def test_the_region_replaces_the_base_url(self, cls: type[Any], made: Callable[..., Any]) -> None:
        client = made(
            cls,
            api_key="sk",
            base_url="http://localhost:8/v1",
            default_headers={"X-Team": "a"},
            max_retries=5,
        )
        for copy in (client.with_options(data_residency="eu"), client.copy(data_residency="eu")):
            assert REGIONS["eu"] == copy.base_url
            assert ("sk", 5, "a") == (copy.api_key, copy.max_retries, copy.default_headers["X-Team"])
        assert "http://localhost:8/v1/" == client.base_url  # the original is unchanged

    def test_the_region_drops_the_inherited_websocket_url(
        self, cls: type[Any], made: Callable[..., Any]
    ) -> None:
        client = made(cls, api_key="sk", websocket_base_url="wss://x.example/v1")
        assert "wss://x.example/v1" == client.with_options(timeout=3).websocket_base_url
        assert client.with_options(data_residency="us").websocket_base_url is None

    def test_a_copy_keeps_the_region_until_told_otherwise(
        self, cls: type[Any], made: Callable[..., Any]
    ) -> None:
        client = made(cls, api_key="sk", data_residency="ae")
        assert REGIONS["ae"] == client.with_options(timeout=3).base_url
        assert REGIONS["ae"] == client.with_options(base_url=None).base_url
        assert REGIONS["us"] == client.with_options(data_residency="us").base_url
        assert "http://localhost:8/v1/" == client.with_options(base_url="http://localhost:8/v1").base_url

    def test_the_region_wins_over_openai_base_url(
        self, cls: type[Any], made: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("OPENAI_BASE_URL", ENV_URL)
        client = made(cls, api_key="sk")
        assert REGIONS["eu"] == client.with_options(data_residency="eu").base_url
        assert ENV_URL + "/" == client.with_options(timeout=3).base_url

    @pytest.mark.parametrize(
        ("options", "message"),
        [
            ({"base_url": "http://localhost:8/v1"}, WITH_BASE_URL),
            ({"base_url": None}, WITH_BASE_URL),
            ({"websocket_base_url": "wss://x.example/v1"}, WITH_WEBSOCKET),
            ({}, INVALID),
        ],
    )
    def test_the_same_errors(
        self, cls: type[Any], made: Callable[..., Any], options: dict[str, Any], message: str
    ) -> None:
        client = made(cls, api_key="sk")
        region = "eu" if options else "mars"
        with pytest.raises(ValueError, match="^" + _escaped(message) + "$"):
            client.with_options(data_residency=region, **options)


# --- the same cases on the official SDK ----------------------------------------------------

# (environment's OPENAI_BASE_URL, constructor options, copy options or None for no copy)
PARITY: list[tuple[str | None, dict[str, Any], dict[str, Any] | None]] = [
    (None, {"data_residency": "eu"}, None),
    (ENV_URL, {"data_residency": "us"}, None),
    (ENV_URL, {}, {"data_residency": "ae"}),
    (None, {"data_residency": "global", "base_url": None}, None),
    (None, {"data_residency": "eu", "base_url": "http://localhost:8/v1"}, None),
    (None, {"data_residency": "eu", "websocket_base_url": "wss://x"}, None),
    (None, {"data_residency": "EU"}, None),
    (None, {"data_residency": "mars", "base_url": "http://localhost:8/v1"}, None),
    (None, {"data_residency": "eu"}, {"max_retries": 1}),
    (None, {"data_residency": "eu"}, {"base_url": None}),
    (None, {"data_residency": "eu"}, {"base_url": "http://localhost:8/v1"}),
    (None, {"base_url": "http://localhost:8/v1"}, {"data_residency": "ae"}),
    (None, {"websocket_base_url": "wss://x"}, {"data_residency": "ae"}),
    (None, {}, {"data_residency": "eu", "base_url": None}),
    (None, {}, {"data_residency": "eu", "websocket_base_url": "wss://x"}),
    (None, {}, {"data_residency": "nowhere"}),
]


def _outcome(
    cls: type[Any], monkeypatch: pytest.MonkeyPatch, env: str | None, options: dict[str, Any], copy: Any
) -> tuple[str, ...]:
    if env is None:
        monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    else:
        monkeypatch.setenv("OPENAI_BASE_URL", env)
    try:
        client = cls(api_key="sk", **options)
        if copy is not None:
            client = client.with_options(**copy)
    except Exception as e:
        return (type(e).__name__, str(e))
    ws = client.websocket_base_url
    result = ("ok", str(client.base_url), "" if ws is None else str(ws))
    if isinstance(client, OpenAI):
        client.close()
    return result


@pytest.mark.parametrize(("env", "options", "copy"), PARITY)
def test_as_the_official_sdk(
    monkeypatch: pytest.MonkeyPatch, env: str | None, options: dict[str, Any], copy: Any
) -> None:
    official = pytest.importorskip("openai")
    if not hasattr(official, "DataResidency"):
        pytest.skip("the installed openai has no data_residency")
    for ours, theirs in ((OpenAI, official.OpenAI), (AsyncOpenAI, official.AsyncOpenAI)):
        assert _outcome(theirs, monkeypatch, env, options, copy) == _outcome(
            ours, monkeypatch, env, options, copy
        )


# --- DefaultAioHttpClient -------------------------------------------------------------------

HAVE_AIOHTTP = importlib.util.find_spec("httpx_aiohttp") is not None
OFFICIAL_MISSING = "To use the aiohttp client you must have installed the package with the `aiohttp` extra"


class TestAioHttpClient:
    def test_exported(self) -> None:
        import httpx

        assert "DefaultAioHttpClient" in openai_actors.__all__
        assert issubclass(openai_actors.DefaultAioHttpClient, httpx.AsyncClient)

    def test_without_the_package_making_one_says_to_install_it(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setitem(sys.modules, "httpx_aiohttp", None)  # as if not installed
        missing = _aiohttp_client_class()
        with pytest.raises(RuntimeError) as caught:
            missing()
        assert AIOHTTP_MISSING == str(caught.value)
        assert AIOHTTP_MISSING.startswith(OFFICIAL_MISSING)
        assert "pip install httpx-aiohttp" in AIOHTTP_MISSING

    def test_without_the_package_at_the_top_level(self) -> None:
        code = (
            "import sys\n"
            "sys.modules['httpx_aiohttp'] = None\n"
            "import openai_actors\n"
            "try:\n"
            "    openai_actors.DefaultAioHttpClient()\n"
            "except RuntimeError as e:\n"
            f"    assert str(e).startswith({OFFICIAL_MISSING!r}), e\n"
            "else:\n"
            "    raise AssertionError('made without httpx-aiohttp')\n"
        )
        subprocess.run([sys.executable, "-c", code], check=True, timeout=50)

    @pytest.mark.skipif(not HAVE_AIOHTTP, reason="httpx-aiohttp is not installed (not a dependency)")
    def test_the_defaults(self) -> None:
        import asyncio

        import httpx

        from openai_actors import DefaultAioHttpClient

        async def main() -> None:
            http = DefaultAioHttpClient()
            assert (httpx.Timeout(600.0, connect=5.0), True) == (http.timeout, http.follow_redirects)
            assert type(http._transport).__name__ == "AiohttpTransport"
            await http.aclose()
            http = DefaultAioHttpClient(timeout=7.0, follow_redirects=False)
            assert (httpx.Timeout(7.0), False) == (http.timeout, http.follow_redirects)
            await http.aclose()

        asyncio.run(main())

    @pytest.mark.skipif(not HAVE_AIOHTTP, reason="httpx-aiohttp is not installed (not a dependency)")
    @pytest.mark.parametrize("anyio_backend", ["asyncio"])  # aiohttp runs on asyncio only
    @pytest.mark.anyio
    async def test_requests_go_through_it(self, anyio_backend: str) -> None:
        from openai_actors import DefaultAioHttpClient

        with MockServer() as server:
            http = DefaultAioHttpClient()
            try:
                async with AsyncOpenAI(
                    api_key="sk-test", base_url=server.url, http_client=http, max_retries=0
                ) as client:
                    completion = await client.chat.completions.create(**chat_body("via aiohttp"))
                    assert "echo: via aiohttp" == completion.choices[0].message.content
                    stream = await client.chat.completions.create(**chat_body("a b c"), stream=True)
                    pieces = [c.choices[0].delta.content async for c in stream if c.choices]
                    assert "echo: a b c" == "".join(p for p in pieces if p)
                    models = await client.models.list()
                    assert models.data
            finally:
                await http.aclose()
            assert ["/v1/chat/completions", "/v1/chat/completions", "/v1/models"] == [
                r.path for r in server.requests
            ]
            assert "Bearer sk-test" == server.requests[0].headers["authorization"]
            assert "via aiohttp" in server.requests[0].body.decode()
            assert server.connections_opened >= 1


def _escaped(message: str) -> str:
    import re

    return re.escape(message)
