"""The default state store: SQLite in a local file (embedded, nothing to run).

WAL mode so readers (``cloudrig deployments``) never block a running deployment; ``BEGIN
IMMEDIATE`` around every lease decision and fenced save so two processes on one file serialize
there. Lease expiry is measured on the store's clock (the Rig's, so tests run in virtual time);
one file is one machine, so every worker reads the same clock.

Lookups go through indexes: by cluster on ``(lease_key, created)``, unfinished ones on a partial
index of the rows whose ``finished_at`` is NULL. A finished row (with its events) is deleted
``retention`` seconds after it finished, in batches, when a deployment is created. Events are
numbered here, in the fenced transaction that writes them. Files from before ``finished_at``
existed are migrated when opened (``PRAGMA user_version`` 0 -> 2).
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from cloudrig._clock import Clock, SystemClock
from cloudrig._config._deployments import DEFAULT_RETENTION
from cloudrig.engine._errors import DeploymentNotFound, LeaseLost, StateStoreUnavailable
from cloudrig.engine._records import DeploymentEvent, DeploymentRecord, DeploymentStatus
from cloudrig.engine._store import StateStore

_SCHEMA = """
CREATE TABLE IF NOT EXISTS deployments (
  id TEXT PRIMARY KEY, lease_key TEXT NOT NULL, status TEXT NOT NULL,
  created REAL NOT NULL, data TEXT NOT NULL, finished_at REAL);
CREATE INDEX IF NOT EXISTS deployments_cluster ON deployments (lease_key, created);
CREATE TABLE IF NOT EXISTS events (
  deployment_id TEXT NOT NULL, seq INTEGER NOT NULL, data TEXT NOT NULL,
  PRIMARY KEY (deployment_id, seq));
CREATE TABLE IF NOT EXISTS leases (key TEXT PRIMARY KEY, holder TEXT NOT NULL, expires REAL NOT NULL);
CREATE TABLE IF NOT EXISTS flags (name TEXT PRIMARY KEY, value TEXT NOT NULL);
"""
# Created once ``finished_at`` exists (after the migration of an old file).
_INDEXES = """
CREATE INDEX IF NOT EXISTS deployments_unfinished ON deployments (lease_key, created)
  WHERE finished_at IS NULL;
CREATE INDEX IF NOT EXISTS deployments_expiry ON deployments (finished_at)
  WHERE finished_at IS NOT NULL;
"""
_VERSION = 2
_FINISHED = tuple(s.value for s in DeploymentStatus if s.finished)
_PURGE_BATCH = 500


class SqliteStateStore(StateStore):
    """The state store in one SQLite file (WAL mode) for the processes of one host: the default
    (``deployments.path``, else the user's XDG state directory). Its methods are ``StateStore``'s."""

    def __init__(
        self,
        path: str | Path,
        *,
        clock: Clock | None = None,
        retention: float = DEFAULT_RETENTION,
    ) -> None:
        self.path = Path(path)
        self.clock: Clock = clock or SystemClock()
        self.retention = retention
        self._lock = threading.RLock()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(
                self.path, timeout=10.0, isolation_level=None, check_same_thread=False
            )
            self._db.execute("PRAGMA journal_mode=WAL")
            # NORMAL: no fsync per commit; in WAL mode the file stays consistent through a crash
            # and a power loss can only drop the last commits. That is safe here because every
            # step is idempotent and creates are found again by deployment id, and it makes a
            # checkpoint cost microseconds instead of a disk flush.
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(_SCHEMA)
            self._migrate()
        except (OSError, sqlite3.Error) as exc:
            raise StateStoreUnavailable(f"state store {self.path}: {exc}") from exc

    def _migrate(self) -> None:
        """Bring a file written by an older cloudrig up to this schema (idempotent; ``BEGIN
        IMMEDIATE`` so two processes opening one old file migrate it once)."""
        if self._db.execute("PRAGMA user_version").fetchone()[0] >= _VERSION:
            return
        self._db.execute("BEGIN IMMEDIATE")
        try:
            columns = {r[1] for r in self._db.execute("PRAGMA table_info(deployments)")}
            if "finished_at" not in columns:
                self._db.execute("ALTER TABLE deployments ADD COLUMN finished_at REAL")
                # The retention of what finished before the upgrade starts now.
                marks = ",".join("?" * len(_FINISHED))
                self._db.execute(
                    f"UPDATE deployments SET finished_at = ? WHERE status IN ({marks})",
                    (self._now(), *_FINISHED),
                )
            for statement in _INDEXES.split(";"):
                if statement.strip():
                    self._db.execute(statement)
            self._db.execute(f"PRAGMA user_version = {_VERSION}")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def __repr__(self) -> str:
        return f"<SqliteStateStore {str(self.path)!r}>"

    def _now(self) -> float:
        return self.clock.now().timestamp()

    @contextmanager
    def _tx(self, immediate: bool = False) -> Iterator[sqlite3.Connection]:
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE" if immediate else "BEGIN")
                try:
                    yield self._db
                except BaseException:
                    self._db.execute("ROLLBACK")
                    raise
                self._db.execute("COMMIT")
            except sqlite3.Error as exc:
                raise StateStoreUnavailable(f"state store {self.path}: {exc}") from exc

    # -- records ---------------------------------------------------------------------------------
    def _finished_at(self, record: DeploymentRecord) -> float | None:
        return self._now() if record.status.finished else None

    def create(self, record: DeploymentRecord, *, holder: str) -> None:
        with self._tx(immediate=True) as db:
            if not self._holds(db, record.lease_key, holder):
                raise LeaseLost(record.lease_key, holder)
            db.execute(
                "INSERT INTO deployments (id, lease_key, status, created, data, finished_at) "
                "VALUES (?,?,?,?,?,?)",
                (
                    record.id,
                    record.lease_key,
                    record.status.value,
                    record.created_at.timestamp(),
                    record.model_dump_json(),
                    self._finished_at(record),
                ),
            )
            self._purge(db)  # opportunistically, when a deployment starts

    def save(self, record: DeploymentRecord, *, holder: str) -> None:
        with self._tx(immediate=True) as db:
            if not self._holds(db, record.lease_key, holder):
                raise LeaseLost(record.lease_key, holder)
            db.execute(
                "UPDATE deployments SET status = ?, data = ?, finished_at = ? WHERE id = ?",
                (
                    record.status.value,
                    record.model_dump_json(),
                    self._finished_at(record),
                    record.id,
                ),
            )

    def purge_expired(self) -> int:
        """Delete the finished records (and their events) older than ``retention``, one batch;
        how many. ``create`` calls it; a caller may too (e.g. from a maintenance job)."""
        with self._tx(immediate=True) as db:
            return self._purge(db)

    def _purge(self, db: sqlite3.Connection) -> int:
        rows = db.execute(
            "SELECT id FROM deployments WHERE finished_at IS NOT NULL AND finished_at < ? LIMIT ?",
            (self._now() - self.retention, _PURGE_BATCH),
        ).fetchall()
        if rows:
            db.executemany("DELETE FROM events WHERE deployment_id = ?", rows)
            db.executemany("DELETE FROM deployments WHERE id = ?", rows)
        return len(rows)

    def get(self, deployment_id: str) -> DeploymentRecord:
        with self._tx() as db:
            row = db.execute(
                "SELECT data FROM deployments WHERE id = ?", (deployment_id,)
            ).fetchone()
        if row is None:
            raise DeploymentNotFound(f"no deployment {deployment_id!r} in {self.path}")
        return DeploymentRecord.model_validate_json(row[0])

    def find(
        self, *, lease_key: str | None = None, unfinished: bool | None = None
    ) -> list[DeploymentRecord]:
        query, args = "SELECT data FROM deployments WHERE 1=1", []
        if lease_key is not None:
            query += " AND lease_key = ?"
            args.append(lease_key)
        if unfinished is not None:
            # ``finished_at IS NULL`` is what the partial index deployments_unfinished covers.
            query += f" AND finished_at IS {'' if unfinished else 'NOT '}NULL"
        with self._tx() as db:
            rows = db.execute(query + " ORDER BY created DESC, rowid DESC", args).fetchall()
        return [DeploymentRecord.model_validate_json(r[0]) for r in rows]

    def set_approval(self, deployment_id: str, gate: str, approved: bool) -> None:
        with self._tx(immediate=True) as db:
            row = db.execute(
                "SELECT data FROM deployments WHERE id = ?", (deployment_id,)
            ).fetchone()
            if row is None:
                raise DeploymentNotFound(f"no deployment {deployment_id!r} in {self.path}")
            record = DeploymentRecord.model_validate_json(row[0])
            record.approvals[gate] = approved
            db.execute(
                "UPDATE deployments SET data = ? WHERE id = ?",
                (record.model_dump_json(), deployment_id),
            )

    # -- events ----------------------------------------------------------------------------------
    def append_event(self, event: DeploymentEvent, *, holder: str) -> DeploymentEvent:
        with self._tx(immediate=True) as db:
            row = db.execute(
                "SELECT lease_key FROM deployments WHERE id = ?", (event.deployment_id,)
            ).fetchone()
            if row is None:
                raise DeploymentNotFound(f"no deployment {event.deployment_id!r} in {self.path}")
            if not self._holds(db, row[0], holder):
                raise LeaseLost(row[0], holder)
            (seq,) = db.execute(
                "SELECT COALESCE(MAX(seq), 0) + 1 FROM events WHERE deployment_id = ?",
                (event.deployment_id,),
            ).fetchone()
            stored = event.model_copy(update={"seq": seq})
            db.execute(
                "INSERT INTO events (deployment_id, seq, data) VALUES (?,?,?)",
                (stored.deployment_id, seq, stored.model_dump_json()),
            )
        return stored

    def events(self, deployment_id: str) -> list[DeploymentEvent]:
        with self._tx() as db:
            rows = db.execute(
                "SELECT data FROM events WHERE deployment_id = ? ORDER BY seq", (deployment_id,)
            ).fetchall()
        return [DeploymentEvent.model_validate_json(r[0]) for r in rows]

    # -- lease -----------------------------------------------------------------------------------
    def _holds(self, db: sqlite3.Connection, key: str, holder: str) -> bool:
        row = db.execute("SELECT holder, expires FROM leases WHERE key = ?", (key,)).fetchone()
        return row is not None and row[0] == holder and row[1] > self._now()

    def acquire_lease(self, key: str, holder: str, ttl: float) -> bool:
        with self._tx(immediate=True) as db:
            row = db.execute("SELECT holder, expires FROM leases WHERE key = ?", (key,)).fetchone()
            now = self._now()
            if row is not None and row[0] != holder and row[1] > now:
                return False
            db.execute(
                "INSERT OR REPLACE INTO leases (key, holder, expires) VALUES (?,?,?)",
                (key, holder, now + ttl),
            )
            return True

    def renew_lease(self, key: str, holder: str, ttl: float) -> bool:
        with self._tx(immediate=True) as db:
            if not self._holds(db, key, holder):
                return False
            db.execute("UPDATE leases SET expires = ? WHERE key = ?", (self._now() + ttl, key))
            return True

    def release_lease(self, key: str, holder: str) -> None:
        with self._tx(immediate=True) as db:
            db.execute("DELETE FROM leases WHERE key = ? AND holder = ?", (key, holder))

    def lease_holder(self, key: str) -> str | None:
        with self._tx() as db:
            row = db.execute("SELECT holder, expires FROM leases WHERE key = ?", (key,)).fetchone()
        return row[0] if row is not None and row[1] > self._now() else None

    # -- drain -----------------------------------------------------------------------------------
    def set_draining(self, draining: bool) -> None:
        with self._tx(immediate=True) as db:
            db.execute(
                "INSERT OR REPLACE INTO flags (name, value) VALUES ('drain', ?)",
                ("1" if draining else "0",),
            )

    def draining(self) -> bool:
        with self._tx() as db:
            row = db.execute("SELECT value FROM flags WHERE name = 'drain'").fetchone()
        return row is not None and row[0] == "1"

    def close(self) -> None:
        with self._lock:
            self._db.close()
