"""User code written as for the official `openai` SDK; it must pass `mypy --strict` unchanged.

Only type-checked (tests/test_typing.py), never imported or run: every call is inside
a function nobody calls, and tests/typing_cases/conftest.py keeps pytest from collecting it.

Types are asserted without reveal_type: by assignment to an annotated variable, and by
`assert_type` where an `Any` must not slip through (an assignment from `Any` always passes).
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import assert_type

import openai_actors
from openai_actors import AsyncOpenAI, OpenAI
from openai_actors.types import CreateEmbeddingResponse, FileObject, ImagesResponse
from openai_actors.types.beta import AssistantStreamEvent
from openai_actors.types.beta.threads import Run
from openai_actors.types.chat import (
    ChatCompletion,
    ChatCompletionChunk,
    ChatCompletionMessageParam,
    ChatCompletionToolParam,
    ChatCompletionUserMessageParam,
)
from openai_actors.types.fine_tuning import FineTuningJob
from openai_actors.types.responses import (
    FunctionToolParam,
    Response,
    ResponseInputItemParam,
    ResponseInputParam,
    ResponseItem,
    ResponseStreamEvent,
    ToolParam,
)
from openai_actors.types.vector_stores import VectorStoreFile

TOOLS: list[ChatCompletionToolParam] = [
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


def chat(client: OpenAI) -> None:
    r = client.chat.completions.create(
        model="gpt-4o-mini",
        messages=[
            {"role": "system", "content": "You are terse."},
            {"role": "user", "content": "Say hi."},
        ],
        temperature=0.2,
        max_tokens=50,
    )
    assert_type(r, ChatCompletion)
    content: str | None = r.choices[0].message.content
    assert_type(r.choices[0].message.content, str | None)
    finish: str = r.choices[0].finish_reason
    if r.usage is not None:
        total: int = r.usage.total_tokens
        print(total)
    print(content, finish, r.id, r.model)

    # Messages built up in a typed list, as an application keeps a conversation.
    history: list[ChatCompletionMessageParam] = [{"role": "developer", "content": "Answer in French."}]
    question: ChatCompletionUserMessageParam = {
        "role": "user",
        "content": [
            {"type": "text", "text": "What is in this image?"},
            {"type": "image_url", "image_url": {"url": "https://example.com/cat.png", "detail": "low"}},
        ],
    }
    history.append(question)
    r = client.chat.completions.create(model="gpt-4o", messages=history, tools=TOOLS, tool_choice="auto")
    message = r.choices[0].message
    history.append({"role": "assistant", "content": message.content})
    for call in message.tool_calls or []:
        if call.type == "function":
            name: str = call.function.name
            arguments: str = call.function.arguments
            history.append({"role": "tool", "tool_call_id": call.id, "content": f"{name}({arguments}): 21C"})

    # Structured output.
    r = client.chat.completions.create(
        model="gpt-4o",
        messages=history,
        response_format={
            "type": "json_schema",
            "json_schema": {
                "name": "answer",
                "strict": True,
                "schema": {"type": "object", "properties": {"a": {"type": "string"}}},
            },
        },
        seed=1,
        extra_headers={"X-Trace": "1"},
        timeout=30.0,
    )
    r = client.chat.completions.create(
        model="gpt-4o", messages=history, response_format={"type": "json_object"}
    )
    print(r.choices[0].message.refusal)


def chat_with_omitted_arguments(client: OpenAI, temperature: float | None) -> ChatCompletion:
    """A wrapper passes `omit` (or the value) for what it leaves out, as official signatures allow."""
    return client.chat.completions.create(
        model="gpt-4o-mini",
        messages=[{"role": "user", "content": "Say hi."}],
        temperature=temperature if temperature is not None else openai_actors.omit,
        tools=openai_actors.omit,
        timeout=openai_actors.NOT_GIVEN,
    )


def chat_stream(client: OpenAI) -> str:
    parts: list[str] = []
    stream = client.chat.completions.create(
        model="gpt-4o-mini",
        messages=[{"role": "user", "content": "Count to ten."}],
        stream=True,
        stream_options={"include_usage": True},
    )
    for chunk in stream:
        assert_type(chunk, ChatCompletionChunk)
        if chunk.choices:
            delta: str | None = chunk.choices[0].delta.content
            assert_type(chunk.choices[0].delta.content, str | None)
            if delta:
                parts.append(delta)
    with client.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "Hi"}], stream=True
    ) as again:
        for chunk in again:
            parts.extend(c.delta.content or "" for c in chunk.choices)

    # A tool call, streamed: its arguments arrive in pieces.
    arguments: list[str] = []
    for chunk in client.chat.completions.create(
        model="gpt-4o-mini",
        messages=[{"role": "user", "content": "Weather in Paris?"}],
        tools=[
            {
                "type": "function",
                "function": {
                    "name": "get_weather",
                    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
                    "strict": True,
                },
            }
        ],
        tool_choice={"type": "function", "function": {"name": "get_weather"}},
        parallel_tool_calls=False,
        stream=True,
    ):
        if not chunk.choices:
            continue
        for tool_call in chunk.choices[0].delta.tool_calls or []:
            if tool_call.function is not None and tool_call.function.arguments:
                arguments.append(tool_call.function.arguments)
    return "".join(parts) + "".join(arguments)


def embeddings(client: OpenAI) -> list[list[float]]:
    e = client.embeddings.create(model="text-embedding-3-small", input=["one", "two"])
    assert_type(e, CreateEmbeddingResponse)
    vec: list[float] = e.data[0].embedding
    assert_type(e.data[0].embedding, list[float])
    tokens: int = e.usage.prompt_tokens
    print(len(vec), tokens)
    e = client.embeddings.create(model="text-embedding-3-large", input="one", dimensions=256)
    return [d.embedding for d in e.data]


def images(client: OpenAI) -> None:
    img = client.images.generate(model="dall-e-3", prompt="A red panda", size="1024x1024", n=1)
    assert_type(img, ImagesResponse)
    for image in img.data or []:
        url: str | None = image.url
        b64: str | None = image.b64_json
        print(url, b64)


def files(client: OpenAI, path: Path) -> None:
    with path.open("rb") as fh:
        uploaded = client.files.create(file=fh, purpose="fine-tune")
    assert_type(uploaded, FileObject)
    file_id: str = uploaded.id
    uploaded = client.files.create(file=path, purpose="batch")
    uploaded = client.files.create(file=("data.jsonl", b"{}\n"), purpose="assistants")
    names: list[str] = []
    for f in client.files.list():  # auto-paginates
        assert_type(f, FileObject)
        names.append(f.filename)
    page = client.files.list(limit=10, purpose="fine-tune")
    first: list[FileObject] = page.data
    while page.has_next_page():
        page = page.get_next_page()
    for p in client.files.list().iter_pages():
        first.extend(p.data)
    client.files.delete(file_id)
    print(names, first)


def audio(client: OpenAI, out: Path) -> bytes:
    speech = client.audio.speech.create(model="gpt-4o-mini-tts", voice="alloy", input="Hello there.")
    speech.write_to_file(out)
    data: bytes = speech.content
    assert_type(speech.content, bytes)
    return data


def assistants(client: OpenAI) -> None:
    thread = client.beta.threads.create()
    client.beta.threads.messages.create(thread.id, role="user", content="Hi")
    run = client.beta.threads.runs.create(thread_id=thread.id, assistant_id="asst_123")
    assert_type(run, Run)
    status: str = run.status
    run = client.beta.threads.runs.create(thread.id, assistant_id="asst_123", instructions="Be brief.")
    print(status, run.id)
    # As the official SDK: with stream=True, the run's events as they happen.
    for event in client.beta.threads.runs.create(thread.id, assistant_id="asst_123", stream=True):
        assert_type(event, AssistantStreamEvent)
        kind: str = event.event
        print(kind)


def vector_store_files(client: OpenAI) -> None:
    for vs_file in client.vector_stores.files.list(vector_store_id="vs_123"):
        assert_type(vs_file, VectorStoreFile)
        print(vs_file.id, vs_file.status)
    listing = client.vector_stores.files.list("vs_123", limit=20, order="desc")
    vfs: list[VectorStoreFile] = listing.data
    print(vfs)


def fine_tuning(client: OpenAI) -> None:
    for job in client.fine_tuning.jobs.list(limit=10):
        assert_type(job, FineTuningJob)
        model: str | None = job.fine_tuned_model
        print(job.id, job.status, model)


def responses(client: OpenAI) -> str:
    resp = client.responses.create(model="gpt-4.1-mini", input="Write a haiku.", instructions="Be brief.")
    assert_type(resp, Response)
    text: str = resp.output_text
    return text


WEATHER_TOOL: FunctionToolParam = {
    "type": "function",
    "name": "get_weather",
    "description": "The weather in a city.",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    "strict": True,
}
RESPONSE_TOOLS: list[ToolParam] = [WEATHER_TOOL, {"type": "web_search"}]


def responses_with_tools(client: OpenAI) -> str:
    # The conversation as typed input items, grown with the function's output, as the
    # official function-calling guide writes it.
    history: ResponseInputParam = [
        {"role": "developer", "content": "Answer in one line."},
        {"role": "user", "content": [{"type": "input_text", "text": "Weather in Paris?"}]},
    ]
    resp = client.responses.create(
        model="gpt-4.1-mini", input=history, tools=RESPONSE_TOOLS, tool_choice="auto", store=True
    )
    assert_type(resp, Response)
    for item in resp.output:
        if item.type == "function_call":
            call_id: str = item.call_id
            output: ResponseInputItemParam = {
                "type": "function_call_output",
                "call_id": call_id,
                "output": '{"temp_c": 21}',
            }
            history.append(output)
    follow = client.responses.create(
        model="gpt-4.1-mini", input=history, tools=RESPONSE_TOOLS, previous_response_id=resp.id
    )
    text: str = follow.output_text

    for event in client.responses.create(model="gpt-4.1-mini", input="Hi", stream=True):
        assert_type(event, ResponseStreamEvent)
        if event.type == "response.output_text.delta":
            text += event.delta
        elif event.type == "response.completed":
            usage_tokens: int | None = event.response.usage.total_tokens if event.response.usage else None
            print(usage_tokens)

    count = client.responses.input_tokens.count(model="gpt-4.1-mini", input=history)
    tokens: int = count.input_tokens
    for input_item in client.responses.input_items.list(resp.id, limit=10):
        assert_type(input_item, ResponseItem)
    print(tokens)
    client.responses.delete(resp.id)
    return text


def models_and_moderation(client: OpenAI) -> None:
    ids: list[str] = [m.id for m in client.models.list()]
    mod = client.moderations.create(model="omni-moderation-latest", input="some text")
    flagged: bool = mod.results[0].flagged
    legacy = client.completions.create(model="gpt-3.5-turbo-instruct", prompt="Say hi", max_tokens=5)
    legacy_text: str = legacy.choices[0].text
    print(ids, flagged, legacy_text)


def errors_and_options(client: OpenAI) -> ChatCompletion | None:
    patient = client.with_options(timeout=120.0, max_retries=5)
    for _ in range(3):
        try:
            return patient.chat.completions.create(
                model="gpt-4o-mini", messages=[{"role": "user", "content": "Hi"}]
            )
        except openai_actors.RateLimitError as err:
            status: int = err.status_code
            print(status, err.message)
            time.sleep(1)
        except openai_actors.APIConnectionError:
            time.sleep(1)
        except openai_actors.APIStatusError as err:
            print(err.status_code, err.response.headers.get("x-request-id"))
            raise
    return None


def raw_response(client: OpenAI) -> None:
    raw = client.chat.completions.with_raw_response.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "Hi"}]
    )
    remaining: str | None = raw.headers.get("x-ratelimit-remaining-requests")
    completion = raw.parse()
    assert_type(completion, ChatCompletion)
    print(remaining, completion.choices[0].message.content)


async def async_usage(client: AsyncOpenAI) -> None:
    r = await client.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "Hi"}]
    )
    assert_type(r, ChatCompletion)
    content: str | None = r.choices[0].message.content
    print(content)

    stream = await client.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "Hi"}], stream=True
    )
    async for chunk in stream:
        assert_type(chunk, ChatCompletionChunk)
        delta: str | None = chunk.choices[0].delta.content if chunk.choices else None
        print(delta)

    e = await client.embeddings.create(model="text-embedding-3-small", input="hello")
    vec: list[float] = e.data[0].embedding
    assert_type(e.data[0].embedding, list[float])

    async for f in client.files.list():
        assert_type(f, FileObject)
    first_page = await client.files.list()
    ids: list[str] = [f.id for f in first_page.data]

    async for job in client.fine_tuning.jobs.list():
        assert_type(job, FineTuningJob)
    async for vs_file in client.vector_stores.files.list("vs_123"):
        assert_type(vs_file, VectorStoreFile)

    speech = await client.audio.speech.create(model="tts-1", voice="nova", input="Hi")
    audio_bytes: bytes = speech.content

    run = await client.beta.threads.runs.create("thread_123", assistant_id="asst_123")
    assert_type(run, Run)

    resp = await client.responses.create(model="gpt-4.1-mini", input="Hi", tools=RESPONSE_TOOLS)
    assert_type(resp, Response)
    answer: str = resp.output_text
    async for event in await client.responses.create(model="gpt-4.1-mini", input="Hi", stream=True):
        if event.type == "response.output_text.delta":
            answer += event.delta
    print(answer)

    raw = await client.chat.completions.with_raw_response.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "Hi"}]
    )
    assert_type(raw.parse(), ChatCompletion)

    # Many requests at once: what this client is for.
    results = await asyncio.gather(
        *(
            client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": q}])
            for q in ("a", "b", "c")
        )
    )
    answers: list[str | None] = [res.choices[0].message.content for res in results]
    print(vec, ids, audio_bytes, answers)
    await client.close()


def main() -> None:
    with OpenAI() as client:
        chat(client)
    asyncio.run(async_usage(AsyncOpenAI(api_key="sk-test", max_retries=3)))
