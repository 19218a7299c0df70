"""`model` is required."""

from openai_actors import OpenAI


def ask(client: OpenAI) -> None:
    client.chat.completions.create(messages=[{"role": "user", "content": "Hi"}])  # expect-error
