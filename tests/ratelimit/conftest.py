"""Fixtures of the rate limiter tests: a virtual clock, and limiters on the real test Redis."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest
import redis

from cloudrig.ratelimit import Limit, RedisBackend, RedisOptions
from cloudrig.ratelimit._bucket import Bucket
from support.redis_servers import RedisServer


class VirtualClock:
    """A ``cloudrig.Clock`` whose ``sleep`` advances time instead of waiting; records sleeps."""

    def __init__(self, start: float = 1000.0, offset: float = 0.0) -> None:
        self._t = start
        self.offset = offset  # a skewed wall clock: now() is this many seconds ahead
        self.sleeps: list[float] = []
        self._lock = threading.Lock()

    def now(self) -> datetime:
        return datetime(2026, 1, 1, tzinfo=UTC) + timedelta(seconds=self._t + self.offset)

    def monotonic(self) -> float:
        return self._t

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(seconds)
            if seconds > 0:
                self._t += seconds

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._t += seconds


class OversleepingClock(VirtualClock):
    """A host so loaded that every sleep ends ``late`` seconds after it should."""

    def __init__(self, late: float) -> None:
        super().__init__()
        self.late = late
        self.during_sleep: Callable[[], object] = lambda: None

    def sleep(self, seconds: float) -> None:
        self.during_sleep()
        super().sleep(seconds + self.late)


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock()


@pytest.fixture
def late_clock() -> Callable[[float], OversleepingClock]:
    """``late_clock(seconds)``: a virtual clock whose every sleep overshoots by ``seconds``."""
    return OversleepingClock


BucketFactory = Callable[..., Bucket]


@pytest.fixture
def make_bucket() -> BucketFactory:
    """``make_bucket(rate=200, burst=1, name=...)``."""

    def make(
        rate: float = 200, burst: int = 1, name: str = "aws/123456789012/ec2/us-east-1/read"
    ) -> Bucket:
        return Bucket(name, Limit(rate=rate, burst=burst))

    return make


@pytest.fixture
def redis_url(redis_server: RedisServer) -> str:
    """The shared server, emptied for each test."""
    redis_server.flushall()
    return redis_server.url


@pytest.fixture
def redis_backend(redis_url: str) -> Iterator[RedisBackend]:
    backend = RedisBackend.from_options(RedisOptions(url=redis_url))
    yield backend
    backend.close()


@pytest.fixture
def raw_redis(redis_url: str) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(redis_url)
    yield client
    client.close()


@pytest.fixture
def private_redis(redis_server_factory: Callable[[], RedisServer]) -> Iterator[RedisServer]:
    """A server of this test's own, to kill, freeze and restart; left running afterwards."""
    server = redis_server_factory()
    yield server
    server.thaw()
    if server.pid is None:
        server.start()
    server.flushall()
