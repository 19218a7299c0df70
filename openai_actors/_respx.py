"""While respx is mocking, requests go where respx answers them, never to the network.

respx intercepts httpx: its default mocker patches httpcore's connection
pools, and `respx.mock(using="httpx")` patches the transport httpx's clients
pick per URL. The native transport is neither, so without this a request
sent while a test has `respx.mock` active would go past the routes to the
real server, with the real key. So the native channel asks, for every
request, whether respx is mocking; if it is, the request goes through an
httpx client of its own, where respx sees it as it sees the official SDK's:
a matched route answers, an unmatched one raises respx's error, a
pass-through route goes out as respx lets it.

Asked per request, not once per client: a client is often built before the
mock starts (at module level), and outlives it. While respx is not imported
the question costs one dict lookup.
"""

from __future__ import annotations

import sys
from typing import Final

import anyio

from ._transport import HttpxTransport

__all__ = ["RespxRoute", "respx_mocking"]

_MODULES: Final = sys.modules


def respx_mocking() -> bool:
    """Whether a respx router is active (started and not yet stopped) in this process."""
    mocks = _MODULES.get("respx.mocks")
    if mocks is None:
        return False
    try:
        for mocker in mocks.Mocker.registry.values():
            if mocker.routers:
                return True
    except AttributeError:
        # A respx that keeps its mockers elsewhere: through httpx, where it
        # would intercept, rather than risk the network.
        return True
    return False


class RespxRoute:
    """The httpx client requests take while respx mocks: one per transport, made on first need.

    Made in the dispatcher's event loop and closed with the transport (so a
    client used from a later loop makes another). A sync client's dispatcher
    sends through a sync `httpx.Client` in worker threads, as the official
    `OpenAI` does: respx then runs its sync handler, and a route answering
    with a sync byte stream works as it does there.
    """

    __slots__ = ("_sync", "_transport")

    def __init__(self, *, sync: bool) -> None:
        self._sync = sync
        self._transport: HttpxTransport | None = None

    @property
    def transport(self) -> HttpxTransport:
        transport = self._transport
        if transport is None:
            from ._httpx_clients import DefaultAsyncHttpxClient, DefaultHttpxClient

            # The dispatcher follows redirects for the native transport; it
            # does here too, so that each hop is routed on its own.
            client = (
                DefaultHttpxClient(follow_redirects=False)
                if self._sync
                else DefaultAsyncHttpxClient(follow_redirects=False)
            )
            transport = self._transport = HttpxTransport(client, owned=True)
        return transport

    async def aclose(self) -> None:
        transport, self._transport = self._transport, None
        if transport is not None:
            with anyio.CancelScope(shield=True):
                await transport.aclose()
