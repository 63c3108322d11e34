"""The contract's efficient wait: a watch on the group's pods, not a poll loop.

One read of the ReplicaSet, one list of its pods (which gives the resourceVersion to watch
from), then one watch request that streams every pod change until enough pods are Up or the
deadline passes: three requests however long the wait. The server ends a watch at
``timeoutSeconds``; an expired resourceVersion (410 Gone) re-lists and watches again.
"""

from __future__ import annotations

import time
from typing import Any

from cloudrig import HealthState, ServerGroup
from cloudrig_kubernetes import health, metadata
from cloudrig_kubernetes.clients import KubeClient
from cloudrig_kubernetes.server_groups import ServerGroups


def _up(pods: dict[str, dict[str, Any]]) -> int:
    return sum(
        1
        for pod in pods.values()
        if not pod["metadata"].get("deletionTimestamp")
        and health.instance(pod).health is HealthState.UP
    )


class Waiter:
    def __init__(self, kube: KubeClient, server_groups: ServerGroups) -> None:
        self.kube = kube
        self.server_groups = server_groups

    def wait_for_health(
        self, namespace: str, name: str, *, healthy: int, timeout: float
    ) -> ServerGroup:
        deadline = time.monotonic() + timeout
        rs = self.server_groups.read(namespace, name)
        selector = metadata.group_selector(name)
        pods, listed_version = self._list(namespace, selector)
        version: str | None = listed_version
        while _up(pods) < healthy:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            if version is None:  # history expired: start over from a fresh list
                pods, version = self._list(namespace, selector)
                continue
            version = self._watch(namespace, selector, pods, version, healthy, remaining)
        # What the watch saw is newer than any cached listing: later reads get it, free.
        listing = {"metadata": {"resourceVersion": version}, "items": list(pods.values())}
        self.kube.remember(
            self.kube.core.list_namespaced_pod, namespace, label_selector=selector, value=listing
        )
        return self.server_groups.build(rs, list(pods.values()))

    def _list(self, namespace: str, selector: str) -> tuple[dict[str, dict[str, Any]], str]:
        listed = self.server_groups.pods(namespace, selector)
        pods = {p["metadata"]["name"]: p for p in listed["items"]}
        return pods, str(listed["metadata"]["resourceVersion"])

    def _watch(
        self,
        namespace: str,
        selector: str,
        pods: dict[str, dict[str, Any]],
        version: str,
        healthy: int,
        remaining: float,
    ) -> str | None:
        """Apply the events of one watch to ``pods``; the version to resume from, or None."""
        events = self.kube.stream(
            self.kube.core.list_namespaced_pod,
            namespace,
            timeout=remaining,
            label_selector=selector,
            resource_version=version,
        )
        try:
            for event in events:
                kind, obj = event.get("type"), event.get("object") or {}
                if kind == "ERROR":
                    return None  # 410 Gone: the resourceVersion is too old
                version = str(obj.get("metadata", {}).get("resourceVersion") or version)
                if kind == "DELETED":
                    pods.pop(obj["metadata"]["name"], None)
                elif kind in ("ADDED", "MODIFIED"):
                    pods[obj["metadata"]["name"]] = obj
                if _up(pods) >= healthy:
                    break
        finally:
            events.close()
        return version
