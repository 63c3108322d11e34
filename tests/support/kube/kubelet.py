"""A kubelet simulator: binds pods to one simulated node and writes the status a kubelet would.

Why: the test control plane has no scheduler or kubelet, so pods would stay Pending forever. This
watches every pod and, like those two components, binds it to a node (a Node object it creates:
Endpoints need a real node name per address), reports it Running/Ready (or crash-looping) through
the status subresource, and confirms graceful deletions. The controller-manager then updates
ReplicaSet ``readyReplicas`` and Service Endpoints from it, as in a real cluster.

Behaviour is chosen per label selector (equality ``matchLabels``; the most recent matching rule
wins, pods matching none become ready at once):

    kubelet.ready({"app": "web"}, after=3.0)   # Running at once, Ready 3 s after first seen
    kubelet.fail({"version": "v2"})            # CrashLoopBackOff, not ready (also flips running pods)
    kubelet.hold({"app": "batch"})             # left Pending and unscheduled
    kubelet.image_pull_fails({"version": "v3"}) # Pending: ErrImagePull, then ImagePullBackOff

One thread lists then watches pods (informer-style) and queues them; a second applies rules and
delayed readiness. ``stop()`` ends both within the watch's server-side timeout (2 s).
"""

from __future__ import annotations

import heapq
import itertools
import logging
import queue
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

from kubernetes import client, watch
from kubernetes.client.exceptions import ApiException

from . import podstatus

log = logging.getLogger(__name__)
WATCH_TIMEOUT_S = 2
_RESYNC = ("", "")  # queue token: re-list every pod (after a rule change)


class Behaviour(Enum):
    READY = "ready"
    FAILING = "failing"
    PENDING = "pending"
    IMAGE_PULL_FAILING = "image-pull-failing"


@dataclass(frozen=True)
class Rule:
    selector: Mapping[str, str]
    namespace: str | None
    behaviour: Behaviour
    ready_after: float = (
        0.0  # READY: Ready from then; IMAGE_PULL_FAILING: ImagePullBackOff from then
    )
    reason: str = "CrashLoopBackOff"

    def matches(self, namespace: str, labels: Mapping[str, str]) -> bool:
        if self.namespace is not None and self.namespace != namespace:
            return False
        return all(labels.get(k) == v for k, v in self.selector.items())


def parse_selector(selector: Mapping[str, str] | str) -> dict[str, str]:
    """Accept ``{"app": "web"}`` or ``"app=web,tier=front"`` (equality selectors only)."""
    if not isinstance(selector, str):
        return dict(selector)
    pairs: dict[str, str] = {}
    for term in filter(None, (t.strip() for t in selector.split(","))):
        key, sep, value = term.partition("=")
        if not sep or any(c in term for c in "!() "):
            raise ValueError(f"only equality selectors are supported, got {term!r}")
        pairs[key.strip()] = value.lstrip("=").strip()
    return pairs


class KubeletSimulator:
    """Patches pod statuses per rule; see the module docstring. Thread-safe; start once, stop once."""

    def __init__(
        self, make_client: Callable[[], client.ApiClient], node_name: str = podstatus.NODE_NAME
    ) -> None:
        self.node_name = node_name
        # Separate clients for the two threads: one holds a long-lived watch connection.
        self._watch_api = client.CoreV1Api(make_client())
        self._api = client.CoreV1Api(make_client())
        self._rules: list[Rule] = []
        self._lock = threading.Lock()
        self._queue: queue.Queue[tuple[str, str]] = queue.Queue()
        self._stop = threading.Event()
        self._first_seen: dict[str, float] = {}  # pod uid -> monotonic time first seen
        self._ips = itertools.count(1)
        self._pod_ips: dict[str, str] = {}
        self._threads = [
            threading.Thread(target=self._watch_loop, name="kubelet-sim-watch", daemon=True),
            threading.Thread(target=self._apply_loop, name="kubelet-sim-apply", daemon=True),
        ]

    # -- control from tests ----------------------------------------------------------------

    def ready(
        self, selector: Mapping[str, str] | str, *, after: float = 0.0, namespace: str | None = None
    ) -> None:
        """Matching pods run at once and become Ready ``after`` seconds after first seen."""
        self._add(Rule(parse_selector(selector), namespace, Behaviour.READY, ready_after=after))

    def fail(
        self,
        selector: Mapping[str, str] | str,
        *,
        namespace: str | None = None,
        reason: str = "CrashLoopBackOff",
    ) -> None:
        """Matching pods (including already-ready ones) report a crashing container, not ready."""
        self._add(Rule(parse_selector(selector), namespace, Behaviour.FAILING, reason=reason))

    def image_pull_fails(
        self,
        selector: Mapping[str, str] | str,
        *,
        namespace: str | None = None,
        backoff_after: float = 1.0,
    ) -> None:
        """Matching pods are bound but their images cannot be pulled: Pending, each container
        waiting in ``ErrImagePull``, then ``ImagePullBackOff`` from ``backoff_after`` seconds after
        first seen (as a kubelet backs off between pulls); never ready, no restarts."""
        self._add(
            Rule(
                parse_selector(selector),
                namespace,
                Behaviour.IMAGE_PULL_FAILING,
                ready_after=backoff_after,
                reason="ErrImagePull",
            )
        )

    def hold(self, selector: Mapping[str, str] | str, *, namespace: str | None = None) -> None:
        """Matching pods are left Pending (as if no node could take them)."""
        self._add(Rule(parse_selector(selector), namespace, Behaviour.PENDING))

    def reset(self) -> None:
        """Drop every rule: all pods become ready."""
        with self._lock:
            self._rules.clear()
        self._queue.put(_RESYNC)

    def _add(self, rule: Rule) -> None:
        with self._lock:
            self._rules.append(rule)
        self._queue.put(_RESYNC)

    def rule_for(self, namespace: str, labels: Mapping[str, str]) -> Rule | None:
        with self._lock:
            return next((r for r in reversed(self._rules) if r.matches(namespace, labels)), None)

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> KubeletSimulator:
        self._ensure_node()
        for thread in self._threads:
            thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._queue.put(_RESYNC)  # wake the apply thread
        for thread in self._threads:
            thread.join(timeout=WATCH_TIMEOUT_S + 5)
        self._watch_api.api_client.close()
        self._api.api_client.close()

    # -- threads -------------------------------------------------------------------------------

    def _watch_loop(self) -> None:
        while not self._stop.is_set():
            try:
                listing = self._watch_api.list_pod_for_all_namespaces()
                for pod in listing.items:
                    self._queue.put((pod.metadata.namespace, pod.metadata.name))
                version = listing.metadata.resource_version
                while not self._stop.is_set():
                    w = watch.Watch()
                    for event in w.stream(
                        self._watch_api.list_pod_for_all_namespaces,
                        resource_version=version,
                        timeout_seconds=WATCH_TIMEOUT_S,
                    ):
                        pod = event["object"]
                        version = pod.metadata.resource_version
                        if event["type"] in ("ADDED", "MODIFIED"):
                            self._queue.put((pod.metadata.namespace, pod.metadata.name))
                        if self._stop.is_set():
                            w.stop()
            except ApiException as exc:  # 410 Gone: our version is too old, re-list
                if exc.status != 410 and not self._stop.is_set():
                    log.warning("kubelet simulator watch failed: %s", exc.reason)
                    self._stop.wait(1.0)
            except Exception:  # a dropped connection must not end the simulator
                if not self._stop.is_set():
                    log.exception("kubelet simulator watch failed; re-listing")
                    self._stop.wait(1.0)

    def _apply_loop(self) -> None:
        delayed: list[tuple[float, str, str]] = []  # (due monotonic time, namespace, name)
        while not self._stop.is_set():
            timeout = max(0.0, delayed[0][0] - time.monotonic()) if delayed else None
            try:
                keys = [self._queue.get(timeout=timeout)]
            except queue.Empty:
                keys = []
            while delayed and delayed[0][0] <= time.monotonic():
                _, ns, name = heapq.heappop(delayed)
                keys.append((ns, name))
            for key in keys:
                if self._stop.is_set():
                    return
                if key != _RESYNC:
                    self._guarded(
                        key, lambda k=key: self._api.read_namespaced_pod(k[1], k[0]), delayed
                    )
                    continue
                try:
                    pods = self._api.list_pod_for_all_namespaces().items
                except Exception:
                    log.exception("kubelet simulator could not list pods")
                    continue
                for pod in pods:
                    pod_key = (pod.metadata.namespace, pod.metadata.name)
                    self._guarded(pod_key, lambda p=pod: p, delayed)

    def _guarded(
        self, key: tuple[str, str], get: Callable[[], Any], delayed: list[tuple[float, str, str]]
    ) -> None:
        """Reconcile one pod; a failure is logged and never stops the simulation of the others."""
        try:
            self._reconcile(get(), delayed)
        except ApiException as exc:
            if exc.status not in (404, 409):  # gone, or changed under us: its next event retries
                log.warning("kubelet simulator could not update pod %s: %s", key, exc.reason)
        except Exception:
            log.exception("kubelet simulator failed on pod %s", key)

    def _ensure_node(self) -> None:
        try:
            self._api.create_node(podstatus.node(self.node_name))
        except ApiException as exc:
            if exc.status != 409:
                raise
        self._api.patch_node_status(self.node_name, podstatus.node_status())

    def _reconcile(self, pod: Any, delayed: list[tuple[float, str, str]]) -> None:
        meta, node_name = pod.metadata, pod.spec.node_name
        if node_name and node_name != self.node_name:
            return  # bound to another node, whose kubelet owns its status
        if meta.deletion_timestamp is not None:
            if node_name:  # a kubelet confirms a graceful delete once the containers stopped
                options = client.V1DeleteOptions(
                    grace_period_seconds=0, preconditions=client.V1Preconditions(uid=meta.uid)
                )
                self._api.delete_namespaced_pod(
                    meta.name, meta.namespace, body=options, _preload_content=False
                )
            return
        rule = self.rule_for(meta.namespace, meta.labels or {})
        behaviour = rule.behaviour if rule else Behaviour.READY
        if behaviour is Behaviour.PENDING:
            return
        if not node_name:  # what the scheduler would do
            binding = client.V1Binding(
                metadata=client.V1ObjectMeta(name=meta.name),
                target=client.V1ObjectReference(api_version="v1", kind="Node", name=self.node_name),
            )
            self._api.create_namespaced_pod_binding(
                meta.name, meta.namespace, binding, _preload_content=False
            )
        first_seen = self._first_seen.setdefault(meta.uid, time.monotonic())
        if behaviour is Behaviour.IMAGE_PULL_FAILING and rule is not None:
            self._report_image_pull(pod, rule, first_seen, delayed)
            return
        ready = behaviour is Behaviour.READY
        if ready and rule is not None and rule.ready_after > 0:
            due = first_seen + rule.ready_after
            if time.monotonic() < due:
                ready = False
                heapq.heappush(delayed, (due, meta.namespace, meta.name))
        reason = rule.reason if rule and behaviour is Behaviour.FAILING else None
        if podstatus.summary(pod) == ("Running", ready, reason):
            return  # already as wanted: no patch, so our own MODIFIED events settle
        if meta.uid not in self._pod_ips:
            n = next(self._ips)
            self._pod_ips[meta.uid] = f"10.244.{n // 250 % 250}.{n % 250 + 1}"
        body = podstatus.pod_status(
            pod, ip=self._pod_ips[meta.uid], ready=ready, waiting_reason=reason
        )
        self._api.patch_namespaced_pod_status(meta.name, meta.namespace, body)

    def _report_image_pull(
        self, pod: Any, rule: Rule, first_seen: float, delayed: list[tuple[float, str, str]]
    ) -> None:
        meta = pod.metadata
        reason = "ErrImagePull"
        if time.monotonic() >= first_seen + rule.ready_after:
            reason = "ImagePullBackOff"
        else:
            heapq.heappush(delayed, (first_seen + rule.ready_after, meta.namespace, meta.name))
        if podstatus.summary(pod) == ("Pending", False, reason):
            return
        body = podstatus.image_pull_status(pod, reason=reason)
        self._api.patch_namespaced_pod_status(meta.name, meta.namespace, body)
