"""Instance health from the two sources AWS has: the Auto Scaling lifecycle and target health.

Each source gives one ``HealthDetail`` per instance; the core aggregates them (any Down wins, then
OutOfService, Draining, Starting; Up needs at least one Up). The tables are the README's.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from cloudrig import HealthDetail, HealthState, Instance

ASG_SOURCE = "autoscaling"
TARGET_HEALTH = {
    "healthy": HealthState.UP,
    "initial": HealthState.STARTING,
    "unused": HealthState.OUT_OF_SERVICE,
    "draining": HealthState.DRAINING,
}  # anything else (unhealthy, unavailable, …) is Down


def lifecycle_state(lifecycle: str, health_status: str) -> HealthState:
    """An Auto Scaling instance's ``LifecycleState`` and ``HealthStatus`` as one state."""
    if lifecycle.startswith("Pending"):
        return HealthState.STARTING
    if lifecycle == "InService":
        return HealthState.UP if health_status == "Healthy" else HealthState.DOWN
    if lifecycle.startswith("Terminat"):
        return HealthState.DOWN
    if lifecycle.startswith(("Standby", "EnteringStandby", "Detach", "Warmed")):
        return HealthState.OUT_OF_SERVICE
    return HealthState.UNKNOWN


def target_state(state: str) -> HealthState:
    return TARGET_HEALTH.get(state, HealthState.DOWN)


def instances(
    group: Mapping[str, Any],
    target_health: Mapping[str, Mapping[str, Mapping[str, Any]]],
    *,
    enabled: bool,
    behind_load_balancers: bool,
    now: datetime | None = None,
) -> tuple[Instance, ...]:
    """The group's instances with per-source details.

    ``target_health`` maps a target group's name to ``{instance id: TargetHealth}`` for each
    target group the group is attached to. An instance a target group has no data about is
    Starting while the group is younger than its health check grace period, Out of service
    after; a disabled group behind load balancers reports its instances Out of service (they are
    kept warm, out of traffic)."""
    now = now or datetime.now(UTC)
    created = group.get("CreatedTime")
    grace = float(group.get("HealthCheckGracePeriod") or 0)
    young = created is not None and (now - created).total_seconds() < max(grace, 1.0)
    out: list[Instance] = []
    for item in group.get("Instances", []):
        iid = item["InstanceId"]
        details = [
            HealthDetail(
                source=ASG_SOURCE,
                state=lifecycle_state(item["LifecycleState"], item.get("HealthStatus", "")),
                description=f"{item['LifecycleState']}/{item.get('HealthStatus', '?')}",
            )
        ]
        for tg_name, targets in sorted(target_health.items()):
            seen = targets.get(iid)
            if seen is not None:
                state = str(seen.get("State", "unavailable"))
                text = state + (f": {seen['Reason']}" if seen.get("Reason") else "")
                details.append(
                    HealthDetail(
                        source=f"target-group:{tg_name}",
                        state=target_state(state),
                        description=text,
                    )
                )
            else:
                details.append(
                    HealthDetail(
                        source=f"target-group:{tg_name}",
                        state=HealthState.STARTING if young else HealthState.OUT_OF_SERVICE,
                        description="no data yet" if young else "not registered",
                    )
                )
        if not enabled and behind_load_balancers:
            details.append(
                HealthDetail(
                    source="load-balancer",
                    state=HealthState.OUT_OF_SERVICE,
                    description="server group disabled",
                )
            )
        out.append(Instance(id=iid, zone=item.get("AvailabilityZone"), details=tuple(details)))
    return tuple(out)
