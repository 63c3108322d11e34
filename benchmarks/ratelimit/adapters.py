"""The limiters under test behind one interface: a blocking ``acquire()`` on one shared key.

- ``cloudrig``: ``cloudrig.ratelimit`` with the Redis backend (GCRA, one EVALSHA per acquire).
- ``limits-moving-window`` / ``limits-sliding-window``: ``limits`` 5.x strategies on its
  ``RedisStorage``. They answer "may I go now?", so blocking means polling: ``hit()`` until it
  says yes, sleeping ``POLL`` seconds in between (what their users write).
- ``pyrate-limiter``: ``pyrate_limiter.Limiter`` on a ``RedisBucket``, ``try_acquire(blocking=True)``.

Every adapter gets the same fail-fast Redis client options (0.1 s timeouts, no client retries) where
its API lets us pass them, so the comparison under failures is about the algorithm, not defaults.
"""

from __future__ import annotations

import time
from typing import Any, Protocol

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

NAMES = ("cloudrig", "limits-moving-window", "limits-sliding-window", "pyrate-limiter")
KEY = "bench"
POLL = 0.001
CLIENT_OPTIONS: dict[str, Any] = {
    "socket_timeout": 0.1,
    "socket_connect_timeout": 0.1,
    "retry": Retry(NoBackoff(), 0),
}


ROUND_TRIPS = [0]


def count_round_trips() -> None:
    """Count every request this process writes to Redis (a pipeline is one write, one round
    trip). Counted at the client because Redis's own statistics also count the commands a script
    runs inside the server."""
    from redis.connection import AbstractConnection

    send = AbstractConnection.send_packed_command

    def counting(self: Any, command: Any, check_health: bool = True) -> None:
        ROUND_TRIPS[0] += 1
        send(self, command, check_health)

    AbstractConnection.send_packed_command = counting  # type: ignore[method-assign]


class Adapter(Protocol):
    client: redis.Redis
    """The Redis client the limiter uses (for the trivial-EVALSHA baseline on the same client)."""

    def acquire(self) -> str:
        """Block until admitted; return who decided ('redis', 'fallback-local', ...)."""
        ...


class Cloudrig:
    def __init__(self, url: str, rate: float, burst: int = 1) -> None:
        from cloudrig.ratelimit import Limit, Limiter, LimitsConfig, RedisOptions
        from cloudrig.ratelimit._bucket import Bucket

        config = LimitsConfig(backend="redis", redis=RedisOptions(url=url), max_wait=3600)
        self.limiter = Limiter(config)
        self.bucket = Bucket(KEY, Limit(rate=rate, burst=burst))
        backend: Any = self.limiter.backend
        self.client = backend.primary.client

    def acquire(self) -> str:
        return self.limiter.acquire(self.bucket).source


class Limits:
    def __init__(self, url: str, rate: float, strategy: str) -> None:
        from limits import RateLimitItemPerSecond, storage, strategies

        self.storage = storage.RedisStorage(url, **CLIENT_OPTIONS)
        cls = (
            strategies.MovingWindowRateLimiter
            if strategy == "moving"
            else strategies.SlidingWindowCounterRateLimiter
        )
        self.strategy = cls(self.storage)
        self.item = RateLimitItemPerSecond(int(rate), 1)
        self.client = self.storage.storage

    def acquire(self) -> str:
        while not self.strategy.hit(self.item, KEY):
            time.sleep(POLL)
        return "redis"


class Pyrate:
    def __init__(self, url: str, rate: float) -> None:
        from pyrate_limiter import Duration, Limiter, Rate, RedisBucket

        self.client = redis.Redis.from_url(url, **CLIENT_OPTIONS)
        bucket = RedisBucket.init([Rate(int(rate), Duration.SECOND)], self.client, KEY)
        self.limiter = Limiter(bucket)

    def acquire(self) -> str:
        if not self.limiter.try_acquire(KEY, blocking=True):
            raise RuntimeError("pyrate-limiter refused a blocking acquire")
        return "redis"


def make(name: str, url: str, rate: float) -> Adapter:
    if name == "cloudrig":
        return Cloudrig(url, rate)
    if name == "limits-moving-window":
        return Limits(url, rate, "moving")
    if name == "limits-sliding-window":
        return Limits(url, rate, "sliding")
    if name == "pyrate-limiter":
        return Pyrate(url, rate)
    raise ValueError(name)
