"""A chat message with its key misspelt: "contnet" for "content"."""

from openai_actors import OpenAI


def ask(client: OpenAI) -> None:
    client.chat.completions.create(
        model="gpt-4o-mini",
        messages=[
            {"role": "user", "contnet": "Hi"},  # expect-error
        ],
    )
