"""Every strategy end to end on the real kube-apiserver through ``rig.deploy``; rollback under
injected faults (503s through the fault proxy, a version that crash-loops); a run that crashes
mid-deploy and is resumed by another process without a second new group."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from cloudrig.canary import MetricSpec
from cloudrig.engine import DeploymentStatus
from cloudrig.strategies import Canary, Highlander, RedBlack, RollingRedBlack
from cloudrig.testing import SimulatedCrash
from cloudrig_kubernetes import metadata
from support.kube import KubeCluster
from support.kube.kubeconfig import retarget
from support.proxy import FaultProxy, Style, server_error

from .conftest import ACCOUNT, IMAGE_V1, IMAGE_V2, KUBE, where
from .helpers import Admin, eventually

pytestmark = pytest.mark.kube


def cluster(rig: Any, namespace: str) -> dict[str, Any]:
    return {g.name: g for g in rig.cluster(ACCOUNT, "shop-prod", namespace).server_groups}


@pytest.fixture
def admin(kube_cluster: KubeCluster, kube_namespace: str) -> Iterator[Admin]:
    admin = Admin(kube_cluster, kube_namespace)
    yield admin
    admin.close()


@pytest.fixture
def rig(kube_cluster: KubeCluster, kube_namespace: str, kubelet: Any, tmp_path: Path) -> Any:
    rig = KUBE.connect(tmp_path, settings=where(kube_cluster.kubeconfig(), kube_namespace))
    KUBE.upsert_web(rig, kube_namespace)
    return rig


def traffic_pods(admin: Admin, name: str) -> int:
    selector = f"{metadata.group_selector(name)},{metadata.TRAFFIC}={metadata.TRAFFIC_ON}"
    return len(admin.pods(selector))


def test_red_black(rig: Any, kube_namespace: str, admin: Admin) -> None:
    first = rig.deploy(KUBE.spec(kube_namespace, IMAGE_V1), RedBlack()).raise_for_status()
    second = rig.deploy(KUBE.spec(kube_namespace, IMAGE_V2), RedBlack()).raise_for_status()
    assert first.id != second.id
    groups = cluster(rig, kube_namespace)
    assert {n: g.enabled for n, g in groups.items()} == {
        "shop-prod-v001": False,
        "shop-prod-v002": True,
    }
    assert groups["shop-prod-v002"].artifact == IMAGE_V2
    assert groups["shop-prod-v002"].deployment_id == second.id
    assert groups["shop-prod-v002"].healthy == 2
    assert len(groups["shop-prod-v001"].instances) == 2, "disable keeps the pods warm"
    assert (traffic_pods(admin, "shop-prod-v001"), traffic_pods(admin, "shop-prod-v002")) == (0, 2)
    new_ips = {p.status.pod_ip for p in admin.pods(metadata.group_selector("shop-prod-v002"))}
    eventually(lambda: admin.endpoint_ips("web"), lambda ips: ips == new_ips)


def test_highlander(rig: Any, kube_namespace: str, admin: Admin) -> None:
    rig.deploy(KUBE.spec(kube_namespace, IMAGE_V1), Highlander()).raise_for_status()
    rig.deploy(KUBE.spec(kube_namespace, IMAGE_V2), Highlander()).raise_for_status()
    assert list(cluster(rig, kube_namespace)) == ["shop-prod-v002"]
    # Foreground deletion: the old ReplicaSet goes after its pods.
    eventually(lambda: admin.pods(metadata.group_selector("shop-prod-v001")), lambda p: not p)


def test_rolling_red_black_moves_capacity(rig: Any, kube_namespace: str) -> None:
    """CAPACITY_ONLY: the new group grows step by step (verified at each), the old one shrinks
    by the same share, and ends out of traffic."""
    rig.deploy(KUBE.spec(kube_namespace, IMAGE_V1, desired=4), RedBlack()).raise_for_status()
    provider = rig.account(ACCOUNT).provider
    resize = provider.server_groups.resize
    sizes: list[tuple[str, int]] = []

    def recording(region: str, name: str, capacity: Any) -> None:
        sizes.append((name, capacity.desired))
        resize(region, name, capacity)

    provider.server_groups.resize = recording
    deployment = rig.deploy(
        KUBE.spec(kube_namespace, IMAGE_V2, desired=4), RollingRedBlack(steps=(50, 100))
    ).raise_for_status()
    assert deployment.status is DeploymentStatus.SUCCEEDED
    grown = [n for name, n in sizes if name == "shop-prod-v002"]
    assert grown[:2] == [2, 4], sizes
    assert ("shop-prod-v001", 2) in sizes, sizes
    groups = cluster(rig, kube_namespace)
    old, new = groups["shop-prod-v001"], groups["shop-prod-v002"]
    assert (old.enabled, new.enabled) == (False, True)
    assert (new.capacity.desired, new.healthy) == (4, 4)


def test_canary_promotes(rig: Any, kube_namespace: str) -> None:
    rig.deploy(KUBE.spec(kube_namespace, IMAGE_V1), RedBlack()).raise_for_status()
    canary = Canary(
        metrics=(MetricSpec(name="latency"),),
        intervals=1,
        interval=0.2,
        traffic_percent=25,
        canary_capacity=1,
    )
    rig.deploy(KUBE.spec(kube_namespace, IMAGE_V2), canary).raise_for_status()
    groups = cluster(rig, kube_namespace)
    enabled = [n for n, g in groups.items() if g.enabled]
    assert len(enabled) == 1
    assert groups[enabled[0]].artifact == IMAGE_V2


def test_rollback_restores_the_previous_group(rig: Any, kube_namespace: str) -> None:
    rig.deploy(KUBE.spec(kube_namespace, IMAGE_V1), RedBlack()).raise_for_status()
    rig.deploy(KUBE.spec(kube_namespace, IMAGE_V2), RedBlack()).raise_for_status()
    rig.rollback(ACCOUNT, "shop-prod", kube_namespace).raise_for_status()
    groups = cluster(rig, kube_namespace)
    assert (groups["shop-prod-v001"].enabled, groups["shop-prod-v002"].enabled) == (True, False)
    assert groups["shop-prod-v001"].healthy == 2


def test_a_crash_looping_version_rolls_back(rig: Any, kube_namespace: str, kubelet: Any) -> None:
    rig.deploy(KUBE.spec(kube_namespace, IMAGE_V1), RedBlack()).raise_for_status()
    kubelet.fail({metadata.SERVER_GROUP: "shop-prod-v002"}, namespace=kube_namespace)
    deployment = rig.deploy(KUBE.spec(kube_namespace, IMAGE_V2), RedBlack(health_timeout=3))
    assert deployment.status is DeploymentStatus.FAILED
    groups = cluster(rig, kube_namespace)
    old, new = groups["shop-prod-v001"], groups["shop-prod-v002"]
    assert (old.enabled, old.capacity.desired, old.healthy) == (True, 2, 2)
    assert (new.enabled, new.capacity.desired) == (False, 0)


def test_server_errors_mid_deploy_roll_back(
    kube_cluster: KubeCluster,
    kube_namespace: str,
    kubelet: Any,
    fault_proxy: Callable[..., FaultProxy],
    tmp_path: Path,
) -> None:
    """Patching the pods of v001 out of traffic fails with 503s past every retry: the deployment
    fails, v001 keeps (or gets back) its traffic label everywhere, v002 is disabled and scaled
    down; the server saw only admitted requests."""
    proxy = fault_proxy(kube_cluster.api_url, tls=True)
    assert proxy.ca_bundle is not None
    kubeconfig = retarget(
        kube_cluster.kubeconfig(), tmp_path / "kubeconfig", server=proxy.url, ca_pem=proxy.ca_bundle
    )
    rig = KUBE.connect(tmp_path, settings=where(kubeconfig, kube_namespace))
    KUBE.upsert_web(rig, kube_namespace)
    rig.deploy(KUBE.spec(kube_namespace, IMAGE_V1), RedBlack()).raise_for_status()
    proxy.add(
        server_error(Style.KUBERNETES, 503), method="PATCH", path=r"/pods/shop-prod-v001-", times=4
    )
    deployment = rig.deploy(KUBE.spec(kube_namespace, IMAGE_V2), RedBlack())
    assert deployment.status is DeploymentStatus.FAILED, deployment.error
    assert proxy.answered() == 4
    groups = cluster(rig, kube_namespace)
    old, new = groups["shop-prod-v001"], groups["shop-prod-v002"]
    assert (old.enabled, old.capacity.desired, old.healthy) == (True, 2, 2)
    assert (new.enabled, new.capacity.desired) == (False, 0)
    stats = rig.limiter.stats()
    assert proxy.forwarded() + proxy.answered() == sum(s.admitted for s in stats.values())


def test_a_crashed_run_is_resumed_by_its_id_without_a_second_group(
    kube_cluster: KubeCluster, kube_namespace: str, kubelet: Any, tmp_path: Path, admin: Admin
) -> None:
    """The process dies right after enabling v002 (before disabling v001); another process
    re-runs the same deployment: it resumes by id and finishes, with one new ReplicaSet."""
    # A crashed worker's lease frees itself after lease_ttl: short, so the test need not wait.
    short = {"deployments": {"lease_ttl": "3s"}}
    settings = where(kube_cluster.kubeconfig(), kube_namespace)
    first = KUBE.connect(tmp_path, settings=settings, **short)
    KUBE.upsert_web(first, kube_namespace)
    first.deploy(KUBE.spec(kube_namespace, IMAGE_V1), RedBlack()).raise_for_status()
    provider = first.account(ACCOUNT).provider

    def die(region: str, name: str) -> None:
        raise SimulatedCrash(f"process died before disabling {name}")

    provider.server_groups.disable = die
    with pytest.raises(SimulatedCrash):
        first.deploy(KUBE.spec(kube_namespace, IMAGE_V2), RedBlack())
    second = KUBE.connect(tmp_path, settings=settings, **short)
    (pending,) = second.deployments()
    resumed = second.deploy(KUBE.spec(kube_namespace, IMAGE_V2), RedBlack())
    assert resumed.id == pending.id
    assert resumed.status is DeploymentStatus.SUCCEEDED
    sets = admin.apps.list_namespaced_replica_set(kube_namespace).items
    assert sorted(rs.metadata.name for rs in sets) == ["shop-prod-v001", "shop-prod-v002"]
    groups = cluster(second, kube_namespace)
    assert (groups["shop-prod-v001"].enabled, groups["shop-prod-v002"].enabled) == (False, True)
