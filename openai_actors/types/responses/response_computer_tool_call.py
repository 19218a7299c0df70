from __future__ import annotations

from typing import Literal, TypeAlias

from ..._models import BaseModel
from .computer_action_list import ComputerActionList

__all__ = [
    "Action",
    "ActionClick",
    "ActionDoubleClick",
    "ActionDrag",
    "ActionDragPath",
    "ActionKeypress",
    "ActionMove",
    "ActionScreenshot",
    "ActionScroll",
    "ActionType",
    "ActionWait",
    "PendingSafetyCheck",
    "ResponseComputerToolCall",
]


class PendingSafetyCheck(BaseModel):
    id: str
    code: str | None = None
    message: str | None = None


class ActionClick(BaseModel):
    button: Literal["left", "right", "wheel", "back", "forward"]
    type: Literal["click"]
    x: int
    y: int
    keys: list[str] | None = None


class ActionDoubleClick(BaseModel):
    keys: list[str] | None = None
    type: Literal["double_click"]
    x: int
    y: int


class ActionDragPath(BaseModel):
    x: int
    y: int


class ActionDrag(BaseModel):
    path: list[ActionDragPath]
    type: Literal["drag"]
    keys: list[str] | None = None


class ActionKeypress(BaseModel):
    keys: list[str]
    type: Literal["keypress"]


class ActionMove(BaseModel):
    type: Literal["move"]
    x: int
    y: int
    keys: list[str] | None = None


class ActionScreenshot(BaseModel):
    type: Literal["screenshot"]


class ActionScroll(BaseModel):
    scroll_x: int
    scroll_y: int
    type: Literal["scroll"]
    x: int
    y: int
    keys: list[str] | None = None


class ActionType(BaseModel):
    text: str
    type: Literal["type"]


class ActionWait(BaseModel):
    type: Literal["wait"]


Action: TypeAlias = (
    ActionClick
    | ActionDoubleClick
    | ActionDrag
    | ActionKeypress
    | ActionMove
    | ActionScreenshot
    | ActionScroll
    | ActionType
    | ActionWait
)


class ResponseComputerToolCall(BaseModel):
    id: str
    call_id: str
    pending_safety_checks: list[PendingSafetyCheck]
    status: Literal["in_progress", "completed", "incomplete"]
    type: Literal["computer_call"]
    action: Action | None = None
    actions: ComputerActionList | None = None
