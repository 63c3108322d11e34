"""The Kubernetes test target behaves like a cluster for the real `kubernetes` client.

What the Kubernetes provider relies on, end to end through kubernetes 37.x against kube-apiserver
1.20: ReplicaSets create pods (controller-manager), the kubelet simulator makes them ready or failing
and ReplicaSet status follows, label selectors, strategic merge patch, status subresource, stale
resourceVersion conflicts, garbage collection on delete, and the audit log counting exactly the
requests the test user's client sent.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
from kubernetes import client, config
from kubernetes.client.exceptions import ApiException

from support.kube import AuditUnavailableError, KubeCluster, KubeletSimulator
from support.kube.cluster import use_existing
from support.kube.kubeconfig import retarget
from support.proxy import FaultProxy, Style, kubernetes_throttle, server_error

pytestmark = pytest.mark.kube

T = TypeVar("T")


def eventually(check: Callable[[], T | None], timeout: float = 30.0) -> T:
    """Poll ``check`` until it returns something truthy (the controllers act asynchronously).

    Returns that value; raises AssertionError naming the check's source line after ``timeout``.
    """
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            where = f"{check.__code__.co_filename}:{check.__code__.co_firstlineno}"
            raise AssertionError(f"condition at {where} not met within {timeout} s")
        time.sleep(0.2)


class CountedClient:
    """An ApiClient for the test user, with urllib3 retries off, counting every request it sends.

    Counting wraps the urllib3 PoolManager the client's REST layer sends through, so every API
    call, list, patch and delete is counted exactly where it leaves the process.
    """

    def __init__(self, cluster: KubeCluster) -> None:
        configuration = client.Configuration()
        configuration.retries = False
        self.api_client = cluster.api_client(cluster.test_user, configuration)
        self.sent = 0
        pool = self.api_client.rest_client.pool_manager
        send = pool.request

        def counting_request(*args: Any, **kwargs: Any) -> Any:
            self.sent += 1
            return send(*args, **kwargs)

        pool.request = counting_request
        self.core = client.CoreV1Api(self.api_client)
        self.apps = client.AppsV1Api(self.api_client)
        self.net = client.NetworkingV1Api(self.api_client)


@pytest.fixture
def counted(kube_cluster: KubeCluster) -> Iterator[CountedClient]:
    c = CountedClient(kube_cluster)
    yield c
    c.api_client.close()


def replica_set(name: str, version: str, replicas: int) -> client.V1ReplicaSet:
    labels = {"app": "web", "version": version, "traffic": "on"}
    return client.V1ReplicaSet(
        metadata=client.V1ObjectMeta(name=name, labels=labels),
        spec=client.V1ReplicaSetSpec(
            replicas=replicas,
            selector=client.V1LabelSelector(match_labels={"app": "web", "version": version}),
            template=client.V1PodTemplateSpec(
                metadata=client.V1ObjectMeta(labels=labels),
                spec=client.V1PodSpec(
                    containers=[
                        client.V1Container(name="web", image=f"example.invalid/web:{version}")
                    ]
                ),
            ),
        ),
    )


def ready_replicas(c: CountedClient, ns: str, name: str) -> int:
    return c.apps.read_namespaced_replica_set_status(name, ns).status.ready_replicas or 0


def test_replicaset_service_networkpolicy_lifecycle(
    kube_cluster: KubeCluster,
    kubelet: KubeletSimulator,
    kube_namespace: str,
    counted: CountedClient,
) -> None:
    ns, c = kube_namespace, counted
    if kube_cluster.audit_available:
        mark = kube_cluster.mark()
    kubelet.ready({"version": "v001"}, after=1.0, namespace=ns)

    # create
    c.core.create_namespaced_service(
        ns,
        client.V1Service(
            metadata=client.V1ObjectMeta(name="web"),
            spec=client.V1ServiceSpec(
                selector={"app": "web", "traffic": "on"},
                ports=[client.V1ServicePort(port=80, target_port=8080)],
            ),
        ),
    )
    c.net.create_namespaced_network_policy(
        ns,
        client.V1NetworkPolicy(
            metadata=client.V1ObjectMeta(name="web"),
            spec=client.V1NetworkPolicySpec(
                pod_selector=client.V1LabelSelector(match_labels={"app": "web"}),
                ingress=[
                    client.V1NetworkPolicyIngressRule(
                        ports=[client.V1NetworkPolicyPort(port=8080, protocol="TCP")]
                    )
                ],
            ),
        ),
    )
    created = c.apps.create_namespaced_replica_set(ns, replica_set("web-v001", "v001", 3))
    assert created.metadata.uid
    assert created.metadata.generation == 1
    with pytest.raises(ApiException) as duplicate:
        c.apps.create_namespaced_replica_set(ns, replica_set("web-v001", "v001", 3))
    assert duplicate.value.status == 409

    # the controller-manager creates the pods; the simulator makes them ready after 1 s
    assert eventually(lambda: ready_replicas(c, ns, "web-v001") == 3)
    pods = c.core.list_namespaced_pod(ns, label_selector="app=web,version in (v001)").items
    assert len(pods) == 3
    for pod in pods:
        assert pod.status.phase == "Running"
        assert {cond.type: cond.status for cond in pod.status.conditions}["Ready"] == "True"
        assert pod.metadata.owner_references[0].uid == created.metadata.uid
    assert c.core.list_namespaced_pod(ns, label_selector="version=v999").items == []

    # Endpoints follow pod readiness (the Service selects ready pods)
    def endpoint_ips() -> int:
        subsets = c.core.read_namespaced_endpoints("web", ns).subsets or []
        return sum(len(s.addresses or []) for s in subsets)

    assert eventually(lambda: endpoint_ips() == 3)

    # strategic merge patch: scale down, and drop the traffic label from the Service selector
    scaled = c.apps.patch_namespaced_replica_set("web-v001", ns, {"spec": {"replicas": 2}})
    assert scaled.metadata.generation == 2
    service = c.core.patch_namespaced_service("web", ns, {"spec": {"selector": {"traffic": None}}})
    assert service.spec.selector == {"app": "web"}
    assert eventually(
        lambda: len(c.core.list_namespaced_pod(ns, label_selector="app=web").items) == 2
    )

    # a stale resourceVersion is a conflict, not a silent overwrite
    created.spec.replicas = 5
    with pytest.raises(ApiException) as stale:
        c.apps.replace_namespaced_replica_set("web-v001", ns, created)
    assert stale.value.status == 409

    # status subresource: status changes apply, spec changes in the same patch are ignored
    patched = c.core.patch_namespaced_service_status(
        "web",
        ns,
        {
            "spec": {"selector": {"app": "other"}},
            "status": {"loadBalancer": {"ingress": [{"ip": "192.0.2.10"}]}},
        },
    )
    assert patched.status.load_balancer.ingress[0].ip == "192.0.2.10"
    assert patched.spec.selector == {"app": "web"}

    # a failing version: pods exist and run, but crash-loop and never become ready
    kubelet.fail({"version": "v002"}, namespace=ns)
    c.apps.create_namespaced_replica_set(ns, replica_set("web-v002", "v002", 2))

    def crashing() -> bool:
        pods = c.core.list_namespaced_pod(ns, label_selector="version=v002").items
        reasons = [
            s.state.waiting.reason
            for p in pods
            for s in (p.status.container_statuses or [])
            if s.state.waiting
        ]
        return reasons == ["CrashLoopBackOff"] * 2

    assert eventually(crashing)
    v002 = c.apps.read_namespaced_replica_set_status("web-v002", ns).status
    assert v002.replicas == 2
    assert not v002.ready_replicas

    # failing on demand: the ready pods of v001 start crashing, readyReplicas follows to 0
    kubelet.fail({"version": "v001"}, namespace=ns)
    assert eventually(lambda: ready_replicas(c, ns, "web-v001") == 0)

    # delete: garbage collection removes the owned pods; the Service delete needs
    # _preload_content=False (client 37 cannot parse a 1.20 server's delete response)
    c.apps.delete_namespaced_replica_set("web-v001", ns)
    assert eventually(
        lambda: not c.core.list_namespaced_pod(ns, label_selector="version=v001").items
    )
    c.core.delete_namespaced_service("web", ns, _preload_content=False)
    c.net.delete_namespaced_network_policy("web", ns)
    for read in (
        lambda: c.core.read_namespaced_service("web", ns),
        lambda: c.net.read_namespaced_network_policy("web", ns),
    ):
        with pytest.raises(ApiException) as gone:
            read()
        assert gone.value.status == 404

    # the server saw exactly the requests this client sent (and none of the admin's)
    if kube_cluster.audit_available:
        assert kube_cluster.requests_by(kube_cluster.test_user, since=mark) == c.sent
        assert kube_cluster.requests_by(kube_cluster.admin_user, since=mark) > 0


def pod_state(core: client.CoreV1Api, ns: str, name: str) -> tuple[str, str | None, bool]:
    """(phase, node name, Ready) of a pod."""
    pod = core.read_namespaced_pod(name, ns)
    ready = any(c.type == "Ready" and c.status == "True" for c in pod.status.conditions or [])
    return pod.status.phase, pod.spec.node_name, ready


def test_kubelet_simulator_holds_then_delays_readiness(
    kube_cluster: KubeCluster, kubelet: KubeletSimulator, kube_namespace: str
) -> None:
    ns = kube_namespace
    kubelet.hold({"app": "batch"}, namespace=ns)
    kubelet.ready({"app": "slow"}, after=3.0, namespace=ns)
    with kube_cluster.api_client(kube_cluster.admin_user) as api_client:
        core = client.CoreV1Api(api_client)
        for app in ("batch", "slow"):
            core.create_namespaced_pod(
                ns,
                client.V1Pod(
                    metadata=client.V1ObjectMeta(name=app, labels={"app": app}),
                    spec=client.V1PodSpec(containers=[client.V1Container(name="c", image="x")]),
                ),
            )
        created = time.monotonic()
        # running, not ready yet: the simulator bound it and started its containers
        assert eventually(lambda: pod_state(core, ns, "slow")[0] == "Running")
        assert pod_state(core, ns, "slow") == ("Running", kubelet.node_name, False)
        assert eventually(lambda: pod_state(core, ns, "slow")[2])
        assert time.monotonic() - created >= 2.5
        assert pod_state(core, ns, "batch") == ("Pending", None, False)  # held: never scheduled

        kubelet.reset()  # rules gone: the held pod is scheduled and becomes ready
        assert eventually(
            lambda: pod_state(core, ns, "batch") == ("Running", kubelet.node_name, True)
        )

        core.delete_namespaced_pod("batch", ns)  # graceful delete, confirmed by the simulator
        assert eventually(
            lambda: not core.list_namespaced_pod(ns, label_selector="app=batch").items
        )


def test_audit_count_starts_at_mark_and_separates_users(
    kube_cluster: KubeCluster, counted: CountedClient
) -> None:
    if not kube_cluster.audit_available:
        pytest.skip("audit counting needs the local test cluster")
    mark = kube_cluster.mark()
    assert kube_cluster.requests_by(kube_cluster.test_user, since=mark) == 0
    for _ in range(5):
        counted.core.list_namespace(limit=1)
    with pytest.raises(ApiException):
        counted.core.read_namespace("does-not-exist")
    with kube_cluster.api_client(kube_cluster.admin_user) as admin:
        for _ in range(3):
            client.CoreV1Api(admin).list_namespace(limit=1)
    assert counted.sent == 6
    assert kube_cluster.requests_by(kube_cluster.test_user, since=mark) == 6
    per_user = kube_cluster.requests_per_user(since=mark)
    assert per_user[kube_cluster.test_user] == 6
    assert per_user[kube_cluster.admin_user] >= 3  # plus the kubelet simulator's own requests


def test_existing_cluster_mode_has_no_audit_counting(kube_cluster: KubeCluster) -> None:
    if not kube_cluster.audit_available:
        pytest.skip("already running against CLOUDRIG_TEST_KUBECONFIG")
    other = use_existing(kube_cluster.kubeconfig(kube_cluster.test_user))
    try:
        assert other.api_url == kube_cluster.api_url
        with other.api_client() as api_client:
            assert client.CoreV1Api(api_client).read_namespace("default").metadata.name == "default"
        with pytest.raises(AuditUnavailableError, match="CLOUDRIG_TEST_KUBECONFIG"):
            other.requests_by(other.test_user)
    finally:
        other.stop()


def test_faults_injected_by_the_proxy_reach_the_client_as_api_exceptions(
    kube_cluster: KubeCluster,
    fault_proxy: Callable[..., FaultProxy],
    kube_namespace: str,
    tmp_path: Path,
) -> None:
    proxy = fault_proxy(kube_cluster.api_url, tls=True)
    assert proxy.ca_bundle is not None
    kubeconfig = retarget(
        kube_cluster.kubeconfig(), tmp_path / "kubeconfig", server=proxy.url, ca_pem=proxy.ca_bundle
    )
    configuration = client.Configuration()
    configuration.retries = False
    with config.new_client_from_config(
        config_file=str(kubeconfig), client_configuration=configuration
    ) as api_client:
        core = client.CoreV1Api(api_client)
        if kube_cluster.audit_available:
            mark = kube_cluster.mark()
        assert core.read_namespace(kube_namespace).metadata.name == kube_namespace
        proxy.add(kubernetes_throttle(retry_after=2), method="GET", path=r"/pods$", times=1)
        proxy.add(server_error(Style.KUBERNETES, 503), method="POST", path=r"/configmaps$")

        with pytest.raises(ApiException) as throttled:
            core.list_namespaced_pod(kube_namespace)
        assert throttled.value.status == 429
        assert throttled.value.headers["Retry-After"] == "2"
        assert json.loads(throttled.value.body)["reason"] == "TooManyRequests"
        assert core.list_namespaced_pod(kube_namespace).items == []  # the rule fired once

        config_map = client.V1ConfigMap(metadata=client.V1ObjectMeta(name="c"), data={"k": "v"})
        with pytest.raises(ApiException) as unavailable:
            core.create_namespaced_config_map(kube_namespace, config_map)
        assert unavailable.value.status == 503
        with pytest.raises(ApiException) as missing:  # the server never saw the create
            core.read_namespaced_config_map("c", kube_namespace)
        assert missing.value.status == 404

    assert proxy.answered() == 2
    assert proxy.forwarded() == 3
    if kube_cluster.audit_available:
        assert kube_cluster.requests_by(kube_cluster.test_user, since=mark) == 3
