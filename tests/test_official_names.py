"""The names each package of the official `openai.types` exports, against this package's.

Every package of the installed official SDK (openai 3.3.1) is walked; each name
it exports must be importable from the same package here, but for the gaps
listed below with why. The list is kept true both ways: a name that goes missing
fails, and so does a gap that has been closed (remove it from the list).
"""

from __future__ import annotations
import __future__

import importlib
import pkgutil
import types
import typing
from collections.abc import Iterator

import pytest
import typing_extensions

openai = pytest.importorskip("openai")

# Official packages (or names) this package does not have yet, and why.
KNOWN_GAPS: dict[str, set[str] | str] = {
    # `client.realtime.connect()`'s keyword arguments as a TypedDict (hand-written in the official
    # SDK; the spec has no route for the websocket, so nothing to generate it from).
    "openai.types.realtime": {"RealtimeConnectParams"},
    # The websocket connection's options and reconnection events (hand-written in the official SDK).
    "openai.types": {
        "ReconnectingEvent",
        "ReconnectingOverrides",
        "WebSocketConnectionOptions",
        "WebsocketConnectionOptions",
    },
    "openai.types.beta.realtime": {"RealtimeConnectParams"},  # the beta websocket's connect options
    # The official SDK's shared_params twin of a shared union: here its request side is
    # `openai_actors.types.shared.CustomToolInputFormatParam` (the generator's twin placement).
    "openai.types.shared_params": {"CustomToolInputFormat"},
}


def _exported(module: types.ModuleType) -> set[str]:
    return {
        name
        for name, value in vars(module).items()
        if not name.startswith("_")
        and not isinstance(value, types.ModuleType | __future__._Feature)
        # `Literal`, `Union`, ... imported for annotations (a `Union[...]` alias is a name).
        and value is not getattr(typing, name, None)
        and value is not getattr(typing_extensions, name, None)
    }


def _packages() -> Iterator[str]:
    import openai.types

    yield "openai.types"
    for info in pkgutil.walk_packages(openai.types.__path__, "openai.types."):
        if info.ispkg:
            yield info.name


def _missing() -> dict[str, set[str]]:
    missing: dict[str, set[str]] = {}
    for package in _packages():
        theirs = _exported(importlib.import_module(package))
        if not theirs:
            continue  # an empty package (`openai.types.beta.chat`)
        try:
            ours: object = importlib.import_module("openai_actors" + package[len("openai") :])
        except ImportError:
            missing[package] = theirs
            continue
        gone = {name for name in theirs if not hasattr(ours, name)}
        if gone:
            missing[package] = gone
    return missing


@pytest.mark.timeout(180)
def test_every_official_types_package_exports_its_names_here() -> None:
    """All of the official packages' names, but the listed gaps; and each listed gap is still one."""
    missing = _missing()
    unexpected: dict[str, list[str]] = {}
    closed: dict[str, list[str]] = {}
    for package, gap in KNOWN_GAPS.items():
        if isinstance(gap, str):
            if package not in missing:
                closed[package] = ["(the whole package)"]
        elif gap - missing.get(package, set()):
            closed[package] = sorted(gap - missing.get(package, set()))
    for package, names in missing.items():
        gap = KNOWN_GAPS.get(package, set())
        if not isinstance(gap, str) and names - gap:
            unexpected[package] = sorted(names - gap)
    assert {} == unexpected
    assert {} == closed, "gaps now closed: remove them from KNOWN_GAPS"


def test_the_assistants_request_types_are_the_official_ones() -> None:
    """The four names the generator missed: the same shapes as the official TypedDicts and aliases."""
    from openai.types import beta as theirs

    from openai_actors.types import beta as ours

    assert (
        typing.get_type_hints(theirs.AssistantToolChoiceFunctionParam).keys()
        == typing.get_type_hints(ours.AssistantToolChoiceFunctionParam).keys()
    )
    assert {"type", "function"} == set(typing.get_type_hints(ours.AssistantToolChoiceParam))
    hints = typing.get_type_hints(ours.AssistantToolChoiceParam, include_extras=True)
    assert typing.Required is typing.get_origin(hints["type"])
    literal, choice = typing.get_args(ours.AssistantToolChoiceOptionParam)
    assert ("none", "auto", "required") == typing.get_args(literal)
    assert ours.AssistantToolChoiceParam is choice
    assert {"CodeInterpreterToolParam", "FileSearchToolParam", "FunctionToolParam"} == {
        member.__name__ for member in typing.get_args(ours.AssistantToolParam)
    }
