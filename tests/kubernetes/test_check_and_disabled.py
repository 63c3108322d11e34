"""``check`` reviews every permission the provider uses, per namespace, with the API server's own
authorizer (RBAC here), and ``cloudrig doctor`` names what is missing; a disabled group's pods
report OutOfService, as AWS and GCP report a disabled group's instances."""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client

from cloudrig import HealthState, PermissionDenied
from cloudrig_kubernetes.permissions import PERMISSIONS
from support.kube import KubeCluster
from support.kube.rbac import grant_role

from .helpers import create_request

pytestmark = pytest.mark.kube
REQUIRED = [p for p in PERMISSIONS if not p.optional]


@pytest.fixture
def other_namespace(kube_cluster: KubeCluster) -> Iterator[str]:
    name = f"t-{uuid.uuid4().hex[:10]}"
    with kube_cluster.api_client(kube_cluster.admin_user) as api_client:
        core = client.CoreV1Api(api_client)
        core.create_namespace({"metadata": {"name": name}})
        yield name
        core.delete_namespace(name, _preload_content=False)


def limited_role(kube_cluster: KubeCluster, namespace: str) -> None:
    """Every required permission but ``delete`` on ReplicaSets and ``watch`` on pods."""
    rules = []
    for p in REQUIRED:
        verbs = [
            v
            for v in p.verbs
            if (p.resource, v) not in {("replicasets", "delete"), ("pods", "watch")}
        ]
        rules.append({"apiGroups": [p.group], "resources": [p.resource], "verbs": verbs})
    with kube_cluster.api_client(kube_cluster.admin_user) as admin:
        grant_role(admin, namespace, kube_cluster.limited_user, rules)


def test_check_reviews_every_verb_of_every_resource_per_namespace(
    make_kube_provider: Callable[..., Any], kube_namespace: str, other_namespace: str
) -> None:
    provider = make_kube_provider(namespaces=[kube_namespace, other_namespace])
    result = provider.check()
    assert "every required permission granted" in result.detail
    assert "optional" not in result.detail
    reviews = sum(len(p.verbs) for p in PERMISSIONS)
    stats = provider.context.limiter.stats()
    assert sum(s.admitted for s in stats.values()) == 1 + 2 * reviews  # /version + the reviews


def test_check_names_each_missing_permission(
    kube_limited_user: str,
    kube_cluster: KubeCluster,
    make_kube_provider: Callable[..., Any],
    kube_namespace: str,
    other_namespace: str,
) -> None:
    limited_role(kube_cluster, kube_namespace)
    provider = make_kube_provider(user=kube_cluster.limited_user)
    with pytest.raises(PermissionDenied) as denied:
        provider.check()
    text = str(denied.value)
    assert f"namespace {kube_namespace}: apps/replicasets delete (server groups); " in text
    assert "core/pods watch (health, the wait, enable/disable)" in text
    assert "services" not in text
    assert "networkpolicies" not in text
    # Nothing at all granted in a second namespace: every required permission is named.
    everywhere = make_kube_provider(
        namespaces=[kube_namespace, other_namespace], user=kube_cluster.limited_user
    )
    with pytest.raises(PermissionDenied) as denied:
        everywhere.check()
    assert f"namespace {other_namespace}: apps/replicasets get, list, create, patch, delete" in (
        str(denied.value)
    )


def test_doctor_names_what_is_missing(
    kube_limited_user: str, kube_cluster: KubeCluster, kube_namespace: str, tmp_path: Path
) -> None:
    limited_role(kube_cluster, kube_namespace)
    config = tmp_path / "cloudrig.yaml"
    config.write_text(
        "accounts:\n"
        "  k8s:\n"
        "    provider: kubernetes\n"
        f"    namespaces: [{kube_namespace}]\n"
        f"    kubeconfig: {kube_cluster.kubeconfig(kube_cluster.limited_user)}\n",
        encoding="utf-8",
    )
    done = subprocess.run(
        [sys.executable, "-m", "cloudrig", "doctor", "--config", str(config), "--accounts"],
        capture_output=True,
        text=True,
        timeout=120,
        env={"COLUMNS": "400", "PATH": "/usr/bin:/bin"},
    )
    out = done.stdout + done.stderr
    assert done.returncode == 1, out
    assert "PermissionDenied: missing RBAC permissions" in out
    assert "apps/replicasets delete" in out
    assert "core/pods watch" in out


def test_a_disabled_group_reports_out_of_service(
    kube_provider: Any, kube_namespace: str, kubelet: Any
) -> None:
    from cloudrig import LoadBalancerSpec

    groups = kube_provider.server_groups
    kube_provider.load_balancers.upsert(
        LoadBalancerSpec(name="web", account="kube-test", region=kube_namespace),
        _lb_settings(),
    )
    request = create_request(kube_namespace, load_balancers=("web",))
    groups.create(request)
    assert groups.wait_for_health(kube_namespace, request.name, healthy=2, timeout=30).healthy == 2
    groups.disable(kube_namespace, request.name)
    group = groups.get(kube_namespace, request.name)
    assert [i.health for i in group.instances] == [HealthState.OUT_OF_SERVICE] * 2
    detail = group.instances[0].details[-1]
    assert (detail.source, detail.description) == ("load-balancer", "server group disabled")
    # A disabled group kept warm is still waited for by its other sources (rollback targets).
    started = time.monotonic()
    groups.wait_for_health(kube_namespace, request.name, healthy=2, timeout=20)
    assert time.monotonic() - started < 5
    groups.enable(kube_namespace, request.name)
    group = groups.get(kube_namespace, request.name)
    assert [i.health for i in group.instances] == [HealthState.UP] * 2


def _lb_settings() -> Any:
    from cloudrig_kubernetes import KubernetesLoadBalancerSettings

    return KubernetesLoadBalancerSettings()
