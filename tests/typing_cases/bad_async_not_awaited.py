"""The async client's create() must be awaited before its result is read."""

from openai_actors import AsyncOpenAI


async def ask(client: AsyncOpenAI) -> None:
    r = client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "Hi"}])
    text: str | None = r.choices[0].message.content  # expect-error
    print(text)
