"""The documents a kubelet writes: a pod's status and its node's, as plain dicts for status patches.

Kept apart from the simulator's threading so the shapes can be read (and checked against a real
kubelet's) in one place. Field names follow core/v1 PodStatus and NodeStatus.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

NODE_NAME = "cloudrig-sim-node"
HOST_IP = "127.0.0.1"


def now() -> str:
    """RFC 3339 time, second precision (what the API stores)."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def node(name: str = NODE_NAME) -> dict[str, Any]:
    """The one simulated node pods are bound to (Endpoints need a real node name per address)."""
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name}},
    }


def node_status() -> dict[str, Any]:
    """A Ready node with room for many pods (nothing here checks capacity)."""
    stamp = now()
    return {
        "status": {
            "conditions": [
                {
                    "type": "Ready",
                    "status": "True",
                    "reason": "KubeletReady",
                    "message": "kubelet simulator",
                    "lastHeartbeatTime": stamp,
                    "lastTransitionTime": stamp,
                }
            ],
            "addresses": [{"type": "InternalIP", "address": HOST_IP}],
            "capacity": {"cpu": "64", "memory": "256Gi", "pods": "1000"},
            "allocatable": {"cpu": "64", "memory": "256Gi", "pods": "1000"},
        }
    }


def pod_status(pod: Any, *, ip: str, ready: bool, waiting_reason: str | None) -> dict[str, Any]:
    """Status of a running pod: all containers ready, or crash-looping with ``waiting_reason``."""
    stamp = now()
    flag = "True" if ready else "False"
    started = pod.status.start_time
    previous = {s.name: s for s in (pod.status.container_statuses or [])}
    statuses = []
    for c in pod.spec.containers:
        before = previous.get(c.name)
        restarts = before.restart_count if before else 0
        if waiting_reason is not None:
            message = f"back-off restarting failed container {c.name}"
            state: dict[str, Any] = {"waiting": {"reason": waiting_reason, "message": message}}
            last = {"terminated": {"exitCode": 1, "reason": "Error", "finishedAt": stamp}}
            restarts += 1
        else:
            state, last = {"running": {"startedAt": stamp}}, {}
        statuses.append(
            {
                "name": c.name,
                "image": c.image,
                "imageID": f"sim://{c.image}",
                "containerID": f"sim://{pod.metadata.uid}/{c.name}",
                "ready": ready,
                "started": waiting_reason is None,
                "restartCount": restarts,
                "state": state,
                "lastState": last,
            }
        )
    return {
        "status": {
            "phase": "Running",
            "hostIP": HOST_IP,
            "podIP": ip,
            "podIPs": [{"ip": ip}],
            "startTime": started.strftime("%Y-%m-%dT%H:%M:%SZ") if started else stamp,
            "conditions": [
                {"type": "PodScheduled", "status": "True", "lastTransitionTime": stamp},
                {"type": "Initialized", "status": "True", "lastTransitionTime": stamp},
                {"type": "ContainersReady", "status": flag, "lastTransitionTime": stamp},
                {"type": "Ready", "status": flag, "lastTransitionTime": stamp},
            ],
            "containerStatuses": statuses,
        }
    }


def summary(pod: Any) -> tuple[str | None, bool, str | None]:
    """(phase, Ready condition, first container's waiting reason) of a pod as the server has it."""
    status = pod.status
    conditions = {c.type: c.status for c in (status.conditions or [])}
    waiting = None
    for s in status.container_statuses or []:
        if s.state and s.state.waiting:
            waiting = s.state.waiting.reason
            break
    return status.phase, conditions.get("Ready") == "True", waiting


def image_pull_message(image: str, reason: str) -> str:
    """What a kubelet (containerd) says while an image cannot be pulled: the pull error first
    (``ErrImagePull``), then the back-off between attempts (``ImagePullBackOff``)."""
    if reason == "ImagePullBackOff":
        return f'Back-off pulling image "{image}"'
    return (
        f'rpc error: code = NotFound desc = failed to pull and unpack image "{image}": '
        f'failed to resolve reference "{image}": {image}: not found'
    )


def image_pull_status(pod: Any, *, reason: str) -> dict[str, Any]:
    """Status of a pod whose images cannot be pulled: Pending (no container ever started), not
    ready, each container waiting with ``reason`` (``ErrImagePull`` or ``ImagePullBackOff``)."""
    stamp = now()
    names = [c.name for c in pod.spec.containers]
    unready = {
        "status": "False",
        "reason": "ContainersNotReady",
        "message": f"containers with unready status: [{' '.join(names)}]",
        "lastTransitionTime": stamp,
    }
    started = pod.status.start_time
    return {
        "status": {
            "phase": "Pending",
            "hostIP": HOST_IP,
            "startTime": started.strftime("%Y-%m-%dT%H:%M:%SZ") if started else stamp,
            "conditions": [
                {"type": "PodScheduled", "status": "True", "lastTransitionTime": stamp},
                {"type": "Initialized", "status": "True", "lastTransitionTime": stamp},
                {"type": "ContainersReady", **unready},
                {"type": "Ready", **unready},
            ],
            "containerStatuses": [
                {
                    "name": c.name,
                    "image": c.image,
                    "imageID": "",
                    "ready": False,
                    "started": False,
                    "restartCount": 0,
                    "state": {
                        "waiting": {
                            "reason": reason,
                            "message": image_pull_message(c.image, reason),
                        }
                    },
                    "lastState": {},
                }
                for c in pod.spec.containers
            ],
        }
    }
