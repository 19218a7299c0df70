"""The lease book of shared limits, sans-IO: a fake clock, asks and answers by hand, no Redis."""

from __future__ import annotations

import math

import pytest

from openai_actors._pacing import Pacer
from openai_actors._shared_leases import (
    BACKOFF_MAX,
    MAX_SHARE,
    Answer,
    Ask,
    LeaseBook,
    Pool,
    lease_validity,
    slice_cap,
)


def book_for(
    requests: float | None = 600, tokens: float | None = None, *, on_unreachable: str = "wait"
) -> tuple[LeaseBook, list[int]]:
    """A book over a pacer with these limits, and a list that counts its notifications."""
    pacer = Pacer(requests_per_minute=requests, tokens_per_minute=tokens)
    pokes: list[int] = []
    book = LeaseBook(pacer, on_unreachable=on_unreachable, notify=lambda: pokes.append(1))  # type: ignore[arg-type]
    return book, pokes


def granted(requests: int = 0, tokens: int = 0, *, wait: float = 0.0, pause: float = 0.0, processes: int = 1,
            learned: tuple[float | None, float | None] = (None, None), delay: float = 0.0,
            mark: str = "") -> Answer:  # fmt: skip
    return Answer(
        granted=(requests, tokens),
        delay=(delay, 0.0),
        wait=wait,
        paused_for=pause,
        processes=processes,
        learned=learned,
        marks=(mark, ""),
    )


def contact(book: LeaseBook, now: float, requests: int = 0, tokens: int = 0) -> Ask:
    """The first round trip: admission asks, the shell sends, Redis grants."""
    book.ready_at(1, now)
    ask = book.ask(1, now)
    assert ask is not None
    book.answer(ask, granted(requests, tokens), now)
    return ask


class TestSlices:
    def test_a_slice_is_at_most_a_second_of_the_limit_and_never_more_than_two_percent(self) -> None:
        """At 600/min a slice is 10 (a second's worth); at 60,000/min, a second's 1,000 but capped at 2 %?"""
        assert 10 == slice_cap(600, 60)
        assert 1000 == slice_cap(60_000, 60)
        # A short window: a 20th of it is the validity, and 2 % of the limit the cap.
        assert 0.1 == lease_validity(2.0)
        assert math.floor(100 * MAX_SHARE) == slice_cap(100, 2.0)
        assert 1 == slice_cap(3, 60)

    def test_the_first_ask_wants_a_whole_slice_and_then_what_the_process_spends(self) -> None:
        """Before any demand is measured a slice is the cap; then about `validity` seconds of spending."""
        book, _ = book_for(600)
        first = contact(book, 0.0, requests=10)
        assert (10, 0) == first.want
        assert (1, 0) == first.need
        for now in (0.1, 0.3, 0.5, 0.7, 0.9):  # 5 requests in the first second: 5/s
            assert now == book.ready_at(1, now)
            book.spend(1, now)
        book.wanted = True
        ask = book.ask(1, 1.0)
        assert ask is not None
        assert (5, 0) == ask.give_back  # the rest expired with the second
        assert (5, 0) == ask.want

    def test_requests_waiting_count_as_demand(self) -> None:
        """Held back, a process spends less than it wants: what waits for admission enlarges the slice
        (up to the cap), so that a saturated process asks for whole slices, not what it managed to spend."""
        book, _ = book_for(600)
        contact(book, 0.0, requests=10)
        for now in (0.1, 0.3, 0.5, 0.7, 0.9):
            book.spend(1, now)
        book.wanted = True
        ask = book.ask(1, 1.0, waiting=3)
        assert ask is not None
        assert (8, 0) == ask.want
        book.answer(ask, granted(8), 1.0)
        book.wanted = True
        again = book.ask(1, 1.1, waiting=40)
        assert again is not None
        assert 10 - 8 == again.want[0]  # the cap (10), less the 8 held


class TestAdmission:
    def test_the_first_request_waits_for_a_first_answer(self) -> None:
        """Nothing goes before Redis has answered once: its learned limits and pauses come first."""
        book, pokes = book_for(600)
        assert math.inf == book.ready_at(1, 0.0)
        assert [1] == pokes
        assert math.inf == book.ready_at(1, 0.0)
        assert [1] == pokes  # one notification while the ask is wanted
        ask = book.ask(1, 0.0)
        assert ask is not None
        assert book.ask(1, 0.0) is None  # one ask in flight at a time
        book.answer(ask, granted(3), 0.01)
        assert 0.01 == book.ready_at(1, 0.01)

    def test_requests_are_admitted_while_the_pool_holds_units_then_wait_for_the_next_lease(self) -> None:
        """Each admission takes a unit; with none left the head waits for an answer."""
        book, _ = book_for(600)
        contact(book, 0.0, requests=2)
        for now in (0.1, 0.2):
            assert now == book.ready_at(1, now)
            book.spend(1, now)
        assert math.inf == book.ready_at(1, 0.3)

    def test_a_pool_running_low_asks_ahead_of_need(self) -> None:
        """Below a quarter of a slice, spending asks for the next lease while units remain."""
        book, pokes = book_for(600)  # a slice of 10
        contact(book, 0.0, requests=10)
        pokes.clear()
        for i in range(7):
            book.spend(1, 0.01 * i)
        assert [] == pokes
        book.spend(1, 0.08)  # 2 left, under 2.5
        assert [1] == pokes
        assert 0.09 == book.ready_at(1, 0.09)  # still admitted meanwhile

    def test_tokens_are_leased_as_the_estimate_and_a_request_waits_for_all_of_them(self) -> None:
        book, _ = book_for(None, 100_000)
        contact(book, 0.0, tokens=500)
        assert 0.0 == book.ready_at(400, 0.0)
        book.spend(400, 0.0)
        assert math.inf == book.ready_at(400, 0.0)
        ask = book.ask(400, 0.0)
        assert ask is not None
        assert (0, 300) == ask.need  # 100 held, 400 wanted

    def test_a_limit_not_known_is_not_leased(self) -> None:
        """With no tokens limit, tokens take nothing from any pool."""
        book, _ = book_for(600, None)
        contact(book, 0.0, requests=1)
        assert 0.0 == book.ready_at(10_000, 0.0)
        book.spend(10_000, 0.0)
        assert (0, 0) == (book.pools[1].held, book.pools[1].debt)


class TestExpiry:
    def test_units_not_spent_within_the_validity_are_returned_not_spent_late(self) -> None:
        book, _ = book_for(600)
        contact(book, 0.0, requests=10)
        book.spend(1, 0.5)
        validity = book.validity
        assert math.inf == book.ready_at(1, validity)  # expired: not spendable
        ask = book.ask(1, validity)
        assert ask is not None
        assert (9, 0) == ask.give_back

    def test_a_lease_reserved_ahead_is_spent_from_its_start(self) -> None:
        """Slots taken by others: Redis reserves the next ones, and admission sleeps until they start."""
        book, pokes = book_for(600)
        book.ready_at(1, 0.0)
        ask = book.ask(1, 0.0)
        assert ask is not None
        pokes.clear()
        book.answer(ask, granted(10, delay=0.5, processes=3), 0.01)
        assert 0.51 == book.ready_at(1, 0.2)
        assert [] == pokes  # nothing more to ask for
        assert 0.6 == book.ready_at(1, 0.6)
        assert math.inf == book.ready_at(1, 1.5)  # ended `validity` after its start

    def test_a_lease_is_valid_from_when_its_ask_was_sent(self) -> None:
        """A slow answer does not lengthen the lease: its units expire `validity` after the ask left."""
        book, _ = book_for(600)
        book.ready_at(1, 0.0)
        ask = book.ask(1, 0.0)
        assert ask is not None
        book.answer(ask, granted(5), 0.9)
        assert 0.9 == book.ready_at(1, 0.9)
        assert math.inf == book.ready_at(1, 1.0)

    def test_each_lease_keeps_its_own_start_and_end(self) -> None:
        """Units of an older lease expire with it; those of a lease reserved ahead wait for its start."""
        pool = Pool()
        pool.add(5, 0.0, 1.0)
        pool.add(5, 0.8, 1.8)
        assert (10, 5) == (pool.held, pool.available(0.5))
        assert 0.8 == pool.ready_at(6, 0.5)
        assert math.inf == pool.ready_at(11, 0.5)
        pool.take(4, 0.5)
        pool.expire(1.0)
        assert (5, 1, 5) == (pool.held, pool.returning, pool.available(1.0))


class TestGivingBack:
    def test_requests_go_back_only_as_the_tail_of_the_last_lease_with_its_mark(self) -> None:
        """Units of an older lease are let go (a later lease took the slots after theirs); the last
        lease's unspent units go back, marked with where that lease left the limit in Redis."""
        book, _ = book_for(600)
        book.ready_at(1, 0.0)
        first = book.ask(1, 0.0)
        assert first is not None
        older = granted(4, mark="100.000")
        book.answer(first, older, 0.0)
        book.wanted = True
        second = book.ask(1, 0.5)
        assert second is not None
        assert ("100.000", "") == second.marks
        newer = granted(4, mark="200.000")
        book.answer(second, newer, 0.5)
        book.spend(1, 0.6)  # from the older lease
        assert ((4, 0), ("200.000", "")) == book.release(0.7)

    def test_tokens_all_go_back_whatever_their_slots(self) -> None:
        """As the server corrects an estimate to the usage, so the shared limit: no mark."""
        book, _ = book_for(None, 60_000)
        contact(book, 0.0, tokens=500)
        book.spend(200, 0.1)
        book.give_back(0, 150, 0.1, 0.2)
        assert ((0, 450), ("", "")) == book.release(0.3)


class TestCorrections:
    def test_a_refund_goes_back_into_a_valid_pool_and_to_redis_after_it_expires(self) -> None:
        pool = Pool()
        pool.add(2, 0.0, 1.0)
        pool.give_back(3, 0.5)
        assert (5, 0) == (pool.held, pool.returning)
        pool.expire(1.5)
        pool.give_back(4, 1.5)
        assert 9 == pool.returning

    def test_usage_above_the_estimate_is_a_debt_paid_first_from_the_next_lease(self) -> None:
        """Charge the excess: from what is held, the rest owed and paid out of the next grant."""
        pool = Pool()
        pool.add(100, 0.0, 1.0)
        pool.give_back(-150, 0.5)
        assert (0, 50) == (pool.held, pool.debt)
        pool.add(80, 0.6, 1.0)
        assert (30, 0) == (pool.held, pool.debt)

    def test_the_next_ask_wants_the_debt_on_top_of_a_slice(self) -> None:
        book, _ = book_for(None, 60_000)  # a slice of 1,000 tokens
        contact(book, 0.0, tokens=500)
        book.spend(500, 0.0)
        book.give_back(0, -200, 0.0, 0.1)  # used 700 of an estimate of 500
        book.ready_at(100, 0.1)
        ask = book.ask(100, 0.1)
        assert ask is not None
        assert (0, 300) == ask.need
        assert ask.want[1] >= 200 + 1

    def test_units_of_a_request_admitted_before_the_limit_was_known_do_not_come_back(self) -> None:
        """They were never leased: giving them back would create capacity out of nothing."""
        book, _ = book_for(None, None)
        contact(book, 0.0)
        book.pacer.adopt(600, None)  # learned after the request was admitted at 0.0
        book.ready_at(1, 1.0)
        book.give_back(1, 0, 0.0, 1.5)
        assert (0, 0) == (book.pools[0].held, book.pools[0].returning)


class TestUnreachable:
    def test_waiting_mode_backs_off_and_admissions_wait_but_held_units_are_spent(self) -> None:
        book, _ = book_for(600)
        contact(book, 0.0, requests=1)
        book.spend(1, 0.0)
        assert math.inf == book.ready_at(1, 0.01)
        ask = book.ask(1, 0.01)
        assert ask is not None
        delays = []
        now = 0.01
        for _ in range(8):
            book.unreachable(ask, now)
            delays.append(round(book.retry_at - now, 3))
            now = book.retry_at
            assert math.inf == book.ready_at(1, now)
            ask = book.ask(1, now)  # type: ignore[assignment]
            assert ask is not None
        assert [0.1, 0.2, 0.4, 0.8, 1.6, BACKOFF_MAX, BACKOFF_MAX, BACKOFF_MAX] == delays
        book.answer(ask, granted(3), now)
        assert now == book.ready_at(1, now)

    def test_units_an_unsent_ask_was_returning_are_returned_with_the_next(self) -> None:
        book, _ = book_for(600)
        contact(book, 0.0, requests=4)
        ask = book.ask(1, 2.0) or (book.ready_at(1, 2.0), book.ask(1, 2.0))[1]
        assert isinstance(ask, Ask)
        assert (4, 0) == ask.give_back
        book.unreachable(ask, 2.0)
        book.ready_at(1, 3.0)
        again = book.ask(1, 3.0)
        assert again is not None
        assert (4, 0) == again.give_back

    def test_local_mode_sends_at_this_processes_share_of_the_limit(self) -> None:
        """Four processes last seen: a quarter of 600/min, about 150 in a minute, while Redis is away."""
        book, _ = book_for(600, on_unreachable="local")
        book.ready_at(1, 0.0)
        ask = book.ask(1, 0.0)
        assert ask is not None
        book.answer(ask, granted(0, processes=4), 0.0)
        book.ready_at(1, 0.0)
        ask = book.ask(1, 0.0)
        assert ask is not None
        book.unreachable(ask, 0.0)
        sent = 0
        now = 0.0
        while now < 60.0:
            when = book.ready_at(1, now)
            if when <= now:
                book.spend(1, now)
                sent += 1
            else:
                now = when
            if book.wanted:  # the shell's retries keep failing
                retry = book.ask(1, now)
                assert retry is not None
                book.unreachable(retry, now)
        assert 140 <= sent <= 150

    def test_local_mode_needs_no_first_answer(self) -> None:
        """Redis down from the start: "local" sends at the whole limit's share for one process."""
        book, _ = book_for(600, on_unreachable="local")
        book.ready_at(1, 0.0)
        ask = book.ask(1, 0.0)
        assert ask is not None
        book.unreachable(ask, 0.0)
        assert 0.0 == book.ready_at(1, 0.0)


class TestSharing:
    def test_limits_another_process_learned_are_adopted_where_none_is_known(self) -> None:
        book, _ = book_for(None, None)
        book.ready_at(1, 0.0)
        ask = book.ask(1, 0.0)
        assert ask is not None
        book.answer(ask, granted(learned=(500.0, 40_000.0)), 0.0)
        assert (500.0, 40_000.0) == book.limits()

    def test_a_limit_learned_here_is_published_once(self) -> None:
        book, _ = book_for(None, None)
        book.pacer.adopt(500, None)
        book.ready_at(1, 0.0)
        first = book.ask(1, 0.0)
        assert first is not None
        assert (500, 0) == first.learned
        book.answer(first, granted(5), 0.0)
        book.wanted = True
        second = book.ask(1, 0.1)
        assert second is not None
        assert (0, 0) == second.learned

    def test_an_ask_after_recent_leases_says_how_much_the_processes_may_hold_ahead(self) -> None:
        """Should Redis have lost the limit (a restart), it restarts beyond a slice per process seen."""
        book, _ = book_for(600, 60_000)
        book.ready_at(1, 0.0)
        first = book.ask(1, 0.0)
        assert first is not None
        assert not first.warm
        book.answer(first, granted(10, 1000, processes=4), 0.0)
        book.wanted = True
        second = book.ask(1, 5.0)
        assert second is not None
        assert second.warm
        assert (4 * slice_cap(600, 60), 4 * slice_cap(60_000, 60)) == second.reserve
        book.answer(second, granted(), 5.0)
        book.wanted = True
        later = book.ask(1, 70.0)  # more than a window since the last answer: a limit missing has expired
        assert later is not None
        assert not later.warm

    def test_a_429_heard_here_is_published_once_as_the_longest_pause(self) -> None:
        book, pokes = book_for(600)
        book.share_pause(2.0)
        book.share_pause(1.0)
        assert [1] == pokes
        assert 2.0 == book.take_pause()
        assert 0.0 == book.take_pause()

    def test_closing_returns_everything_held(self) -> None:
        book, _ = book_for(600, 60_000)
        contact(book, 0.0, requests=10, tokens=1000)
        book.spend(300, 0.1)
        assert ((9, 700), ("", "")) == book.release(0.2)
        assert (0, 0) == (book.pools[0].held, book.pools[1].held)
        assert not book.contacted


@pytest.mark.parametrize("limit", [60, 600, 6_000, 600_000])
def test_a_slice_never_exceeds_the_cap(limit: int) -> None:
    """Whatever the demand measured, a slice stays within a second's worth and 2 % of the limit."""
    book, _ = book_for(limit)
    contact(book, 0.0, requests=slice_cap(limit, 60))
    book.pools[0].rate = 1e9
    book.wanted = True
    ask = book.ask(1, 0.5)
    assert ask is not None
    assert ask.want[0] <= max(1, limit * MAX_SHARE)
