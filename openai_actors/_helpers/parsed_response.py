"""`ParsedResponse[T]` and its parts: what `responses.parse` returns.

Subclasses of the generated Responses types with what `.parse` adds: `parsed`
on each `output_text` part (the text as an instance of `text_format`),
`parsed_arguments` on each function call, and `ParsedResponse.output_parsed`
(the first parsed text). Generic for type checkers; at run time each field is
annotated with plain classes, which is what the lazy models convert nested
JSON into (see parsed_chat_completion.py).

`parsed_arguments` is kept out of the call's JSON (`to_dict()`, and so the body
when the item is sent back as `input`): the API does not take the field, and
the official SDK leaves it out of requests too.
Exported by `openai_actors.types.responses` (codegen/overrides.toml `[package_exports]`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Generic, TypeAlias, TypeVar, Union

from ..types.responses.response import Response
from ..types.responses.response_apply_patch_tool_call import ResponseApplyPatchToolCall
from ..types.responses.response_apply_patch_tool_call_output import ResponseApplyPatchToolCallOutput
from ..types.responses.response_code_interpreter_tool_call import ResponseCodeInterpreterToolCall
from ..types.responses.response_compaction_item import ResponseCompactionItem
from ..types.responses.response_computer_tool_call import ResponseComputerToolCall
from ..types.responses.response_computer_tool_call_output_item import ResponseComputerToolCallOutputItem
from ..types.responses.response_custom_tool_call import ResponseCustomToolCall
from ..types.responses.response_custom_tool_call_output_item import ResponseCustomToolCallOutputItem
from ..types.responses.response_file_search_tool_call import ResponseFileSearchToolCall
from ..types.responses.response_function_shell_tool_call import ResponseFunctionShellToolCall
from ..types.responses.response_function_shell_tool_call_output import ResponseFunctionShellToolCallOutput
from ..types.responses.response_function_tool_call import ResponseFunctionToolCall
from ..types.responses.response_function_tool_call_output_item import ResponseFunctionToolCallOutputItem
from ..types.responses.response_function_web_search import ResponseFunctionWebSearch
from ..types.responses.response_input_item import (
    ImageGenerationCall,
    LocalShellCall,
    LocalShellCallOutput,
    McpApprovalRequest,
    McpCall,
    McpListTools,
)
from ..types.responses.response_item import AdditionalTools, McpApprovalResponse, Program, ProgramOutput
from ..types.responses.response_output_message import ResponseOutputMessage
from ..types.responses.response_output_refusal import ResponseOutputRefusal
from ..types.responses.response_output_text import ResponseOutputText
from ..types.responses.response_reasoning_item import ResponseReasoningItem
from ..types.responses.response_tool_search_call import ResponseToolSearchCall
from ..types.responses.response_tool_search_output_item import ResponseToolSearchOutputItem
from .parsed_chat_completion import KeepsParsed

__all__ = [
    "ParsedContent",
    "ParsedResponse",
    "ParsedResponseFunctionToolCall",
    "ParsedResponseOutputItem",
    "ParsedResponseOutputMessage",
    "ParsedResponseOutputText",
]

ContentType = TypeVar("ContentType")


class ParsedResponseOutputText(KeepsParsed, ResponseOutputText, Generic[ContentType]):
    parsed: ContentType | None = None
    """The text as an instance of the `text_format` type; None when none was given."""


class ParsedResponseFunctionToolCall(KeepsParsed, ResponseFunctionToolCall):
    parsed_arguments: object = None
    """The arguments as an instance of the tool's model (a tool made with
    `pydantic_function_tool()` or `pydantic_responses_function_tool()`), the decoded
    JSON for another strict function tool, None otherwise. Not part of `to_dict()`."""

    def __repr__(self) -> str:
        shown = super().__repr__()
        return f"{shown[:-1]}, parsed_arguments={self.parsed_arguments!r})"


ParsedContent: TypeAlias = Union[ParsedResponseOutputText[ContentType], ResponseOutputRefusal]  # noqa: UP007


class ParsedResponseOutputMessage(KeepsParsed, ResponseOutputMessage, Generic[ContentType]):
    if TYPE_CHECKING:
        content: list[ParsedContent[ContentType]]  # type: ignore[assignment]
    else:
        content: list[ParsedResponseOutputText | ResponseOutputRefusal]


# The output items: the two `.parse` rebuilds, then every other output item as it came.
_OtherOutputItem: TypeAlias = (
    ResponseFileSearchToolCall
    | ResponseFunctionToolCallOutputItem
    | ResponseFunctionWebSearch
    | ResponseComputerToolCall
    | ResponseComputerToolCallOutputItem
    | ResponseReasoningItem
    | Program
    | ProgramOutput
    | ResponseToolSearchCall
    | ResponseToolSearchOutputItem
    | AdditionalTools
    | ResponseCompactionItem
    | ImageGenerationCall
    | ResponseCodeInterpreterToolCall
    | LocalShellCall
    | LocalShellCallOutput
    | ResponseFunctionShellToolCall
    | ResponseFunctionShellToolCallOutput
    | ResponseApplyPatchToolCall
    | ResponseApplyPatchToolCallOutput
    | McpCall
    | McpListTools
    | McpApprovalRequest
    | McpApprovalResponse
    | ResponseCustomToolCall
    | ResponseCustomToolCallOutputItem
)

ParsedResponseOutputItem: TypeAlias = Union[  # noqa: UP007
    ParsedResponseOutputMessage[ContentType], ParsedResponseFunctionToolCall, _OtherOutputItem
]

# What the lazy model converts `output` items into at run time: plain classes, picked by `type`.
_RuntimeOutputItem: TypeAlias = (
    ParsedResponseOutputMessage  # type: ignore[type-arg]
    | ParsedResponseFunctionToolCall
    | _OtherOutputItem
)


class ParsedResponse(KeepsParsed, Response, Generic[ContentType]):
    if TYPE_CHECKING:
        output: list[ParsedResponseOutputItem[ContentType]]  # type: ignore[assignment]
    else:
        output: list[_RuntimeOutputItem]

    @property
    def output_parsed(self) -> ContentType | None:
        """The first `parsed` of the output's text parts (None when none was parsed)."""
        for item in self.output:
            if item.type == "message":
                for part in item.content:
                    if part.type == "output_text" and part.parsed:
                        return part.parsed
        return None
