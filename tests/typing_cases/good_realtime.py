"""The realtime connection as the official SDK's users write it: async and sync, helpers, reconnection."""

from __future__ import annotations

from openai_actors import (
    AsyncOpenAI,
    ConnectionClosedError,
    OpenAI,
    ReconnectingEvent,
    ReconnectingOverrides,
    WebSocketQueueFullError,
)


def on_reconnecting(event: ReconnectingEvent) -> ReconnectingOverrides | None:
    if event.attempt > 3:
        return {"abort": True}
    return {"extra_headers": {"X-Attempt": str(event.attempt)}}


async def talk(client: AsyncOpenAI) -> str:
    text = ""
    async with client.realtime.connect(
        model="gpt-realtime",
        on_reconnecting=on_reconnecting,
        websocket_connection_options={"ping_interval": 10, "compression": None},
    ) as connection:
        await connection.session.update(session={"type": "realtime", "output_modalities": ["text"]})
        await connection.conversation.item.create(
            item={"type": "message", "role": "user", "content": [{"type": "input_text", "text": "Hi"}]}
        )
        try:
            await connection.input_audio_buffer.append(audio="AAAA")
        except WebSocketQueueFullError:
            pass
        await connection.response.create()
        async for event in connection:
            if event.type == "response.done":
                break
        raw: bytes = await connection.recv_bytes()
        text = connection.parse_event(raw).type
        await connection.close(code=1000, reason="done")
    return text


def talk_sync(client: OpenAI) -> None:
    with client.realtime.connect(model="gpt-realtime") as connection:
        connection.response.create()
        try:
            for event in connection:
                print(event.type)
        except ConnectionClosedError as exc:
            print(exc.code, exc.reason)
