"""Enable and disable: the traffic label on the pod template and on the running pods.

A Service selects ``lb.cloudrig.io/<service>=member`` AND ``cloudrig.io/traffic=enabled``.
Disable removes the traffic label from the ReplicaSet's pod template (so pods it creates later
stay out) and then from each of its pods (so the Service drops them from its endpoints at once);
the pods keep running (warm). Enable puts it back. The ReplicaSet's own selector is only
``cloudrig.io/server-group``, so relabelling never orphans or replaces a pod.

Traffic between enabled groups follows their ready pod counts (CAPACITY_ONLY): a Service spreads
connections over its endpoints, so the share is the replica ratio, not a weight.
"""

from __future__ import annotations

from typing import Any

from kubernetes.client.exceptions import ApiException

from cloudrig_kubernetes import metadata
from cloudrig_kubernetes.clients import KubeClient
from cloudrig_kubernetes.concurrency import optimistic
from cloudrig_kubernetes.errors import is_not_found, map_error
from cloudrig_kubernetes.server_groups import ServerGroups


class Traffic:
    def __init__(self, kube: KubeClient, server_groups: ServerGroups) -> None:
        self.kube = kube
        self.server_groups = server_groups

    def set_enabled(self, namespace: str, name: str, enabled: bool) -> None:
        value = metadata.TRAFFIC_ON if enabled else None  # None deletes the label in a patch

        def write(rs: dict[str, Any]) -> None:
            labels = rs["spec"]["template"]["metadata"].get("labels") or {}
            if labels.get(metadata.TRAFFIC) == value:
                return  # the template is right already: no write
            patch = {
                "metadata": {"resourceVersion": rs["metadata"]["resourceVersion"]},
                "spec": {"template": {"metadata": {"labels": {metadata.TRAFFIC: value}}}},
            }
            self.kube.raw(self.kube.apps.patch_namespaced_replica_set, name, namespace, patch)

        optimistic(
            lambda: self.server_groups.read(namespace, name),
            write,
            what="enable" if enabled else "disable",
            account=self.kube.account,
            resource=name,
        )
        # Pods listed after the template changed: any pod created later has the new labels.
        pods = self.server_groups.pods(namespace, metadata.group_selector(name))["items"]
        for pod in pods:
            pod_name = pod["metadata"]["name"]
            if (pod["metadata"].get("labels") or {}).get(metadata.TRAFFIC) == value:
                continue
            patch = {"metadata": {"labels": {metadata.TRAFFIC: value}}}
            try:
                self.kube.raw(self.kube.core.patch_namespaced_pod, pod_name, namespace, patch)
            except ApiException as exc:
                if not is_not_found(exc):  # a pod deleted meanwhile needs no label
                    raise map_error(
                        exc, "patch_namespaced_pod", account=self.kube.account, resource=pod_name
                    ) from exc
