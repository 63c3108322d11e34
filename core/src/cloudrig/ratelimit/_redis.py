"""The Redis backend: GCRA in one Lua script per acquire, on the Redis server's clock.

Why this shape:

- one script call per acquire: the script reads the bucket, decides and reserves atomically, so a
  blocking acquire costs one round trip however contended the bucket is (no retry loops);
- the server's clock (``TIME``), never the client's: hosts whose clocks disagree still space their
  requests exactly, because only one clock decides;
- one small key per bucket (an integer, the theoretical arrival time; while throttling slows the
  bucket down, the factor and when it was cut follow it in the same string) with a TTL that ends
  when the bucket is idle and recovered, so abandoned buckets cost nothing; one key per script
  call also means one slot of a Redis Cluster, and one read on every acquire;
- redis-py's public API only: the scripts are registered (``register_script``), so each call is an
  ``EVALSHA`` and, after ``NOSCRIPT`` (a restarted Redis, ``SCRIPT FLUSH``), the same call loads
  the script again and runs it; on redis-py's own connection pool, which disconnects a connection
  that timed out or broke (a late reply is never read as the next command's answer) and replaces
  at checkout an idle one the server closed (the first acquire after a restart reconnects). The
  same code runs on a Redis Cluster (routed by the key's slot). No background threads.

An earlier version sent the acquire on connections of its own, with a hand-written encoder of the
Redis protocol, to skip redis-py's per-command pool checkout: ~20 µs less per acquire, invisible
next to the cloud calls the limiter spaces (20 to 500 ms each), for a second connection path to keep
correct. ``benchmarks/ratelimit`` records what the public API costs.

This class raises redis-py's errors; ``FailoverBackend`` turns them into the configured fallback.
"""

from __future__ import annotations

import inspect
import math
from typing import Any

import redis
from redis.backoff import NoBackoff
from redis.cluster import RedisCluster
from redis.commands.core import Script
from redis.retry import Retry

from cloudrig.ratelimit._backend import AdaptiveParams, Backend, Reservation
from cloudrig.ratelimit._bucket import Bucket
from cloudrig.ratelimit._options import AdaptiveOptions, RedisOptions

RedisClient = redis.Redis | RedisCluster

# The one preamble of every script here: a script that reads TIME and then writes must have its
# effects replicated, not the script itself. Redis >= 5 does that by default (and Redis >= 7 keeps
# the call as a no-op); Redis 3.2 and 4 need the call. The same text as cloudrig.engine's scripts.
_EFFECTS = "if redis.replicate_commands then redis.replicate_commands() end\n"

# One key per bucket, a string: "tat" (the theoretical arrival time, µs on the server's clock), or
# "tat factor age" while a throttling answer has the bucket slowed down: the factor (per-mille) was
# set at ``tat - age`` µs and recovers linearly from then; that time is also the last cut, for the
# cooldown (an age, not a time: 8 digits where a time takes 16, and the key stays small). Folding
# the adaptive state into the bucket's own key keeps the acquire at one GET.
#
# KEYS[1]: the bucket. ARGV: interval µs (at the full rate), burst, max wait µs, recovery
# (per-mille per µs). Everything is an argument: one script for every bucket, no text built per
# limit. Returns {granted 0/1, wait µs, slot µs on the server's clock, factor per-mille}.
ACQUIRE = (
    _EFFECTS
    + """
local t = redis.call('TIME')
local now = t[1] * 1000000 + t[2]
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local max_wait = tonumber(ARGV[3])
local recovery = tonumber(ARGV[4])
local v = redis.call('GET', KEYS[1])
local tat = tonumber(v)
local factor = 1000
local rest
local since
if v and not tat then
  local a, f, age = string.match(v, '^(%d+) (%d+) (%d+)$')
  tat = tonumber(a)
  since = tat - age
  factor = f + (now - since) * recovery
  if factor < 1000 then
    interval = math.ceil(interval * 1000 / factor)
    rest = f
  else
    factor = 1000
  end
end
if not tat or tat < now then tat = now end
local slot = tat - (burst - 1) * interval
if slot < now then slot = now end
local wait = slot - now
if wait > max_wait then return {0, wait, slot, factor} end
local new_tat = tat + interval
local ttl = math.ceil((new_tat - now) / 1000) + 1
if rest then
  local left = math.ceil((1000 - factor) / recovery / 1000) + 1
  if left > ttl then ttl = left end
  redis.call('SET', KEYS[1], string.format('%d %s %d', new_tat, rest, new_tat - since), 'PX', ttl)
else
  redis.call('SET', KEYS[1], string.format('%d', new_tat), 'PX', ttl)
end
return {1, wait, slot, factor}
"""
)

# KEYS[1]: the bucket. ARGV: decrease, floor per-mille, recovery per-mille per µs, cooldown µs.
# Returns the factor in force afterwards (per-mille). The key lives until both the reserved slots
# and the recovery are over.
THROTTLE = (
    _EFFECTS
    + """
local t = redis.call('TIME')
local now = t[1] * 1000000 + t[2]
local rec = tonumber(ARGV[3])
local v = redis.call('GET', KEYS[1])
local tat = tonumber(v)
local factor = 1000
if v and not tat then
  local a, f, age = string.match(v, '^(%d+) (%d+) (%d+)$')
  tat = tonumber(a)
  local since = tat - age
  factor = math.min(1000, f + (now - since) * rec)
  if now - since < tonumber(ARGV[4]) then return factor end
end
if not tat or tat < now then tat = now end
factor = math.max(tonumber(ARGV[2]), math.floor(factor * tonumber(ARGV[1])))
local ttl = math.max(math.ceil((tat - now) / 1000), math.ceil((1000 - factor) / rec / 1000)) + 1
redis.call('SET', KEYS[1], string.format('%d %d %d', tat, factor, tat - now), 'PX', ttl)
return factor
"""
)


def make_client(options: RedisOptions) -> RedisClient:
    """A client that fails fast: short connect and read timeouts, no client-level retries (redis-py
    otherwise retries with backoff and stalls for seconds when Redis is down; a timed-out call must
    not be sent again, the caller decides within one timeout), no handshake commands, no health
    checks. An idle connection that died with a restarted server needs no retry: the pool finds it
    closed at checkout and connects again."""
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


def _register(client: RedisClient, body: str) -> Script:
    """``client.register_script(body)``: EVALSHA, and after NOSCRIPT load and run again."""
    # redis-py annotates register_script for redis.Redis only; RedisCluster has the same one.
    return client.register_script(body)  # type: ignore[misc]


class RedisBackend(Backend):
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
        self._acquire = _register(client, ACQUIRE)
        self._throttle = _register(client, THROTTLE)
        self._throttle_args = (
            self.adaptive.decrease,
            self.adaptive.floor_pm,
            self.adaptive.recovery_pm_per_us,
            self.adaptive.cooldown_us,
        )

    @classmethod
    def from_options(
        cls, options: RedisOptions, adaptive: AdaptiveOptions | None = None
    ) -> RedisBackend:
        """A backend on a new redis-py client built from the ``limits.redis`` options."""
        return cls(make_client(options), key_prefix=options.key_prefix, adaptive=adaptive)

    def key(self, bucket: Bucket) -> str:
        """The bucket's one key. The hash tag ``{bucket name}`` keeps the key's slot a function of
        the bucket's name alone, whatever the prefix."""
        return f"{self.key_prefix}:{{{bucket.name}}}"

    def reserve(self, bucket: Bucket, max_wait: float) -> Reservation:
        limit = bucket.limit
        args = (
            math.ceil(1_000_000 / limit.rate),  # the interval at the full rate, µs
            limit.burst,
            int(max_wait * 1_000_000),
            self.adaptive.recovery_pm_per_us,
        )
        granted, wait, slot, factor = self._acquire(keys=(self.key(bucket),), args=args)
        return Reservation(granted == 1, wait / 1e6, slot, factor / 1000, "redis")

    def report_throttle(self, bucket: Bucket) -> float:
        factor = self._throttle(keys=(self.key(bucket),), args=self._throttle_args)
        return int(factor) / 1000

    def close(self) -> None:
        """Close the client's connections."""
        self.client.close()
