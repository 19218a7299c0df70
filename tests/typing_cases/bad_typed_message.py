"""A misspelt key in a message kept in a variable typed as the SDK's message param."""

from openai_actors import OpenAI
from openai_actors.types.chat import ChatCompletionMessageParam


def ask(client: OpenAI) -> None:
    history: list[ChatCompletionMessageParam] = []
    history.append({"role": "system", "contnet": "Be terse."})  # expect-error
    client.chat.completions.create(model="gpt-4o-mini", messages=history)
