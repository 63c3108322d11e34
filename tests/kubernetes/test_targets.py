"""The Kubernetes test target's rules, seen with the plain kubernetes client (no cloudrig code):
ResourceQuota and LimitRanger admission refuse pods and the ReplicaSet says so; the kubelet
simulator reports image pull failures as a kubelet does; RBAC authorizes each user by its roles;
the fault proxy cuts a watch mid-stream. Each rule is listed in tests/README.md with its source."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import urllib3
from kubernetes import client, config, watch
from kubernetes.client.exceptions import ApiException

from support.kube import KubeCluster
from support.kube.kubeconfig import retarget
from support.kube.plugin import QUOTA_PODS
from support.kube.rbac import grant_role
from support.proxy import Cut, FaultProxy

from .helpers import eventually

pytestmark = pytest.mark.kube


@pytest.fixture
def admin(kube_cluster: KubeCluster) -> Iterator[client.ApiClient]:
    with kube_cluster.api_client(kube_cluster.admin_user) as api_client:
        yield api_client


def replica_set(name: str, replicas: int, **container: Any) -> dict[str, Any]:
    return {
        "metadata": {"name": name},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"rs": name}},
            "template": {
                "metadata": {"labels": {"rs": name}},
                "spec": {"containers": [{"name": "main", "image": "web:1", **container}]},
            },
        },
    }


def failure_condition(apps: client.AppsV1Api, namespace: str, name: str) -> Any:
    conditions = apps.read_namespaced_replica_set_status(name, namespace).status.conditions or []
    return next((c for c in conditions if c.type == "ReplicaFailure"), None)


def test_quota_refuses_pods_past_it_and_the_replica_set_says_so(
    admin: client.ApiClient, kube_quota_namespace: str, kubelet: Any
) -> None:
    ns, apps = kube_quota_namespace, client.AppsV1Api(admin)
    apps.create_namespaced_replica_set(ns, replica_set("web", QUOTA_PODS + 2))
    condition = eventually(lambda: failure_condition(apps, ns, "web"), lambda c: c is not None)
    assert (condition.status, condition.reason) == ("True", "FailedCreate")
    assert "exceeded quota: pods" in condition.message
    pods = client.CoreV1Api(admin).list_namespaced_pod(ns).items
    assert len(pods) == QUOTA_PODS


def test_limit_range_refuses_a_container_above_its_maximum(
    admin: client.ApiClient, kube_quota_namespace: str
) -> None:
    ns, apps = kube_quota_namespace, client.AppsV1Api(admin)
    greedy = {"resources": {"limits": {"cpu": "2"}, "requests": {"cpu": "2"}}}
    apps.create_namespaced_replica_set(ns, replica_set("greedy", 1, **greedy))
    condition = eventually(lambda: failure_condition(apps, ns, "greedy"), lambda c: c is not None)
    assert condition.reason == "FailedCreate"
    assert "maximum cpu usage per Container is 1" in condition.message
    with pytest.raises(ApiException) as refused:  # the same rule on a bare pod: 403 Forbidden
        client.CoreV1Api(admin).create_namespaced_pod(
            ns,
            {
                "metadata": {"name": "p"},
                "spec": replica_set("x", 1, **greedy)["spec"]["template"]["spec"],
            },
        )
    assert refused.value.status == 403


def test_image_pull_failures_are_reported_as_a_kubelet_does(
    admin: client.ApiClient, kube_namespace: str, kubelet: Any
) -> None:
    kubelet.image_pull_fails({"rs": "web"}, namespace=kube_namespace, backoff_after=0.5)
    client.AppsV1Api(admin).create_namespaced_replica_set(kube_namespace, replica_set("web", 1))
    core = client.CoreV1Api(admin)

    def waiting() -> list[tuple[str | None, str, str]]:
        seen = []
        for pod in core.list_namespaced_pod(kube_namespace).items:
            for status in pod.status.container_statuses or ():
                if status.state.waiting:
                    w = status.state.waiting
                    seen.append((pod.status.phase, w.reason, w.message))
        return seen

    ((phase, _, message),) = eventually(
        waiting, lambda s: bool(s) and s[0][1] == "ImagePullBackOff"
    )
    assert (phase, message) == ("Pending", 'Back-off pulling image "web:1"')


def test_rbac_allows_a_user_only_what_its_role_grants(
    kube_cluster: KubeCluster, admin: client.ApiClient, kube_namespace: str, kube_limited_user: str
) -> None:
    grant_role(
        admin,
        kube_namespace,
        kube_limited_user,
        [{"apiGroups": [""], "resources": ["pods"], "verbs": ["list"]}],
    )
    with kube_cluster.api_client(kube_limited_user) as limited:
        core = client.CoreV1Api(limited)
        eventually(lambda: _allowed(lambda: core.list_namespaced_pod(kube_namespace)), bool)
        assert not _allowed(lambda: core.list_namespaced_service(kube_namespace))
        assert not _allowed(lambda: core.list_namespaced_pod("default"))
    with kube_cluster.api_client(kube_cluster.test_user) as tester:
        client.CoreV1Api(tester).list_namespaced_service(kube_namespace)  # cluster-admin


def _allowed(call: Callable[[], Any]) -> bool:
    try:
        call()
    except ApiException as exc:
        if exc.status != 403:
            raise
        return False
    return True


def test_the_proxy_cuts_a_watch_mid_stream(
    kube_cluster: KubeCluster,
    fault_proxy: Callable[..., FaultProxy],
    kube_namespace: str,
    tmp_path: Path,
) -> None:
    proxy = fault_proxy(kube_cluster.api_url, tls=True)
    assert proxy.ca_bundle is not None
    proxy.add(Cut(after=0.5), method="GET", path=r"/pods$", times=1)
    kubeconfig = retarget(
        kube_cluster.kubeconfig(), tmp_path / "kc", server=proxy.url, ca_pem=proxy.ca_bundle
    )
    with config.new_client_from_config(config_file=str(kubeconfig)) as api_client:
        core = client.CoreV1Api(api_client)
        started = time.monotonic()
        with pytest.raises((urllib3.exceptions.ProtocolError, OSError)):
            for _ in watch.Watch().stream(
                core.list_namespaced_pod, kube_namespace, timeout_seconds=10
            ):
                pass
        assert time.monotonic() - started < 5, "cut at 0.5 s, long before the watch's own end"
    assert (proxy.cut(), proxy.forwarded()) == (1, 1)
