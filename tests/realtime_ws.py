"""A small WebSocket client for the mock's Realtime endpoint: wsproto over an anyio socket.

Test infrastructure, deliberately independent of the package's own client, so
that the mock is proven against a second implementation of the protocol.
"""

from __future__ import annotations

import json
import ssl
from dataclasses import dataclass
from typing import Any

import anyio
import anyio.abc
from wsproto import ConnectionType, WSConnection
from wsproto.events import (
    AcceptConnection,
    BytesMessage,
    CloseConnection,
    Event,
    Message,
    Ping,
    Pong,
    RejectConnection,
    RejectData,
    Request,
    TextMessage,
)
from wsproto.extensions import PerMessageDeflate

from openai_actors.mock import MockServer

KEY = [(b"authorization", b"Bearer sk-test")]


@dataclass
class Refused:
    """An upgrade the server answered with an HTTP response instead of 101."""

    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class Closed(Exception):
    """The connection ended: ``code`` is the close frame's (1006: no close frame, the TCP connection ended)."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(f"closed {code} {reason!r}")
        self.code = code
        self.reason = reason


class WsClient:
    """One connection: ``send`` client events, ``recv`` server events (as dicts)."""

    def __init__(self, stream: anyio.abc.ByteStream, ws: WSConnection, accepted: AcceptConnection) -> None:
        self.stream = stream
        self.ws = ws
        self.accepted = accepted
        self.headers = {name.decode().lower(): value.decode() for name, value in accepted.extra_headers}
        self._pending: list[Event] = []
        self._text: list[str] = []

    @classmethod
    async def connect(
        cls,
        server: MockServer,
        target: str = "/v1/realtime?model=gpt-realtime",
        *,
        headers: list[tuple[bytes, bytes]] | None = None,
        deflate: bool = False,
        trailing: bytes = b"",
        ssl_context: ssl.SSLContext | None = None,
    ) -> WsClient | Refused:
        """Open a connection (over TLS with ``ssl_context``); ``trailing`` is sent in the same
        write as the upgrade request."""
        stream: anyio.abc.ByteStream = await anyio.connect_tcp(
            "127.0.0.1",
            server.port,
            ssl_context=ssl_context,
            tls=ssl_context is not None,
            tls_standard_compatible=False,
        )
        ws = WSConnection(ConnectionType.CLIENT)
        request = Request(
            host=f"127.0.0.1:{server.port}",
            target=target,
            extra_headers=KEY if headers is None else headers,
            extensions=[PerMessageDeflate()] if deflate else [],
        )
        await stream.send(ws.send(request) + trailing)
        refused: Refused | None = None
        body = b""
        while True:
            data = await stream.receive()
            ws.receive_data(data)
            events = ws.events()
            for event in events:
                if isinstance(event, AcceptConnection):
                    client = cls(stream, ws, event)
                    client._pending.extend(events)  # frames that came in the same read
                    return client
                if isinstance(event, RejectConnection):
                    names = {k.decode().lower(): v.decode() for k, v in event.headers}
                    refused = Refused(event.status_code, names, b"")
                    if not event.has_body:
                        await stream.aclose()
                        return refused
                elif isinstance(event, RejectData):
                    body += event.data
                    if event.body_finished:
                        await stream.aclose()
                        assert refused is not None
                        refused.body = body
                        return refused

    async def send(self, event: dict[str, Any] | str) -> None:
        text = event if isinstance(event, str) else json.dumps(event)
        await self.stream.send(self.ws.send(TextMessage(text)))

    async def send_raw(self, message: Message[Any] | Ping | CloseConnection) -> None:
        await self.stream.send(self.ws.send(message))

    async def next_frame(self) -> Event:
        """The next event from the server, control frames included; Closed when it ends."""
        while not self._pending:
            try:
                data = await self.stream.receive()
            except (anyio.EndOfStream, anyio.BrokenResourceError, ConnectionResetError):
                raise Closed(1006, "the connection ended without a close frame") from None
            self.ws.receive_data(data)
            self._pending.extend(self.ws.events())
        return self._pending.pop(0)

    async def recv(self) -> dict[str, Any]:
        """The next server event (pongs are skipped); Closed when the server closes."""
        while True:
            frame = await self.next_frame()
            if isinstance(frame, CloseConnection):
                raise Closed(frame.code, frame.reason)
            if isinstance(frame, TextMessage):
                self._text.append(frame.data)
                if frame.message_finished:
                    text = "".join(self._text)
                    self._text.clear()
                    decoded: dict[str, Any] = json.loads(text)
                    return decoded
            elif isinstance(frame, BytesMessage):
                raise AssertionError("the server sent a binary message")
            elif not isinstance(frame, Pong):
                raise AssertionError(f"unexpected frame {frame!r}")

    async def recv_until(self, kind: str) -> list[dict[str, Any]]:
        """Server events up to and including the first of type ``kind``."""
        events = []
        while True:
            event = await self.recv()
            events.append(event)
            if event["type"] == kind:
                return events

    async def close(self, code: int = 1000) -> CloseConnection:
        """Close cleanly; return the server's answering close frame."""
        await self.stream.send(self.ws.send(CloseConnection(code=code)))
        while True:
            frame = await self.next_frame()
            if isinstance(frame, CloseConnection):
                await self.stream.aclose()
                return frame

    async def aclose(self) -> None:
        await self.stream.aclose()


async def connected(
    server: MockServer, target: str = "/v1/realtime?model=gpt-realtime", **options: Any
) -> WsClient:
    """A connection that must be accepted, with its ``session.created`` already read."""
    client = await WsClient.connect(server, target, **options)
    assert isinstance(client, WsClient), client
    created = await client.recv()
    assert "session.created" == created["type"]
    return client
