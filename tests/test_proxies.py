"""Proxies from the environment: decided per origin, for every request, by httpx's rules.

The scenario of the finding: HTTP_PROXY set, NO_PROXY exempting base_url's
host. base_url's requests go direct; an absolute URL, a copy made with
another base_url and a redirect to another host must go through the proxy
(they all went direct). A fake proxy on loopback stands in for the proxy and
for every host behind it, so nothing leaves the machine.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator

import anyio
import httpx
import pytest

from openai_actors import AsyncOpenAI, OpenAI
from openai_actors._connection import NativeTransport
from openai_actors._proxies import ProxyRules, RoutingTransport
from openai_actors._transport import HttpxTransport, Origin
from openai_actors.mock import Fault, MockServer

from .conftest import eventually

# An origin no test server listens on: reached only through the proxy. (If a
# request went direct, it would fail to connect, and the test with it.)
BEHIND_PROXY = "http://127.0.0.2:9"
LIST = json.dumps({"object": "list", "data": []}).encode()


class FakeProxy:
    """A loopback HTTP proxy that answers every request itself and records what it was asked."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, dict[str, str]]] = []  # (request line, lower-case headers)
        # A reply in parts is sent part by part, waiting for `hold` (if set) before each part after the first.
        self.replies: list[bytes | list[bytes]] = []
        self.hold: threading.Event | None = None
        self._lock = threading.Lock()
        self._conns: list[socket.socket] = []
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(16)
        self.port = self._sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        threading.Thread(target=self._accept, daemon=True).start()

    def lines(self) -> list[str]:
        with self._lock:
            return [line for line, _ in self.requests]

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            with self._lock:
                self._conns.append(conn)
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        buffer = b""
        try:
            while True:
                while b"\r\n\r\n" not in buffer:
                    chunk = conn.recv(65536)
                    if not chunk:
                        return
                    buffer += chunk
                head, buffer = buffer.split(b"\r\n\r\n", 1)
                line, *fields = head.decode("latin-1").split("\r\n")
                headers = {k.strip().lower(): v.strip() for k, v in (f.split(":", 1) for f in fields)}
                length = int(headers.get("content-length", "0"))
                while len(buffer) < length:
                    buffer += conn.recv(65536)
                buffer = buffer[length:]
                with self._lock:
                    self.requests.append((line, headers))
                    reply = self.replies.pop(0) if self.replies else None
                parts = [reply] if isinstance(reply, bytes) else reply or [_response(200, LIST)]
                for n, part in enumerate(parts):
                    if n and self.hold is not None:
                        self.hold.wait(30)
                    conn.sendall(part)
        except OSError:
            return
        finally:
            conn.close()

    def close(self) -> None:
        self._sock.close()
        with self._lock:
            for conn in self._conns:
                try:
                    conn.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


def _response(status: int, body: bytes = b"", headers: str = "") -> bytes:
    head = f"HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n{headers}\r\n"
    return head.encode() + body


@pytest.fixture
def proxy() -> Iterator[FakeProxy]:
    fake = FakeProxy()
    yield fake
    fake.close()


@pytest.fixture
def exempt_base_url(proxy: FakeProxy, monkeypatch: pytest.MonkeyPatch) -> None:
    """HTTP_PROXY is the fake proxy; NO_PROXY exempts 127.0.0.1, where the mock server listens."""
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")


def rules(**env: str) -> ProxyRules:
    """The rules for these variables, read the way httpx reads them (getproxies' keys)."""
    names = {"HTTP_PROXY": "http", "HTTPS_PROXY": "https", "ALL_PROXY": "all", "NO_PROXY": "no"}
    return ProxyRules({names[name]: value for name, value in env.items()})


def origin(url: str) -> Origin:
    parsed = httpx.URL(url)
    return Origin(parsed.scheme, parsed.host, parsed.port or (443 if parsed.scheme == "https" else 80))


NO_PROXY = "10.0.0.0/8,.example.com,foo.org,::1,localhost,http://internal:8080"
P = "http://p:3128"


class TestProxyRules:
    @pytest.mark.parametrize(
        ("url", "expected"),
        [
            ("http://api.openai.com", P),
            ("http://10.0.0.0", None),  # an address entry exempts that address...
            ("http://10.1.2.3", P),  # ...and a CIDR entry is no range to httpx: only its address
            ("http://a.example.com", None),  # ".example.com": subdomains...
            ("http://example.com", P),  # ...not the domain itself (curl's reading, not urllib's)
            ("http://foo.org", None),  # "foo.org": the domain and its subdomains...
            ("http://a.foo.org", None),
            ("http://afoo.org", P),  # ...not a name that only ends the same
            ("http://[::1]:8080", None),
            ("http://localhost:5000", None),
            ("http://127.0.0.1", P),
            ("http://internal:8080", None),  # an entry with a scheme and port exempts that exactly
            ("http://internal:8081", P),
            ("https://api.openai.com", None),  # HTTP_PROXY is for http:// origins only
        ],
    )
    def test_no_proxy_entries_exempt_what_httpx_exempts(self, url: str, expected: str | None) -> None:
        assert expected == rules(HTTP_PROXY=P, NO_PROXY=NO_PROXY).proxy_for(origin(url))

    @pytest.mark.parametrize(
        "env",
        [
            {"HTTP_PROXY": P, "NO_PROXY": NO_PROXY},
            {"HTTPS_PROXY": "p:3128", "NO_PROXY": "openai.com, .internal ,127.0.0.1"},
            {"ALL_PROXY": P, "HTTP_PROXY": "http://other:1", "NO_PROXY": "localhost"},
            {"ALL_PROXY": P, "NO_PROXY": "*"},
            {"HTTP_PROXY": P, "NO_PROXY": "all://*.corp:8443,https://secure.example"},
        ],
    )
    @pytest.mark.parametrize(
        "url",
        [
            "http://api.openai.com",
            "https://api.openai.com:443",
            "https://openai.com",
            "http://x.internal",
            "http://internal",
            "http://127.0.0.1:8000",
            "http://localhost",
            "https://a.corp:8443",
            "https://a.corp",
            "https://secure.example",
            "http://secure.example",
            "http://10.0.0.0",
            "http://[::1]",
            "http://xn--bcher-kva.example",
        ],
    )
    def test_the_decision_is_the_one_httpx_makes(
        self, env: dict[str, str], url: str, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Whatever the variables, an origin is proxied exactly when the official SDK's
        httpx client would proxy it."""
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        with httpx.Client() as client:
            direct = client._transport_for_url(httpx.URL(url)) is client._transport
        assert direct == (ProxyRules.from_environment().proxy_for(origin(url)) is None)

    def test_a_proxy_without_a_scheme_is_http(self) -> None:
        assert "http://p:3128" == rules(HTTPS_PROXY="p:3128").proxy_for(origin("https://h"))

    def test_without_proxy_variables_the_client_is_native(self) -> None:
        assert isinstance(AsyncOpenAI(api_key="sk")._core.transport, NativeTransport)

    @pytest.mark.usefixtures("exempt_base_url")
    def test_with_a_proxy_set_the_client_routes_even_when_base_url_is_exempt(self) -> None:
        """Before, an exempt base_url meant the native transport for every request."""
        transport = AsyncOpenAI(api_key="sk", base_url="http://127.0.0.1:1/v1")._core.transport
        assert isinstance(transport, RoutingTransport)
        assert isinstance(transport.route(origin("http://127.0.0.1:1")), NativeTransport)
        assert isinstance(transport.route(origin(BEHIND_PROXY)), HttpxTransport)
        anyio.run(transport.aclose)


@pytest.mark.anyio
@pytest.mark.usefixtures("exempt_base_url")
class TestRouting:
    async def test_base_url_goes_direct_and_an_absolute_url_elsewhere_through_the_proxy(
        self, server: MockServer, proxy: FakeProxy
    ) -> None:
        async with AsyncOpenAI(api_key="sk-test", base_url=server.url, max_retries=0) as client:
            await client.models.list()
            await client.get(BEHIND_PROXY + "/v1/models")
        assert ["/v1/models"] == [r.path for r in server.requests]
        assert [f"GET {BEHIND_PROXY}/v1/models HTTP/1.1"] == proxy.lines()

    async def test_a_copy_with_another_base_url_goes_through_the_proxy(
        self, server: MockServer, proxy: FakeProxy
    ) -> None:
        async with AsyncOpenAI(api_key="sk-test", base_url=server.url, max_retries=0) as client:
            await client.with_options(base_url=BEHIND_PROXY + "/v1").models.list()
        assert [f"GET {BEHIND_PROXY}/v1/models HTTP/1.1"] == proxy.lines()
        assert [] == server.requests

    async def test_a_redirect_to_another_host_goes_through_the_proxy_without_the_key(
        self, server: MockServer, proxy: FakeProxy
    ) -> None:
        server.script(Fault(status=307, headers={"location": BEHIND_PROXY + "/v1/models"}, body=b""))
        async with AsyncOpenAI(api_key="sk-test", base_url=server.url, max_retries=0) as client:
            await client.models.list()
        assert [f"GET {BEHIND_PROXY}/v1/models HTTP/1.1"] == proxy.lines()
        assert "authorization" not in proxy.requests[0][1]

    async def test_a_redirect_from_behind_the_proxy_to_an_exempt_host_goes_direct(
        self, server: MockServer, proxy: FakeProxy
    ) -> None:
        """The other way round: each hop is routed by its own origin (httpx does not follow it)."""
        proxy.replies.append(_response(302, headers=f"Location: {server.url}/models\r\n"))
        async with AsyncOpenAI(api_key="sk-test", base_url=BEHIND_PROXY + "/v1", max_retries=0) as client:
            await client.models.list()
        assert [f"GET {BEHIND_PROXY}/v1/models HTTP/1.1"] == proxy.lines()
        assert ["/v1/models"] == [r.path for r in server.requests]

    async def test_a_non_ascii_host_reaches_the_proxy_idna_encoded(self, proxy: FakeProxy) -> None:
        async with AsyncOpenAI(
            api_key="sk-test", base_url="http://bücher.example/v1", max_retries=0
        ) as client:
            await client.models.list()
        assert ["GET http://xn--bcher-kva.example/v1/models HTTP/1.1"] == proxy.lines()
        assert "xn--bcher-kva.example" == proxy.requests[0][1]["host"]


@pytest.mark.usefixtures("exempt_base_url")
def test_the_sync_client_routes_the_same_way(server: MockServer, proxy: FakeProxy) -> None:
    with OpenAI(api_key="sk-test", base_url=server.url, max_retries=0) as client:
        client.models.list()
        client.get(BEHIND_PROXY + "/v1/models")
    assert ["/v1/models"] == [r.path for r in server.requests]
    assert [f"GET {BEHIND_PROXY}/v1/models HTTP/1.1"] == proxy.lines()


@pytest.mark.usefixtures("exempt_base_url")
@pytest.mark.anyio
class TestSlowThroughTheProxy:
    """Behind the proxy, only httpx times the exchange: the connect timeout that the routing
    arms while it picks a channel must not go on to cut a slower answer."""

    CONNECT = 0.1

    def client(self) -> AsyncOpenAI:
        timeout = httpx.Timeout(30, connect=self.CONNECT)
        return AsyncOpenAI(api_key="sk-test", base_url=BEHIND_PROXY + "/v1", max_retries=0, timeout=timeout)

    async def test_a_whole_answer_slower_than_the_connect_timeout_arrives_once(
        self, proxy: FakeProxy
    ) -> None:
        proxy.hold = threading.Event()
        proxy.replies.append([b"", _response(200, LIST)])  # the head, only once released
        async with self.client() as client:
            async with anyio.create_task_group() as tg:
                tg.start_soon(lambda: client.get("/models"))
                await eventually(lambda: len(proxy.lines()) == 1)
                await anyio.sleep(self.CONNECT * 5)  # the server's slowness: well past the connect timeout
                proxy.hold.set()
        assert 1 == len(proxy.lines())

    async def test_a_stream_slower_than_the_connect_timeout_is_read_to_its_end(
        self, proxy: FakeProxy
    ) -> None:
        proxy.hold = threading.Event()
        first = b'data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"a"},"finish_reason":null}]}\n\n'
        last = b'data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"b"},"finish_reason":null}]}\n\ndata: [DONE]\n\n'
        head = b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nContent-Length: %d\r\n\r\n" % (
            len(first) + len(last)
        )
        proxy.replies.append([head + first, last])
        async with self.client() as client:
            stream = await client.chat.completions.create(
                model="m", messages=[{"role": "user", "content": "hi"}], stream=True
            )
            chunks = [await stream.__anext__()]
            await anyio.sleep(self.CONNECT * 5)  # the server's slowness: well past the connect timeout
            proxy.hold.set()
            chunks += [chunk async for chunk in stream]
        assert ["a", "b"] == [c.choices[0].delta.content for c in chunks]


def test_a_non_ascii_no_proxy_entry_is_encoded_as_hosts_are() -> None:
    """IDNA 2008, as httpx and this client's URLs encode hosts: "faß.de" is xn--fa-hia.de (the
    older IDNA 2003 codec makes it "fass.de", and the exemption missed)."""
    faß = Origin("http", "xn--fa-hia.de", 80)  # an origin's host is ASCII
    sub = Origin("http", "a.xn--fa-hia.de", 80)
    assert None is rules(HTTP_PROXY=P, NO_PROXY="http://faß.de").proxy_for(faß)
    assert P == rules(HTTP_PROXY=P, NO_PROXY="http://faß.de").proxy_for(origin("http://other.de/"))
    # Bare entries become wildcard patterns ("*faß.de", "*.faß.de"): the part after the
    # wildcard is encoded (httpx refuses such an entry outright, at construction).
    assert (None, None) == (
        rules(HTTP_PROXY=P, NO_PROXY="faß.de").proxy_for(faß),
        rules(HTTP_PROXY=P, NO_PROXY="faß.de").proxy_for(sub),
    )
    assert (P, None) == (
        rules(HTTP_PROXY=P, NO_PROXY=".faß.de").proxy_for(faß),
        rules(HTTP_PROXY=P, NO_PROXY=".faß.de").proxy_for(sub),
    )
