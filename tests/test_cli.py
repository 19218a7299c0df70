"""The command line, run for real in subprocesses: `openai-actors --version` and the mock
server's faults, latency and limits given as flags (`python -m openai_actors.mock ...`)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import openai_actors
from openai_actors._version import __version__

PACKAGE_ROOT = Path(openai_actors.__file__).resolve().parents[1]
ENV = {
    **os.environ,
    "PYTHONPATH": os.pathsep.join(filter(None, [str(PACKAGE_ROOT), os.environ.get("PYTHONPATH")])),
}


def run(*argv: str) -> subprocess.CompletedProcess[str]:
    """Run ``python ARGV`` to its end (a command that exits by itself)."""
    return subprocess.run([sys.executable, *argv], capture_output=True, text=True, env=ENV, timeout=30)


# --- --version --------------------------------------------------------------


@pytest.mark.parametrize("flag", ["--version", "-V", "version"])
def test_openai_actors_prints_its_version(flag: str) -> None:
    done = run("-m", "openai_actors", flag)
    assert (0, f"{__version__}\n", "") == (done.returncode, done.stdout, done.stderr)


def test_the_mock_prints_its_version() -> None:
    done = run("-m", "openai_actors.mock", "--version")
    assert (0, f"python -m openai_actors.mock {__version__}\n") == (done.returncode, done.stdout)


def test_an_unknown_flag_is_still_refused() -> None:
    done = run("-m", "openai_actors", "--versions")
    assert 2 == done.returncode
    assert "unknown command '--versions'" in done.stderr
