"""A version that cannot become healthy fails its deployment at once, with the API's own reason,
and the previous version keeps serving: admission refuses its pods (ResourceQuota, LimitRange:
the ReplicaSet's ``ReplicaFailure`` condition) or its image cannot be pulled (the kubelet's
``ErrImagePull`` / ``ImagePullBackOff``). A watch cut mid-stream is re-listed and resumed."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from cloudrig.engine import DeploymentStatus
from cloudrig.strategies import RedBlack
from cloudrig_kubernetes import metadata
from support.kube import KubeCluster
from support.kube.kubeconfig import retarget
from support.proxy import Cut, FaultProxy

from .conftest import ACCOUNT, IMAGE_V1, IMAGE_V2, KUBE, where
from .helpers import Admin, create_request, eventually

pytestmark = pytest.mark.kube
# Far longer than any of these tests may take: reaching it would be today's silent timeout.
HEALTH_TIMEOUT = 120
# Seconds for the whole failed deployment, its rollback included: the failure is seen within two
# reads of the ReplicaSet (2 s apart); the rest is slack for a loaded 2-core machine.
FAST = 30.0


@pytest.fixture
def rig(kube_cluster: KubeCluster, kube_quota_namespace: str, kubelet: Any, tmp_path: Path) -> Any:
    rig = KUBE.connect(tmp_path, settings=where(kube_cluster.kubeconfig(), kube_quota_namespace))
    KUBE.upsert_web(rig, kube_quota_namespace)
    rig.deploy(KUBE.spec(kube_quota_namespace, IMAGE_V1), RedBlack()).raise_for_status()
    return rig


@pytest.fixture
def admin(kube_cluster: KubeCluster, kube_quota_namespace: str) -> Iterator[Admin]:
    admin = Admin(kube_cluster, kube_quota_namespace)
    yield admin
    admin.close()


def deploy_failing(rig: Any, namespace: str, **fields: Any) -> tuple[Any, float]:
    started = time.monotonic()
    deployment = rig.deploy(
        KUBE.spec(namespace, IMAGE_V2, **fields), RedBlack(health_timeout=HEALTH_TIMEOUT)
    )
    return deployment, time.monotonic() - started


def assert_previous_serves(rig: Any, namespace: str, admin: Admin) -> None:
    groups = {g.name: g for g in rig.cluster(ACCOUNT, "shop-prod", namespace).server_groups}
    old, new = groups["shop-prod-v001"], groups["shop-prod-v002"]
    assert (old.enabled, old.capacity.desired, old.healthy) == (True, 2, 2)
    assert (new.enabled, new.capacity.desired) == (False, 0)
    old_ips = {p.status.pod_ip for p in admin.pods(metadata.group_selector("shop-prod-v001"))}
    eventually(lambda: admin.endpoint_ips("web"), lambda ips: ips == old_ips)


def test_quota_exceeded_fails_the_deployment_with_the_quota_message(
    rig: Any, kube_quota_namespace: str, admin: Admin
) -> None:
    """Quota: 3 pods. v001 holds 2, v002 wants 2: its second pod is refused by admission."""
    deployment, elapsed = deploy_failing(rig, kube_quota_namespace)
    assert deployment.status is DeploymentStatus.FAILED
    assert "ReplicaFailure FailedCreate" in (deployment.error or "")
    assert "exceeded quota: pods" in (deployment.error or "")
    assert elapsed < FAST, f"took {elapsed:.1f} s: the failure was not seen within two polls"
    assert_previous_serves(rig, kube_quota_namespace, admin)


def test_a_limit_range_refusal_fails_the_deployment_with_its_message(
    rig: Any, kube_quota_namespace: str, admin: Admin
) -> None:
    greedy = {"containers": [{"name": "main", "resources": {"limits": {"cpu": "2"}}}]}
    deployment, elapsed = deploy_failing(rig, kube_quota_namespace, settings={"pod_spec": greedy})
    assert deployment.status is DeploymentStatus.FAILED
    assert "maximum cpu usage per Container is 1" in (deployment.error or "")
    assert elapsed < FAST
    assert_previous_serves(rig, kube_quota_namespace, admin)


def test_an_image_that_cannot_be_pulled_fails_the_deployment(
    rig: Any, kube_quota_namespace: str, kubelet: Any, admin: Admin
) -> None:
    kubelet.image_pull_fails(
        {metadata.SERVER_GROUP: "shop-prod-v002"}, namespace=kube_quota_namespace
    )
    # One pod (the quota of 3 holds v001's 2 and this one): only the image can fail it.
    deployment, elapsed = deploy_failing(rig, kube_quota_namespace, desired=1)
    assert deployment.status is DeploymentStatus.FAILED
    assert "cannot pull its image: ErrImagePull" in (deployment.error or "")
    assert f'failed to pull and unpack image "{IMAGE_V2}"' in (deployment.error or "")
    assert elapsed < FAST
    assert_previous_serves(rig, kube_quota_namespace, admin)


def test_a_watch_cut_mid_stream_is_listed_again_and_resumed(
    kube_cluster: KubeCluster,
    kube_namespace: str,
    kubelet: Any,
    fault_proxy: Callable[..., FaultProxy],
    make_kube_provider: Callable[..., Any],
    tmp_path: Path,
) -> None:
    proxy = fault_proxy(kube_cluster.api_url, tls=True)
    assert proxy.ca_bundle is not None
    kubeconfig = retarget(
        kube_cluster.kubeconfig(), tmp_path / "kc", server=proxy.url, ca_pem=proxy.ca_bundle
    )
    provider = make_kube_provider(kubeconfig=str(kubeconfig))
    request = create_request(kube_namespace)
    kubelet.ready({metadata.SERVER_GROUP: request.name}, after=2.0, namespace=kube_namespace)
    provider.server_groups.create(request)
    watches = r"/namespaces/[^/]+/pods$"
    proxy.add(Cut(after=0.3), method="GET", path=watches, times=1, nth=2)  # the 1st is the list
    group = provider.server_groups.wait_for_health(
        kube_namespace, request.name, healthy=2, timeout=30
    )
    assert group.healthy == 2
    assert proxy.cut() == 1
    # list, watch (cut), list again, watch from the fresh list's resourceVersion, plus the
    # ReplicaSet reads between segments while pods were missing.
    pod_reads = proxy.counts()["forwarded"][f"GET /api/v1/namespaces/{kube_namespace}/pods"]
    assert pod_reads >= 4
