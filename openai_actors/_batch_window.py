"""The reorder window of an ordered batch, sans-IO.

Requests are numbered in input order as they are taken (0, 1, 2, ...) and
complete in any order; results are released strictly in input order.

Invariant: every index held, or admitted and not yet released, lies in
`[next, next + size)`. A request may only be taken when its index is inside
the window (`admits`), so at most `size` results are ever held, however long
one slow request keeps the ones after it waiting. The request at `next` is
always admitted, so the window always moves on once it completes.
"""

from __future__ import annotations

from typing import Generic, TypeVar

__all__ = ["ReorderWindow"]

# Results are never None: None means "not arrived".
T = TypeVar("T", bound=object)


class ReorderWindow(Generic[T]):
    __slots__ = ("_held", "_next", "_size")

    def __init__(self, size: int) -> None:
        if size < 1:
            raise ValueError(f"the reorder window must hold at least 1 result, not {size}")
        self._size = size
        self._next = 0
        self._held: dict[int, T] = {}

    @property
    def next(self) -> int:
        """The index of the next result to release."""
        return self._next

    def admits(self, index: int) -> bool:
        """Whether the request numbered `index` may be taken now."""
        return index < self._next + self._size

    def put(self, index: int, result: T) -> None:
        if result is None:
            raise TypeError("a result cannot be None (None means 'not arrived')")
        if not self._next <= index < self._next + self._size:
            raise ValueError(f"index {index} is outside the window [{self._next}, {self._next + self._size})")
        if index in self._held:
            raise ValueError(f"index {index} is already held")
        self._held[index] = result

    def pop(self) -> T | None:
        """The next result in order if it has arrived (the window moves on by one), else None."""
        result = self._held.pop(self._next, None)
        if result is not None:
            self._next += 1
        return result

    def __len__(self) -> int:
        """Results held, waiting for an earlier one."""
        return len(self._held)
