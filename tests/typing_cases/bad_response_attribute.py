"""Reading a field the response has not: "contnet"."""

from openai_actors import OpenAI


def ask(client: OpenAI) -> None:
    r = client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "Hi"}])
    text: str | None = r.choices[0].message.contnet  # expect-error
    print(text)
