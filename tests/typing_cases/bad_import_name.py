"""A misspelt name imported from the SDK's types: "ChatCompletionMesageParam"."""

from openai_actors.types.chat import ChatCompletionMesageParam  # expect-error

HISTORY: list[ChatCompletionMesageParam] = []
