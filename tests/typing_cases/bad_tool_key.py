"""A tool definition typed as the SDK's ChatCompletionToolParam, its key misspelt: "functon"."""

from openai_actors.types.chat import ChatCompletionToolParam

TOOL: ChatCompletionToolParam = {"type": "function", "functon": {"name": "get_weather"}}  # expect-error
