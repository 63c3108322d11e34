"""The state store contract, shared by the SQLite and Redis stores, and opening the configured one.

Three promises matter: ``create``, ``save`` and ``append_event`` are *fenced* (each succeeds only
while the caller holds the cluster's lease, checked in the same transaction as the write); every
failure to reach the store raises ``StateStoreUnavailable`` so the executor fails closed; and the
cost of the lookups a deployment makes grows with the records of its cluster (``find`` goes through
per-cluster and "unfinished" indexes), not with the store's history, which is bounded anyway: a
finished record and its events expire ``retention`` seconds after it finished.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

from cloudrig._clock import Clock
from cloudrig._config._deployments import DeploymentsConfig
from cloudrig.engine._records import DeploymentEvent, DeploymentRecord


@runtime_checkable
class StateStore(Protocol):
    """Where deployments' records, events, cluster leases and the drain flag live: SQLite on one
    host (``SqliteStateStore``), Redis for many (``RedisStateStore``); ``open_store`` opens the
    configured one. Writes of a deployment are fenced by its cluster's lease (module docstring)."""

    # -- records ---------------------------------------------------------------------------------
    def create(self, record: DeploymentRecord, *, holder: str) -> None:
        """Insert a new record if ``holder`` holds its cluster's lease; else ``LeaseLost`` (so a
        worker that stalled past its lease cannot leave a second, orphaned deployment behind)."""

    def save(self, record: DeploymentRecord, *, holder: str) -> None:
        """Update a record if ``holder`` holds its cluster's lease (and extend it); else
        ``LeaseLost``."""

    def get(self, deployment_id: str) -> DeploymentRecord:
        """The record; ``DeploymentNotFound`` when unknown."""
        ...

    def find(
        self, *, lease_key: str | None = None, unfinished: bool | None = None
    ) -> list[DeploymentRecord]:
        """Records, newest first, optionally of one cluster and/or only unfinished ones (through
        indexes: the cost is that of the records returned, not of the history)."""
        ...

    def set_approval(self, deployment_id: str, gate: str, approved: bool) -> None:
        """A human's decision at a gate (unfenced: it is not a mutation of the cloud)."""

    # -- events ----------------------------------------------------------------------------------
    def append_event(self, event: DeploymentEvent, *, holder: str) -> DeploymentEvent:
        """Append an event of an existing deployment if ``holder`` holds its cluster's lease; else
        ``LeaseLost`` (a stale worker's event is refused). The store assigns ``seq`` (the next of
        that deployment's, atomically with the write) and returns the event as stored."""
        ...

    def events(self, deployment_id: str) -> list[DeploymentEvent]:
        """The deployment's events in order (``seq`` 1, 2, …); empty when it has none."""
        ...

    # -- lease -----------------------------------------------------------------------------------
    def acquire_lease(self, key: str, holder: str, ttl: float) -> bool:
        """Take the lease when free or expired (or already ours); True when held afterwards."""
        ...

    def renew_lease(self, key: str, holder: str, ttl: float) -> bool:
        """Extend the lease if ``holder`` still holds it; False when lost."""
        ...

    def release_lease(self, key: str, holder: str) -> None:
        """Free the lease if ``holder`` holds it (nothing otherwise: another's lease stays)."""

    def lease_holder(self, key: str) -> str | None:
        """Who holds the lease now, or None when it is free or expired."""
        ...

    # -- drain -----------------------------------------------------------------------------------
    def set_draining(self, draining: bool) -> None:
        """Turn the drain switch on or off for every process using this store (``cloudrig
        drain``): while on, no new deployment starts; those under way finish."""

    def draining(self) -> bool:
        """Whether the drain switch is on."""
        ...

    def close(self) -> None:
        """Release the store's connections; the store is not used afterwards."""


def open_store(config: DeploymentsConfig, clock: Clock) -> StateStore:
    """The store the ``deployments:`` configuration names: Redis (``store: redis``) or the
    SQLite file at ``sqlite_path``, with its retention and lease TTL."""
    if config.store == "redis":
        from cloudrig.engine._redis import RedisStateStore

        assert config.redis is not None  # checked by the model
        store = RedisStateStore.from_options(
            config.redis, prefix=config.key_prefix, retention=config.retention
        )
        store.lease_ttl = config.lease_ttl
        return store
    from cloudrig.engine._sqlite import SqliteStateStore

    return SqliteStateStore(config.sqlite_path, clock=clock, retention=config.retention)


class PreviewStore:
    """For dry runs: reads from the real store (when there is one), writes nothing."""

    def __init__(self, store: StateStore | None) -> None:
        self._store = store

    def find(self, **kwargs: Any) -> list[DeploymentRecord]:
        return self._store.find(**kwargs) if self._store else []

    def get(self, deployment_id: str) -> DeploymentRecord:
        from cloudrig.engine._errors import DeploymentNotFound

        if self._store is None:
            raise DeploymentNotFound(deployment_id)
        return self._store.get(deployment_id)

    def append_event(self, event: DeploymentEvent, *, holder: str) -> DeploymentEvent:
        return event  # written nowhere; the writer's own numbering stands
