"""A task's health: ECS's task model and the target health of each of the group's target groups.

| source | ECS / ELB says | cloudrig |
|---|---|---|
| `ecs` | `PROVISIONING`, `PENDING`, `ACTIVATING` | Starting |
| | `RUNNING` + `healthStatus` HEALTHY | Up |
| | `RUNNING` + UNHEALTHY | Down |
| | `RUNNING` + UNKNOWN: with a container health check / without | Starting / Up |
| | `DEACTIVATING`, `STOPPING`, `DEPROVISIONING` | Draining |
| | `STOPPED` | Down |
| `target-group:<lb>` | `healthy` / `initial` / `draining` / `unused` | Up / Starting / Draining / OutOfService |
| | `healthy` while the group's weight on that load balancer is 0 (disabled: warm, no traffic) | OutOfService |
| | `unhealthy`, `unavailable` | Down |
| | a running task not registered (yet) | Starting |

So a service whose running count equals its desired count but whose tasks are unhealthy is Down.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime
from typing import Any

from cloudrig import HealthDetail, HealthState, Instance

_STARTING = {"PROVISIONING", "PENDING", "ACTIVATING"}
_DRAINING = {"DEACTIVATING", "STOPPING", "DEPROVISIONING"}
_TARGET = {
    "healthy": HealthState.UP,
    "initial": HealthState.STARTING,
    "draining": HealthState.DRAINING,
    "unused": HealthState.OUT_OF_SERVICE,
}


def task_ip(task: Mapping[str, Any]) -> str | None:
    for attachment in task.get("attachments", []):
        for detail in attachment.get("details", []):
            if detail.get("name") == "privateIPv4Address":
                return str(detail["value"])
    for container in task.get("containers", []):
        for interface in container.get("networkInterfaces", []):
            if interface.get("privateIpv4Address"):
                return str(interface["privateIpv4Address"])
    return None


def ecs_detail(task: Mapping[str, Any], health_checked: bool) -> HealthDetail:
    status = task.get("lastStatus", "")
    health = task.get("healthStatus", "UNKNOWN")
    text = f"{status}, health {health}"
    if task.get("stoppedReason"):
        text += f": {task['stoppedReason']}"
    if status in _STARTING:
        state = HealthState.STARTING
    elif status == "RUNNING":
        state = {
            "HEALTHY": HealthState.UP,
            "UNHEALTHY": HealthState.DOWN,
        }.get(health, HealthState.STARTING if health_checked else HealthState.UP)
    elif status in _DRAINING:
        state = HealthState.DRAINING
    elif status == "STOPPED":
        state = HealthState.DOWN
    else:
        state = HealthState.UNKNOWN
    return HealthDetail(source="ecs", state=state, description=text)


def target_detail(
    lb: str, task: Mapping[str, Any], targets: Mapping[str, str], out_of_traffic: bool = False
) -> HealthDetail:
    source = f"target-group:{lb}"
    ip = task_ip(task)
    state_text = targets.get(ip or "")
    if state_text is None:
        running = task.get("lastStatus") == "RUNNING"
        state = HealthState.STARTING if running else HealthState.OUT_OF_SERVICE
        return HealthDetail(source=source, state=state, description="not registered")
    state = _TARGET.get(state_text, HealthState.DOWN)
    if out_of_traffic and state is HealthState.UP:  # registered and warm, but weight 0
        return HealthDetail(
            source=source, state=HealthState.OUT_OF_SERVICE, description="healthy, weight 0"
        )
    return HealthDetail(source=source, state=state, description=state_text)


def instance(
    task: Mapping[str, Any],
    health_checked: bool,
    targets: Mapping[str, Mapping[str, str]],
    out_of_traffic: Collection[str] = (),
) -> Instance:
    """A task with its health from ECS and from each load balancer (``out_of_traffic``: the load
    balancers where the group's weight is 0)."""
    details = [ecs_detail(task, health_checked)]
    details += [
        target_detail(lb, task, by_ip, lb in out_of_traffic) for lb, by_ip in targets.items()
    ]
    started = task.get("startedAt") or task.get("createdAt")
    if isinstance(started, str):
        started = datetime.fromisoformat(started)
    return Instance(
        id=str(task["taskArn"]).rsplit("/", 1)[-1],
        zone=task.get("availabilityZone"),
        launched_at=started if isinstance(started, datetime) else None,
        details=tuple(details),
    )
