"""A what-if copy of one cluster, for dry runs: the strategy's own steps run against it, so a dry
run shows the changes that very strategy would make (plugins' strategies included), not a
description of them.

The copy starts from the cloud's answers (reads only: the cluster's groups, their health, the
traffic weights) and from then on answers from memory: a create, resize, enable, disable, destroy
or weight change is applied to the copy and never sent. New instances are assumed to get healthy
(a dry run cannot know otherwise); instances that exist keep the health the cloud reported.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from cloudrig._account import Account
from cloudrig._errors import NotFound
from cloudrig._model._health import HealthDetail, HealthState
from cloudrig._model._resources import (
    Capacity,
    Cluster,
    Instance,
    Moniker,
    ServerGroup,
    ServerGroupSpec,
    TrafficWeights,
)
from cloudrig.engine._run import even_shares
from cloudrig.engine._store import PreviewStore


class SkippingClock:
    """Virtual time from now: a sleep returns at once and moves the time on."""

    def __init__(self, start: datetime) -> None:
        self._now, self._elapsed = start, 0.0

    def now(self) -> datetime:
        return self._now + timedelta(seconds=self._elapsed)

    def monotonic(self) -> float:
        return self._elapsed

    def sleep(self, seconds: float) -> None:
        self._elapsed += max(0.0, seconds)


class WhatIfLease:
    """Lets the steps act on the what-if copy (the ``NullLease`` of ``Deployer.plan`` refuses
    every mutation); nothing acted on through it reaches the cloud."""

    key = holder = "what-if"
    ttl = 60.0
    held = True

    def check(self) -> None:
        pass

    def release(self) -> None:
        pass


class DiscardingStore(PreviewStore):
    """Reads from the real store (a rollback target is found there), writes nothing."""

    def save(self, record: Any, *, holder: str) -> None:
        pass

    def create(self, record: Any, *, holder: str) -> None:
        pass


class WhatIfAccount:
    """Duck-types the ``Account`` a ``Run`` uses, for one cluster in one region."""

    def __init__(self, account: Account, moniker: Moniker, region: str) -> None:
        self.real, self.name = account, account.name
        self.capabilities, self.naming = account.capabilities, account.naming
        self.regions, self.descriptor = account.regions, account.descriptor
        self.moniker, self.region = moniker, region
        cluster = account.get_cluster(moniker, region)
        self.groups: dict[str, ServerGroup] = {g.name: g for g in cluster.server_groups}
        enabled = [n for n, g in self.groups.items() if g.enabled]
        self.weights: dict[str, int] | None = None
        if enabled and self.capabilities.splits_traffic:
            self.weights = dict(account.traffic.get_weights(region, enabled).weights)
        self.server_groups = _Groups(self)
        self.traffic = _Traffic(self)

    # -- what the strategies read --------------------------------------------------------------
    def shares(self) -> dict[str, int]:
        """Each group's percent of the traffic in the copy."""
        enabled = [n for n, g in self.groups.items() if g.enabled]
        if self.weights is not None:
            return {n: w for n, w in self.weights.items() if w and n in self.groups}
        return even_shares(enabled)

    def get_cluster(self, cluster: str | Moniker, region: str | None = None) -> Cluster:
        m = self.moniker
        return Cluster(
            name=m.cluster,
            account=self.name,
            app=m.app,
            stack=m.stack,
            detail=m.detail,
            server_groups=tuple(self.groups.values()),
        )

    def validate_spec(self, spec: ServerGroupSpec) -> Any:
        return self.real.validate_spec(spec)

    def create_server_group(
        self,
        spec: ServerGroupSpec,
        *,
        deployment_id: str | None = None,
        sequence: int | None = None,
    ) -> ServerGroup:
        moniker = spec.moniker.with_sequence(sequence)
        name = self.naming.server_group_name(moniker)
        group = ServerGroup(
            name=name,
            moniker=moniker,
            account=self.name,
            region=spec.region,
            zones=spec.zones,
            capacity=spec.capacity,
            instances=_healthy(name, spec.capacity.desired, ()),
            enabled=True,
            artifact=spec.artifact,
            load_balancers=spec.load_balancers,
            security_groups=spec.security_groups,
            deployment_id=deployment_id,
        )
        self.groups[name] = group
        self._membership_changed()
        return group

    def _membership_changed(self) -> None:
        """An enable or disable ends explicit weights (as on the clouds that split traffic)."""
        self.weights = None

    def group(self, name: str) -> ServerGroup:
        try:
            return self.groups[name]
        except KeyError:
            raise NotFound(f"server group {name!r} not found") from None


class _Groups:
    def __init__(self, whatif: WhatIfAccount) -> None:
        self.w = whatif

    def get(self, region: str, name: str) -> ServerGroup:
        return self.w.group(name)

    def list(self, app: str, region: str | None = None) -> list[ServerGroup]:
        return list(self.w.groups.values())

    def wait_for_health(
        self, region: str, name: str, *, healthy: int, timeout: float
    ) -> ServerGroup:
        return self.w.group(name)

    def resize(self, region: str, name: str, capacity: Capacity) -> None:
        group = self.w.group(name)
        instances = _healthy(name, capacity.desired, group.instances)
        self.w.groups[name] = group.model_copy(
            update={"capacity": capacity, "instances": instances}
        )

    def enable(self, region: str, name: str) -> None:
        self._set(name, True)

    def disable(self, region: str, name: str) -> None:
        self._set(name, False)

    def destroy(self, region: str, name: str) -> None:
        self.w.group(name)
        del self.w.groups[name]

    def _set(self, name: str, enabled: bool) -> None:
        group = self.w.group(name)
        self.w.groups[name] = group.model_copy(update={"enabled": enabled})
        self.w._membership_changed()


class _Traffic:
    def __init__(self, whatif: WhatIfAccount) -> None:
        self.w = whatif

    def get_weights(self, region: str, server_groups: Sequence[str]) -> TrafficWeights:
        shares = self.w.shares()
        return TrafficWeights(
            weights={n: s for n, s in shares.items() if n in server_groups or s > 0}
        )

    def set_weights(self, region: str, weights: TrafficWeights) -> None:
        for name, group in list(self.w.groups.items()):
            enabled = weights.weights.get(name, 0) > 0
            self.w.groups[name] = group.model_copy(update={"enabled": enabled})
        self.w.weights = dict(weights.weights)


def _healthy(name: str, desired: int, instances: tuple[Instance, ...]) -> tuple[Instance, ...]:
    """``desired`` instances: those that exist first (with their health), then new ones, Up."""
    kept = list(instances[:desired])
    up = (HealthDetail(source="what-if", state=HealthState.UP),)
    kept += [Instance(id=f"{name}/new-{i}", details=up) for i in range(len(kept), desired)]
    return tuple(kept)
