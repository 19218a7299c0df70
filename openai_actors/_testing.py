"""`MockOpenAI`: the bundled mock server, with answers a test scripts per route.

A test says what a route answers (`respond`): one answer for every request,
a sequence used once each, or a function of the request. A request no script
takes gets the mock server's own answer (chat answers "echo: <last
message>", files are stored, models are listed...), so a test scripts only
what it is about. Scripts are consulted on the server's thread, after the
server's rate limits (a request they refuse never reaches a script), through
`MockServer.responder`; an answer becomes a `Fault`, so every fault the
server knows (a reset, a truncated body, a stalled or dropped stream) is
an answer here too.

The matching of routes and the making of answers are pure functions
(`Route`, `Answer.fault_for`); `MockOpenAI` holds the scripts under a lock,
since the test's thread writes them while the server's reads them.
"""

from __future__ import annotations

import json as _json
import re
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import TYPE_CHECKING, Any, Final, Literal, Self, get_args

from .mock import Fault, MockServer, RecordedRequest

if TYPE_CHECKING:
    from ._client import AsyncOpenAI, OpenAI

__all__ = ["Answer", "FaultAction", "Handler", "MockOpenAI", "ReceivedRequest", "Route"]

FaultAction = Literal["reset", "close", "truncate", "hang", "stream_drop", "stream_stall", "stream_error"]
_FAULT_ACTIONS: Final = frozenset(get_args(FaultAction))
# Header values a received request's repr never shows.
_SECRET_HEADERS: Final = frozenset({"authorization", "api-key", "openai-api-key"})


class Headers(dict[str, str]):
    """A request's headers (lower-case names); printed with credentials hidden, compared as they are."""

    def __repr__(self) -> str:
        shown = {name: "<hidden>" if name in _SECRET_HEADERS else value for name, value in self.items()}
        return repr(shown)


@dataclass(frozen=True, slots=True)
class ReceivedRequest:
    """A request as the mock server received it."""

    method: str
    path: str
    """Without the query string, e.g. "/v1/chat/completions"."""
    query: dict[str, list[str]]
    headers: Headers
    body: bytes = field(repr=False)

    def json(self) -> Any:
        """The body, decoded as JSON."""
        return _json.loads(self.body)

    @classmethod
    def of(cls, recorded: RecordedRequest) -> ReceivedRequest:
        return cls(recorded.method, recorded.path, recorded.query, Headers(recorded.headers), recorded.body)


@dataclass(frozen=True, slots=True)
class Route:
    """ "METHOD /path" or "/path" (any method); "{name}" in the path matches one segment."""

    method: str | None
    pattern: re.Pattern[str]
    text: str

    @classmethod
    def parse(cls, text: str) -> Route:
        if not isinstance(text, str):
            raise TypeError(
                f"a route is a str such as 'POST /v1/chat/completions', not {type(text).__name__}"
            )
        method, _, path = text.strip().rpartition(" ")
        if not path.startswith("/") or (method and not method.isalpha()):
            raise ValueError(
                f"a route is 'METHOD /path' or '/path', e.g. 'POST /v1/chat/completions', not {text!r}"
            )
        pieces = re.split(r"(\{[^/{}]+\})", path)
        regex = "".join("[^/]+" if p.startswith("{") else re.escape(p) for p in pieces)
        return cls(method.upper() or None, re.compile(regex), text)

    def matches(self, method: str, path: str) -> bool:
        return (self.method is None or self.method == method) and self.pattern.fullmatch(path) is not None


@dataclass(frozen=True, slots=True)
class Answer:
    """What the mock answers instead of its own reply. Every field is optional:

    - `json` or `body`: the body (a `status` of 400 or more without one gets an
      OpenAI-style error body; a status below 400 without one, the normal reply's);
    - `reply`: for chat completions, an answer whose message says this text, as a
      stream when the request asked for one;
    - `status`, `headers` (added to the reply's, or replacing them), `delay` in seconds;
    - `fault`: "reset" (TCP RST), "close" (no answer), "truncate" (a body
      shorter than promised), "hang"; for a streamed reply "stream_drop",
      "stream_stall" or "stream_error" after `after` events.
    """

    status: int | None = None
    json: Any = None
    body: bytes | str | None = None
    reply: str | None = None
    headers: Mapping[str, str] | None = None
    delay: float = 0.0
    fault: FaultAction | None = None
    after: int = 0

    def __post_init__(self) -> None:
        given = [name for name in ("json", "body", "reply") if getattr(self, name) is not None]
        if len(given) > 1:
            raise ValueError(f"an Answer takes one of json, body and reply, not {' and '.join(given)}")
        if self.status is not None and (
            isinstance(self.status, bool) or not isinstance(self.status, int) or not 200 <= self.status <= 599
        ):
            raise ValueError(f"an Answer's status must be an int within 200..599, not {self.status!r}")
        if self.fault is not None and self.fault not in _FAULT_ACTIONS:
            raise ValueError(f"unknown fault {self.fault!r}; expected one of {sorted(_FAULT_ACTIONS)}")
        if self.json is not None:
            _json.dumps(self.json)  # not JSON: say so here, in the test, not on the server's thread

    def fault_for(self, request: ReceivedRequest) -> Fault:
        """This answer to `request`, as the mock server's `Fault`."""
        body: bytes | str | None = self.body
        headers = dict(self.headers or {})
        if self.json is not None:
            body = _json.dumps(self.json).encode()
            headers.setdefault("content-type", "application/json")
        elif self.reply is not None:
            body, content_type = _chat_reply(self.reply, request)
            headers.setdefault("content-type", content_type)
        status = self.status
        if status is None and body is not None:
            status = 200
        return Fault(
            status=status,
            body=body,
            headers=headers or None,
            delay=self.delay,
            action=self.fault or "respond",
            after=self.after,
        )


def _chat_reply(text: str, request: ReceivedRequest) -> tuple[bytes, str]:
    """A chat completion saying `text`: whole, or as Server-Sent Events if the request streams."""
    try:
        params = request.json()
    except ValueError:
        params = {}
    model = params.get("model", "mock-model") if isinstance(params, dict) else "mock-model"
    base = {"id": "chatcmpl-mock", "created": 0, "model": model}
    if isinstance(params, dict) and params.get("stream"):
        events = [
            {**base, "object": "chat.completion.chunk", "choices": [{"index": 0, "delta": delta}]}
            for delta in ({"role": "assistant", "content": ""}, {"content": text})
        ]
        events.append(
            {
                **base,
                "object": "chat.completion.chunk",
                "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
            }
        )
        sse = "".join(f"data: {_json.dumps(event)}\n\n" for event in events) + "data: [DONE]\n\n"
        return sse.encode(), "text/event-stream"
    message = {"role": "assistant", "content": text, "refusal": None}
    completion = {
        **base,
        "object": "chat.completion",
        "choices": [{"index": 0, "message": message, "finish_reason": "stop", "logprobs": None}],
    }
    return _json.dumps(completion).encode(), "application/json"


Handler = Callable[[ReceivedRequest], "Answer | Mapping[str, Any] | None"]
"""A function answering a route: an Answer, a dict (sent as JSON), or None for the mock's own reply.

It runs on the server's thread, which serves every connection: it should
answer at once (an `Answer(delay=...)` is a late answer that blocks nothing).
"""


class _Script:
    """What one route answers: a handler, or answers each good for a number of requests (None: all)."""

    __slots__ = ("handler", "steps")

    def __init__(self, handler: Handler | None, steps: list[tuple[Answer, int | None]]) -> None:
        self.handler = handler
        self.steps = steps

    def take(self) -> Answer | None:
        """The next scripted answer, used up; None once there is none left."""
        if not self.steps:
            return None
        answer, left = self.steps[0]
        if left is None:
            return answer
        if left == 1:
            self.steps.pop(0)
        else:
            self.steps[0] = (answer, left - 1)
        return answer


def _as_answer(value: object) -> Answer:
    if isinstance(value, Answer):
        return value
    if isinstance(value, Mapping):
        return Answer(json=dict(value))
    raise TypeError(f"an answer is an Answer or a dict (sent as JSON), not {type(value).__name__}")


class MockOpenAI:
    """The bundled OpenAI-compatible mock server, scripted per route, with clients pointed at it.

    `with MockOpenAI() as mock:` serves until the block ends (the `mock_openai`
    fixture does this for a test). Clients from `client()` and `async_client()`
    are closed when it ends. If a handler raised, its request was answered 500
    and the exception is raised again when the block ends, so the test fails.
    """

    api_key: Final = "sk-mock-openai"

    def __init__(self, **server_options: Any) -> None:
        """`server_options`: `MockServer`'s (latency, stream delays, rate limits, ...)."""
        self.server = MockServer(**server_options)
        self.errors: list[BaseException] = []
        self._scripts: dict[str, tuple[Route, _Script]] = {}
        self._lock = threading.Lock()
        self._clients: list[OpenAI | AsyncOpenAI] = []
        self.server.responder = self._answer

    # -- lifecycle ------------------------------------------------------------------

    def start(self) -> Self:
        self.server.start()
        return self

    def close(self) -> None:
        """Close the clients made here, stop the server, and raise what a handler raised."""
        from ._client import OpenAI

        clients, self._clients = self._clients, []
        try:
            for client in clients:
                if isinstance(client, OpenAI):
                    client.close()
                else:
                    # Its loop may be over already; stopped there if it still runs.
                    client._core.release()
        finally:
            self.server.stop()
        if self.errors:
            raise self.errors[0]

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            self.close()
        except BaseException:
            if exc is None:  # the test's own failure comes first
                raise

    # -- clients ----------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """The API's base URL, e.g. "http://127.0.0.1:PORT/v1"."""
        return self.server.url

    def client(self, **options: Any) -> OpenAI:
        """An `OpenAI` for this server (options as OpenAI's), closed when the mock stops."""
        from ._client import OpenAI

        client = OpenAI(**{"api_key": self.api_key, "base_url": self.base_url, **options})
        self._clients.append(client)
        return client

    def async_client(self, **options: Any) -> AsyncOpenAI:
        """An `AsyncOpenAI` for this server; `async with` it, or it stops with its event loop."""
        from ._client import AsyncOpenAI

        client = AsyncOpenAI(**{"api_key": self.api_key, "base_url": self.base_url, **options})
        self._clients.append(client)
        return client

    # -- scripts ----------------------------------------------------------------------

    def respond(
        self,
        route: str,
        answer: Answer | Mapping[str, Any] | Sequence[Answer | Mapping[str, Any]] | Handler | None = None,
        /,
        *,
        times: int | None = None,
        **fields: Any,
    ) -> None:
        """Script what `route` ("POST /v1/chat/completions") answers, replacing its script.

        - `respond(route, json={...}, status=..., headers=...)` (`Answer`'s fields),
          or `respond(route, Answer(...))` or a dict (sent as JSON): every request,
          or the next `times` ones;
        - `respond(route, [answer, answer, ...])`: the next requests, one answer each;
        - `respond(route, handler)`: `handler(request)` answers each request (on
          the server's thread: see `Handler`).

        Once a script is used up, the route gets the mock's own reply again.
        """
        parsed = Route.parse(route)
        if times is not None and (isinstance(times, bool) or not isinstance(times, int) or times < 1):
            raise ValueError(f"times must be a positive int or None, not {times!r}")
        if fields:
            if answer is not None:
                raise TypeError("respond() takes an answer or Answer's fields, not both")
            answer = Answer(**fields)
        if answer is None:
            raise TypeError(
                "respond() needs an answer: Answer's fields, an Answer, a list of them, or a handler"
            )
        if isinstance(answer, Answer | Mapping):
            script = _Script(None, [(_as_answer(answer), times)])
        elif callable(answer):
            if times is not None:
                raise TypeError("times does not apply to a handler")
            script = _Script(answer, [])
        elif isinstance(answer, Sequence) and not isinstance(answer, str | bytes):
            if times is not None:
                raise TypeError("times does not apply to a sequence: each answer is used once")
            script = _Script(None, [(_as_answer(item), 1) for item in answer])
        else:
            raise TypeError(f"cannot answer with a {type(answer).__name__}")
        with self._lock:
            self._scripts[route] = (parsed, script)

    def reset(self) -> None:
        """Forget every script and every request received."""
        with self._lock:
            self._scripts.clear()
        self.server.clear()

    def _answer(self, recorded: RecordedRequest) -> Fault | None:
        """The server's responder: the script's answer to this request, or None for the mock's own."""
        request = ReceivedRequest.of(recorded)
        with self._lock:
            script = next(
                (s for route, s in self._scripts.values() if route.matches(request.method, request.path)),
                None,
            )
            if script is None:
                return None
            handler = script.handler
            answer: Answer | Mapping[str, Any] | None = script.take() if handler is None else None
        try:
            if handler is not None:
                answer = handler(request)  # outside the lock: the test's thread may script meanwhile
            return None if answer is None else _as_answer(answer).fault_for(request)
        except Exception as exc:
            self.errors.append(exc)  # raised again when the mock closes; this request gets a 500
            raise

    # -- what was received, and the server's settings -----------------------------------

    @property
    def requests(self) -> list[ReceivedRequest]:
        """Every request received, oldest first (the server keeps the last 10,000)."""
        return [ReceivedRequest.of(r) for r in self.server.requests]

    def requests_to(self, route: str) -> list[ReceivedRequest]:
        """The requests received that `route` matches."""
        parsed = Route.parse(route)
        return [r for r in self.requests if parsed.matches(r.method, r.path)]

    @property
    def latency(self) -> float:
        """Seconds the server waits before each normal reply (scripted ones have `delay`)."""
        return self.server.latency

    @latency.setter
    def latency(self, value: float) -> None:
        self.server.latency = value

    def rate_limit(
        self,
        requests: int | None = None,
        tokens: int | None = None,
        *,
        window: float = 60.0,
        mode: Literal["continuous", "fixed"] = "continuous",
    ) -> None:
        """Enforce OpenAI-style limits per `window` seconds (None: none); refusals are 429s with
        retry-after, and replies carry x-ratelimit-* headers (see `MockServer`)."""
        server = self.server
        server.rate_limit_window = window
        server.rate_limit_mode = mode
        server.rate_limit_requests = requests
        server.rate_limit_tokens = tokens

    def __repr__(self) -> str:
        return f"<MockOpenAI {self.server.url if self.server._port is not None else '(not started)'}>"
