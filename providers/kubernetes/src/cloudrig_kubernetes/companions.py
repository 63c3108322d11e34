"""The objects a server group may have beside its ReplicaSet: a PodDisruptionBudget and a
HorizontalPodAutoscaler, each named like the group and owned by its ReplicaSet.

- Both carry an ``ownerReference`` to the ReplicaSet, so the garbage collector deletes them with
  it (destroy needs no extra call) and they can never outlive or be mistaken for another group's.
- They are created right after the ReplicaSet, from the spec's ``disruption_budget`` and
  ``autoscaling`` settings, which the ReplicaSet's create call records in annotations (a
  create-time fact, docs/architecture.md §6). A create that meets the ReplicaSet already there (a
  resumed deployment) creates what is missing: 409 AlreadyExists on a companion is success.
- The HPA (``autoscaling/v1``) keeps replicas between the spec's min and max (min at least 1: the
  API refuses 0 unless the HPAScaleToZero feature gate is on) and targets average CPU
  utilization. Resize patches its bounds along with ``spec.replicas``. At 0 replicas (a group
  scaled down by a rollback) the HPA controller leaves the ReplicaSet alone ("scaling is disabled
  since the replica count of the target is zero"), so a rollback is not undone by it.
- PodDisruptionBudgets are ``policy/v1`` from Kubernetes 1.21 and ``policy/v1beta1`` before
  (1.20 serves only that one; 1.25 only v1): the first create tries v1 and falls back to v1beta1
  on 404, remembered per client.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Mapping
from typing import Any

from kubernetes.client.exceptions import ApiException

from cloudrig import Capacity
from cloudrig.provider import CreateServerGroup
from cloudrig_kubernetes import metadata
from cloudrig_kubernetes.clients import KubeClient
from cloudrig_kubernetes.errors import is_already_exists, is_not_found, map_error
from cloudrig_kubernetes.settings import KubernetesServerGroupSettings

AUTOSCALING = "cloudrig.io/autoscaling"  # RS annotation: the autoscaling settings (JSON)
DISRUPTION_BUDGET = "cloudrig.io/disruption-budget"  # RS annotation: the PDB settings (JSON)
PDB_VERSIONS = ("policy/v1", "policy/v1beta1")


def recorded(request: CreateServerGroup[KubernetesServerGroupSettings]) -> dict[str, str]:
    """What the ReplicaSet's create call records about its companions."""
    settings, found = request.settings, {}
    if settings.autoscaling is not None:
        found[AUTOSCALING] = settings.autoscaling.model_dump_json()
    if settings.disruption_budget is not None:
        found[DISRUPTION_BUDGET] = settings.disruption_budget.model_dump_json(exclude_none=True)
    return found


def hpa_bounds(capacity: Capacity) -> dict[str, int]:
    low = max(1, capacity.min)
    return {"minReplicas": low, "maxReplicas": max(low, capacity.max)}


def _owned(rs: Mapping[str, Any], kind: str, api_version: str) -> dict[str, Any]:
    meta = rs["metadata"]
    return {
        "apiVersion": api_version,
        "kind": kind,
        "metadata": {
            "name": meta["name"],
            "labels": {
                k: v
                for k, v in (meta.get("labels") or {}).items()
                if k in (metadata.MANAGED_BY, metadata.APP, metadata.CLUSTER, metadata.SERVER_GROUP)
            },
            "ownerReferences": [
                {
                    "apiVersion": "apps/v1",
                    "kind": "ReplicaSet",
                    "name": meta["name"],
                    "uid": meta["uid"],
                    "blockOwnerDeletion": True,
                }
            ],
        },
    }


def autoscaler(rs: Mapping[str, Any], capacity: Capacity, target_cpu: int) -> dict[str, Any]:
    body = _owned(rs, "HorizontalPodAutoscaler", "autoscaling/v1")
    body["spec"] = {
        "scaleTargetRef": {
            "apiVersion": "apps/v1",
            "kind": "ReplicaSet",
            "name": rs["metadata"]["name"],
        },
        **hpa_bounds(capacity),
        "targetCPUUtilizationPercentage": target_cpu,
    }
    return body


def disruption_budget(
    rs: Mapping[str, Any], settings: Mapping[str, Any], version: str
) -> dict[str, Any]:
    body = _owned(rs, "PodDisruptionBudget", version)
    spec: dict[str, Any] = {
        "selector": {"matchLabels": {metadata.SERVER_GROUP: rs["metadata"]["name"]}}
    }
    if "min_available" in settings:
        spec["minAvailable"] = settings["min_available"]
    else:
        spec["maxUnavailable"] = settings["max_unavailable"]
    body["spec"] = spec
    return body


class Companions:
    """Creates and resizes a group's PodDisruptionBudget and HorizontalPodAutoscaler."""

    def __init__(self, kube: KubeClient) -> None:
        self.kube = kube
        self._pdb_versions = list(PDB_VERSIONS)
        self._lock = threading.Lock()

    def ensure(self, rs: Mapping[str, Any], capacity: Capacity) -> None:
        """Create the companions the ReplicaSet's annotations ask for (those present are kept)."""
        notes = metadata.annotations_of(rs)
        namespace, name = rs["metadata"]["namespace"], rs["metadata"]["name"]
        if AUTOSCALING in notes:
            target = int(json.loads(notes[AUTOSCALING])["target_cpu_percent"])
            self._create(
                self.kube.autoscaling.create_namespaced_horizontal_pod_autoscaler,
                namespace,
                autoscaler(rs, capacity, target),
                name,
            )
        if DISRUPTION_BUDGET in notes:
            self._create_budget(rs, json.loads(notes[DISRUPTION_BUDGET]))

    def resize(self, rs: Mapping[str, Any], capacity: Capacity) -> None:
        """Bring the HPA's bounds to ``capacity`` (when the group has one)."""
        if AUTOSCALING not in metadata.annotations_of(rs):
            return
        namespace, name = rs["metadata"]["namespace"], rs["metadata"]["name"]
        self.kube.call(
            self.kube.autoscaling.patch_namespaced_horizontal_pod_autoscaler,
            name,
            namespace,
            {"spec": hpa_bounds(capacity)},
            resource=name,
        )

    def _create(
        self, fn: Callable[..., Any], namespace: str, body: dict[str, Any], name: str
    ) -> None:
        try:
            self.kube.raw(fn, namespace, body)
        except ApiException as exc:
            if not is_already_exists(exc):
                raise map_error(
                    exc, getattr(fn, "__name__", "create"), account=self.kube.account, resource=name
                ) from exc

    def _create_budget(self, rs: Mapping[str, Any], settings: Mapping[str, Any]) -> None:
        namespace, name = rs["metadata"]["namespace"], rs["metadata"]["name"]
        while True:
            with self._lock:
                version, fallback = self._pdb_versions[0], len(self._pdb_versions) > 1
            path = f"/apis/{version}/namespaces/{{namespace}}/poddisruptionbudgets"
            send = _post(self.kube, path)
            try:
                self.kube.raw(send, namespace, disruption_budget(rs, settings, version))
                return
            except ApiException as exc:
                if is_already_exists(exc):
                    return
                if not (is_not_found(exc) and fallback):
                    raise map_error(
                        exc, send.__name__, account=self.kube.account, resource=name
                    ) from exc
            with self._lock:  # the server does not serve this version: the older one next
                if self._pdb_versions[0] == version:
                    self._pdb_versions.pop(0)


def _post(kube: KubeClient, path: str) -> Callable[..., Any]:
    """A create call for a path the typed client has no method for (``policy/v1beta1``),
    through the same gated REST layer, answering like the typed ones with
    ``_preload_content=False`` (the raw response; ApiException on a non-2xx status)."""

    def create_namespaced_pod_disruption_budget(
        namespace: str, body: dict[str, Any], *, _preload_content: bool = False
    ) -> Any:
        api = kube.api_client
        request = api.param_serialize(
            method="POST",
            resource_path=path,
            path_params={"namespace": namespace},
            header_params={"Accept": "application/json", "Content-Type": "application/json"},
            body=body,
            auth_settings=["BearerToken"],
        )
        response = api.call_api(*request)
        if not 200 <= response.status <= 299:
            response.read()  # type: ignore[no-untyped-call]
            raise ApiException.from_response(http_resp=response, body=None, data=None)
        return response.response

    return create_namespaced_pod_disruption_budget
