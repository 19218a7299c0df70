"""The stream helpers written as for the official `openai` SDK; must pass `mypy --strict` unchanged.

Only type-checked (tests/test_typing.py), never run. What it pins down: an event narrows on
`event.type` as with the official SDK; `content.done`'s `parsed` is the `response_format`
type (None without one); the final completion and response are generic in the type; the
async helpers are `async with` managers (not coroutines) whose methods are awaited; the
events import from where the official SDK has them.
"""

from __future__ import annotations

from typing import assert_type

from pydantic import BaseModel

import openai_actors
from openai_actors import AsyncOpenAI, OpenAI
from openai_actors.lib.streaming.chat import ChatCompletionStreamState, ContentDoneEvent
from openai_actors.lib.streaming.responses import ResponseTextDeltaEvent
from openai_actors.types.chat import ParsedChatCompletion
from openai_actors.types.responses import ParsedResponse


class MathResponse(BaseModel):
    final_answer: str


class GetWeather(BaseModel):
    city: str


def chat(client: OpenAI) -> str | None:
    with client.chat.completions.stream(
        model="gpt-4o-2024-08-06",
        messages=[{"role": "user", "content": "solve 8x + 31 = 2"}],
        response_format=MathResponse,
    ) as stream:
        for event in stream:
            if event.type == "content.delta":
                print(event.delta, event.snapshot, end="", flush=True)
            elif event.type == "content.done":
                assert_type(event, ContentDoneEvent[MathResponse])
                if event.parsed is not None:
                    print(event.parsed.final_answer)
            elif event.type == "refusal.delta":
                print(event.delta)
            elif event.type == "tool_calls.function.arguments.done":
                print(event.name, event.index, event.parsed_arguments)
    completion = stream.get_final_completion()
    assert_type(completion, ParsedChatCompletion[MathResponse])
    parsed = completion.choices[0].message.parsed
    return parsed.final_answer if parsed else None


def chat_without_a_type(client: OpenAI) -> str | None:
    with client.chat.completions.stream(
        model="gpt-4o",
        messages=[{"role": "user", "content": "hi"}],
        tools=[openai_actors.pydantic_function_tool(GetWeather, name="get_weather")],
        parallel_tool_calls=True,
    ) as stream:
        stream.until_done()
        print(stream.current_completion_snapshot.choices[0].message.content)
    return stream.get_final_completion().choices[0].message.content


async def chat_async(client: AsyncOpenAI) -> str:
    async with client.chat.completions.stream(
        model="gpt-4o", messages=[{"role": "user", "content": "hi"}], response_format=MathResponse
    ) as stream:
        async for event in stream:
            if event.type == "content.done" and event.parsed is not None:
                return event.parsed.final_answer
    completion = await stream.get_final_completion()
    return completion.choices[0].message.content or ""


def by_hand(client: OpenAI) -> None:
    state: ChatCompletionStreamState[None] = ChatCompletionStreamState()
    for chunk in client.chat.completions.create(model="gpt-4o", messages=[], stream=True):
        for event in state.handle_chunk(chunk):
            print(event.type)
    print(state.get_final_completion().choices[0].message.content)


def responses(client: OpenAI) -> str:
    with client.responses.stream(
        input="solve 8x + 31 = 2", model="gpt-4o-2024-08-06", text_format=MathResponse, background=True
    ) as stream:
        for event in stream:
            if event.type == "response.output_text.delta":
                assert_type(event, ResponseTextDeltaEvent)
                print(event.snapshot)
            elif event.type == "response.output_text.done" and event.parsed is not None:
                print(event.parsed.final_answer)
            if event.sequence_number == 10:
                break
    with client.responses.stream(response_id="resp_1", starting_after=10, text_format=MathResponse) as stream:
        response = stream.get_final_response()
    assert_type(response, ParsedResponse[MathResponse])
    return response.output_parsed.final_answer if response.output_parsed else ""


async def responses_async(client: AsyncOpenAI) -> str:
    async with client.responses.stream(input="hi", model="gpt-4o") as stream:
        async for event in stream:
            if event.type == "response.function_call_arguments.delta":
                print(event.snapshot)
        response = await stream.get_final_response()
    return response.output_text
