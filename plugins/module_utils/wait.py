# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one way our modules wait for something: a deadline, a fixed interval or an exponential
backoff, and the last observation kept for the failure message.

A wait that gives up raises :class:`WaitTimeout` carrying what was seen last, so every module
says in its own words what it waited for and what the firewall or AWS said at the end, instead
of "timed out". The clock and the sleep are looked up at call time (or given), so unit tests
patch ``time`` or pass fakes.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Callable, Generic, Optional, TypeVar

T = TypeVar("T")


def now() -> float:
    return time.monotonic()


def _sleep(seconds: float) -> None:
    time.sleep(seconds)


@dataclass
class Waited(Generic[T]):
    """The last observation, how long the wait took and how many observations it made."""

    value: T
    seconds: float
    attempts: int


class WaitTimeout(Exception):
    """The condition was not met by the deadline; `last` holds what was seen last."""

    def __init__(self, what: str, timeout: float, last: Waited) -> None:
        super().__init__(f"gave up after {timeout} s waiting for {what}")
        self.what = what
        self.timeout = timeout
        self.last = last


@dataclass
class Backoff:
    """Pauses that start at `first` and double up to `most`; `factor=1` is a fixed interval."""

    first: float = 1.0
    most: float = 10.0
    factor: float = 2.0

    def __post_init__(self) -> None:
        self._next = self.first

    def pause(self) -> float:
        pause, self._next = self._next, min(self._next * self.factor, self.most)
        return pause


def interval(seconds: float) -> Backoff:
    return Backoff(first=seconds, most=seconds, factor=1.0)


def wait_for(observe: Callable[[], T], done: Callable[[T], bool], timeout: float, what: str,
             pauses: Optional[Backoff] = None, clock: Optional[Callable[[], float]] = None,
             sleep: Optional[Callable[[float], None]] = None) -> Waited[T]:
    """Observe until `done(observation)` or `timeout` seconds have passed.

    The first observation is made at once; a pause never runs past the deadline, and one last
    observation is made at the deadline, so a condition met just in time is not reported as a
    timeout. Exceptions from `observe` pass through: which errors are worth waiting out is the
    caller's to say (PanosConnection.call waits out a booting firewall inside its own observe)."""
    clock = clock or now
    sleep = sleep or _sleep
    pauses = pauses or interval(1.0)
    started = clock()
    attempts = 0
    while True:
        value = observe()
        attempts += 1
        elapsed = clock() - started
        if done(value):
            return Waited(value, round(elapsed, 3), attempts)
        remaining = timeout - elapsed
        if remaining <= 0:
            raise WaitTimeout(what, timeout, Waited(value, round(elapsed, 3), attempts))
        sleep(min(pauses.pause(), remaining))


def retry_while(attempt: Callable[[], T], retriable: Callable[[BaseException], bool], timeout: float, what: str,
                pauses: Optional[Backoff] = None, clock: Optional[Callable[[], float]] = None,
                sleep: Optional[Callable[[float], None]] = None) -> Waited[T]:
    """Call `attempt` until it returns, retrying the errors `retriable` accepts until `timeout`.

    An error it does not accept passes through at once; a retriable one still raised at the
    deadline passes through as it is (the caller's message then names the real cause), with the
    wait's record on it as `error.waited`."""
    def observe() -> Any:
        try:
            return ("ok", attempt())
        except Exception as error:  # noqa: BLE001 - sorted by `retriable`, the rest re-raised
            if not retriable(error):
                raise
            return ("retry", error)

    try:
        waited = wait_for(observe, lambda outcome: outcome[0] == "ok", timeout, what, pauses, clock, sleep)
    except WaitTimeout as timeout_error:
        error = timeout_error.last.value[1]
        error.waited = timeout_error.last  # type: ignore[attr-defined]
        raise error from None
    return Waited(waited.value[1], waited.seconds, waited.attempts)
