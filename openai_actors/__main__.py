"""The `openai-actors` command (also `python -m openai_actors`).

openai-actors batch INPUT OUTPUT ...    send a Batch API input file, resumably (see `openai-actors batch --help`)
openai-actors bench [--requests N] ...  benchmark an OpenAI-compatible endpoint (this client's cost too)
openai-actors mock [--port 8000] ...    serve the bundled OpenAI-compatible mock server
openai-actors version                   (also `openai-actors --version`)
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

USAGE = """usage: openai-actors COMMAND [ARGS]

commands:
  batch     send a Batch API input file through the rate limits, resumably (see `openai-actors batch --help`)
  bench     benchmark an OpenAI-compatible endpoint through this client (see `openai-actors bench --help`)
  mock      serve the bundled OpenAI-compatible mock server (see `openai-actors mock --help`)
  version   print the package version (also --version, -V)
"""


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help"):
        print(USAGE, end="")
        return 0 if args else 2
    command, rest = args[0], args[1:]
    if command == "batch":
        from ._batch_cli import main as batch_main

        return batch_main(rest)
    if command == "bench":
        from ._bench import main as bench_main

        return bench_main(rest)
    if command == "mock":
        from .mock import main as mock_main

        return mock_main(rest)
    if command in ("version", "--version", "-V"):
        from ._version import __version__

        print(__version__)
        return 0
    print(f"openai-actors: unknown command {command!r}\n\n{USAGE}", end="", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
