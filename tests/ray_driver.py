"""A driver of its own for tests/test_ray.py: joins the test's Ray instance and runs one job.

    python -m tests.ray_driver RAY_ADDRESS BASE_URL JOURNAL ROWS

The test kills it with SIGKILL mid-run, then runs the same job itself.
"""

from __future__ import annotations

import sys

import ray
import ray.data

import openai_actors.ray
from openai_actors import RateLimit


def request_rows(count: int) -> list[dict[str, object]]:
    """`count` chat requests r0, r1, ...; each message is its custom_id, so the server's log names it."""
    return [
        {
            "custom_id": f"r{i}",
            "method": "POST",
            "url": "/v1/chat/completions",
            "body": {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": f"r{i}"}]},
        }
        for i in range(count)
    ]


def job(base_url: str, journal: str, rows: int, max_in_flight: int) -> ray.data.Dataset:
    dataset = ray.data.from_items(request_rows(rows), override_num_blocks=8)
    return openai_actors.ray.process(
        dataset,
        journal=journal,
        concurrency=2,
        batch_size=10,
        rate_limit=RateLimit(max_in_flight=max_in_flight),
        api_key="sk-test",
        base_url=base_url,
    )


def main() -> None:
    address, base_url, journal, rows = sys.argv[1:]
    ray.init(address=address, log_to_driver=False)
    ray.data.DataContext.get_current().enable_progress_bars = False
    job(base_url, journal, int(rows), 4).materialize()


if __name__ == "__main__":
    main()
