"""The command line, run for real in subprocesses: `openai-actors --version` and the mock
server's faults, latency and limits given as flags (`python -m openai_actors.mock ...`)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

import openai_actors
from openai_actors import AsyncOpenAI, InternalServerError, OpenAI
from openai_actors._pacing import parse_duration
from openai_actors._version import __version__
from openai_actors.mock._cli import _window_of, failing
from openai_actors.mock._types import RecordedRequest

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


@pytest.mark.parametrize("command", [("-m", "openai_actors.mock"), ("-m", "openai_actors", "mock")])
def test_the_mock_prints_its_version(command: tuple[str, ...]) -> None:
    done = run(*command, "--version")
    assert (0, f"python -m openai_actors.mock {__version__}\n") == (done.returncode, done.stdout)


def test_an_unknown_flag_is_still_refused() -> None:
    done = run("-m", "openai_actors", "--versions")
    assert 2 == done.returncode
    assert "unknown command '--versions'" in done.stderr


# --- the mock server's flags -------------------------------------------------

CHAT = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}


@contextmanager
def serving(*flags: str) -> Iterator[str]:
    """``python -m openai_actors.mock --port 0 FLAGS`` running; its base URL. It must stop
    cleanly on SIGTERM afterwards (a server that crashed on a request fails the test)."""
    command = [sys.executable, "-m", "openai_actors.mock", "--port", "0", *flags]
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV
    ) as process:
        try:
            assert process.stdout is not None
            url = process.stdout.readline().strip()
            assert url.startswith("http://127.0.0.1:"), process.stderr and process.stderr.read()
            yield url
        finally:
            process.terminate()
            _, errors = process.communicate(timeout=10)
    assert 0 == process.returncode, errors


def statuses(url: str, count: int, body: dict[str, Any] = CHAT) -> list[int]:
    with httpx.Client(base_url=url, timeout=10.0) as http:
        return [http.post("/chat/completions", json=body).status_code for _ in range(count)]


def test_a_full_fail_rate_answers_every_request_with_the_status_given() -> None:
    with serving("--fail-rate", "1", "--fail-status", "503") as url, httpx.Client(base_url=url) as http:
        answers = [http.post("/chat/completions", json=CHAT) for _ in range(3)]
        models = http.get("/models")
    assert [503, 503, 503, 503] == [answer.status_code for answer in [*answers, models]]
    # OpenAI's error shape, so that clients parse it as they would OpenAI's.
    assert {"message", "type"} <= set(answers[0].json()["error"])


def test_a_seeded_fail_rate_fails_the_same_requests_in_every_run() -> None:
    """Two runs with --seed 7 meet the same failures, the ones the responder draws in-process,
    with both statuses and successes among them."""
    flags = ("--fail-rate", "0.5", "--fail-status", "500,503", "--seed", "7")
    with serving(*flags) as url:
        first = statuses(url, 30)
    with serving(*flags) as url:
        second = statuses(url, 30)
    responder = failing(0.5, (500, 503), seed=7)
    assert responder is not None
    request = RecordedRequest("POST", "/v1/chat/completions", {}, {}, b"")
    expected = [fault.status if (fault := responder(request)) else 200 for _ in range(30)]
    assert first == second == expected
    assert {200, 500, 503} == set(first)


def test_no_fail_rate_fails_nothing() -> None:
    with serving("--fail-status", "503", "--seed", "1") as url:
        assert [200] * 10 == statuses(url, 10)


def test_rpm_refuses_the_third_request_in_the_window() -> None:
    with serving("--rpm", "2") as url, httpx.Client(base_url=url) as http:
        answers = [http.post("/chat/completions", json=CHAT) for _ in range(3)]
    assert [200, 200, 429] == [answer.status_code for answer in answers]
    assert "2" == answers[0].headers["x-ratelimit-limit-requests"]
    assert "rate_limit_exceeded" == answers[2].json()["error"]["code"]


def test_tpm_refuses_a_request_over_the_tokens_left() -> None:
    """--tpm 1000: a request estimated at about 100 tokens passes, one at about 2000 is refused."""
    with serving("--tpm", "1000") as url, httpx.Client(base_url=url) as http:
        answers = [http.post("/chat/completions", json={**CHAT, "max_tokens": size}) for size in (100, 2000)]
    assert [200, 429] == [answer.status_code for answer in answers]
    assert "1000" == answers[0].headers["x-ratelimit-limit-tokens"]
    assert "tokens" in answers[1].json()["error"]["message"]


@pytest.mark.parametrize(
    ("flags", "low", "high"),
    [
        # A bucket refilled steadily: one request of two comes back in half the window.
        (("--window", "rolling", "--window", "30"), 14.0, 15.0),
        (("--window", "30"), 14.0, 15.0),
        # A fixed window: all of it comes back when the window (started with the server) ends.
        (("--window", "fixed", "--window", "30"), 20.0, 30.0),
        (("--window", "30", "--ratelimit-mode", "fixed"), 20.0, 30.0),
    ],
)
def test_window_sets_the_mode_and_the_length(flags: tuple[str, ...], low: float, high: float) -> None:
    with serving("--rpm", "2", *flags) as url, httpx.Client(base_url=url) as http:
        answer = http.post("/chat/completions", json=CHAT)
    reset = parse_duration(answer.headers["x-ratelimit-reset-requests"])
    assert reset is not None and low <= reset <= high, answer.headers["x-ratelimit-reset-requests"]


def test_latency_delays_every_response_by_at_least_its_value() -> None:
    with serving("--latency", "0.05") as url, httpx.Client(base_url=url) as http:
        http.get("/models")  # the connection is open before timing starts
        elapsed = []
        for _ in range(3):
            started = time.monotonic()
            assert 200 == http.post("/chat/completions", json=CHAT).status_code
            elapsed.append(time.monotonic() - started)
    assert min(elapsed) >= 0.05, elapsed


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (("--fail-rate", "1.5"), "argument --fail-rate: must be a fraction within 0..1"),
        (("--fail-rate", "five"), "argument --fail-rate: must be a number, got 'five'"),
        (("--fail-status", "500,oops"), "argument --fail-status: must be HTTP statuses separated by commas"),
        (("--fail-status", "200"), "argument --fail-status: must be error statuses within 400..599, got 200"),
        (("--seed", "x"), "argument --seed: invalid int value: 'x'"),
        (("--rpm", "0"), "argument --rpm: must be >= 1, got 0"),
        (("--tpm", "1.5"), "argument --tpm: must be a whole number, got '1.5'"),
        (("--window", "sliding"), "argument --window: must be fixed, rolling, continuous or a number"),
        (("--window", "-3"), "argument --window: must be > 0 seconds, got -3"),
        (("--latency", "-0.1"), "argument --latency: must be >= 0 seconds, got -0.1"),
        (("--latency", "inf"), "argument --latency: must be a finite number, got 'inf'"),
    ],
)
def test_a_bad_value_is_one_clear_line_and_exit_2(flags: tuple[str, ...], message: str) -> None:
    done = run("-m", "openai_actors.mock", "--port", "0", *flags)
    assert 2 == done.returncode
    assert "" == done.stdout  # no URL: it never served
    assert message in done.stderr.splitlines()[-1], done.stderr


# --- a program tested against it -------------------------------------------


@pytest.mark.anyio
async def test_the_async_client_meets_the_failures_it_was_given() -> None:
    with serving("--fail-rate", "1", "--fail-status", "503") as url:
        async with AsyncOpenAI(api_key="sk-test", base_url=url, max_retries=0) as client:
            with pytest.raises(InternalServerError) as raised:
                await client.chat.completions.create(
                    model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}]
                )
    assert 503 == raised.value.status_code


def test_the_sync_client_retries_through_a_seeded_fail_rate() -> None:
    """Half the requests fail with 500 or 503: the client's retries get every one through."""
    with serving("--fail-rate", "0.5", "--fail-status", "500,503", "--seed", "3") as url:
        with OpenAI(api_key="sk-test", base_url=url, max_retries=8) as client:
            answers = [
                client.chat.completions.create(
                    model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}]
                )
                for _ in range(5)
            ]
    assert ["echo: hi"] * 5 == [answer.choices[0].message.content for answer in answers]


# --- the pure parts ----------------------------------------------------------


def test_failing_draws_at_the_rate_and_from_the_statuses() -> None:
    request = RecordedRequest("POST", "/v1/chat/completions", {}, {}, b"")
    assert failing(0.0, (500,), seed=1) is None
    with pytest.raises(ValueError, match="at least one status"):
        failing(0.5, ())
    always = failing(1.0, (503,), seed=1)
    assert always is not None and {503} == {fault.status for _ in range(50) if (fault := always(request))}
    quarter = failing(0.25, (500, 502, 503), seed=1)
    assert quarter is not None
    faults = [quarter(request) for _ in range(4000)]
    failed = [fault.status for fault in faults if fault is not None]
    assert 900 <= len(failed) <= 1100  # 1000 expected; the seed makes this exact run fixed
    assert {500, 502, 503} == set(failed)


def test_window_of_takes_the_last_of_each_kind() -> None:
    assert (60.0, "continuous") == _window_of(None, None)
    assert (30.0, "fixed") == _window_of([30.0, "fixed"], None)
    assert (10.0, "continuous") == _window_of([30.0, 10.0], None)
    assert (60.0, "fixed") == _window_of(None, "fixed")
    assert (60.0, "continuous") == _window_of(["continuous"], "fixed")  # --window wins


# --- the README's `just` recipes --------------------------------------------

REPO = Path(__file__).resolve().parents[1]


def just_recipes(text: str) -> dict[str, str]:
    """Each justfile recipe's name and its body's commands joined with " && " (what running them
    by hand does: stop at the first that fails), without the `{{args}}` a recipe passes on."""
    recipes: dict[str, list[str]] = {}
    name = None
    for line in text.splitlines():
        if line and not line[0].isspace() and not line.startswith("#") and line.rstrip().endswith(":"):
            name = line.split()[0].rstrip(":")
            recipes[name] = []
        elif line.startswith("    ") and name is not None:
            recipes[name].append(line.strip().replace(" {{args}}", ""))
    return {name: " && ".join(body) for name, body in recipes.items()}


def test_just_recipes_splits_a_justfile() -> None:
    text = "# a comment\nlint:\n    ruff check x\n    mypy\n\ntest *args:\n    pytest {{args}}\n"
    assert {"lint": "ruff check x && mypy", "test": "pytest"} == just_recipes(text)


def test_the_readme_gives_the_plain_command_beside_each_just_recipe() -> None:
    """Every `just X` the README names has a row in its table, with the recipe's own commands."""
    readme = (REPO / "README.md").read_text()
    recipes = just_recipes((REPO / "justfile").read_text())
    rows = dict(re.findall(r"^\| `just ([\w-]+)` \| `([^`]+)`", readme, flags=re.MULTILINE))
    named = set(re.findall(r"`just ([\w-]+)[^`]*`", readme))
    assert {"test", "lint", "ci", "generate"} <= named
    assert named <= set(rows), f"named in the README without their plain command: {named - set(rows)}"
    assert {name: recipes.get(name) for name in rows} == rows
    assert "`just` is a separate install" in readme
