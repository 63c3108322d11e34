"""The start of a deployment: a snapshot of the cluster and the names of the groups to create.

Reads only. The snapshot — every group's capacity, whether it serves, its healthy count and traffic
share, its artifact — is what a failure restores and what a rollback later consults; the names are
reserved before anything is created so a create can be repeated (and found again) safely.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from cloudrig._account import Account
from cloudrig._clock import Clock
from cloudrig._model._names import next_sequence
from cloudrig._model._resources import Moniker, ServerGroupSpec
from cloudrig.engine._records import DeploymentRecord
from cloudrig.engine._run import classify, even_shares
from cloudrig.engine._state import DeploymentState, GroupSnapshot
from cloudrig.ratelimit import RetryPolicy

if TYPE_CHECKING:
    from cloudrig.strategies import Strategy


def new_record(
    account: Account,
    moniker: Moniker,
    region: str,
    spec: ServerGroupSpec | None,
    strategy: Strategy,
    fingerprint: str,
    *,
    kind: str = "deploy",
    clock: Clock,
    retry: RetryPolicy,
    idempotency_key: str | None = None,
) -> DeploymentRecord:
    """Snapshot the cluster and reserve the names of the groups to create (reads only)."""

    def read(fn: Callable[[], Any]) -> Any:
        return retry.run(fn, classify=classify, safe=True)

    cluster = read(lambda: account.get_cluster(moniker, region))
    groups = cluster.server_groups
    enabled = [g.name for g in groups if g.enabled]
    shares = even_shares(enabled)
    if enabled and account.capabilities.splits_traffic:
        shares = dict(read(lambda: account.traffic.get_weights(region, enabled)).weights)
    original = {
        g.name: GroupSnapshot(
            capacity=g.capacity,
            enabled=g.enabled,
            healthy=g.healthy,
            share=shares.get(g.name, 0) if g.enabled else 0,
            artifact=g.artifact,
        )
        for g in groups
    }
    healthy_serving = [g.name for g in groups if g.enabled and g.healthy > 0]
    taken = [g.moniker.sequence for g in groups if g.moniker.sequence is not None]
    latest = groups[-1].moniker.sequence if groups else None
    sequences: dict[str, int] = {}
    names: dict[str, str] = {}
    for role in strategy.roles:
        seq = next_sequence(taken, latest)
        taken.append(seq)
        latest = seq
        sequences[role] = seq
        names[role] = account.naming.server_group_name(moniker.with_sequence(seq))
    now = clock.now()
    base = moniker.with_sequence(None)
    return DeploymentRecord(
        id=f"d{uuid.uuid4().hex[:15]}",
        kind=kind,
        account=account.name,
        region=region,
        moniker=base,
        spec=spec,
        strategy=strategy.name,
        params=strategy.params(),
        fingerprint=fingerprint,
        created_at=now,
        updated_at=now,
        idempotency_key=idempotency_key,
        state=DeploymentState(
            original=original,
            sequences=sequences,
            names=names,
            previous=healthy_serving[-1] if healthy_serving else None,
        ),
    )
