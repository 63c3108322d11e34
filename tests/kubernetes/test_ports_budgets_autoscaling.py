"""Multi-port Services; a PodDisruptionBudget and a HorizontalPodAutoscaler per server group from
its settings, owned by its ReplicaSet (deleted with it), the HPA's bounds following resize; a
resumed create makes what is missing. Everything checked from the API server's own objects."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from kubernetes import client

from cloudrig import Capacity, InvalidSpec, LoadBalancerSpec
from cloudrig_kubernetes import KubernetesLoadBalancerSettings
from support.kube import KubeCluster

from .helpers import Admin, create_request, eventually

pytestmark = pytest.mark.kube


@pytest.fixture
def admin(kube_cluster: KubeCluster, kube_namespace: str) -> Iterator[Admin]:
    admin = Admin(kube_cluster, kube_namespace)
    yield admin
    admin.close()


def service_ports(admin: Admin, name: str) -> list[tuple[str, int, int, str]]:
    service = admin.core.read_namespaced_service(name, admin.namespace)
    return [(p.name, p.port, int(p.target_port), p.protocol) for p in service.spec.ports]


def test_a_service_with_several_ports(
    kube_provider: Any, kube_namespace: str, admin: Admin
) -> None:
    spec = LoadBalancerSpec(
        name="web", account="kube-test", region=kube_namespace, port=80, target_port=8080
    )
    settings = KubernetesLoadBalancerSettings.model_validate(
        {
            "ports": [
                {"name": "metrics", "port": 9090},
                {"name": "dns", "port": 53, "protocol": "UDP"},
            ]
        }
    )
    kube_provider.load_balancers.upsert(spec, settings)
    assert service_ports(admin, "web") == [
        ("http", 80, 8080, "TCP"),
        ("metrics", 9090, 9090, "TCP"),
        ("dns", 53, 53, "UDP"),
    ]
    kube_provider.load_balancers.upsert(spec, KubernetesLoadBalancerSettings())
    assert service_ports(admin, "web") == [("http", 80, 8080, "TCP")], "a dropped port goes"
    clash = KubernetesLoadBalancerSettings.model_validate({"ports": [{"name": "http", "port": 81}]})
    with pytest.raises(InvalidSpec, match="repeats the spec's port 'http'"):
        kube_provider.load_balancers.upsert(spec, clash)
    with pytest.raises(ValueError, match="names must be unique"):
        KubernetesLoadBalancerSettings.model_validate(
            {"ports": [{"name": "a", "port": 1}, {"name": "a", "port": 2}]}
        )


def pdb(admin: Admin, name: str) -> dict[str, Any]:
    custom = client.CustomObjectsApi(admin.api_client)
    found: dict[str, Any] = custom.get_namespaced_custom_object(
        "policy", "v1beta1", admin.namespace, "poddisruptionbudgets", name
    )
    return found


def gone(read: Any) -> bool:
    try:
        read()
    except client.ApiException as exc:
        return exc.status == 404
    return False


def test_a_disruption_budget_per_group_owned_by_its_replica_set(
    kube_provider: Any, kube_namespace: str, admin: Admin
) -> None:
    request = create_request(kube_namespace, disruption_budget={"min_available": 1})
    kube_provider.server_groups.create(request)
    rs = admin.apps.read_namespaced_replica_set(request.name, kube_namespace)
    budget = pdb(admin, request.name)
    assert budget["spec"]["minAvailable"] == 1
    assert budget["spec"]["selector"] == {"matchLabels": {"cloudrig.io/server-group": request.name}}
    assert [o["uid"] for o in budget["metadata"]["ownerReferences"]] == [rs.metadata.uid]
    kube_provider.server_groups.destroy(kube_namespace, request.name)
    eventually(lambda: gone(lambda: pdb(admin, request.name)), bool)


def test_an_autoscaler_per_group_between_the_spec_min_and_max(
    kube_provider: Any, kube_namespace: str, admin: Admin
) -> None:
    request = create_request(kube_namespace, desired=2, autoscaling={"target_cpu_percent": 70})
    groups = kube_provider.server_groups
    groups.create(request)
    hpas = client.AutoscalingV1Api(admin.api_client)
    hpa = hpas.read_namespaced_horizontal_pod_autoscaler(request.name, kube_namespace)
    assert (hpa.spec.min_replicas, hpa.spec.max_replicas) == (2, 4)  # the spec's capacity
    assert hpa.spec.target_cpu_utilization_percentage == 70
    target = hpa.spec.scale_target_ref
    assert (target.api_version, target.kind, target.name) == ("apps/v1", "ReplicaSet", request.name)
    groups.resize(kube_namespace, request.name, Capacity(min=1, desired=3, max=5))
    hpa = hpas.read_namespaced_horizontal_pod_autoscaler(request.name, kube_namespace)
    assert (hpa.spec.min_replicas, hpa.spec.max_replicas) == (1, 5)
    assert admin.apps.read_namespaced_replica_set(request.name, kube_namespace).spec.replicas == 3
    groups.resize(kube_namespace, request.name, Capacity.fixed(0))  # HPA minimum is 1 on 1.20
    hpa = hpas.read_namespaced_horizontal_pod_autoscaler(request.name, kube_namespace)
    assert (hpa.spec.min_replicas, hpa.spec.max_replicas) == (1, 1)
    # A resumed create (the ReplicaSet made, the worker gone before its HPA) makes what is missing.
    hpas.delete_namespaced_horizontal_pod_autoscaler(request.name, kube_namespace)
    groups.create(request)
    assert hpas.read_namespaced_horizontal_pod_autoscaler(request.name, kube_namespace)
    groups.destroy(kube_namespace, request.name)
    eventually(
        lambda: gone(
            lambda: hpas.read_namespaced_horizontal_pod_autoscaler(request.name, kube_namespace)
        ),
        bool,
    )


def test_budget_and_autoscaling_settings_are_validated() -> None:
    from cloudrig_kubernetes import KubernetesServerGroupSettings

    for bad in (
        {"disruption_budget": {}},
        {"disruption_budget": {"min_available": 1, "max_unavailable": 1}},
        {"disruption_budget": {"max_unavailable": "150%"}},
        {"autoscaling": {"target_cpu_percent": 0}},
    ):
        with pytest.raises(ValueError, match=r"disruption budget|exactly one|target_cpu"):
            KubernetesServerGroupSettings.model_validate(bad)
