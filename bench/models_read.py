"""What a response costs to build and read, and to dump, per response (µs), for before/after checks.

    PYTHONPATH=<a tree to measure> python bench/models_read.py

Run it alternately with an old tree first on the path (`git archive <rev> openai_actors
| tar -x -C /tmp/old`) and this one, and compare the minima: the machine drifts more
between runs than most changes are worth. Figures are the minimum of 7 repeats.

- chat: `json.loads` of a small chat completion, `_from_raw`, reading
  `choices[0].message.content` and `usage.total_tokens`;
- chat_no_json, embedding_no_json: the same without `json.loads` (an embedding of 1,536 floats);
- to_dict: `_from_raw` then `to_dict()` of the small chat completion.
"""

from __future__ import annotations

import json
import timeit
from collections.abc import Callable
from typing import Any

import openai_actors
from openai_actors.types import CreateEmbeddingResponse
from openai_actors.types.chat import ChatCompletion

CHAT = json.dumps(
    {
        "id": "c",
        "object": "chat.completion",
        "created": 1,
        "model": "m",
        "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": "hi"}}],
        "usage": {"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3},
    }
)
EMBEDDING = json.dumps(
    {
        "object": "list",
        "model": "e",
        "data": [{"object": "embedding", "index": 0, "embedding": [0.5] * 1536}],
        "usage": {"prompt_tokens": 1, "total_tokens": 1},
    }
)


def cases() -> dict[str, Callable[[], Any]]:
    chat, embedding = json.loads(CHAT), json.loads(EMBEDDING)

    def read_chat() -> Any:
        r = ChatCompletion._from_raw(json.loads(CHAT))
        return r.choices[0].message.content, r.usage.total_tokens if r.usage else None

    def read_chat_no_json() -> Any:
        r = ChatCompletion._from_raw(chat)
        return r.choices[0].message.content, r.usage.total_tokens if r.usage else None

    def read_embedding_no_json() -> Any:
        r = CreateEmbeddingResponse._from_raw(embedding)
        return r.data[0].embedding[0], r.usage.total_tokens

    def to_dict() -> Any:
        return ChatCompletion._from_raw(chat).to_dict()

    return {
        "chat": read_chat,
        "chat_no_json": read_chat_no_json,
        "embedding_no_json": read_embedding_no_json,
        "to_dict": to_dict,
    }


def main() -> None:
    n = 20_000
    figures = {name: min(timeit.repeat(fn, number=n, repeat=7)) / n * 1e6 for name, fn in cases().items()}
    where = openai_actors.__file__.rsplit("/openai_actors", 1)[0]
    print(json.dumps({k: round(v, 2) for k, v in figures.items()}), where)


if __name__ == "__main__":
    main()
