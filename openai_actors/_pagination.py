"""Pages of list results, iterated across pages as the official SDK's are.

A page holds one answer of a list endpoint (`.data`, built eagerly from the
raw list) and knows how to ask for the next one: iterating a sync page yields
every item of every page after it, fetching each page only when the loop gets
there; `async for` over an async page does the same. `AsyncPaginator` is what
an async `list()` returns: await it for the first page, or `async for` over it
for every item.

The four shapes, with the query each sends for its next page:

- `SyncPage` / `AsyncPage`: `data`, `object`; one page, never a next one.
- `SyncCursorPage` / `AsyncCursorPage`: `data`, `has_more`;
  `after=<id of the last item>`.
- `SyncConversationCursorPage` / `AsyncConversationCursorPage`: `data`,
  `has_more`, `last_id`; `after=<last_id>`.
- `SyncNextCursorPage` / `AsyncNextCursorPage`: `data`, `has_more`, `next`
  (the admin role and group lists); `after=<next>`.

There is no next page when `has_more` is false or absent, the page is empty,
the cursor is missing, or the server hands back the cursor that fetched the
page (so a server that ignores `after` cannot make a loop endless).

A page is built as `Page(raw, item, fetch)`: `item` turns one raw item (a
dict) into the item object, either a callable (`FileObject._from_raw`) or a
model class; `fetch(query)` returns the page that `query` selects (an
awaitable of it, for async pages).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Generator, Iterator, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Self, TypeVar, cast

from ._models import BaseModel

__all__ = [
    "AsyncConversationCursorPage",
    "AsyncCursorPage",
    "AsyncNextCursorPage",
    "AsyncPage",
    "AsyncPaginator",
    "BaseAsyncPage",
    "BaseSyncPage",
    "SyncConversationCursorPage",
    "SyncCursorPage",
    "SyncNextCursorPage",
    "SyncPage",
]

T = TypeVar("T")
P = TypeVar("P", bound="BaseAsyncPage[Any]")

Query = dict[str, Any]
ItemBuilder = Callable[[dict[str, Any]], T] | type[T]


def _builder(item: ItemBuilder[T]) -> Callable[[dict[str, Any]], T]:
    if _legacy_cursor(item):
        # A model class: its items are built the way its other answers are.
        return cast(Callable[[dict[str, Any]], T], cast(type[BaseModel], item)._from_raw)
    return cast(Callable[[dict[str, Any]], T], item)


def _text(value: Any) -> str | None:
    """A cursor: a non-empty string, or nothing."""
    return value if isinstance(value, str) and value else None


def _item_id(item: Any) -> str | None:
    return _text(item.get("id") if isinstance(item, Mapping) else getattr(item, "id", None))


class _Page(Generic[T]):
    """What every page shares: the items, the raw answer, the stopping rules."""

    # The shape's own fields, read from the raw answer (and shown by repr).
    _fields: ClassVar[tuple[str, ...]] = ()

    data: list[T]

    def __init__(self, raw: dict[str, Any], item: ItemBuilder[T]) -> None:
        self._raw = raw
        build = _builder(item)
        items = raw.get("data")
        self.data = [build(x) if isinstance(x, dict) else x for x in items] if isinstance(items, list) else []
        for name in self._fields:
            setattr(self, name, raw.get(name))
        self._request_id: str | None = None
        # The query that fetched this page (set by the page before it): the
        # same cursor handed back again means the server is going round in a loop.
        self._sent: Query | None = None

    def _cursor_query(self) -> Query | None:
        """The shape's next-page query, before the rules every shape shares."""
        return None

    def next_page_info(self) -> Query | None:
        """The query parameters that select the next page, or None if there is none."""
        if not self.data:
            return None
        query = self._cursor_query()
        if query is None or query == self._sent:
            return None
        return query

    def has_next_page(self) -> bool:
        return self.next_page_info() is not None

    def to_dict(self) -> dict[str, Any]:
        """The answer as received, its items as their own `to_dict()` gives them."""
        return {**self._raw, "data": [x.to_dict() if isinstance(x, BaseModel) else x for x in self.data]}

    def __repr__(self) -> str:
        fields = "".join(f", {name}={getattr(self, name)!r}" for name in self._fields)
        return f"{type(self).__name__}(data={self.data!r}{fields})"

    if not TYPE_CHECKING:

        def __getattr__(self, name: str) -> Any:
            # Other fields of the answer (first_id, ...), as the official pages'
            # pydantic models keep them.
            raw = self.__dict__.get("_raw")
            if name.startswith("_") or raw is None or name not in raw:
                raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
            return raw[name]


def _has_more(raw: Mapping[str, Any]) -> bool:
    return raw.get("has_more") is True


class _PlainShape(_Page[T]):
    _fields = ("object",)
    object: Any


class _CursorShape(_Page[T]):
    _fields = ("has_more",)
    has_more: bool | None

    def _cursor_query(self) -> Query | None:
        after = _item_id(self.data[-1]) if _has_more(self._raw) and self.data else None
        return None if after is None else {"after": after}


class _ConversationShape(_Page[T]):
    _fields = ("has_more", "last_id")
    has_more: bool | None
    last_id: str | None

    def _cursor_query(self) -> Query | None:
        after = _text(self._raw.get("last_id")) if _has_more(self._raw) else None
        return None if after is None else {"after": after}


class _NextShape(_Page[T]):
    _fields = ("has_more", "next")
    has_more: bool | None
    next: str | None

    def _cursor_query(self) -> Query | None:
        after = _text(self._raw.get("next")) if _has_more(self._raw) else None
        return None if after is None else {"after": after}


# -- sync and async: how the next page is asked for ----------------------------------


class BaseSyncPage(_Page[T]):
    def __init__(self, raw: dict[str, Any], item: ItemBuilder[T], fetch: Callable[[Query], Self]) -> None:
        super().__init__(raw, item)
        self._fetch = fetch

    def get_next_page(self) -> Self:
        query = self.next_page_info()
        if query is None:
            raise RuntimeError("there is no next page; check has_next_page() first")
        page = self._fetch(dict(query))
        page._sent = query
        return page

    def iter_pages(self) -> Iterator[Self]:
        page = self
        while True:
            yield page
            if not page.has_next_page():
                return
            page = page.get_next_page()

    def __iter__(self) -> Iterator[T]:
        for page in self.iter_pages():
            yield from page.data


class BaseAsyncPage(_Page[T]):
    def __init__(
        self, raw: dict[str, Any], item: ItemBuilder[T], fetch: Callable[[Query], Awaitable[Self]]
    ) -> None:
        super().__init__(raw, item)
        self._fetch = fetch

    async def get_next_page(self) -> Self:
        query = self.next_page_info()
        if query is None:
            raise RuntimeError("there is no next page; check has_next_page() first")
        page = await self._fetch(dict(query))
        page._sent = query
        return page

    async def iter_pages(self) -> AsyncIterator[Self]:
        page = self
        while True:
            yield page
            if not page.has_next_page():
                return
            page = await page.get_next_page()

    async def __aiter__(self) -> AsyncIterator[T]:
        async for page in self.iter_pages():
            for item in page.data:
                yield item


class _OnePage(_PlainShape[T]):
    """`SyncPage` / `AsyncPage`: one page, unless built the older way.

    The hand-written resources (files, batches) build their cursor lists as
    `SyncPage(raw, ModelClass, fetch)`, from before the cursor shapes existed;
    for them (a model class given, `cursor` not said) the page still follows
    `after=<last item's id>` while `has_more` is true. `cursor=False` is one
    page whatever `has_more` says; an item callable (as the generated resources
    pass) is one page, as in the official SDK.
    """

    _follow: bool

    def _cursor_query(self) -> Query | None:
        if not self._follow or not _has_more(self._raw):
            return None
        after = _item_id(self.data[-1])
        return None if after is None else {"after": after}


class SyncPage(_OnePage[T], BaseSyncPage[T]):
    """One page of a list that is not paginated (`data`, `object`)."""

    def __init__(
        self,
        raw: dict[str, Any],
        item: ItemBuilder[T],
        fetch: Callable[[Query], Self],
        *,
        cursor: bool | None = None,
    ) -> None:
        super().__init__(raw, item, fetch)
        self._follow = _legacy_cursor(item) if cursor is None else cursor


class AsyncPage(_OnePage[T], BaseAsyncPage[T]):
    """One page of a list that is not paginated (`data`, `object`)."""

    def __init__(
        self,
        raw: dict[str, Any],
        item: ItemBuilder[T],
        fetch: Callable[[Query], Awaitable[Self]],
        *,
        cursor: bool | None = None,
    ) -> None:
        super().__init__(raw, item, fetch)
        self._follow = _legacy_cursor(item) if cursor is None else cursor


def _legacy_cursor(item: object) -> bool:
    return isinstance(item, type) and issubclass(item, BaseModel)


class SyncCursorPage(_CursorShape[T], BaseSyncPage[T]):
    """`data`, `has_more`; the next page is `after=<id of the last item>`."""


class AsyncCursorPage(_CursorShape[T], BaseAsyncPage[T]):
    """`data`, `has_more`; the next page is `after=<id of the last item>`."""


class SyncConversationCursorPage(_ConversationShape[T], BaseSyncPage[T]):
    """`data`, `has_more`, `last_id`; the next page is `after=<last_id>`."""


class AsyncConversationCursorPage(_ConversationShape[T], BaseAsyncPage[T]):
    """`data`, `has_more`, `last_id`; the next page is `after=<last_id>`."""


class SyncNextCursorPage(_NextShape[T], BaseSyncPage[T]):
    """`data`, `has_more`, `next`; the next page is `after=<next>`."""


class AsyncNextCursorPage(_NextShape[T], BaseAsyncPage[T]):
    """`data`, `has_more`, `next`; the next page is `after=<next>`."""


class AsyncPaginator(Generic[T, P]):
    """What an async `list()` returns: await it for the first page, or iterate it for every item."""

    def __init__(self, first: Callable[[], Awaitable[P]]) -> None:
        self._first = first

    def __await__(self) -> Generator[Any, None, P]:
        return self._first().__await__()

    async def __aiter__(self) -> AsyncIterator[T]:
        page: BaseAsyncPage[T] = await self._first()
        async for item in page:
            yield item
