"""Reading a field a stream chunk's delta has not: "text"."""

from openai_actors import OpenAI


def ask(client: OpenAI) -> list[str | None]:
    stream = client.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "Hi"}], stream=True
    )
    return [chunk.choices[0].delta.text for chunk in stream]  # expect-error
