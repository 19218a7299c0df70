"""Server-Sent Events for chat and legacy completions, shaped like OpenAI's.

Each event is rendered only when the connection asks for the next one, so a
stream costs memory for one event at a time however long it is.
"""

from __future__ import annotations

from collections.abc import Iterator
from json.encoder import encode_basestring_ascii as _json_str
from typing import Final

from ._common import StreamReply, default_error_body, pieces

__all__ = [
    "DONE",
    "chat_stream",
    "completion_stream",
    "data_error_event",
    "data_event",
    "refusal_stream",
    "tool_call_stream",
]

DONE: Final = b"data: [DONE]\n\n"


def data_event(data: str) -> bytes:
    """One unnamed SSE event; ``data`` is ASCII JSON (``_json_str`` escapes the rest)."""
    return ("data: " + data + "\n\n").encode()


def data_error_event(sent: int, payload: bytes | None) -> bytes:
    """What OpenAI sends when a chat or completion stream fails: ``data: {"error": {...}}``."""
    return b"data: " + (payload or default_error_body(500)) + b"\n\n"


# --- chat completions -------------------------------------------------------

_CHAT_HEAD: Final = (
    '{"id":"chatcmpl-%d","object":"chat.completion.chunk","created":%d,"model":%s,'
    '"system_fingerprint":"fp_mock","choices":['
)
_ROLE: Final = (
    '{"index":%d,"delta":{"role":"assistant","content":"","refusal":null},'
    '"logprobs":null,"finish_reason":null}'
)
_CONTENT: Final = '{"index":%d,"delta":{"content":%s},"logprobs":null,"finish_reason":null}'
_FINISH: Final = '{"index":%d,"delta":{},"logprobs":null,"finish_reason":"%s"}'
_USAGE: Final = '],"usage":{"prompt_tokens":%d,"completion_tokens":%d,"total_tokens":%d}}'


def chat_stream(
    number: int,
    created: int,
    model: str,
    reply: str,
    finish_reason: str,
    choices: int,
    include_usage: bool,
    usage: tuple[int, int],
) -> StreamReply:
    """The ``chat.completion.chunk`` events of one streamed chat completion, then ``[DONE]``."""
    return StreamReply(
        _chat_events(number, created, model, reply, finish_reason, choices, include_usage, usage),
        data_error_event,
    )


def _chat_events(
    number: int,
    created: int,
    model: str,
    reply: str,
    finish_reason: str,
    choices: int,
    include_usage: bool,
    usage: tuple[int, int],
) -> Iterator[bytes]:
    head = _CHAT_HEAD % (number, created, _json_str(model))
    # With include_usage OpenAI adds "usage": null to every chunk but the last.
    tail = '],"usage":null}' if include_usage else "]}"
    for index in range(choices):
        yield data_event(head + _ROLE % index + tail)
    for piece in pieces(reply):
        content = _json_str(piece)
        for index in range(choices):
            yield data_event(head + _CONTENT % (index, content) + tail)
    for index in range(choices):
        yield data_event(head + _FINISH % (index, finish_reason) + tail)
    if include_usage:
        prompt_tokens, completion_tokens = usage
        yield data_event(
            head + _USAGE % (prompt_tokens, completion_tokens, prompt_tokens + completion_tokens)
        )
    yield DONE


_REFUSAL_ROLE: Final = (
    '{"index":%d,"delta":{"role":"assistant","content":null,"refusal":""},'
    '"logprobs":null,"finish_reason":null}'
)
_REFUSAL: Final = '{"index":%d,"delta":{"refusal":%s},"logprobs":null,"finish_reason":null}'


def refusal_stream(
    number: int,
    created: int,
    model: str,
    refusal: str,
    choices: int,
    include_usage: bool,
    usage: tuple[int, int],
) -> StreamReply:
    """A streamed chat completion whose choices refuse: as OpenAI streams a structured
    output it declines, the text comes in ``delta.refusal`` and ``content`` stays null."""
    return StreamReply(
        _refusal_events(number, created, model, refusal, choices, include_usage, usage), data_error_event
    )


def _refusal_events(
    number: int,
    created: int,
    model: str,
    refusal: str,
    choices: int,
    include_usage: bool,
    usage: tuple[int, int],
) -> Iterator[bytes]:
    head = _CHAT_HEAD % (number, created, _json_str(model))
    tail = '],"usage":null}' if include_usage else "]}"
    for index in range(choices):
        yield data_event(head + _REFUSAL_ROLE % index + tail)
    for piece in pieces(refusal):
        text = _json_str(piece)
        for index in range(choices):
            yield data_event(head + _REFUSAL % (index, text) + tail)
    for index in range(choices):
        yield data_event(head + _FINISH % (index, "stop") + tail)
    if include_usage:
        prompt_tokens, completion_tokens = usage
        yield data_event(
            head + _USAGE % (prompt_tokens, completion_tokens, prompt_tokens + completion_tokens)
        )
    yield DONE


_TOOL_HEAD: Final = (
    '{"index":%d,"delta":{"role":"assistant","content":null,"tool_calls":[{"index":0,"id":%s,'
    '"type":"function","function":{"name":%s,"arguments":""}}],"refusal":null},'
    '"logprobs":null,"finish_reason":null}'
)
_TOOL_ARGUMENTS: Final = (
    '{"index":%d,"delta":{"tool_calls":[{"index":0,"function":{"arguments":%s}}]},'
    '"logprobs":null,"finish_reason":null}'
)


def tool_call_stream(
    number: int,
    created: int,
    model: str,
    call: tuple[str, str, str],
    ids: list[str],
    include_usage: bool,
    usage: tuple[int, int],
) -> StreamReply:
    """A streamed chat completion whose choices each call one function: ``call`` is
    (name, arguments, finish reason), ``ids`` the tool call id of each choice.

    As OpenAI streams it: the first chunk names the call (arguments ""), then the
    arguments in pieces, then an empty delta with the finish reason.
    """
    return StreamReply(
        _tool_call_events(number, created, model, call, ids, include_usage, usage), data_error_event
    )


def _tool_call_events(
    number: int,
    created: int,
    model: str,
    call: tuple[str, str, str],
    ids: list[str],
    include_usage: bool,
    usage: tuple[int, int],
) -> Iterator[bytes]:
    name, arguments, finish_reason = call
    head = _CHAT_HEAD % (number, created, _json_str(model))
    tail = '],"usage":null}' if include_usage else "]}"
    for index, call_id in enumerate(ids):
        yield data_event(head + _TOOL_HEAD % (index, _json_str(call_id), _json_str(name)) + tail)
    for piece in pieces(arguments):
        content = _json_str(piece)
        for index in range(len(ids)):
            yield data_event(head + _TOOL_ARGUMENTS % (index, content) + tail)
    for index in range(len(ids)):
        yield data_event(head + _FINISH % (index, finish_reason) + tail)
    if include_usage:
        prompt_tokens, completion_tokens = usage
        yield data_event(
            head + _USAGE % (prompt_tokens, completion_tokens, prompt_tokens + completion_tokens)
        )
    yield DONE


# --- legacy completions -----------------------------------------------------

_TEXT_HEAD: Final = (
    '{"id":"cmpl-%d","object":"text_completion","created":%d,"model":%s,'
    '"system_fingerprint":"fp_mock","choices":['
)
_TEXT: Final = '{"text":%s,"index":%d,"logprobs":null,"finish_reason":null}'
_TEXT_FINISH: Final = '{"text":"","index":%d,"logprobs":null,"finish_reason":"%s"}'


def completion_stream(
    number: int,
    created: int,
    model: str,
    texts: list[tuple[str, str]],
    include_usage: bool,
    usage: tuple[int, int],
) -> StreamReply:
    """The ``text_completion`` chunks of a streamed legacy completion, then ``[DONE]``.

    ``texts`` holds (text, finish reason) per choice, in choice index order.
    """
    return StreamReply(
        _completion_events(number, created, model, texts, include_usage, usage), data_error_event
    )


def _completion_events(
    number: int,
    created: int,
    model: str,
    texts: list[tuple[str, str]],
    include_usage: bool,
    usage: tuple[int, int],
) -> Iterator[bytes]:
    head = _TEXT_HEAD % (number, created, _json_str(model))
    tail = '],"usage":null}' if include_usage else "]}"
    longest = max(len(text) for text, _ in texts)
    # Choices of different lengths interleave piece by piece, as a server
    # generating them in parallel would send them.
    for start in range(0, longest, 4):
        for index, (text, _) in enumerate(texts):
            if start < len(text):
                yield data_event(head + _TEXT % (_json_str(text[start : start + 4]), index) + tail)
    for index, (_, finish_reason) in enumerate(texts):
        yield data_event(head + _TEXT_FINISH % (index, finish_reason) + tail)
    if include_usage:
        prompt_tokens, completion_tokens = usage
        yield data_event(
            head + _USAGE % (prompt_tokens, completion_tokens, prompt_tokens + completion_tokens)
        )
    yield DONE
