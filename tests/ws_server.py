"""A small scripted Realtime WebSocket server for the client's tests: wsproto over anyio, in its own thread.

It answers like the Realtime API in miniature (session.created on connect,
session.updated, conversation.item.created, a response streamed as text
deltas, audio buffered and committed) and takes orders for faults through
the text of a user message: "close <code>" (a close frame), "drop" (the TCP
connection aborted without one), "say <text>" (<text> sent as a message as it
is), "badutf8" (a text frame that is not UTF-8). Everything each connection received is kept
in `connections`, so tests can check what reached the server and how often.
"""

from __future__ import annotations

import base64
import functools
import json
import ssl
import threading
from dataclasses import dataclass, field
from typing import Any

import anyio
import anyio.abc
from anyio.from_thread import BlockingPortal, start_blocking_portal
from anyio.streams.tls import TLSListener
from wsproto import ConnectionType, WSConnection
from wsproto.events import (
    AcceptConnection,
    BytesMessage,
    CloseConnection,
    Ping,
    RejectConnection,
    Request,
    TextMessage,
)
from wsproto.extensions import PerMessageDeflate


@dataclass
class Seen:
    """One connection: its handshake and the client events it received, in order."""

    target: str
    headers: dict[str, str]
    events: list[dict[str, Any]] = field(default_factory=list)
    pings: int = 0
    compressed: bool = False


class RealtimeTestServer:
    def __init__(
        self,
        *,
        keys: frozenset[str] | None = None,
        answer_pings: bool = True,
        deflate: bool = True,
        deltas: int = 3,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.keys = keys  # accepted bearer keys (None: any)
        self.answer_pings = answer_pings
        self.deflate = deflate
        self.deltas = deltas
        self.ssl_context = ssl_context
        self.delta_text = "part{i} "  # each delta's text ({i}: its index)
        self.fragment = False  # send each event as two frames (a continuation)
        self.connections: list[Seen] = []
        self.arrived = threading.Condition()
        self._portal_cm: Any = None
        self._portal: BlockingPortal | None = None
        self._listener: anyio.abc.SocketListener | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"{'https' if self.ssl_context else 'http'}://127.0.0.1:{self.port}/v1"

    def __enter__(self) -> RealtimeTestServer:
        self._portal_cm = start_blocking_portal("asyncio")
        self._portal = self._portal_cm.__enter__()
        self._listener = self._portal.call(
            functools.partial(anyio.create_tcp_listener, local_host="127.0.0.1")
        )
        sock = self._listener.extra(anyio.abc.SocketAttribute.raw_socket)
        self.port = sock.getsockname()[1]
        listener: anyio.abc.Listener[Any] = self._listener
        if self.ssl_context is not None:
            listener = TLSListener(self._listener, self.ssl_context, standard_compatible=False)
        self._portal.start_task_soon(listener.serve, self._serve)
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        """Stop serving and drop every connection (abruptly: the clients see 1006). Idempotent."""
        portal, self._portal = self._portal, None
        if portal is None:
            return
        assert self._listener is not None
        portal.call(self._listener.aclose)
        portal.call(portal.stop, True)
        self._portal_cm.__exit__(None, None, None)

    def wait_for(self, predicate: Any, timeout: float = 5.0) -> None:
        """Block until `predicate()` holds (checked whenever a connection or an event arrives)."""
        with self.arrived:
            if not self.arrived.wait_for(predicate, timeout):
                raise AssertionError("the test server never saw what was expected")

    def _note(self) -> None:
        with self.arrived:
            self.arrived.notify_all()

    async def _serve(self, stream: anyio.abc.ByteStream) -> None:
        async with stream:
            try:
                await _Connection(self, stream).run()
            except (anyio.BrokenResourceError, anyio.ClosedResourceError, anyio.EndOfStream, OSError):
                pass


class _Connection:
    def __init__(self, server: RealtimeTestServer, stream: anyio.abc.ByteStream) -> None:
        self.server = server
        self.stream = stream
        self.ws = WSConnection(ConnectionType.SERVER)
        self.seen: Seen | None = None
        self.audio = bytearray()
        self.ended = False

    async def send(self, event: Any) -> None:
        await self.stream.send(self.ws.send(event))

    async def emit(self, payload: dict[str, Any]) -> None:
        text = json.dumps(payload)
        if self.server.fragment:
            half = len(text) // 2
            await self.send(TextMessage(data=text[:half], message_finished=False))
            await self.send(TextMessage(data=text[half:], message_finished=True))
        else:
            await self.send(TextMessage(data=text))

    async def run(self) -> None:
        while not self.ended:
            try:
                data = await self.stream.receive()
            except anyio.EndOfStream:
                return
            self.ws.receive_data(data)
            for event in self.ws.events():
                await self.handle(event)
                if self.ended:
                    return

    async def handle(self, event: Any) -> None:
        server = self.server
        if isinstance(event, Request):
            headers = {k.decode().lower(): v.decode() for k, v in event.extra_headers}
            key = headers.get("authorization", "").removeprefix("Bearer ")
            if server.keys is not None and key not in server.keys:
                body = json.dumps(
                    {"error": {"message": "Incorrect API key provided", "type": "invalid_request_error"}}
                )
                await self.send(
                    RejectConnection(
                        status_code=401, headers=[(b"content-type", b"application/json")], has_body=True
                    )
                )
                from wsproto.events import RejectData

                await self.send(RejectData(data=body.encode()))
                self.ended = True
                return
            self.seen = Seen(event.target, headers)
            offered = [e for e in event.extensions if isinstance(e, str) and "permessage-deflate" in e]
            extensions = [PerMessageDeflate()] if server.deflate and offered else []
            await self.send(AcceptConnection(extensions=extensions))
            self.seen.compressed = bool(extensions)
            server.connections.append(self.seen)
            server._note()
            await self.emit({"type": "session.created", "event_id": "ev_0", "session": {"id": "sess_1"}})
        elif isinstance(event, TextMessage | BytesMessage):
            if not event.message_finished:
                raise AssertionError("the test server expects whole messages")
            payload = json.loads(event.data)
            assert self.seen is not None
            self.seen.events.append(payload)
            server._note()
            await self.answer(payload)
        elif isinstance(event, Ping):
            assert self.seen is not None
            self.seen.pings += 1
            server._note()
            if server.answer_pings:
                await self.send(event.response())
        elif isinstance(event, CloseConnection):
            await self.send(event.response())
            self.ended = True

    async def answer(self, event: dict[str, Any]) -> None:
        kind = event.get("type")
        if kind == "session.update":
            await self.emit({"type": "session.updated", "session": event.get("session", {})})
        elif kind == "conversation.item.create":
            text = _text_of(event.get("item", {}))
            if text.startswith("close "):
                await self.send(CloseConnection(code=int(text.split()[1]), reason="scripted close"))
                return
            if text.startswith("say "):  # the rest, sent as a text message as it is (JSON or not)
                await self.send(TextMessage(data=text.removeprefix("say ")))
                return
            if text == "badutf8":  # a text frame whose payload is not UTF-8 (FIN, opcode 1, 2 bytes)
                await self.stream.send(b"\x81\x02\xff\xfe")
                return
            if text == "drop":
                await self.stream.aclose()  # no close frame: the client sees 1006
                self.ended = True
                return
            await self.emit({"type": "conversation.item.created", "item": {"id": "item_1", **event["item"]}})
        elif kind == "input_audio_buffer.append":
            self.audio += base64.b64decode(event["audio"])
        elif kind == "input_audio_buffer.commit":
            await self.emit(
                {"type": "input_audio_buffer.committed", "item_id": "item_audio", "bytes": len(self.audio)}
            )
        elif kind == "response.create":
            await self.respond()

    async def respond(self) -> None:
        await self.emit({"type": "response.created", "response": {"id": "resp_1", "status": "in_progress"}})
        for i in range(self.server.deltas):
            await self.emit(
                {
                    "type": "response.output_text.delta",
                    "delta": self.server.delta_text.format(i=i),
                    "response_id": "resp_1",
                }
            )
        await self.emit({"type": "response.done", "response": {"id": "resp_1", "status": "completed"}})


def _text_of(item: dict[str, Any]) -> str:
    for part in item.get("content", []):
        if isinstance(part, dict) and "text" in part:
            return str(part["text"])
    return ""


def user_message(text: str) -> dict[str, Any]:
    return {"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]}
