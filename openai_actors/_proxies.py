"""Proxies from the environment (HTTP_PROXY, HTTPS_PROXY, ALL_PROXY, NO_PROXY), decided per origin.

The official SDK's httpx client honours these variables, by httpx's rules;
`ProxyRules` is those rules as a pure function of the variables (httpx's
`get_environment_proxies` and `URLPattern`, quirks included: a NO_PROXY entry
"10.0.0.0/8" exempts the host 10.0.0.0 only, ".example.com" exempts
subdomains but not example.com itself).

The native transport does not speak to proxies. So when the environment sets
one, the client's transport is a `RoutingTransport`: each channel goes native
for an origin no proxy applies to, and through an httpx client holding that
origin's proxy for the others. The decision is made for every origin a
request goes to, not once for base_url: an absolute URL, a copy made with
`with_options(base_url=...)` and a redirect to another host are routed like
any other request.
"""

from __future__ import annotations

import ipaddress
import re
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from ._transport import (
    Channel,
    Deadline,
    HttpxTransport,
    Origin,
    ResponseStream,
    Timeouts,
    Transport,
    WireRequest,
)
from ._urls import DEFAULT_PORTS, encode_host

__all__ = ["ProxyRules", "RoutingTransport"]


@dataclass(frozen=True, slots=True)
class _Pattern:
    """One key of httpx's proxy mounts ("all://*example.com", "https://"), and what it maps to."""

    scheme: str  # "" for any
    host: str  # "" for any
    host_regex: re.Pattern[str] | None
    port: int | None
    proxy: str | None  # None: no proxy

    @classmethod
    def parse(cls, key: str, proxy: str | None) -> _Pattern | None:
        """The pattern for `key`, or None if it is not a URL (httpx would refuse it)."""
        try:
            parts = urlsplit(key)
        except ValueError:  # e.g. "[fe80::/10]": not an IPv6 address
            return None
        scheme = "" if parts.scheme == "all" else parts.scheme.lower()
        raw_host = (parts.hostname or "").lower()
        host = "" if raw_host == "*" else _ascii_host(raw_host)
        try:
            port = parts.port
        except ValueError:
            port = None
        if port is not None and port == DEFAULT_PORTS.get(scheme):
            port = None  # httpx.URL drops a scheme's default port
        regex = None
        if host.startswith("*."):
            regex = re.compile(f"^.+\\.{re.escape(host[2:])}$")
        elif host.startswith("*"):
            regex = re.compile(f"^(.+\\.)?{re.escape(host[1:])}$")
        elif host:
            regex = re.compile(f"^{re.escape(host)}$")
        return cls(scheme, host, regex, port, proxy)

    def matches(self, origin: Origin) -> bool:
        if self.scheme and self.scheme != origin.scheme:
            return False
        if self.host_regex is not None and not self.host_regex.match(origin.host):
            return False
        # httpx compares with the URL's port, which is None for the scheme's default.
        port = None if origin.port == DEFAULT_PORTS.get(origin.scheme) else origin.port
        return self.port is None or self.port == port

    @property
    def priority(self) -> tuple[int, int, int]:
        """httpx's order: a port first, then the longest host, then the longest scheme."""
        return (0 if self.port is not None else 1, -len(self.host), -len(self.scheme))


def _ascii_host(host: str) -> str:
    """The host as origins carry it, encoded as `_urls` encodes them (IDNA 2008, as httpx does)."""
    if host.isascii():
        return host
    wildcard = "*." if host.startswith("*.") else "*" if host.startswith("*") else ""
    try:
        return wildcard + encode_host(host[len(wildcard) :])
    except ValueError:
        return host  # httpx refuses such a pattern; here it matches no origin (their hosts are ASCII)


def _is_ip(host: str, version: type[ipaddress.IPv4Address | ipaddress.IPv6Address]) -> bool:
    try:
        version(host.split("/")[0])
    except ValueError:
        return False
    return True


class ProxyRules:
    """Which proxy, if any, the environment sets for each origin, decided as httpx decides it."""

    __slots__ = ("_patterns",)

    def __init__(self, proxies: Mapping[str, str]) -> None:
        """`proxies`: as `urllib.request.getproxies()` returns them ({"https": url, "no": "a,b"})."""
        mounts: dict[str, str | None] = {}
        for scheme in ("http", "https", "all"):
            url = proxies.get(scheme)
            if url:
                mounts[f"{scheme}://"] = url if "://" in url else f"http://{url}"
        for entry in (host.strip() for host in proxies.get("no", "").split(",")):
            if entry == "*":
                mounts = {}
                break
            if not entry:
                continue
            if "://" in entry:
                mounts[entry] = None
            elif _is_ip(entry, ipaddress.IPv4Address):
                mounts[f"all://{entry}"] = None
            elif _is_ip(entry, ipaddress.IPv6Address):
                mounts[f"all://[{entry}]"] = None
            elif entry.lower() == "localhost":
                mounts[f"all://{entry}"] = None
            else:
                mounts[f"all://*{entry}"] = None
        patterns = [_Pattern.parse(key, proxy) for key, proxy in mounts.items()]
        # A NO_PROXY entry that is not a host (httpx refuses it) exempts nothing.
        self._patterns = tuple(sorted((p for p in patterns if p is not None), key=lambda p: p.priority))

    @classmethod
    def from_environment(cls) -> ProxyRules:
        # getproxies() as httpx calls it: the environment, and on macOS and
        # Windows the system's settings when the environment has none.
        return cls(urllib.request.getproxies())

    @property
    def proxies(self) -> frozenset[str]:
        """Every proxy URL some origin may be sent through; empty if none."""
        return frozenset(p.proxy for p in self._patterns if p.proxy is not None)

    def proxy_for(self, origin: Origin) -> str | None:
        """The proxy URL for `origin`, or None to connect directly."""
        for pattern in self._patterns:
            if pattern.matches(origin):
                return pattern.proxy
        return None


class RoutingTransport:
    """Native channels for origins no proxy applies to; httpx, through the proxy, for the others.

    A channel learns its origin from the first request it carries (the
    dispatcher gives each origin its own lanes) and changes route if a later
    request goes elsewhere. Redirects are left to the dispatcher, so that each
    hop is routed by its own origin; the httpx clients do not follow them.
    """

    follows_redirects = False

    def __init__(self, rules: ProxyRules, *, sync: bool = False) -> None:
        from ._connection import NativeTransport

        self._rules = rules
        self._native: Transport = NativeTransport(sync=sync)
        self._routes: dict[Origin, Transport] = {}
        self._via_proxy: dict[str, HttpxTransport] = {}
        # Built now, so that a proxy httpx cannot use fails here, at
        # construction, as it does in the official SDK.
        for proxy in sorted(rules.proxies):
            self._via_proxy[proxy] = _proxy_transport(proxy)

    def open_channel(self) -> Channel:
        return _RoutingChannel(self)

    def route(self, origin: Origin) -> Transport:
        """The transport for `origin`'s requests."""
        transport = self._routes.get(origin)
        if transport is None:
            proxy = self._rules.proxy_for(origin)
            if proxy is None:
                transport = self._native
            else:
                transport = self._via_proxy.get(proxy)
                if transport is None:  # after aclose(): the client is used from a new event loop
                    transport = self._via_proxy[proxy] = _proxy_transport(proxy)
            if len(self._routes) >= 1024:  # origins from absolute URLs and redirects: no unbounded growth
                self._routes.clear()
            self._routes[origin] = transport
        return transport

    async def aclose(self) -> None:
        # The httpx clients belong to the dispatcher's event loop: closed with
        # it, and made again if the client is used from another loop later.
        transports, self._via_proxy = list(self._via_proxy.values()), {}
        self._routes.clear()
        for transport in transports:
            await transport.aclose()
        await self._native.aclose()


def _proxy_transport(proxy: str) -> HttpxTransport:
    from ._httpx_clients import DefaultAsyncHttpxClient

    return HttpxTransport(DefaultAsyncHttpxClient(proxy=proxy, follow_redirects=False), owned=True)


class _RoutingChannel:
    __slots__ = ("_channel", "_origin", "_transport")

    def __init__(self, transport: RoutingTransport) -> None:
        self._transport = transport
        self._origin: Origin | None = None
        self._channel: Channel | None = None

    async def open(self, request: WireRequest, timeouts: Timeouts, deadline: Deadline) -> ResponseStream:
        origin = request.origin
        channel = self._channel
        if channel is None or (origin is not self._origin and origin != self._origin):
            deadline.arm("connect", timeouts.connect)  # before the first await, as Channel requires
            self._channel = None
            if channel is not None:
                await channel.aclose()
            channel = self._channel = self._transport.route(origin).open_channel()
            self._origin = origin
            # A channel that times its phases arms the deadline itself; httpx's
            # does not, and this arm must not outlive the switch, or the
            # watchdog would cut the exchange at the connect timeout.
            deadline.disarm()
        return await channel.open(request, timeouts, deadline)

    async def aclose(self) -> None:
        channel, self._channel = self._channel, None
        if channel is not None:
            await channel.aclose()
