"""The Kubernetes mapping itself, on the real kube-apiserver: what the conformance kit cannot see.

Every request passes the limiter (the audit log for the provider's user equals the limiter's
admitted count), disable drops the traffic label so the Service's endpoints lose the pods (kept
warm), health reads pod phase and readiness, the wait is a watch, security groups are
NetworkPolicies, and the mapping's metadata (labels, annotations) is written at create.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from cloudrig import (
    Capacity,
    HealthState,
    IngressRule,
    InvalidSpec,
    LoadBalancerSpec,
    Protocol,
    SecurityGroupSpec,
)
from cloudrig_kubernetes import metadata
from cloudrig_kubernetes.settings import (
    KubernetesLoadBalancerSettings,
    KubernetesSecurityGroupSettings,
)
from support.kube import TEST_USER, KubeCluster

from .helpers import Admin, create_request, eventually

pytestmark = pytest.mark.kube


@pytest.fixture
def admin(kube_cluster: KubeCluster, kube_namespace: str) -> Iterator[Admin]:
    admin = Admin(kube_cluster, kube_namespace)
    yield admin
    admin.close()


def admitted(provider: Any) -> int:
    return sum(s.admitted for s in provider.context.limiter.stats().values())


def upsert_lb(provider: Any, namespace: str, name: str = "web") -> Any:
    spec = LoadBalancerSpec(name=name, account="kube-test", region=namespace, port=80)
    return provider.load_balancers.upsert(spec, KubernetesLoadBalancerSettings())


def test_create_writes_the_mapping_in_the_create_call(
    kube_provider: Any, kube_namespace: str, admin: Admin, kubelet: Any
) -> None:
    request = create_request(kube_namespace, load_balancers=("web",), ports=[8080])
    kube_provider.server_groups.create(request)
    rs = admin.apps.read_namespaced_replica_set(request.name, kube_namespace)
    assert rs.spec.selector.match_labels == {metadata.SERVER_GROUP: request.name}
    assert rs.metadata.labels[metadata.APP] == "shop"
    annotations = rs.metadata.annotations
    assert json.loads(annotations[metadata.MONIKER])["app"] == "shop"
    assert annotations[metadata.DEPLOYMENT_ID] == "dep-1"
    assert json.loads(annotations[metadata.CAPACITY]) == {"min": 2, "max": 4}
    template = rs.spec.template
    assert template.metadata.labels[metadata.TRAFFIC] == metadata.TRAFFIC_ON
    assert template.metadata.labels["lb.cloudrig.io/web"] == metadata.MEMBER
    (container,) = template.spec.containers
    assert (container.name, container.image) == ("main", "registry.example/shop:1")
    assert [(e.name, e.value) for e in container.env] == [("COLOR", "blue")]
    assert [p.container_port for p in container.ports] == [8080]


def test_every_request_passes_the_limiter_once(
    kube_cluster: KubeCluster, kube_provider: Any, kube_namespace: str, kubelet: Any
) -> None:
    """The audit log's count for the provider's user equals the limiter's admitted count, over
    every kind of call: creates, reads, lists, patches, a watch, deletes (the Service delete
    whose typed response the 37.x client cannot parse from a 1.20 server included)."""
    mark = kube_cluster.mark()
    upsert_lb(kube_provider, kube_namespace)
    request = create_request(kube_namespace, load_balancers=("web",))
    kube_provider.server_groups.create(request)
    kube_provider.server_groups.wait_for_health(kube_namespace, request.name, healthy=2, timeout=15)
    kube_provider.server_groups.disable(kube_namespace, request.name)
    kube_provider.server_groups.enable(kube_namespace, request.name)
    kube_provider.server_groups.resize(kube_namespace, request.name, Capacity.fixed(1))
    kube_provider.server_groups.list("shop")
    kube_provider.load_balancers.get(kube_namespace, "web")
    kube_provider.server_groups.destroy(kube_namespace, request.name)
    kube_provider.load_balancers.delete(kube_namespace, "web")
    kube_provider.check()
    sent = admitted(kube_provider)
    assert sent >= 20
    # The watch is logged once the server has seen it closed, a moment after the wait returned.
    eventually(lambda: kube_cluster.requests_by(TEST_USER, since=mark), lambda n: n == sent)


def test_disable_drops_the_traffic_label_and_the_service_endpoints(
    kube_provider: Any, kube_namespace: str, admin: Admin, kubelet: Any
) -> None:
    upsert_lb(kube_provider, kube_namespace)
    old = create_request(kube_namespace, sequence=1, load_balancers=("web",))
    new = create_request(kube_namespace, sequence=2, load_balancers=("web",))
    for request in (old, new):
        kube_provider.server_groups.create(request)
        kube_provider.server_groups.wait_for_health(
            kube_namespace, request.name, healthy=2, timeout=15
        )
    eventually(lambda: admin.endpoint_ips("web"), lambda ips: len(ips) == 4)
    assert kube_provider.load_balancers.get(kube_namespace, "web").server_groups == (
        old.name,
        new.name,
    )

    kube_provider.server_groups.disable(kube_namespace, old.name)
    pods = admin.pods(metadata.group_selector(old.name))
    assert len(pods) == 2, "disable keeps the pods"
    assert all(metadata.TRAFFIC not in p.metadata.labels for p in pods)
    new_ips = {p.status.pod_ip for p in admin.pods(metadata.group_selector(new.name))}
    eventually(lambda: admin.endpoint_ips("web"), lambda ips: ips == new_ips)
    assert not kube_provider.server_groups.get(kube_namespace, old.name).enabled

    # Pods created while disabled (a resize) come from the template: out of traffic too.
    kube_provider.server_groups.resize(kube_namespace, old.name, Capacity.fixed(3))
    pods = eventually(lambda: admin.pods(metadata.group_selector(old.name)), lambda p: len(p) == 3)
    assert all(metadata.TRAFFIC not in p.metadata.labels for p in pods)

    kube_provider.server_groups.enable(kube_namespace, old.name)
    eventually(lambda: admin.endpoint_ips("web"), lambda ips: len(ips) == 5)


def test_health_starting_then_up_through_one_watch_then_down_on_crash_loop(
    kube_cluster: KubeCluster, kube_provider: Any, kube_namespace: str, kubelet: Any
) -> None:
    request = create_request(kube_namespace)
    selector = {metadata.SERVER_GROUP: request.name}
    kubelet.ready(selector, after=1.5, namespace=kube_namespace)
    kube_provider.server_groups.create(request)
    starting = eventually(
        lambda: kube_provider.server_groups.get(kube_namespace, request.name),
        lambda g: len(g.instances) == 2,
    )
    assert {i.health for i in starting.instances} == {HealthState.STARTING}

    mark, before = kube_cluster.mark(), admitted(kube_provider)
    group = kube_provider.server_groups.wait_for_health(
        kube_namespace, request.name, healthy=2, timeout=15
    )
    assert group.healthy == 2
    # Read the group, list its pods, one watch: never a poll loop. (The audit log records a
    # watch when the server has seen the client close it: a moment later.)
    assert admitted(kube_provider) - before == 3
    eventually(lambda: kube_cluster.requests_by(TEST_USER, since=mark), lambda n: n == 3)

    kubelet.fail(selector, namespace=kube_namespace)
    down = eventually(
        lambda: kube_provider.server_groups.get(kube_namespace, request.name),
        lambda g: {i.health for i in g.instances} == {HealthState.DOWN},
    )
    details = {d.source: d for d in down.instances[0].details}
    assert details["readiness"].description == "CrashLoopBackOff"
    assert details["pod"].state is HealthState.UP  # still Running: the container restarts


def test_security_group_is_a_network_policy(
    kube_provider: Any, kube_namespace: str, admin: Admin, kubelet: Any
) -> None:
    rules = (
        IngressRule(from_port=5432, to_port=5432, cidrs=("10.1.0.0/16",)),
        IngressRule(from_port=5432, to_port=5432, source_groups=("web-sg",)),
    )
    spec = SecurityGroupSpec(name="db", account="kube-test", region=kube_namespace, ingress=rules)
    group = kube_provider.security_groups.upsert(spec, KubernetesSecurityGroupSettings())
    assert group.ingress == rules
    policy = admin.networking.read_namespaced_network_policy("db", kube_namespace)
    assert policy.spec.pod_selector.match_labels == {"sg.cloudrig.io/db": "member"}
    cidr_rule, group_rule = policy.spec.ingress
    assert cidr_rule.var_from[0].ip_block.cidr == "10.1.0.0/16"
    assert group_rule.var_from[0].pod_selector.match_labels == {"sg.cloudrig.io/web-sg": "member"}
    assert [p.port for p in cidr_rule.ports] == [5432]

    request = create_request(kube_namespace, security_groups=("db",))
    kube_provider.server_groups.create(request)
    pods = eventually(lambda: admin.pods(metadata.group_selector(request.name)), lambda p: len(p))
    assert pods[0].metadata.labels["sg.cloudrig.io/db"] == "member"

    icmp = IngressRule(protocol=Protocol.ICMP, from_port=0, to_port=0, cidrs=("0.0.0.0/0",))
    bad = spec.model_copy(update={"name": "ping", "ingress": (icmp,)})
    with pytest.raises(InvalidSpec, match="ICMP"):
        kube_provider.security_groups.upsert(bad, KubernetesSecurityGroupSettings())


def test_load_balancer_upsert_changes_only_what_differs(
    kube_cluster: KubeCluster, kube_provider: Any, kube_namespace: str, admin: Admin
) -> None:
    upsert_lb(kube_provider, kube_namespace)
    mark = kube_cluster.mark()
    upsert_lb(kube_provider, kube_namespace)  # the same: create refused, one read, one list
    assert kube_cluster.requests_by(TEST_USER, since=mark) == 3
    spec = LoadBalancerSpec(
        name="web", account="kube-test", region=kube_namespace, port=8080, target_port=9090
    )
    kube_provider.load_balancers.upsert(spec, KubernetesLoadBalancerSettings())
    ports = admin.core.read_namespaced_service("web", kube_namespace).spec.ports
    assert [(p.port, p.target_port) for p in ports] == [(8080, 9090)]


def test_an_invalid_pod_spec_is_invalid_spec(kube_provider: Any, kube_namespace: str) -> None:
    request = create_request(kube_namespace, ports=[70000])  # 422 from the API server
    with pytest.raises(InvalidSpec, match="422"):
        kube_provider.server_groups.create(request)


def test_a_stale_resource_version_is_reread_and_retried(
    kube_provider: Any, kube_namespace: str, admin: Admin, kubelet: Any
) -> None:
    """Another writer changes the ReplicaSet between our read and our write: the API server
    refuses the stale write (409), the resize re-reads and succeeds, the other change stays."""
    request = create_request(kube_namespace)
    kube_provider.server_groups.create(request)
    groups = kube_provider.server_groups
    original: Callable[..., Any] = groups.read
    raced: list[bool] = []

    def read_then_race(namespace: str, name: str) -> Any:
        rs = original(namespace, name)
        if not raced:
            raced.append(True)
            patch = {"metadata": {"annotations": {"example.com/owner": "someone-else"}}}
            admin.apps.patch_namespaced_replica_set(name, namespace, patch)
        return rs

    groups.read = read_then_race
    kube_provider.server_groups.resize(
        kube_namespace, request.name, Capacity(min=1, desired=3, max=5)
    )
    rs = admin.apps.read_namespaced_replica_set(request.name, kube_namespace)
    assert rs.spec.replicas == 3
    assert rs.metadata.annotations["example.com/owner"] == "someone-else"
    assert raced == [True]
