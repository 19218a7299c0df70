"""Run the official SDK's `examples/` against the bundled mock server, with this package and with `openai`.

    python bench/examples_check.py DIR [--timeout S] [--jobs N] [--only NAME ...] [--no-official] [-v]

DIR is the `examples/` directory of an `openai` source tree (e.g. the sdist of
`pip download openai==3.3.1 --no-binary :all: --no-deps`); nothing is copied
into this project. Each example is classified: one that needs an outside
service (Azure, Bedrock, a microphone or speakers, a Responses websocket,
client certificates, a real network address) is skipped with the reason; every
other one is run in a subprocess, in a scratch directory, with
`OPENAI_BASE_URL` pointing at a mock server (`python -m openai_actors.mock`)
this script starts on a free loopback port, `OPENAI_API_KEY=sk-test` and a
timeout. The Realtime text examples are given what they need (`SETUPS`):
lines to type, and for `azure_realtime.py` the mock's origin (ws://) as its
Azure endpoint and a stand-in `azure.identity` whose token provider returns a fixed
token (Entra ID needs Azure); their output must hold the mock's echo. It runs twice: with its imports rewritten to `openai_actors` (ours),
and unchanged (the official `openai`, when installed). A run passes when it
exits 0 without printing a traceback or an `Error ...` line (image_stream.py
catches its exception and prints it). The last error line is shown for a failure.

Exit status: 0 when every example run passed with ours (with `--no-ours`, the official), 1 otherwise.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import os
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# (pattern in the source or the path, reason to skip), the first match wins.
SKIP_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\bresponses\.connect\("), "needs the Responses API over a websocket (responses.connect)"),
    (re.compile(r"sounddevice"), "needs a microphone and speakers (sounddevice)"),
    (re.compile(r"\bAzure|azure\."), "needs Azure OpenAI"),
    (re.compile(r"bedrock", re.IGNORECASE), "needs Amazon Bedrock"),
    (re.compile(r"\bMicrophone\b"), "needs a microphone"),
    (re.compile(r"\bLocalAudioPlayer\b"), "needs speakers (audio output)"),
)
# Client certificates for mutual TLS, unless the example defaults to API-key auth without them.
_MTLS = re.compile(r"load_cert_chain")
_API_KEY_MODE = re.compile(r"OPENAI_AUTH_MODE")
# A module-level client given a placeholder address (`openai.base_url = "https://..."`):
# pointed at the mock instead (OPENAI_BASE_URL), for both runs.
_OWN_BASE_URL = re.compile(r"""^(\s*\w+\.base_url\s*=\s*)(["'])https?://[^"'\n]*\2""", re.MULTILINE)

# Examples that read a file another script generates (`generate_file.sh`): made small here.
INPUT_FILES = {"/tmp/big_test_file.txt": 3 * 1024 * 1024 + 17}
# Extra runs of one example with arguments (uploads.py reads `memory` from argv).
VARIANTS = {"uploads.py": [[], ["memory"]]}


@dataclass(frozen=True)
class Setup:
    """What an example needs besides the mock: lines on stdin, environment (``{ws_origin}`` is
    the mock's ws://host:port), modules written next to it, text its output must contain."""

    stdin: str = ""
    env: dict[str, str] = field(default_factory=dict)
    modules: dict[str, str] = field(default_factory=dict)
    expect: str = ""


# Entra ID needs Azure: a credential whose token provider returns a fixed token.
_AZURE_IDENTITY_STANDIN = """\
class DefaultAzureCredential:
    async def close(self) -> None:
        pass


def get_bearer_token_provider(credential, *scopes):
    async def provider() -> str:
        return "entra-token-standin"

    return provider
"""
_CONVERSATION = Setup(stdin="hello there\nq\n", expect="echo: hello there")
SETUPS = {
    "realtime/realtime.py": _CONVERSATION,
    "realtime/azure_realtime.py": Setup(
        stdin=_CONVERSATION.stdin,
        # ws://, not http://: the official client's websockets takes ws or wss only (the example
        # turns https:// into wss://, and the mock serves no TLS).
        env={"AZURE_OPENAI_ENDPOINT": "{ws_origin}", "AZURE_OPENAI_DEPLOYMENT_NAME": "gpt-realtime"},
        modules={
            "azure/__init__.py": "",
            "azure/identity/__init__.py": "",
            "azure/identity/aio.py": _AZURE_IDENTITY_STANDIN,
        },
        expect=_CONVERSATION.expect,
    ),
}

_FROM = re.compile(r"^(\s*from\s+)openai(?=[\s.])", re.MULTILINE)
_IMPORT = re.compile(r"^(\s*import\s+)openai\b(?!_)(?!\s+as\b)(?!\.)", re.MULTILINE)
_FAILED_LINE = re.compile(r"^Error\b.*$", re.MULTILINE)


@dataclass
class Example:
    path: Path
    name: str
    args: list[str] = field(default_factory=list)
    skip: str | None = None

    @property
    def label(self) -> str:
        return " ".join([self.name, *self.args])


@dataclass
class Outcome:
    status: str  # pass, FAIL, TIMEOUT, n/a
    detail: str = ""
    seconds: float = 0.0


def classify(path: Path, root: Path) -> str | None:
    """Why ``path`` cannot run against the mock, or None."""
    source = path.read_text()
    rel = str(path.relative_to(root))
    if rel in SETUPS:
        return None
    for pattern, reason in SKIP_RULES:
        if pattern.search(rel) or pattern.search(source):
            return reason
    if _MTLS.search(source) and not _API_KEY_MODE.search(source):
        return "needs a client certificate (mutual TLS endpoint)"
    return None


def discover(root: Path) -> list[Example]:
    examples = []
    for path in sorted(root.rglob("*.py")):
        if path.name == "__init__.py":
            continue
        name = str(path.relative_to(root))
        skip = classify(path, root)
        for args in VARIANTS.get(name, [[]]):
            examples.append(Example(path, name, list(args), skip))
    return examples


def rewrite(source: str) -> str:
    """The example with `openai` imports swapped for `openai_actors` (`import openai` keeps the name)."""
    source = _FROM.sub(r"\1openai_actors", source)
    return _IMPORT.sub(r"\1openai_actors as openai", source)


class Mock:
    """`python -m openai_actors.mock --port 0` in a process of its own."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "openai_actors.mock", "--host", "127.0.0.1", "--port", "0", "--no-record"],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline().strip()
        if not line.startswith("http://"):
            self.close()
            raise SystemExit(f"the mock server did not start: {line!r}")
        self.url = line

    def close(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def _environment(base_url: str) -> dict[str, str]:
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("OPENAI_", "AZURE_", "AWS_")) and "proxy" not in name.lower()
    }
    env.update(
        OPENAI_BASE_URL=base_url,
        OPENAI_API_KEY="sk-test",
        NO_PROXY="*",
        PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        PYTHONUNBUFFERED="1",
        PYTHONIOENCODING="utf-8",
        COLUMNS="100",
    )
    return env


def point_at_mock(source: str) -> str:
    """The example with a placeholder `<module>.base_url = "https://..."` replaced by the mock's URL.

    With a trailing slash: the official module client joins paths to its
    `base_url` as given (`.../v1` + `chat/completions` is `.../v1chat/completions`).
    """
    return _OWN_BASE_URL.sub(r'\1__import__("os").environ["OPENAI_BASE_URL"] + "/"', source)


def run(example: Example, flavour: str, base_url: str, timeout: float, verbose: bool) -> Outcome:
    source = point_at_mock(example.path.read_text())
    if flavour == "ours":
        source = rewrite(source)
    setup = SETUPS.get(example.name, Setup())
    ws_origin = base_url.rsplit("/v1", 1)[0].replace("http://", "ws://", 1)
    env = _environment(base_url) | {
        name: value.format(ws_origin=ws_origin) for name, value in setup.env.items()
    }
    with tempfile.TemporaryDirectory(prefix="example-") as scratch:
        script = Path(scratch) / example.name
        script.parent.mkdir(parents=True, exist_ok=True)
        script.write_text(source)
        for name, text in setup.modules.items():
            module = script.parent / name
            module.parent.mkdir(parents=True, exist_ok=True)
            module.write_text(text)
        started = time.monotonic()
        try:
            done = subprocess.run(
                [sys.executable, str(script), *example.args],
                cwd=script.parent,
                env=env,
                capture_output=True,
                text=True,
                timeout=timeout,
                input=setup.stdin,
            )
        except subprocess.TimeoutExpired as expired:
            out = _text(expired.stdout) + _text(expired.stderr)
            return Outcome("TIMEOUT", _last_line(out) or f"no answer in {timeout:g}s", timeout)
        seconds = time.monotonic() - started
    if verbose:
        print(
            f"--- {example.label} [{flavour}] exit {done.returncode}\n{done.stdout}{done.stderr}", flush=True
        )
    failed = _FAILED_LINE.findall(done.stdout)
    if done.returncode != 0 or "Traceback (most recent call last)" in done.stderr:
        return Outcome("FAIL", _last_line(done.stderr) or _last_line(done.stdout), seconds)
    if failed:
        return Outcome("FAIL", failed[-1].strip(), seconds)
    if setup.expect not in done.stdout:
        return Outcome("FAIL", f"its output lacks {setup.expect!r}: {_last_line(done.stdout)!r}", seconds)
    return Outcome("pass", "", seconds)


def _text(value: str | bytes | None) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else value or ""


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[-1][:300] if lines else ""


def _official_available() -> bool:
    probe = [sys.executable, "-c", "import openai, sys; sys.stdout.write(openai.__version__)"]
    done = subprocess.run(probe, capture_output=True, text=True, cwd=tempfile.gettempdir())
    if done.returncode != 0:
        return False
    print(f"official openai {done.stdout}")
    return True


def _prepare_inputs() -> list[Path]:
    made = []
    for name, size in INPUT_FILES.items():
        path = Path(name)
        if not path.exists():
            with path.open("wb") as file:
                file.write(os.urandom(size))
            made.append(path)
    return made


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("directory", type=Path, help="the examples/ directory of an openai source tree")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds per run (default: %(default)s)")
    parser.add_argument("--jobs", "-j", type=int, default=2, help="runs at a time (default: %(default)s)")
    parser.add_argument("--only", nargs="*", default=None, help="run only these examples (names or paths)")
    parser.add_argument("--no-official", action="store_true", help="do not run the official openai")
    parser.add_argument("--no-ours", action="store_true", help="run only the official openai")
    parser.add_argument("--verbose", "-v", action="store_true", help="print each run's output")
    args = parser.parse_args(argv)
    root = args.directory.resolve()
    if not root.is_dir():
        parser.error(f"{root} is not a directory")
    examples = discover(root)
    if args.only:
        wanted = set(args.only)
        examples = [e for e in examples if e.name in wanted or e.path.name in wanted or e.label in wanted]
    flavours = ([] if args.no_ours else ["ours"]) + (
        [] if args.no_official or not _official_available() else ["official"]
    )
    if not flavours:
        parser.error("nothing to run: --no-ours, and the official openai is not run")
    made = _prepare_inputs()
    mock = Mock()
    print(f"mock server at {mock.url}\n", flush=True)
    results: dict[tuple[str, str], Outcome] = {}
    try:
        with concurrent.futures.ThreadPoolExecutor(max(1, args.jobs)) as pool:
            futures = {
                pool.submit(run, example, flavour, mock.url, args.timeout, args.verbose): (
                    example.label,
                    flavour,
                )
                for example in examples
                if example.skip is None
                for flavour in flavours
            }
            for future in concurrent.futures.as_completed(futures):
                results[futures[future]] = future.result()
    finally:
        mock.close()
        for path in made:
            path.unlink(missing_ok=True)
    return _report(examples, flavours, results)


def _report(examples: list[Example], flavours: list[str], results: dict[tuple[str, str], Outcome]) -> int:
    width = max(len(example.label) for example in examples) if examples else 10
    print(f"{'example':<{width}}  " + "  ".join(f"{flavour:<8}" for flavour in flavours))
    failures = 0
    details = []
    for example in examples:
        if example.skip is not None:
            print(f"{example.label:<{width}}  skipped: {example.skip}")
            continue
        cells = []
        for flavour in flavours:
            outcome = results[(example.label, flavour)]
            cells.append(f"{outcome.status:<8}")
            if outcome.status != "pass":
                details.append(f"  {example.label} [{flavour}]: {outcome.detail}")
                failures += flavour == flavours[0]
        print(f"{example.label:<{width}}  " + "  ".join(cells))
    ran = sum(example.skip is None for example in examples)
    print(
        f"\n{ran} run, {len(examples) - ran} skipped; {flavours[0]}: {ran - failures} passed, {failures} failed"
    )
    if details:
        print("\nlast error lines:")
        print("\n".join(details))
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
