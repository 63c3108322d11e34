"""The crash matrix on ECS (issue 14, item 8): red/black and rollback killed right after each
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

from .conftest import ACCOUNT, CLUSTER, ECS, IMAGE_V1, IMAGE_V2, REGION

pytestmark = pytest.mark.moto

V1, V2 = "shop-prod-v001", "shop-prod-v002"
# What an uncrashed run requests (pinned by test_census): how many, and the k of each mutation.
RED_BLACK_REQUESTS, RED_BLACK_MUTATIONS = 40, (11, 12, 14, 15, 36)
ROLLBACK_REQUESTS, ROLLBACK_MUTATIONS = 48, (44,)


def spec(image: str) -> ServerGroupSpec:
    return ECS.spec(REGION, image, 2)


def deploy_v2(rig: Any) -> Deployment:
    return rig.deploy(spec(IMAGE_V2), RedBlack())


def rollback(rig: Any) -> Deployment:
    return rig.rollback(ACCOUNT, "shop-prod", REGION)


# -- the cloud's own state -------------------------------------------------------------------------
def services(moto: Any) -> dict[str, dict[str, Any]]:
    ecs = moto.client("ecs")
    arns = ecs.list_services(cluster=CLUSTER)["serviceArns"]
    found = ecs.describe_services(cluster=CLUSTER, services=arns)["services"] if arns else []
    return {s["serviceName"]: s for s in found if s["status"] == "ACTIVE"}


def listener_weights(moto: Any) -> dict[str, int]:
    """Target group name → weight in the listener of ``web``."""
    elb = moto.client("elbv2")
    lb = elb.describe_load_balancers(Names=["web"])["LoadBalancers"][0]
    (listener,) = elb.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"]
    (action,) = listener["DefaultActions"]
    groups = action.get("ForwardConfig", {}).get("TargetGroups") or [
        {"TargetGroupArn": action["TargetGroupArn"], "Weight": 1}
    ]
    return {g["TargetGroupArn"].split("/")[1]: g.get("Weight", 1) for g in groups}


def check_cloud(moto: Any, serving: str, out: str) -> None:
    """Exactly v001 and v002, each running its 2 tasks of its one task definition revision behind
    its own target group; the listener gives ``serving`` 100 and ``out`` 0; nothing left over
    (task definition revisions, target groups)."""
    found = services(moto)
    assert sorted(found) == [V1, V2], "exactly one new group"
    ecs, elb = moto.client("ecs"), moto.client("elbv2")
    active = ecs.list_task_definitions(status="ACTIVE")["taskDefinitionArns"]
    assert sorted(a.rsplit("/", 1)[-1] for a in active) == [f"{V1}:1", f"{V2}:1"], (
        "orphaned task definition revisions"
    )
    tgs = {
        t["TargetGroupArn"]: t["TargetGroupName"]
        for t in elb.describe_target_groups()["TargetGroups"]
    }
    own: dict[str, str] = {}
    for name, service in found.items():
        assert service["taskDefinition"].endswith(f"/{name}:1"), name
        assert (service["desiredCount"], service["runningCount"]) == (2, 2), name
        (balancer,) = service["loadBalancers"]
        own[name] = tgs[balancer["targetGroupArn"]]
        targets = elb.describe_target_health(TargetGroupArn=balancer["targetGroupArn"])
        assert len(targets["TargetHealthDescriptions"]) == 2, f"{name}: tasks registered"
    assert sorted(tgs.values()) == sorted(["web", *own.values()]), "orphaned target groups"
    assert listener_weights(moto) == {own[serving]: 100, own[out]: 0}, "traffic"


# -- the matrix ------------------------------------------------------------------------------------
@pytest.fixture
def first(moto_aws: Any, ecs_env: None, ecs_cluster: str, tmp_path: Path) -> Any:
    """The crashing process's rig, with v001 deployed and serving. Tasks start at once (the
    same number of health polls in every run: the k-th request is always the same one)."""
    moto_aws.ecs.timing.start = moto_aws.ecs.timing.health = 0.0
    rig = connect(ECS, tmp_path, {"endpoint_url": moto_aws.url})
    ECS.upsert_web(rig, REGION)
    rig.deploy(spec(IMAGE_V1), RedBlack()).raise_for_status()
    return rig


@pytest.fixture
def later(moto_aws: Any, tmp_path: Path) -> Callable[[], Any]:
    """Another process, started after the crashed one's lease expired."""
    return lambda: connect(ECS, tmp_path, {"endpoint_url": moto_aws.url}, later=True)


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
@pytest.mark.parametrize("k", kill_points(ROLLBACK_REQUESTS, ROLLBACK_MUTATIONS))
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
