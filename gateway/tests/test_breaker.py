"""The circuit breaker's transitions, with a clock the tests move by hand."""

from __future__ import annotations

from millbook_gateway.breaker import CircuitBreaker, State


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def tripped(clock: Clock) -> CircuitBreaker:
    breaker = CircuitBreaker(failures=5, cool_down_s=10.0, clock=clock)
    for _ in range(5):
        assert breaker.allow()
        breaker.failed()
    return breaker


def test_it_opens_after_five_consecutive_failures_and_fails_fast() -> None:
    clock = Clock()
    breaker = CircuitBreaker(failures=5, cool_down_s=10.0, clock=clock)
    for _ in range(4):
        breaker.failed()
    assert breaker.state is State.CLOSED
    assert breaker.allow()

    breaker.failed()

    assert breaker.state is State.OPEN
    assert not breaker.allow()
    clock.now += 9.9
    assert not breaker.allow()
    assert 0 < breaker.retry_after_s() < 0.11


def test_a_success_resets_the_count_of_failures() -> None:
    breaker = CircuitBreaker(failures=5, cool_down_s=10.0, clock=Clock())
    for _ in range(4):
        breaker.failed()
    breaker.succeeded()
    for _ in range(4):
        breaker.failed()

    assert breaker.state is State.CLOSED


def test_after_the_cool_down_exactly_one_probe_goes_through() -> None:
    clock = Clock()
    breaker = tripped(clock)
    clock.now += 10

    assert breaker.allow()
    assert breaker.state is State.HALF_OPEN
    assert not breaker.allow()
    assert not breaker.allow()


def test_a_successful_probe_closes_the_circuit() -> None:
    clock = Clock()
    breaker = tripped(clock)
    clock.now += 10
    breaker.allow()

    breaker.succeeded()

    assert breaker.state is State.CLOSED
    assert all(breaker.allow() for _ in range(3))
    assert breaker.retry_after_s() == 0


def test_a_failed_probe_opens_it_for_another_cool_down() -> None:
    clock = Clock()
    breaker = tripped(clock)
    clock.now += 10
    breaker.allow()

    breaker.failed()

    assert breaker.state is State.OPEN
    clock.now += 9
    assert not breaker.allow()
    clock.now += 1
    assert breaker.allow()


def test_a_probe_whose_client_left_frees_the_slot_for_the_next() -> None:
    clock = Clock()
    breaker = tripped(clock)
    clock.now += 10
    breaker.allow()

    breaker.abandoned()

    assert breaker.state is State.HALF_OPEN
    assert breaker.allow()


def test_a_probe_that_never_reports_back_does_not_wedge_the_breaker() -> None:
    clock = Clock()
    breaker = tripped(clock)
    clock.now += 10
    assert breaker.allow()

    clock.now += 10

    assert breaker.allow()
