"""The crash matrix on Lambda (issue 14, item 8): red/black and rollback killed right after each
request the server applied, resumed by another process, checked from moto's own state (see
``support.crash`` and tests/README.md, "Crash matrix"). On demand (the default capacity mode)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

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

from .conftest import ACCOUNT, LAMBDA, REGION, V1, V2, spec

pytestmark = pytest.mark.moto

G1, G2 = "shop-prod-v001", "shop-prod-v002"
FUNCTION = "shop-prod"
# What an uncrashed run requests (pinned by test_census): how many, and the k of each mutation.
RED_BLACK_REQUESTS, RED_BLACK_MUTATIONS = 22, (9, 10, 11, 19)
ROLLBACK_REQUESTS, ROLLBACK_MUTATIONS = 19, (16,)


@pytest.fixture
def deploy_v2(lambda_role: str, code_zip: Any) -> Callable[[Any], Deployment]:
    artifact = code_zip(V2)
    return lambda rig: rig.deploy(spec(artifact, lambda_role), RedBlack())


def rollback(rig: Any) -> Deployment:
    return rig.rollback(ACCOUNT, FUNCTION, REGION)


# -- the cloud's own state -------------------------------------------------------------------------
def check_cloud(moto: Any, serving: str, out: str) -> None:
    """One function with exactly versions 1 and 2 (v001, v002), both at their capacity of one
    unit; the alias routes everything to ``serving``'s version and is the load balancer's one
    target; nothing left over (versions, target groups, functions)."""
    lam, elb = moto.client("lambda"), moto.client("elbv2")
    functions = lam.list_functions()["Functions"]
    assert [f["FunctionName"] for f in functions] == [FUNCTION], "one function"
    versions = lam.list_versions_by_function(FunctionName=FUNCTION)["Versions"]
    assert [v["Version"] for v in versions] == ["$LATEST", "1", "2"], "exactly one new version"
    number = {G1: "1", G2: "2"}
    tags = lam.list_tags(Resource=functions[0]["FunctionArn"])["Tags"]
    for group in (serving, out):
        recorded = tags.get(f"cloudrig:capacity:{number[group]}", "1/1/1")
        assert recorded == "1/1/1", f"{group} capacity {recorded}"
    alias = lam.get_alias(FunctionName=FUNCTION, Name="live")
    assert alias["FunctionVersion"] == number[serving], "traffic"
    assert not (alias.get("RoutingConfig") or {}).get("AdditionalVersionWeights"), "no split left"
    tgs = elb.describe_target_groups()["TargetGroups"]
    assert [t["TargetGroupName"] for t in tgs] == ["web"], "orphaned target groups"
    targets = elb.describe_target_health(TargetGroupArn=tgs[0]["TargetGroupArn"])
    assert [t["Target"]["Id"] for t in targets["TargetHealthDescriptions"]] == [
        alias["AliasArn"]
    ], "the alias is the load balancer's one target"


# -- the matrix ------------------------------------------------------------------------------------
@pytest.fixture
def first(moto_aws: Any, lambda_env: None, lambda_role: str, code_zip: Any, tmp_path: Path) -> Any:
    """The crashing process's rig, with v001 deployed and serving."""
    rig = connect(LAMBDA, tmp_path, {"endpoint_url": moto_aws.url})
    LAMBDA.upsert_web(rig, REGION)
    rig.deploy(spec(code_zip(V1), lambda_role), RedBlack()).raise_for_status()
    return rig


@pytest.fixture
def later(moto_aws: Any, tmp_path: Path) -> Callable[[], Any]:
    """Another process, started after the crashed one's lease expired."""
    return lambda: connect(LAMBDA, tmp_path, {"endpoint_url": moto_aws.url}, later=True)


def test_census(first: Any, deploy_v2: Callable[[Any], Deployment]) -> None:
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
    k: int,
    how: Resume,
    first: Any,
    later: Callable[[], Any],
    moto_aws: Any,
    deploy_v2: Callable[[Any], Deployment],
) -> None:
    crashed = crash_at(k, first, deploy_v2)
    assert crashed.fired
    rig = later()
    check_record(rig, resume(rig, how, crashed, deploy_v2), crashed, G2)
    check_cloud(moto_aws, serving=G2, out=G1)


@pytest.mark.parametrize("how", list(Resume), ids=lambda r: r.value)
@pytest.mark.parametrize("k", kill_points(ROLLBACK_REQUESTS, ROLLBACK_MUTATIONS))
def test_rollback_killed_after_request(
    k: int,
    how: Resume,
    first: Any,
    later: Callable[[], Any],
    moto_aws: Any,
    deploy_v2: Callable[[Any], Deployment],
    request: pytest.FixtureRequest,
) -> None:
    deploy_v2(first).raise_for_status()
    crashed = crash_at(k, first, rollback)
    assert crashed.fired
    rig = later()
    check_record(rig, resume(rig, how, crashed, rollback), crashed, G1)
    check_cloud(moto_aws, serving=G1, out=G2)
