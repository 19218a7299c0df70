"""Batch jobs on Ray Data: Batch API request rows in, Batch API output rows out, each custom_id once.

    import openai_actors.ray
    from openai_actors import RateLimit

    requests = openai_actors.ray.read_requests("requests.jsonl")      # or any Dataset of request rows
    answers = openai_actors.ray.process(requests, journal="/shared/job-42", concurrency=4,
                                        rate_limit=RateLimit(requests_per_minute=1200))
    answers.write_json("answers/")

Theory of operation
-------------------
`process` maps the dataset's batches through a pool of `concurrency` Ray
actors. Each actor holds one `AsyncOpenAI` (so one dispatcher, one set of
connections, one pacer) and runs Ray Data's async `__call__` for several
batches at once, each batch's rows sent concurrently through `client.batch`,
the same code path as `openai-actors batch`: a row becomes a call exactly as
a line of the batch command's INPUT does, and a result becomes exactly the
line it writes to OUTPUT (`output_record`).

Exactly once rests on the journal (`_ray_journal.py`): a directory where
every actor appends the output line of every request it sent, and which it
reads before sending. A row already answered there is answered from it. So
when Ray retries a block after an actor died, or a new run is pointed at the
journal of a driver that died, only what was not answered is sent. The rows
out of the dataset are built from the same lines, so they match the journal
(and a retried block produces the rows the dead attempt would have), and
Ray hands on each block's rows once.

Why a journal directory rather than the output dataset itself: Ray Data
writes its outputs as whole files when blocks finish, and a retried or
re-run job writes them anew, so "what is done" must be recorded per request,
as it happens, somewhere every actor (and every later run) can read. Files
on a POSIX filesystem (local for one node, NFS or another shared mount for
a cluster) give that with one append per answer and no other service.

This module is the only one that imports `ray` (an optional extra:
`pip install "openai-actors[ray]"`).
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

import ray
import ray.data

from ._exceptions import OpenAIError
from ._ratelimit import RateLimit
from ._types import NOT_GIVEN, NotGiven

if TYPE_CHECKING:
    import pyarrow as pa

    from ._client import AsyncOpenAI
    from ._ray_journal import Journal

__all__ = ["LastingFailureError", "find_duplicates", "process", "read_requests"]

# The columns of the rows out, in the Batch API output's order.
COLUMNS: Final = ("id", "custom_id", "response", "error")
DEFAULT_CONCURRENCY: Final = 4
DEFAULT_MAX_IN_FLIGHT: Final = 256
DEFAULT_BATCH_SIZE: Final = 64


def process(
    dataset: ray.data.Dataset,
    *,
    journal: str | os.PathLike[str],
    concurrency: int = DEFAULT_CONCURRENCY,
    rate_limit: RateLimit | NotGiven | None = NOT_GIVEN,
    max_in_flight: int = DEFAULT_MAX_IN_FLIGHT,
    batch_size: int = DEFAULT_BATCH_SIZE,
    retry_failed: bool = False,
    keep_going: bool = False,
    num_cpus: float = 0.0,
    **client_options: Any,
) -> ray.data.Dataset:
    """Send every row of `dataset` once; a lazy Dataset of the Batch API output rows.

    Rows in: `custom_id`, `method` ("POST"), `url` ("/v1/chat/completions",
    ...), `body` (a dict, or its JSON text). Rows out: `id`, `custom_id`,
    `response` (`status_code`, `request_id`, `body`) and `error`, the dicts
    `openai-actors batch` writes as lines (in the input's order within a
    block; across blocks as Ray orders them, see its `preserve_order`).

    - `journal`: a directory every actor can reach (shared storage on a
      cluster); what is answered there is never sent again, by this run or a
      later one pointed at it. Keep one per job.
    - `concurrency`: Ray actors, each with one client.
    - `rate_limit`: for each actor's client; limits meant for the whole job
      must be shared (`RateLimit(..., shared=SharedLimits(...))`), or divided
      by `concurrency`.
    - `max_in_flight`: requests in flight per actor, unless `rate_limit` sets one.
    - `batch_size`: rows per call of an actor (Ray runs a few at once).
    - `retry_failed`: send again the rows whose journal line is a failure.
    - `keep_going`: record lasting failures too. By default an actor whose
      first 10 answers all fail for one cause no retry cures (connection
      refused, a host that does not resolve, TLS refused, HTTP 401/403/404)
      records none of them and raises `LastingFailureError`, which stops the
      job: fix the cause and run it again.
    - `num_cpus`: logical CPUs each actor reserves. 0 by default: an actor
      waits on the network, and reserving CPUs could starve the tasks that
      read the dataset.
    - Anything else is an `AsyncOpenAI` option (`api_key`, `base_url`,
      `max_retries`, `timeout`, ...). Without `api_key`, `OPENAI_API_KEY` is
      read here, in the driver, and passed to the actors.
    """
    if not isinstance(dataset, ray.data.Dataset):
        raise TypeError(f"dataset must be a ray.data.Dataset, not {type(dataset).__name__}")
    _positive_int("concurrency", concurrency)
    _positive_int("max_in_flight", max_in_flight)
    _positive_int("batch_size", batch_size)
    if isinstance(num_cpus, bool) or not isinstance(num_cpus, int | float) or num_cpus < 0:
        raise ValueError(f"num_cpus must be a number >= 0, not {num_cpus!r}")
    directory = os.path.abspath(os.fspath(journal))
    options = _client_options(client_options, rate_limit, max_in_flight)
    os.makedirs(directory, exist_ok=True)
    return dataset.map_batches(
        _Worker,
        fn_constructor_kwargs={
            "journal": directory,
            "options": options,
            "retry_failed": retry_failed,
            "keep_going": keep_going,
        },
        batch_size=batch_size,
        batch_format="pyarrow",
        zero_copy_batch=True,
        compute=ray.data.ActorPoolStrategy(size=concurrency),
        num_cpus=num_cpus,
    )


def read_requests(paths: str | list[str], **read_text_options: Any) -> ray.data.Dataset:
    """A Batch API input file (or files) as request rows, each `body` kept as its JSON text.

    Why not `ray.data.read_json`: Arrow gives every row of a block the same
    struct, so a body would gain every key any other body has (as nulls) and
    be sent that way. Here each body is sent exactly as written. A line that
    is not a JSON object becomes a row with its text as `body` and no
    custom_id, answered by a `missing_custom_id` error row.
    """
    return ray.data.read_text(paths, **read_text_options).map(_request_row)


def find_duplicates(dataset: ray.data.Dataset, *, limit: int = 20) -> dict[str, int]:
    """custom_ids that more than one row has, with how many (up to `limit` of them); {} when none.

    `process` does not look for them (that takes a pass over the whole
    dataset, a shuffle): a repeated custom_id is sent once and its repeats
    get the same answer, unless two of them are in flight at the same
    moment. As the Batch API, which refuses such a file, check first:

        if repeated := openai_actors.ray.find_duplicates(requests):
            raise SystemExit(f"custom_ids used more than once: {repeated}")
    """
    from ray.data.expressions import col

    _positive_int("limit", limit)
    counts = dataset.select_columns(["custom_id"]).groupby("custom_id").count()
    repeated = counts.filter(expr=col("count()") > 1).take(limit)
    return {row["custom_id"]: row["count()"] for row in repeated}


def _request_row(row: dict[str, Any]) -> dict[str, Any]:
    text = row["text"]
    try:
        item = json.loads(text)
    except ValueError:
        item = None
    if not isinstance(item, dict):
        return {"custom_id": None, "method": None, "url": None, "body": text}
    fields = {name: item.get(name) for name in ("custom_id", "method", "url")}
    return {
        **{name: value if isinstance(value, str) else None for name, value in fields.items()},
        "body": json.dumps(item.get("body"), ensure_ascii=False, separators=(",", ":")),
    }


def _positive_int(name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive int, not {value!r}")


def _client_options(
    options: dict[str, Any], rate_limit: RateLimit | NotGiven | None, max_in_flight: int
) -> dict[str, Any]:
    """The actors' client options, checked here (a mistake is one error in the driver, not one per actor)."""
    from ._client import AsyncOpenAI

    if "http_client" in options:
        raise TypeError("process() does not take http_client: each actor makes its own connections")
    options = dict(options)
    if options.get("api_key") is None and os.environ.get("OPENAI_API_KEY"):
        # The actors may run on hosts where the driver's environment is not.
        options["api_key"] = os.environ["OPENAI_API_KEY"]
    rate = RateLimit() if isinstance(rate_limit, NotGiven) else rate_limit
    if rate is None:
        # No pacing, as asked; the in-flight cap per actor still holds.
        rate = RateLimit(learn=False, max_in_flight=max_in_flight)
    elif isinstance(rate, RateLimit) and rate.max_in_flight is None:
        rate = dataclasses.replace(rate, max_in_flight=max_in_flight)
    options["rate_limit"] = rate
    AsyncOpenAI(**options)  # raises on a bad option, naming it; the client holds nothing until used
    for name, value in options.items():
        try:
            ray.cloudpickle.dumps(value)  # type: ignore[no-untyped-call]  # Ray's own pickler, untyped
        except Exception as exc:
            # The value itself is never shown: it may hold a secret.
            raise TypeError(
                f"the {name!r} option cannot be sent to Ray actors: it does not pickle ({type(exc).__name__})"
            ) from None
    return options


class LastingFailureError(OpenAIError):
    """An actor's first answers all failed for one cause no retry will cure; nothing was recorded for them.

    As the batch command's fast fail: the job stops rather than answer every
    row with the same error. Fix the cause and run the same job again.
    """


class _Worker:
    """One Ray actor: one client, the journal, and Ray Data's async `__call__` per batch of rows."""

    def __init__(self, journal: str, options: dict[str, Any], retry_failed: bool, keep_going: bool) -> None:
        from ._batch_fastfail import FastFail
        from ._client import AsyncOpenAI
        from ._ray_journal import Journal

        self._journal: Journal = Journal(journal, retry_failed=retry_failed)
        self._client: AsyncOpenAI = AsyncOpenAI(**options)
        self._base_path = self._client._options.base_path
        self._fast_fail: FastFail | None = None if keep_going else FastFail()
        # Failed answers kept out of the journal until the fast-fail rule decides.
        self._held: list[bytes] = []

    def __repr__(self) -> str:
        return f"<openai_actors.ray worker journal={self._journal.directory!r}>"

    async def __call__(self, batch: pa.Table) -> pa.Table:
        import anyio

        from ._batch import input_error_result
        from ._batch_cli import output_record
        from ._batch_lines import LineError, parse_request

        rows = batch.to_pylist()
        records: list[dict[str, Any] | None] = [None] * len(rows)
        journal = self._journal
        journal.refresh()
        to_send: list[int] = []
        requests: list[dict[str, Any]] = []
        for position, row in enumerate(rows):
            request = _request(row)
            checked = parse_request(request, base_path=self._base_path)
            if isinstance(checked, LineError):
                records[position] = output_record(input_error_result(checked, position, None))
            elif (known := journal.answer(checked.custom_id)) is not None:
                records[position] = json.loads(known)
            else:
                to_send.append(position)
                requests.append(request)
        if requests:
            for index, record in await self._send(requests):
                records[to_send[index]] = record
            await anyio.to_thread.run_sync(journal.sync)
        return _table(records)

    async def _send(self, requests: list[dict[str, Any]]) -> list[tuple[int, dict[str, Any]]]:
        """Send the requests at once; each answer (by its index in `requests`), journaled."""
        from ._batch_cli import output_record
        from ._batch_fastfail import fatal_cause
        from ._batch_lines import encode_line
        from ._exceptions import ClientClosedError

        answers = []
        async with self._client.batch(requests, max_in_flight=len(requests)) as results:
            async for result in results:
                if isinstance(result.error, ClientClosedError):
                    continue  # not an answer: the actor is going away, and Ray retries the block
                record = output_record(result)
                if result.endpoint is not None:  # it was sent: an answer to keep
                    self._keep(encode_line(record), fatal_cause(result.status_code, result.error))
                answers.append((result.index, record))
        return answers

    def _keep(self, line: bytes, fatal: str | None) -> None:
        """Journal an answer, unless the fast-fail rule holds it back or stops the job."""
        fast_fail = self._fast_fail
        if fast_fail is not None and fast_fail.observe(fatal):
            self._held.append(line)
            return
        if fast_fail is not None and fast_fail.stop is not None:
            self._held.clear()
            raise LastingFailureError(
                f"the first {fast_fail.threshold} answers all failed: {fast_fail.stop};"
                " none was recorded: fix the cause and run the same job again"
                " (or pass keep_going=True to record such failures as answers)"
            )
        held, self._held = self._held, []
        for earlier in held:
            self._journal.append(earlier)
        self._journal.append(line)


def _request(row: Mapping[str, Any]) -> dict[str, Any]:
    """A request line from a row; a body given as JSON text is decoded (bad text: sent as is, refused)."""
    request = {name: row.get(name) for name in ("custom_id", "method", "url", "body")}
    body = request["body"]
    if isinstance(body, str | bytes):
        try:
            request["body"] = json.loads(body)
        except ValueError:
            pass  # not an object: parse_request names it as an invalid body
    return request


def _table(records: list[dict[str, Any] | None]) -> pa.Table:
    import pyarrow as pa
    from ray.data.extensions import ArrowPythonObjectArray

    missing = [position for position, record in enumerate(records) if record is None]
    if missing:
        # The client was closed under the batch: fail the task, and Ray retries the block.
        raise RuntimeError(f"{len(missing)} rows of the batch got no result")
    done = [record for record in records if record is not None]
    # `response` and `error` are kept as Python objects: as Arrow structs, every
    # row of a block would gain the keys of every other row's body (as nulls).
    return pa.table(
        {
            "id": pa.array([record["id"] for record in done], pa.string()),
            "custom_id": pa.array([record["custom_id"] for record in done], pa.string()),
            "response": ArrowPythonObjectArray.from_objects([record["response"] for record in done]),
            "error": ArrowPythonObjectArray.from_objects([record["error"] for record in done]),
        }
    )
