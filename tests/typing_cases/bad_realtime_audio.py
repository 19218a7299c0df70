"""Realtime audio is appended as base64 text, not raw bytes."""

from openai_actors import AsyncOpenAI


async def send_audio(client: AsyncOpenAI, pcm: bytes) -> None:
    async with client.realtime.connect(model="gpt-realtime") as connection:
        await connection.input_audio_buffer.append(audio=pcm)  # expect-error
