from __future__ import annotations

from typing import Any, TypeAlias, cast, get_args

from ..._models import BaseModel
from .response_audio_delta_event import ResponseAudioDeltaEvent
from .response_audio_done_event import ResponseAudioDoneEvent
from .response_audio_transcript_delta_event import ResponseAudioTranscriptDeltaEvent
from .response_audio_transcript_done_event import ResponseAudioTranscriptDoneEvent
from .response_code_interpreter_call_code_delta_event import ResponseCodeInterpreterCallCodeDeltaEvent
from .response_code_interpreter_call_code_done_event import ResponseCodeInterpreterCallCodeDoneEvent
from .response_code_interpreter_call_completed_event import ResponseCodeInterpreterCallCompletedEvent
from .response_code_interpreter_call_in_progress_event import ResponseCodeInterpreterCallInProgressEvent
from .response_code_interpreter_call_interpreting_event import ResponseCodeInterpreterCallInterpretingEvent
from .response_compaction_compacting_event import ResponseCompactionCompactingEvent
from .response_completed_event import ResponseCompletedEvent
from .response_content_part_added_event import ResponseContentPartAddedEvent
from .response_content_part_done_event import ResponseContentPartDoneEvent
from .response_created_event import ResponseCreatedEvent
from .response_custom_tool_call_input_delta_event import ResponseCustomToolCallInputDeltaEvent
from .response_custom_tool_call_input_done_event import ResponseCustomToolCallInputDoneEvent
from .response_error_event import ResponseErrorEvent
from .response_failed_event import ResponseFailedEvent
from .response_file_search_call_completed_event import ResponseFileSearchCallCompletedEvent
from .response_file_search_call_in_progress_event import ResponseFileSearchCallInProgressEvent
from .response_file_search_call_searching_event import ResponseFileSearchCallSearchingEvent
from .response_function_call_arguments_delta_event import ResponseFunctionCallArgumentsDeltaEvent
from .response_function_call_arguments_done_event import ResponseFunctionCallArgumentsDoneEvent
from .response_image_gen_call_completed_event import ResponseImageGenCallCompletedEvent
from .response_image_gen_call_generating_event import ResponseImageGenCallGeneratingEvent
from .response_image_gen_call_in_progress_event import ResponseImageGenCallInProgressEvent
from .response_image_gen_call_partial_image_event import ResponseImageGenCallPartialImageEvent
from .response_in_progress_event import ResponseInProgressEvent
from .response_incomplete_event import ResponseIncompleteEvent
from .response_mcp_call_arguments_delta_event import ResponseMcpCallArgumentsDeltaEvent
from .response_mcp_call_arguments_done_event import ResponseMcpCallArgumentsDoneEvent
from .response_mcp_call_completed_event import ResponseMcpCallCompletedEvent
from .response_mcp_call_failed_event import ResponseMcpCallFailedEvent
from .response_mcp_call_in_progress_event import ResponseMcpCallInProgressEvent
from .response_mcp_list_tools_completed_event import ResponseMcpListToolsCompletedEvent
from .response_mcp_list_tools_failed_event import ResponseMcpListToolsFailedEvent
from .response_mcp_list_tools_in_progress_event import ResponseMcpListToolsInProgressEvent
from .response_output_item_added_event import ResponseOutputItemAddedEvent
from .response_output_item_done_event import ResponseOutputItemDoneEvent
from .response_output_text_annotation_added_event import ResponseOutputTextAnnotationAddedEvent
from .response_queued_event import ResponseQueuedEvent
from .response_reasoning_summary_part_added_event import ResponseReasoningSummaryPartAddedEvent
from .response_reasoning_summary_part_done_event import ResponseReasoningSummaryPartDoneEvent
from .response_reasoning_summary_text_delta_event import ResponseReasoningSummaryTextDeltaEvent
from .response_reasoning_summary_text_done_event import ResponseReasoningSummaryTextDoneEvent
from .response_reasoning_text_delta_event import ResponseReasoningTextDeltaEvent
from .response_reasoning_text_done_event import ResponseReasoningTextDoneEvent
from .response_refusal_delta_event import ResponseRefusalDeltaEvent
from .response_refusal_done_event import ResponseRefusalDoneEvent
from .response_shell_call_command_added_event import ResponseShellCallCommandAddedEvent
from .response_shell_call_command_delta_event import ResponseShellCallCommandDeltaEvent
from .response_shell_call_command_done_event import ResponseShellCallCommandDoneEvent
from .response_shell_call_output_content_delta_event import ResponseShellCallOutputContentDeltaEvent
from .response_shell_call_output_content_done_event import ResponseShellCallOutputContentDoneEvent
from .response_text_delta_event import ResponseTextDeltaEvent
from .response_text_done_event import ResponseTextDoneEvent
from .response_web_search_call_completed_event import ResponseWebSearchCallCompletedEvent
from .response_web_search_call_in_progress_event import ResponseWebSearchCallInProgressEvent
from .response_web_search_call_searching_event import ResponseWebSearchCallSearchingEvent

__all__ = ["ResponseStreamEvent", "UnknownResponseStreamEvent", "parse_response_stream_event"]


ResponseStreamEvent: TypeAlias = (
    ResponseAudioDeltaEvent
    | ResponseAudioDoneEvent
    | ResponseAudioTranscriptDeltaEvent
    | ResponseAudioTranscriptDoneEvent
    | ResponseCodeInterpreterCallCodeDeltaEvent
    | ResponseCodeInterpreterCallCodeDoneEvent
    | ResponseCodeInterpreterCallCompletedEvent
    | ResponseCodeInterpreterCallInProgressEvent
    | ResponseCodeInterpreterCallInterpretingEvent
    | ResponseCompactionCompactingEvent
    | ResponseCompletedEvent
    | ResponseContentPartAddedEvent
    | ResponseContentPartDoneEvent
    | ResponseCreatedEvent
    | ResponseErrorEvent
    | ResponseFileSearchCallCompletedEvent
    | ResponseFileSearchCallInProgressEvent
    | ResponseFileSearchCallSearchingEvent
    | ResponseFunctionCallArgumentsDeltaEvent
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
    | ResponseReasoningSummaryPartAddedEvent
    | ResponseReasoningSummaryPartDoneEvent
    | ResponseReasoningSummaryTextDeltaEvent
    | ResponseReasoningSummaryTextDoneEvent
    | ResponseReasoningTextDeltaEvent
    | ResponseReasoningTextDoneEvent
    | ResponseRefusalDeltaEvent
    | ResponseRefusalDoneEvent
    | ResponseTextDeltaEvent
    | ResponseTextDoneEvent
    | ResponseWebSearchCallCompletedEvent
    | ResponseWebSearchCallInProgressEvent
    | ResponseWebSearchCallSearchingEvent
    | ResponseImageGenCallCompletedEvent
    | ResponseImageGenCallGeneratingEvent
    | ResponseImageGenCallInProgressEvent
    | ResponseImageGenCallPartialImageEvent
    | ResponseMcpCallArgumentsDeltaEvent
    | ResponseMcpCallArgumentsDoneEvent
    | ResponseMcpCallCompletedEvent
    | ResponseMcpCallFailedEvent
    | ResponseMcpCallInProgressEvent
    | ResponseMcpListToolsCompletedEvent
    | ResponseMcpListToolsFailedEvent
    | ResponseMcpListToolsInProgressEvent
    | ResponseOutputTextAnnotationAddedEvent
    | ResponseQueuedEvent
    | ResponseCustomToolCallInputDeltaEvent
    | ResponseCustomToolCallInputDoneEvent
)


class UnknownResponseStreamEvent(BaseModel):
    """An event whose `type` this package does not know: newer than this release, or a
    server's own. Everything it carries stays readable as attributes and in `to_dict()`."""

    type: str
    sequence_number: int | None = None


# `ResponseStreamEvent` deliberately leaves `UnknownResponseStreamEvent` out, as the
# official union does: with a member whose `type` is a plain `str`, type checkers stop
# narrowing on `event.type == "response.output_text.delta"`, the way every streaming
# example reads events. The parser still returns the unknown class at run time; tell it
# apart with `isinstance(event, UnknownResponseStreamEvent)`.

_event_classes: dict[str, type[BaseModel]] | None = None


def _build_event_classes() -> dict[str, type[BaseModel]]:
    global _event_classes
    table: dict[str, type[BaseModel]] = {}
    for cls in get_args(ResponseStreamEvent):
        for tag in get_args(cls.__field_types__()["type"]):
            table[tag] = cls
    _event_classes = table  # published whole, so no thread sees a half-built table
    return table


def parse_response_stream_event(data: dict[str, Any]) -> ResponseStreamEvent:
    """The typed event for one decoded server-sent event of a streamed response.

    Picks the class by `data["type"]` with one dict lookup; a type not known here
    gives an `UnknownResponseStreamEvent` (never dropped, never another class)."""
    table = _event_classes
    if table is None:
        table = _build_event_classes()
    tag = data.get("type")
    cls = table.get(tag, UnknownResponseStreamEvent) if isinstance(tag, str) else UnknownResponseStreamEvent
    return cast("ResponseStreamEvent", cls._from_raw(data))
