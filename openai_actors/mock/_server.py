"""MockServer: the mock running on its own event loop in a daemon thread."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import ssl
import threading
from collections.abc import Callable
from types import TracebackType
from typing import Any, Final, Self

from ._files import DEFAULT_MAX_STORAGE
from ._protocol import DEFAULT_MAX_BODY_SIZE, ServerState, serve
from ._ratelimit import MODES, Mode
from ._types import Fault, RecordedMessage, RecordedRequest

__all__ = ["MockServer"]

_thread_ids: Final = itertools.count(1)


class MockServer:
    """An OpenAI-compatible HTTP server for tests, examples and benchmarks.

    ``with MockServer() as server:`` serves on ``server.url`` from a daemon
    thread until the block ends. Counters, recordings and faults may be used
    from any thread.

    Streaming replies wait ``stream_first_delay`` seconds between the head
    and the first event and ``stream_chunk_delay`` between events. Uploaded
    files are kept in memory up to ``max_file_storage`` bytes in all. Each
    line of a batch takes ``batch_delay`` seconds (a cancel cuts it short).

    ``rate_limit_requests`` and ``rate_limit_tokens`` enforce limits as OpenAI
    does, per ``rate_limit_window`` seconds: each is a token bucket of that
    capacity, starting full and refilling continuously. With
    ``rate_limit_mode="fixed"`` they are enforced as fixed-window gateways do
    instead: that many per window, windows back to back from when the limit
    was set, the whole limit back when each ends, and ``x-ratelimit-reset-*``
    and a refusal's retry-after the time until then. A POST to chat
    completions, completions, responses, embeddings or moderations is charged 1
    request and its token estimate on arrival (see
    ``openai_actors.mock._ratelimit.estimate_tokens``), or refused at once with
    OpenAI's 429 (``retry-after-ms``, ``retry-after``) and charged nothing; when
    its reply (or stream) completes with usage, the token bucket is corrected to
    that usage. Its replies carry the ``x-ratelimit-*`` headers of the limits
    set. Batch lines are not limited.

    With an ``ssl_context`` (a server-side context holding a certificate) it
    serves HTTPS, for testing clients over TLS.

    ``GET /v1/realtime`` (and Azure's ``/openai/realtime``) upgrades to the
    Realtime API's WebSocket, on the same port: a session, a conversation,
    input audio, text and audio responses streamed as deltas (paced by the
    stream delays), ``response.cancel``, ``error`` events for bad client
    events, and scripted abnormal ends: a queued ``Fault`` for path
    "/v1/realtime" with a stream action, or the ``mock_fault`` query switch
    (``openai_actors.mock._websocket`` documents both). The upgrade needs an
    API key (``Authorization: Bearer ...`` or ``api-key``), else 401. What
    clients send is in :attr:`realtime_messages`.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        latency: float = 0.0,
        record: bool = True,
        max_body_size: int = DEFAULT_MAX_BODY_SIZE,
        stream_first_delay: float = 0.0,
        stream_chunk_delay: float = 0.0,
        max_file_storage: int = DEFAULT_MAX_STORAGE,
        batch_delay: float = 0.0,
        rate_limit_requests: int | None = None,
        rate_limit_tokens: int | None = None,
        rate_limit_window: float = 60.0,
        rate_limit_mode: Mode = "continuous",
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        _check_limit("rate_limit_requests", rate_limit_requests)
        _check_limit("rate_limit_tokens", rate_limit_tokens)
        _check_window(rate_limit_window)
        _check_mode(rate_limit_mode)
        for name, value in (
            ("latency", latency),
            ("stream_first_delay", stream_first_delay),
            ("stream_chunk_delay", stream_chunk_delay),
            ("batch_delay", batch_delay),
        ):
            _check_delay(name, value)
        self.host = host
        self._requested_port = port
        self._ssl_context = ssl_context
        self._port: int | None = None
        self._state = ServerState(
            latency=latency,
            record=record,
            max_body_size=max_body_size,
            stream_first_delay=stream_first_delay,
            stream_chunk_delay=stream_chunk_delay,
            max_file_storage=max_file_storage,
            batch_delay=batch_delay,
            rate_limit_requests=rate_limit_requests,
            rate_limit_tokens=rate_limit_tokens,
            rate_limit_window=rate_limit_window,
            rate_limit_mode=rate_limit_mode,
        )
        self._lifecycle = threading.Lock()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop_event: asyncio.Event | None = None
        self._ready = threading.Event()
        self._startup_error: BaseException | None = None
        self._stopped = False

    # --- lifecycle ----------------------------------------------------------

    def start(self) -> Self:
        """Start serving; return once the socket listens. Raises OSError if it cannot bind."""
        with self._lifecycle:
            if self._thread is not None:
                raise RuntimeError("MockServer can only be started once")
            self._thread = threading.Thread(
                target=self._run, name=f"openai_actors.mock-{next(_thread_ids)}", daemon=True
            )
            self._thread.start()
        self._ready.wait()
        if self._startup_error is not None:
            self._thread.join()
            raise self._startup_error
        return self

    def stop(self) -> None:
        """Close the listening socket and every connection, then join the thread. Idempotent."""
        with self._lifecycle:
            if self._stopped or self._thread is None:
                return
            self._stopped = True
            thread, loop, stop_event = self._thread, self._loop, self._stop_event
        if loop is not None and stop_event is not None and not loop.is_closed():
            # RuntimeError: the loop closed in the meantime.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(stop_event.set)
        if thread is not threading.current_thread():
            thread.join()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            loop.run_until_complete(self._serve())
        except BaseException as error:
            if not self._ready.is_set():
                self._startup_error = error
            else:
                raise
        finally:
            self._ready.set()
            loop.close()

    async def _serve(self) -> None:
        self._stop_event = asyncio.Event()
        await serve(
            self._state,
            self.host,
            self._requested_port,
            self._on_ready,
            self._stop_event,
            ssl_context=self._ssl_context,
        )

    def _on_ready(self, port: int) -> None:
        self._port = port
        self._ready.set()

    # --- addresses ----------------------------------------------------------

    @property
    def port(self) -> int:
        """The bound port (the chosen one when constructed with port 0)."""
        if self._port is None:
            raise RuntimeError("MockServer is not started")
        return self._port

    @property
    def url(self) -> str:
        """The API base URL, e.g. "http://127.0.0.1:PORT/v1" (https with an `ssl_context`)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        scheme = "http" if self._ssl_context is None else "https"
        return f"{scheme}://{host}:{self.port}/v1"

    # --- configuration ------------------------------------------------------

    @property
    def latency(self) -> float:
        """Seconds every normal response waits; may be changed while serving."""
        return self._state.latency

    @latency.setter
    def latency(self, value: float) -> None:
        _check_delay("latency", value)
        self._state.latency = value

    @property
    def stream_first_delay(self) -> float:
        """Seconds a streaming reply waits between its head and its first event."""
        return self._state.stream_first_delay

    @stream_first_delay.setter
    def stream_first_delay(self, value: float) -> None:
        _check_delay("stream_first_delay", value)
        self._state.stream_first_delay = value

    @property
    def stream_chunk_delay(self) -> float:
        """Seconds a streaming reply waits between events."""
        return self._state.stream_chunk_delay

    @stream_chunk_delay.setter
    def stream_chunk_delay(self, value: float) -> None:
        _check_delay("stream_chunk_delay", value)
        self._state.stream_chunk_delay = value

    @property
    def batch_delay(self) -> float:
        """Seconds each line of a batch takes to run (0: as fast as the loop allows)."""
        return self._state.app.batches.delay

    @batch_delay.setter
    def batch_delay(self, value: float) -> None:
        _check_delay("batch_delay", value)
        self._state.app.batches.delay = value

    @property
    def rate_limit_requests(self) -> int | None:
        """Requests allowed per window (None: unlimited); may be changed while serving.

        A limit newly set starts with a full bucket; a changed limit keeps what
        was used (so lowering it may leave the bucket empty for a while).
        """
        return self._state.rate_limit_requests

    @rate_limit_requests.setter
    def rate_limit_requests(self, value: int | None) -> None:
        _check_limit("rate_limit_requests", value)
        state = self._state
        state.set_rate_limits(value, state.rate_limit_tokens, state.rate_limit_window)

    @property
    def rate_limit_tokens(self) -> int | None:
        """Tokens allowed per window (None: unlimited); may be changed while serving."""
        return self._state.rate_limit_tokens

    @rate_limit_tokens.setter
    def rate_limit_tokens(self, value: int | None) -> None:
        _check_limit("rate_limit_tokens", value)
        state = self._state
        state.set_rate_limits(state.rate_limit_requests, value, state.rate_limit_window)

    @property
    def rate_limit_window(self) -> float:
        """Seconds in which a bucket refills from empty to full (default 60)."""
        return self._state.rate_limit_window

    @rate_limit_window.setter
    def rate_limit_window(self, value: float) -> None:
        _check_window(value)
        state = self._state
        state.set_rate_limits(state.rate_limit_requests, state.rate_limit_tokens, value)

    @property
    def rate_limit_mode(self) -> Mode:
        """How a limit comes back: "continuous" (a bucket refilled steadily, as OpenAI's) or
        "fixed" (whole again when each window ends); may be changed while serving, keeping
        what was used."""
        return self._state.rate_limit_mode

    @rate_limit_mode.setter
    def rate_limit_mode(self, value: Mode) -> None:
        _check_mode(value)
        state = self._state
        state.set_rate_limits(
            state.rate_limit_requests, state.rate_limit_tokens, state.rate_limit_window, value
        )

    # --- recordings and counters --------------------------------------------

    @property
    def requests(self) -> list[RecordedRequest]:
        """A snapshot of the last 10,000 requests received, oldest first."""
        return self._state.recorded()

    @property
    def realtime_messages(self) -> list[RecordedMessage]:
        """A snapshot of the last 10,000 messages clients sent over Realtime WebSockets, oldest first.

        The upgrade request that opened each connection is in :attr:`requests`.
        """
        return self._state.recorded_messages()

    def clear(self) -> None:
        """Forget the recorded requests and messages (counters are kept)."""
        self._state.clear_records()

    @property
    def connections_opened(self) -> int:
        """Connections accepted so far."""
        return self._state.connections_opened

    @property
    def open_connections(self) -> int:
        """Connections currently open."""
        return self._state.open_connections

    @property
    def requests_served(self) -> int:
        """Complete responses sent, errors and injected statuses included."""
        return self._state.requests_served

    @property
    def disconnects(self) -> int:
        """Connections closed by the client (EOF or reset seen by the server)."""
        return self._state.disconnects

    @property
    def hanging(self) -> int:
        """Requests currently held by a "hang" or "stream_stall" fault."""
        return self._state.hanging

    @property
    def write_pauses(self) -> int:
        """Times a connection's send buffer filled up (the client read too slowly)
        and the server stopped writing to it until the client caught up."""
        return self._state.write_pauses

    @property
    def peak_stream_buffer(self) -> int:
        """The most bytes any stream (or Realtime WebSocket) had queued in the server,
        unsent because the client read too slowly. Backpressure keeps it near the transport's
        high-water mark (64 KiB), however long the stream."""
        return self._state.peak_stream_buffer

    @property
    def rate_limited(self) -> int:
        """429 responses sent by the rate limits (not counting injected faults)."""
        return self._state.rate_limited

    def rate_state(self) -> dict[str, float | None]:
        """A snapshot of the buckets' levels now: ``{"requests": ..., "tokens": ...}``,
        each None when that limit is not set. Levels are floats (in the
        continuous mode they refill continuously); a usage correction may leave
        "tokens" below 0.

        Safe inside a :meth:`wait_for` predicate, e.g.
        ``server.wait_for(lambda s: s.rate_state()["requests"] >= 1)``.
        """
        return self._state.rate_levels()

    # --- stored objects -----------------------------------------------------

    def batch(self, batch_id: str) -> dict[str, Any] | None:
        """A snapshot of a batch object as ``GET /v1/batches/{id}`` shows it, or None.

        Safe inside a :meth:`wait_for` predicate (it makes no request), e.g.
        ``server.wait_for(lambda s: s.batch(id)["status"] == "completed")``.
        """
        return self._state.app.batches.snapshot(batch_id)

    # --- faults -------------------------------------------------------------

    def script(self, *faults: Fault) -> None:
        """Queue ``faults``; each is consumed, in order, by the next request matching its path."""
        self._state.add_faults(faults)

    def script_clear(self) -> None:
        """Drop every queued fault."""
        self._state.clear_faults()

    @property
    def responder(self) -> Callable[[RecordedRequest], Fault | None] | None:
        """A function asked about each request that passed the rate limits and took no
        queued fault: it returns the `Fault` to answer with (any action, status, body,
        headers or delay), or None for the normal reply. It runs on the server's
        thread, so it must not block; if it raises, that request is answered 500.
        """
        return self._state.responder

    @responder.setter
    def responder(self, value: Callable[[RecordedRequest], Fault | None] | None) -> None:
        self._state.responder = value

    @property
    def pending_faults(self) -> int:
        """Queued faults not consumed yet."""
        return self._state.pending_faults()

    # --- waiting ------------------------------------------------------------

    def wait_for(self, predicate: Callable[[MockServer], bool], timeout: float = 5.0) -> None:
        """Block until ``predicate(self)`` holds, re-checked whenever server state changes.

        Raises TimeoutError if it does not hold within ``timeout`` seconds.
        """
        self._state.wait_for(lambda: predicate(self), timeout)

    def __repr__(self) -> str:
        where = self.url if self._port is not None else f"{self.host}:{self._requested_port}"
        return f"<MockServer {where}>"


def _check_limit(name: str, value: int | None) -> None:
    if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 1):
        raise ValueError(f"{name} must be None or an integer >= 1, got {value!r}")


def _check_window(value: float) -> None:
    if not value > 0 or value == float("inf"):
        raise ValueError(f"rate_limit_window must be > 0 and finite, got {value!r}")


def _check_mode(value: str) -> None:
    if value not in MODES:
        raise ValueError(f"rate_limit_mode must be one of {', '.join(MODES)}, got {value!r}")


def _check_delay(name: str, value: float) -> None:
    if value < 0:
        raise ValueError(f"{name} must be >= 0, got {value}")
