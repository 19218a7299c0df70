"""What turning a response body into a typed object costs, per chat completion.

    python bench/models.py [--iterations 20000]

Compares this package's model layer (json.loads, then a lazy typed wrapper)
with the alternatives it was chosen over: pydantic v2 validating the official
SDK's type, the official SDK's own lenient `construct_type`, and msgspec
(skipped when not installed; it drops undeclared fields, which is why it was
not chosen). Each figure includes reading `choices[0].message.content` and
`usage.total_tokens`, since a lazy layer pays on access. Median of 5 runs.
"""

import argparse
import json
import statistics
import time
from collections.abc import Callable
from typing import Any

BODY = json.dumps(
    {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1700000000,
        "model": "gpt-4o-mini",
        "choices": [
            {
                "index": 0,
                "message": {
                    "role": "assistant",
                    "content": "Hello! How can I help you today?",
                    "refusal": None,
                },
                "logprobs": None,
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 9, "completion_tokens": 9, "total_tokens": 18},
        "system_fingerprint": "fp_1",
    }
).encode()


def per_call_us(fn: Callable[[], Any], iterations: int) -> float:
    runs = []
    for _ in range(5):
        started = time.perf_counter()
        for _ in range(iterations):
            fn()
        runs.append((time.perf_counter() - started) / iterations * 1e6)
    return statistics.median(runs)


def candidates() -> dict[str, Callable[[], Any]]:
    from openai_actors.types import ChatCompletion

    def actors() -> Any:
        r = ChatCompletion._from_raw(json.loads(BODY))
        return r.choices[0].message.content, r.usage.total_tokens if r.usage else None

    found: dict[str, Callable[[], Any]] = {
        "json.loads alone (floor)": lambda: json.loads(BODY),
        "openai_actors": actors,
    }
    try:
        from openai._models import construct_type
        from openai.types.chat import ChatCompletion as Official

        def pydantic_validate() -> Any:
            r = Official.model_validate_json(BODY)
            return r.choices[0].message.content, r.usage.total_tokens if r.usage else None

        def official_construct() -> Any:
            r: Any = construct_type(type_=Official, value=json.loads(BODY))
            return r.choices[0].message.content, r.usage.total_tokens

        found["pydantic v2 model_validate_json (official type)"] = pydantic_validate
        found["official SDK construct_type"] = official_construct
    except ImportError:
        pass
    try:
        import msgspec

        class Message(msgspec.Struct):
            role: str
            content: str | None = None

        class Choice(msgspec.Struct):
            index: int
            message: Message
            finish_reason: str | None = None

        class Usage(msgspec.Struct):
            prompt_tokens: int
            completion_tokens: int
            total_tokens: int

        class Completion(msgspec.Struct):
            id: str
            choices: list[Choice]
            usage: Usage | None = None

        decoder = msgspec.json.Decoder(Completion)

        def msgspec_decode() -> Any:
            r = decoder.decode(BODY)
            return r.choices[0].message.content, r.usage.total_tokens if r.usage else None

        found["msgspec typed decode (drops unknown fields)"] = msgspec_decode
    except ImportError:
        pass
    return found


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--iterations", type=int, default=20000)
    args = parser.parse_args()
    print("| decoding a chat completion, then reading two fields | µs per response |")
    print("| --- | --- |")
    for name, fn in candidates().items():
        print(f"| {name} | {per_call_us(fn, args.iterations):.2f} |")


if __name__ == "__main__":
    main()
