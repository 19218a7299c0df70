"""A chat message with the role misspelt: "usr" is no role."""

from openai_actors import OpenAI


def ask(client: OpenAI) -> None:
    client.chat.completions.create(
        model="gpt-4o-mini",
        messages=[
            {"role": "usr", "content": "Hi"},  # expect-error
        ],
    )
