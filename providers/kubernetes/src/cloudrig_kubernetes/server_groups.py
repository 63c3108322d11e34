"""Server groups: a ReplicaSet per version, created from a pod template, found by labels.

Creates write every identity fact in the create call (``metadata``); a create that meets an
existing ReplicaSet (409 AlreadyExists) reads it and returns it when its moniker and deployment
id match, else raises Conflict (never adopts). Destroy is a foreground delete: the ReplicaSet
disappears after its pods, so a destroyed group never leaves pods serving behind it.
A ReplicaSet being deleted is reported as gone.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from kubernetes.client.exceptions import ApiException

from cloudrig import Capacity, Conflict, Instance, NotFound, ServerGroup
from cloudrig.provider import CreateServerGroup, ServerGroupMetadata
from cloudrig_kubernetes import health, metadata
from cloudrig_kubernetes.clients import KubeClient
from cloudrig_kubernetes.concurrency import optimistic
from cloudrig_kubernetes.errors import is_already_exists, is_not_found, map_error
from cloudrig_kubernetes.settings import KubernetesServerGroupSettings


def pod_spec(request: CreateServerGroup) -> dict[str, Any]:
    """The pod spec: the settings' PodSpec with the artifact as the main container's image."""
    settings = request.settings
    assert isinstance(settings, KubernetesServerGroupSettings)
    spec: dict[str, Any] = json.loads(json.dumps(dict(settings.pod_spec)))  # a deep copy
    containers: list[dict[str, Any]] = spec.setdefault("containers", [])
    main = next((c for c in containers if c.get("name") == settings.container), None)
    if main is None:
        main = {"name": settings.container}
        containers.insert(0, main)
    main["image"] = request.spec.artifact
    if settings.ports and "ports" not in main:
        main["ports"] = [{"containerPort": p} for p in settings.ports]
    env = [e for e in main.get("env", []) if e.get("name") not in request.spec.environment]
    env += [{"name": k, "value": v} for k, v in sorted(request.spec.environment.items())]
    if env:
        main["env"] = env
    return spec


def replica_set(request: CreateServerGroup) -> dict[str, Any]:
    settings = request.settings
    assert isinstance(settings, KubernetesServerGroupSettings)
    identity = metadata.identity_annotations(request.metadata)
    return {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": {
            "name": request.name,
            "namespace": request.spec.region,
            "labels": metadata.group_labels(request),
            "annotations": metadata.group_annotations(request),
        },
        "spec": {
            "replicas": request.spec.capacity.desired,
            "minReadySeconds": settings.min_ready_seconds,
            "selector": {"matchLabels": {metadata.SERVER_GROUP: request.name}},
            "template": {
                "metadata": {"labels": metadata.pod_labels(request), "annotations": identity},
                "spec": pod_spec(request),
            },
        },
    }


class ServerGroups:
    def __init__(self, kube: KubeClient) -> None:
        self.kube = kube
        self.account = kube.account

    # -- reads -----------------------------------------------------------------------------------
    def read(self, namespace: str, name: str, *, fresh: bool = True) -> dict[str, Any]:
        """The ReplicaSet of a group; NotFound when absent, being deleted, or not cloudrig's.
        Fresh by default: most reads of one group decide a change to it."""
        rs = self.kube.read(
            self.kube.apps.read_namespaced_replica_set,
            name,
            namespace,
            resource=name,
            fresh=fresh,
        )
        if rs.get("metadata", {}).get("deletionTimestamp") or not metadata.is_ours(rs):
            raise NotFound(
                f"server group {name} not found in namespace {namespace}",
                provider="kubernetes",
                account=self.account,
                resource=name,
            )
        return rs

    def pods(self, namespace: str, selector: str, *, fresh: bool = True) -> dict[str, Any]:
        return self.kube.read(
            self.kube.core.list_namespaced_pod, namespace, label_selector=selector, fresh=fresh
        )

    def build(self, rs: Mapping[str, Any], pods: list[Mapping[str, Any]]) -> ServerGroup:
        meta = rs["metadata"]
        identity = metadata.read_metadata(rs)
        template_labels = rs["spec"]["template"]["metadata"].get("labels") or {}
        try:
            tags = json.loads(metadata.annotations_of(rs).get(metadata.TAGS, "{}"))
        except ValueError:
            tags = {}
        instances = health.instances(
            [p for p in pods if not p["metadata"].get("deletionTimestamp")]
        )
        return ServerGroup(
            name=meta["name"],
            moniker=identity.moniker,
            account=self.account,
            region=meta["namespace"],
            capacity=metadata.read_capacity(rs),
            instances=instances,
            enabled=template_labels.get(metadata.TRAFFIC) == metadata.TRAFFIC_ON,
            created_at=health.parse_time(meta.get("creationTimestamp")),
            artifact=metadata.annotations_of(rs).get(metadata.ARTIFACT),
            load_balancers=metadata.json_list(rs, metadata.LOAD_BALANCERS),
            security_groups=metadata.json_list(rs, metadata.SECURITY_GROUPS),
            deployment_id=identity.deployment_id,
            tags=tags,
        )

    def get(self, namespace: str, name: str) -> ServerGroup:
        rs = self.read(namespace, name, fresh=False)
        pods = self.pods(namespace, metadata.group_selector(name), fresh=False)["items"]
        return self.build(rs, pods)

    def of_app(self, app: str, namespaces: tuple[str, ...]) -> list[ServerGroup]:
        """Every group of ``app``: one list of ReplicaSets and one of pods per namespace, by
        the app label; the exact app is then compared from the moniker annotation."""
        groups: list[ServerGroup] = []
        selector = metadata.app_selector(app)
        for namespace in namespaces:
            sets = self.kube.read(
                self.kube.apps.list_namespaced_replica_set, namespace, label_selector=selector
            )["items"]
            sets = [
                rs
                for rs in sets
                if metadata.is_ours(rs)
                and not rs["metadata"].get("deletionTimestamp")
                and metadata.read_metadata(rs).moniker.app == app
            ]
            if not sets:
                continue
            by_group: dict[str, list[Mapping[str, Any]]] = {}
            for pod in self.pods(namespace, selector, fresh=False)["items"]:
                group = (pod["metadata"].get("labels") or {}).get(metadata.SERVER_GROUP, "")
                by_group.setdefault(group, []).append(pod)
            groups += [self.build(rs, by_group.get(rs["metadata"]["name"], [])) for rs in sets]
        return sorted(groups, key=lambda g: (g.region, g.created_at or 0, g.name))

    def health(self, namespace: str, name: str) -> tuple[Instance, ...]:
        return self.get(namespace, name).instances

    def read_metadata(self, namespace: str, name: str) -> ServerGroupMetadata:
        return metadata.read_metadata(self.read(namespace, name, fresh=False))

    # -- mutations -------------------------------------------------------------------------------
    def create(self, request: CreateServerGroup) -> ServerGroup:
        namespace, name = request.spec.region, request.name
        try:
            created = self.kube.raw(
                self.kube.apps.create_namespaced_replica_set, namespace, replica_set(request)
            )
            # Just created: the ReplicaSet controller has not made its pods yet.
            return self.build(created, [])
        except ApiException as exc:
            if not is_already_exists(exc):
                raise map_error(
                    exc, "create_namespaced_replica_set", account=self.account, resource=name
                ) from exc
            existing = self.kube.call(
                self.kube.apps.read_namespaced_replica_set, name, namespace, resource=name
            )
            if not metadata.is_ours(existing) or metadata.read_metadata(existing) != (
                request.metadata
            ):
                raise Conflict(
                    f"ReplicaSet {namespace}/{name} exists with another identity; not adopting it",
                    provider="kubernetes",
                    account=self.account,
                    resource=name,
                ) from exc
        return self.get(namespace, name)

    def resize(self, namespace: str, name: str, capacity: Capacity) -> None:
        bounds = json.dumps({"min": capacity.min, "max": capacity.max})

        def write(rs: dict[str, Any]) -> None:
            patch = {
                "metadata": {
                    "resourceVersion": rs["metadata"]["resourceVersion"],
                    "annotations": {metadata.CAPACITY: bounds},
                },
                "spec": {"replicas": capacity.desired},
            }
            self.kube.raw(self.kube.apps.patch_namespaced_replica_set, name, namespace, patch)

        optimistic(
            lambda: self.read(namespace, name),
            write,
            what="resize",
            account=self.account,
            resource=name,
        )

    def destroy(self, namespace: str, name: str) -> None:
        """Foreground deletion, preconditioned on the uid read (never someone else's object)."""
        try:
            rs = self.read(namespace, name)
        except NotFound:
            return
        body = {
            "propagationPolicy": "Foreground",
            "preconditions": {"uid": rs["metadata"]["uid"]},
        }
        try:
            self.kube.raw(self.kube.apps.delete_namespaced_replica_set, name, namespace, body=body)
        except ApiException as exc:
            if not is_not_found(exc):
                raise map_error(
                    exc, "delete_namespaced_replica_set", account=self.account, resource=name
                ) from exc
