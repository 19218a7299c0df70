"""A workload identity's cost per request against a string api_key's, on the bundled mock server.

    python bench/workload_identity_ab.py [--requests 2000] [--concurrency 32] [--rounds 3]

Each round makes one `AsyncOpenAI` with `api_key="sk"` and one with a
subject-token `workload_identity` (its token endpoint is the mock server's
`/oauth/token`, through a responder), sends one warm-up request (for the
identity: its one exchange), then `--requests` chat completions,
`--concurrency` at a time, and prints requests/s and the process's CPU per
request (the mock server runs on a thread of the same process, so its CPU is
counted too: compare the two lines, not the number with other benchmarks).
"""

from __future__ import annotations

import argparse
import threading
import time
from typing import Any

import anyio

from openai_actors import AsyncOpenAI
from openai_actors.auth import _policy
from openai_actors.mock import Fault, MockServer, RecordedRequest


class Tokens:
    def __init__(self) -> None:
        self.exchanges = 0
        self._lock = threading.Lock()

    def __call__(self, request: RecordedRequest) -> Fault | None:
        if request.path != "/oauth/token":
            return None
        with self._lock:
            self.exchanges += 1
        return Fault(status=200, body={"access_token": "at-1", "expires_in": 3600})


async def measure(client: AsyncOpenAI, requests: int, concurrency: int) -> tuple[float, float]:
    limit = anyio.Semaphore(concurrency)

    async def one() -> None:
        async with limit:
            await client.chat.completions.create(model="m", messages=[{"role": "user", "content": "hi"}])

    await one()  # the connection, and for the identity its exchange
    wall, cpu = time.perf_counter(), time.process_time()
    async with anyio.create_task_group() as tg:
        for _ in range(requests):
            tg.start_soon(one)
    return time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    tokens = Tokens()
    with MockServer() as server:
        server.responder = tokens
        _policy.DEFAULT_TOKEN_EXCHANGE_URL = server.url.removesuffix("/v1") + "/oauth/token"  # type: ignore[misc]
        identity: Any = {
            "identity_provider_id": "idp",
            "service_account_id": "sa",
            "provider": {"token_type": "jwt", "get_token": lambda: "subject"},
        }
        for round_ in range(args.rounds):
            for name, options in (
                ("api_key", {"api_key": "sk"}),
                ("workload_identity", {"workload_identity": identity}),
            ):

                async def run(options: dict[str, Any] = options) -> tuple[float, float]:
                    async with AsyncOpenAI(base_url=server.url, **options) as client:
                        return await measure(client, args.requests, args.concurrency)

                wall, cpu = anyio.run(run)
                print(
                    f"{name:18} round {round_}: {args.requests / wall:7.0f} req/s, "
                    f"{cpu / args.requests * 1e6:5.0f} us CPU/request (client and mock)"
                )
    print(f"exchanges: {tokens.exchanges} for {args.rounds} identity clients")


if __name__ == "__main__":
    main()
