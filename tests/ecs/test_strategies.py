"""Every strategy once, end to end on moto server (with the ECS task model) through
``rig.deploy`` with the core's presets; rollback under faults (tasks that fail their health
checks, 503s from ELB injected at the fault-and-count proxy), throttling counted."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from cloudrig import ServerGroupSpec
from cloudrig.canary import MetricSpec
from cloudrig.engine import DeploymentStatus
from cloudrig.strategies import Canary, Highlander, RedBlack, RollingRedBlack
from support.proxy import Style, server_error, throttle

from .conftest import ACCOUNT, CLUSTER, ECS, IMAGE_V1, IMAGE_V2, REGION

pytestmark = pytest.mark.moto


def spec(image: str, desired: int = 2, **settings: Any) -> ServerGroupSpec:
    return ECS.spec(REGION, image, desired, settings=settings)


def cluster(rig: Any) -> dict[str, Any]:
    return {g.name: g for g in rig.cluster(ACCOUNT, "shop-prod", REGION).server_groups}


def weights(moto: Any) -> dict[str, int]:
    """Target group name → weight in the listener of ``web``."""
    elb = moto.client("elbv2")
    lb = elb.describe_load_balancers(Names=["web"])["LoadBalancers"][0]
    listener = elb.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"][0]
    groups = listener["DefaultActions"][0]["ForwardConfig"]["TargetGroups"]
    return {g["TargetGroupArn"].split("/")[1]: g["Weight"] for g in groups}


def running(moto: Any, service: str) -> int:
    found = moto.client("ecs").describe_services(cluster=CLUSTER, services=[service])
    return int(found["services"][0]["runningCount"])


@pytest.fixture
def rig(moto_aws: Any, ecs_env: None, ecs_cluster: str, tmp_path: Path) -> Any:
    rig = ECS.connect(tmp_path, {"endpoint_url": moto_aws.url})
    ECS.upsert_web(rig, REGION)
    return rig


def test_red_black(rig: Any, moto_aws: Any) -> None:
    first = rig.deploy(spec(IMAGE_V1), RedBlack()).raise_for_status()
    second = rig.deploy(spec(IMAGE_V2), RedBlack()).raise_for_status()
    groups = cluster(rig)
    assert {n: g.enabled for n, g in groups.items()} == {
        "shop-prod-v001": False,
        "shop-prod-v002": True,
    }
    assert (groups["shop-prod-v001"].deployment_id, groups["shop-prod-v002"].deployment_id) == (
        first.id,
        second.id,
    )
    assert groups["shop-prod-v002"].artifact == IMAGE_V2
    assert groups["shop-prod-v002"].healthy == 2
    assert sorted(weights(moto_aws).values()) == [0, 100]
    assert running(moto_aws, "shop-prod-v001") == 2, "disable keeps the tasks warm"


def test_red_black_scales_down_only_after_the_delay(rig: Any, moto_aws: Any) -> None:
    rig.deploy(spec(IMAGE_V1), RedBlack()).raise_for_status()
    rig.deploy(spec(IMAGE_V2), RedBlack(scale_down_after=0.5)).raise_for_status()
    old = cluster(rig)["shop-prod-v001"]
    assert (old.enabled, old.capacity.desired) == (False, 0)


def test_highlander(rig: Any, moto_aws: Any) -> None:
    rig.deploy(spec(IMAGE_V1), Highlander()).raise_for_status()
    rig.deploy(spec(IMAGE_V2), Highlander()).raise_for_status()
    assert list(cluster(rig)) == ["shop-prod-v002"]
    ecs = moto_aws.client("ecs")
    families = ecs.list_task_definitions(status="ACTIVE")["taskDefinitionArns"]
    assert [f.rsplit("/", 1)[-1] for f in families] == ["shop-prod-v002:1"], (
        "the destroyed group's task definition revision is deregistered"
    )
    assert len(weights(moto_aws)) == 1, "the destroyed group's target group left the listener"


def test_rolling_red_black_moves_listener_weights(rig: Any, moto_aws: Any) -> None:
    rig.deploy(spec(IMAGE_V1), RedBlack()).raise_for_status()
    moved: list[dict[str, int]] = []
    rig.deploy(
        spec(IMAGE_V2),
        RollingRedBlack(steps=(25, 50, 100)),
        on_event=lambda e: (
            moved.append(dict(e.data.get("weights", {}))) if e.kind == "traffic_moved" else None
        ),
    ).raise_for_status()
    assert [w.get("shop-prod-v002") for w in moved] == [25, 50, 100], moved
    groups = cluster(rig)
    assert (groups["shop-prod-v001"].enabled, groups["shop-prod-v002"].enabled) == (False, True)


def test_canary_with_baseline_promotes(rig: Any) -> None:
    rig.deploy(spec(IMAGE_V1), RedBlack()).raise_for_status()
    canary = Canary(
        metrics=(MetricSpec(name="latency"),),
        intervals=1,
        interval=0.2,
        traffic_percent=10,
        canary_capacity=1,
    )
    rig.deploy(spec(IMAGE_V2), canary).raise_for_status()
    enabled = [g for g in cluster(rig).values() if g.enabled]
    assert [g.artifact for g in enabled] == [IMAGE_V2]


def test_rollback_restores_the_previous_group(rig: Any) -> None:
    rig.deploy(spec(IMAGE_V1), RedBlack()).raise_for_status()
    rig.deploy(spec(IMAGE_V2), RedBlack()).raise_for_status()
    rig.rollback(ACCOUNT, "shop-prod", REGION).raise_for_status()
    groups = cluster(rig)
    assert (groups["shop-prod-v001"].enabled, groups["shop-prod-v002"].enabled) == (True, False)
    assert groups["shop-prod-v001"].healthy == 2


def test_unhealthy_tasks_roll_back(rig: Any, moto_aws: Any) -> None:
    """v002's tasks run (running count = desired count) but fail their container health checks:
    the group is Down, the health deadline runs out, v001 keeps all the traffic."""
    rig.deploy(spec(IMAGE_V1), RedBlack()).raise_for_status()
    moto_aws.ecs.timing.replace_unhealthy = None
    stop = threading.Event()

    def sicken() -> None:
        while not stop.wait(0.05):
            for task in moto_aws.ecs.tasks("shop-prod-v002"):
                if task.status == "RUNNING" and task.health_status != "UNHEALTHY":
                    moto_aws.ecs.make_unhealthy(task.task_arn)

    worker = threading.Thread(target=sicken, daemon=True)
    worker.start()
    try:
        deployment = rig.deploy(
            spec(IMAGE_V2, health_check_command=("CMD-SHELL", "curl -f localhost")),
            RedBlack(health_timeout=3),
        )
    finally:
        stop.set()
        worker.join()
    assert deployment.status is DeploymentStatus.FAILED
    groups = cluster(rig)
    old, new = groups["shop-prod-v001"], groups["shop-prod-v002"]
    assert (old.enabled, old.capacity.desired, old.healthy) == (True, 2, 2)
    assert (new.enabled, new.capacity.desired) == (False, 0)


def test_listener_update_failing_rolls_back(
    moto_aws: Any,
    ecs_env: None,
    ecs_cluster: str,
    tmp_path: Path,
    fault_proxy: Callable[..., Any],
) -> None:
    proxy = fault_proxy(moto_aws.url)
    rig = ECS.connect(tmp_path, {"endpoint_url": proxy.url})
    ECS.upsert_web(rig, REGION)
    rig.deploy(spec(IMAGE_V1), RedBlack()).raise_for_status()
    # The create's own weight-0 join passes; the switch fails past every retry.
    proxy.add(server_error(Style.AWS_QUERY, 503), operation="ModifyListener", nth=2, times=4)
    deployment = rig.deploy(spec(IMAGE_V2), RedBlack())
    assert deployment.status is DeploymentStatus.FAILED, deployment.error
    groups = cluster(rig)
    old, new = groups["shop-prod-v001"], groups["shop-prod-v002"]
    assert (old.enabled, old.healthy) == (True, 2)
    assert not new.enabled


def test_throttling_mid_deploy_slows_down_and_succeeds(
    moto_aws: Any,
    ecs_env: None,
    ecs_cluster: str,
    tmp_path: Path,
    fault_proxy: Callable[..., Any],
) -> None:
    proxy = fault_proxy(moto_aws.url)
    rig = ECS.connect(tmp_path, {"endpoint_url": proxy.url})
    ECS.upsert_web(rig, REGION)
    rig.deploy(spec(IMAGE_V1), RedBlack()).raise_for_status()
    proxy.add(throttle(Style.AWS_JSON), operation="DescribeServices", times=1)
    proxy.add(throttle(Style.AWS_JSON), operation="CreateService", times=1)
    proxy.add(throttle(Style.AWS_QUERY), operation="ModifyListener", times=1)
    rig.deploy(spec(IMAGE_V2), RedBlack()).raise_for_status()
    assert proxy.answered() == 3
    stats = rig.limiter.stats()
    assert sum(s.throttles for s in stats.values()) == 3
    assert proxy.forwarded() + proxy.answered() == sum(s.admitted for s in stats.values())
    assert [g.enabled for g in cluster(rig).values()] == [False, True]
