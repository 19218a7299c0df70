"""Check that every type name of the official SDK's table, and every name derived from them
(codegen/derived.py), has a place in the spec.

A table name resolves when codegen/names.toml gives it a location that resolves
(`codegen.spec.resolve`) or a hand-written `py:` type, or, without an entry, when
components.schemas has a schema of that name. Prints how many resolve, every name
that does not (and why), every names.toml location that fails, and every names.toml
entry for a name the table does not have. Exits 1 when anything fails.

    python -m codegen.check_names
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path
from typing import Any

from codegen.derived import responses_types
from codegen.spec import HERE, LocationError, load_spec, load_table, resolve

NAMES = HERE / "names.toml"

# `resolve` skips text its steps do not match (`Foo-2` would resolve as `Foo`), so check the whole form.
LOCATION = re.compile(r"(?:\w+|@\w+ [^\s:]+:(?:body|response))(?:\.\w+|\[\]|\|\d+)*")

Key = tuple[str, str]  # (official module, name)


def load_names(path: Path = NAMES) -> dict[Key, str]:
    """names.toml as {(official module, name): location}."""
    with path.open("rb") as f:
        data = tomllib.load(f)
    return {(module, name): loc for module, entries in data.items() for name, loc in entries.items()}


def location_error(spec: dict[str, Any], location: str) -> str | None:
    """Why a names.toml value does not resolve, or None when it does."""
    if location.startswith("py:"):
        return None if location[3:].strip() else "empty py: type"
    if not LOCATION.fullmatch(location):
        return "not a location (see codegen/spec.py `resolve`)"
    try:
        resolve(spec, location)
    except LocationError as e:
        return str(e)
    return None


def check() -> int:
    spec = load_spec()
    schemas = spec["components"]["schemas"]
    table = load_table()
    names = load_names()
    # With the names derived from the table's (codegen/derived.py), at their derived locations.
    with (HERE / "overrides.toml").open("rb") as f:
        overrides = tomllib.load(f)
    with NAMES.open("rb") as f:
        by_module = tomllib.load(f)
    derived = responses_types(table, by_module, overrides)
    explicit = set(names)
    names.update({key: by_module[key[0]][key[1]] for key in derived})
    all_types = table.types + derived

    bad = {key: err for key, loc in names.items() if (err := location_error(spec, loc)) is not None}
    unresolved: list[str] = []
    for key in all_types:
        module, name = key
        if key in bad:
            unresolved.append(f"{module}.{name}: its names.toml location does not resolve")
        elif key not in names and name not in schemas:
            unresolved.append(f"{module}.{name}: no schema {name!r} and no names.toml entry")
    in_table = set(all_types)
    strays = [f"{module}.{name}" for module, name in explicit if (module, name) not in in_table]

    resolved = len(all_types) - len(unresolved)
    print(
        f"{resolved}/{len(all_types)} table names resolve, {len(derived)} of them derived"
        f" ({len(explicit)} names.toml entries)"
    )
    failing = [f"{m}.{n} = {names[m, n]!r}: {err}" for (m, n), err in bad.items()]
    sections = {
        "unresolved names": unresolved,
        "names.toml locations that fail": failing,
        "names.toml entries for names not in the table": strays,
    }
    for title, lines in sections.items():
        if lines:
            print(f"\n{title} ({len(lines)}):")
            print("\n".join(f"  {line}" for line in lines))
    return 1 if unresolved or bad or strays else 0


if __name__ == "__main__":
    sys.exit(check())
