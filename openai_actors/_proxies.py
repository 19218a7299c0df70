"""Whether the environment asks for a proxy (HTTP_PROXY, HTTPS_PROXY, ALL_PROXY, NO_PROXY).

The official SDK's httpx client honours these variables; the native transport
does not speak to proxies, so when one applies, the client uses httpx instead.
"""

from __future__ import annotations

import urllib.request

from ._transport import Origin

__all__ = ["proxy_for"]


def proxy_for(origin: Origin) -> str | None:
    """The proxy URL the environment sets for `origin`, or None."""
    proxies = urllib.request.getproxies_environment()
    proxy = proxies.get(origin.scheme) or proxies.get("all")
    if not proxy:
        return None
    bypass = getattr(urllib.request, "proxy_bypass_environment")  # noqa: B009 - not in typeshed
    return None if bypass(origin.host, proxies) else proxy
