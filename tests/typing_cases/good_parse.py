"""Structured outputs written as for the official `openai` SDK; must pass `mypy --strict` unchanged.

Only type-checked (tests/test_typing.py), never run. What it pins down: `.parse` is generic
in the type it is given, so `message.parsed` is `MathResponse | None` (not Any), on the sync
and the async client, for chat and for responses; and the Parsed* types are importable from
where the official SDK has them, usable as annotations.
"""

from __future__ import annotations

from typing import assert_type

from pydantic import BaseModel

import openai_actors
from openai_actors import AsyncOpenAI, LengthFinishReasonError, OpenAI
from openai_actors.types.chat import ParsedChatCompletion, ParsedChatCompletionMessage, ParsedFunctionToolCall
from openai_actors.types.responses import ParsedResponse


class Step(BaseModel):
    explanation: str
    output: str


class MathResponse(BaseModel):
    steps: list[Step]
    final_answer: str


class Query(BaseModel):
    table_name: str


def chat(client: OpenAI) -> str | None:
    try:
        completion = client.chat.completions.parse(
            model="gpt-4o-2024-08-06",
            messages=[{"role": "user", "content": "solve 8x + 31 = 2"}],
            response_format=MathResponse,
        )
    except LengthFinishReasonError as exc:
        print(exc.completion)
        return None
    assert_type(completion, ParsedChatCompletion[MathResponse])
    message: ParsedChatCompletionMessage[MathResponse] = completion.choices[0].message
    assert_type(message.parsed, MathResponse | None)
    if message.parsed:
        steps: list[Step] = message.parsed.steps
        print(steps)
        return message.parsed.final_answer
    refusal: str | None = message.refusal
    return refusal


def tools(client: OpenAI) -> object:
    completion = client.chat.completions.parse(
        model="gpt-4o-2024-08-06",
        messages=[{"role": "user", "content": "look up my orders"}],
        tools=[openai_actors.pydantic_function_tool(Query, name="query", description="Query the database")],
    )
    calls: list[ParsedFunctionToolCall] = completion.choices[0].message.tool_calls or []
    return calls[0].function.parsed_arguments


def responses(client: OpenAI) -> str:
    rsp = client.responses.parse(
        input="solve 8x + 31 = 2", model="gpt-4o-2024-08-06", text_format=MathResponse
    )
    assert_type(rsp, ParsedResponse[MathResponse])
    assert_type(rsp.output_parsed, MathResponse | None)
    for output in rsp.output:
        if output.type == "message":
            for item in output.content:
                if item.type == "output_text" and item.parsed:
                    assert_type(item.parsed, MathResponse)
                    return item.parsed.final_answer
        elif output.type == "function_call":
            print(output.parsed_arguments)
    return rsp.output_text


async def async_chat(client: AsyncOpenAI) -> MathResponse | None:
    completion = await client.chat.completions.parse(
        model="gpt-4o-2024-08-06",
        messages=[{"role": "user", "content": "solve 8x + 31 = 2"}],
        response_format=MathResponse,
    )
    rsp = await client.responses.parse(
        model="gpt-4o-2024-08-06",
        input="find orders",
        tools=[
            openai_actors.pydantic_function_tool(Query),
            openai_actors.pydantic_responses_function_tool(Query),
        ],
    )
    print(rsp.output_parsed)
    return completion.choices[0].message.parsed


def beta_chat(client: OpenAI) -> MathResponse | None:
    # Where code written in 2024 calls it.
    completion = client.beta.chat.completions.parse(
        model="gpt-4o-2024-08-06",
        messages=[{"role": "user", "content": "solve 8x + 31 = 2"}],
        response_format=MathResponse,
    )
    assert_type(completion.choices[0].message.parsed, MathResponse | None)
    return completion.choices[0].message.parsed


async def raw_views(client: OpenAI, aclient: AsyncOpenAI) -> None:
    raw = client.chat.completions.with_raw_response.parse(
        model="gpt-4o", messages=[{"role": "user", "content": "x"}], response_format=MathResponse
    )
    print(raw.headers.get("x-request-id"))
    assert_type(raw.parse().choices[0].message.parsed, MathResponse | None)
    with client.responses.with_streaming_response.parse(
        model="gpt-4o", input="x", text_format=MathResponse
    ) as r:
        assert_type(r.parse().output_parsed, MathResponse | None)
    araw = await aclient.responses.with_raw_response.parse(
        model="gpt-4o", input="x", text_format=MathResponse
    )
    assert_type(araw.parse().output_parsed, MathResponse | None)
    async with aclient.chat.completions.with_streaming_response.parse(
        model="gpt-4o", messages=[{"role": "user", "content": "x"}], response_format=MathResponse
    ) as ar:
        parsed = await ar.parse()
        assert_type(parsed.choices[0].message.parsed, MathResponse | None)
