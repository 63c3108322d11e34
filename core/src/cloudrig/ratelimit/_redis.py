"""The Redis backend: GCRA in one Lua script per acquire, on the Redis server's clock.

Why this shape:

- one ``EVALSHA`` per acquire: the script reads the bucket, decides and reserves atomically, so a
  blocking acquire costs one round trip however contended the bucket is (no retry loops);
- the server's clock (``TIME``), never the client's: hosts whose clocks disagree still space their
  requests exactly, because only one clock decides;
- one small key per bucket (an integer, the theoretical arrival time; while throttling slows the
  bucket down, the factor and when it was cut follow it in the same string) with a TTL that ends
  when the bucket is idle and recovered, so abandoned buckets cost nothing; one key per script
  call also means one slot of a Redis Cluster, and one read on every acquire;
- no background threads: after a Redis restart the first ``EVALSHA`` meets ``NOSCRIPT`` and the
  same call sends the script body with ``EVAL``, which loads it again.

- its own connections (``_Lane``) for the acquire on a single Redis: redis-py 7's per-command pool
  checkout (a lock, a ``poll`` for unread data, observability hooks) costs as much as the round
  trip itself here (~20 of ~57 µs); the lane sends a pre-encoded command on an idle connection of
  its own and reads the one reply. A Redis Cluster keeps redis-py's client (it routes by slot).

This class raises redis-py's errors; ``FailoverBackend`` turns them into the configured fallback.
"""

from __future__ import annotations

import hashlib
import inspect
import math
import weakref
from collections.abc import Callable
from typing import Any

import redis
from redis.backoff import NoBackoff
from redis.cluster import RedisCluster
from redis.exceptions import NoScriptError, ResponseError
from redis.retry import Retry

from cloudrig.ratelimit._backend import AdaptiveParams, Reservation
from cloudrig.ratelimit._bucket import Bucket
from cloudrig.ratelimit._options import AdaptiveOptions, RedisOptions

RedisClient = redis.Redis | RedisCluster

# Redis >= 5 replicates a script's effects by default; before that a script calling TIME must ask
# for it before writing. Redis >= 7 has REDIS_VERSION: the (no-op) call is skipped there.
_REPLICATE = "if not redis.REDIS_VERSION then redis.replicate_commands() end"

# One key per bucket, a string: "tat" (the theoretical arrival time, µs on the server's clock), or
# "tat factor age" while a throttling answer has the bucket slowed down: the factor (per-mille) was
# set at ``tat - age`` µs and recovers linearly from then; that time is also the last cut, for the
# cooldown (an age, not a time: 8 digits where a time takes 16, and the key stays small). Folding
# the adaptive state into the bucket's own key keeps the acquire at one GET.
#
# KEYS[1]: the bucket. ARGV[1]: max wait µs. INTERVAL (µs at the full rate) and BURST are the
# bucket's limit and RECOVERY (per-mille per µs) the limiter's adaptive setting, all written into
# the script: one script per distinct limit (a handful per configuration), and an acquire carries
# one argument instead of three (measured ~5 µs less per acquire, `benchmarks/ratelimit`). Returns
# "granted wait slot factor" (0/1, µs, µs on the server's clock, per-mille) as one status reply:
# one line is cheaper to read than a bulk string or an array, and the acquire must cost about one
# trivial round trip.
ACQUIRE = (
    _REPLICATE
    + """
local t = redis.call('TIME')
local now = t[1] * 1000000 + t[2]
local interval = INTERVAL
local v = redis.call('GET', KEYS[1])
local tat = tonumber(v)
local factor = 1000
local rest
local since
if v and not tat then
  local a, f, age = string.match(v, '^(%d+) (%d+) (%d+)$')
  tat = tonumber(a)
  since = tat - age
  factor = f + (now - since) * RECOVERY
  if factor < 1000 then
    interval = math.ceil(interval * 1000 / factor)
    rest = f
  else
    factor = 1000
  end
end
if not tat or tat < now then tat = now end
local slot = tat - (BURST - 1) * interval
if slot < now then slot = now end
local wait = slot - now
if wait > tonumber(ARGV[1]) then return {ok = string.format('0 %d %d %d', wait, slot, factor)} end
local new_tat = tat + interval
local ttl = math.ceil((new_tat - now) / 1000) + 1
if rest then
  local left = math.ceil((1000 - factor) / RECOVERY / 1000) + 1
  if left > ttl then ttl = left end
  redis.call('SET', KEYS[1], string.format('%d %s %d', new_tat, rest, new_tat - since), 'PX', ttl)
else
  redis.call('SET', KEYS[1], string.format('%d', new_tat), 'PX', ttl)
end
return {ok = string.format('1 %d %d %d', wait, slot, factor)}
"""
)

# KEYS[1]: the bucket. ARGV: decrease, floor per-mille, recovery per-mille per µs, cooldown µs.
# Returns the factor in force afterwards (per-mille). The key lives until both the reserved slots
# and the recovery are over.
THROTTLE = (
    _REPLICATE
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


class _Script:
    def __init__(self, body: str) -> None:
        self.body = body
        self.sha = hashlib.sha1(body.encode()).hexdigest()


_THROTTLE = _Script(THROTTLE)


def _bulk(part: bytes) -> bytes:
    """One bulk string of RESP, the Redis protocol. (The acquire's command is encoded here, once
    per bucket but for its last argument, rather than by redis-py on every call.)"""
    return b"$%d\r\n%s\r\n" % (len(part), part)


def encode(*parts: bytes, count: int | None = None) -> bytes:
    """A command in RESP: an array header of ``count`` items (default: ``parts``) and the parts
    as bulk strings; with a larger ``count`` the remaining arguments are appended later."""
    return b"*%d\r\n" % (len(parts) if count is None else count) + b"".join(map(_bulk, parts))


class _Lane:
    """The acquire's own connections to one Redis, with the client's options (timeouts, no
    retries, password). An idle connection is taken (``list.pop``, atomic) and given back after
    one command and its whole reply; after any other failure it is closed, never reused, so an
    idle connection never holds unread data — which is what redis-py checks on every checkout.
    As many connections as threads acquiring at once; ``close`` ends them."""

    def __init__(self, client: redis.Redis) -> None:
        pool = client.connection_pool
        # redis.connection.Connection, which redis-py leaves untyped
        self._make: Callable[[], Any] = lambda: pool.connection_class(**pool.connection_kwargs)
        self._idle: list[Any] = []
        self._made: weakref.WeakSet[Any] = weakref.WeakSet()

    def call(self, command: bytes) -> Any:
        try:
            conn = self._idle.pop()
        except IndexError:
            return self._send(self._new(), command)
        try:
            return self._send(conn, command)
        except redis.ConnectionError:
            # An idle connection the server closed meanwhile (a restart, its idle timeout):
            # redis-py finds those by polling every connection it checks out; the lane tries once
            # more on a new connection instead. Had the command run before the connection broke,
            # the retry spends a second slot: the budget is under-used, never exceeded. A timeout
            # (a frozen Redis) is not retried: the caller must decide within one.
            return self._send(self._new(), command)

    def _new(self) -> Any:
        conn = self._make()
        self._made.add(conn)
        return conn

    def _send(self, conn: Any, command: bytes) -> Any:
        try:
            conn.send_packed_command((command,), check_health=False)
            reply = conn.read_response()
        except ResponseError:  # a whole error reply was read: the connection is clean
            self._idle.append(conn)
            raise
        except BaseException:
            conn.disconnect()
            raise
        self._idle.append(conn)
        return reply

    def close(self) -> None:
        for conn in list(self._made):
            conn.disconnect()
        self._idle.clear()


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
        # Per bucket limit: the encoded command up to its last argument (max wait), EVALSHA and
        # EVAL forms, and the script.
        self._prepared: dict[tuple[str, float, int], tuple[bytes, bytes, _Script]] = {}
        self._scripts: dict[tuple[int, int], _Script] = {}
        # The last max wait asked for: seconds, µs as bytes, and µs as the command's last item.
        self._max_wait: tuple[float, bytes, bytes] = (-1.0, b"", b"")
        self._lane = _Lane(client) if isinstance(client, redis.Redis) else None
        self._recovery = repr(self.adaptive.recovery_pm_per_us)
        self._throttle_args = (
            repr(self.adaptive.decrease),
            self.adaptive.floor_pm,
            repr(self.adaptive.recovery_pm_per_us),
            self.adaptive.cooldown_us,
        )

    @classmethod
    def from_options(
        cls, options: RedisOptions, adaptive: AdaptiveOptions | None = None
    ) -> RedisBackend:
        return cls(make_client(options), key_prefix=options.key_prefix, adaptive=adaptive)

    def key(self, bucket: Bucket) -> str:
        """The bucket's one key. The hash tag ``{bucket name}`` keeps the key's slot a function of
        the bucket's name alone, whatever the prefix."""
        return f"{self.key_prefix}:{{{bucket.name}}}"

    def _script(self, interval_us: int, burst: int) -> _Script:
        script = self._scripts.get((interval_us, burst))
        if script is None:
            body = (
                ACQUIRE.replace("RECOVERY", self._recovery)
                .replace("INTERVAL", str(interval_us))
                .replace("BURST", str(burst))
            )
            script = self._scripts[(interval_us, burst)] = _Script(body)
        return script

    def _prepare(self, bucket: Bucket) -> tuple[bytes, bytes, _Script]:
        limit = bucket.limit
        interval_us = math.ceil(1_000_000 / limit.rate)  # at the full rate
        script = self._script(interval_us, limit.burst)
        key = self.key(bucket).encode()
        prepared = (  # the max wait, their 5th item, is appended per call
            encode(b"EVALSHA", script.sha.encode(), b"1", key, count=5),
            encode(b"EVAL", script.body.encode(), b"1", key, count=5),
            script,
        )
        self._prepared[(bucket.name, limit.rate, limit.burst)] = prepared
        return prepared

    def reserve(self, bucket: Bucket, max_wait: float) -> Reservation:
        limit = bucket.limit
        prepared = self._prepared.get((bucket.name, limit.rate, limit.burst))
        if prepared is None:  # encoded once per bucket: the hot path is lean
            prepared = self._prepare(bucket)
        cached = self._max_wait  # one read: another thread may replace it (atomically)
        if max_wait != cached[0]:  # callers pass the same timeout again and again
            max_wait_us = b"%d" % int(max_wait * 1_000_000)
            cached = self._max_wait = (max_wait, max_wait_us, _bulk(max_wait_us))
        lane = self._lane
        if lane is not None:
            try:
                reply = lane.call(prepared[0] + cached[2])
            except NoScriptError:
                # Redis restarted (or SCRIPT FLUSH): EVAL runs the body and caches it again.
                reply = lane.call(prepared[1] + cached[2])
        else:
            reply = self._reserve_on_cluster(bucket, prepared[2], cached[1])
        granted, wait, slot, factor = reply.split()
        return Reservation(
            granted == b"1" or granted == "1",
            0.0 if wait == b"0" else int(wait) / 1e6,  # the usual answers, read without int()
            int(slot),
            1.0 if factor == b"1000" else int(factor) / 1000,
            "redis",
        )

    def _reserve_on_cluster(self, bucket: Bucket, script: _Script, max_wait_us: bytes) -> Any:
        client: Any = self.client  # redis-py leaves execute_command untyped
        key = self.key(bucket)
        try:
            return client.execute_command("EVALSHA", script.sha, 1, key, max_wait_us)
        except NoScriptError:
            return client.execute_command("EVAL", script.body, 1, key, max_wait_us)

    def close(self) -> None:
        """Close the acquire's connections and the client's."""
        if self._lane is not None:
            self._lane.close()
        self.client.close()

    def report_throttle(self, bucket: Bucket) -> float:
        args = (self.key(bucket), *self._throttle_args)
        factor: Any
        try:
            factor = self.client.evalsha(_THROTTLE.sha, 1, *args)
        except NoScriptError:
            factor = self.client.eval(_THROTTLE.body, 1, *args)
        return int(factor) / 1000
