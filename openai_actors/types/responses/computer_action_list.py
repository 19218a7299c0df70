from __future__ import annotations

from typing import TypeAlias

from .computer_action import ComputerAction

__all__ = ["ComputerActionList"]


ComputerActionList: TypeAlias = list[ComputerAction]
