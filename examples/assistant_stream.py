"""Streaming an Assistants run with an event handler, a function call included, against the bundled mock server.

    python examples/assistant_stream.py

The run is offered a function tool; the handler prints the text as it comes
and the call's arguments as they grow; when the run stops for the call's
output, the output is submitted and the rest of the run streamed. Then the
same with AsyncOpenAI, on trio, reading only `text_deltas`. Point `base_url`
at the API (and use a real assistant and thread) and the same code runs there.
"""

from __future__ import annotations

import json

import anyio

from openai_actors import AssistantEventHandler, AsyncOpenAI, OpenAI
from openai_actors.mock import MockServer
from openai_actors.types.beta import FunctionToolParam
from openai_actors.types.beta.threads import Text, TextDelta
from openai_actors.types.beta.threads.run_submit_tool_outputs_params import ToolOutput
from openai_actors.types.beta.threads.runs import ToolCall, ToolCallDelta

TOOLS: list[FunctionToolParam] = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "The weather in a city.",
            "parameters": {
                "type": "object",
                "properties": {"city": {"type": "string"}},
                "required": ["city"],
            },
        },
    }
]


class Printer(AssistantEventHandler):
    def on_text_created(self, text: Text) -> None:
        print("\nassistant > ", end="", flush=True)

    def on_text_delta(self, delta: TextDelta, snapshot: Text) -> None:
        print(delta.value, end="", flush=True)

    def on_tool_call_created(self, tool_call: ToolCall) -> None:
        print(f"\nassistant > calls {tool_call.type}: ", end="", flush=True)

    def on_tool_call_delta(self, delta: ToolCallDelta, snapshot: ToolCall) -> None:
        if delta.type == "function" and delta.function is not None and delta.function.arguments:
            print(delta.function.arguments, end="", flush=True)


def weather(arguments: str) -> str:
    city = json.loads(arguments).get("city", "nowhere")
    return f"sunny in {city}"


def with_threads(base_url: str) -> str:
    with OpenAI(api_key="sk-mock", base_url=base_url) as client:
        with client.beta.threads.create_and_run_stream(
            assistant_id="asst_1",
            thread={"messages": [{"role": "user", "content": "What is the weather in Paris?"}]},
            tools=TOOLS,
            event_handler=Printer(),
        ) as stream:
            run = stream.get_final_run()
        assert run.required_action is not None, f"the run is {run.status}, not waiting for a call"
        outputs: list[ToolOutput] = [
            {"tool_call_id": call.id, "output": weather(call.function.arguments)}
            for call in run.required_action.submit_tool_outputs.tool_calls
        ]
        with client.beta.threads.runs.submit_tool_outputs_stream(
            thread_id=run.thread_id, run_id=run.id, tool_outputs=outputs, event_handler=Printer()
        ) as stream:
            stream.until_done()
        print()
        [message] = stream.get_final_messages()
        block = message.content[0]
        return block.text.value if block.type == "text" else ""


async def with_trio(base_url: str) -> str:
    async with AsyncOpenAI(api_key="sk-mock", base_url=base_url) as client:
        async with client.beta.threads.runs.stream(
            thread_id="thread_1",
            assistant_id="asst_1",
            additional_messages=[{"role": "user", "content": "hello from trio"}],
        ) as stream:
            pieces = [piece async for piece in stream.text_deltas]
        print("async:", "".join(pieces))
        return "".join(pieces)


def main() -> None:
    with MockServer() as server:
        answer = with_threads(server.url)
        assert answer == "echo: sunny in city", answer  # the mock's call asks for the city "city"
        assert anyio.run(with_trio, server.url, backend="trio") == "echo: hello from trio"


if __name__ == "__main__":
    main()
