"""Before and after: this client's CPU per request at a git revision against the working tree.

    python bench/ab.py --base-url http://127.0.0.1:18080/v1 [--old HEAD] [--kinds actors,actors_trio]
                       [--endpoint chat|embeddings]
                       [--concurrency 64] [--requests 20000] [--load workers] [--repeat 7]

The machine drifts by up to 20 % between runs, more than most single
changes are worth, so the two versions are measured in alternation, each
cell a fresh `client_cpu.py` worker pinned to core 1, and compared by their
medians. The old version is `git archive`d from --old into a temporary
directory and put first on the worker's path; the new one is the package in
this checkout.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import client_cpu

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def cell(
    package_root: str, kind: str, n: int, concurrency: int, base_url: str, load: str, body: dict[str, Any]
) -> float:
    figures = client_cpu.run_one(kind, n, concurrency, base_url, body, load, package_root)
    if isinstance(figures, str):
        raise SystemExit(f"{kind} from {package_root}: {figures}")
    return figures["cpu_us"]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--old", default="HEAD", help="a git revision (default: HEAD)")
    parser.add_argument("--kinds", default="actors,actors_trio")
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--requests", type=int, default=20000)
    parser.add_argument("--load", choices=("tasks", "workers"), default="workers")
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--endpoint", choices=("chat", "embeddings"), default="chat")
    args = parser.parse_args()
    body = client_cpu.EMBEDDINGS_BODY if args.endpoint == "embeddings" else client_cpu.BODY
    with tempfile.TemporaryDirectory() as old_root:
        archive = subprocess.run(
            ["git", "-C", ROOT, "archive", args.old, "openai_actors"], capture_output=True, check=True
        )
        subprocess.run(["tar", "-x", "-C", old_root], input=archive.stdout, check=True)
        print(
            f"client CPU µs per {args.endpoint} request, {args.load} load, {args.concurrency} in flight, "
            f"N = {args.requests}, median of {args.repeat} alternating runs"
        )
        print(f"| kind | {args.old} | working tree | change |")
        print("| --- | --- | --- | --- |")
        for kind in args.kinds.split(","):
            runs: dict[str, list[float]] = {"old": [], "new": []}
            for _ in range(args.repeat):
                for name, root in (("old", old_root), ("new", ROOT)):
                    runs[name].append(
                        cell(root, kind, args.requests, args.concurrency, args.base_url, args.load, body)
                    )
            old, new = statistics.median(runs["old"]), statistics.median(runs["new"])
            print(f"| {kind} | {old:.1f} | {new:.1f} | {new - old:+.1f} ({(new / old - 1) * 100:+.0f} %) |")


if __name__ == "__main__":
    main()
