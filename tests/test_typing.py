"""The package's types, as a user's type checker sees them: `mypy --strict` over scripts in typing_cases/.

`good.py` is user code written for the official SDK (sync and async); it must type-check
with no error at all. Each `bad_*.py` holds one mistake a user makes (a misspelt role or
key, a missing or unknown argument, a wrong type, a field the response has not) and must
fail, on the line marked `# expect-error` and nowhere else, so that it fails for the
mistake it shows.

All the scripts go to ONE mypy run (a cold cache under a temporary directory: about 5 s
here), with this working tree's package first on the search path and no project config,
as a user's `mypy --strict` would run.
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CASES = Path(__file__).resolve().parent / "typing_cases"
GOOD = CASES / "good.py"
GOODS = sorted(CASES.glob("good*.py"))  # good.py, and one per feature (good_parse.py, ...)
BAD = sorted(CASES.glob("bad_*.py"))
MARK = "# expect-error"

pytestmark = [
    pytest.mark.skipif(
        importlib.util.find_spec("mypy") is None,
        reason="mypy is not installed (it is in the `test` extra: pip install -e '.[test]')",
    ),
    # A cold mypy run over the generated package takes seconds; leave room on a busy machine.
    pytest.mark.timeout(300),
]

_LINE = re.compile(r"^(?P<path>[^:\n]+\.py):(?P<line>\d+): (?P<severity>error|note): (?P<message>.*)$")


@dataclass(frozen=True, repr=False)
class Report:
    """What one mypy run said: its errors by file (case files by name), and its output."""

    errors: dict[str, list[tuple[int, str]]]
    output: str
    seconds: float

    def __repr__(self) -> str:
        counts = ", ".join(f"{name}: {len(found)}" for name, found in sorted(self.errors.items()))
        return f"<mypy report, {self.seconds:.1f} s; errors {counts or 'none'}>"

    def of(self, case: Path) -> list[tuple[int, str]]:
        return self.errors.get(case.name, [])

    def listing(self, case: Path) -> str:
        return "\n".join(f"  {case.name}:{line}: {message}" for line, message in self.of(case))


@pytest.fixture(scope="module")
def mypy_report(tmp_path_factory: pytest.TempPathFactory) -> Report:
    work = tmp_path_factory.mktemp("mypy")
    config = work / "mypy.ini"
    # No project config: the user's own `mypy --strict`, not this repository's settings.
    config.write_text("[mypy]\n")
    command = [
        sys.executable,
        "-m",
        "mypy",
        "--config-file",
        str(config),
        "--strict",
        "--python-version",
        "3.11",
        "--cache-dir",
        str(work / "cache"),
        "--no-color-output",
        "--no-error-summary",
        "--hide-error-context",
        "--show-error-codes",
        *(str(p.relative_to(ROOT)) for p in [*GOODS, *BAD]),
    ]
    # This working tree's package, ahead of any installed copy.
    env = {**os.environ, "MYPYPATH": str(ROOT)}
    env.pop("MYPY_CACHE_DIR", None)
    started = time.monotonic()
    done = subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=280, check=False
    )
    seconds = time.monotonic() - started
    output = done.stdout + done.stderr
    # 0: no error, 1: errors found; anything else is mypy failing to run (a crash, a bad option).
    assert done.returncode in (0, 1), f"mypy did not run (exit {done.returncode}):\n{output}"
    errors: dict[str, list[tuple[int, str]]] = {}
    case_names = {p.name for p in [*GOODS, *BAD]}
    for raw in done.stdout.splitlines():
        found = _LINE.match(raw)
        if found is None or found["severity"] != "error":
            continue
        path = Path(found["path"])
        # Errors inside the package itself are the lint step's business (`mypy` over openai_actors);
        # they are kept, under their path, for the failure messages.
        key = path.name if path.parent == CASES.relative_to(ROOT) and path.name in case_names else str(path)
        errors.setdefault(key, []).append((int(found["line"]), found["message"]))
    return Report(errors, output, seconds)


def _marked_lines(case: Path) -> set[int]:
    return {n for n, text in enumerate(case.read_text().splitlines(), start=1) if MARK in text}


def test_the_cases_are_there() -> None:
    assert GOOD.is_file()
    assert len(BAD) >= 6, [p.name for p in BAD]
    for good in GOODS:
        assert not _marked_lines(good)
        # An ignore comment in a good script could hide exactly what this test is for.
        assert "type: ignore" not in good.read_text()
    for case in BAD:
        assert _marked_lines(case), f"{case.name} marks no line with {MARK!r}"


@pytest.mark.parametrize("good", GOODS, ids=[p.stem for p in GOODS])
def test_good_script_passes_mypy_strict(mypy_report: Report, good: Path) -> None:
    errors = mypy_report.of(good)
    assert not errors, (
        f"mypy --strict finds {len(errors)} error(s) in typing_cases/{good.name} "
        f"(mypy took {mypy_report.seconds:.1f} s):\n{mypy_report.listing(good)}"
    )


@pytest.mark.parametrize("case", BAD, ids=[p.stem for p in BAD])
def test_bad_script_fails_mypy_strict_on_the_marked_line(mypy_report: Report, case: Path) -> None:
    marked = _marked_lines(case)
    errors = mypy_report.of(case)
    reported = {line for line, _ in errors}
    missed = sorted(marked - reported)
    assert not missed, (
        f"mypy --strict reports no error on line(s) {missed} of typing_cases/{case.name}, "
        f"marked {MARK!r}; it reports:\n{mypy_report.listing(case) or '  (nothing)'}"
    )
    elsewhere = sorted(reported - marked)
    assert not elsewhere, (
        f"typing_cases/{case.name} fails on unmarked line(s) {elsewhere}, "
        f"not (only) for the mistake it shows:\n{mypy_report.listing(case)}"
    )
