"""What the pages show, read through the public ``Rig``: clusters with their server groups, health
and traffic (as ``cloudrig cluster show`` reads them), and deployments from the state store with
their steps, events and the canary judge's report (as ``cloudrig deployments show`` reads them).

Every function here is blocking (cloud reads, the store): the app calls them in a thread.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cloudrig import CloudrigError, Cluster, Moniker, Rig
from cloudrig._cli.cluster import traffic_shares
from cloudrig._cli.deployments import steps_data
from cloudrig.engine import DeploymentEvent, DeploymentRecord, DeploymentStatus


@dataclass(frozen=True)
class ClusterKey:
    account: str
    region: str | None
    moniker: Moniker

    @property
    def sort_key(self) -> tuple[str, str, str]:
        return (self.account, self.moniker.cluster, self.region or "")


@dataclass
class ClusterView:
    key: ClusterKey
    cluster: Cluster | None = None
    traffic: dict[str, int] = field(default_factory=dict)
    error: str | None = None


@dataclass
class DeploymentView:
    record: DeploymentRecord
    steps: list[dict[str, Any]]
    events: list[DeploymentEvent]

    @property
    def awaiting_approval(self) -> bool:
        return self.record.status is DeploymentStatus.AWAITING_APPROVAL


def known_clusters(rig: Rig, apps: tuple[str, ...]) -> list[ClusterKey]:
    """Clusters the state store has deployed to, and every cluster of ``apps`` in each account."""
    keys: dict[tuple[str, str | None, str, str, str], ClusterKey] = {}

    def add(key: ClusterKey) -> None:
        m = key.moniker
        keys.setdefault((key.account, key.region, m.app, m.stack, m.detail), key)

    for record in rig.deployments(unfinished=None):
        add(ClusterKey(record.account, record.region, record.moniker))
    for account in rig.accounts if apps else ():
        for app in apps:
            for found in rig.account(account).list_clusters(app):
                for region in sorted({g.region for g in found.server_groups}):
                    moniker = Moniker(app=found.app, stack=found.stack, detail=found.detail)
                    add(ClusterKey(account, region, moniker))
    return sorted(keys.values(), key=lambda k: k.sort_key)


def read_clusters(rig: Rig, apps: tuple[str, ...]) -> list[ClusterView]:
    """Each known cluster with its server groups and traffic; a cluster the cloud cannot be asked
    about carries the error instead of failing the whole page."""
    views = []
    for key in known_clusters(rig, apps):
        view = ClusterView(key)
        try:
            view.cluster = rig.cluster(key.account, key.moniker, key.region)
            view.traffic = traffic_shares(view.cluster, rig)
        except CloudrigError as exc:
            view.error = str(exc)
        views.append(view)
    return views


def read_deployments(rig: Rig, limit: int = 50) -> tuple[list[DeploymentRecord], bool]:
    """Deployments newest first (those in flight and the latest finished), and the drain switch."""
    records = rig.deployments(unfinished=None)[:limit]
    return records, rig.deployer.store.draining()


def read_deployment(rig: Rig, deployment_id: str) -> DeploymentView:
    """One deployment (``DeploymentNotFound`` when unknown) with its steps and events."""
    record = rig.deployment(deployment_id)
    return DeploymentView(record, steps_data(record), rig.deployment_events(deployment_id))
