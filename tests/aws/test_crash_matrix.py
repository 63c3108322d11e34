"""The crash matrix on EC2 (issue 14, item 8): red/black and rollback killed right after each
request the server applied, resumed by another process, checked from moto's own state (see
``support.crash`` and tests/README.md, "Crash matrix")."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from cloudrig import ServerGroupSpec
from cloudrig.engine import Deployment
from cloudrig.strategies import RedBlack
from support.crash import (
    Resume,
    check_record,
    connect,
    crash_at,
    kill_points,
    mutations,
    request_log,
    resume,
)

from .conftest import ACCOUNT, AMI_V1, AMI_V2, AWS, REGION, ZONES

pytestmark = pytest.mark.moto

ADD_TO_LB = "AddToLoadBalancer"
CLUSTER = "shop-prod"
V1, V2 = "shop-prod-v001", "shop-prod-v002"
# What an uncrashed run requests (pinned by test_census): how many, and the k of each mutation.
RED_BLACK_REQUESTS, RED_BLACK_MUTATIONS = 19, (4, 7, 17, 18)
ROLLBACK_REQUESTS, ROLLBACK_MUTATIONS = 14, (10, 11, 12, 13)


def spec(artifact: str) -> ServerGroupSpec:
    return AWS.spec(REGION, artifact, 2, zones=ZONES)


def deploy_v2(rig: Any) -> Deployment:
    return rig.deploy(spec(AMI_V2), RedBlack())


def rollback(rig: Any) -> Deployment:
    return rig.rollback(ACCOUNT, CLUSTER, REGION)


# -- the cloud's own state -------------------------------------------------------------------------
def asgs(moto: Any) -> dict[str, dict[str, Any]]:
    pages = moto.client("autoscaling").get_paginator("describe_auto_scaling_groups").paginate()
    return {g["AutoScalingGroupName"]: g for p in pages for g in p["AutoScalingGroups"]}


def suspended(group: dict[str, Any]) -> set[str]:
    return {p["ProcessName"] for p in group.get("SuspendedProcesses", [])}


def target_groups(moto: Any) -> dict[str, str]:
    tgs = moto.client("elbv2").describe_target_groups()["TargetGroups"]
    return {t["TargetGroupName"]: t["TargetGroupArn"] for t in tgs}


def registered(moto: Any, arn: str) -> set[str]:
    found = moto.client("elbv2").describe_target_health(TargetGroupArn=arn)
    return {d["Target"]["Id"] for d in found["TargetHealthDescriptions"]}


def listener_targets(moto: Any) -> dict[str, int]:
    """Target group name → weight, over the listener of ``web``."""
    elb = moto.client("elbv2")
    lb = elb.describe_load_balancers(Names=["web"])["LoadBalancers"][0]
    (listener,) = elb.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"]
    (action,) = listener["DefaultActions"]
    forward = action.get("ForwardConfig", {}).get("TargetGroups") or [
        {"TargetGroupArn": action["TargetGroupArn"], "Weight": 1}
    ]
    return {t["TargetGroupArn"].split("/")[1]: t.get("Weight", 1) for t in forward}


def check_cloud(moto: Any, serving: str, out: str) -> None:
    """Exactly v001 and v002; ``serving`` in traffic (attached, resumed, its instances the only
    registered targets), ``out`` out of it (suspended, detached, its instances kept warm); both at
    their capacity; nothing left over (launch templates, per-version target groups, a split)."""
    groups = asgs(moto)
    assert sorted(groups) == [V1, V2], "exactly one new group"
    templates = moto.client("ec2").describe_launch_templates()["LaunchTemplates"]
    assert sorted(t["LaunchTemplateName"] for t in templates) == [V1, V2], "orphaned templates"
    tgs = target_groups(moto)
    assert sorted(tgs) == ["web"], "orphaned target groups"
    assert listener_targets(moto) == {"web": 1}, "the listener forwards to the shared group"
    on, off = groups[serving], groups[out]
    for group in (on, off):
        assert (group["MinSize"], group["DesiredCapacity"]) == (2, 2), group["AutoScalingGroupName"]
        assert len(group["Instances"]) == 2, group["AutoScalingGroupName"]
    assert ADD_TO_LB not in suspended(on), f"{serving}: AddToLoadBalancer left suspended"
    assert on["TargetGroupARNs"] == [tgs["web"]], f"{serving} is not attached"
    assert ADD_TO_LB in suspended(off), f"{out} can still scale into traffic"
    assert off["TargetGroupARNs"] == [], f"{out} is still attached"
    assert registered(moto, tgs["web"]) == {i["InstanceId"] for i in on["Instances"]}, (
        "traffic goes exactly to the serving group's instances"
    )


# -- the matrix ------------------------------------------------------------------------------------
@pytest.fixture
def first(moto_aws: Any, aws_env: None, tmp_path: Path) -> Any:
    """The crashing process's rig, with v001 deployed and serving."""
    rig = connect(AWS, tmp_path, {"endpoint_url": moto_aws.url})
    AWS.upsert_web(rig, REGION)
    rig.deploy(spec(AMI_V1), RedBlack()).raise_for_status()
    return rig


@pytest.fixture
def later(moto_aws: Any, tmp_path: Path) -> Callable[[], Any]:
    """Another process, started after the crashed one's lease expired."""
    return lambda: connect(AWS, tmp_path, {"endpoint_url": moto_aws.url}, later=True)


def test_census(first: Any) -> None:
    """The k range: what an uncrashed red/black and rollback request, in order."""
    deploys = request_log(lambda: deploy_v2(first).raise_for_status())
    rollbacks = request_log(lambda: rollback(first).raise_for_status())
    print("\n".join(f"{k:3} {r}" for k, r in enumerate([*deploys, "--", *rollbacks], 1)))
    assert (len(deploys), tuple(mutations(deploys))) == (
        RED_BLACK_REQUESTS,
        RED_BLACK_MUTATIONS,
    ), deploys
    assert (len(rollbacks), tuple(mutations(rollbacks))) == (
        ROLLBACK_REQUESTS,
        ROLLBACK_MUTATIONS,
    ), rollbacks


@pytest.mark.parametrize("how", list(Resume), ids=lambda r: r.value)
# Every k of red/black under `make chaos`; `make test` runs the representative subset here, and
# every k of red/black through the strategy kit's crash matrix (tests/aws/test_strategy_kit.py).
@pytest.mark.parametrize("k", kill_points(RED_BLACK_REQUESTS, RED_BLACK_MUTATIONS))
def test_red_black_killed_after_request(
    k: int, how: Resume, first: Any, later: Callable[[], Any], moto_aws: Any
) -> None:
    crashed = crash_at(k, first, deploy_v2)
    assert crashed.fired
    rig = later()
    check_record(rig, resume(rig, how, crashed, deploy_v2), crashed, V2)
    check_cloud(moto_aws, serving=V2, out=V1)


@pytest.mark.parametrize("how", list(Resume), ids=lambda r: r.value)
@pytest.mark.parametrize("k", kill_points(ROLLBACK_REQUESTS, ROLLBACK_MUTATIONS, every=True))
def test_rollback_killed_after_request(
    k: int,
    how: Resume,
    first: Any,
    later: Callable[[], Any],
    moto_aws: Any,
    request: pytest.FixtureRequest,
) -> None:
    deploy_v2(first).raise_for_status()
    crashed = crash_at(k, first, rollback)
    assert crashed.fired
    rig = later()
    check_record(rig, resume(rig, how, crashed, rollback), crashed, V1)
    check_cloud(moto_aws, serving=V1, out=V2)
