"""A misspelt key in the realtime session configuration (`output_modalities`)."""

from openai_actors import AsyncOpenAI


async def configure(client: AsyncOpenAI) -> None:
    async with client.realtime.connect(model="gpt-realtime") as c:
        await c.session.update(session={"type": "realtime", "output_modalitys": ["text"]})  # expect-error
