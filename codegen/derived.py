"""Type names the official SDK has and its table leaves out, derived from names the table lists.

The Responses API. The 3.3.1 table lists `openai.types.beta` with its beta copy of
the Responses types (`BetaResponseInputText`) but not `openai.types.responses`
(its api.md was a separate file), and the official SDK's non-beta names are the
beta ones without the prefix (`openai.types.responses.ResponseInputText`). The
spec has both copies too, the non-beta schema under the beta schema's name
without `Beta`. So, the rule:

    openai.types.beta.Beta<X>, at <location>
      -> openai.types.responses.<X>, at <location> with `Beta` taken off the
         schema name that heads it (`BetaInputTextContent` -> `InputTextContent`,
         `BetaResponse.status` -> `Response.status`)

Exceptions, by hand: names.toml `["openai.types.responses"]` gives the location
of a derived name when the rule's is wrong, and adds a name the beta list lacks
(`ResponseItemList`); overrides.toml `[responses_types] skip` lists the beta
names with no non-beta copy. A derived location that does not resolve is an
error, never a silent loss.
"""

from __future__ import annotations

import re
from typing import Any

from .spec import Table

RESPONSES = "openai.types.responses"
BETA = "openai.types.beta"


def _strip_beta(location: str) -> str:
    """`BetaInputTextContent.text` -> `InputTextContent.text` (a route location is kept)."""
    return re.sub(r"^Beta(?=[A-Z])", "", location)


def responses_types(table: Table, names: dict[str, Any], overrides: dict[str, Any]) -> list[tuple[str, str]]:
    """The `openai.types.responses` names, in the beta list's order, then the added ones.

    Fills `names[RESPONSES]` with each derived name's location (an entry already
    there wins), so the caller looks every name up the same way.
    """
    skip = set(overrides.get("responses_types", {}).get("skip", ()))
    beta_names = names.get(BETA, {})
    own = names.setdefault(RESPONSES, {})
    out: list[tuple[str, str]] = []
    for official, name in table.types:
        if official != BETA or not name.startswith("Beta") or name in skip:
            continue
        short = name[len("Beta") :]
        own.setdefault(short, _strip_beta(beta_names.get(name, name)))
        out.append((RESPONSES, short))
    derived = {n for _, n in out}
    out += [(RESPONSES, n) for n in own if n not in derived]
    return out
