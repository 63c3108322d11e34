"""Health and failure rules on pod and ReplicaSet documents as the API server writes them (no
server needed): OutOfService for a disabled group's pods, what a wait counts, image pull and
ReplicaFailure reasons."""

from __future__ import annotations

from typing import Any

from cloudrig import HealthState
from cloudrig_kubernetes import health, metadata
from cloudrig_kubernetes.waiting import replica_failure


def pod(*, traffic: bool, ready: bool = True, waiting: str | None = None) -> dict[str, Any]:
    labels = {metadata.LB_PREFIX + "web": metadata.MEMBER}
    if traffic:
        labels[metadata.TRAFFIC] = metadata.TRAFFIC_ON
    state = {"waiting": {"reason": waiting, "message": "m"}} if waiting else {"running": {}}
    return {
        "metadata": {"name": "p", "labels": labels},
        "status": {
            "phase": "Running" if not waiting else "Pending",
            "conditions": [{"type": "Ready", "status": "True" if ready else "False"}],
            "containerStatuses": [{"name": "main", "state": state}],
        },
    }


def test_a_pod_out_of_traffic_is_out_of_service_and_counts_only_for_a_disabled_group() -> None:
    out = pod(traffic=False)
    assert health.instance(out).health is HealthState.OUT_OF_SERVICE
    assert health.serving(out, disabled=True)
    assert not health.serving(out, disabled=False), "an enabled group waits for its traffic"
    assert health.instance(pod(traffic=True)).health is HealthState.UP
    assert not health.serving(pod(traffic=False, ready=False), disabled=True)
    behind_nothing = pod(traffic=False)
    behind_nothing["metadata"]["labels"] = {}
    assert health.instance(behind_nothing).health is HealthState.UP


def test_image_pull_failures_are_named_with_the_kubelet_message() -> None:
    for reason in ("ErrImagePull", "ImagePullBackOff", "InvalidImageName"):
        assert health.pull_failure(pod(traffic=True, ready=False, waiting=reason)) == (
            f"{reason}: m"
        )
    assert health.pull_failure(pod(traffic=True, ready=False, waiting="CrashLoopBackOff")) is None
    assert health.pull_failure(pod(traffic=True, ready=False, waiting="ContainerCreating")) is None


def test_only_a_true_replica_failure_condition_fails_a_wait() -> None:
    condition = {"type": "ReplicaFailure", "reason": "FailedCreate", "message": "forbidden"}
    assert replica_failure({"status": {"conditions": [condition | {"status": "True"}]}}) == (
        "FailedCreate: forbidden"
    )
    assert replica_failure({"status": {"conditions": [condition | {"status": "False"}]}}) is None
    assert replica_failure({"status": {}}) is None
