"""What every generated method shares: the request options, and checking keyword arguments."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypedDict

from .._request import strip_not_given
from .._types import Body, Headers, NotGiven, Query

if TYPE_CHECKING:
    import httpx

__all__ = ["REQUEST_OPTION_NAMES", "RequestOptionParams", "check_keys", "split_options"]


class RequestOptionParams(TypedDict, total=False):
    """The per-request options every resource method takes, as in the official SDK."""

    extra_headers: Headers | None
    extra_query: Query | None
    extra_body: Body | None
    timeout: float | httpx.Timeout | NotGiven | None


REQUEST_OPTION_NAMES = frozenset(RequestOptionParams.__annotations__)


def check_keys(
    function: str, params: Mapping[str, object], allowed: frozenset[str], required: tuple[str, ...]
) -> None:
    """Raise the TypeError Python raises for a bad call: unknown or missing keyword arguments."""
    for name in params:
        if name not in allowed:
            raise TypeError(f"{function}() got an unexpected keyword argument {name!r}")
    missing = [name for name in required if name not in params]
    if missing:
        names = " and ".join(repr(m) for m in sorted(missing))
        plural = "s" if len(missing) > 1 else ""
        raise TypeError(
            f"{function}() missing {len(missing)} required keyword-only argument{plural}: {names}"
        )


def split_options(params: Mapping[str, Any]) -> tuple[dict[str, object], dict[str, Any]]:
    """(the body parameters that were given, the per-request options)."""
    body = strip_not_given({k: v for k, v in params.items() if k not in REQUEST_OPTION_NAMES})
    options = {k: v for k, v in params.items() if k in REQUEST_OPTION_NAMES}
    return body, options
