"""Capacity bounds and autoscaling: an autoscaler named like its group, in its group's location
(a regional autoscaler for a regional MIG, a zonal one for a zonal MIG: ``locations``).

A managed instance group has one size (``targetSize``); GCE keeps minimum and maximum only on an
autoscaler. A group without an autoscaling policy whose bounds differ from its desired size gets
an autoscaler in mode OFF: it records the bounds and never resizes the group, so the size stays
cloudrig's. A group whose bounds equal its desired size needs none, so the common fixed-size group
costs no autoscaler calls.

A group with a ``Policy`` (mode ON or ONLY_SCALE_OUT, on CPU and/or load-balancing utilization,
or OFF with its targets kept) always has one. The policy is given in the spec's settings or
carried from the previous version of the cluster (its live autoscaler, or the policy its facts
recorded when it is paused), and recorded in the group's facts. While the group is disabled its
autoscaler is paused (mode OFF: an autoscaler must not grow a group that takes no traffic, nor
shrink one about to take it back) and enable restores the recorded mode. Resize changes only the
bounds (a ``patch`` of min and max), never the mode.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from cloudrig import Capacity, Conflict, NotFound
from cloudrig_gcp.clients import ComputeClients
from cloudrig_gcp.locations import Location
from cloudrig_gcp.transport import SERVICE

_SNAPSHOT = "cloudrig-autoscalers"
PAUSED = "cloudrig: paused while the group is disabled"


def _compute() -> Any:
    from google.cloud import compute_v1

    return compute_v1


def needs_bounds(capacity: Capacity) -> bool:
    return not (capacity.min == capacity.desired == capacity.max)


@dataclass(frozen=True)
class Policy:
    """An autoscaling policy, as cloudrig records it in a group's facts."""

    mode: str = "ON"
    cpu_target: float | None = None
    load_balancing_target: float | None = None
    cool_down_seconds: int = 60

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, body: Mapping[str, Any] | None) -> Policy | None:
        return None if not body else cls(**{k: body[k] for k in body if k in _FIELDS})

    @classmethod
    def of(cls, autoscaler: Any) -> Policy | None:
        """The policy of a live autoscaler; ``None`` for cloudrig's bounds-only one."""
        policy = autoscaler.autoscaling_policy
        cpu = policy.cpu_utilization.utilization_target if "cpu_utilization" in policy else None
        lb = (
            policy.load_balancing_utilization.utilization_target
            if "load_balancing_utilization" in policy
            else None
        )
        if not cpu and not lb:
            return None
        return cls(
            mode=str(policy.mode or "ON"),
            cpu_target=float(cpu) if cpu else None,
            load_balancing_target=float(lb) if lb else None,
            cool_down_seconds=int(policy.cool_down_period_sec or 60),
        )


_FIELDS = frozenset(Policy.__dataclass_fields__)


class Autoscalers:
    def __init__(self, clients: ComputeClients) -> None:
        self.clients = clients

    def _key(self, where: Location) -> tuple[str, ...]:
        return ("gcp", self.clients.project, SERVICE, where.zone or where.region, _SNAPSHOT)

    def snapshot(self, where: Location, *, fresh: bool = False) -> dict[str, Any]:
        """Every autoscaler of the region (or zone) by name (one paged list, cached briefly)."""

        def load() -> dict[str, Any]:
            items = self.clients.collect(where.autoscalers, "list", **where.scope)
            return {a.name: a for a in items}

        return self.clients.limiter.cache.get(self._key(where), load, fresh=fresh)

    def bounds(self, where: Location, name: str, *, fresh: bool = False) -> tuple[int, int] | None:
        found = self.snapshot(where, fresh=fresh).get(name)
        if found is None:
            return None
        policy = found.autoscaling_policy
        return int(policy.min_num_replicas), int(policy.max_num_replicas)

    def _resource(
        self, where: Location, name: str, capacity: Capacity, policy: Policy | None, mode: str
    ) -> Any:
        compute_v1 = _compute()
        scaling = compute_v1.AutoscalingPolicy(
            mode=mode, min_num_replicas=capacity.min, max_num_replicas=capacity.max
        )
        description = "cloudrig: capacity bounds only (mode OFF never resizes)"
        if policy is not None:
            description = f"cloudrig: autoscaling, mode {policy.mode}"
            scaling.cool_down_period_sec = policy.cool_down_seconds
            if policy.cpu_target is not None:
                scaling.cpu_utilization = compute_v1.AutoscalingPolicyCpuUtilization(
                    utilization_target=policy.cpu_target
                )
            if policy.load_balancing_target is not None:
                scaling.load_balancing_utilization = (
                    compute_v1.AutoscalingPolicyLoadBalancingUtilization(
                        utilization_target=policy.load_balancing_target
                    )
                )
        return compute_v1.Autoscaler(
            name=name,
            description=description if mode == (policy.mode if policy else "OFF") else PAUSED,
            target=f"{where.path(self.clients.project)}/instanceGroupManagers/{name}",
            autoscaling_policy=scaling,
        )

    def apply(
        self,
        where: Location,
        name: str,
        capacity: Capacity,
        *,
        policy: Policy | None = None,
        exists: bool | None = None,
    ) -> None:
        """Make the autoscaler match ``capacity`` (and, when inserted, ``policy``): insert it,
        patch its bounds (never its mode), or delete a bounds-only one that is not needed."""
        compute_v1 = _compute()
        if exists is None:
            exists = self.bounds(where, name, fresh=True) is not None
        try:
            if not exists:
                if policy is None and not needs_bounds(capacity):
                    return
                mode = policy.mode if policy is not None else "OFF"
                try:
                    self.clients.mutate(
                        where.autoscalers,
                        "insert",
                        resource=name,
                        autoscaler_resource=self._resource(where, name, capacity, policy, mode),
                        **where.scope,
                    )
                    return
                except Conflict:  # made by an earlier attempt: its bounds below
                    self.clients.limiter.cache.invalidate(self._key(where))
            if policy is None and not needs_bounds(capacity):
                self.delete(where, name)
                return
            if self.bounds(where, name, fresh=not exists) == (capacity.min, capacity.max):
                return
            bounds = compute_v1.AutoscalingPolicy(
                min_num_replicas=capacity.min, max_num_replicas=capacity.max
            )
            self._patch(where, name, compute_v1.Autoscaler(autoscaling_policy=bounds))
        finally:
            self.clients.limiter.cache.invalidate(self._key(where))

    def set_paused(self, where: Location, name: str, policy: Policy | None, paused: bool) -> None:
        """Pause (mode OFF) or resume (the policy's mode) a group's autoscaling policy."""
        if policy is None or policy.mode == "OFF":
            return
        compute_v1 = _compute()
        mode = "OFF" if paused else policy.mode
        live = self.snapshot(where).get(name)
        if live is not None and live.autoscaling_policy.mode == mode:
            return
        change = compute_v1.Autoscaler(
            description=PAUSED if paused else f"cloudrig: autoscaling, mode {policy.mode}",
            autoscaling_policy=compute_v1.AutoscalingPolicy(mode=mode),
        )
        try:
            self._patch(where, name, change)
        except NotFound:
            pass  # no autoscaler (removed by hand): nothing scales the group
        finally:
            self.clients.limiter.cache.invalidate(self._key(where))

    def _patch(self, where: Location, name: str, change: Any) -> None:
        self.clients.mutate(
            where.autoscalers,
            "patch",
            resource=name,
            autoscaler=name,
            autoscaler_resource=change,
            **where.scope,
        )

    def delete(self, where: Location, name: str) -> None:
        try:
            self.clients.mutate(
                where.autoscalers, "delete", resource=name, autoscaler=name, **where.scope
            )
        except NotFound:
            pass
        finally:
            self.clients.limiter.cache.invalidate(self._key(where))
