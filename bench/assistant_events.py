"""What the Assistants event handler costs per streamed event, in the caller, with no network.

    python bench/assistant_events.py [--pieces 400] [--rounds 5]

One streamed run as the bundled mock sends it (run events, a message of
`--pieces` text deltas, the step and run completed) is decoded from its SSE
data once; each round builds every typed event from its JSON and feeds it to a
fresh event handler that overrides `on_text_delta` (so the snapshot of the text
is read on every delta, as a printing handler does). Compared: this package's
`AssistantEventHandler` (lazy models; deltas merged copy-on-write into dicts)
and the official SDK's (`construct_type` per event; each delta dumped, merged
and constructed again), when `openai` is installed, and the JSON round trip
alone (each feed's stand-in for decoding the SSE data: subtract it to get the
model layer's and the handler's own cost). Median of `--rounds`.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def recorded_run(pieces: int) -> list[dict[str, Any]]:
    """The events of one streamed run from the mock, as `{"event": name, "data": object}`."""
    from openai_actors.mock._assistants import _answer, _Run, _started

    run = _Run("run_1", "thread_1", "asst_1", "gpt-4o-mini", 1700000000, {"instructions": "", "tools": []})
    reply = "word" * pieces  # the mock streams four characters per delta
    events = []
    for raw in [*_started(run), *_answer(run, "step_1", "msg_1", reply, 10)]:
        head, _, data = raw.decode().partition("\ndata: ")
        if data.strip() != "[DONE]":
            events.append({"event": head.removeprefix("event: "), "data": json.loads(data)})
    return events


def decode_only(events: list[dict[str, Any]]) -> Callable[[], int]:
    """The JSON round trip alone, which the other two include: subtract it to get their own cost."""

    def feed() -> int:
        seen = 0
        for event in events:
            value = json.loads(json.dumps(event))
            if value["event"] == "thread.message.delta":
                seen += len(value["data"]["delta"]["content"][0]["text"]["value"])
        return seen

    return feed


def ours(events: list[dict[str, Any]]) -> Callable[[], int]:
    from openai_actors import AssistantEventHandler
    from openai_actors._models import as_cast
    from openai_actors.types.beta import AssistantStreamEvent

    parse = as_cast(AssistantStreamEvent)

    class Handler(AssistantEventHandler):
        seen = 0

        def on_text_delta(self, delta: Any, snapshot: Any) -> None:
            self.seen = len(snapshot.value)

    def feed() -> int:
        handler = Handler()
        for event in events:
            handler._emit(parse(json.loads(json.dumps(event))))
        return handler.seen

    return feed


def official(events: list[dict[str, Any]]) -> Callable[[], int] | None:
    try:
        from openai import AssistantEventHandler
        from openai._models import construct_type
        from openai.types.beta import AssistantStreamEvent
    except ImportError:
        return None

    class Handler(AssistantEventHandler):
        seen = 0

        def on_text_delta(self, delta: Any, snapshot: Any) -> None:
            self.seen = len(snapshot.value)

    def feed() -> int:
        handler = Handler()
        for event in events:
            typed = construct_type(type_=AssistantStreamEvent, value=json.loads(json.dumps(event)))
            handler._emit_sse_event(typed)
        return handler.seen

    return feed


def per_event_us(feed: Callable[[], int], events: int, rounds: int, expected: int) -> float:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        seen = feed()
        times.append((time.perf_counter() - started) / events * 1e6)
        assert seen == expected, f"the handler saw {seen} characters, not {expected}"
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pieces", type=int, default=400, help="text deltas in the message")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    events = recorded_run(args.pieces)
    expected = 4 * args.pieces
    print(f"{len(events)} events ({args.pieces} text deltas, a {expected}-character message)")
    # The JSON round trip in each feed stands for decoding the SSE data, which both pay.
    candidates = (
        ("JSON only", decode_only(events)),
        ("openai_actors", ours(events)),
        ("openai (official)", official(events)),
    )
    for name, feed in candidates:
        if feed is None:
            print(f"{name:18} not installed")
            continue
        print(f"{name:18} {per_event_us(feed, len(events), args.rounds, expected):8.1f} µs per event")


if __name__ == "__main__":
    main()
