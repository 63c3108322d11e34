"""Adaptive throttling: a throttling answer slows the bucket down for every process sharing it,
and it recovers gradually; the counters show it."""

from __future__ import annotations

import pytest
import redis

from cloudrig.ratelimit import (
    AdaptiveOptions,
    Limiter,
    LimitsConfig,
    LocalBackend,
    RedisBackend,
    RedisOptions,
)

ADAPTIVE = AdaptiveOptions(decrease=0.5, floor=0.1, recovery_seconds=9.0, cooldown_seconds=1.0)


def test_local_throttle_halves_the_rate_and_recovers_linearly(clock, make_bucket) -> None:
    backend = LocalBackend(clock, adaptive=ADAPTIVE)
    b = make_bucket(rate=100)
    backend.reserve(b, 10)
    assert backend.report_throttle(b) == 0.5
    r1, r2 = backend.reserve(b, 10), backend.reserve(b, 10)
    assert r2.slot - r1.slot == 20_000  # 50/s now
    assert r2.factor == 0.5
    clock.advance(4.5)  # recovery: 0.9 of the rate per 9 s → +0.45
    assert backend.reserve(b, 10).factor == pytest.approx(0.95)
    clock.advance(0.5)
    assert backend.reserve(b, 10).factor == 1.0


def test_throttles_of_one_wave_cut_once_and_the_floor_holds(clock, make_bucket) -> None:
    backend = LocalBackend(clock, adaptive=ADAPTIVE)
    b = make_bucket(rate=100)
    assert [backend.report_throttle(b) for _ in range(5)] == [0.5] * 5  # one wave: one cut
    for _ in range(12):  # a throttle every second: the cut outpaces recovery down to the floor
        clock.advance(1.0)
        backend.report_throttle(b)
    assert backend.reserve(b, 10).factor == pytest.approx(0.1, abs=0.001)


@pytest.mark.redis
def test_a_throttle_seen_by_one_process_slows_every_process(
    redis_url: str, raw_redis: redis.Redis, make_bucket
) -> None:
    one = RedisBackend.from_options(RedisOptions(url=redis_url), ADAPTIVE)
    other = RedisBackend.from_options(RedisOptions(url=redis_url), ADAPTIVE)
    b = make_bucket(rate=1)  # 1 s intervals: real time passing meanwhile cannot blur them
    before = [other.reserve(b, 100).slot for _ in range(2)]
    assert before[1] - before[0] == 1_000_000
    assert one.report_throttle(b) == 0.5
    after = [other.reserve(b, 100) for _ in range(3)]
    # the other process slowed down too (recovery has already begun by a few microseconds)
    assert 1_900_000 <= after[2].slot - after[1].slot <= 2_000_000
    assert after[2].factor == pytest.approx(0.5, abs=0.001)
    # Recovery runs on the server's clock; move the cut 4.5 s into the past instead of waiting.
    # While slowed, the bucket's one key holds "tat factor age" (the cut was age µs before tat).
    key = one.key(b)
    tat, factor, age = (int(x) for x in (raw_redis.get(key) or b"").split())
    assert factor == 500
    cut = tat - age - 4_500_000
    raw_redis.set(key, f"{tat} {factor} {tat - cut}", px=raw_redis.pttl(key))
    recovering = other.reserve(b, 100)
    assert recovering.factor == pytest.approx(0.95, abs=0.002)
    tat, factor, age = (int(x) for x in (raw_redis.get(key) or b"").split())
    assert tat - age == cut  # the cut stays where it was while the tat moves on
    # The key lasts as long as the later of its reserved slots and the recovery (0.5 s away here).
    ttl = raw_redis.pttl(key)
    now = recovering.slot - round(recovering.wait * 1e6)
    assert (tat - now) / 1000 - 1_000 < ttl <= (tat - now) / 1000 + 2
    cut -= 4_500_000
    raw_redis.set(key, f"{tat} {factor} {tat - cut}", px=ttl)
    assert other.reserve(b, 100).factor == 1.0
    assert (raw_redis.get(key) or b"").isdigit()  # recovered: back to the bare integer


def test_limiter_counts_throttles_and_the_factor(clock, make_bucket) -> None:
    limiter = Limiter(LimitsConfig(adaptive=ADAPTIVE), clock=clock)
    b = make_bucket(rate=10)
    limiter.acquire(b)
    limiter.report_throttle(b)
    limiter.acquire(b)
    stats = limiter.stats()[b.name]
    assert stats.throttles == 1
    assert stats.factor == 0.5
    assert stats.waited == pytest.approx(0.1)  # the first slot after the cut: 0.1 s (old tat)


def test_adaptive_can_be_turned_off(clock, make_bucket) -> None:
    limiter = Limiter(LimitsConfig(adaptive=AdaptiveOptions(enabled=False)), clock=clock)
    b = make_bucket(rate=10)
    assert limiter.report_throttle(b) == 1.0
    limiter.acquire(b)
    limiter.acquire(b)
    assert clock.sleeps == [pytest.approx(0.1)]
