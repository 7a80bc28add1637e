"""The one wait: deadline, interval or backoff, the last observation on timeout, retries of the
errors the caller names only."""

from __future__ import annotations

import pytest

from ansible_collections.vmseries.aws_ha.plugins.module_utils import wait


class Clock:
    def __init__(self):
        self.now = 0.0
        self.sleeps = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


def test_returns_the_first_observation_that_is_done_with_time_and_attempts():
    clock = Clock()
    values = iter([1, 2, 3, 4])
    waited = wait.wait_for(lambda: next(values), lambda v: v == 3, 10, "three", wait.interval(2), clock, clock.sleep)
    assert (waited.value, waited.seconds, waited.attempts) == (3, 4.0, 3)
    assert clock.sleeps == [2, 2]


def test_gives_up_at_the_deadline_with_the_last_observation_made_at_the_deadline():
    clock = Clock()
    with pytest.raises(wait.WaitTimeout) as raised:
        wait.wait_for(lambda: clock.now, lambda _v: False, 5, "never", wait.interval(2), clock, clock.sleep)
    # Pauses never run past the deadline, and the last look is at it.
    assert clock.sleeps == [2, 2, 1]
    assert raised.value.last.value == 5.0 and raised.value.last.attempts == 4
    assert str(raised.value) == "gave up after 5 s waiting for never"


def test_a_zero_timeout_looks_once():
    clock = Clock()
    with pytest.raises(wait.WaitTimeout) as raised:
        wait.wait_for(lambda: "no", lambda _v: False, 0, "once", clock=clock, sleep=clock.sleep)
    assert raised.value.last.attempts == 1 and clock.sleeps == []


def test_backoff_doubles_up_to_its_ceiling():
    pauses = wait.Backoff(1.0, 5.0)
    assert [pauses.pause() for _ in range(5)] == [1.0, 2.0, 4.0, 5.0, 5.0]


def test_retry_while_retries_what_it_is_told_and_raises_the_rest_at_once():
    clock = Clock()
    errors = iter([OSError("refused"), OSError("refused")])

    def attempt():
        error = next(errors, None)
        if error:
            raise error
        return "up"

    waited = wait.retry_while(attempt, lambda e: isinstance(e, OSError), 60, "up", wait.Backoff(1, 10), clock, clock.sleep)
    assert (waited.value, waited.attempts, clock.sleeps) == ("up", 3, [1, 2])

    def refused():
        raise ValueError("wrong password")

    with pytest.raises(ValueError):
        wait.retry_while(refused, lambda e: isinstance(e, OSError), 60, "up", clock=clock, sleep=clock.sleep)


def test_retry_while_raises_the_last_real_error_at_the_deadline_with_the_wait_on_it():
    clock = Clock()

    def attempt():
        raise OSError(f"refused at {clock.now}")

    with pytest.raises(OSError, match="refused at 3.0") as raised:
        wait.retry_while(attempt, lambda e: True, 3, "up", wait.interval(1), clock, clock.sleep)
    assert raised.value.waited.attempts == 4
