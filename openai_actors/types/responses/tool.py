from __future__ import annotations

from typing import Literal, TypeAlias

from ..._models import BaseModel
from .apply_patch_tool import ApplyPatchTool
from .computer_tool import ComputerTool
from .computer_use_preview_tool import ComputerUsePreviewTool
from .container_network_policy_allowlist import ContainerNetworkPolicyAllowlist
from .container_network_policy_disabled import ContainerNetworkPolicyDisabled
from .custom_tool import CustomTool
from .file_search_tool import FileSearchTool
from .function_shell_tool import FunctionShellTool
from .function_tool import FunctionTool
from .namespace_tool import NamespaceTool
from .tool_search_tool import ToolSearchTool
from .web_search_preview_tool import WebSearchPreviewTool
from .web_search_tool import WebSearchTool as WebSearchTool

__all__ = [
    "CodeInterpreter",
    "CodeInterpreterContainer",
    "CodeInterpreterContainerCodeInterpreterToolAuto",
    "CodeInterpreterContainerCodeInterpreterToolAutoNetworkPolicy",
    "ImageGeneration",
    "ImageGenerationInputImageMask",
    "ImageGenerationSvg",
    "ImageGenerationSvgReasoning",
    "LocalShell",
    "Mcp",
    "McpAllowedTools",
    "McpAllowedToolsMcpToolFilter",
    "McpRequireApproval",
    "McpRequireApprovalMcpToolApprovalFilter",
    "McpRequireApprovalMcpToolApprovalFilterAlways",
    "McpRequireApprovalMcpToolApprovalFilterNever",
    "ProgrammaticToolCalling",
    "Tool",
    "WebSearchTool",
]


class McpAllowedToolsMcpToolFilter(BaseModel):
    read_only: bool | None = None
    tool_names: list[str] | None = None


McpAllowedTools: TypeAlias = list[str] | McpAllowedToolsMcpToolFilter | None


class McpRequireApprovalMcpToolApprovalFilterAlways(BaseModel):
    read_only: bool | None = None
    tool_names: list[str] | None = None


class McpRequireApprovalMcpToolApprovalFilterNever(BaseModel):
    read_only: bool | None = None
    tool_names: list[str] | None = None


class McpRequireApprovalMcpToolApprovalFilter(BaseModel):
    always: McpRequireApprovalMcpToolApprovalFilterAlways | None = None
    never: McpRequireApprovalMcpToolApprovalFilterNever | None = None


McpRequireApproval: TypeAlias = McpRequireApprovalMcpToolApprovalFilter | Literal["always", "never"] | None


class Mcp(BaseModel):
    server_label: str
    type: Literal["mcp"]
    allowed_callers: list[Literal["direct", "programmatic"]] | None = None
    allowed_tools: McpAllowedTools | None = None
    authorization: str | None = None
    connector_id: (
        Literal[
            "connector_dropbox",
            "connector_gmail",
            "connector_googlecalendar",
            "connector_googledrive",
            "connector_microsoftteams",
            "connector_outlookcalendar",
            "connector_outlookemail",
            "connector_sharepoint",
        ]
        | None
    ) = None
    defer_loading: bool | None = None
    headers: dict[str, str] | None = None
    require_approval: McpRequireApproval | None = None
    server_description: str | None = None
    server_url: str | None = None
    tunnel_id: str | None = None


CodeInterpreterContainerCodeInterpreterToolAutoNetworkPolicy: TypeAlias = (
    ContainerNetworkPolicyDisabled | ContainerNetworkPolicyAllowlist
)


class CodeInterpreterContainerCodeInterpreterToolAuto(BaseModel):
    type: Literal["auto"]
    file_ids: list[str] | None = None
    memory_limit: Literal["1g", "4g", "16g", "64g"] | None = None
    network_policy: CodeInterpreterContainerCodeInterpreterToolAutoNetworkPolicy | None = None


CodeInterpreterContainer: TypeAlias = str | CodeInterpreterContainerCodeInterpreterToolAuto


class CodeInterpreter(BaseModel):
    container: CodeInterpreterContainer
    type: Literal["code_interpreter"]
    allowed_callers: list[Literal["direct", "programmatic"]] | None = None


class ProgrammaticToolCalling(BaseModel):
    type: Literal["programmatic_tool_calling"]


class ImageGenerationInputImageMask(BaseModel):
    file_id: str | None = None
    image_url: str | None = None


class ImageGenerationSvgReasoning(BaseModel):
    effort: Literal["none", "minimal", "low", "medium", "high", "xhigh", "max"] | None = None


class ImageGenerationSvg(BaseModel):
    model: str | None = None
    reasoning: ImageGenerationSvgReasoning | None = None


class ImageGeneration(BaseModel):
    type: Literal["image_generation"]
    action: Literal["generate", "edit", "auto"] | None = None
    background: Literal["transparent", "opaque", "auto"] | None = None
    complexity: Literal["low", "medium", "high"] | None = None
    frame_count: int | None = None
    frame_duration_ms: int | None = None
    input_fidelity: Literal["high", "low"] | None = None
    input_image_mask: ImageGenerationInputImageMask | None = None
    model: (
        str
        | Literal[
            "gpt-image-1",
            "gpt-image-1-mini",
            "gpt-image-2",
            "gpt-image-2-2026-04-21",
            "gpt-image-2.5-sunburst",
            "gpt-image-2.5-sunburst-2026-09-08",
            "gpt-image-2.5-flare",
            "gpt-image-2.5-flare-2026-09-08",
            "gpt-image-2.6-sunburst",
            "gpt-image-2.6-flare",
            "gpt-image-1.5",
            "chatgpt-image-latest",
        ]
        | None
    ) = None
    moderation: Literal["auto", "low"] | None = None
    output_compression: int | None = None
    output_format: Literal["png", "webp", "jpeg", "gif", "svg"] | None = None
    partial_images: int | None = None
    quality: Literal["low", "medium", "high", "xhigh", "max", "auto"] | None = None
    size: str | Literal["1024x1024", "1024x1536", "1536x1024", "auto"] | None = None
    svg: ImageGenerationSvg | None = None


class LocalShell(BaseModel):
    type: Literal["local_shell"]


Tool: TypeAlias = (
    FunctionTool
    | FileSearchTool
    | ComputerTool
    | ComputerUsePreviewTool
    | WebSearchTool
    | Mcp
    | CodeInterpreter
    | ProgrammaticToolCalling
    | ImageGeneration
    | LocalShell
    | FunctionShellTool
    | CustomTool
    | NamespaceTool
    | ToolSearchTool
    | WebSearchPreviewTool
    | ApplyPatchTool
)
