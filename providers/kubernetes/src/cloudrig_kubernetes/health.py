"""Pod health in cloudrig's neutral terms: one detail per source, aggregated by the core.

Two sources per pod:

- ``pod``: the phase — Pending is STARTING (scheduling, pulling, creating containers), Running is
  UP, Succeeded/Failed are DOWN (a ReplicaSet's pods should run forever), Unknown is UNKNOWN; a pod
  being deleted is DRAINING.
- ``readiness``: the Ready condition — True is UP; a container waiting for a reason that will not
  fix itself (CrashLoopBackOff, image pull errors, config errors) or terminated with an error is
  DOWN; anything else (containers starting, readiness probe not yet passed) is STARTING.

So a crash-looping pod is Down, and a starting one is Starting, never Up.

A third detail, ``load-balancer``, is OutOfService on a pod that its Services no longer select
because its group is disabled (the pod has a ``lb.cloudrig.io/…`` label but not the traffic
label), as AWS and GCP report a disabled group's instances; a pod behind no Service gets none.

``pull_failure`` names a pod whose images cannot be pulled (the kubelet's ``ErrImagePull``,
``ImagePullBackOff`` or ``InvalidImageName``): the server group wait fails on it at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from cloudrig import HealthDetail, HealthState, Instance
from cloudrig_kubernetes import metadata

POD_SOURCE, READINESS_SOURCE, LB_SOURCE = "pod", "readiness", "load-balancer"
PULL_FAILURES = frozenset({"ErrImagePull", "ImagePullBackOff", "InvalidImageName"})
FAILING_REASONS = frozenset(
    {
        "CrashLoopBackOff",
        "ErrImagePull",
        "ImagePullBackOff",
        "InvalidImageName",
        "CreateContainerConfigError",
        "CreateContainerError",
        "RunContainerError",
        "Error",
        "OOMKilled",
    }
)
_PHASES = {
    "Pending": HealthState.STARTING,
    "Running": HealthState.UP,
    "Succeeded": HealthState.DOWN,
    "Failed": HealthState.DOWN,
}


def parse_time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


def _phase(pod: Mapping[str, Any]) -> HealthDetail:
    phase = str((pod.get("status") or {}).get("phase") or "Unknown")
    if (pod.get("metadata") or {}).get("deletionTimestamp"):
        return HealthDetail(source=POD_SOURCE, state=HealthState.DRAINING, description="deleting")
    return HealthDetail(
        source=POD_SOURCE, state=_PHASES.get(phase, HealthState.UNKNOWN), description=phase
    )


def _failing_reason(status: Mapping[str, Any]) -> str | None:
    for container in status.get("containerStatuses") or ():
        state = container.get("state") or {}
        waiting = state.get("waiting") or {}
        if waiting.get("reason") in FAILING_REASONS:
            return str(waiting["reason"])
        terminated = state.get("terminated") or {}
        if terminated and int(terminated.get("exitCode") or 0) != 0:
            return str(terminated.get("reason") or "Error")
    return None


def _readiness(pod: Mapping[str, Any]) -> HealthDetail:
    status = pod.get("status") or {}
    ready = next((c for c in status.get("conditions") or () if c.get("type") == "Ready"), None)
    if ready is not None and ready.get("status") == "True":
        return HealthDetail(source=READINESS_SOURCE, state=HealthState.UP, description="Ready")
    reason = _failing_reason(status)
    if reason is not None:
        return HealthDetail(source=READINESS_SOURCE, state=HealthState.DOWN, description=reason)
    why = str((ready or {}).get("reason") or "containers starting")
    return HealthDetail(source=READINESS_SOURCE, state=HealthState.STARTING, description=why)


def _out_of_service(pod: Mapping[str, Any]) -> HealthDetail | None:
    labels = metadata.labels_of(pod)
    behind = any(k.startswith(metadata.LB_PREFIX) for k in labels)
    if not behind or labels.get(metadata.TRAFFIC) == metadata.TRAFFIC_ON:
        return None
    return HealthDetail(
        source=LB_SOURCE, state=HealthState.OUT_OF_SERVICE, description="server group disabled"
    )


def pull_failure(pod: Mapping[str, Any]) -> str | None:
    """``"<reason>: <message>"`` of the first container whose image cannot be pulled, else None."""
    for container in (pod.get("status") or {}).get("containerStatuses") or ():
        waiting = (container.get("state") or {}).get("waiting") or {}
        if waiting.get("reason") in PULL_FAILURES:
            return f"{waiting['reason']}: {waiting.get('message') or 'no message'}"
    return None


def instance(pod: Mapping[str, Any]) -> Instance:
    meta = pod.get("metadata") or {}
    details = (_phase(pod), _readiness(pod))
    out = _out_of_service(pod)
    return Instance(
        id=str(meta.get("name")),
        zone=(pod.get("spec") or {}).get("nodeName"),
        launched_at=parse_time(meta.get("creationTimestamp")),
        details=details if out is None else (*details, out),
    )


def serving(pod: Mapping[str, Any], *, disabled: bool) -> bool:
    """Whether a wait counts the pod, as the engine counts a group's instances: Up; in a
    disabled group (kept warm), Up but for being out of traffic."""
    if (pod.get("metadata") or {}).get("deletionTimestamp"):
        return False
    seen = instance(pod)
    if not disabled:
        return seen.health is HealthState.UP
    rest = tuple(d for d in seen.details if d.state is not HealthState.OUT_OF_SERVICE)
    return seen.model_copy(update={"details": rest}).health is HealthState.UP


def instances(pods: list[Mapping[str, Any]]) -> tuple[Instance, ...]:
    return tuple(instance(p) for p in sorted(pods, key=lambda p: p["metadata"]["name"]))
