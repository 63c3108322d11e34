"""The strategy kit's observer: reads the provider itself after every step event of a deployment
and checks what users of the cluster would see, never what the strategy believes.

It is called with each ``DeploymentEvent`` (``rig.deploy(..., on_event=...)``), synchronously in
the deploying thread, so the cloud is read between two mutations of the engine. Its reads go
through the RAW provider's nouns (``server_groups.list``, ``traffic.get_weights``) inside
``fresh_reads()``, bypassing any read cache. What it checks, per observation:

- **capacity**: once the cluster served, the healthy members in traffic never drop to zero, and once
  it served at the strategy's target (``healthy_target(capacity, healthy_percent)``) they never
  drop below it;
- **traffic**: where the cloud splits traffic by weight, no disabled group has a share;
- **disabled**: every instance of a disabled group behind a load balancer reports OUT_OF_SERVICE
  (DRAINING while it leaves, or DOWN, are accepted: neither serves);
- **created**: where traffic follows capacity (no weighted split), a group is created in traffic,
  so it serves as soon as it is healthy; strategies there move capacity, not traffic, and a group
  created out of traffic leaves the cluster short while the old group shrinks.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from cloudrig._errors import Conflict, NotFound
from cloudrig._model._health import HealthState
from cloudrig._model._resources import ServerGroup
from cloudrig.engine import DeploymentEvent, EventKind, StateStore
from cloudrig.provider._capabilities import Capabilities, TrafficSplit
from cloudrig.provider._contract import Provider
from cloudrig.ratelimit import fresh_reads

# Events after which the cloud may look different: a mutation, or a wait that just ended.
OBSERVED = frozenset(
    {
        EventKind.CREATED,
        EventKind.HEALTHY,
        EventKind.TRAFFIC_MOVED,
        EventKind.ENABLED,
        EventKind.DISABLED,
        EventKind.SCALED,
        EventKind.PINNED,
        EventKind.UNPINNED,
        EventKind.DESTROYED,
        EventKind.DONE,
    }
)
NOT_SERVING = frozenset({HealthState.OUT_OF_SERVICE, HealthState.DRAINING, HealthState.DOWN})


@dataclass(frozen=True)
class Violation:
    """One thing a user of the cluster would have seen go wrong."""

    check: str  # "capacity", "traffic", "disabled", "created", "deployment"
    message: str


@dataclass(frozen=True)
class Observation:
    """The cluster as the provider reports it at one moment."""

    groups: dict[str, ServerGroup]
    shares: dict[str, int]  # percent of the traffic per group, as the cloud reports it

    @property
    def serving(self) -> int:
        """Healthy instances of the groups that receive traffic."""
        return sum(
            1
            for name, group in self.groups.items()
            if self.shares.get(name, 0) > 0
            for instance in group.instances
            if instance.health is HealthState.UP
        )


@dataclass
class StrategyObserver:
    """Checks every observation of one cluster across the deployments of one kit check."""

    provider: Provider[Any]
    capabilities: Capabilities
    region: str
    app: str
    floor: int
    """The strategy's target: healthy members in traffic it promises once the cluster served."""
    store: Callable[[], StateStore]
    strategy: str = ""
    violations: list[Violation] = field(default_factory=list)
    observations: int = 0
    _most: int = 0
    _seen: set[tuple[str, str]] = field(default_factory=set)

    # -- reading the provider ------------------------------------------------------------------
    def observe(self) -> Observation:
        with fresh_reads():
            listed = self.provider.server_groups.list(self.app, self.region)
            groups = {g.name: g for g in listed}
            shares = self._shares(groups)
        self.observations += 1
        return Observation(groups, shares)

    def _shares(self, groups: dict[str, ServerGroup]) -> dict[str, int]:
        if not self.capabilities.splits_traffic or self.provider.traffic is None:
            # Traffic follows the enabled groups' members (capacity) or is all or nothing.
            return {name: 100 if g.enabled else 0 for name, g in groups.items()}
        if not groups:
            return {}
        try:
            weights = self.provider.traffic.get_weights(self.region, sorted(groups))
        except Conflict:  # the cloud says none of them receives traffic
            return {}
        except NotFound:  # a group went away between the two reads: read again
            return self._shares({g.name: g for g in self.provider.server_groups.list(self.app)})
        return dict(weights.weights)

    # -- the hook --------------------------------------------------------------------------------
    def __call__(self, event: DeploymentEvent) -> None:
        if event.kind not in OBSERVED:
            return
        where = self._where(event)
        try:
            seen = self.observe()
        except Exception as exc:  # the engine swallows a callback's error: keep it as a finding
            self._add(
                "observer", f"{where}: reading the cluster failed: {type(exc).__name__}: {exc}"
            )
            return
        self.check(seen, where, event)

    def _where(self, event: DeploymentEvent) -> str:
        try:
            record = self.store().get(event.deployment_id)
            if event.kind is EventKind.DONE:
                step = "end"
            elif record.step_name:
                step = f"step {record.step + 1} ({record.step_name})"
            else:
                step = "start"
        except Exception:
            step = "an unknown step"
        return f"during {self.strategy or 'the deployment'} {step}, after '{event.message}'"

    def _add(self, check: str, message: str, subject: str | None = None) -> None:
        """Keep the first violation per check and ``subject`` (a group, an instance), so a
        group that stays wrong for many steps is reported once, where it started."""
        key = (check, subject if subject is not None else message)
        if key not in self._seen:
            self._seen.add(key)
            self.violations.append(Violation(check, message))

    # -- the checks ------------------------------------------------------------------------------
    def check(self, seen: Observation, where: str, event: DeploymentEvent | None = None) -> None:
        serving = seen.serving
        if serving == 0 and self._most > 0:
            self._add("capacity", f"{where}, the load balancer had no healthy member in traffic")
        elif self._most >= self.floor > serving:
            self._add(
                "capacity",
                f"{where}, the load balancer had {serving} healthy member(s) in traffic, below "
                f"the strategy's target of {self.floor}",
            )
        self._most = max(self._most, serving)
        for name, group in seen.groups.items():
            share = seen.shares.get(name, 0)
            if not group.enabled and share > 0:
                self._add(
                    "traffic",
                    f"{where}, {name} was disabled but received {share}% of the traffic",
                    name,
                )
            if not group.enabled and group.load_balancers:
                for instance in group.instances:
                    if instance.health not in NOT_SERVING:
                        self._add(
                            "disabled",
                            f"{where}, {name} was disabled but its instance {instance.id} "
                            f"reported {instance.health.value} instead of OUT_OF_SERVICE ("
                            + ", ".join(f"{d.source}: {d.state.value}" for d in instance.details)
                            + ")",
                            f"{name}/{instance.id}",
                        )
        if event is not None and event.kind is EventKind.CREATED and event.server_group:
            self._check_created(seen, where, event.server_group)

    def _check_created(self, seen: Observation, where: str, name: str) -> None:
        caps = self.capabilities
        group = seen.groups.get(name)
        if caps.splits_traffic or group is None or group.enabled:
            return
        split = TrafficSplit(caps.traffic_split).value
        self._add(
            "created",
            f"{where}, the new group {name} was created out of traffic (enabled=False) although "
            f"traffic follows capacity on this provider (traffic_split={split}): once healthy it "
            "serves nothing, while strategies that move capacity shrink the old group",
        )
