"""The events `responses.stream()` adds to a response's own: text and arguments so far, parsed text.

Public as `openai_actors.lib.streaming.responses`. Every other event is yielded as the
server sent it (the classes of `openai_actors.types.responses`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Generic, TypeAlias, TypeVar

from ..types.responses.response_audio_delta_event import ResponseAudioDeltaEvent
from ..types.responses.response_audio_done_event import ResponseAudioDoneEvent
from ..types.responses.response_audio_transcript_delta_event import ResponseAudioTranscriptDeltaEvent
from ..types.responses.response_audio_transcript_done_event import ResponseAudioTranscriptDoneEvent
from ..types.responses.response_code_interpreter_call_code_delta_event import (
    ResponseCodeInterpreterCallCodeDeltaEvent,
)
from ..types.responses.response_code_interpreter_call_code_done_event import (
    ResponseCodeInterpreterCallCodeDoneEvent,
)
from ..types.responses.response_code_interpreter_call_completed_event import (
    ResponseCodeInterpreterCallCompletedEvent,
)
from ..types.responses.response_code_interpreter_call_in_progress_event import (
    ResponseCodeInterpreterCallInProgressEvent,
)
from ..types.responses.response_code_interpreter_call_interpreting_event import (
    ResponseCodeInterpreterCallInterpretingEvent,
)
from ..types.responses.response_completed_event import ResponseCompletedEvent as _RawCompletedEvent
from ..types.responses.response_content_part_added_event import ResponseContentPartAddedEvent
from ..types.responses.response_content_part_done_event import ResponseContentPartDoneEvent
from ..types.responses.response_created_event import ResponseCreatedEvent
from ..types.responses.response_custom_tool_call_input_delta_event import (
    ResponseCustomToolCallInputDeltaEvent,
)
from ..types.responses.response_custom_tool_call_input_done_event import ResponseCustomToolCallInputDoneEvent
from ..types.responses.response_error_event import ResponseErrorEvent
from ..types.responses.response_failed_event import ResponseFailedEvent
from ..types.responses.response_file_search_call_completed_event import ResponseFileSearchCallCompletedEvent
from ..types.responses.response_file_search_call_in_progress_event import (
    ResponseFileSearchCallInProgressEvent,
)
from ..types.responses.response_file_search_call_searching_event import ResponseFileSearchCallSearchingEvent
from ..types.responses.response_function_call_arguments_delta_event import (
    ResponseFunctionCallArgumentsDeltaEvent as _RawArgumentsDeltaEvent,
)
from ..types.responses.response_function_call_arguments_done_event import (
    ResponseFunctionCallArgumentsDoneEvent,
)
from ..types.responses.response_image_gen_call_completed_event import ResponseImageGenCallCompletedEvent
from ..types.responses.response_image_gen_call_generating_event import ResponseImageGenCallGeneratingEvent
from ..types.responses.response_image_gen_call_in_progress_event import ResponseImageGenCallInProgressEvent
from ..types.responses.response_image_gen_call_partial_image_event import (
    ResponseImageGenCallPartialImageEvent,
)
from ..types.responses.response_in_progress_event import ResponseInProgressEvent
from ..types.responses.response_incomplete_event import ResponseIncompleteEvent
from ..types.responses.response_mcp_call_arguments_delta_event import ResponseMcpCallArgumentsDeltaEvent
from ..types.responses.response_mcp_call_arguments_done_event import ResponseMcpCallArgumentsDoneEvent
from ..types.responses.response_mcp_call_completed_event import ResponseMcpCallCompletedEvent
from ..types.responses.response_mcp_call_failed_event import ResponseMcpCallFailedEvent
from ..types.responses.response_mcp_call_in_progress_event import ResponseMcpCallInProgressEvent
from ..types.responses.response_mcp_list_tools_completed_event import ResponseMcpListToolsCompletedEvent
from ..types.responses.response_mcp_list_tools_failed_event import ResponseMcpListToolsFailedEvent
from ..types.responses.response_mcp_list_tools_in_progress_event import ResponseMcpListToolsInProgressEvent
from ..types.responses.response_output_item_added_event import ResponseOutputItemAddedEvent
from ..types.responses.response_output_item_done_event import ResponseOutputItemDoneEvent
from ..types.responses.response_output_text_annotation_added_event import (
    ResponseOutputTextAnnotationAddedEvent,
)
from ..types.responses.response_queued_event import ResponseQueuedEvent
from ..types.responses.response_reasoning_summary_part_added_event import (
    ResponseReasoningSummaryPartAddedEvent,
)
from ..types.responses.response_reasoning_summary_part_done_event import ResponseReasoningSummaryPartDoneEvent
from ..types.responses.response_reasoning_summary_text_delta_event import (
    ResponseReasoningSummaryTextDeltaEvent,
)
from ..types.responses.response_reasoning_summary_text_done_event import ResponseReasoningSummaryTextDoneEvent
from ..types.responses.response_reasoning_text_delta_event import ResponseReasoningTextDeltaEvent
from ..types.responses.response_reasoning_text_done_event import ResponseReasoningTextDoneEvent
from ..types.responses.response_refusal_delta_event import ResponseRefusalDeltaEvent
from ..types.responses.response_refusal_done_event import ResponseRefusalDoneEvent
from ..types.responses.response_shell_call_command_added_event import ResponseShellCallCommandAddedEvent
from ..types.responses.response_shell_call_command_delta_event import ResponseShellCallCommandDeltaEvent
from ..types.responses.response_shell_call_command_done_event import ResponseShellCallCommandDoneEvent
from ..types.responses.response_shell_call_output_content_delta_event import (
    ResponseShellCallOutputContentDeltaEvent,
)
from ..types.responses.response_shell_call_output_content_done_event import (
    ResponseShellCallOutputContentDoneEvent,
)
from ..types.responses.response_text_delta_event import ResponseTextDeltaEvent as _RawTextDeltaEvent
from ..types.responses.response_text_done_event import ResponseTextDoneEvent as _RawTextDoneEvent
from ..types.responses.response_web_search_call_completed_event import ResponseWebSearchCallCompletedEvent
from ..types.responses.response_web_search_call_in_progress_event import ResponseWebSearchCallInProgressEvent
from ..types.responses.response_web_search_call_searching_event import ResponseWebSearchCallSearchingEvent
from .parsed_response import ParsedResponse

if TYPE_CHECKING:
    from typing_extensions import TypeVar as _DefaultTypeVar

    # Unsolved (no `text_format` given), it is None, as in the official SDK.
    TextFormatT = _DefaultTypeVar("TextFormatT", default=None)
else:
    TextFormatT = TypeVar("TextFormatT")

__all__ = [
    "ResponseCompletedEvent",
    "ResponseFunctionCallArgumentsDeltaEvent",
    "ResponseStreamEvent",
    "ResponseTextDeltaEvent",
    "ResponseTextDoneEvent",
    "TextFormatT",
]


class ResponseTextDeltaEvent(_RawTextDeltaEvent):
    snapshot: str
    """The part's text so far."""


class ResponseTextDoneEvent(_RawTextDoneEvent, Generic[TextFormatT]):
    parsed: TextFormatT | None = None
    """The text as an instance of the `text_format` type (None without one)."""


class ResponseFunctionCallArgumentsDeltaEvent(_RawArgumentsDeltaEvent):
    snapshot: str
    """The call's arguments so far (JSON text)."""


class ResponseCompletedEvent(_RawCompletedEvent, Generic[TextFormatT]):
    if TYPE_CHECKING:
        response: ParsedResponse[TextFormatT]
    else:
        response: ParsedResponse
    """The finished response, parsed as `responses.parse` parses one."""


ResponseStreamEvent: TypeAlias = (
    ResponseTextDeltaEvent
    | ResponseTextDoneEvent[TextFormatT]
    | ResponseFunctionCallArgumentsDeltaEvent
    | ResponseCompletedEvent[TextFormatT]
    | ResponseAudioDeltaEvent
    | ResponseAudioDoneEvent
    | ResponseAudioTranscriptDeltaEvent
    | ResponseAudioTranscriptDoneEvent
    | ResponseCodeInterpreterCallCodeDeltaEvent
    | ResponseCodeInterpreterCallCodeDoneEvent
    | ResponseCodeInterpreterCallCompletedEvent
    | ResponseCodeInterpreterCallInProgressEvent
    | ResponseCodeInterpreterCallInterpretingEvent
    | ResponseContentPartAddedEvent
    | ResponseContentPartDoneEvent
    | ResponseCreatedEvent
    | ResponseErrorEvent
    | ResponseFileSearchCallCompletedEvent
    | ResponseFileSearchCallInProgressEvent
    | ResponseFileSearchCallSearchingEvent
    | ResponseFunctionCallArgumentsDoneEvent
    | ResponseShellCallCommandAddedEvent
    | ResponseShellCallCommandDeltaEvent
    | ResponseShellCallCommandDoneEvent
    | ResponseShellCallOutputContentDeltaEvent
    | ResponseShellCallOutputContentDoneEvent
    | ResponseInProgressEvent
    | ResponseFailedEvent
    | ResponseIncompleteEvent
    | ResponseOutputItemAddedEvent
    | ResponseOutputItemDoneEvent
    | ResponseRefusalDeltaEvent
    | ResponseRefusalDoneEvent
    | ResponseWebSearchCallCompletedEvent
    | ResponseWebSearchCallInProgressEvent
    | ResponseWebSearchCallSearchingEvent
    | ResponseReasoningSummaryPartAddedEvent
    | ResponseReasoningSummaryPartDoneEvent
    | ResponseReasoningSummaryTextDeltaEvent
    | ResponseReasoningSummaryTextDoneEvent
    | ResponseImageGenCallCompletedEvent
    | ResponseImageGenCallInProgressEvent
    | ResponseImageGenCallGeneratingEvent
    | ResponseImageGenCallPartialImageEvent
    | ResponseMcpCallCompletedEvent
    | ResponseMcpCallArgumentsDeltaEvent
    | ResponseMcpCallArgumentsDoneEvent
    | ResponseMcpCallFailedEvent
    | ResponseMcpCallInProgressEvent
    | ResponseMcpListToolsCompletedEvent
    | ResponseMcpListToolsFailedEvent
    | ResponseMcpListToolsInProgressEvent
    | ResponseOutputTextAnnotationAddedEvent
    | ResponseQueuedEvent
    | ResponseReasoningTextDeltaEvent
    | ResponseReasoningTextDoneEvent
    | ResponseCustomToolCallInputDeltaEvent
    | ResponseCustomToolCallInputDoneEvent
)
"""What `responses.stream()` yields. An event of a type this package does not know is
yielded too, as `UnknownResponseStreamEvent` (left out of the union so that type
checkers narrow on `event.type`)."""
