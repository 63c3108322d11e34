"""Opening the configured state store."""

from __future__ import annotations

from typing import Any

from cloudrig._clock import Clock
from cloudrig._deploy_options import DeploymentsConfig
from cloudrig.deploy._records import DeploymentEvent, DeploymentRecord
from cloudrig.deploy._store import StateStore


def open_store(config: DeploymentsConfig, clock: Clock) -> StateStore:
    if config.store == "redis":
        from cloudrig.deploy._redis import RedisStateStore

        assert config.redis is not None  # checked by the model
        store = RedisStateStore.from_options(config.redis, prefix=config.key_prefix)
        store.lease_ttl = config.lease_ttl
        return store
    from cloudrig.deploy._sqlite import SqliteStateStore

    return SqliteStateStore(config.sqlite_path, clock=clock)


class PreviewStore:
    """For dry runs: reads from the real store (when there is one), writes nothing."""

    def __init__(self, store: StateStore | None) -> None:
        self._store = store

    def find(self, **kwargs: Any) -> list[DeploymentRecord]:
        return self._store.find(**kwargs) if self._store else []

    def get(self, deployment_id: str) -> DeploymentRecord:
        from cloudrig.deploy._errors import DeploymentNotFound

        if self._store is None:
            raise DeploymentNotFound(deployment_id)
        return self._store.get(deployment_id)

    def append_event(self, event: DeploymentEvent) -> None:
        pass
