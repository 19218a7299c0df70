"""The headers each call sends, against what the official SDK 3.3.1 sends for the same call.

Two kinds: the beta a resource belongs to (`OpenAI-Beta: assistants=v2` on the
Assistants and vector store resources, which the API requires; `chatkit_beta=v1`
on ChatKit), carried by each generated Operation from overrides.toml's
[resource_headers]; and the client's identity (`X-Stainless-*`, Accept,
Content-Type), precomputed per client. Both sides send to the same mock server,
which records what it received; the official client is the reference.

The differences kept on purpose: User-Agent and X-Stainless-Package-Version name
this package, and Connection / Content-Length are each transport's own.
"""

from __future__ import annotations

import importlib
import inspect
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import anyio
import httpx
import pytest

from openai_actors import NOT_GIVEN, AsyncOpenAI, Omit, OpenAI
from openai_actors._operations import AsyncAPIResource, Operation, SyncAPIResource
from openai_actors._options import DEFAULT_TIMEOUT, parse_timeout, read_timeout_header
from openai_actors.mock import MockServer
from openai_actors.mock._types import RecordedRequest

from .test_generated_resources import _sweep_arguments

openai = pytest.importorskip("openai")

# What is this package's own, or each transport's, and so differs from the official's.
IDENTITY = frozenset({"user-agent", "x-stainless-package-version", "connection", "content-length"})


@pytest.fixture(scope="module")
def mock() -> Iterator[MockServer]:
    with MockServer() as server:
        yield server


def _last(mock: MockServer) -> RecordedRequest:
    requests = mock.requests
    assert requests, "the server received nothing"
    return requests[-1]


def _sent(mock: MockServer, call: Callable[..., object], *args: Any, **kwargs: Any) -> RecordedRequest | None:
    """The first request `call` made (None if it made none); an error answer is fine here."""
    mock.clear()
    with warnings.catch_warnings():
        # The official SDK marks the Assistants API deprecated.
        warnings.simplefilter("ignore", DeprecationWarning)
        try:
            result = call(*args, **kwargs)
            if hasattr(result, "__iter__") and not isinstance(result, str | bytes | dict):
                next(iter(result), None)  # a page: fetched on iteration
        except Exception:
            pass
    requests = mock.requests
    return requests[0] if requests else None


def _official_method(client: Any, name: str) -> Any:
    for part in name.split("."):
        client = getattr(client, part)
    return client


def _operations(client: Any) -> Iterator[tuple[str, Callable[..., Any], Operation[Any]]]:
    """(path on the client, bound method, its Operation) for every generated method, those of
    the resources with hand-written subclasses (beta.threads.runs, ...) included."""
    bases = (SyncAPIResource, AsyncAPIResource)

    def walk(resource: Any, prefix: str) -> Iterator[tuple[str, Callable[..., Any], Operation[Any]]]:
        ops: dict[str, Operation[Any]] = {}
        for cls in reversed(type(resource).__mro__):  # the generated class's, under the subclass's
            module = importlib.import_module(cls.__module__)
            ops.update({op.name: op for op in vars(module).values() if isinstance(op, Operation)})
        for name, value in inspect.getmembers(resource):
            if name.startswith("_") or name in ("with_raw_response", "with_streaming_response"):
                continue
            if isinstance(value, bases):
                yield from walk(value, f"{prefix}{name}.")
            elif callable(value) and name in ops and _calls_op(type(resource), name):
                yield f"{prefix}{name}", value, ops[name]

    for name in sorted(dir(client)):
        value = None if name.startswith("_") else getattr(client, name)
        if isinstance(value, bases):
            yield from walk(value, f"{name}.")


def _calls_op(cls: type, name: str) -> bool:
    """The method is the generated one (not a helper of the same name in a hand-written subclass)."""
    for klass in cls.__mro__:
        if name in vars(klass):
            return klass.__module__.startswith("openai_actors.resources.")
    return False


# --- the beta headers -----------------------------------------------------------------------


class TestResourceBetaHeaders:
    def test_every_method_sends_the_official_sdks_openai_beta(self, mock: MockServer) -> None:
        """For every generated method, the OpenAI-Beta header the server receives (or its absence)
        is the official SDK's for the same call."""
        # The official client sends admin calls only with an admin key.
        official = openai.OpenAI(
            api_key="sk-test", admin_api_key="sk-admin", base_url=mock.url, max_retries=0
        )
        compared, with_beta, failures = 0, 0, []
        with official, OpenAI(api_key="sk-test", base_url=mock.url, max_retries=0) as client:
            for name, fn, op in _operations(client):
                args, kwargs, _ = _sweep_arguments(fn, op)
                theirs = _sent(mock, _official_method(official, name), *args, **kwargs)
                ours = _sent(mock, fn, *args, **kwargs)
                if theirs is None:
                    continue  # refused by the official client before sending (its own checks)
                compared += 1
                expected = theirs.headers.get("openai-beta")
                actual = None if ours is None else ours.headers.get("openai-beta")
                with_beta += expected is not None
                if expected != actual:
                    failures.append(f"{name}: official {expected!r}, ours {actual!r}")
        assert not failures, "\n".join(failures)
        assert compared > 200  # all of them: the official client sends each call
        assert with_beta > 40  # the Assistants, vector store, ChatKit and beta Realtime methods

    def test_the_generated_operations_carry_the_header_as_data(self) -> None:
        """The header is the Operation's (from overrides.toml), not written into each method."""
        from openai_actors.resources.beta import assistants
        from openai_actors.resources.beta.chatkit import threads
        from openai_actors.resources.chat.completions import completions

        assert (("OpenAI-Beta", "assistants=v2"),) == assistants._CREATE.fixed_headers
        assert (("OpenAI-Beta", "chatkit_beta=v1"),) == threads._LIST.fixed_headers
        assert () == completions._CREATE.fixed_headers

    @pytest.mark.anyio
    async def test_every_beta_method_sends_it_from_the_async_client(self, mock: MockServer) -> None:
        """Each method whose Operation has the header sends it, on asyncio and trio alike."""
        failures, count = [], 0
        async with AsyncOpenAI(api_key="sk-test", base_url=mock.url, max_retries=0) as client:
            for name, fn, op in _operations(client):
                if not op.fixed_headers:
                    continue
                count += 1
                args, kwargs, _ = _sweep_arguments(fn, op)
                mock.clear()
                try:
                    result = fn(*args, **kwargs)
                    if hasattr(result, "__aiter__"):
                        async for _ in result:
                            pass  # to the end: an abandoned async generator warns on trio
                    else:
                        await result
                except Exception:
                    pass  # an error answer is fine: the request was made
                got = _last(mock).headers.get("openai-beta")
                if dict(op.fixed_headers)["OpenAI-Beta"] != got:
                    failures.append(f"{name}: {got!r}")
        assert not failures, "\n".join(failures)
        assert count > 40

    @pytest.mark.anyio
    async def test_the_callers_extra_headers_override_it(self, mock: MockServer) -> None:
        """A caller's OpenAI-Beta (in any case) replaces the resource's; Omit() removes it;
        other extra headers leave it in place."""
        async with AsyncOpenAI(api_key="sk-test", base_url=mock.url, max_retries=0) as client:
            mock.clear()
            await client.beta.assistants.retrieve("asst_1", extra_headers={"openai-beta": "assistants=v1"})
            assert "assistants=v1" == _last(mock).headers["openai-beta"]
            mock.clear()
            await client.vector_stores.retrieve("vs_1", extra_headers={"OpenAI-Beta": Omit()})
            assert "openai-beta" not in _last(mock).headers
            mock.clear()
            await client.beta.threads.messages.list("thread_1", extra_headers={"X-Custom": "1"})
            headers = _last(mock).headers
            assert ("assistants=v2", "1") == (headers["openai-beta"], headers["x-custom"])

    def test_the_official_sdk_overrides_it_the_same_way(self, mock: MockServer) -> None:
        """The reference: the official client sends the caller's value instead."""
        official = openai.OpenAI(api_key="sk-test", base_url=mock.url, max_retries=0)
        with official, OpenAI(api_key="sk-test", base_url=mock.url, max_retries=0) as ours:
            values = []
            for client in (official, ours):
                request = _sent(
                    mock,
                    lambda client=client: client.beta.assistants.retrieve(
                        "asst_1", extra_headers={"OpenAI-Beta": "assistants=v1"}
                    ),
                )
                assert request is not None
                values.append(request.headers["openai-beta"])
        assert ["assistants=v1", "assistants=v1"] == values

    def test_it_goes_over_the_clients_default_headers_as_the_officials_does(self, mock: MockServer) -> None:
        """default_headers' OpenAI-Beta is sent on other routes; the resource's replaces it on its own."""
        options: dict[str, Any] = {"api_key": "sk-test", "base_url": mock.url, "max_retries": 0}
        options["default_headers"] = {"OpenAI-Beta": "mine"}
        seen = []
        with openai.OpenAI(**options) as official, OpenAI(**options) as ours:
            for client in (official, ours):
                beta = _sent(mock, client.beta.assistants.retrieve, "asst_1")
                other = _sent(mock, client.models.list)
                assert beta is not None and other is not None
                seen.append((beta.headers["openai-beta"], other.headers["openai-beta"]))
        assert [("assistants=v2", "mine")] * 2 == seen

    def test_the_run_stream_helper_sends_it_once(self, mock: MockServer) -> None:
        """The stream helpers rely on the Operation for it: one value, not a repeated header."""
        with OpenAI(api_key="sk-test", base_url=mock.url, max_retries=0) as client:
            thread = client.beta.threads.create()
            mock.clear()
            with client.beta.threads.runs.stream(thread_id=thread.id, assistant_id="asst_1") as stream:
                stream.until_done()
        request = mock.requests[0]
        assert "assistants=v2" == request.headers["openai-beta"]
        assert "threads.runs.create_and_stream" == request.headers["x-stainless-stream-helper"]

    def test_a_bad_extra_headers_is_still_refused_clearly(self, mock: MockServer) -> None:
        with OpenAI(api_key="sk-test", base_url=mock.url, max_retries=0) as client:
            with pytest.raises(TypeError, match="extra_headers must be a mapping, not list"):
                client.beta.assistants.retrieve("asst_1", extra_headers=[("a", "b")])  # type: ignore[arg-type]


# --- the identity headers -------------------------------------------------------------------


def _calls(client: Any, omit: object) -> list[tuple[str, Callable[[], Any]]]:
    """A GET, a POST with a JSON body, a DELETE without one; with the client's timeout, a
    per-request one, none at all, and the read-timeout header omitted by the caller."""
    chat = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}
    return [
        ("get", lambda: client.models.list()),
        ("post", lambda: client.chat.completions.create(**chat)),
        ("delete", lambda: client.models.delete("ft-1")),
        ("timeout=7", lambda: client.models.retrieve("gpt-4o-mini", timeout=7)),
        ("timeout=7.5", lambda: client.models.retrieve("gpt-4o-mini", timeout=7.5)),
        (
            "httpx timeout",
            lambda: client.models.retrieve("gpt-4o-mini", timeout=httpx.Timeout(3.0, read=9.0)),
        ),
        ("timeout=None", lambda: client.models.retrieve("gpt-4o-mini", timeout=None)),
        (
            "omitted",
            lambda: client.models.retrieve("gpt-4o-mini", extra_headers={"X-Stainless-Read-Timeout": omit}),
        ),
    ]


def _comparable(request: RecordedRequest) -> dict[str, str]:
    return {k: v for k, v in request.headers.items() if k not in IDENTITY}


CLIENT_OPTIONS: list[dict[str, Any]] = [
    {},
    {"timeout": 20},
    {"timeout": None},
    {"organization": "org-1", "project": "proj-1", "default_headers": {"X-Team": "a"}},
]


class TestIdentityHeaders:
    @pytest.mark.parametrize("options", CLIENT_OPTIONS, ids=["default", "timeout=20", "no-timeout", "org"])
    def test_the_sync_client_sends_the_official_clients_headers(
        self, mock: MockServer, options: dict[str, Any]
    ) -> None:
        """Every header but the client's identity, as openai.OpenAI sends it (X-Stainless-Async: false)."""
        official = openai.OpenAI(api_key="sk-test", base_url=mock.url, max_retries=0, **options)
        with official, OpenAI(api_key="sk-test", base_url=mock.url, max_retries=0, **options) as ours:
            for (label, theirs_call), (_, ours_call) in zip(
                _calls(official, openai.Omit()), _calls(ours, Omit()), strict=True
            ):
                theirs, mine = _sent(mock, theirs_call), _sent(mock, ours_call)
                assert theirs is not None and mine is not None, label
                assert _comparable(theirs) == _comparable(mine), label
        assert "false" == mine.headers["x-stainless-async"]

    @pytest.mark.anyio
    @pytest.mark.parametrize("options", CLIENT_OPTIONS, ids=["default", "timeout=20", "no-timeout", "org"])
    async def test_the_async_client_sends_the_official_clients_headers(
        self, mock: MockServer, options: dict[str, Any], anyio_backend: str
    ) -> None:
        """As openai.AsyncOpenAI on the same backend: X-Stainless-Async names it (async:asyncio, async:trio)."""
        official = openai.AsyncOpenAI(api_key="sk-test", base_url=mock.url, max_retries=0, **options)
        async with (
            official,
            AsyncOpenAI(api_key="sk-test", base_url=mock.url, max_retries=0, **options) as ours,
        ):
            for (label, theirs_call), (_, ours_call) in zip(
                _calls(official, openai.Omit()), _calls(ours, Omit()), strict=True
            ):
                seen = []
                for call in (theirs_call, ours_call):
                    mock.clear()
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore", DeprecationWarning)
                        try:
                            result = call()
                            if hasattr(result, "__aiter__"):
                                async for _ in result:
                                    pass  # to the end: an abandoned async generator warns on trio
                            else:
                                await result
                        except Exception:
                            pass
                    seen.append(_last(mock))
                assert _comparable(seen[0]) == _comparable(seen[1]), label
        assert f"async:{anyio_backend}" == seen[1].headers["x-stainless-async"]

    def test_the_identity_is_this_packages(self, mock: MockServer) -> None:
        """User-Agent and the package version name openai-actors, not the official SDK."""
        from openai_actors import __version__

        with OpenAI(api_key="sk-test", base_url=mock.url, max_retries=0) as client:
            mock.clear()
            client.models.list()
        headers = _last(mock).headers
        assert f"openai-actors/{__version__} (Python)" == headers["user-agent"]
        assert __version__ == headers["x-stainless-package-version"]

    def test_a_caller_can_set_or_omit_them(self, mock: MockServer) -> None:
        """default_headers replace the computed ones (or remove them with Omit())."""
        with OpenAI(
            api_key="sk-test",
            base_url=mock.url,
            max_retries=0,
            default_headers={"X-Stainless-Async": "custom", "X-Stainless-Read-Timeout": Omit()},
        ) as client:
            mock.clear()
            client.models.list()
            client.models.list(timeout=5)
        first, second = mock.requests
        assert "custom" == first.headers["x-stainless-async"]
        assert "x-stainless-read-timeout" not in first.headers
        assert "x-stainless-read-timeout" not in second.headers

    def test_a_get_has_no_content_type_unless_the_caller_sets_one(self, mock: MockServer) -> None:
        with OpenAI(
            api_key="sk-test", base_url=mock.url, max_retries=0, default_headers={"Content-Type": "text/x"}
        ) as client:
            mock.clear()
            client.models.list()
        assert "text/x" == _last(mock).headers["content-type"]


# --- the pure parts -------------------------------------------------------------------------


class TestReadTimeoutHeader:
    @pytest.mark.parametrize(
        ("option", "expected"),
        [
            (NOT_GIVEN, "600"),
            (10, "10"),
            (10.5, "10.5"),
            (None, None),
            (httpx.Timeout(5.0, read=7), "7"),
            (httpx.Timeout(5.0, read=None), None),
        ],
    )
    def test_the_value_is_the_read_timeout_as_written(self, option: object, expected: str | None) -> None:
        """As the official SDK writes it: the number as given, its default as `600`, none for no limit."""
        timeouts = DEFAULT_TIMEOUT if option is NOT_GIVEN else parse_timeout(option)
        assert expected == read_timeout_header(option, timeouts)

    def test_a_client_default_from_elsewhere_is_its_read_seconds(self) -> None:
        """An http_client's own timeout (the client passes NOT_GIVEN and the parsed Timeouts)."""
        assert "5.0" == read_timeout_header(NOT_GIVEN, parse_timeout(httpx.Timeout(5.0)))


class TestBaseHeaders:
    def test_the_blocks_are_precomputed_per_client(self) -> None:
        """Choosing the block is a lookup: the same objects on every request."""
        client = AsyncOpenAI(api_key="sk-test", base_url="http://localhost:1/v1")
        options = client._options

        async def main() -> tuple[object, object]:
            return options.base_headers("GET"), options.base_headers("POST")

        get, post = anyio.run(main)
        assert (get, post) == (options.blocks[0], options.blocks[1])
        assert "content-type" not in get.names  # type: ignore[attr-defined]
        assert "content-type" in post.names  # type: ignore[attr-defined]
        trio_get, _ = anyio.run(main, backend="trio")
        assert ("X-Stainless-Async", "async:trio") in trio_get.pairs  # type: ignore[attr-defined]

    def test_an_operations_fixed_headers_are_merged_once_per_client(self) -> None:
        """The first call of a beta resource merges its header into the client's; later ones reuse it."""
        with OpenAI(api_key="sk-test", base_url="http://localhost:1/v1") as client:
            options = client._options
            fixed = (("OpenAI-Beta", "assistants=v2"),)
            first = options.base_headers("GET", fixed)
            assert first is options.base_headers("GET", fixed)
            assert ("OpenAI-Beta", "assistants=v2") in first.pairs
            assert "content-type" not in first.names
            assert "content-type" in options.base_headers("POST", fixed).names
            assert "openai-beta" not in options.base_headers("GET").names

    def test_a_get_given_a_body_keeps_its_content_type(self, mock: MockServer) -> None:
        """A body on a GET (through extra_body) is still labelled JSON."""
        with OpenAI(api_key="sk-test", base_url=mock.url, max_retries=0) as client:
            mock.clear()
            client.get("/models", extra_body={"a": 1})
        request = _last(mock)
        assert ("GET", b'{"a":1}', "application/json") == (
            request.method,
            request.body.replace(b" ", b""),
            request.headers.get("content-type"),
        )

    def test_an_operation_without_headers_adds_nothing(self) -> None:
        op: Operation[Any] = Operation("m", "GET", "x", keys=())
        assert () == op.fixed_headers
