"""The invariants of docs/architecture.md §6, checked on the reference cloud's own state.

Invariants 1-3 after every mutating call (an observer of the cloud's history, so a violation that
lasts one call is caught), the others at the end and after resuming. The checker reads the cloud's
records directly, never the strategy's beliefs, so a strategy cannot pass by agreeing with itself.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from strategies.world import World

from cloudrig import Capacity, HealthState
from cloudrig.engine import DeploymentRecord, DeploymentStatus
from cloudrig.provider import MUTATING
from cloudrig.testing import ReferenceCloud


@dataclass
class Checker:
    world: World
    service_size: int
    """The capacity the whole service needs (the spec's desired): traffic w% needs w% of it."""
    protected: set[str] | None = None
    """Groups that must stay in traffic until the replacement is verified (default: every group
    enabled at the start)."""
    replacement: str | None = None
    """The group whose health 'verifies' the change (default: any group created meanwhile)."""
    violations: list[str] = field(default_factory=list)
    forced: set[str] = field(default_factory=set)
    checks: int = 0
    interrupted: str | None = None

    def __post_init__(self) -> None:
        cloud = self.world.cloud
        with cloud.lock:
            groups = self._groups()
            self.original = {g.name: {"enabled": g.enabled, "capacity": g.capacity} for g in groups}
            healthy = sum(self._up(g) for g in groups if g.enabled)
        if self.protected is None:
            self.protected = {n for n, o in self.original.items() if o["enabled"]}
        self.promise = min(healthy, self.service_size)
        self.verified = False
        self.created: set[str] = set()
        self.last = {g.name: g.enabled for g in groups}
        cloud.observers.insert(0, self._observe)

    # -- reading the cloud -------------------------------------------------------------------------
    def _groups(self) -> list[Any]:
        cloud = self.world.cloud
        key = (self.world.spec("x").region, "shop", "prod", "")
        return cloud.cluster_groups(key)

    def _up(self, group: Any, *, count_forced: bool = False) -> int:
        if not group.enabled:
            return 0
        return sum(
            1
            for i in group.instances
            if i.state is HealthState.UP or (count_forced and i.id in self.forced)
        )

    def force_old_down(self) -> None:
        """The fault 'unhealthy old group': every instance of the protected groups goes DOWN."""
        cloud = self.world.cloud
        with cloud.lock:
            for group in self._groups():
                if group.name in (self.protected or set()):
                    self.forced.update(i.id for i in group.instances)
                    cloud.set_instance_state(group.region, group.name, HealthState.DOWN)

    # -- after every event -------------------------------------------------------------------------
    def _observe(self, cloud: ReferenceCloud, event: Any) -> None:
        groups = {g.name: g for g in self._groups()}
        self.created.update(n for n in groups if n not in self.original)
        new_names = (
            [self.replacement]
            if self.replacement
            else [n for n in groups if n not in self.original]
        )
        for name in new_names:
            g = groups.get(name)
            if g is not None and self._up(g) >= self.service_size:
                self.verified = True
        if event.kind == "call" and event.operation in MUTATING:
            self.checks += 1
            self._check(event, groups)
        self.last = {n: g.enabled for n, g in groups.items()}

    def _fail(self, event: Any, message: str) -> None:
        self.violations.append(f"after {event.operation}({dict(event.args)}): {message}")

    def _check(self, event: Any, groups: dict[str, Any]) -> None:
        # 1. healthy enabled capacity holds until the replacement is verified
        if not self.verified:
            healthy = sum(self._up(g, count_forced=True) for g in groups.values())
            if healthy < self.promise:
                self._fail(event, f"invariant 1: {healthy} healthy enabled < {self.promise}")
        # 2. no weighted traffic to a group below the step's target
        key = next(iter(groups.values())).moniker if groups else None
        weights = {}
        if key is not None:
            weights = self.world.cloud.weights.get(
                (self.world.spec("x").region, key.app, key.stack, key.detail), {}
            )
        for name, weight in weights.items():
            g = groups.get(name)
            if g is None or not g.enabled or weight <= 0:
                continue
            if any(i.id in self.forced for i in g.instances):
                continue
            need = max(1, math.ceil(weight * self.service_size / 100 - 1e-9))
            if self._up(g) < need:
                self._fail(
                    event, f"invariant 2: {name} has {weight}% with {self._up(g)} < {need} up"
                )
        # 3. the old group leaves traffic only after the new one is verified; never destroyed in it
        for name in self.protected or ():
            was, now = self.last.get(name), groups.get(name)
            if was and now is not None and not now.enabled and not self.verified:
                self._fail(
                    event, f"invariant 3: {name} disabled before the replacement was healthy"
                )
        for name, was_enabled in self.last.items():
            if name not in groups and was_enabled:
                self._fail(event, f"invariant 3: {name} destroyed while in traffic")

    # -- at the end --------------------------------------------------------------------------------
    def final(
        self,
        record: DeploymentRecord,
        *,
        roles: int,
        resizable: bool = True,
        scaled_down: bool = False,
        max_remaining: int | None = None,
        destroys_old: bool = False,
    ) -> None:
        groups = {g.name: g for g in self._groups()}
        v = self.violations
        if len(self.created) > roles:
            v.append(f"invariant 6: {len(self.created)} groups created ({sorted(self.created)})")
        if record.status in (DeploymentStatus.FAILED, DeploymentStatus.ROLLED_BACK):
            for name in self.protected or ():
                g = groups.get(name)
                if g is None or not g.enabled:
                    v.append(f"invariant 4: {name} is not enabled after the failure")
                elif g.capacity != self.original[name]["capacity"]:
                    v.append(f"invariant 4/10: {name} at {g.capacity}, not its original capacity")
            for name in self.created:
                g = groups.get(name)
                if g is not None and g.enabled:
                    v.append(f"invariant 4: new group {name} still enabled after the failure")
                if g is not None and resizable and g.capacity.desired != 0:
                    v.append(f"invariant 4: new group {name} not scaled down ({g.capacity})")
            key = (self.world.spec("x").region, "shop", "prod", "")
            shares = self.world.cloud.traffic(key)
            if any(shares.get(n, 0) for n in self.created):
                v.append(f"invariant 4: traffic still reaches new groups: {shares}")
        elif record.status is DeploymentStatus.SUCCEEDED:
            for name, before in self.original.items():
                g = groups.get(name)
                if g is None:
                    if not destroys_old and max_remaining is None:
                        v.append(f"{name} was destroyed")
                    continue
                expected: Capacity = before["capacity"]
                if scaled_down and name in (self.protected or ()):
                    expected = Capacity(min=0, desired=0, max=expected.max)
                if g.capacity != expected:
                    v.append(f"invariant 10: {name} left at {g.capacity}, expected {expected}")
            if max_remaining is not None and len(groups) > max_remaining:
                v.append(f"invariant 11: {len(groups)} groups kept > max_remaining {max_remaining}")
            previous = record.state.previous
            if previous and not destroys_old and previous not in groups:
                v.append(f"invariant 11: the rollback target {previous} was destroyed")
        assert not v, "\n".join(v)
        assert self.checks > 0, "no mutating call was observed"
