"""A pool's choices, without an event loop: which lane serves, which retires, which call expired."""

from __future__ import annotations

from openai_actors._call import Call, CallState
from openai_actors._pools import Lane, Pool
from openai_actors._transport import HeaderBlock, Origin, Timeouts


class FakeSignal:
    def __init__(self) -> None:
        self.is_set = False

    def set(self) -> None:
        self.is_set = True


def call(pool_timeout: float | None, admitted_at: float) -> Call:
    made = Call(
        method="GET",
        origin=Origin("http", "h", 80),
        target="/",
        headers=HeaderBlock(()),
        content=b"",
        timeouts=Timeouts(1.0, 1.0, 1.0, pool_timeout),
        max_retries=0,
        keys=None,
    )
    made.admitted_at = admitted_at
    return made


def parked(pool: Pool, now: float) -> Lane:
    lane = Lane()
    lane.wake = FakeSignal()  # type: ignore[assignment]
    pool.park(lane, now)
    return lane


class TestIdleLanes:
    def test_the_longest_idle_lanes_retire_first_and_only_after_the_limit(self) -> None:
        pool = Pool()
        old, middle, warm = parked(pool, 0.0), parked(pool, 2.0), parked(pool, 4.0)
        pool.retire_idle(now=6.9, idle_limit=5.0)
        assert [middle, warm] == list(pool.idle)
        assert (True, None) == (old.wake.is_set, old.call)  # type: ignore[union-attr]
        assert not middle.wake.is_set  # type: ignore[union-attr]
        pool.retire_idle(now=9.0, idle_limit=5.0)
        assert [] == list(pool.idle)

    def test_parking_says_when_a_lane_is_the_first_idle_one(self) -> None:
        """Only then does the timer need waking for its retirement: older idle lanes are due first."""
        pool = Pool()
        assert pool.park(Lane(), 1.0)
        assert not pool.park(Lane(), 2.0)

    def test_the_next_deadline_is_the_oldest_idle_lanes_retirement_or_the_first_calls_expiry(self) -> None:
        pool = Pool()
        assert float("inf") == pool.next_deadline(5.0)
        parked(pool, 1.0)
        parked(pool, 3.0)
        assert 6.0 == pool.next_deadline(5.0)
        pool.wait(call(pool_timeout=2.0, admitted_at=1.5))
        assert 3.5 == pool.next_deadline(5.0)


class TestWaitingCalls:
    def test_calls_are_served_first_in_first_out_and_a_put_back_one_goes_first(self) -> None:
        pool = Pool()
        first, second, returned = call(None, 0.0), call(None, 0.0), call(None, 0.0)
        assert pool.wait(first)
        assert not pool.wait(second)
        pool.put_back(returned)
        assert [returned, first, second, None] == [pool.take() for _ in range(4)]
        assert None is first.queue

    def test_only_calls_past_their_pool_timeout_expire_looking_from_the_front(self) -> None:
        """A call behind one still in time waits for its turn at the front, even if its own
        shorter timeout has passed (it is caught when it gets there, or by its lane)."""
        pool = Pool()
        late, in_time, behind = call(1.0, 0.0), call(10.0, 0.0), call(0.5, 0.0)
        for c in (late, in_time, behind):
            pool.wait(c)
        assert [(late, 1.0)] == list(pool.expired(now=2.0))
        assert [in_time, behind] == list(pool.waiting)
        assert late.state is CallState.QUEUED  # failing it is the dispatcher's job

    def test_calls_without_a_pool_timeout_never_expire(self) -> None:
        pool = Pool()
        pool.wait(call(None, 0.0))
        assert [] == list(pool.expired(now=1e9))
        assert float("inf") == pool.next_deadline(5.0)
