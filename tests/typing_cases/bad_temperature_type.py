"""`temperature` is a number, not a string."""

from openai_actors import OpenAI


def ask(client: OpenAI) -> None:
    client.chat.completions.create(  # expect-error
        model="gpt-4o-mini",
        messages=[{"role": "user", "content": "Hi"}],
        temperature="0.5",
    )
