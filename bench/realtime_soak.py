"""Soak `client.realtime.connect()`: many events over a long run, and whether the client's memory stays flat.

    python bench/realtime_soak.py [--duration 600] [--warmup 60] [--backend asyncio|trio]
                                  [--round-interval 0.1] [--responses-per-connection 50]
                                  [--no-compression] [--base-url URL]

Against the bundled mock (started in its own process, so its memory is not
counted) unless --base-url names a server. Each round appends a few chunks
of audio, commits them, adds a user message and asks for a response, then
reads every event up to `response.done`; a round starts every
--round-interval seconds (0: flat out); every --responses-per-connection
rounds the connection is closed and a new one opened, so the connections'
set-up and tear-down are soaked too.

RSS is read from /proc every --sample seconds. After --warmup seconds the
first sample is the baseline; the figure is the largest sample after it as
a percentage above it. The run fails (exit status 1) if that is over
--max-growth (10 %) or fewer than --min-events (10,000) events arrived.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import resource
import subprocess
import sys
import time
from typing import Any

import anyio

from openai_actors import AsyncOpenAI

AUDIO_CHUNK = base64.b64encode(bytes(range(256)) * 12).decode()  # 3 KB of "audio" per append


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


class Soak:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.events = 0
        self.responses = 0
        self.connections = 0
        self.samples: list[tuple[float, float]] = []  # (seconds since start, RSS MB)

    async def converse(self, client: AsyncOpenAI, deadline: float) -> None:
        per_connection = self.args.responses_per_connection
        while time.monotonic() < deadline:
            options: dict[str, Any] = {} if self.args.compression else {"compression": None}
            async with client.realtime.connect(
                model="gpt-realtime",
                websocket_connection_options=options,  # type: ignore[arg-type]
            ) as connection:
                self.connections += 1
                await connection.session.update(session={"type": "realtime", "output_modalities": ["text"]})
                for _ in range(per_connection):
                    began = time.monotonic()
                    if began >= deadline:
                        break
                    for _ in range(3):
                        await connection.input_audio_buffer.append(audio=AUDIO_CHUNK)
                    await connection.input_audio_buffer.commit()
                    await connection.conversation.item.create(
                        item={
                            "type": "message",
                            "role": "user",
                            "content": [{"type": "input_text", "text": f"round {self.responses}"}],
                        }
                    )
                    await connection.response.create()
                    async for event in connection:
                        self.events += 1
                        if event.type == "response.done":
                            break
                    self.responses += 1
                    # Paced like a conversation, not flat out (--round-interval 0: flat out).
                    await anyio.sleep(max(0.0, began + self.args.round_interval - time.monotonic()))

    async def sample(self, start: float, deadline: float) -> None:
        while time.monotonic() < deadline:
            self.samples.append((time.monotonic() - start, rss_mb()))
            await anyio.sleep(self.args.sample)

    async def run(self, base_url: str) -> None:
        start = time.monotonic()
        deadline = start + self.args.duration
        async with (
            AsyncOpenAI(api_key="sk-soak", base_url=base_url) as client,
            anyio.create_task_group() as tg,
        ):
            tg.start_soon(self.sample, start, deadline)
            await self.converse(client, deadline)
        self.samples.append((time.monotonic() - start, rss_mb()))

    def report(self, elapsed: float, cpu: float) -> dict[str, Any]:
        after = [mb for t, mb in self.samples if t >= self.args.warmup]
        baseline = after[0] if after else float("nan")
        peak = max(after) if after else float("nan")
        return {
            "backend": self.args.backend,
            "compression": self.args.compression,
            "round_interval_s": self.args.round_interval,
            "responses_per_connection": self.args.responses_per_connection,
            "duration_s": round(elapsed, 1),
            "events": self.events,
            "events_per_s": round(self.events / elapsed, 1),
            "responses": self.responses,
            "connections": self.connections,
            "client_cpu_s": round(cpu, 1),
            "rss_first_mb": round(self.samples[0][1], 1),
            "rss_baseline_mb": round(baseline, 1),
            "rss_peak_after_warmup_mb": round(peak, 1),
            "rss_growth_pct": round((peak - baseline) / baseline * 100, 2),
            "rss_samples_mb": [round(mb, 1) for _, mb in self.samples],
        }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=600.0, help="seconds to run (600)")
    parser.add_argument("--warmup", type=float, default=60.0, help="seconds before the RSS baseline (60)")
    parser.add_argument("--sample", type=float, default=10.0, help="seconds between RSS samples (10)")
    parser.add_argument("--backend", choices=["asyncio", "trio"], default="asyncio")
    parser.add_argument("--responses-per-connection", type=int, default=50)
    parser.add_argument(
        "--round-interval", type=float, default=0.1, help="seconds from one round's start to the next (0.1)"
    )
    parser.add_argument(
        "--no-compression", dest="compression", action="store_false", help="do not offer permessage-deflate"
    )
    parser.add_argument(
        "--base-url", help="a server with a Realtime endpoint (default: the mock, started here)"
    )
    parser.add_argument(
        "--max-growth", type=float, default=10.0, help="percent RSS growth that fails the run"
    )
    parser.add_argument("--min-events", type=int, default=10_000, help="fewer events fail the run")
    args = parser.parse_args()

    server = None
    base_url = args.base_url
    if base_url is None:
        server = subprocess.Popen(
            [sys.executable, "-m", "openai_actors.mock", "--port", "0", "--no-record"],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert server.stdout is not None
        base_url = server.stdout.readline().strip()
    soak = Soak(args)
    try:
        began = time.monotonic()
        usage = resource.getrusage(resource.RUSAGE_SELF)
        anyio.run(soak.run, base_url, backend=args.backend)
        elapsed = time.monotonic() - began
        after = resource.getrusage(resource.RUSAGE_SELF)
        cpu = after.ru_utime + after.ru_stime - usage.ru_utime - usage.ru_stime
    finally:
        if server is not None:
            server.terminate()
            server.wait()
    report = soak.report(elapsed, cpu)
    print(json.dumps(report))
    ok = report["rss_growth_pct"] <= args.max_growth and report["events"] >= args.min_events
    print(
        f"{report['events']:,} events ({report['events_per_s']}/s) over {report['connections']} connections "
        f"in {report['duration_s']} s; RSS {report['rss_baseline_mb']} MB after warm-up, "
        f"peak {report['rss_peak_after_warmup_mb']} MB ({report['rss_growth_pct']:+.2f} %): "
        + ("PASS" if ok else "FAIL"),
        file=sys.stderr,
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
