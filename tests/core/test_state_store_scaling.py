"""The state stores scale with clusters, not history: lookups go through per-cluster and
"unfinished" indexes, finished records expire after the retention, events are fenced by the lease
and numbered by the store, and files/data written before all this still open.

Each test runs on SQLite and on a real redis-server (started here; the test fails, not skips, when
it cannot start)."""

from __future__ import annotations

import itertools
import sqlite3
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from cloudrig import Moniker
from cloudrig._config._deployments import DeploymentsConfig
from cloudrig.engine import DeploymentNotFound, LeaseLost, lease_key
from cloudrig.engine._records import (
    DeploymentEvent,
    DeploymentRecord,
    DeploymentStatus,
    EventKind,
)
from cloudrig.engine._redis import RedisStateStore
from cloudrig.engine._sqlite import SqliteStateStore
from cloudrig.engine._store import PreviewStore
from cloudrig.ratelimit import RedisOptions, make_client
from cloudrig.testing import ManualClock
from support.redis_servers import RedisCluster, RedisServer, launch_cluster, launch_server

DAY = 86400.0
RETENTION = 30 * DAY
_prefixes = itertools.count()


@pytest.fixture(scope="module")
def redis_server() -> Iterator[RedisServer]:
    try:
        server = launch_server()
    except Exception as exc:  # no binary, no port...: a failure, never a skip
        pytest.fail(f"redis-server could not start: {type(exc).__name__}: {exc}", pytrace=False)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def redis_cluster() -> Iterator[RedisCluster]:
    try:
        cluster = launch_cluster()
    except Exception as exc:
        pytest.fail(f"Redis Cluster could not start: {type(exc).__name__}: {exc}", pytrace=False)
    yield cluster
    cluster.stop()


class Stores:
    """Opens stores of one kind on one backing (file or Redis prefix), sharing one clock."""

    def __init__(self, kind: str, tmp_path: Path, server: RedisServer | None) -> None:
        self.kind, self.clock = kind, ManualClock()
        self.path = tmp_path / "state.sqlite3"
        self.server = server
        self.prefix = f"test-scaling-{next(_prefixes)}"
        self.opened: list[Any] = []

    def client(self) -> Any:
        assert self.server is not None
        return make_client(RedisOptions(url=self.server.url, timeout=2.0))

    def open(self) -> Any:
        store: Any
        if self.kind == "sqlite":
            store = SqliteStateStore(self.path, clock=self.clock, retention=RETENTION)
        else:
            store = RedisStateStore(
                self.client(), prefix=self.prefix, clock=self.clock, retention=RETENTION
            )
        self.opened.append(store)
        return store

    def close(self) -> None:
        for store in self.opened:
            store.close()


@pytest.fixture(params=["sqlite", "redis"])
def stores(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Stores]:
    server = request.getfixturevalue("redis_server") if request.param == "redis" else None
    made = Stores(request.param, tmp_path, server)
    yield made
    made.close()


def make_record(
    stack: str, n: int, created: datetime, status: DeploymentStatus = DeploymentStatus.RUNNING
) -> DeploymentRecord:
    return DeploymentRecord(
        id=f"d-{stack}-{n:04d}",
        account="acct",
        region="r1",
        moniker=Moniker(app="shop", stack=stack),
        strategy="redblack",
        fingerprint=f"fp-{stack}-{n}",
        status=status,
        created_at=created,
        updated_at=created,
    )


def key_of(stack: str) -> str:
    return lease_key("acct", "r1", Moniker(app="shop", stack=stack))


def event(deployment_id: str, seq: int = 0, message: str = "m") -> DeploymentEvent:
    return DeploymentEvent(
        deployment_id=deployment_id,
        seq=seq,
        time=datetime(2026, 1, 1).astimezone(),
        kind=EventKind.NOTE,
        message=message,
    )


def populate(store: Any, clock: ManualClock, stacks: list[str], per: int) -> dict[str, list[str]]:
    """``per`` records in each cluster, interleaved in time; every cluster's lease held by 'w'."""
    ids: dict[str, list[str]] = {s: [] for s in stacks}
    for stack in stacks:
        assert store.acquire_lease(key_of(stack), "w", 3600)
    for n in range(per):
        for stack in stacks:
            clock.advance(1)
            rec = make_record(stack, n, clock.now())
            store.create(rec, holder="w")
            ids[stack].append(rec.id)
    return ids


# -- indexes -------------------------------------------------------------------------------------
def test_find_by_cluster_returns_exactly_its_records_newest_first(stores: Stores) -> None:
    store = stores.open()
    ids = populate(store, stores.clock, ["a", "b", "c"], 5)
    for stack, made in ids.items():
        assert [r.id for r in store.find(lease_key=key_of(stack))] == made[::-1]
    assert store.find(lease_key=key_of("nobody")) == []
    every = [r.id for r in store.find()]
    assert sorted(every) == sorted(itertools.chain(*ids.values()))
    assert [r.created_at for r in store.find()] == sorted(
        (r.created_at for r in store.find()), reverse=True
    )


def test_unfinished_index_is_maintained_through_finish_and_reopening(stores: Stores) -> None:
    store = stores.open()
    ids = populate(store, stores.clock, ["a", "b"], 3)
    done = store.get(ids["a"][1])
    done.status = DeploymentStatus.SUCCEEDED
    store.save(done, holder="w")

    unfinished_a = [r.id for r in store.find(lease_key=key_of("a"), unfinished=True)]
    assert unfinished_a == [ids["a"][2], ids["a"][0]]
    assert [r.id for r in store.find(lease_key=key_of("a"), unfinished=False)] == [done.id]
    assert done.id not in [r.id for r in store.find(unfinished=True)]
    assert len(store.find(unfinished=True)) == 5
    assert [r.id for r in store.find(unfinished=False)] == [done.id]

    # A rollback of a finished deployment makes it unfinished again.
    done.status = DeploymentStatus.ROLLING_BACK
    store.save(done, holder="w")
    assert done.id in [r.id for r in store.find(lease_key=key_of("a"), unfinished=True)]
    assert store.find(unfinished=False) == []
    # Another worker's store (its own connection) sees the same indexes.
    other = stores.open()
    assert [r.id for r in other.find(lease_key=key_of("b"))] == ids["b"][::-1]


def test_sqlite_lookups_use_the_indexes(tmp_path: Path) -> None:
    store = SqliteStateStore(tmp_path / "s.sqlite3", clock=ManualClock())
    db = sqlite3.connect(store.path)

    def plan(where: str) -> str:
        rows = db.execute(
            f"EXPLAIN QUERY PLAN SELECT data FROM deployments WHERE 1=1 {where} "
            "ORDER BY created DESC, rowid DESC",
            ("k",) if "?" in where else (),
        ).fetchall()
        return " ".join(r[-1] for r in rows)

    assert "INDEX deployments_cluster" in plan("AND lease_key = ?")
    assert "INDEX deployments_unfinished" in plan("AND lease_key = ? AND finished_at IS NULL")
    assert "INDEX deployments_unfinished" in plan("AND finished_at IS NULL")
    db.close()
    store.close()


def test_redis_find_reads_only_the_records_it_returns(redis_server: RedisServer) -> None:
    clock = ManualClock()
    client = make_client(RedisOptions(url=redis_server.url, timeout=2.0))
    store = RedisStateStore(client, prefix=f"test-reads-{next(_prefixes)}", clock=clock)
    populate(store, clock, [f"s{i}" for i in range(20)], 10)  # 200 records
    read: list[int] = []
    real_mget = client.mget

    def counting_mget(keys: list[str], *args: Any) -> Any:
        read.append(len(keys))
        return real_mget(keys, *args)

    client.mget = counting_mget
    assert len(store.find(lease_key=key_of("s3"))) == 10
    assert store.find(lease_key=key_of("s3"), unfinished=False) == []
    done = store.get("d-s3-0004")
    done.status = DeploymentStatus.FAILED
    store.save(done, holder="w")
    assert len(store.find(lease_key=key_of("s3"), unfinished=True)) == 9
    assert len(store.find(lease_key=key_of("s4"), unfinished=True)) == 10
    assert read == [10, 10, 9, 10]  # never the 200
    store.close()


def test_redis_cluster_runs_every_script_in_one_slot(redis_cluster: RedisCluster) -> None:
    """Every key of a store shares one hash tag: the scripts (which declare all their keys) and
    the multi-key reads work on a real 3-node Redis Cluster."""
    clock = ManualClock()
    options = RedisOptions(url=redis_cluster.startup_url, cluster=True, timeout=2.0)
    store = RedisStateStore(
        make_client(options), prefix=f"test-cluster-{next(_prefixes)}", clock=clock
    )
    ids = populate(store, clock, ["a", "b"], 3)
    assert store.append_event(event(ids["a"][0]), holder="w").seq == 1
    assert [r.id for r in store.find(lease_key=key_of("a"))] == ids["a"][::-1]
    finish(store, ids["a"][0])
    assert len(store.find(unfinished=True)) == 5
    clock.advance(RETENTION + 1)
    assert store.purge_expired() == 1
    assert [r.id for r in store.find(lease_key=key_of("a"))] == ids["a"][:0:-1]
    store.close()


# -- retention -----------------------------------------------------------------------------------
def finish(
    store: Any, record_id: str, status: DeploymentStatus = DeploymentStatus.SUCCEEDED
) -> None:
    record = store.get(record_id)
    assert store.acquire_lease(record.lease_key, "w", 3600)  # held again after time passed
    record.status = status
    store.save(record, holder="w")


def test_finished_records_and_events_expire_after_the_retention(stores: Stores) -> None:
    store, clock = stores.open(), stores.clock
    ids = populate(store, clock, ["a"], 3)
    old_done, old_running, young_done = ids["a"]
    store.append_event(event(old_done), holder="w")
    finish(store, old_done)
    clock.advance(10 * DAY)
    finish(store, young_done, DeploymentStatus.FAILED)
    clock.advance(RETENTION - 10 * DAY + 1)  # old_done is past it, young_done is not

    populate(store, clock, ["b"], 1)  # a deployment starts: expired ones are purged

    assert [r.id for r in store.find(lease_key=key_of("a"))] == [young_done, old_running]
    with pytest.raises(DeploymentNotFound):
        store.get(old_done)
    assert store.events(old_done) == []
    assert store.get(old_running).status is DeploymentStatus.RUNNING  # never expires
    clock.advance(10 * DAY)
    assert store.purge_expired() == 1
    assert [r.id for r in store.find()] == [f"d-b-{0:04d}", old_running]


def test_redis_ttl_on_finished_keys_only(redis_server: RedisServer) -> None:
    clock = ManualClock()
    client = make_client(RedisOptions(url=redis_server.url, timeout=2.0))
    prefix = f"test-ttl-{next(_prefixes)}"
    store = RedisStateStore(client, prefix=prefix, clock=clock, retention=RETENTION)
    ids = populate(store, clock, ["a"], 2)
    done, running = ids["a"]
    for deployment_id in ids["a"]:
        store.append_event(event(deployment_id), holder="w")
    finish(store, done)
    store.append_event(event(done, message="after the finish"), holder="w")

    def k(kind: str, name: str) -> str:
        return f"{prefix}:{{{prefix}}}:{kind}:{name}"

    for kind in ("rec", "ev"):
        assert RETENTION * 1000 - 60_000 < client.pttl(k(kind, done)) <= RETENTION * 1000
        assert client.pttl(k(kind, running)) == -1  # no expiry
    # Reopened by a rollback: unfinished again, so it never expires.
    finish(store, done, DeploymentStatus.ROLLING_BACK)
    assert client.pttl(k("rec", done)) == -1
    assert client.pttl(k("ev", done)) == -1
    assert client.zcard(k("exp", "")) == 0
    # Finished again, then past the retention: its index entries are cleaned when a deployment
    # starts (its keys expire by their TTL on the server's clock; they are deleted too).
    finish(store, done)
    clock.advance(RETENTION + 1)
    populate(store, clock, ["b"], 1)
    assert client.zscore(k("idx", ""), done) is None
    assert client.zscore(k("cidx", key_of("a")), done) is None
    assert client.zcard(k("exp", "")) == 0
    assert client.exists(k("rec", done), k("ev", done)) == 0
    assert [r.id for r in store.find(lease_key=key_of("a"))] == [running]
    store.close()


# -- fenced, store-numbered events ---------------------------------------------------------------
def test_events_are_fenced_and_numbered_by_the_store(stores: Stores) -> None:
    store, clock = stores.open(), stores.clock
    ids = populate(store, clock, ["a"], 1)
    (deployment_id,) = ids["a"]
    first = store.append_event(event(deployment_id, seq=7), holder="w")
    second = store.append_event(event(deployment_id, seq=7), holder="w")
    assert (first.seq, second.seq) == (1, 2)  # the writer's numbers are replaced

    clock.advance(3601)  # w's lease expired...
    assert store.acquire_lease(key_of("a"), "new", 60)  # ...and another worker took it
    with pytest.raises(LeaseLost):
        store.append_event(event(deployment_id, message="stale"), holder="w")
    assert store.append_event(event(deployment_id), holder="new").seq == 3
    assert [(e.seq, e.message) for e in store.events(deployment_id)] == [
        (1, "m"),
        (2, "m"),
        (3, "m"),
    ]
    with pytest.raises(DeploymentNotFound):
        store.append_event(event("d-unknown"), holder="new")


def test_concurrent_appends_get_distinct_consecutive_seqs(stores: Stores) -> None:
    writer = stores.open()
    (deployment_id,) = populate(writer, stores.clock, ["a"], 1)["a"]
    workers = [stores.open(), stores.open()]  # two connections, like two processes
    got: list[list[int]] = [[], []]
    start = threading.Barrier(2)

    def append(i: int) -> None:
        start.wait()
        for n in range(40):
            stored = workers[i].append_event(event(deployment_id, message=f"{i}-{n}"), holder="w")
            got[i].append(stored.seq)

    threads = [threading.Thread(target=append, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(got[0] + got[1]) == list(range(1, 81))
    events = writer.events(deployment_id)
    assert [e.seq for e in events] == list(range(1, 81))
    by_seq = {e.seq: e.message for e in events}
    assert [by_seq[s] for s in got[0]] == [f"0-{n}" for n in range(40)]


def test_preview_store_writes_no_event(stores: Stores) -> None:
    store = stores.open()
    (deployment_id,) = populate(store, stores.clock, ["a"], 1)["a"]
    preview = PreviewStore(store)
    proposed = event(deployment_id, seq=5)
    assert preview.append_event(proposed, holder="dry-run") == proposed
    assert store.events(deployment_id) == []


# -- data written before -------------------------------------------------------------------------
_OLD_SQLITE_SCHEMA = """
CREATE TABLE IF NOT EXISTS deployments (
  id TEXT PRIMARY KEY, lease_key TEXT NOT NULL, status TEXT NOT NULL,
  created REAL NOT NULL, data TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS deployments_cluster ON deployments (lease_key, created);
CREATE TABLE IF NOT EXISTS events (
  deployment_id TEXT NOT NULL, seq INTEGER NOT NULL, data TEXT NOT NULL,
  PRIMARY KEY (deployment_id, seq));
CREATE TABLE IF NOT EXISTS leases (key TEXT PRIMARY KEY, holder TEXT NOT NULL, expires REAL NOT NULL);
CREATE TABLE IF NOT EXISTS flags (name TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


def old_records(clock: ManualClock) -> list[DeploymentRecord]:
    t = clock.now() - timedelta(days=400)
    return [
        make_record("a", 0, t, DeploymentStatus.SUCCEEDED),
        make_record("a", 1, t + timedelta(hours=1), DeploymentStatus.RUNNING),
        make_record("b", 0, t + timedelta(hours=2), DeploymentStatus.FAILED),
    ]


def test_an_sqlite_file_from_before_is_migrated(tmp_path: Path) -> None:
    path, clock = tmp_path / "old.sqlite3", ManualClock()
    records = old_records(clock)
    db = sqlite3.connect(path)
    db.executescript(_OLD_SQLITE_SCHEMA)
    for r in records:
        db.execute(
            "INSERT INTO deployments (id, lease_key, status, created, data) VALUES (?,?,?,?,?)",
            (r.id, r.lease_key, r.status.value, r.created_at.timestamp(), r.model_dump_json()),
        )
    db.execute(
        "INSERT INTO events (deployment_id, seq, data) VALUES (?,?,?)",
        (records[1].id, 1, event(records[1].id, seq=1).model_dump_json()),
    )
    db.commit()
    db.close()

    store = SqliteStateStore(path, clock=clock, retention=RETENTION)
    again = SqliteStateStore(path, clock=clock, retention=RETENTION)  # a second opener: no-op
    assert [r.id for r in store.find(lease_key=key_of("a"))] == [records[1].id, records[0].id]
    assert [r.id for r in store.find(unfinished=True)] == [records[1].id]
    assert [r.id for r in again.find(unfinished=False)] == [records[2].id, records[0].id]
    # Events continue where the old writer stopped, fenced.
    assert store.acquire_lease(key_of("a"), "w", 60)
    assert store.append_event(event(records[1].id), holder="w").seq == 2
    # Finished before the upgrade: kept a full retention from the migration, then purged.
    assert store.purge_expired() == 0
    clock.advance(RETENTION + 1)
    assert store.purge_expired() == 2
    assert [r.id for r in store.find()] == [records[1].id]
    check = sqlite3.connect(path)
    assert check.execute("PRAGMA user_version").fetchone()[0] == 2
    indexes = {r[0] for r in check.execute("SELECT name FROM sqlite_master WHERE type='index'")}
    assert {"deployments_unfinished", "deployments_expiry"} <= indexes
    check.close()
    store.close()
    again.close()


def test_redis_data_from_before_is_indexed(redis_server: RedisServer) -> None:
    clock = ManualClock()
    client = make_client(RedisOptions(url=redis_server.url, timeout=2.0))
    prefix = f"test-old-{next(_prefixes)}"
    p = f"{prefix}:{{{prefix}}}"
    records = old_records(clock)
    for r in records:  # the old layout: records, one index of all ids, event lists, no TTL
        client.set(f"{p}:rec:{r.id}", r.model_dump_json())
        client.zadd(f"{p}:idx:", {r.id: r.created_at.timestamp()})
    client.rpush(f"{p}:ev:{records[1].id}", event(records[1].id, seq=1).model_dump_json())

    store = RedisStateStore(client, prefix=prefix, clock=clock, retention=RETENTION)
    assert [r.id for r in store.find(lease_key=key_of("a"))] == [records[1].id, records[0].id]
    assert [r.id for r in store.find(lease_key=key_of("a"), unfinished=True)] == [records[1].id]
    assert [r.id for r in store.find(unfinished=True)] == [records[1].id]
    assert client.pttl(f"{p}:rec:{records[0].id}") > 0
    assert client.pttl(f"{p}:rec:{records[1].id}") == -1
    assert store.acquire_lease(key_of("a"), "w", 60)
    assert store.append_event(event(records[1].id), holder="w").seq == 2
    # Another store on the same data does not index it again.
    assert client.get(f"{p}:schema:") == b"2"
    clock.advance(RETENTION + 1)
    assert store.purge_expired() == 2
    assert [r.id for r in RedisStateStore(client, prefix=prefix, clock=clock).find()] == [
        records[1].id
    ]
    store.close()


# -- configuration -------------------------------------------------------------------------------
def test_retention_option() -> None:
    assert DeploymentsConfig().retention == 30 * DAY
    assert DeploymentsConfig(retention="7d").retention == 7 * DAY
    with pytest.raises(ValidationError):
        DeploymentsConfig(retention=0)
    with pytest.raises(ValidationError, match="lease_wait"):
        DeploymentsConfig(retention="1m", lease_wait="5m")
    with pytest.raises(ValidationError):
        DeploymentsConfig(retention="soon")
