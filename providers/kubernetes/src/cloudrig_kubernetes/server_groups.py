"""Server groups: a ReplicaSet per version, created from a pod template, found by labels.

Regions are namespaces. Creates write every identity fact in the create call (``metadata``); a
create that meets an existing ReplicaSet (409 AlreadyExists) reads it and returns it when its
moniker and deployment id match, else raises Conflict (never adopts). Destroy is a foreground
delete: the ReplicaSet disappears after its pods, so a destroyed group never leaves pods serving
behind it. A ReplicaSet being deleted is reported as gone.

Enable and disable move the traffic label on the running pods and on the pod template. A Service
selects ``lb.cloudrig.io/<service>=member`` AND ``cloudrig.io/traffic=enabled``. Disable removes
the traffic label from each of the group's pods (so the Service drops them from its endpoints at
once), then from the ReplicaSet's pod template (so pods it creates later stay out; the template
is what ``enabled`` reads, so it changes last and a call killed part-way still reads as not done),
then from any pod made from the old template meanwhile; the pods keep running (warm). Enable puts
it back the same way. The ReplicaSet's own selector is only ``cloudrig.io/server-group``, so
relabelling never orphans or replaces a pod. Traffic between enabled groups follows their ready pod
counts (CAPACITY_ONLY): a Service spreads connections over its endpoints, so the share is the
replica ratio, not a weight; the provider has no ``traffic`` noun.

The efficient wait is a watch on the group's pods, not a poll loop (``waiting``): three requests
however long the wait, failing fast when admission refuses the pods or their image cannot be
pulled, re-listing after a cut or an expired resourceVersion.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from typing import Any

from kubernetes.client.exceptions import ApiException

from cloudrig import Capacity, Conflict, Instance, NotFound, ServerGroup
from cloudrig.provider import CreateServerGroup, ServerGroupMetadata, ServerGroups
from cloudrig_kubernetes import companions, health, metadata
from cloudrig_kubernetes.clients import KubeClient
from cloudrig_kubernetes.companions import Companions
from cloudrig_kubernetes.concurrency import optimistic
from cloudrig_kubernetes.errors import is_already_exists, is_not_found, map_error
from cloudrig_kubernetes.settings import KubernetesServerGroupSettings
from cloudrig_kubernetes.waiting import PodWatch


def pod_spec(request: CreateServerGroup[KubernetesServerGroupSettings]) -> dict[str, Any]:
    """The pod spec: the settings' PodSpec with the artifact as the main container's image."""
    settings = request.settings
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


def replica_set(request: CreateServerGroup[KubernetesServerGroupSettings]) -> dict[str, Any]:
    settings = request.settings
    identity = metadata.identity_annotations(request.metadata)
    return {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": {
            "name": request.name,
            "namespace": request.spec.region,
            "labels": metadata.group_labels(request),
            "annotations": metadata.group_annotations(request) | companions.recorded(request),
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


class KubeServerGroups(ServerGroups[KubernetesServerGroupSettings]):
    """The ``server_groups`` noun: ReplicaSets in the account's namespaces."""

    def __init__(self, kube: KubeClient) -> None:
        self.kube = kube
        self.account = kube.account
        self.companions = Companions(kube)
        self._lock = threading.Lock()
        self._apps: dict[tuple[str, str], str] = {}  # (namespace, group) -> its app's selector

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

    def get(self, region: str, name: str) -> ServerGroup:
        """The group: from its app's listings when ``list`` has seen it (the same cached reads
        ``list`` made, so a get right after a list costs nothing), else its ReplicaSet and pods."""
        selector = self._apps.get((region, name))
        if selector is not None:
            sets = self.kube.read(
                self.kube.apps.list_namespaced_replica_set, region, label_selector=selector
            )["items"]
            rs = next((r for r in sets if r["metadata"]["name"] == name), None)
            if (
                rs is not None
                and metadata.is_ours(rs)
                and not rs["metadata"].get("deletionTimestamp")
            ):
                pods = self.pods(region, selector, fresh=False)["items"]
                key = metadata.SERVER_GROUP
                return self.build(rs, [p for p in pods if metadata.labels_of(p).get(key) == name])
        rs = self.read(region, name, fresh=False)
        pods = self.pods(region, metadata.group_selector(name), fresh=False)["items"]
        return self.build(rs, pods)

    def list(self, app: str, region: str | None = None) -> list[ServerGroup]:
        """Every group of ``app``: one list of ReplicaSets and one of pods per namespace, by
        the app label; the exact app is then compared from the moniker annotation."""
        groups: list[ServerGroup] = []
        selector = metadata.app_selector(app)
        for namespace in self.kube.namespaces(region):
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
            with self._lock:  # where ``get`` finds these groups: the same (cached) listings
                self._apps = {
                    k: v for k, v in self._apps.items() if (k[0], v) != (namespace, selector)
                } | {(namespace, rs["metadata"]["name"]): selector for rs in sets}
        return sorted(groups, key=lambda g: (g.region, g.created_at or 0, g.name))

    def health(self, region: str, name: str) -> tuple[Instance, ...]:
        return self.get(region, name).instances

    def read_metadata(self, region: str, name: str) -> ServerGroupMetadata:
        return metadata.read_metadata(self.read(region, name, fresh=False))

    # -- mutations -------------------------------------------------------------------------------
    def create(self, request: CreateServerGroup[KubernetesServerGroupSettings]) -> ServerGroup:
        namespace, name = request.spec.region, request.name
        try:
            created = self.kube.raw(
                self.kube.apps.create_namespaced_replica_set, namespace, replica_set(request)
            )
            self.companions.ensure(created, request.spec.capacity)
            # The write's own answer is the ReplicaSet as it is now: the reads right after it
            # (the deployment's verify step) get it from the read cache.
            self.kube.remember(
                self.kube.apps.read_namespaced_replica_set, name, namespace, value=created
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
            self.companions.ensure(existing, request.spec.capacity)  # a resumed create
        return self.get(namespace, name)

    def resize(self, region: str, name: str, capacity: Capacity) -> None:
        bounds = json.dumps({"min": capacity.min, "max": capacity.max})

        def write(rs: dict[str, Any]) -> None:
            self.companions.resize(rs, capacity)  # the HPA's bounds first: it never undoes this
            patch = {
                "metadata": {
                    "resourceVersion": rs["metadata"]["resourceVersion"],
                    "annotations": {metadata.CAPACITY: bounds},
                },
                "spec": {"replicas": capacity.desired},
            }
            self.kube.raw(self.kube.apps.patch_namespaced_replica_set, name, region, patch)

        optimistic(
            lambda: self.read(region, name),
            write,
            what="resize",
            account=self.account,
            resource=name,
        )

    def enable(self, region: str, name: str) -> None:
        self._set_traffic(region, name, enabled=True)

    def disable(self, region: str, name: str) -> None:
        self._set_traffic(region, name, enabled=False)

    def _set_traffic(self, namespace: str, name: str, *, enabled: bool) -> None:
        """The traffic label on each running pod, then on the pod template, then on any pod the
        ReplicaSet made from the old template meanwhile.

        The template is the group's recorded state (``enabled`` is read from it), so it is written
        last among the changes that matter: a deployer killed part-way leaves the group reported
        as it was before the call, and the call made again (every step is idempotent) finishes it.
        Written first, a disable killed before the pods were relabelled would read as done while
        the pods kept serving (the crash matrix, ``tests/kubernetes/test_crash_matrix.py``)."""
        value = metadata.TRAFFIC_ON if enabled else None  # None deletes the label in a patch
        self._label_pods(namespace, name, value)
        # One label set or removed: a patch that commutes with any other writer's change, so it
        # carries no resourceVersion and needs no read first (a group gone meanwhile is 404).
        patch = {"spec": {"template": {"metadata": {"labels": {metadata.TRAFFIC: value}}}}}
        try:
            self.kube.raw(self.kube.apps.patch_namespaced_replica_set, name, namespace, patch)
        except ApiException as exc:
            raise map_error(
                exc, "enable" if enabled else "disable", account=self.account, resource=name
            ) from exc
        # Pods listed after the template changed: any pod created later has the new labels,
        # and one created from the old template before the change is relabelled here.
        self._label_pods(namespace, name, value)

    def _label_pods(self, namespace: str, name: str, value: str | None) -> None:
        pods = self.pods(namespace, metadata.group_selector(name))["items"]
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
                        exc, "patch_namespaced_pod", account=self.account, resource=pod_name
                    ) from exc

    def destroy(self, region: str, name: str) -> None:
        """Foreground deletion, preconditioned on the uid read (never someone else's object)."""
        try:
            rs = self.read(region, name)
        except NotFound:
            return
        body = {
            "propagationPolicy": "Foreground",
            "preconditions": {"uid": rs["metadata"]["uid"]},
        }
        try:
            self.kube.raw(self.kube.apps.delete_namespaced_replica_set, name, region, body=body)
        except ApiException as exc:
            if not is_not_found(exc):
                raise map_error(
                    exc, "delete_namespaced_replica_set", account=self.account, resource=name
                ) from exc

    # -- the efficient wait: a watch (waiting.py) ------------------------------------------------
    def wait_for_health(
        self, region: str, name: str, *, healthy: int, timeout: float
    ) -> ServerGroup:
        """Until ``healthy`` pods serve or ``timeout``; fails fast when the ReplicaSet cannot
        create its pods or a pod cannot pull its image (``waiting.PodWatch``)."""
        wait = PodWatch(
            self.kube, region, name, read=lambda: self.read(region, name), healthy=healthy
        )
        rs = wait.run(timeout)
        wait.remember()
        return self.build(rs, list(wait.pods.values()))
