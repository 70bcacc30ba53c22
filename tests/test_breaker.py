"""core.breaker: the one breaker behind the cache's per-server backoff and the broker's publish backoff."""

from __future__ import annotations

from core.breaker import Breaker


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_one_failure_opens_it_for_the_open_time_then_calls_go_through_again():
    clock = Clock()
    breaker = Breaker(open_seconds=5.0, clock=clock)
    assert not breaker.is_open()
    breaker.failure()
    assert breaker.is_open()
    clock.now += 4.9
    assert breaker.is_open()
    clock.now += 0.2
    assert not breaker.is_open()
    breaker.failure()  # the next failure opens it afresh
    assert breaker.is_open()


def test_keys_are_independent():
    breaker = Breaker(open_seconds=5.0, clock=Clock())
    breaker.failure("redis://a")
    assert breaker.is_open("redis://a") and not breaker.is_open("redis://b")


def test_the_open_time_is_read_at_each_failure():
    clock, seconds = Clock(), [5.0]
    breaker = Breaker(open_seconds=lambda: seconds[0], clock=clock)
    breaker.failure()
    seconds[0] = 60.0
    clock.now += 10
    assert not breaker.is_open()
    breaker.failure()
    clock.now += 30
    assert breaker.is_open()


def test_instances_over_one_state_share_it_and_clearing_the_state_closes_them():
    state: dict[str, float] = {}
    Breaker(open_seconds=5.0, state=state).failure("k")
    assert Breaker(open_seconds=5.0, state=state).is_open("k")
    state.clear()
    assert not Breaker(open_seconds=5.0, state=state).is_open("k")
