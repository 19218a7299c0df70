"""An Assistants event handler whose `on_text_delta` takes a str where the handler passes a TextDelta.

Everything else here is correct use of the stream helpers (subclassed handlers, the
managers' types, the handler's results), so it must type-check without error: the
only error is on the marked line.
"""

from __future__ import annotations

from typing import assert_type

from openai_actors import AssistantEventHandler, AsyncAssistantEventHandler, AsyncOpenAI, OpenAI
from openai_actors.lib.streaming import AssistantStreamManager, AsyncAssistantStreamManager
from openai_actors.types.beta import AssistantStreamEvent
from openai_actors.types.beta.threads import Message, Run, Text, TextDelta
from openai_actors.types.beta.threads.run_submit_tool_outputs_params import ToolOutput
from openai_actors.types.beta.threads.runs import RunStep, ToolCall, ToolCallDelta


class Printer(AssistantEventHandler):
    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []

    def on_text_delta(self, delta: TextDelta, snapshot: Text) -> None:
        self.text.append(delta.value or "")

    def on_tool_call_delta(self, delta: ToolCallDelta, snapshot: ToolCall) -> None:
        if delta.type == "function" and delta.function is not None:
            self.text.append(delta.function.arguments or "")

    def on_run_step_done(self, run_step: RunStep) -> None:
        self.text.append(run_step.status)


class AsyncPrinter(AsyncAssistantEventHandler):
    async def on_text_created(self, text: Text) -> None:
        print(text.value)

    async def on_message_done(self, message: Message) -> None:
        print(message.id)


def sync_use(client: OpenAI) -> list[str]:
    manager = client.beta.threads.runs.stream(
        thread_id="thread_1", assistant_id="asst_1", event_handler=Printer()
    )
    assert_type(manager, AssistantStreamManager[Printer])
    with manager as handler:
        assert_type(handler, Printer)
        run: Run = handler.get_final_run()
    with client.beta.threads.create_and_run_stream(assistant_id="asst_1") as plain:
        assert_type(plain, AssistantEventHandler)
        pieces: list[str] = list(plain.text_deltas)
    assert run.required_action is not None
    outputs: list[ToolOutput] = [
        {"tool_call_id": call.id, "output": "42"}
        for call in run.required_action.submit_tool_outputs.tool_calls
    ]
    with client.beta.threads.runs.submit_tool_outputs_stream(
        thread_id=run.thread_id, run_id=run.id, tool_outputs=outputs, event_handler=Printer()
    ) as after:
        for event in after:
            assert_type(event, AssistantStreamEvent)
    return handler.text + pieces + after.text


async def async_use(client: AsyncOpenAI) -> list[Message]:
    manager = client.beta.threads.runs.stream(
        thread_id="thread_1", assistant_id="asst_1", event_handler=AsyncPrinter()
    )
    assert_type(manager, AsyncAssistantStreamManager[AsyncPrinter])
    async with manager as handler:
        assert_type(handler, AsyncPrinter)
        async for text in handler.text_deltas:
            print(text)
        return await handler.get_final_messages()


class Wrong(AssistantEventHandler):
    def on_text_delta(self, delta: str, snapshot: Text) -> None:  # expect-error
        print(delta)
