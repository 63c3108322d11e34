"""Application Auto Scaling of a service: suspended while the group is disabled, restored on
enable, so a scaling policy cannot grow a group that takes no traffic (or shrink one that is
about to). A service with no scalable target costs one read and nothing else — none for a service
this process created and has not suspended since: only cloudrig suspends a service's scaling, and
a new service's first enable happens under its deployment's cluster lease, so there is nothing
to resume (one ``DescribeScalableTargets`` less per red/black: benchmarks/calls/README.md, ECS)."""

from __future__ import annotations

from typing import Any

from cloudrig_aws import ClientFactory

_ALL = ("DynamicScalingInSuspended", "DynamicScalingOutSuspended", "ScheduledScalingSuspended")


class Autoscaling:
    def __init__(self, factory: ClientFactory, cluster: str) -> None:
        self._factory = factory
        self._cluster = cluster
        self._unsuspended: set[tuple[str, str]] = set()  # created here, not suspended since

    def created(self, region: str, service: str) -> None:
        """This process created ``service``: its scaling is not suspended (see the module)."""
        self._unsuspended.add((region, service))

    def _client(self, region: str) -> Any:
        return self._factory.client("application-autoscaling", region)

    def _target(self, region: str, service: str) -> dict[str, Any] | None:
        found = self._client(region).call(
            "describe_scalable_targets",
            resource=service,
            ServiceNamespace="ecs",
            ResourceIds=[f"service/{self._cluster}/{service}"],
            ScalableDimension="ecs:service:DesiredCount",
        )["ScalableTargets"]
        return found[0] if found else None

    def set_suspended(self, region: str, service: str, suspended: bool) -> None:
        """Suspend (or resume) the service's scaling: its scalable target's three processes."""
        if not suspended and (region, service) in self._unsuspended:
            return
        self._unsuspended.discard((region, service))
        target = self._target(region, service)
        if target is None:
            return
        state = target.get("SuspendedState") or {}
        if all(bool(state.get(k)) == suspended for k in _ALL):
            return
        self._client(region).call(
            "register_scalable_target",
            resource=service,
            ServiceNamespace="ecs",
            ResourceId=target["ResourceId"],
            ScalableDimension=target["ScalableDimension"],
            SuspendedState={k: suspended for k in _ALL},
        )

    def resize(self, region: str, service: str, low: int, high: int) -> None:
        """Keep a scalable target's bounds equal to the group's capacity."""
        target = self._target(region, service)
        if target is None or (target["MinCapacity"], target["MaxCapacity"]) == (low, high):
            return
        self._client(region).call(
            "register_scalable_target",
            resource=service,
            ServiceNamespace="ecs",
            ResourceId=target["ResourceId"],
            ScalableDimension=target["ScalableDimension"],
            MinCapacity=low,
            MaxCapacity=high,
        )
