"""Every strategy once, end to end, on moto server through ``rig.deploy``; plus fault cases
through the fault-and-count proxy (botocore parses the injected answers)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from cloudrig import ServerGroupSpec
from cloudrig.canary import MetricSpec
from cloudrig.engine import DeploymentStatus
from cloudrig.strategies import Canary, Highlander, RedBlack, RollingRedBlack
from support.proxy import Style, server_error, throttle
from support.rig import limits

from .conftest import ACCOUNT, AMI_V1, AMI_V2, AWS, REGION, ZONES

pytestmark = pytest.mark.moto


def spec(artifact: str, desired: int = 2) -> ServerGroupSpec:
    return AWS.spec(REGION, artifact, desired, zones=ZONES)


def cluster(rig: Any) -> dict[str, Any]:
    return {g.name: g for g in rig.cluster(ACCOUNT, "shop-prod", REGION).server_groups}


def asg(moto: Any, name: str) -> dict[str, Any]:
    found = moto.client("autoscaling").describe_auto_scaling_groups(AutoScalingGroupNames=[name])
    groups: list[dict[str, Any]] = found["AutoScalingGroups"]
    return groups[0] if groups else {}


def suspended(group: dict[str, Any]) -> set[str]:
    return {p["ProcessName"] for p in group.get("SuspendedProcesses", [])}


@pytest.fixture
def rig(moto_aws: Any, aws_env: None, tmp_path: Path) -> Any:
    rig = AWS.connect(tmp_path, {"endpoint_url": moto_aws.url})
    AWS.upsert_web(rig, REGION)
    return rig


def test_red_black(rig: Any, moto_aws: Any) -> None:
    first = rig.deploy(spec(AMI_V1), RedBlack()).raise_for_status()
    second = rig.deploy(spec(AMI_V2), RedBlack()).raise_for_status()
    assert first.id != second.id
    groups = cluster(rig)
    assert {n: g.enabled for n, g in groups.items()} == {
        "shop-prod-v001": False,
        "shop-prod-v002": True,
    }
    assert groups["shop-prod-v002"].artifact == AMI_V2
    assert groups["shop-prod-v002"].deployment_id == second.id
    old = asg(moto_aws, "shop-prod-v001")
    assert "AddToLoadBalancer" in suspended(old)
    assert old["TargetGroupARNs"] == [], "a disabled group leaves its target group"
    assert len(old["Instances"]) == 2, "disable keeps the instances warm"
    new = asg(moto_aws, "shop-prod-v002")
    assert len(new["TargetGroupARNs"]) == 1
    assert not suspended(new)
    healthy = rig.account(ACCOUNT).server_groups.get(REGION, "shop-prod-v002")
    assert healthy.healthy == 2


def test_highlander(rig: Any, moto_aws: Any) -> None:
    rig.deploy(spec(AMI_V1), Highlander()).raise_for_status()
    rig.deploy(spec(AMI_V2), Highlander()).raise_for_status()
    assert list(cluster(rig)) == ["shop-prod-v002"]
    templates = moto_aws.client("ec2").describe_launch_templates()["LaunchTemplates"]
    assert [t["LaunchTemplateName"] for t in templates] == ["shop-prod-v002"]


def test_rolling_red_black_moves_traffic_by_weight(rig: Any, moto_aws: Any) -> None:
    rig.deploy(spec(AMI_V1), RedBlack()).raise_for_status()
    moved: list[dict[str, int]] = []
    deployment = rig.deploy(
        spec(AMI_V2),
        RollingRedBlack(steps=(25, 50, 100)),
        on_event=lambda e: (
            moved.append(dict(e.data.get("weights", {}))) if e.kind == "traffic_moved" else None
        ),
    ).raise_for_status()
    assert deployment.status is DeploymentStatus.SUCCEEDED
    shares = [w.get("shop-prod-v002") for w in moved]
    assert shares == [25, 50, 100], moved
    groups = cluster(rig)
    assert (groups["shop-prod-v001"].enabled, groups["shop-prod-v002"].enabled) == (False, True)
    # The split ended: the listener forwards to the shared target group again.
    elb = moto_aws.client("elbv2")
    lb = elb.describe_load_balancers(Names=["web"])["LoadBalancers"][0]
    action = elb.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"][0][
        "DefaultActions"
    ][0]
    targets = action.get("ForwardConfig", {}).get("TargetGroups") or [action]
    assert [t["TargetGroupArn"].split("/")[1] for t in targets] == ["web"]


def test_canary_promotes(rig: Any) -> None:
    rig.deploy(spec(AMI_V1, desired=2), RedBlack()).raise_for_status()
    canary = Canary(
        metrics=(MetricSpec(name="latency"),),
        intervals=1,
        interval=0.2,
        traffic_percent=10,
        canary_capacity=1,
    )
    rig.deploy(spec(AMI_V2, desired=2), canary).raise_for_status()
    enabled = [n for n, g in cluster(rig).items() if g.enabled]
    assert len(enabled) == 1
    assert cluster(rig)[enabled[0]].artifact == AMI_V2


def test_rollback_restores_the_previous_group(rig: Any) -> None:
    rig.deploy(spec(AMI_V1), RedBlack()).raise_for_status()
    rig.deploy(spec(AMI_V2), RedBlack()).raise_for_status()
    rig.rollback(ACCOUNT, "shop-prod", REGION).raise_for_status()
    groups = cluster(rig)
    assert (groups["shop-prod-v001"].enabled, groups["shop-prod-v002"].enabled) == (True, False)
    assert groups["shop-prod-v001"].healthy == 2


def test_throttling_mid_deploy_slows_down_and_succeeds(
    moto_aws: Any, aws_env: None, tmp_path: Path, fault_proxy: Callable[..., Any]
) -> None:
    proxy = fault_proxy(moto_aws.url)
    rig = AWS.connect(tmp_path, {"endpoint_url": proxy.url})
    AWS.upsert_web(rig, REGION)
    rig.deploy(spec(AMI_V1), RedBlack()).raise_for_status()
    proxy.add(throttle(Style.AWS_QUERY), operation="DescribeAutoScalingGroups", times=1)
    proxy.add(throttle(Style.EC2), operation="CreateLaunchTemplate", times=1)
    proxy.add(throttle(Style.AWS_QUERY), operation="SuspendProcesses", times=1)
    rig.deploy(spec(AMI_V2), RedBlack()).raise_for_status()
    assert proxy.answered() == 3
    stats = rig.limiter.stats()
    assert sum(s.throttles for s in stats.values()) == 3
    assert min(s.factor for s in stats.values()) < 1.0
    assert proxy.forwarded() + proxy.answered() == sum(s.admitted for s in stats.values())
    assert [g.enabled for g in cluster(rig).values()] == [False, True]


def test_server_errors_mid_deploy_roll_back(
    moto_aws: Any, aws_env: None, tmp_path: Path, fault_proxy: Callable[..., Any]
) -> None:
    """Taking v001 out of traffic fails with 503s past every retry (2 attempts in the provider x
    2 in the deployment): the deployment fails and restores v001 with all the traffic; v002 is
    disabled and scaled down."""
    proxy = fault_proxy(moto_aws.url)
    rig = AWS.connect(tmp_path, {"endpoint_url": proxy.url})
    AWS.upsert_web(rig, REGION)
    rig.deploy(spec(AMI_V1), RedBlack()).raise_for_status()
    proxy.add(server_error(Style.AWS_QUERY, 503), operation="SuspendProcesses", times=4)
    deployment = rig.deploy(spec(AMI_V2), RedBlack())
    assert deployment.status is DeploymentStatus.FAILED, deployment.error
    assert proxy.answered("SuspendProcesses") == 4
    groups = cluster(rig)
    old, new = groups["shop-prod-v001"], groups["shop-prod-v002"]
    assert (old.enabled, old.capacity.desired, old.healthy) == (True, 2, 2)
    assert (new.enabled, new.capacity.desired) == (False, 0)
    assert "AddToLoadBalancer" not in suspended(asg(moto_aws, "shop-prod-v001"))


def web_target_group(moto: Any) -> str:
    tgs = moto.client("elbv2").describe_target_groups(Names=["web"])["TargetGroups"]
    return str(tgs[0]["TargetGroupArn"])


def test_red_black_waits_while_targets_register(rig: Any, moto_aws: Any) -> None:
    """Targets stay ``initial`` for 2.5 s (target-health extension): the new group is Starting,
    the deployment polls, and switches only once they are healthy."""
    from support.aws import Lifecycle

    rig.deploy(spec(AMI_V1), RedBlack()).raise_for_status()
    moto_aws.target_health.lifecycle(web_target_group(moto_aws), Lifecycle(initial_for=2.5))
    seen: list[str] = []
    rig.deploy(spec(AMI_V2), RedBlack(), on_event=lambda e: seen.append(e.kind.value))
    assert seen.index("healthy") < seen.index("traffic_moved")
    groups = cluster(rig)
    assert [g.enabled for g in groups.values()] == [False, True]
    assert groups["shop-prod-v002"].healthy == 2


def test_new_group_that_never_gets_healthy_rolls_back(rig: Any, moto_aws: Any) -> None:
    """The new version's targets fail their health checks: the health deadline runs out, the
    deployment fails, the previous group keeps all the traffic, the new one is disabled and
    scaled down."""
    from support.aws import Lifecycle

    rig.deploy(spec(AMI_V1), RedBlack()).raise_for_status()
    tg = web_target_group(moto_aws)
    for instance in cluster(rig)["shop-prod-v001"].instances:  # the old version stays healthy
        moto_aws.target_health.set(tg, "healthy", target_id=instance.id)
    moto_aws.target_health.lifecycle(tg, Lifecycle(initial_for=0.5, then="unhealthy"))
    deployment = rig.deploy(spec(AMI_V2), RedBlack(health_timeout=3))
    assert deployment.status is DeploymentStatus.FAILED
    assert "healthy" in (deployment.error or "")
    groups = cluster(rig)
    old, new = groups["shop-prod-v001"], groups["shop-prod-v002"]
    assert (old.enabled, old.capacity.desired) == (True, 2)
    assert rig.account(ACCOUNT).server_groups.get(REGION, old.name).healthy == 2
    assert (new.enabled, new.capacity.desired) == (False, 0)


def test_red_black_and_rollback_under_random_throttling(
    moto_aws: Any, aws_env: None, tmp_path: Path, fault_proxy: Callable[..., Any]
) -> None:
    """A fifth of all requests throttled (seeded), in each service's own wire shape: every
    deployment still succeeds, slowed down and retried, and the server saw only admitted
    requests."""
    proxy = fault_proxy(moto_aws.url)
    rig = AWS.connect(tmp_path, {"endpoint_url": proxy.url}, limits=limits(attempts=6))
    AWS.upsert_web(rig, REGION)
    rig.deploy(spec(AMI_V1), RedBlack()).raise_for_status()
    proxy.add(throttle(Style.AWS_QUERY), path="^/$", method="POST", probability=0.2, seed=7)
    rig.deploy(spec(AMI_V2), RedBlack()).raise_for_status()
    rig.rollback(ACCOUNT, "shop-prod", REGION).raise_for_status()
    assert proxy.answered() >= 3
    stats = rig.limiter.stats()
    assert sum(s.throttles for s in stats.values()) == proxy.answered()
    assert proxy.forwarded() + proxy.answered() == sum(s.admitted for s in stats.values())
    groups = cluster(rig)
    assert (groups["shop-prod-v001"].enabled, groups["shop-prod-v002"].enabled) == (True, False)
