"""Finding the deployment a request means: by the caller's idempotency key, by its id, or the
unfinished deployment of the same spec on the cluster; and the region of a cluster."""

from __future__ import annotations

from cloudrig._account import Account
from cloudrig._errors import InvalidSpec
from cloudrig._model._resources import Moniker
from cloudrig.engine._errors import DeploymentConflict
from cloudrig.engine._records import DeploymentRecord
from cloudrig.engine._store import StateStore


def by_key(
    store: StateStore, key: str, idempotency_key: str | None, fingerprint: str
) -> DeploymentRecord | None:
    """The deployment of this cluster that an earlier request with ``idempotency_key`` made,
    whatever its status; a key reused for another spec or strategy is a conflict."""
    if idempotency_key is None:
        return None
    for record in store.find(lease_key=key):
        if record.idempotency_key == idempotency_key:
            if record.fingerprint != fingerprint:
                raise DeploymentConflict(
                    f"idempotency key {idempotency_key!r} was used by deployment {record.id} "
                    f"of cluster {record.cluster} with another spec or strategy"
                )
            return record
    return None


def existing(
    store: StateStore, key: str, fingerprint: str, wanted: str | None
) -> DeploymentRecord | None:
    if wanted is not None:
        record = store.get(wanted)
        if record.lease_key != key:
            raise DeploymentConflict(f"deployment {wanted} is for another cluster")
        return record
    unfinished = store.find(lease_key=key, unfinished=True)
    if not unfinished:
        return None
    if unfinished[0].fingerprint != fingerprint:
        other = unfinished[0]
        raise DeploymentConflict(
            f"deployment {other.id} ({other.strategy}, {other.status.value}) is unfinished on "
            f"cluster {other.cluster}: resume, promote, roll back or abort it first "
            f"(cloudrig resume {other.id}, cloudrig abort {other.id})"
        )
    return unfinished[0]


def region_of(account: Account, moniker: Moniker) -> str:
    if len(account.regions) == 1:
        return account.regions[0]
    regions = {g.region for g in account.get_cluster(moniker).server_groups if g.enabled}
    if len(regions) != 1:
        raise InvalidSpec(
            f"name the region of cluster {moniker.cluster} (found: "
            f"{', '.join(sorted(regions)) or 'none enabled'})"
        )
    return regions.pop()
