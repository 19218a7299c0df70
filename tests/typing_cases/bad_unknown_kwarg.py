"""A keyword argument create() does not take: "temprature"."""

from openai_actors import OpenAI


def ask(client: OpenAI) -> None:
    client.chat.completions.create(  # expect-error
        model="gpt-4o-mini",
        messages=[{"role": "user", "content": "Hi"}],
        temprature=0.5,
    )
