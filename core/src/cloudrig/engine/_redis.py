"""The state store for many workers on many hosts: Redis (or Redis Cluster).

Every key shares one hash tag, so the fenced save — check the lease, then write the record — runs
as one Lua script in one slot, atomically. Lease expiry is decided on the Redis server's clock
(``TIME``) so hosts with skewed clocks agree; tests pass a clock to run it in virtual time. The
client fails fast (short timeouts, no client retries, from ``cloudrig.ratelimit.make_client``) and
every Redis error becomes ``StateStoreUnavailable``: the deployment stops before its next change
rather than fall back to anything local.

Keys (all under ``{prefix}:{{prefix}}:``): ``rec:<id>`` the record JSON, ``ev:<id>`` its events (a
list), ``lease:<lease key>``, and the indexes the fenced write maintains in the same script:
``idx:`` every id and ``cidx:<lease key>`` a cluster's ids (sorted sets by creation time), ``unf:``
and ``cunf:<lease key>`` the unfinished ones, ``exp:`` the finished ones by expiry time. So ``find``
reads only the records it returns, whatever the history. When a record finishes its keys get a
TTL of ``retention`` (and lose it if a rollback makes it unfinished again); ``create`` drops the
index entries of expired ones. ``append_event`` is fenced like ``save`` and numbers the event in
the script (the list's length + 1, which also continues the numbering of events written before).
Data written by an older cloudrig (one index of all ids, no TTLs) is indexed once, on first use.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, TypeVar

import redis

from cloudrig._clock import Clock
from cloudrig._config._deployments import DEFAULT_RETENTION
from cloudrig.engine._errors import DeploymentNotFound, LeaseLost, StateStoreUnavailable
from cloudrig.engine._records import DeploymentEvent, DeploymentRecord
from cloudrig.engine._redis_scripts import APPEND, DUE, FORGET, LEASE, PUT
from cloudrig.engine._store import StateStore
from cloudrig.ratelimit import RedisOptions, make_client

T = TypeVar("T")

_VERSION = b"2"
_BATCH = 500


class RedisStateStore(StateStore):
    """The state store on Redis or Redis Cluster, for workers on many hosts (the module
    docstring). Its methods are ``StateStore``'s."""

    def __init__(
        self,
        client: redis.Redis | Any,
        *,
        prefix: str = "cloudrig:deploy",
        clock: Clock | None = None,
        lease_ttl: float = 60.0,
        retention: float = DEFAULT_RETENTION,
    ) -> None:
        # Any: redis-py's annotations mix its sync and async return types.
        self.client: Any = client
        self.clock = clock
        self.lease_ttl = lease_ttl  # for the fenced save's extension
        self.retention = retention
        self._p = f"{prefix}:{{{prefix}}}"
        self._lease = client.register_script(LEASE)
        self._put = client.register_script(PUT)
        self._append = client.register_script(APPEND)
        self._due = client.register_script(DUE)
        self._forget = client.register_script(FORGET)
        self._migrated = False
        # deployment id -> lease key (fixed at create): where append_event finds the lease.
        self._clusters: OrderedDict[str, str] = OrderedDict()
        self._clusters_lock = threading.Lock()

    @classmethod
    def from_options(
        cls,
        options: RedisOptions,
        *,
        prefix: str = "cloudrig:deploy",
        clock: Clock | None = None,
        retention: float = DEFAULT_RETENTION,
    ) -> RedisStateStore:
        return cls(make_client(options), prefix=prefix, clock=clock, retention=retention)

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

    def _retention_ms(self) -> int:
        return max(1, int(self.retention * 1000))

    def _remember(self, deployment_id: str, key: str) -> None:
        with self._clusters_lock:
            self._clusters[deployment_id] = key
            self._clusters.move_to_end(deployment_id)
            while len(self._clusters) > 4096:
                self._clusters.popitem(last=False)

    # -- records ---------------------------------------------------------------------------------
    def _write(self, record: DeploymentRecord, holder: str) -> None:
        self._migrate()
        key = record.lease_key
        keys = [
            self._k("lease", key),
            self._k("rec", record.id),
            self._k("ev", record.id),
            self._k("idx"),
            self._k("cidx", key),
            self._k("unf"),
            self._k("cunf", key),
            self._k("exp"),
        ]
        args: list[str | int | float] = [
            self._now(),
            holder,
            int(self.lease_ttl * 1000),
            record.model_dump_json(),
            record.created_at.timestamp(),
            record.id,
            "1" if record.status.finished else "",
            self._retention_ms(),
            json.dumps([record.id, key]),
        ]
        if not self._do(lambda: self._put(keys=keys, args=args)):
            raise LeaseLost(key, holder)
        self._remember(record.id, key)

    def create(self, record: DeploymentRecord, *, holder: str) -> None:
        self._write(record, holder)
        self.purge_expired()  # opportunistically, when a deployment starts

    def save(self, record: DeploymentRecord, *, holder: str) -> None:
        self._write(record, holder)

    def purge_expired(self) -> int:
        """Drop the index entries (and any leftover keys) of records whose retention ended, one
        batch; how many. The keys themselves expire by their TTL; this keeps the indexes from
        growing with the history. ``create`` calls it."""
        self._migrate()
        due = self._do(lambda: self._due(keys=[self._k("exp")], args=[self._now(), _BATCH]))
        if not due:
            return 0
        keys, args = [self._k("idx"), self._k("exp")], [self._now()]
        for member in due:
            deployment_id, key = json.loads(member)
            keys += [
                self._k("cidx", key),
                self._k("rec", deployment_id),
                self._k("ev", deployment_id),
            ]
            args += [member, deployment_id]
        return int(self._do(lambda: self._forget(keys=keys, args=args)))

    def get(self, deployment_id: str) -> DeploymentRecord:
        raw = self._do(lambda: self.client.get(self._k("rec", deployment_id)))
        if raw is None:
            raise DeploymentNotFound(f"no deployment {deployment_id!r} in {self!r}")
        record = DeploymentRecord.model_validate_json(raw)
        self._remember(record.id, record.lease_key)
        return record

    def find(
        self, *, lease_key: str | None = None, unfinished: bool | None = None
    ) -> list[DeploymentRecord]:
        # The narrowest index that answers: a cluster's (unfinished) ids, or all (unfinished) ids.
        self._migrate()
        if lease_key is not None:
            index = self._k("cunf" if unfinished else "cidx", lease_key)
        else:
            index = self._k("unf" if unfinished else "idx")

        def body() -> tuple[list[bytes], list[Any]]:
            ids = self.client.zrevrange(index, 0, -1)
            return ids, (self.client.mget([self._k("rec", i.decode()) for i in ids]) if ids else [])

        ids, raws = self._do(body)
        gone = [i for i, raw in zip(ids, raws, strict=True) if raw is None]
        if gone:  # expired by TTL before purge_expired saw them: drop them from this index
            self._do(lambda: self.client.zrem(index, *gone))
        records = [DeploymentRecord.model_validate_json(raw) for raw in raws if raw is not None]
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
            pipe.set(key, record.model_dump_json(), keepttl=True)

        self._do(lambda: self.client.transaction(body, key))

    # -- events ----------------------------------------------------------------------------------
    def append_event(self, event: DeploymentEvent, *, holder: str) -> DeploymentEvent:
        deployment_id = event.deployment_id
        with self._clusters_lock:
            key = self._clusters.get(deployment_id)
        if key is None:
            key = self.get(deployment_id).lease_key
        # The event's JSON around its seq, which the script fills in. The first field is
        # deployment_id, a JSON string, inside which '"seq":0,' cannot occur unescaped.
        head, tail = event.model_copy(update={"seq": 0}).model_dump_json().split(',"seq":0,', 1)
        keys = [self._k("lease", key), self._k("rec", deployment_id), self._k("ev", deployment_id)]
        args = [self._now(), holder, head + ',"seq":', "," + tail]
        seq = int(self._do(lambda: self._append(keys=keys, args=args)))
        if seq == 0:
            raise LeaseLost(key, holder)
        if seq < 0:
            raise DeploymentNotFound(f"no deployment {deployment_id!r} in {self!r}")
        return event.model_copy(update={"seq": seq})

    def events(self, deployment_id: str) -> list[DeploymentEvent]:
        raws = self._do(lambda: self.client.lrange(self._k("ev", deployment_id), 0, -1))
        return [DeploymentEvent.model_validate_json(r) for r in raws]

    # -- migration -------------------------------------------------------------------------------
    def _migrate(self) -> None:
        """Index the records an older cloudrig wrote (it kept one index of all ids): once per
        store, idempotent, so workers that start together may all run it."""
        if self._migrated:
            return
        if self._do(lambda: self.client.get(self._k("schema"))) != _VERSION:
            self._do(self._index_history)
        self._migrated = True

    def _index_history(self) -> None:
        now_ms = float(self._now()) if self.clock else self._server_ms()
        retention = self._retention_ms()
        ids = self.client.zrange(self._k("idx"), 0, -1, withscores=True)
        for start in range(0, len(ids), _BATCH):
            batch = ids[start : start + _BATCH]
            raws = self.client.mget([self._k("rec", i.decode()) for i, _ in batch])
            pipe = self.client.pipeline(transaction=False)
            for (raw_id, score), raw in zip(batch, raws, strict=True):
                deployment_id = raw_id.decode()
                if raw is None:
                    pipe.zrem(self._k("idx"), deployment_id)
                    continue
                record = DeploymentRecord.model_validate_json(raw)
                key = record.lease_key
                pipe.zadd(self._k("cidx", key), {deployment_id: score})
                if record.status.finished:
                    # The retention of what finished before the upgrade starts now.
                    pipe.pexpire(self._k("rec", deployment_id), retention)
                    pipe.pexpire(self._k("ev", deployment_id), retention)
                    member = json.dumps([deployment_id, key])
                    pipe.zadd(self._k("exp"), {member: now_ms + retention}, nx=True)
                else:
                    pipe.zadd(self._k("unf"), {deployment_id: score})
                    pipe.zadd(self._k("cunf", key), {deployment_id: score})
            pipe.execute()
        self.client.set(self._k("schema"), _VERSION)

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
