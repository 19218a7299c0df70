"""Page shapes: what each reads, what it asks for next, when it stops; pure (pages from dicts)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pytest

from openai_actors import _pagination, pagination
from openai_actors._models import BaseModel
from openai_actors.pagination import (
    AsyncConversationCursorPage,
    AsyncCursorPage,
    AsyncNextCursorPage,
    AsyncPage,
    AsyncPaginator,
    BaseAsyncPage,
    BaseSyncPage,
    SyncConversationCursorPage,
    SyncCursorPage,
    SyncNextCursorPage,
    SyncPage,
)


class Item(BaseModel):
    id: str


Raw = dict[str, Any]


def items(*ids: str) -> list[Raw]:
    return [{"id": i} for i in ids]


class FakeServer:
    """Answers each page query from a table keyed by its `after`, and records the queries asked."""

    def __init__(self, page: type[BaseSyncPage[Any]] | type[BaseAsyncPage[Any]], answers: Mapping[Any, Raw]):
        self.page: Any = page
        self.answers = answers
        self.asked: list[dict[str, Any]] = []

    def _answer(self, query: Mapping[str, Any]) -> Raw:
        self.asked.append(dict(query))
        if len(self.asked) > 10:
            raise AssertionError(f"still fetching after 10 pages: {self.asked}")
        return self.answers[query.get("after")]

    def sync(self, query: Mapping[str, Any]) -> Any:
        return self.page(self._answer(query), Item._from_raw, self.sync)

    async def async_(self, query: Mapping[str, Any]) -> Any:
        return self.page(self._answer(query), Item._from_raw, self.async_)

    def first(self) -> Any:
        """The first sync page, asked for as the generated code asks (`fetch({})`)."""
        return self.sync({})


def no_fetch(query: Mapping[str, Any]) -> Any:
    raise AssertionError(f"no next page should be asked for, got {query}")


async def no_fetch_async(query: Mapping[str, Any]) -> Any:
    raise AssertionError(f"no next page should be asked for, got {query}")


# Three pages of each cursor shape, keyed by the `after` that selects them; the
# cursors differ from the item ids so each test shows which field is read.
CURSOR_PAGES: dict[Any, Raw] = {
    None: {"object": "list", "data": items("a1", "a2"), "has_more": True},
    "a2": {"object": "list", "data": items("a3", "a4"), "has_more": True},
    "a4": {"object": "list", "data": items("a5"), "has_more": False},
}
CONVERSATION_PAGES: dict[Any, Raw] = {
    None: {"data": items("a1", "a2"), "has_more": True, "last_id": "c1", "first_id": "a1"},
    "c1": {"data": items("a3", "a4"), "has_more": True, "last_id": "c2"},
    "c2": {"data": items("a5"), "has_more": False, "last_id": "c3"},
}
NEXT_PAGES: dict[Any, Raw] = {
    None: {"object": "list", "data": items("a1", "a2"), "has_more": True, "next": "n1"},
    "n1": {"object": "list", "data": items("a3", "a4"), "has_more": True, "next": "n2"},
    "n2": {"object": "list", "data": items("a5"), "has_more": False, "next": None},
}
ALL_IDS = ["a1", "a2", "a3", "a4", "a5"]

SHAPES = [
    pytest.param(SyncCursorPage, AsyncCursorPage, CURSOR_PAGES, ["a2", "a4"], id="cursor"),
    pytest.param(
        SyncConversationCursorPage, AsyncConversationCursorPage, CONVERSATION_PAGES, ["c1", "c2"], id="conv"
    ),
    pytest.param(SyncNextCursorPage, AsyncNextCursorPage, NEXT_PAGES, ["n1", "n2"], id="next"),
]


class TestOnePage:
    def test_a_plain_page_has_data_and_object_and_never_a_next_page(self) -> None:
        raw = {"object": "list", "data": [*items("m1", "m2"), "not a dict"], "has_more": True}
        page: SyncPage[Any] = SyncPage(raw, Item._from_raw, no_fetch)
        assert (["m1", "m2"], "not a dict", "list") == (
            [m.id for m in page.data[:2]],
            page.data[2],
            page.object,
        )
        assert isinstance(page.data[0], Item)
        assert (None, False) == (page.next_page_info(), page.has_next_page())
        assert [page] == list(page.iter_pages())
        assert 3 == len(list(page))
        with pytest.raises(RuntimeError, match="no next page"):
            page.get_next_page()

    @pytest.mark.anyio
    async def test_async_plain_page_is_one_page(self, anyio_backend: str) -> None:
        raw = {"object": "list", "data": items("m1"), "has_more": True}
        page: AsyncPage[Any] = AsyncPage(raw, Item._from_raw, no_fetch_async)
        assert ["m1"] == [m.id async for m in page]
        assert [page] == [p async for p in page.iter_pages()]
        with pytest.raises(RuntimeError, match="no next page"):
            await page.get_next_page()


class TestNextPageQuery:
    @pytest.mark.parametrize(("sync_page", "async_page", "answers", "cursors"), SHAPES)
    def test_each_shape_asks_for_its_next_page_by_its_own_cursor(
        self, sync_page: Any, async_page: Any, answers: dict[Any, Raw], cursors: list[str]
    ) -> None:
        server = FakeServer(sync_page, answers)
        first = server.first()
        assert {"after": cursors[0]} == first.next_page_info()
        second = first.get_next_page()
        assert [{}, {"after": cursors[0]}] == server.asked
        assert (["a3", "a4"], {"after": cursors[1]}) == ([x.id for x in second.data], second.next_page_info())

    def test_the_shapes_fields_are_attributes(self) -> None:
        cursor = SyncCursorPage(CURSOR_PAGES[None], Item._from_raw, no_fetch)
        conv = SyncConversationCursorPage(CONVERSATION_PAGES[None], Item._from_raw, no_fetch)
        nxt = SyncNextCursorPage(NEXT_PAGES["n2"], Item._from_raw, no_fetch)
        assert (True, True, "c1", False, None) == (
            cursor.has_more,
            conv.has_more,
            conv.last_id,
            nxt.has_more,
            nxt.next,
        )
        # Fields the shape does not name are still there, as official pages keep them.
        assert "a1" == conv.first_id  # type: ignore[attr-defined]
        with pytest.raises(AttributeError):
            _ = cursor.last_id  # type: ignore[attr-defined]

    def test_a_cursor_page_reads_the_id_of_a_dict_item_too(self) -> None:
        raw = {"data": items("d1", "d2"), "has_more": True}
        page: SyncCursorPage[Any] = SyncCursorPage(raw, lambda x: x, no_fetch)
        assert ({"id": "d2"}, {"after": "d2"}) == (page.data[-1], page.next_page_info())


def stops(sync_page: Any, raw: Raw) -> None:
    page = sync_page(raw, Item._from_raw, no_fetch)
    assert (None, False) == (page.next_page_info(), page.has_next_page())
    assert [x["id"] for x in raw["data"]] == [x.id for x in page]


class TestStoppingRules:
    @pytest.mark.parametrize(
        ("sync_page", "cursor"),
        [
            (SyncCursorPage, {}),
            (SyncConversationCursorPage, {"last_id": "c"}),
            (SyncNextCursorPage, {"next": "n"}),
        ],
    )
    @pytest.mark.parametrize("has_more", [{"has_more": False}, {}, {"has_more": None}])
    def test_has_more_false_or_absent_is_the_last_page(
        self, sync_page: Any, cursor: Raw, has_more: Raw
    ) -> None:
        stops(sync_page, {"data": items("a1"), **cursor, **has_more})

    @pytest.mark.parametrize(
        ("sync_page", "cursor"),
        [
            (SyncCursorPage, {}),
            (SyncConversationCursorPage, {"last_id": "c"}),
            (SyncNextCursorPage, {"next": "n"}),
        ],
    )
    @pytest.mark.parametrize("data", [{"data": []}, {}, {"data": None}])
    def test_an_empty_page_is_the_last(self, sync_page: Any, cursor: Raw, data: Raw) -> None:
        page = sync_page({"has_more": True, **cursor, **data}, Item._from_raw, no_fetch)
        assert ([], None, []) == (page.data, page.next_page_info(), list(page))

    @pytest.mark.parametrize(
        ("sync_page", "raw"),
        [
            (SyncCursorPage, {"data": [{"name": "no id"}]}),
            (SyncCursorPage, {"data": [{"id": ""}]}),
            (SyncConversationCursorPage, {"data": items("a1")}),
            (SyncConversationCursorPage, {"data": items("a1"), "last_id": None}),
            (SyncConversationCursorPage, {"data": items("a1"), "last_id": ""}),
            (SyncNextCursorPage, {"data": items("a1"), "next": None}),
            (SyncNextCursorPage, {"data": items("a1"), "next": ""}),
            (SyncNextCursorPage, {"data": items("a1"), "next": 7}),
            # next_cursor is not what the spec's lists carry: `next` is.
            (SyncNextCursorPage, {"data": items("a1"), "next_cursor": "n"}),
        ],
    )
    def test_a_missing_cursor_is_the_last_page(self, sync_page: Any, raw: Raw) -> None:
        page = sync_page({"has_more": True, **raw}, Item._from_raw, no_fetch)
        assert (None, False) == (page.next_page_info(), page.has_next_page())
        assert len(raw["data"]) == len(list(page))

    def test_a_cursor_page_whose_last_item_is_not_a_dict_stops(self) -> None:
        page: SyncCursorPage[Any] = SyncCursorPage(
            {"data": ["plain"], "has_more": True}, Item._from_raw, no_fetch
        )
        assert (["plain"], None) == (list(page), page.next_page_info())

    @pytest.mark.parametrize(
        ("sync_page", "raw", "cursor"),
        [
            (SyncCursorPage, {"data": items("a1", "a2")}, "a2"),
            (SyncConversationCursorPage, {"data": items("a1"), "last_id": "c"}, "c"),
            (SyncNextCursorPage, {"data": items("a1"), "next": "n"}, "n"),
        ],
    )
    def test_the_same_cursor_twice_in_a_row_stops(self, sync_page: Any, raw: Raw, cursor: str) -> None:
        # A server that ignores `after` answers every query with the same page.
        answer = {"has_more": True, **raw}
        server = FakeServer(sync_page, {None: answer, cursor: answer})
        first = server.first()
        walked = list(first)
        assert [{}, {"after": cursor}] == server.asked
        assert 2 * len(raw["data"]) == len(walked)
        second = first.get_next_page()
        assert (None, False) == (second.next_page_info(), second.has_next_page())

    def test_a_different_cursor_after_a_repeat_is_still_followed(self) -> None:
        # Only the cursor that fetched this very page counts as a repeat.
        server = FakeServer(
            SyncNextCursorPage,
            {
                None: {"data": items("a1"), "has_more": True, "next": "n1"},
                "n1": {"data": items("a2"), "has_more": True, "next": "n2"},
                "n2": {"data": items("a3"), "has_more": True, "next": "n1"},
            },
        )
        # n1 again after n2: not twice in a row, so followed; the fake server's limit ends it.
        with pytest.raises(AssertionError, match="still fetching"):
            list(server.first())


class TestSyncIteration:
    @pytest.mark.parametrize(("sync_page", "async_page", "answers", "cursors"), SHAPES)
    def test_iterating_walks_three_pages_lazily(
        self, sync_page: Any, async_page: Any, answers: dict[Any, Raw], cursors: list[str]
    ) -> None:
        server = FakeServer(sync_page, answers)
        first = server.first()
        walk = iter(first)
        assert ["a1", "a2"] == [next(walk).id, next(walk).id]
        assert [{}] == server.asked  # the second page is not fetched before the loop needs it
        assert ["a3", "a4", "a5"] == [x.id for x in walk]
        assert [{}, *({"after": c} for c in cursors)] == server.asked
        assert [2, 2, 1] == [len(p.data) for p in first.iter_pages()]
        assert all(type(p) is sync_page for p in first.iter_pages())

    def test_a_page_is_iterable_again(self) -> None:
        first = FakeServer(SyncCursorPage, CURSOR_PAGES).first()
        assert ALL_IDS == [x.id for x in first] == [x.id for x in first]


class TestAsyncIteration:
    pytestmark = pytest.mark.anyio

    @pytest.mark.parametrize(("sync_page", "async_page", "answers", "cursors"), SHAPES)
    async def test_async_for_walks_three_pages(
        self, anyio_backend: str, sync_page: Any, async_page: Any, answers: dict[Any, Raw], cursors: list[str]
    ) -> None:
        server = FakeServer(async_page, answers)
        first = await server.async_({})
        assert ALL_IDS == [x.id async for x in first]
        assert [{}, *({"after": c} for c in cursors)] == server.asked
        second = await first.get_next_page()
        assert (["a3", "a4"], async_page) == ([x.id for x in second.data], type(second))
        assert [2, 2, 1] == [len(p.data) async for p in first.iter_pages()]

    async def test_async_repeated_cursor_stops(self, anyio_backend: str) -> None:
        answer = {"data": items("a1"), "has_more": True, "last_id": "c"}
        server = FakeServer(AsyncConversationCursorPage, {None: answer, "c": answer})
        first = await server.async_({})
        assert ["a1", "a1"] == [x.id async for x in first]
        assert [{}, {"after": "c"}] == server.asked

    async def test_the_paginator_awaited_is_the_first_page(self, anyio_backend: str) -> None:
        server = FakeServer(AsyncCursorPage, CURSOR_PAGES)
        paginator: AsyncPaginator[Item, AsyncCursorPage[Item]] = AsyncPaginator(lambda: server.async_({}))
        first = await paginator
        assert (AsyncCursorPage, ["a1", "a2"], True) == (
            type(first),
            [x.id for x in first.data],
            first.has_more,
        )
        assert [{}] == server.asked

    async def test_the_paginator_iterated_yields_every_item_of_every_page(self, anyio_backend: str) -> None:
        server = FakeServer(AsyncNextCursorPage, NEXT_PAGES)
        paginator: AsyncPaginator[Item, AsyncNextCursorPage[Item]] = AsyncPaginator(lambda: server.async_({}))
        assert ALL_IDS == [x.id async for x in paginator]
        assert [{}, {"after": "n1"}, {"after": "n2"}] == server.asked
        # Each use starts from the first page again.
        assert ALL_IDS == [x.id async for x in paginator]
        assert 6 == len(server.asked)


class Legacy(BaseModel):
    id: str
    name: str


class TestLegacyForm:
    """The hand-written resources build `SyncPage(raw, ModelClass, fetch[, cursor=False])`."""

    def test_cursor_false_is_one_page_whatever_has_more_says(self) -> None:
        raw = {"object": "list", "data": [{"id": "m1", "name": "x"}], "has_more": True}
        page: SyncPage[Legacy] = SyncPage(raw, Legacy, no_fetch, cursor=False)
        assert (Legacy, "x", None, ["m1"]) == (
            type(page.data[0]),
            page.data[0].name,
            page.next_page_info(),
            [m.id for m in page],
        )

    def test_a_model_class_without_cursor_follows_after_the_last_id(self) -> None:
        # As files.list and batches.list build their pages.
        asked: list[Mapping[str, Any]] = []
        answers = {
            None: {"data": [{"id": "f1", "name": "a"}, {"id": "f2", "name": "b"}], "has_more": True},
            "f2": {"data": [{"id": "f3", "name": "c"}], "has_more": False},
        }

        def fetch(query: Mapping[str, Any]) -> SyncPage[Legacy]:
            asked.append(query)
            return SyncPage(answers[query.get("after")], Legacy, fetch)

        first = fetch({})
        assert ["a", "b", "c"] == [f.name for f in first]
        assert [{}, {"after": "f2"}] == asked
        assert (False, {"after": "f2"}) == (fetch({"after": "f2"}).has_next_page(), first.next_page_info())

    def test_an_item_callable_makes_a_plain_page_unless_cursor_is_said(self) -> None:
        raw = {"data": items("a1"), "has_more": True}
        assert None is SyncPage(raw, Item._from_raw, no_fetch).next_page_info()
        assert {"after": "a1"} == SyncPage(raw, Item._from_raw, no_fetch, cursor=True).next_page_info()

    @pytest.mark.anyio
    async def test_async_legacy_forms(self, anyio_backend: str) -> None:
        raw = {"data": [{"id": "f1", "name": "a"}], "has_more": True}
        second = {"data": [{"id": "f2", "name": "b"}], "has_more": False}

        async def fetch(query: Mapping[str, Any]) -> AsyncPage[Legacy]:
            assert {"after": "f1"} == query
            return AsyncPage(second, Legacy, fetch)

        one: AsyncPage[Legacy] = AsyncPage(raw, Legacy, no_fetch_async, cursor=False)
        assert ["a"] == [m.name async for m in one]
        walked: AsyncPage[Legacy] = AsyncPage(raw, Legacy, fetch)
        assert ["a", "b"] == [m.name async for m in walked]


class TestPageObject:
    def test_to_dict_keeps_the_answer_with_items_as_dicts(self) -> None:
        raw = {"object": "list", "data": [*items("a1"), 5], "has_more": True, "next": "n", "extra": 1}
        page: SyncNextCursorPage[Any] = SyncNextCursorPage(raw, Item._from_raw, no_fetch)
        assert {"object": "list", "data": [{"id": "a1"}, 5], "has_more": True, "next": "n", "extra": 1} == (
            page.to_dict()
        )

    def test_repr_names_the_shape_and_its_fields(self) -> None:
        page: SyncConversationCursorPage[Any] = SyncConversationCursorPage(
            {"data": [], "has_more": False, "last_id": "c9"}, Item._from_raw, no_fetch
        )
        assert "SyncConversationCursorPage(data=[], has_more=False, last_id='c9')" == repr(page)
        assert "AsyncNextCursorPage(data=[], has_more=None, next=None)" == repr(
            AsyncNextCursorPage({}, Item._from_raw, no_fetch_async)
        )

    def test_request_id_is_none_until_the_client_sets_it(self) -> None:
        page: SyncCursorPage[Any] = SyncCursorPage({"data": []}, Item._from_raw, no_fetch)
        assert page._request_id is None
        page.__dict__["_request_id"] = "req_1"  # as parse_object does
        assert "req_1" == page._request_id

    def test_the_generated_call_shape_builds_each_class(self) -> None:
        # `op.page(raw, cast, fetch)`, `op.async_page(raw, cast, fetch)`.
        fetches: list[Callable[[Mapping[str, Any]], Any]] = [no_fetch, no_fetch_async]
        classes = [
            (SyncPage, AsyncPage),
            (SyncCursorPage, AsyncCursorPage),
            (SyncConversationCursorPage, AsyncConversationCursorPage),
            (SyncNextCursorPage, AsyncNextCursorPage),
        ]
        for i, cls in enumerate(c for pair in classes for c in pair):
            page = cls({"data": items("x")}, Item._from_raw, fetches[i % 2])
            assert isinstance(page, BaseSyncPage if i % 2 == 0 else BaseAsyncPage)
            assert ["x"] == [x.id for x in page.data]

    def test_the_public_module_is_the_official_names(self) -> None:
        official = {
            "SyncPage",
            "AsyncPage",
            "SyncCursorPage",
            "AsyncCursorPage",
            "SyncConversationCursorPage",
            "AsyncConversationCursorPage",
            "SyncNextCursorPage",
            "AsyncNextCursorPage",
            "AsyncPaginator",
        }
        assert official <= set(pagination.__all__)
        assert all(getattr(pagination, n) is getattr(_pagination, n) for n in pagination.__all__)
        assert pagination.__doc__ is not None and "\n" not in pagination.__doc__.strip()
        # The sync and async twins are not each other's subclasses, nor the plain page's.
        assert not issubclass(SyncCursorPage, SyncPage)
        assert not issubclass(AsyncCursorPage, BaseSyncPage)
