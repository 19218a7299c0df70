"""One caller's request on its way through the dispatcher, and its single outcome.

Invariant: a call is resolved at most once. `resolve` after `resolve`, or
after the caller abandoned it, does nothing, so whichever of "response
arrived", "client closed" and "caller cancelled" happens first decides, and the
caller sees exactly one result or one exception.

    QUEUED ──lane takes it──▶ RUNNING ──response/error──▶ DONE
       ▲                         │
       └──── retry / redirect ───┘
    QUEUED or RUNNING ──caller cancelled──▶ ABANDONED (a running attempt is cancelled)

Everything here runs in the dispatcher's event loop.
"""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING, Final, final

import anyio

from ._transport import Content, HeaderBlock, Origin, RawResponse, Timeouts, WireRequest

if TYPE_CHECKING:
    from collections import OrderedDict

    from anyio.streams.memory import MemoryObjectReceiveStream

    from ._dispatcher import Dispatcher
    from ._keys import KeySource
    from ._signals import Signal

__all__ = [
    "DONE_GRACE",
    "DRAIN_BUDGET",
    "END_OF_BODY",
    "Call",
    "CallState",
    "EndOfBody",
    "Outcome",
    "Piece",
    "StreamBody",
]


@final
class EndOfBody:
    """Sent by the lane after the last chunk: the body is complete."""

    __slots__ = ()


END_OF_BODY: Final = EndOfBody()
# What travels from a stream's lane to its reader.
Piece = bytes | Exception | EndOfBody
# How long a reader that saw the end of its events ([DONE]) lets the lane wait
# for the body to end, so the connection can be reused, before it is closed.
DRAIN_BUDGET: Final = 1.0
# How long the reader itself waits for the end of the body after [DONE].
DONE_GRACE: Final = 0.1


class StreamBody:
    """The outcome of a streaming call: the response head, and its body still arriving.

    The lane that got the head keeps reading the body and hands it over
    through a small bounded channel, so a slow reader slows its own stream
    (and holds its one connection) but never makes the dispatcher buffer.

    The lane ends the channel with `END_OF_BODY` when the body is complete,
    or with the exception that stopped it; a channel that ends without either
    was cut off (the client closed) and reads as ClientClosedError, never as
    a short, clean body. The reader may stop in two ways: `close()` (cancel
    the lane's read at once: a connection waiting on a slow server is freed
    now) or `finish()` (it has all it wants; let the lane read what is left,
    briefly, so the connection can be reused).
    """

    __slots__ = (
        "_call",
        "_chunks",
        "_closed",
        "_ended",
        "_error",
        "failure",
        "headers",
        "http_version",
        "reason",
        "status",
    )

    def __init__(
        self,
        call: Call,
        status: int,
        reason: str,
        headers: dict[str, str],
        http_version: str,
        chunks: MemoryObjectReceiveStream[Piece],
    ) -> None:
        self._call = call
        self.status = status
        self.reason = reason
        self.headers = headers
        self.http_version = http_version
        self._chunks = chunks
        self._error: Exception | None = None
        self._ended = False
        self._closed = False
        # Set by the lane when it stops the body for a reason the reader should
        # see (a read timeout); otherwise a cut-off body reads as ClientClosedError.
        self.failure: Exception | None = None

    @classmethod
    def complete(cls, call: Call, raw: RawResponse) -> StreamBody:
        """A body that has already arrived whole, for callers that asked for a stream."""
        send, receive = anyio.create_memory_object_stream[Piece](2)
        with send:
            if raw.content:
                send.send_nowait(raw.content)
            send.send_nowait(END_OF_BODY)
        return cls(call, raw.status, raw.reason, raw.headers, raw.http_version, receive)

    async def receive_many(self) -> list[bytes] | None:
        """Every chunk that has arrived (waiting for at least one), or None at the end.

        A failure of the body is raised after the chunks that came before it.
        """
        if self._error is not None:
            error, self._error = self._error, None
            raise error
        if self._ended:
            return None
        if self._closed:
            raise RuntimeError("this stream was closed; its body can no longer be read")
        chunks = self._chunks
        try:
            first = await chunks.receive()
        except anyio.EndOfStream:
            raise self._cut_off() from None
        received: list[bytes] = []
        item: Piece = first
        while True:
            if isinstance(item, bytes):
                received.append(item)
            elif isinstance(item, EndOfBody):
                self._ended = True
                chunks.close()  # nothing more will come
                return received or None
            elif received:
                self._error = item  # delivered after what came before it
                return received
            else:
                raise item
            try:
                item = chunks.receive_nowait()
            except anyio.WouldBlock:
                return received
            except anyio.EndOfStream:
                self._error = self._cut_off()
                return received

    def _cut_off(self) -> Exception:
        if self.failure is not None:
            return self.failure
        from ._exceptions import ClientClosedError

        return ClientClosedError("the client was closed while this response was being read")

    def close(self) -> None:
        """Stop the stream from the reading side, at once; safe to call more than once."""
        self._closed = not self._ended
        self._chunks.close()
        scope = self._call.scope
        if scope is not None:
            scope.cancel()

    async def drain(self, grace: float) -> None:
        """Read and drop what is left, for `grace` seconds at most; then leave it to the lane.

        Called when the reader has all it wants ([DONE]): the rest is usually
        just the end of the body, already on its way, and reading it here
        means the connection is free again before the reader's next request.
        """
        with anyio.move_on_after(grace):
            try:
                while await self.receive_many() is not None:
                    pass
            except Exception:
                pass  # ended badly after all the reader wanted: nothing more to do
            return
        self.finish()

    def finish(self) -> None:
        """The reader has all it needs: the lane may drain the rest, briefly, for reuse."""
        self._closed = not self._ended
        self._chunks.close()
        scope = self._call.scope
        if scope is not None:
            scope.deadline = min(scope.deadline, anyio.current_time() + DRAIN_BUDGET)


Outcome = RawResponse | StreamBody | Exception


class CallState(enum.IntEnum):
    QUEUED = 0
    RUNNING = 1
    DONE = 2
    ABANDONED = 3


class Call:
    __slots__ = (
        "admitted",
        "admitted_at",
        "attempts",
        "attempts_at_admission",
        "auth",
        "content",
        "cost",
        "done",
        "elapsed",
        "follow_redirects",
        "headers",
        "keys",
        "max_retries",
        "method",
        "origin",
        "outcome",
        "owner",
        "queue",
        "read_timeout_header",
        "reauthenticated",
        "redirects",
        "reserved",
        "retries_taken",
        "retry_count_header",
        "scope",
        "sent_at",
        "started_at",
        "state",
        "stream",
        "submitted_at",
        "target",
        "timeouts",
    )

    def __init__(
        self,
        *,
        method: str,
        origin: Origin,
        target: str,
        headers: HeaderBlock,
        content: Content,
        timeouts: Timeouts,
        max_retries: int,
        keys: KeySource | None,
        retry_count_header: bool = True,
        follow_redirects: bool = True,
        stream: bool = False,
    ) -> None:
        self.method = method
        self.origin = origin
        self.target = target
        self.headers = headers
        self.content = content
        self.timeouts = timeouts
        self.max_retries = max_retries
        self.keys = keys
        # Whether the dispatcher adds the key's header ("Authorization: Bearer <key>"):
        # not when the caller set or omitted that header, nor after a redirect to another origin.
        self.auth = keys is not None
        self.retry_count_header = retry_count_header
        # `X-Stainless-Read-Timeout`'s value, as the official SDK sends it; None: not sent.
        self.read_timeout_header: str | None = None
        self.follow_redirects = follow_redirects
        # The caller wants the body as it arrives (a StreamBody) rather than whole.
        self.stream = stream
        self.state = CallState.QUEUED
        self.attempts = 0
        self.retries_taken = 0
        self.redirects = 0
        self.reauthenticated = False
        self.outcome: Outcome | None = None
        # Created in the dispatcher's loop: a sync caller's thread has no loop.
        self.done: Signal | None = None
        self.scope: anyio.CancelScope | None = None
        # The dispatcher that took the call, and the queue it waits in (if any).
        self.owner: Dispatcher | None = None
        self.queue: OrderedDict[Call, None] | None = None
        self.admitted_at = 0.0
        # Rate control: the estimated tokens, what admission reserved, and
        # whether the call holds a place among those in flight.
        self.cost = 0
        self.reserved = 0
        self.admitted = False
        self.attempts_at_admission = 0
        self.started_at = 0.0
        # time.perf_counter() in the caller when it submitted: the start of
        # time-to-first-token, in a clock every thread and backend shares.
        self.submitted_at = 0.0
        # time.perf_counter() when the first attempt went to a connection: with
        # submitted_at, how long the call queued in the client (admission, a
        # free connection); 0.0 until then.
        self.sent_at = 0.0
        self.elapsed = 0.0

    @property
    def queued(self) -> float | None:
        """Seconds from submission to the first attempt being sent, or None if never sent."""
        return self.sent_at - self.submitted_at if self.sent_at else None

    @property
    def replayable(self) -> bool:
        return isinstance(self.content, bytes)

    @property
    def url(self) -> str:
        return f"{self.origin}{self.target}"

    def wire(self, key: str | None) -> WireRequest:
        extra: list[tuple[str, str]] = []
        if key is not None:
            keys = self.keys
            assert keys is not None  # a key comes from the call's key source
            extra.append((keys.header, keys.prefix + key))
        if self.retry_count_header:
            extra.append(("X-Stainless-Retry-Count", str(self.retries_taken)))
        if self.read_timeout_header is not None:
            extra.append(("X-Stainless-Read-Timeout", self.read_timeout_header))
        return WireRequest(self.method, self.origin, self.target, self.headers, extra, self.content)

    def resolve(self, outcome: Outcome) -> bool:
        """Deliver the outcome; False if the call already had one or was abandoned.

        `scope` is left alone: a stream's lane still runs under it, and the
        reader may cancel it through `StreamBody.close()`.
        """
        if self.state >= CallState.DONE:
            return False
        self.state = CallState.DONE
        self.outcome = outcome
        assert self.done is not None
        self.done.set()
        return True

    def abandon(self) -> None:
        """The caller stopped waiting: withdraw the request, or cancel its attempt.

        If the outcome was already delivered but the caller never took it (it
        was cancelled in between), a stream in it is closed: nobody will read it.
        """
        if self.state is CallState.DONE:
            if isinstance(self.outcome, StreamBody):
                self.outcome.close()
            return
        if self.state is CallState.ABANDONED:
            return
        self.state = CallState.ABANDONED
        if self.scope is not None:
            self.scope.cancel()
        if self.owner is not None:
            self.owner.withdraw(self)

    def __repr__(self) -> str:
        # Never the headers: they may hold the key.
        return f"<Call {self.method} {self.url} {self.state.name} attempts={self.attempts}>"
