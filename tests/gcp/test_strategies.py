"""Every strategy once, end to end, on the Compute emulator through ``rig.deploy`` and the real
google-cloud-compute clients; plus fault cases injected by the emulator (GCE's own error bodies,
parsed by the real client)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from cloudrig.canary import MetricSpec
from cloudrig.engine import DeploymentStatus
from cloudrig.strategies import Canary, Highlander, RedBlack, RollingRedBlack
from support.proxy import Style, throttle

from .conftest import ACCOUNT, GCP, IMAGE_V1, IMAGE_V2, PROJECT, REGION, fast_boot, gcp_limits

pytestmark = pytest.mark.gcp


def cluster(rig: Any) -> dict[str, Any]:
    return {g.name: g for g in rig.cluster(ACCOUNT, "shop-prod", REGION).server_groups}


def backends(emulator: Any) -> dict[str, float]:
    """{group name: capacityScaler} of the ``web`` backend service, read with a plain client."""
    from google.cloud import compute_v1

    service = emulator.client(compute_v1.BackendServicesClient).get(
        project=PROJECT, backend_service="web"
    )
    return {b.group.rsplit("/", 1)[-1]: b.capacity_scaler for b in service.backends}


@pytest.fixture
def rig(gcp_compute: Any, tmp_path: Path) -> Any:
    fast_boot(gcp_compute)
    rig = GCP.connect(tmp_path, {"api_endpoint": gcp_compute.endpoint})
    GCP.upsert_web(rig, REGION)
    return rig


def test_red_black(rig: Any, gcp_compute: Any) -> None:
    first = rig.deploy(GCP.spec(REGION, IMAGE_V1), RedBlack()).raise_for_status()
    second = rig.deploy(GCP.spec(REGION, IMAGE_V2), RedBlack()).raise_for_status()
    assert first.id != second.id
    groups = cluster(rig)
    assert {n: g.enabled for n, g in groups.items()} == {
        "shop-prod-v001": False,
        "shop-prod-v002": True,
    }
    assert groups["shop-prod-v002"].artifact == IMAGE_V2
    assert groups["shop-prod-v002"].deployment_id == second.id
    assert backends(gcp_compute) == {"shop-prod-v002": 1.0}, "v001 left the backend service"
    old = rig.account(ACCOUNT).server_groups.get(REGION, "shop-prod-v001")
    assert len(old.instances) == 2, "disable keeps the instances warm"
    assert rig.account(ACCOUNT).server_groups.get(REGION, "shop-prod-v002").healthy == 2


def test_highlander(rig: Any, gcp_compute: Any) -> None:
    from google.cloud import compute_v1

    rig.deploy(GCP.spec(REGION, IMAGE_V1), Highlander()).raise_for_status()
    rig.deploy(GCP.spec(REGION, IMAGE_V2), Highlander()).raise_for_status()
    assert list(cluster(rig)) == ["shop-prod-v002"]
    templates = gcp_compute.client(compute_v1.RegionInstanceTemplatesClient).list(
        project=PROJECT, region=REGION
    )
    assert [t.name for t in templates] == ["shop-prod-v002"], "destroy takes the template too"
    assert backends(gcp_compute) == {"shop-prod-v002": 1.0}


def test_rolling_red_black_moves_traffic_by_capacity_scaler(rig: Any, gcp_compute: Any) -> None:
    rig.deploy(GCP.spec(REGION, IMAGE_V1), RedBlack()).raise_for_status()
    moved: list[dict[str, int]] = []
    scalers: list[dict[str, float]] = []

    def on_event(event: Any) -> None:
        if event.kind == "traffic_moved":
            moved.append(dict(event.data.get("weights", {})))
            scalers.append(backends(gcp_compute))

    rig.deploy(
        GCP.spec(REGION, IMAGE_V2), RollingRedBlack(steps=(25, 50, 100)), on_event=on_event
    ).raise_for_status()
    assert [w.get("shop-prod-v002") for w in moved] == [25, 50, 100], moved
    # Until the last step both groups are backends; each scaler follows the group's share of
    # the weight per instance, the largest at 1.0.
    for step in scalers[:2]:
        assert set(step) == {"shop-prod-v001", "shop-prod-v002"}
        assert max(step.values()) == 1.0
        assert min(step.values()) >= 0.1
    assert scalers[0]["shop-prod-v002"] < 1.0
    groups = cluster(rig)
    assert (groups["shop-prod-v001"].enabled, groups["shop-prod-v002"].enabled) == (False, True)
    assert backends(gcp_compute) == {"shop-prod-v002": 1.0}


def test_canary_promotes(rig: Any) -> None:
    rig.deploy(GCP.spec(REGION, IMAGE_V1, desired=2), RedBlack()).raise_for_status()
    canary = Canary(
        metrics=(MetricSpec(name="latency"),),
        intervals=1,
        interval=0.2,
        traffic_percent=10,
        canary_capacity=1,
    )
    rig.deploy(GCP.spec(REGION, IMAGE_V2, desired=2), canary).raise_for_status()
    enabled = [n for n, g in cluster(rig).items() if g.enabled]
    assert len(enabled) == 1
    assert cluster(rig)[enabled[0]].artifact == IMAGE_V2


def test_rollback_restores_the_previous_group(rig: Any, gcp_compute: Any) -> None:
    rig.deploy(GCP.spec(REGION, IMAGE_V1), RedBlack()).raise_for_status()
    rig.deploy(GCP.spec(REGION, IMAGE_V2), RedBlack()).raise_for_status()
    rig.rollback(ACCOUNT, "shop-prod", REGION).raise_for_status()
    groups = cluster(rig)
    assert (groups["shop-prod-v001"].enabled, groups["shop-prod-v002"].enabled) == (True, False)
    assert rig.account(ACCOUNT).server_groups.get(REGION, "shop-prod-v001").healthy == 2
    assert backends(gcp_compute) == {"shop-prod-v001": 1.0}


def test_throttling_mid_deploy_slows_down_and_succeeds(rig: Any, gcp_compute: Any) -> None:
    rig.deploy(GCP.spec(REGION, IMAGE_V1), RedBlack()).raise_for_status()
    gcp_compute.faults.add("instanceGroupManagers.aggregatedList", 429, times=1)
    gcp_compute.faults.add("regionInstanceTemplates.insert", 429, times=1)
    gcp_compute.faults.add("backendServices.patch", 429, times=1)
    rig.deploy(GCP.spec(REGION, IMAGE_V2), RedBlack()).raise_for_status()
    stats = rig.limiter.stats()
    assert sum(s.throttles for s in stats.values()) == 3
    assert min(s.factor for s in stats.values()) < 1.0
    assert gcp_compute.count() == sum(s.admitted for s in stats.values())
    assert [g.enabled for g in cluster(rig).values()] == [False, True]


def test_server_errors_mid_deploy_roll_back(gcp_compute: Any, tmp_path: Path) -> None:
    """Taking v001 out of its backend service fails with 503s past every retry: the deployment
    fails and restores v001 with all the traffic; v002 is disabled and scaled down."""
    fast_boot(gcp_compute)
    rig = GCP.connect(
        tmp_path,
        {"api_endpoint": gcp_compute.endpoint},
        limits=gcp_limits(retries={"attempts": 2}),
    )
    GCP.upsert_web(rig, REGION)
    rig.deploy(GCP.spec(REGION, IMAGE_V1), RedBlack()).raise_for_status()
    # The new group joins the service (patch 1), then v001's removal fails every attempt.
    gcp_compute.faults.add("backendServices.patch", 503, times=None)
    deployment = rig.deploy(GCP.spec(REGION, IMAGE_V2), RedBlack())
    gcp_compute.faults.clear()
    assert deployment.status is DeploymentStatus.FAILED, deployment.error
    groups = cluster(rig)
    old, new = groups["shop-prod-v001"], groups["shop-prod-v002"]
    assert (old.enabled, old.capacity.desired) == (True, 2)
    assert rig.account(ACCOUNT).server_groups.get(REGION, old.name).healthy == 2
    assert backends(gcp_compute).get("shop-prod-v001") == 1.0
    assert new.capacity.desired == 0, "the new group is scaled down"


def test_failed_operation_mid_deploy_rolls_back(rig: Any, gcp_compute: Any) -> None:
    """GCE accepts the new MIG but its operation ends DONE with an error (asynchronous failure,
    seen only by polling the operation on the configured endpoint): the deployment fails and
    the previous group keeps all the traffic."""
    rig.deploy(GCP.spec(REGION, IMAGE_V1), RedBlack()).raise_for_status()
    gcp_compute.faults.fail_operation(
        "regionInstanceGroupManagers.insert", status=400, code="ZONE_RESOURCE_POOL_EXHAUSTED"
    )
    deployment = rig.deploy(GCP.spec(REGION, IMAGE_V2), RedBlack())
    assert deployment.status is DeploymentStatus.FAILED
    assert "ZONE_RESOURCE_POOL_EXHAUSTED" in (deployment.error or "")
    groups = cluster(rig)
    assert groups["shop-prod-v001"].enabled
    assert backends(gcp_compute) == {"shop-prod-v001": 1.0}
    assert gcp_compute.count("regionOperations.*") >= 1


def test_new_group_that_never_gets_healthy_rolls_back(rig: Any, gcp_compute: Any) -> None:
    """The new version's instances fail their backend health checks: the deadline runs out, the
    deployment fails, v001 keeps all the traffic, v002 is disabled and scaled down."""
    rig.deploy(GCP.spec(REGION, IMAGE_V1), RedBlack()).raise_for_status()
    for instance in cluster(rig)["shop-prod-v001"].instances:
        gcp_compute.set_health(instance.id, "HEALTHY")
    gcp_compute.fleet.default_health = "UNHEALTHY"
    deployment = rig.deploy(GCP.spec(REGION, IMAGE_V2), RedBlack(health_timeout=3))
    assert deployment.status is DeploymentStatus.FAILED
    assert "healthy" in (deployment.error or "")
    groups = cluster(rig)
    old, new = groups["shop-prod-v001"], groups["shop-prod-v002"]
    assert (old.enabled, old.capacity.desired) == (True, 2)
    assert (new.enabled, new.capacity.desired) == (False, 0)
    assert backends(gcp_compute) == {"shop-prod-v001": 1.0}


def test_red_black_and_rollback_under_random_throttling(
    gcp_compute: Any, tmp_path: Path, fault_proxy: Callable[..., Any]
) -> None:
    """A fifth of all requests throttled (seeded) by the fault proxy in GCE's own error shape:
    every deployment still succeeds, slowed down and retried, and the emulator saw only
    admitted requests."""
    fast_boot(gcp_compute)
    proxy = fault_proxy(gcp_compute.endpoint)
    rig = GCP.connect(
        tmp_path,
        {"api_endpoint": proxy.url},
        limits=gcp_limits(retries={"attempts": 8, "cap": 0.05}),
    )
    GCP.upsert_web(rig, REGION)
    rig.deploy(GCP.spec(REGION, IMAGE_V1), RedBlack()).raise_for_status()
    proxy.add(throttle(Style.GCP), probability=0.2, seed=11)
    rig.deploy(GCP.spec(REGION, IMAGE_V2), RedBlack()).raise_for_status()
    rig.rollback(ACCOUNT, "shop-prod", REGION).raise_for_status()
    assert proxy.answered() >= 3
    stats = rig.limiter.stats()
    assert sum(s.throttles for s in stats.values()) == proxy.answered()
    assert proxy.forwarded() == gcp_compute.count()
    assert proxy.forwarded() + proxy.answered() == sum(s.admitted for s in stats.values())
    groups = cluster(rig)
    assert (groups["shop-prod-v001"].enabled, groups["shop-prod-v002"].enabled) == (True, False)
