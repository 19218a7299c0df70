"""CPU per chunk of the chat stream helper's state machine, this package's and the official SDK's.

    python bench/stream_helpers.py [--chars N] [--repeat R]

Feeds the same decoded chunks (4 characters of content each, as the mock and OpenAI send
them) to `ChatCompletionStreamState.handle_chunk` of both packages, in one thread, no I/O:
a plain text answer, and a structured one (`response_format` a pydantic model, so every
chunk also previews the JSON parsed so far). Prints microseconds per chunk, the best of R
runs. The chunks arrive as each package's stream would hand them over: lazy models over
the decoded JSON here, pydantic models validated from it there (that validation is counted
for neither: it is the raw stream's cost, not the helper's).
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel


class Report(BaseModel):
    title: str
    items: list[str]
    total: int


def chunks(content: str) -> list[dict[str, Any]]:
    def chunk(**delta: Any) -> dict[str, Any]:
        finish = delta.pop("finish_reason", None)
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
        return {"id": "c", "object": "chat.completion.chunk", "created": 1, "model": "m", "choices": [choice]}

    out = [chunk(role="assistant", content="")]
    out += [chunk(content=content[i : i + 4]) for i in range(0, len(content), 4)]
    out.append(chunk(finish_reason="stop"))
    return out


def best_per_chunk(run: Callable[[], None], count: int, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.process_time()
        run()
        best = min(best, time.process_time() - start)
    return best / count * 1e6


def measure(content: str, response_format: Any, repeat: int) -> tuple[float, float | None]:
    from openai_actors.lib.streaming.chat import ChatCompletionStreamState
    from openai_actors.types.chat import ChatCompletionChunk

    data = chunks(content)
    options = {} if response_format is None else {"response_format": response_format}

    def ours() -> None:
        state: Any = ChatCompletionStreamState(**options)
        for item in data:
            state.handle_chunk(ChatCompletionChunk._from_raw(item))
        state.get_final_completion()

    ours_us = best_per_chunk(ours, len(data), repeat)
    try:
        import openai
        from openai.lib.streaming.chat import ChatCompletionStreamState as Official
    except ImportError:
        return ours_us, None
    validated = [openai.types.chat.ChatCompletionChunk.model_validate(item) for item in data]

    def theirs() -> None:
        state: Any = Official(**options)
        for item in validated:
            state.handle_chunk(item)
        state.get_final_completion()

    return ours_us, best_per_chunk(theirs, len(data), repeat)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chars", type=int, default=2000, help="characters of content (default 2000)")
    parser.add_argument("--repeat", type=int, default=5, help="runs, the best counted (default 5)")
    args = parser.parse_args()
    text = ("streaming " * args.chars)[: args.chars]
    items = [f"item {i}" for i in range(args.chars // 12)]
    structured = json.dumps({"title": "report", "items": items, "total": len(items)})
    print(f"{'answer':<12} {'chunks':>7} {'ours µs/chunk':>14} {'official µs/chunk':>17}")
    for label, content, fmt in (("text", text, None), ("structured", structured, Report)):
        ours, theirs = measure(content, fmt, args.repeat)
        count = len(chunks(content))
        print(f"{label:<12} {count:>7} {ours:>14.1f} {'n/a' if theirs is None else f'{theirs:.1f}':>17}")


if __name__ == "__main__":
    main()
