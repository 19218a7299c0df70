"""`openai-actors bench --processes N`: one client process against several, interleaved, medians.

    python bench/processes.py [--processes 1,2] [--repeats 3] [BENCH OPTIONS...]

Runs `python -m openai_actors bench --processes N BENCH OPTIONS --json FILE`
for each N, in turn, `--repeats` times (interleaved, so that the machine's
drift falls on every N alike), and prints, per N, the median of each
figure over the repeats: requests/s, client CPU µs per request (summed over
the processes), CPU share (cores), the busiest process's share of a core, and
p50 / p99 latency. The options after ours go to the bench unchanged (default:
`--requests 30000 --concurrency 256 --quiet`, against the bundled mock server).

Against a server of your own (nginx, see /work/shared/PERF.md), give
`--base-url`; the bench then pins nothing, and the processes share the cores
with the server as the kernel sees fit.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

FIGURES = (
    ("req/s", lambda run: run["requests_per_s"], "{:,.0f}"),
    ("CPU us/req", lambda run: run["cpu_us_per_request"], "{:,.0f}"),
    ("cores used", lambda run: run["cpu_share"], "{:.2f}"),
    ("busiest core", lambda run: max(run["process_cpu_shares"] or [run["cpu_share"]]), "{:.0%}"),
    ("p50 ms", lambda run: run["latency_s"]["p50"] * 1000, "{:.2f}"),
    ("p99 ms", lambda run: run["latency_s"]["p99"] * 1000, "{:.2f}"),
)


def one_run(processes: int, options: list[str], out: Path) -> dict[str, Any]:
    command = [sys.executable, "-m", "openai_actors", "bench", "--processes", str(processes), *options]
    subprocess.run([*command, "--json", str(out)], check=True, stdout=subprocess.DEVNULL)
    [run] = json.loads(out.read_text())["runs"]
    return dict(run)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--processes", default="1,2", help="the numbers of processes to compare (default: 1,2)"
    )
    parser.add_argument("--repeats", type=int, default=3)
    args, options = parser.parse_known_args()
    options = options or ["--requests", "30000", "--concurrency", "256", "--quiet"]
    counts = [int(item) for item in args.processes.split(",")]
    runs: dict[int, list[dict[str, Any]]] = {count: [] for count in counts}
    with tempfile.TemporaryDirectory() as directory:
        out = Path(directory) / "run.json"
        for _ in range(args.repeats):
            for count in counts:
                runs[count].append(one_run(count, options, out))
    print(f"bench options: {' '.join(options)}; median of {args.repeats} runs each, interleaved")
    header = ["processes", *(name for name, _, _ in FIGURES)]
    rows = [
        [
            str(count),
            *(
                form.format(statistics.median(value(run) for run in runs[count]))
                for _, value, form in FIGURES
            ),
        ]
        for count in counts
    ]
    widths = [max(len(row[i]) for row in (header, *rows)) for i in range(len(header))]
    for row in (header, *rows):
        print("  ".join(cell.rjust(width) for cell, width in zip(row, widths, strict=True)))


if __name__ == "__main__":
    main()
