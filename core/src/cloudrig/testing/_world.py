"""The in-memory cloud behind the reference provider: state that outlives provider instances.

A ``ReferenceCloud`` is a world: server groups with booting instances, load balancers, security
groups, traffic weights, injected faults and the history of every call. Worlds live in a
module-level registry keyed by name (the account setting ``cloud``), so a second ``connect()`` or a
resumed deployment sees what the first one left, as it would on a real cloud.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, ClassVar, Literal

from cloudrig._model._health import HealthDetail, HealthState
from cloudrig._model._resources import (
    Capacity,
    HealthCheck,
    IngressRule,
    Instance,
    Moniker,
)
from cloudrig.testing._faults import Faults

MONIKER_TAG = "cloudrig:moniker"
DEPLOYMENT_TAG = "cloudrig:deployment-id"
CLOUD_SOURCE = "cloud"
LB_SOURCE = "load-balancer"


@dataclass
class InstanceRecord:
    id: str
    zone: str
    launched_at: datetime
    ready_at: datetime
    boot_failure: bool
    state: HealthState = HealthState.STARTING  # what the cloud itself reports


@dataclass
class GroupRecord:
    """A server group as the cloud stores it; identity lives in ``tags`` like real clouds' tags."""

    name: str
    region: str
    account: str
    tags: dict[str, str]
    capacity: Capacity
    created_at: datetime
    artifact: str
    zones: tuple[str, ...]
    load_balancers: tuple[str, ...]
    security_groups: tuple[str, ...]
    boot_seconds: float
    boot_failure: bool
    settings: dict[str, Any]
    enabled: bool = True
    instances: list[InstanceRecord] = field(default_factory=list)

    @property
    def moniker(self) -> Moniker:
        """The moniker the group was created with (read back from its tags, as a provider does)."""
        return Moniker.model_validate_json(self.tags[MONIKER_TAG])

    @property
    def deployment_id(self) -> str | None:
        """The deployment that created the group, from its tags; ``None`` when made by hand."""
        return self.tags.get(DEPLOYMENT_TAG)

    @property
    def healthy(self) -> int:
        """Instances whose aggregated health is UP (for invariant checks on the raw state)."""
        return sum(1 for i in self.instance_models() if i.health is HealthState.UP)

    def instance_models(self) -> tuple[Instance, ...]:
        """Instances with per-source health: the cloud's status and, behind load balancers, the
        load balancer's view (a disabled group's instances are OUT_OF_SERVICE there, but kept)."""
        result = []
        for inst in self.instances:
            details = [HealthDetail(source=CLOUD_SOURCE, state=inst.state)]
            if self.load_balancers:
                if not self.enabled:
                    lb = HealthDetail(
                        source=LB_SOURCE,
                        state=HealthState.OUT_OF_SERVICE,
                        description="deregistered: the server group is disabled",
                    )
                else:
                    lb = HealthDetail(source=LB_SOURCE, state=inst.state)
                details.append(lb)
            result.append(
                Instance(
                    id=inst.id, zone=inst.zone, launched_at=inst.launched_at, details=tuple(details)
                )
            )
        return tuple(result)


@dataclass
class LoadBalancerRecord:
    name: str  # as the user named it
    cloud_name: str
    region: str
    account: str
    protocol: str
    port: int
    target_port: int | None
    health_check: HealthCheck
    settings: dict[str, Any]


@dataclass
class SecurityGroupRecord:
    name: str
    cloud_name: str
    id: str
    region: str
    account: str
    description: str
    ingress: tuple[IngressRule, ...]
    settings: dict[str, Any]


@dataclass(frozen=True)
class Event:
    """One entry of the history: a provider call (with its outcome) or an instance transition."""

    time: datetime
    kind: Literal["call", "transition"]
    operation: str
    args: Mapping[str, Any]
    account: str | None = None
    outcome: str = "ok"  # "ok", the exception's class name, or "crash"


Observer = Callable[["ReferenceCloud", Event], None]
ClusterKey = tuple[str, str, str, str]  # region, app, stack, detail


class ReferenceCloud:
    """One in-memory cloud. Obtain it with ``ReferenceCloud.get(name)``; ``reset()`` forgets all.

    Everything is guarded by one re-entrant lock (``lock``), so provider instances in several
    threads see consistent state. ``observers`` are called (under the lock) with every event,
    right after it happened: invariant checks run there to see the state after each call.
    """

    _registry: ClassVar[dict[str, ReferenceCloud]] = {}
    _registry_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, name: str) -> None:
        self.name = name
        self.lock = threading.RLock()
        self.groups: dict[tuple[str, str], GroupRecord] = {}
        self.load_balancers: dict[tuple[str, str], LoadBalancerRecord] = {}
        self.security_groups: dict[tuple[str, str], SecurityGroupRecord] = {}
        self.weights: dict[ClusterKey, dict[str, int]] = {}
        self.history: list[Event] = []
        self.faults = Faults()
        self.observers: list[Observer] = []
        self.boot_seconds = 30.0
        self.boot_failures: set[str] = set()  # group names whose new instances fail to boot
        self.last_seen: datetime | None = None  # the latest time a provider call brought
        self._serial = 0

    def __repr__(self) -> str:
        return f"<ReferenceCloud {self.name!r}: {len(self.groups)} server groups>"

    # -- registry ----------------------------------------------------------------------------------
    @classmethod
    def get(cls, name: str = "default") -> ReferenceCloud:
        """The cloud of this name, created empty on first use."""
        with cls._registry_lock:
            if name not in cls._registry:
                cls._registry[name] = cls(name)
            return cls._registry[name]

    @classmethod
    def reset(cls, name: str | None = None) -> None:
        """Forget one cloud (or every cloud): the next ``get`` starts empty."""
        with cls._registry_lock:
            if name is None:
                cls._registry.clear()
            else:
                cls._registry.pop(name, None)

    # -- history -----------------------------------------------------------------------------------
    def record(self, event: Event) -> None:
        """Append an event to the cloud's history and tell every observer (in order, in the
        caller's thread)."""
        with self.lock:
            self.history.append(event)
            for observer in list(self.observers):
                observer(self, event)

    def calls(self, operation: str | None = None, *, outcome: str | None = None) -> list[Event]:
        """The recorded calls, optionally of one operation and with one outcome."""
        with self.lock:
            return [
                e
                for e in self.history
                if e.kind == "call"
                and (operation is None or e.operation == operation)
                and (outcome is None or e.outcome == outcome)
            ]

    @contextmanager
    def observing(self, observer: Observer) -> Iterator[None]:
        """Call ``observer`` with every event while the block runs."""
        self.observers.append(observer)
        try:
            yield
        finally:
            self.observers.remove(observer)

    # -- instances ---------------------------------------------------------------------------------
    def new_instance_id(self) -> str:
        """A fresh instance id, unique in this cloud (``i-0000002a``)."""
        with self.lock:
            self._serial += 1
            return f"i-{self._serial:08x}"

    def launch(self, group: GroupRecord, count: int, now: datetime) -> None:
        """Start ``count`` instances in ``group``, spread over its zones; they boot for the
        cloud's boot time (or fail to, for a group or name marked to fail)."""
        zones = group.zones or (f"{group.region}a",)
        failing = group.boot_failure or group.name in self.boot_failures
        for _ in range(count):
            zone = zones[len(group.instances) % len(zones)]
            group.instances.append(
                InstanceRecord(
                    id=self.new_instance_id(),
                    zone=zone,
                    launched_at=now,
                    ready_at=now + timedelta(seconds=group.boot_seconds),
                    boot_failure=failing,
                )
            )

    def scale_to(self, group: GroupRecord, desired: int, now: datetime) -> None:
        """Launch or terminate (newest first, keeping the proven ones) to ``desired`` instances."""
        missing = desired - len(group.instances)
        if missing > 0:
            self.launch(group, missing, now)
        elif missing < 0:
            del group.instances[desired:]

    def advance(self, now: datetime) -> None:
        """Finish every boot due by ``now``, recording each transition at the time it happened."""
        with self.lock:
            self.last_seen = max(now, self.last_seen) if self.last_seen else now
            due = [
                (inst.ready_at, group, inst)
                for group in self.groups.values()
                for inst in group.instances
                if inst.state is HealthState.STARTING and inst.ready_at <= now
            ]
            for ready_at, group, inst in sorted(due, key=lambda d: (d[0], d[2].id)):
                inst.state = HealthState.DOWN if inst.boot_failure else HealthState.UP
                self.record(
                    Event(
                        time=ready_at,
                        kind="transition",
                        operation=f"instance_{inst.state.value.lower()}",
                        args={"region": group.region, "name": group.name, "instance": inst.id},
                        account=group.account,
                    )
                )

    def next_ready_at(self) -> datetime | None:
        """When the next booting instance finishes booting (for waits that sleep until then)."""
        with self.lock:
            pending = [
                inst.ready_at
                for group in self.groups.values()
                for inst in group.instances
                if inst.state is HealthState.STARTING
            ]
            return min(pending, default=None)

    def set_instance_state(
        self, region: str, name: str, state: HealthState, instance_id: str | None = None
    ) -> None:
        """Force the cloud status of a group's instances (all, or one): e.g. make an old group
        unhealthy in the middle of a deployment."""
        with self.lock:
            group = self.groups[(region, name)]
            for inst in group.instances:
                if instance_id is None or inst.id == instance_id:
                    inst.state = state
            self.record(
                Event(
                    time=self.last_seen or group.created_at,
                    kind="transition",
                    operation=f"forced_{state.value.lower()}",
                    args={"region": region, "name": name, "instance": instance_id},
                    account=group.account,
                )
            )

    # -- traffic -----------------------------------------------------------------------------------
    @staticmethod
    def cluster_key(group: GroupRecord) -> ClusterKey:
        """The (region, app, stack, detail) a group's cluster is found by."""
        m = group.moniker
        return (group.region, m.app, m.stack, m.detail)

    def cluster_groups(self, key: ClusterKey) -> list[GroupRecord]:
        """The groups of one cluster, oldest first."""
        with self.lock:
            groups = [g for g in self.groups.values() if self.cluster_key(g) == key]
            return sorted(groups, key=lambda g: (g.created_at, g.name))

    def traffic(self, key: ClusterKey) -> dict[str, int]:
        """Each group's share of its cluster's traffic, in percent (0 for disabled groups).

        Explicit weights (set by ``set_traffic_weights``) hold until the next enable or disable,
        which put whole groups in or out of traffic; without them, enabled groups share evenly.
        """
        with self.lock:
            groups = self.cluster_groups(key)
            enabled = [g.name for g in groups if g.enabled]
            explicit = self.weights.get(key)
            raw = (
                {n: explicit.get(n, 0) for n in enabled}
                if explicit and any(explicit.get(n, 0) for n in enabled)
                else dict.fromkeys(enabled, 1)
            )
            shares = _percentages(raw)
            return {g.name: shares.get(g.name, 0) for g in groups}


def _percentages(raw: Mapping[str, int]) -> dict[str, int]:
    """Scale to integers summing to 100 (largest remainder; ties to the first name)."""
    total = sum(raw.values())
    if not total:
        return dict.fromkeys(raw, 0)
    exact = {n: w * 100 / total for n, w in raw.items()}
    shares = {n: int(v) for n, v in exact.items()}
    leftover = 100 - sum(shares.values())
    for n in sorted(exact, key=lambda n: shares[n] - exact[n])[:leftover]:
        shares[n] += 1
    return shares
