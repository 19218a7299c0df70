"""The mock's HTTP request parser per request: `RequestParser.feed` on a typical chat completion.

    PYTHONPATH=CHECKOUT python bench/mock_parser_feed.py [--requests 200000] [--repeat 7]

Feeds the same request (head and JSON body, as a benchmark client sends it)
to one parser, one request per feed, and prints the median over --repeat runs
of the time per request in nanoseconds, and the minimum (the steadier figure
on a loaded machine). Run it with PYTHONPATH at two
checkouts to compare them (the Realtime endpoint added a check per request:
does it ask for a WebSocket upgrade?).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

from openai_actors.mock._http import RequestParser

BODY = json.dumps({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hello"}]}).encode()
REQUEST = (
    b"POST /v1/chat/completions HTTP/1.1\r\nhost: 127.0.0.1:8000\r\naccept: application/json\r\n"
    b"content-type: application/json\r\nauthorization: Bearer sk-test\r\nuser-agent: bench\r\n"
    b"content-length: %d\r\n\r\n%b" % (len(BODY), BODY)
)


def run(requests: int) -> float:
    parser = RequestParser(32 * 1024 * 1024)
    feed = parser.feed
    started = time.perf_counter()
    for _ in range(requests):
        feed(REQUEST)
    return (time.perf_counter() - started) / requests * 1e9


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    run(1000)  # warm the head cache
    times = [run(args.requests) for _ in range(args.repeat)]
    print(
        f"{statistics.median(times):.0f} ns per request (median of {args.repeat}; min {min(times):.0f}; "
        f"runs {[round(t) for t in times]})"
    )


if __name__ == "__main__":
    main()
