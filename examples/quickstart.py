"""Quickstart: many concurrent requests through one client, against the bundled mock server.

    python examples/quickstart.py

Starts the package's OpenAI-compatible mock server on a free loopback port,
then sends 2,000 chat completions at once from AsyncOpenAI and 200 from 50
threads sharing one sync OpenAI client, and checks that every caller got its
own answer. Point `base_url` at a real server (or drop it and set
OPENAI_API_KEY) and the same code talks to the API.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import anyio

from openai_actors import AsyncOpenAI, OpenAI
from openai_actors.mock import MockServer


async def many_at_once(base_url: str, n: int) -> None:
    answers: dict[int, str] = {}
    async with AsyncOpenAI(api_key="sk-mock", base_url=base_url) as client:

        async def ask(i: int) -> None:
            completion = await client.chat.completions.create(
                model="gpt-4o-mini",
                messages=[{"role": "user", "content": f"question {i}"}],
            )
            answers[i] = completion.choices[0].message.content or ""

        started = time.perf_counter()
        async with anyio.create_task_group() as tg:
            for i in range(n):
                tg.start_soon(ask, i)
        elapsed = time.perf_counter() - started
    assert all(answers[i] == f"echo: question {i}" for i in range(n)), "a caller got someone else's answer"
    print(
        f"AsyncOpenAI: {n} concurrent chat completions in {elapsed:.2f} s ({n / elapsed:,.0f}/s), each answer its own"
    )


def from_threads(base_url: str, threads: int, n: int) -> None:
    with OpenAI(api_key="sk-mock", base_url=base_url) as client:

        def ask(i: int) -> str:
            reply = client.chat.completions.create(
                model="gpt-4o-mini", messages=[{"role": "user", "content": f"thread question {i}"}]
            )
            return reply.choices[0].message.content or ""

        started = time.perf_counter()
        with ThreadPoolExecutor(threads) as pool:
            answers = list(pool.map(ask, range(n)))
        elapsed = time.perf_counter() - started
        embedding = client.embeddings.create(model="text-embedding-3-small", input="hello")
    assert answers == [f"echo: thread question {i}" for i in range(n)]
    print(f"OpenAI (sync): {n} requests from {threads} threads sharing one client in {elapsed:.2f} s")
    print(
        f"embedding of 'hello': {len(embedding.data[0].embedding)} floats, first {embedding.data[0].embedding[0]:.4f}"
    )


def main() -> None:
    with MockServer() as server:
        print(f"mock server listening on {server.url}")
        anyio.run(many_at_once, server.url, 2000)
        from_threads(server.url, threads=50, n=200)
        print(
            f"the server saw {server.connections_opened} connections for {server.requests_served} responses"
        )


if __name__ == "__main__":
    main()
