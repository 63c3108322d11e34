"""The Redis backend: GCRA in one Lua script per acquire, on the Redis server's clock.

Why this shape:

- one ``EVALSHA`` per acquire: the script reads the bucket, decides and reserves atomically, so a
  blocking acquire costs one round trip however contended the bucket is (no retry loops);
- the server's clock (``TIME``), never the client's: hosts whose clocks disagree still space their
  requests exactly, because only one clock decides;
- one small key per bucket (an integer, the theoretical arrival time) with a TTL that ends when the
  bucket is idle again, so abandoned buckets cost nothing; a second key exists only while the
  bucket is slowed down by throttling;
- both keys share the hash tag ``{bucket name}``, so they land in one slot of a Redis Cluster;
- no background threads: after a Redis restart the first ``EVALSHA`` meets ``NOSCRIPT`` and the
  same call sends the script body with ``EVAL``, which loads it again.

This class raises redis-py's errors; ``FailoverBackend`` turns them into the configured fallback.
"""

from __future__ import annotations

import hashlib
import inspect
import math
from typing import Any

import redis
from redis.backoff import NoBackoff
from redis.cluster import RedisCluster
from redis.exceptions import NoScriptError
from redis.retry import Retry

from cloudrig.ratelimit._backend import AdaptiveParams, Reservation
from cloudrig.ratelimit._bucket import Bucket
from cloudrig.ratelimit._options import AdaptiveOptions, RedisOptions

RedisClient = redis.Redis | RedisCluster

# KEYS[1]: the bucket's theoretical arrival time (µs, server clock); KEYS[2]: its adaptive state.
# ARGV: interval µs at the full rate, burst, max wait µs. RECOVERY (per-mille per µs) is a constant
# of the limiter's configuration, written into the script. Returns "granted wait slot factor" (0/1,
# µs, µs on the server's clock, per-mille) as one string: one bulk reply is cheaper to read than an
# array, and the acquire must cost about one trivial round trip.
ACQUIRE = """
if redis.replicate_commands then redis.replicate_commands() end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local factor = 1000
local a = redis.call('HMGET', KEYS[2], 'f', 't')
if a[1] then
  factor = math.min(1000, tonumber(a[1]) + (now - tonumber(a[2])) * RECOVERY)
  interval = math.ceil(interval * 1000 / factor)
end
local tat = tonumber(redis.call('GET', KEYS[1])) or now
if tat < now then tat = now end
local slot = tat - (tonumber(ARGV[2]) - 1) * interval
if slot < now then slot = now end
local wait = slot - now
if wait > tonumber(ARGV[3]) then return string.format('0 %d %d %d', wait, slot, factor) end
local new_tat = tat + interval
redis.call('SET', KEYS[1], string.format('%d', new_tat),
           'PX', math.ceil((new_tat - now) / 1000) + 1)
return string.format('1 %d %d %d', wait, slot, factor)
"""

# KEYS[1]: the adaptive state. ARGV: decrease, floor per-mille, recovery per-mille per µs,
# cooldown µs. Returns the factor in force afterwards (per-mille).
THROTTLE = """
if redis.replicate_commands then redis.replicate_commands() end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local rec = tonumber(ARGV[3])
local factor = 1000
local a = redis.call('HMGET', KEYS[1], 'f', 't', 'c')
if a[1] then
  factor = math.min(1000, tonumber(a[1]) + (now - tonumber(a[2])) * rec)
  if now - tonumber(a[3]) < tonumber(ARGV[4]) then return factor end
end
factor = math.max(tonumber(ARGV[2]), math.floor(factor * tonumber(ARGV[1])))
local n = string.format('%d', now)
redis.call('HSET', KEYS[1], 'f', string.format('%d', factor), 't', n, 'c', n)
redis.call('PEXPIRE', KEYS[1], math.ceil((1000 - factor) / rec / 1000) + 1)
return factor
"""


class _Script:
    def __init__(self, body: str) -> None:
        self.body = body
        self.sha = hashlib.sha1(body.encode()).hexdigest()


_THROTTLE = _Script(THROTTLE)


def make_client(options: RedisOptions) -> RedisClient:
    """A client that fails fast: short connect and read timeouts, no client-level retries (redis-py
    otherwise retries with backoff and stalls for seconds when Redis is down), no handshake
    commands, no health checks."""
    kwargs: dict[str, Any] = {
        "socket_timeout": options.timeout,
        "socket_connect_timeout": options.timeout,
        "retry": Retry(NoBackoff(), 0),
        "password": options.password_value(),
    }
    # No CLIENT SETINFO handshake on connect: one round trip less when reconnecting to a
    # restarted Redis. redis-py >= 7 spells it driver_info=None, older ones lib_name/lib_version.
    if "driver_info" in inspect.signature(redis.Redis.__init__).parameters:
        kwargs["driver_info"] = None
    else:
        kwargs.update(lib_name=None, lib_version=None)
    if options.cluster:
        return RedisCluster.from_url(options.url, **kwargs)
    return redis.Redis.from_url(options.url, health_check_interval=0, **kwargs)


class RedisBackend:
    """Buckets shared by every process and host that uses the same Redis (or Redis Cluster)."""

    def __init__(
        self,
        client: RedisClient,
        *,
        key_prefix: str = "cloudrig:rl",
        adaptive: AdaptiveOptions | None = None,
    ) -> None:
        self.client = client
        self.key_prefix = key_prefix
        self.adaptive = AdaptiveParams.from_options(adaptive or AdaptiveOptions())
        self._keys: dict[str, tuple[str, str]] = {}
        self._prepared: dict[tuple[str, float, int], tuple[str, str, bytes, bytes]] = {}
        self._acquire = _Script(ACQUIRE.replace("RECOVERY", repr(self.adaptive.recovery_pm_per_us)))
        self._recovery = repr(self.adaptive.recovery_pm_per_us)
        self._throttle_args = (
            repr(self.adaptive.decrease),
            self.adaptive.floor_pm,
            self._recovery,
            self.adaptive.cooldown_us,
        )

    @classmethod
    def from_options(
        cls, options: RedisOptions, adaptive: AdaptiveOptions | None = None
    ) -> RedisBackend:
        return cls(make_client(options), key_prefix=options.key_prefix, adaptive=adaptive)

    def keys(self, bucket: Bucket) -> tuple[str, str]:
        """The bucket's state key and adaptive key; one hash tag, so one cluster slot."""
        keys = self._keys.get(bucket.name)
        if keys is None:
            state = f"{self.key_prefix}:{{{bucket.name}}}"
            keys = self._keys[bucket.name] = (state, state + ":a")
        return keys

    def reserve(self, bucket: Bucket, max_wait: float) -> Reservation:
        limit = bucket.limit
        prepared = self._prepared.get((bucket.name, limit.rate, limit.burst))
        if prepared is None:  # keys and arguments encoded once per bucket: the hot path is lean
            state, adaptive = self.keys(bucket)
            interval_us = math.ceil(1_000_000 / limit.rate)  # at the full rate
            prepared = (state, adaptive, b"%d" % interval_us, b"%d" % limit.burst)
            self._prepared[(bucket.name, limit.rate, limit.burst)] = prepared
        reply = self._run(self._acquire, 2, (*prepared, b"%d" % int(max_wait * 1_000_000)))
        granted, wait, slot, factor = reply.split()
        return Reservation(
            granted == b"1" or granted == "1",
            int(wait) / 1e6,
            int(slot),
            int(factor) / 1000,
            "redis",
        )

    def report_throttle(self, bucket: Bucket) -> float:
        factor = self._run(_THROTTLE, 1, (self.keys(bucket)[1], *self._throttle_args))
        return int(factor) / 1000

    def _run(self, script: _Script, numkeys: int, keys_and_args: tuple[Any, ...]) -> Any:
        try:
            return self.client.evalsha(script.sha, numkeys, *keys_and_args)
        except NoScriptError:
            # Redis restarted (or SCRIPT FLUSH): EVAL runs the body and caches it again.
            return self.client.eval(script.body, numkeys, *keys_and_args)
