"""ManualClock: virtual time that only moves when told, safely from many threads."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from cloudrig import Clock
from cloudrig.testing import ManualClock


def test_is_a_clock_and_moves_only_when_told() -> None:
    clock = ManualClock(datetime(2030, 5, 1, tzinfo=UTC))
    assert isinstance(clock, Clock)
    start_now, start_mono = clock.now(), clock.monotonic()
    assert clock.now() == start_now
    clock.advance(90)
    clock.sleep(10)
    assert clock.now() - start_now == timedelta(seconds=100)
    assert clock.monotonic() - start_mono == 100
    assert clock.sleeps == [10]


def test_negative_sleep_is_zero_and_negative_advance_an_error() -> None:
    clock = ManualClock()
    clock.sleep(-5)
    assert clock.elapsed == 0
    with pytest.raises(ValueError, match="backwards"):
        clock.advance(-1)


def test_start_must_be_timezone_aware() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        ManualClock(datetime(2030, 1, 1))


def test_concurrent_sleepers_each_advance_time() -> None:
    clock = ManualClock()
    seen: list[float] = []
    lock = threading.Lock()

    def sleeper() -> None:
        last = clock.monotonic()
        for _ in range(500):
            clock.sleep(0.5)
            now = clock.monotonic()
            with lock:
                seen.append(now - last)
            last = now

    threads = [threading.Thread(target=sleeper) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert clock.elapsed == pytest.approx(8 * 500 * 0.5)
    assert len(clock.sleeps) == 4000
    assert min(seen) >= 0.5  # every sleeper's time moved at least by its own sleep
