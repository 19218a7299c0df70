"""A batch job through a rate limit: `openai-actors batch` against the cookbook approach, one run.

    python bench/batch_job.py [--requests 100000] [--limit 10000] [--window 10] [--concurrency 256]
                              [--rss-sizes 10000,100000,1000000] [--skip-cookbook] [--workdir DIR]

Part 1, the job. `--requests` chat completions (a Batch API input file) go to
a mock server in its own process that enforces `--limit` requests per
`--window` seconds as OpenAI does (a bucket that starts full and refills
continuously; 429 with retry-after-ms). Each client runs in its own process:

* `openai-actors batch IN OUT --rpm LIMIT --window WINDOW --max-in-flight C`;
* the cookbook approach: the official `openai.AsyncOpenAI`, every line of the
  file read and started as a task, `--concurrency` at once under an
  `asyncio.Semaphore`, each result appended to a JSONL file in the Batch API's
  output format, retries left to the SDK (`max_retries` as for the batch command).

For each: wall time, share of the limit used (successful answers per second
over the limit's rate), 429s the server sent (its own count), lines in the
output and how many are successes, and the client process's peak RSS
(`os.wait4`: that process alone).

Part 2, memory against input size: the batch command on `--rss-sizes` lines
against an unlimited mock server; peak RSS, wall time, requests/s.

The server is `openai_actors.mock.MockServer` (as `python -m openai_actors.mock`
serves it), run by this script in a child process (`--serve`) so that it can
report its count of 429s. With `taskset` available, the server runs on core 0
and the clients on core 1.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, TextIO

ROOT = Path(__file__).resolve().parent.parent
PROMPT = "Write one short sentence about the number {i}."


# -- the server, in its own process ------------------------------------------------------


def serve(limit: int | None, window: float) -> None:
    """Print the URL; then answer each line on stdin with the counters as JSON; stop at EOF."""
    from openai_actors.mock import MockServer

    with MockServer(record=False, rate_limit_requests=limit, rate_limit_window=window) as server:
        print(server.url, flush=True)
        for _ in sys.stdin:
            counters = {"rate_limited": server.rate_limited, "served": server.requests_served}
            print(json.dumps(counters), flush=True)


class Server:
    def __init__(self, limit: int | None, window: float) -> None:
        # --limit 0: no limit.
        command = [sys.executable, __file__, "--serve", "--window", str(window), "--limit", str(limit or 0)]
        self.process = subprocess.Popen(
            pinned(command, 0), stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        assert self.process.stdout is not None
        self.url = self.process.stdout.readline().strip()

    def counters(self) -> dict[str, int]:
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        self.process.stdin.write("?\n")
        self.process.stdin.flush()
        counters: dict[str, int] = json.loads(self.process.stdout.readline())
        return counters

    def stop(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait(timeout=30)


def pinned(command: list[str], core: int) -> list[str]:
    if shutil.which("taskset") and (os.cpu_count() or 1) > 1:
        return ["taskset", "-c", str(core), *command]
    return command


# -- the cookbook approach, in its own process ---------------------------------------------


def cookbook(source: str, target: str, url: str, concurrency: int, max_retries: int) -> None:
    with open(source) as lines:
        requests = [json.loads(line) for line in lines]
    with open(target, "w") as out:
        asyncio.run(_cookbook(requests, out, url, concurrency, max_retries))


async def _cookbook(
    requests: list[dict[str, Any]], out: TextIO, url: str, concurrency: int, max_retries: int
) -> None:
    import openai

    client = openai.AsyncOpenAI(api_key="sk-bench", base_url=url, max_retries=max_retries)
    semaphore = asyncio.Semaphore(concurrency)

    async def one(number: int, request: dict[str, Any]) -> None:
        record: dict[str, Any] = {"id": f"batch_req_{number}", "custom_id": request["custom_id"]}
        async with semaphore:
            try:
                answer = await client.chat.completions.create(**request["body"])
            except openai.APIStatusError as exc:
                record["response"] = {
                    "status_code": exc.status_code,
                    "request_id": exc.request_id,
                    "body": exc.body,
                }
                record["error"] = None
            except openai.APIError as exc:
                record["response"] = None
                record["error"] = {"code": type(exc).__name__, "message": str(exc)}
            else:
                record["response"] = {
                    "status_code": 200,
                    "request_id": answer._request_id,
                    "body": answer.to_dict(),
                }
                record["error"] = None
        out.write(json.dumps(record) + "\n")

    await asyncio.gather(*(one(number, request) for number, request in enumerate(requests)))
    await client.close()


# -- measuring -------------------------------------------------------------------------


def write_input(path: Path, count: int) -> None:
    with path.open("w") as file:
        for i in range(count):
            body = {
                "model": "gpt-4o-mini",
                "messages": [{"role": "user", "content": PROMPT.format(i=i)}],
                "max_tokens": 16,
            }
            file.write(
                json.dumps(
                    {
                        "custom_id": f"request-{i}",
                        "method": "POST",
                        "url": "/v1/chat/completions",
                        "body": body,
                    }
                )
                + "\n"
            )


def measure(command: list[str]) -> tuple[int, float, float]:
    """Run `command` on core 1; (exit status, wall seconds, peak RSS in MB) of that process alone."""
    started = time.monotonic()
    process = subprocess.Popen(pinned(command, 1), stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    wall = time.monotonic() - started
    return process.returncode, wall, usage.ru_maxrss / 1024


def count_output(path: Path) -> tuple[int, int, int]:
    """(lines, successful lines, distinct custom_ids)."""
    lines = ok = 0
    ids: set[str] = set()
    with path.open("rb") as file:
        for raw in file:
            record = json.loads(raw)
            lines += 1
            ids.add(record["custom_id"])
            response = record.get("response")
            ok += bool(response) and response["status_code"] < 400 and not record.get("error")
    return lines, ok, len(ids)


def batch_command(source: Path, target: Path, url: str, *extra: str) -> list[str]:
    return [
        sys.executable, "-m", "openai_actors", "batch", str(source), str(target),
        "--base-url", url, "--api-key", "sk-bench", "--quiet", *extra,
    ]  # fmt: skip


def job(args: argparse.Namespace, workdir: Path) -> list[dict[str, Any]]:
    source = workdir / "job.jsonl"
    write_input(source, args.requests)
    rate = args.limit / args.window
    kinds = [("openai-actors batch", "actors")] + ([] if args.skip_cookbook else [("cookbook", "cookbook")])
    rows = []
    for name, kind in kinds:
        target = workdir / f"job-{kind}.out.jsonl"
        target.unlink(missing_ok=True)
        server = Server(args.limit, args.window)
        try:
            if kind == "actors":
                command = batch_command(
                    source, target, server.url,
                    "--rpm", str(args.limit), "--window", str(args.window),
                    "--max-in-flight", str(args.concurrency), "--max-retries", str(args.max_retries),
                )  # fmt: skip
            else:
                command = [
                    sys.executable, __file__, "--cookbook", str(source), str(target), server.url,
                    "--concurrency", str(args.concurrency), "--max-retries", str(args.max_retries),
                ]  # fmt: skip
            status, wall, rss = measure(command)
            counters = server.counters()
        finally:
            server.stop()
        lines, ok, distinct = count_output(target)
        rows.append(
            {
                "client": name,
                "exit": status,
                "wall_s": round(wall, 1),
                "share_of_limit": round(ok / wall / rate, 3),
                "429s": counters["rate_limited"],
                "lines": lines,
                "ok": ok,
                "distinct_ids": distinct,
                "peak_rss_mb": round(rss, 1),
            }
        )
        print(json.dumps(rows[-1]), flush=True)
    return rows


def memory(args: argparse.Namespace, workdir: Path) -> list[dict[str, Any]]:
    rows = []
    for size in args.rss_sizes:
        source = workdir / f"rss-{size}.jsonl"
        target = workdir / f"rss-{size}.out.jsonl"
        write_input(source, size)
        target.unlink(missing_ok=True)
        server = Server(None, 60.0)
        try:
            status, wall, rss = measure(
                batch_command(source, target, server.url, "--max-in-flight", str(args.concurrency))
            )
        finally:
            server.stop()
        lines, ok, _ = count_output(target)
        rows.append(
            {
                "lines": size,
                "exit": status,
                "wall_s": round(wall, 1),
                "requests_per_s": round(size / wall),
                "ok": ok,
                "output_lines": lines,
                "peak_rss_mb": round(rss, 1),
            }
        )
        print(json.dumps(rows[-1]), flush=True)
        source.unlink()
        target.unlink()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--limit", type=int, default=10_000, help="requests per window the server allows")
    parser.add_argument("--window", type=float, default=10.0)
    parser.add_argument("--concurrency", type=int, default=256)
    parser.add_argument("--max-retries", type=int, default=5)
    parser.add_argument(
        "--rss-sizes", type=lambda text: [int(n) for n in text.split(",") if n], default=[10_000, 100_000]
    )
    parser.add_argument("--skip-cookbook", action="store_true")
    parser.add_argument("--skip-job", action="store_true")
    parser.add_argument(
        "--workdir", help="where the input and output files go (default: a temporary directory)"
    )
    # The child processes' modes.
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--cookbook", nargs=3, metavar=("IN", "OUT", "URL"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.limit or None, args.window)
        return
    if args.cookbook:
        cookbook(*args.cookbook, args.concurrency, args.max_retries)
        return
    with tempfile.TemporaryDirectory(dir=args.workdir) as directory:
        workdir = Path(directory)
        results = {
            "job": [] if args.skip_job else job(args, workdir),
            "memory": memory(args, workdir),
        }
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
