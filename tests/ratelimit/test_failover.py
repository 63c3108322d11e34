"""Redis killed, frozen or restarted mid-run: the limiter decides fast, degrades as configured,
logs it once, and comes back to Redis by itself. Fast means one socket timeout at most; it is
asserted as 'the breaker kept every later call away from Redis', not with a stopwatch."""

from __future__ import annotations

import itertools
import logging
import subprocess

import pytest
import redis

from cloudrig.ratelimit import (
    Fallback,
    Limit,
    Limiter,
    LimiterUnavailable,
    LimitsConfig,
    RedisOptions,
)
from cloudrig.ratelimit._bucket import Bucket
from support.redis_servers import RedisServer, RedisUnavailable, launch_cluster, unavailable

pytestmark = pytest.mark.redis


def make_limiter(server: RedisServer, clock, fallback: Fallback = Fallback.LOCAL) -> Limiter:
    config = LimitsConfig(
        backend="redis",
        redis=RedisOptions(url=server.url, timeout=0.1),
        fallback=fallback,
        local_share=0.25,
        breaker_seconds=1.0,
    )
    return Limiter(config, clock=clock)


def warnings_of(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]


def test_killed_redis_falls_back_to_a_local_share_and_recovers_after_restart(
    private_redis: RedisServer, clock, make_bucket, caplog: pytest.LogCaptureFixture
) -> None:
    limiter = make_limiter(private_redis, clock)
    b = make_bucket(rate=100)
    assert limiter.acquire(b).source == "redis"
    private_redis.kill()
    with caplog.at_level(logging.WARNING, logger="cloudrig.ratelimit"):
        during = [limiter.acquire(b) for _ in range(4)]
        assert {a.source for a in during} == {"fallback-local"}
        # the local share is a quarter of the budget: 25/s, slots 40 ms apart on the local clock
        assert [b2.slot - b1.slot for b1, b2 in itertools.pairwise(during)] == [40_000] * 3
        assert limiter.stats()[b.name].fallback_active
        private_redis.start()
        clock.advance(1.0)  # the breaker lets one probe through after breaker_seconds
        after = limiter.acquire(b)
    assert after.source == "redis"
    assert not limiter.stats()[b.name].fallback_active
    messages = warnings_of(caplog)
    assert len([m for m in messages if "unreachable" in m]) == 1  # logged once, not per call
    assert len([m for m in messages if "answers again" in m]) == 1
    limiter.close()


def test_frozen_redis_times_out_once_then_the_breaker_decides_locally(
    private_redis: RedisServer, clock, make_bucket
) -> None:
    limiter = make_limiter(private_redis, clock)
    b = make_bucket(rate=100)
    limiter.acquire(b)
    private_redis.freeze()
    try:
        decisions = [limiter.acquire(b).source for _ in range(20)]
        assert decisions == ["fallback-local"] * 20
        backend = limiter.backend
        assert backend.breaker.is_open  # type: ignore[attr-defined]
    finally:
        private_redis.thaw()
    clock.advance(1.0)
    assert limiter.acquire(b).source == "redis"
    limiter.close()


def test_a_restarted_redis_is_used_again_with_the_script_reloaded(
    private_redis: RedisServer, clock, make_bucket
) -> None:
    limiter = make_limiter(private_redis, clock)
    b = make_bucket(rate=100)
    limiter.acquire(b)
    private_redis.restart()  # empty: no keys, no scripts
    sources = [limiter.acquire(b).source for _ in range(3)]
    # the first call may meet the dead connection (one fallback decision) or reconnect at once;
    # within the breaker's wait it is back on Redis alone
    clock.advance(1.0)
    sources += [limiter.acquire(b).source for _ in range(3)]
    assert sources[-3:] == ["redis"] * 3
    assert set(sources) <= {"redis", "fallback-local"}


def test_fail_closed_denies_every_request(private_redis: RedisServer, clock, make_bucket) -> None:
    limiter = make_limiter(private_redis, clock, Fallback.CLOSED)
    b = make_bucket(rate=100)
    private_redis.kill()
    for _ in range(3):
        with pytest.raises(LimiterUnavailable, match="fallback policy is 'closed'"):
            limiter.acquire(b)
    stats = limiter.stats()[b.name]
    assert stats.denied == 3
    assert stats.admitted == 0
    assert stats.fallback == 3


def test_fail_open_admits_every_request_unlimited(
    private_redis: RedisServer, clock, make_bucket
) -> None:
    limiter = make_limiter(private_redis, clock, Fallback.OPEN)
    b = make_bucket(rate=1)
    private_redis.kill()
    admissions = [limiter.acquire(b, timeout=0) for _ in range(10)]
    assert {a.source for a in admissions} == {"fallback-open"}
    assert clock.sleeps == []  # never waited


def test_breaker_probes_with_one_caller_and_backs_off(
    private_redis: RedisServer, clock, make_bucket
) -> None:
    limiter = make_limiter(private_redis, clock)
    breaker = limiter.backend.breaker  # type: ignore[attr-defined]
    b = make_bucket(rate=100)
    private_redis.kill()
    limiter.acquire(b)  # opens for 1 s
    clock.advance(1.0)
    assert breaker.allow() is True  # one prober...
    assert breaker.allow() is False  # ...and only one
    breaker.failure()  # the probe failed: open for 2 s now
    clock.advance(1.5)
    assert breaker.allow() is False
    clock.advance(0.5)
    assert breaker.allow() is True


def test_a_cluster_node_lost_and_back(clock) -> None:
    """Through a real Redis Cluster: a dead node sends decisions to the fallback at once, and the
    limiter is back on the cluster after the node restarts (same port, same cluster config)."""
    try:
        cluster = launch_cluster()
    except (RedisUnavailable, OSError, subprocess.SubprocessError) as exc:
        unavailable(f"cannot start a Redis Cluster: {exc}")
        return
    try:
        config = LimitsConfig(
            backend="redis",
            redis=RedisOptions(url=cluster.startup_url, cluster=True),
            breaker_seconds=1.0,
        )
        limiter = Limiter(config, clock=clock)
        buckets = [Bucket(f"gcp/p{i}/compute/r/read", Limit(rate=1000)) for i in range(12)]
        assert {limiter.acquire(b).source for b in buckets} == {"redis"}
        cluster.nodes[1].kill()
        sources = [limiter.acquire(b).source for b in buckets]
        # buckets on the live nodes answer until one lives on the dead node: from then on the
        # breaker is open and every decision is the fallback's, without touching Redis
        first = sources.index("fallback-local")
        assert set(sources[first:]) == {"fallback-local"}
        cluster.nodes[1].start()
        cluster.wait_ok()
        clock.advance(1.0)
        assert {limiter.acquire(b).source for b in buckets} == {"redis"}
        limiter.close()
    finally:
        cluster.stop()


def test_after_a_timeout_the_late_reply_is_never_read_as_the_next_answer(
    private_redis: RedisServer,
) -> None:
    """A connection that timed out is closed (redis-py disconnects it before raising), so the
    reply Redis sends when it wakes up cannot be taken for the answer to the next acquire."""
    from cloudrig.ratelimit import RedisBackend

    backend = RedisBackend.from_options(RedisOptions(url=private_redis.url, timeout=0.2))
    waiting = Bucket("waiting", Limit(rate=1))
    idle = Bucket("idle", Limit(rate=1))
    backend.reserve(waiting, 10)
    assert backend.reserve(waiting, 10).wait > 0.5  # the next slot is ~1 s away
    private_redis.freeze()
    try:
        with pytest.raises(redis.TimeoutError):
            backend.reserve(idle, 10)  # answered "granted, no wait" once Redis wakes up
    finally:
        private_redis.thaw()
    third = backend.reserve(waiting, 10)
    assert third.granted
    assert third.wait > 1.0  # its own answer, not idle's late "wait 0"
    backend.close()


def test_threads_acquiring_at_once_each_get_their_own_slot(private_redis: RedisServer) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from cloudrig.ratelimit import RedisBackend

    backend = RedisBackend.from_options(RedisOptions(url=private_redis.url, timeout=2.0))
    # 400 slots reserved 20 s ahead: exact gaps, unless the bucket fell idle, which takes a stall
    # of one interval between two reservations (50 ms: more than a loaded machine's thread start)
    b = Bucket("shared", Limit(rate=20, burst=1))
    with ThreadPoolExecutor(8) as pool:
        slots = sorted(pool.map(lambda _: backend.reserve(b, 30).slot, range(400)))
    assert [y - x for x, y in itertools.pairwise(slots)] == [50_000] * 399
    # one connection per thread at most, as the server counts them (redis-cli's own is the +1)
    clients = private_redis.cli("INFO", "clients")
    connected = next(x for x in clients.splitlines() if x.startswith("connected_clients:"))
    assert 1 < int(connected.split(":")[1]) <= 8 + 1
    backend.close()


def test_the_first_acquire_after_a_restart_reconnects_and_reloads_the_script(
    private_redis: RedisServer,
) -> None:
    """The idle connection died with the old server: the acquire notices (redis-py's pool, at
    checkout), connects again and loads the script again (NOSCRIPT, then SCRIPT LOAD and
    EVALSHA) in the same call, with no fallback decision."""
    from cloudrig.ratelimit import RedisBackend

    backend = RedisBackend.from_options(RedisOptions(url=private_redis.url, timeout=0.5))
    b = Bucket("b", Limit(rate=100))
    assert backend.reserve(b, 1).source == "redis"
    private_redis.restart()
    assert backend.reserve(b, 1).granted
    backend.close()
