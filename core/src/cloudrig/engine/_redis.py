"""The state store for many workers on many hosts: Redis (or Redis Cluster).

Every key shares one hash tag, so the fenced save — check the lease, then write the record — runs
as one Lua script in one slot, atomically. Lease expiry is decided on the Redis server's clock
(``TIME``) so hosts with skewed clocks agree; tests pass a clock to run it in virtual time. The
client fails fast (short timeouts, no client retries, from ``cloudrig.ratelimit.make_client``) and
every Redis error becomes ``StateStoreUnavailable``: the deployment stops before its next change
rather than fall back to anything local.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import redis

from cloudrig._clock import Clock
from cloudrig.engine._errors import DeploymentNotFound, LeaseLost, StateStoreUnavailable
from cloudrig.engine._records import DeploymentEvent, DeploymentRecord
from cloudrig.ratelimit import RedisOptions, make_client

T = TypeVar("T")

# Returns the server's (or the given) time in ms: ARGV[1] is '' for the server clock.
_NOW = """
local now = tonumber(ARGV[1])
if not now then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
"""
# KEYS[1] lease; ARGV: now, holder, ttl ms, mode ('acquire' | 'renew'). Returns 1 when held.
_LEASE = (
    "if redis.replicate_commands then redis.replicate_commands() end\n"
    + _NOW
    + """
local holder = redis.call('HGET', KEYS[1], 'h')
local expires = tonumber(redis.call('HGET', KEYS[1], 'e') or '0')
local mine = holder == ARGV[2] and expires > now
local free = (not holder) or expires <= now
if ARGV[4] == 'renew' and not mine then return 0 end
if ARGV[4] == 'acquire' and not (mine or free) then return 0 end
redis.call('HSET', KEYS[1], 'h', ARGV[2], 'e', tostring(now + tonumber(ARGV[3])))
if ARGV[1] == '' then redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[3]) * 2) end
return 1
"""
)
# KEYS[1] lease, KEYS[2] record; ARGV: now, holder, ttl ms, record JSON. Fenced write.
_SAVE = (
    "if redis.replicate_commands then redis.replicate_commands() end\n"
    + _NOW
    + """
local holder = redis.call('HGET', KEYS[1], 'h')
local expires = tonumber(redis.call('HGET', KEYS[1], 'e') or '0')
if holder ~= ARGV[2] or expires <= now then return 0 end
redis.call('HSET', KEYS[1], 'e', tostring(now + tonumber(ARGV[3])))
redis.call('SET', KEYS[2], ARGV[4])
return 1
"""
)


# KEYS[1] lease, KEYS[2] record, KEYS[3] index; ARGV: now, holder, ttl ms, JSON, score, id.
_CREATE = _SAVE.replace(
    "redis.call('SET', KEYS[2], ARGV[4])",
    "redis.call('SET', KEYS[2], ARGV[4])\nredis.call('ZADD', KEYS[3], ARGV[5], ARGV[6])",
)


class RedisStateStore:
    def __init__(
        self,
        client: redis.Redis | Any,
        *,
        prefix: str = "cloudrig:deploy",
        clock: Clock | None = None,
        lease_ttl: float = 60.0,
    ) -> None:
        # Any: redis-py's annotations mix its sync and async return types.
        self.client: Any = client
        self.clock = clock
        self.lease_ttl = lease_ttl  # for the fenced save's extension
        self._p = f"{prefix}:{{{prefix}}}"
        self._lease = client.register_script(_LEASE)
        self._save = client.register_script(_SAVE)
        self._create = client.register_script(_CREATE)

    @classmethod
    def from_options(
        cls, options: RedisOptions, *, prefix: str = "cloudrig:deploy", clock: Clock | None = None
    ) -> RedisStateStore:
        return cls(make_client(options), prefix=prefix, clock=clock)

    def __repr__(self) -> str:
        return f"<RedisStateStore {self._p!r}>"

    def _now(self) -> str:
        return "" if self.clock is None else str(int(self.clock.now().timestamp() * 1000))

    def _do(self, fn: Callable[[], T]) -> T:
        try:
            return fn()
        except redis.RedisError as exc:
            raise StateStoreUnavailable(
                f"state store (redis): {type(exc).__name__}: {exc}"
            ) from exc

    def _k(self, kind: str, name: str = "") -> str:
        return f"{self._p}:{kind}:{name}"

    # -- records ---------------------------------------------------------------------------------
    def create(self, record: DeploymentRecord, *, holder: str) -> None:
        keys = [self._k("lease", record.lease_key), self._k("rec", record.id), self._k("idx")]
        args: list[str | int | float] = [
            self._now(),
            holder,
            int(self.lease_ttl * 1000),
            record.model_dump_json(),
            record.created_at.timestamp(),
            record.id,
        ]
        if not self._do(lambda: self._create(keys=keys, args=args)):
            raise LeaseLost(record.lease_key, holder)

    def save(self, record: DeploymentRecord, *, holder: str) -> None:
        keys = [self._k("lease", record.lease_key), self._k("rec", record.id)]
        args: list[str | int] = [
            self._now(),
            holder,
            int(self.lease_ttl * 1000),
            record.model_dump_json(),
        ]
        if not self._do(lambda: self._save(keys=keys, args=args)):
            raise LeaseLost(record.lease_key, holder)

    def get(self, deployment_id: str) -> DeploymentRecord:
        raw = self._do(lambda: self.client.get(self._k("rec", deployment_id)))
        if raw is None:
            raise DeploymentNotFound(f"no deployment {deployment_id!r} in {self!r}")
        return DeploymentRecord.model_validate_json(raw)

    def find(
        self, *, lease_key: str | None = None, unfinished: bool | None = None
    ) -> list[DeploymentRecord]:
        # Scans the index: fine for the deployments of a team; a very long history would want
        # one index per cluster.
        def body() -> list[Any]:
            ids = self.client.zrevrange(self._k("idx"), 0, -1)
            return self.client.mget([self._k("rec", i.decode()) for i in ids]) if ids else []

        records = [DeploymentRecord.model_validate_json(raw) for raw in self._do(body) if raw]
        return [
            r
            for r in records
            if (lease_key is None or r.lease_key == lease_key)
            and (unfinished is None or r.status.finished != unfinished)
        ]

    def set_approval(self, deployment_id: str, gate: str, approved: bool) -> None:
        key = self._k("rec", deployment_id)

        def body(pipe: Any) -> None:
            raw = pipe.get(key)
            if raw is None:
                raise DeploymentNotFound(f"no deployment {deployment_id!r} in {self!r}")
            record = DeploymentRecord.model_validate_json(raw)
            record.approvals[gate] = approved
            pipe.multi()
            pipe.set(key, record.model_dump_json())

        self._do(lambda: self.client.transaction(body, key))

    # -- events ----------------------------------------------------------------------------------
    def append_event(self, event: DeploymentEvent) -> None:
        self._do(
            lambda: self.client.rpush(self._k("ev", event.deployment_id), event.model_dump_json())
        )

    def events(self, deployment_id: str) -> list[DeploymentEvent]:
        raws = self._do(lambda: self.client.lrange(self._k("ev", deployment_id), 0, -1))
        return [DeploymentEvent.model_validate_json(r) for r in raws]

    # -- lease -----------------------------------------------------------------------------------
    def _lease_call(self, key: str, holder: str, ttl: float, mode: str) -> bool:
        args: list[str | int] = [self._now(), holder, int(ttl * 1000), mode]
        return bool(self._do(lambda: self._lease(keys=[self._k("lease", key)], args=args)))

    def acquire_lease(self, key: str, holder: str, ttl: float) -> bool:
        return self._lease_call(key, holder, ttl, "acquire")

    def renew_lease(self, key: str, holder: str, ttl: float) -> bool:
        return self._lease_call(key, holder, ttl, "renew")

    def release_lease(self, key: str, holder: str) -> None:
        lease = self._k("lease", key)

        def body(pipe: Any) -> None:
            current = pipe.hget(lease, "h")
            pipe.multi()
            if current is not None and current.decode() == holder:
                pipe.delete(lease)

        self._do(lambda: self.client.transaction(body, lease))

    def lease_holder(self, key: str) -> str | None:
        # A read-only question: a holder whose lease expired is reported as none.
        raw = self._do(lambda: self.client.hmget(self._k("lease", key), ["h", "e"]))
        if raw[0] is None:
            return None
        now = float(self._now()) if self.clock else float(self._do(self._server_ms))
        return raw[0].decode() if float(raw[1]) > now else None

    def _server_ms(self) -> float:
        seconds, micros = self.client.time()
        return float(seconds * 1000 + micros / 1000)

    # -- drain -----------------------------------------------------------------------------------
    def set_draining(self, draining: bool) -> None:
        self._do(lambda: self.client.set(self._k("drain"), "1" if draining else "0"))

    def draining(self) -> bool:
        return bool(self._do(lambda: self.client.get(self._k("drain"))) == b"1")

    def close(self) -> None:
        self._do(self.client.close)
