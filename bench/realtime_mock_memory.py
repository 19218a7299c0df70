"""The mock's side of the Realtime soak: whether the mock server's memory stays flat under it.

    python bench/realtime_mock_memory.py [--duration 180] [--warmup 30] [--sample 5] [--max-growth 10]
                                         [SOAK OPTIONS, e.g. --round-interval 0]

Starts `python -m openai_actors.mock --no-record` in a process of its own,
runs `bench/realtime_soak.py --base-url` against it for --duration seconds (the
client's soak: audio appends, commits, messages, responses, a new connection
every 50 responses; other options are passed on to it), and reads the mock process's RSS and CPU time from /proc
every --sample seconds. The baseline is the first sample after --warmup
seconds; the figure is the largest later sample as a percentage above it. Exit
status 1 if that is over --max-growth or no event arrived; the client's own
verdict (its RSS, bench/realtime_soak.py's criteria) is printed beside it.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/statm") as f:
        pages = int(f.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def cpu_s(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=180.0, help="seconds of soak (180)")
    parser.add_argument("--warmup", type=float, default=30.0, help="seconds before the RSS baseline (30)")
    parser.add_argument("--sample", type=float, default=5.0, help="seconds between RSS samples (5)")
    parser.add_argument("--max-growth", type=float, default=10.0, help="percent RSS growth that fails (10)")
    args, soak_options = parser.parse_known_args()
    mock = subprocess.Popen(
        [sys.executable, "-m", "openai_actors.mock", "--port", "0", "--no-record"],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    assert mock.stdout is not None
    base_url = mock.stdout.readline().strip()
    soak_args = [
        *("--duration", str(args.duration), "--warmup", str(args.warmup), "--sample", str(args.sample)),
        *("--base-url", base_url, "--min-events", "1"),
        *soak_options,
    ]
    samples: list[tuple[float, float]] = []
    try:
        start = time.monotonic()
        soak = subprocess.Popen(
            [sys.executable, str(ROOT / "bench" / "realtime_soak.py"), *soak_args],
            stdout=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        cpu_before = cpu_s(mock.pid)
        while soak.poll() is None:
            samples.append((time.monotonic() - start, rss_mb(mock.pid)))
            try:
                soak.wait(args.sample)
            except subprocess.TimeoutExpired:
                pass
        samples.append((time.monotonic() - start, rss_mb(mock.pid)))
        mock_cpu = cpu_s(mock.pid) - cpu_before
        output = soak.stdout.read() if soak.stdout is not None else ""
    finally:
        mock.terminate()
        mock.wait()
    client = json.loads(output.strip().splitlines()[-1])
    after = [mb for t, mb in samples if t >= args.warmup]
    baseline, peak = after[0], max(after)
    growth = (peak - baseline) / baseline * 100
    report = {
        "events": client["events"],
        "events_per_s": client["events_per_s"],
        "connections": client["connections"],
        "duration_s": client["duration_s"],
        "mock_cpu_s": round(mock_cpu, 1),
        "mock_cpu_us_per_event": round(mock_cpu / max(client["events"], 1) * 1e6, 1),
        "mock_rss_first_mb": round(samples[0][1], 1),
        "mock_rss_baseline_mb": round(baseline, 1),
        "mock_rss_peak_after_warmup_mb": round(peak, 1),
        "mock_rss_growth_pct": round(growth, 2),
        "client_rss_growth_pct": client["rss_growth_pct"],
    }
    print(json.dumps(report))
    ok = growth <= args.max_growth and client["events"] > 0
    print(
        f"mock: {report['events']:,} events ({report['events_per_s']}/s) over {report['connections']} "
        f"connections; {report['mock_cpu_us_per_event']} µs of mock CPU per event; RSS "
        f"{report['mock_rss_baseline_mb']} MB after warm-up, peak {report['mock_rss_peak_after_warmup_mb']} MB "
        f"({growth:+.2f} %): "
        + ("PASS" if ok else "FAIL")
        + f" (the client's soak: {'PASS' if soak.returncode == 0 else 'FAIL'}, RSS {client['rss_growth_pct']:+.2f} %)",
        file=sys.stderr,
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
