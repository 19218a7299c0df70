"""Pages of list results, iterated across pages as the official SDK's are.

`SyncPage` / `AsyncPage` hold one page (`.data`); iterating one yields every
item of every page after it, fetching the next page only when the loop gets
there. `AsyncPaginator` is what an async `list()` returns: await it for the
first page, or `async for` over it for every item.

Two shapes exist: a plain list (`has_more` absent: one page), and cursor lists
(`has_more: true` with the next page asked for by `after=<last item's id>`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Generator, Iterator
from typing import Any, Generic, TypeVar

from ._models import BaseModel

__all__ = ["AsyncPage", "AsyncPaginator", "SyncPage"]

T = TypeVar("T", bound=BaseModel)
P = TypeVar("P", bound="AsyncPage[Any]")


def _next_query(data: dict[str, Any], items: list[Any]) -> dict[str, Any] | None:
    if not data.get("has_more") or not items:
        return None
    last = items[-1]
    last_id = getattr(last, "id", None)
    if not isinstance(last_id, str):
        return None
    return {"after": last_id}


class _PageBase(Generic[T]):
    data: list[T]

    def __init__(self, raw: dict[str, Any], item: type[T], *, cursor: bool = True) -> None:
        self._raw = raw
        # False for lists that are always one page (models), whatever has_more says.
        self._cursor = cursor
        items = raw.get("data")
        self.data = (
            [item._from_raw(x) if isinstance(x, dict) else x for x in items]
            if isinstance(items, list)
            else []
        )
        self.object: Any = raw.get("object")
        self.has_more: bool | None = raw.get("has_more")
        self._request_id: str | None = None

    def has_next_page(self) -> bool:
        return self.next_page_info() is not None

    def next_page_info(self) -> dict[str, Any] | None:
        return _next_query(self._raw, self.data) if self._cursor else None

    def to_dict(self) -> dict[str, Any]:
        return {**self._raw, "data": [x.to_dict() if isinstance(x, BaseModel) else x for x in self.data]}

    def __repr__(self) -> str:
        return f"{type(self).__name__}(data={self.data!r}, has_more={self.has_more!r})"


class SyncPage(_PageBase[T]):
    def __init__(
        self,
        raw: dict[str, Any],
        item: type[T],
        fetch: Callable[[dict[str, Any]], SyncPage[T]],
        *,
        cursor: bool = True,
    ) -> None:
        super().__init__(raw, item, cursor=cursor)
        self._fetch = fetch

    def get_next_page(self) -> SyncPage[T]:
        query = self.next_page_info()
        if query is None:
            raise RuntimeError("there is no next page; check has_next_page() first")
        return self._fetch(query)

    def iter_pages(self) -> Iterator[SyncPage[T]]:
        page: SyncPage[T] = self
        while True:
            yield page
            if not page.has_next_page():
                return
            page = page.get_next_page()

    def __iter__(self) -> Iterator[T]:
        for page in self.iter_pages():
            yield from page.data


class AsyncPage(_PageBase[T]):
    def __init__(
        self,
        raw: dict[str, Any],
        item: type[T],
        fetch: Callable[[dict[str, Any]], Awaitable[AsyncPage[T]]],
        *,
        cursor: bool = True,
    ) -> None:
        super().__init__(raw, item, cursor=cursor)
        self._fetch = fetch

    async def get_next_page(self) -> AsyncPage[T]:
        query = self.next_page_info()
        if query is None:
            raise RuntimeError("there is no next page; check has_next_page() first")
        return await self._fetch(query)

    async def iter_pages(self) -> AsyncIterator[AsyncPage[T]]:
        page: AsyncPage[T] = self
        while True:
            yield page
            if not page.has_next_page():
                return
            page = await page.get_next_page()

    async def __aiter__(self) -> AsyncIterator[T]:
        async for page in self.iter_pages():
            for item in page.data:
                yield item


class AsyncPaginator(Generic[T, P]):
    """Await it for the first page, or iterate it for every item."""

    def __init__(self, first: Callable[[], Awaitable[P]]) -> None:
        self._first = first

    def __await__(self) -> Generator[Any, None, P]:
        return self._first().__await__()

    async def __aiter__(self) -> AsyncIterator[T]:
        page: AsyncPage[T] = await self._first()
        async for item in page:
            yield item
