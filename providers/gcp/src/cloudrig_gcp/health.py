"""Instance health from the two sources GCE has: the managed instance's status and backend health.

Each source gives one ``HealthDetail`` per instance; the core aggregates them (any Down wins, then
OutOfService, Draining, Starting; Up needs at least one Up):

- ``instance``: PROVISIONING/STAGING (or a CREATING/RECREATING/VERIFYING action) → Starting;
  RUNNING → Up; STOPPING/STOPPED/SUSPENDED/TERMINATED, a DELETING/ABANDONING action → Down;
- ``backend-service:<name>`` for each backend service the group is a backend of: HEALTHY → Up,
  UNHEALTHY → Down, DRAINING → Draining, no data yet → Starting while the instance is young,
  Unknown after; a disabled group behind load balancers adds an Out-of-service detail (its
  instances are kept warm, out of traffic).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cloudrig import HealthDetail, HealthState, Instance

INSTANCE_SOURCE = "instance"
_STARTING_STATUS = {"PROVISIONING", "STAGING", "REPAIRING"}
_DOWN_STATUS = {"STOPPING", "STOPPED", "SUSPENDING", "SUSPENDED", "TERMINATED"}
_STARTING_ACTION = {"CREATING", "CREATING_WITHOUT_RETRIES", "RECREATING", "VERIFYING", "REFRESHING"}
_DOWN_ACTION = {"DELETING", "ABANDONING", "RESTARTING", "STOPPING", "SUSPENDING"}
BACKEND_HEALTH = {
    "HEALTHY": HealthState.UP,
    "UNHEALTHY": HealthState.DOWN,
    "DRAINING": HealthState.DRAINING,
    "TIMEOUT": HealthState.DOWN,
}


def instance_state(status: str, action: str) -> HealthState:
    if action in _DOWN_ACTION or status in _DOWN_STATUS:
        return HealthState.DOWN
    if action in _STARTING_ACTION or status in _STARTING_STATUS or not status:
        return HealthState.STARTING
    if status == "RUNNING":
        return HealthState.UP
    return HealthState.UNKNOWN


def _name(enum_or_str: Any) -> str:
    return str(getattr(enum_or_str, "name", enum_or_str) or "")


def zone_of(url: str) -> str | None:
    parts = url.split("/")
    return parts[parts.index("zones") + 1] if "zones" in parts else None


def instances(
    managed: list[Any],
    backend_health: Mapping[str, Mapping[str, str]],
    *,
    enabled: bool,
    behind_load_balancers: bool,
) -> tuple[Instance, ...]:
    """``managed``: the MIG's ``ManagedInstance`` list; ``backend_health`` maps a backend
    service's name to ``{instance URL: healthState}`` for those the group is a backend of."""
    out: list[Instance] = []
    for item in managed:
        status, action = item.instance_status, _name(item.current_action)
        url = item.instance
        details = [
            HealthDetail(
                source=INSTANCE_SOURCE,
                state=instance_state(status, action),
                description=f"{status or 'PENDING'}/{action or 'NONE'}",
            )
        ]
        for service, states in sorted(backend_health.items()):
            seen = states.get(url)
            if seen is not None:
                state = BACKEND_HEALTH.get(seen, HealthState.UNKNOWN)
                if state is HealthState.DOWN and status != "RUNNING":
                    state = HealthState.STARTING  # health checks fail while it boots
                text = seen
            else:
                up = status == "RUNNING"
                state = HealthState.UNKNOWN if up else HealthState.STARTING
                text = "no data" if up else "not running yet"
            details.append(
                HealthDetail(source=f"backend-service:{service}", state=state, description=text)
            )
        if not enabled and behind_load_balancers:
            details.append(
                HealthDetail(
                    source="load-balancer",
                    state=HealthState.OUT_OF_SERVICE,
                    description="server group disabled",
                )
            )
        out.append(Instance(id=url.rsplit("/", 1)[-1], zone=zone_of(url), details=tuple(details)))
    return tuple(out)
