"""The local backend: GCRA in process, on an injected clock (no real sleeping)."""

from __future__ import annotations

import itertools
import threading

import pytest

from cloudrig.ratelimit import Limit, Limiter, LimitsConfig, LocalBackend, RateLimited
from cloudrig.ratelimit._bucket import Bucket


def test_smooth_bucket_spaces_slots_by_the_emission_interval(clock, make_bucket) -> None:
    backend = LocalBackend(clock)
    b = make_bucket(rate=200)
    slots = [backend.reserve(b, 10).slot for _ in range(50)]
    assert [y - x for x, y in itertools.pairwise(slots)] == [5000] * 49
    assert slots[0] == int(clock.monotonic() * 1e6)  # the first one is due now


def test_burst_lets_exactly_burst_requests_through_back_to_back(clock, make_bucket) -> None:
    backend = LocalBackend(clock)
    b = make_bucket(rate=10, burst=4)
    waits = [backend.reserve(b, 10).wait for _ in range(6)]
    assert waits[:4] == [0, 0, 0, 0]
    assert waits[4] == pytest.approx(0.1)
    assert waits[5] == pytest.approx(0.2)


def test_a_denied_reservation_spends_nothing(clock, make_bucket) -> None:
    backend = LocalBackend(clock)
    b = make_bucket(rate=10)
    assert backend.reserve(b, 0).granted
    denied = backend.reserve(b, 0.05)
    assert not denied.granted
    assert denied.wait == pytest.approx(0.1)
    granted = backend.reserve(b, 0.1)  # the same slot is still free
    assert granted.granted
    assert granted.wait == pytest.approx(0.1)


def test_limiter_sleeps_on_the_injected_clock_and_counts(clock, make_bucket) -> None:
    limiter = Limiter(LimitsConfig(), clock=clock)
    b = make_bucket(rate=4)
    start = clock.monotonic()
    for _ in range(9):
        limiter.acquire(b)
    assert clock.monotonic() - start == pytest.approx(2.0)  # 8 intervals of 0.25 s
    stats = limiter.stats()[b.name]
    assert stats.admitted == 9
    assert stats.waited == pytest.approx(2.0)
    assert stats.denied == 0
    assert not stats.fallback_active


def test_acquire_fails_fast_beyond_the_timeout(clock, make_bucket) -> None:
    limiter = Limiter(LimitsConfig(), clock=clock)
    b = make_bucket(rate=1)
    limiter.acquire(b)
    with pytest.raises(RateLimited) as info:
        limiter.acquire(b, timeout=0.5)
    assert info.value.retry_after == pytest.approx(1.0)
    assert clock.sleeps == []  # it did not sleep
    assert limiter.try_acquire(b) is False
    assert limiter.stats()[b.name].denied == 2


def test_threads_never_share_a_slot(clock) -> None:
    backend = LocalBackend(clock)
    b = Bucket("k", Limit(rate=1000))
    slots: list[int] = []
    lock = threading.Lock()

    def worker() -> None:
        mine = [backend.reserve(b, 100).slot for _ in range(200)]
        with lock:
            slots.extend(mine)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    slots.sort()
    assert len(set(slots)) == 1600
    assert all(y - x == 1000 for x, y in itertools.pairwise(slots))


def test_scale_gives_a_conservative_share(clock, make_bucket) -> None:
    backend = LocalBackend(clock, scale=0.25)
    b = make_bucket(rate=100, burst=8)
    waits = [backend.reserve(b, 10).wait for _ in range(3)]
    assert waits[:2] == [0, 0]  # burst 8 x 0.25 = 2
    assert waits[2] == pytest.approx(0.04)  # 25 requests per second


def test_a_slot_woken_for_too_late_is_given_up_not_sent_in_a_bunch(make_bucket, late_clock) -> None:
    clock = late_clock(0.05)  # every sleep ends 50 ms late; the interval is 10 ms
    limiter = Limiter(LimitsConfig(), clock=clock)
    b = make_bucket(rate=100)
    limiter.acquire(b)  # due at once: no sleep
    admission = limiter.acquire(b)
    # the late slot was given up; the fresh one is free at once (the bucket idled meanwhile)
    assert limiter.stats()[b.name].forfeited == 1
    assert limiter.stats()[b.name].admitted == 2
    assert len(clock.sleeps) == 1
    assert admission.waited == pytest.approx(0.06)


def test_forfeits_are_bounded_under_contention(make_bucket, late_clock) -> None:
    clock = late_clock(0.05)
    limiter = Limiter(LimitsConfig(), clock=clock)
    b = make_bucket(rate=100)
    # other processes keep the bucket busy while this one sleeps
    clock.during_sleep = lambda: [limiter.backend.reserve(b, 10) for _ in range(10)]
    limiter.acquire(b)
    limiter.acquire(b)
    assert limiter.stats()[b.name].forfeited == 2  # then it sends on the third slot, however late
    assert len(clock.sleeps) == 3


def test_a_little_lateness_within_the_slack_is_fine(make_bucket, late_clock) -> None:
    clock = late_clock(0.005)
    limiter = Limiter(LimitsConfig(), clock=clock)
    b = make_bucket(rate=100)
    for _ in range(5):
        limiter.acquire(b)
    assert limiter.stats()[b.name].forfeited == 0
