"""The efficient wait for a server group's health: a watch of its pods, failing fast.

One read of the ReplicaSet, one list of its pods (which gives the resourceVersion to watch from),
then a watch that streams every pod change until enough pods are Up or the deadline passes: three
requests however long the wait, when the pods exist.

It fails at once, with the API's own reason, when the version cannot become healthy:

- **the ReplicaSet cannot create its pods**: admission refused them (ResourceQuota, LimitRange,
  Pod Security, a policy webhook), so they never exist and no pod event will ever come. The
  ReplicaSet controller says so in the ReplicaSet's ``ReplicaFailure`` condition (reason
  ``FailedCreate``, the admission message). While pods are missing, the watch is cut into
  segments (2 s, then growing by half up to 30 s) and the ReplicaSet is read again between them,
  so the failure is seen by the second read at the latest. An exceeded quota raises ``Conflict``
  (the namespace is full), any other refusal ``InvalidSpec``.
- **a pod cannot pull its image** (``ErrImagePull``, ``ImagePullBackOff``, ``InvalidImageName``
  in a container's waiting state): seen in the list or the first watch event that carries it;
  raises ``InvalidSpec`` with the kubelet's message.

A watch that ends early is resumed from the last resourceVersion seen; one cut mid-stream (the
connection reset by an API server restart or a proxy's idle timeout) or answered with 410 Gone
starts over from a fresh list, whose resourceVersion the next watch resumes from.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

import urllib3

from cloudrig import Conflict, InvalidSpec, ProviderError
from cloudrig_kubernetes import health, metadata
from cloudrig_kubernetes.clients import KubeClient

FIRST_SEGMENT, MAX_SEGMENT, GROWTH = 2.0, 30.0, 1.5
Pods = dict[str, dict[str, Any]]


def replica_failure(rs: Mapping[str, Any]) -> str | None:
    """``"<reason>: <message>"`` of a true ``ReplicaFailure`` condition, else None."""
    for condition in (rs.get("status") or {}).get("conditions") or ():
        if condition.get("type") == "ReplicaFailure" and condition.get("status") == "True":
            return f"{condition.get('reason') or 'ReplicaFailure'}: {condition.get('message', '')}"
    return None


def disabled(rs: Mapping[str, Any]) -> bool:
    labels = ((rs.get("spec") or {}).get("template") or {}).get("metadata", {}).get("labels") or {}
    return labels.get(metadata.TRAFFIC) != metadata.TRAFFIC_ON


def live(pods: Pods) -> int:
    return sum(1 for pod in pods.values() if not pod["metadata"].get("deletionTimestamp"))


class PodWatch:
    """One wait for ``healthy`` serving pods of a group (see the module docstring)."""

    def __init__(
        self,
        kube: KubeClient,
        namespace: str,
        name: str,
        *,
        read: Callable[[], dict[str, Any]],
        healthy: int,
    ) -> None:
        self.kube, self.namespace, self.name = kube, namespace, name
        self.read_replica_set = read
        self.healthy = healthy
        self.selector = metadata.group_selector(name)
        self.pods: Pods = {}
        self.version: str | None = None
        self.disabled = False  # the group's template out of traffic: OutOfService pods count

    def serving(self) -> int:
        return sum(1 for p in self.pods.values() if health.serving(p, disabled=self.disabled))

    def _where(self) -> dict[str, str]:
        return {"provider": "kubernetes", "account": self.kube.account, "resource": self.name}

    def check_replica_set(self) -> dict[str, Any]:
        rs = self.read_replica_set()
        self.disabled = disabled(rs)
        failure = replica_failure(rs)
        if failure is not None:
            error = Conflict if "exceeded quota" in failure else InvalidSpec
            raise error(
                f"server group {self.name} cannot create its pods: ReplicaFailure {failure}",
                **self._where(),
            )
        return rs

    def _check_pod(self, pod: Mapping[str, Any]) -> None:
        failure = health.pull_failure(pod)
        if failure is not None:
            raise InvalidSpec(
                f"server group {self.name}: pod {pod['metadata']['name']} cannot pull its "
                f"image: {failure}",
                **self._where(),
            )

    def run(self, timeout: float) -> dict[str, Any]:
        """Wait; the ReplicaSet as last read (``self.pods`` holds the pods as last seen)."""
        deadline = time.monotonic() + timeout
        rs = self.check_replica_set()
        wanted = int((rs.get("spec") or {}).get("replicas") or 0)
        self._list()
        segment = FIRST_SEGMENT
        while self.serving() < self.healthy:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            if self.version is None:  # history expired or the stream was cut: a fresh list
                self._list()
                continue
            missing = live(self.pods) < wanted
            self._watch(min(remaining, segment) if missing else remaining)
            if (
                live(self.pods) < wanted
                and self.serving() < self.healthy
                and deadline > time.monotonic()
            ):
                rs = self.check_replica_set()  # pods still missing: has admission refused them?
                wanted = int((rs.get("spec") or {}).get("replicas") or 0)
                segment = min(segment * GROWTH, MAX_SEGMENT)
        return rs

    def _list(self) -> None:
        listed = self.kube.read(
            self.kube.core.list_namespaced_pod,
            self.namespace,
            label_selector=self.selector,
            fresh=True,
        )
        self.pods = {p["metadata"]["name"]: p for p in listed["items"]}
        self.version = str(listed["metadata"]["resourceVersion"])
        for pod in self.pods.values():
            self._check_pod(pod)

    def _watch(self, seconds: float) -> None:
        """Apply one watch's events to ``pods``; ``version`` becomes None when the watch must
        start over from a list (410 Gone, or the stream cut mid-flight)."""
        assert self.version is not None
        events = self.kube.stream(
            self.kube.core.list_namespaced_pod,
            self.namespace,
            timeout=seconds,
            label_selector=self.selector,
            resource_version=self.version,
        )
        try:
            for event in events:
                kind, obj = event.get("type"), event.get("object") or {}
                if kind == "ERROR":
                    self.version = None  # 410 Gone: the resourceVersion is too old
                    return
                self.version = str(obj.get("metadata", {}).get("resourceVersion") or self.version)
                if kind == "DELETED":
                    self.pods.pop(obj["metadata"]["name"], None)
                elif kind in ("ADDED", "MODIFIED"):
                    self.pods[obj["metadata"]["name"]] = obj
                    self._check_pod(obj)
                if self.serving() >= self.healthy:
                    break
        except ProviderError:
            raise
        except (urllib3.exceptions.HTTPError, OSError, ValueError):
            # Cut mid-stream (reset, incomplete chunk, a torn JSON line): events may have been
            # lost, so the next round lists afresh rather than resuming.
            self.version = None
        finally:
            events.close()

    def remember(self) -> None:
        """What the watch saw is newer than any cached listing: later reads get it, free."""
        if self.version is None:
            return
        listing = {"metadata": {"resourceVersion": self.version}, "items": list(self.pods.values())}
        self.kube.remember(
            self.kube.core.list_namespaced_pod,
            self.namespace,
            label_selector=self.selector,
            value=listing,
        )
