"""The Redis backend on a real redis-server and a real Redis Cluster. Correctness is read from
the slot times the script returns on the server's clock, never from wall-clock timing."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
from pathlib import Path

import pytest
import redis
from redis.cluster import RedisCluster as ClusterClient

from cloudrig.ratelimit import (
    Limit,
    Limiter,
    LimitsConfig,
    RedisBackend,
    RedisOptions,
)
from cloudrig.ratelimit._bucket import Bucket
from support.redis_servers import RedisCluster

pytestmark = pytest.mark.redis
WORKER = Path(__file__).with_name("redis_worker.py")


def run_workers(url: str, offsets: list[float], count: int, rate: float) -> list[list[int]]:
    procs = [
        subprocess.Popen(
            [sys.executable, str(WORKER), url, str(count), str(rate), str(offset)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for offset in offsets
    ]
    for proc in procs:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "ready"
    for proc in procs:  # release them together so they contend
        assert proc.stdin is not None
        proc.stdin.write("go\n")
        proc.stdin.flush()
    results = []
    for proc in procs:
        out, _ = proc.communicate(timeout=60)
        assert proc.returncode == 0
        results.append(json.loads(out))
    return results


def gaps(slots: list[int]) -> list[int]:
    ordered = sorted(slots)
    return [y - x for x, y in itertools.pairwise(ordered)]


def test_four_processes_get_slots_spaced_by_the_emission_interval(redis_url: str) -> None:
    # 2/s: the bucket's tat runs 0.5 s further ahead with every reservation, so even a badly
    # loaded machine cannot let it fall idle; nobody sleeps (the slots are only reserved).
    per_process = run_workers(redis_url, [0, 0, 0, 0], count=100, rate=2)
    slots = [s for process in per_process for s in process]
    assert len(set(slots)) == 400  # no slot handed out twice
    # Reserving ahead keeps the bucket busy: every slot is exactly one interval after the last.
    assert gaps(slots) == [500_000] * 399
    # and they did contend: the processes' slots interleave
    owner = {s: i for i, process in enumerate(per_process) for s in process}
    sequence = [owner[s] for s in sorted(slots)]
    switches = sum(a != b for a, b in itertools.pairwise(sequence))
    assert switches >= 3


def test_a_skewed_client_clock_changes_nothing(redis_url: str) -> None:
    per_process = run_workers(redis_url, [0, 0.25, 0, -0.25], count=50, rate=2)
    slots = [s for process in per_process for s in process]
    assert gaps(slots) == [500_000] * 199


def test_limiter_waits_on_its_injected_clock_for_the_server_decided_slot(
    redis_url: str, clock, make_bucket
) -> None:
    clock.offset = 3600.0  # the client's clocks are far off: irrelevant
    limiter = Limiter(LimitsConfig(backend="redis", redis=RedisOptions(url=redis_url)), clock=clock)
    b = make_bucket(rate=10)
    admissions = [limiter.acquire(b) for _ in range(5)]
    assert gaps([a.slot for a in admissions]) == [100_000] * 4
    # Each wait is the distance from the server's "now" to the slot: the sum grows by ~0.1 s per
    # request whatever the client's clock says (a little less as real time passes meanwhile).
    assert len(clock.sleeps) == 4  # the first was due at once
    assert all(0 < w <= 0.1 * (i + 1) for i, w in enumerate(clock.sleeps))
    assert clock.sleeps[-1] > 0.3  # four intervals ahead of the server's now, minus real time
    assert {a.source for a in admissions} == {"redis"}
    limiter.close()


def test_burst_and_a_denial_that_spends_nothing(redis_backend: RedisBackend) -> None:
    b = Bucket("b", Limit(rate=1, burst=3))
    first = [redis_backend.reserve(b, 0) for _ in range(3)]
    assert all(r.granted for r in first)
    assert all(r.wait == 0 for r in first)
    denied = redis_backend.reserve(b, 0.5)  # the 4th slot is ~1 s away
    assert not denied.granted
    assert 0.5 < denied.wait <= 1.0
    again = redis_backend.reserve(b, 2)
    assert again.granted
    assert again.slot == denied.slot  # the denial spent nothing


def test_one_small_key_per_bucket_with_a_ttl(
    redis_backend: RedisBackend, raw_redis: redis.Redis
) -> None:
    b = Bucket("aws/123456789012/ec2/us-east-1/read", Limit(rate=5))
    redis_backend.reserve(b, 10)
    keys = raw_redis.keys("*")
    assert keys == [b"cloudrig:rl:{aws/123456789012/ec2/us-east-1/read}"]
    assert 0 < raw_redis.pttl(keys[0]) <= 201  # expires when the bucket is idle again
    usage = raw_redis.memory_usage(keys[0])
    assert usage is not None
    assert usage <= 150


def test_script_reloads_itself_after_a_flush(
    redis_backend: RedisBackend, raw_redis: redis.Redis
) -> None:
    b = Bucket("b", Limit(rate=100))
    redis_backend.reserve(b, 1)
    raw_redis.script_flush()
    assert redis_backend.reserve(b, 1).granted  # NOSCRIPT → SCRIPT LOAD + EVALSHA, same call
    assert raw_redis.info("memory")["number_of_cached_scripts"] == 1  # cached again
    assert redis_backend.reserve(b, 1).granted


def test_buckets_spread_over_the_cluster_nodes(redis_cluster: RedisCluster) -> None:
    client = ClusterClient.from_url(redis_cluster.startup_url)
    backend = RedisBackend(client)
    names = [f"aws/1234/ec2/region-{i}/read" for i in range(30)]
    nodes_used = {
        client.get_node_from_key(backend.key(Bucket(n, Limit(rate=1)))).name for n in names
    }
    assert len(nodes_used) > 1
    client.close()


def test_limiter_works_through_a_cluster(redis_cluster: RedisCluster) -> None:
    options = RedisOptions(url=redis_cluster.startup_url, cluster=True)
    backend = RedisBackend.from_options(options)
    for i in range(12):
        b = Bucket(f"gcp/project-{i}/compute/europe-west1/read", Limit(rate=1))
        slots = [backend.reserve(b, 10).slot for _ in range(5)]
        assert gaps(slots) == [1_000_000] * 4  # reserving ahead: exact however slow the machine
        factor = backend.report_throttle(b)
        assert factor == 0.5
        slowed = [backend.reserve(b, 10).slot for _ in range(2)]
        assert 1_900_000 <= slowed[1] - slowed[0] <= 2_000_000
    backend.close()


def test_a_slowed_bucket_is_still_one_small_key_that_outlives_its_slots_until_recovered(
    redis_backend: RedisBackend, raw_redis: redis.Redis
) -> None:
    b = Bucket("aws/123456789012/ec2/us-east-1/read", Limit(rate=5))
    redis_backend.reserve(b, 10)
    assert redis_backend.report_throttle(b) == 0.5
    keys = raw_redis.keys("*")
    assert keys == [b"cloudrig:rl:{aws/123456789012/ec2/us-east-1/read}"]
    # idle after its one slot, but slowed down: the key lasts until the recovery (default 60 s
    # from the floor 0.1, so ~33 s from 0.5), then expires by itself
    assert 30_000 < raw_redis.pttl(keys[0]) <= 34_000
    usage = raw_redis.memory_usage(keys[0])
    assert usage is not None
    assert usage <= 150
    first, second = redis_backend.reserve(b, 10), redis_backend.reserve(b, 10)
    assert 399_000 < second.slot - first.slot <= 400_000  # half the rate, recovering already
