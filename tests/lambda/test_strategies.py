"""Every strategy the Lambda capabilities allow, end to end on moto server through
``rig.deploy`` with the core's presets, in the default capacity mode (on demand: a version is one
instance whose health is its state and verification invoke); plus rollback under faults injected
at the fault-and-count proxy (botocore parses the injected answers as AWS's). Provisioned
concurrency's strategies are in ``test_provisioned_concurrency``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cloudrig import Capacity
from cloudrig.canary import MetricSpec
from cloudrig.engine import DeploymentStatus
from cloudrig.strategies import Canary, Highlander, RedBlack, RollingRedBlack
from support.proxy import Request, Respond, Style, server_error, throttle

from .conftest import ACCOUNT, LAMBDA, REGION, V1, V2, LambdaEndpoint, spec

pytestmark = pytest.mark.moto

PC = "/2019-09-30/functions/shop-prod/provisioned-concurrency"


def cluster(rig: Any) -> dict[str, Any]:
    return {g.name: g for g in rig.cluster(ACCOUNT, "shop-prod", REGION).server_groups}


def alias(moto: Any) -> dict[str, Any]:
    found: dict[str, Any] = moto.client("lambda").get_alias(FunctionName="shop-prod", Name="live")
    return found


@pytest.fixture
def rig(lambda_endpoint: LambdaEndpoint, lambda_env: None, tmp_path: Path) -> Any:
    rig = LAMBDA.connect(tmp_path, {"endpoint_url": lambda_endpoint.url})
    LAMBDA.upsert_web(rig, REGION)
    return rig


def test_red_black(
    rig: Any, moto_aws: Any, lambda_endpoint: LambdaEndpoint, lambda_role: str, code_zip: Any
) -> None:
    first = rig.deploy(spec(code_zip(V1), lambda_role), RedBlack()).raise_for_status()
    second = rig.deploy(spec(code_zip(V2), lambda_role), RedBlack()).raise_for_status()
    groups = cluster(rig)
    assert {n: g.enabled for n, g in groups.items()} == {
        "shop-prod-v001": False,
        "shop-prod-v002": True,
    }
    assert (groups["shop-prod-v001"].deployment_id, groups["shop-prod-v002"].deployment_id) == (
        first.id,
        second.id,
    )
    now = alias(moto_aws)
    assert now["FunctionVersion"] == "2"
    assert not (now.get("RoutingConfig") or {}).get("AdditionalVersionWeights")
    versions = moto_aws.client("lambda").list_versions_by_function(FunctionName="shop-prod")
    assert [v["Version"] for v in versions["Versions"]] == ["$LATEST", "1", "2"]
    # The alias was registered in the load balancer's target group when it was created.
    elb = moto_aws.client("elbv2")
    tg = elb.describe_target_groups(Names=["web"])["TargetGroups"][0]
    assert tg["TargetType"] == "lambda"
    targets = elb.describe_target_health(TargetGroupArn=tg["TargetGroupArn"])
    assert [t["Target"]["Id"] for t in targets["TargetHealthDescriptions"]] == [now["AliasArn"]]
    # On demand: one instance per version, no provisioned concurrency asked for (nor paid).
    assert [i.id for i in groups["shop-prod-v002"].instances] == ["shop-prod:2"]
    assert groups["shop-prod-v002"].capacity == Capacity.fixed(1)
    assert not [k for k in lambda_endpoint.proxy.counts()["answered"] if PC in k]


def test_on_demand_red_black_waits_for_state_active(
    rig: Any, moto_aws: Any, lambda_endpoint: LambdaEndpoint, lambda_role: str, code_zip: Any
) -> None:
    """The new version reads Pending (injected at the proxy: moto's functions are Active at
    once) for its first reads: the red/black waits on its one instance and moves traffic only
    once it is Active."""
    rig.deploy(spec(code_zip(V1), lambda_role), RedBlack()).raise_for_status()
    lam = moto_aws.client("lambda")
    pending = {"left": 3}

    def version_pending(request: Request) -> Respond | None:
        if not (
            request.method == "GET"
            and request.path == "/2015-03-31/functions/shop-prod"
            and request.query == "Qualifier=2"
            and pending["left"] > 0
        ):
            return None
        answer = lam.get_function(FunctionName="shop-prod", Qualifier="2")
        answer.pop("ResponseMetadata", None)
        answer["Configuration"] |= {"State": "Pending", "StateReasonCode": "Creating"}
        pending["left"] -= 1
        body = json.dumps(answer, default=str).encode()
        return Respond(200, body, {"Content-Type": "application/json"})

    lambda_endpoint.proxy.add_responder(version_pending)
    seen: dict[str, Any] = {}

    def on_event(event: Any) -> None:
        if event.kind == "waiting" and event.server_group == "shop-prod-v002":
            seen.setdefault("waiting_with_pending_left", pending["left"])
        if event.kind == "traffic_moved" and "pending_left_at_switch" not in seen:
            seen["pending_left_at_switch"] = pending["left"]

    deployment = rig.deploy(
        spec(code_zip(V2), lambda_role), RedBlack(health_timeout=30), on_event=on_event
    )
    assert deployment.status is DeploymentStatus.SUCCEEDED, deployment.error
    assert seen["waiting_with_pending_left"] > 0, seen
    assert seen["pending_left_at_switch"] == 0, "traffic moved before the version was Active"
    assert alias(moto_aws)["FunctionVersion"] == "2"


def test_highlander(rig: Any, moto_aws: Any, lambda_role: str, code_zip: Any) -> None:
    rig.deploy(spec(code_zip(V1), lambda_role), Highlander()).raise_for_status()
    rig.deploy(spec(code_zip(V2), lambda_role), Highlander()).raise_for_status()
    assert list(cluster(rig)) == ["shop-prod-v002"]
    versions = moto_aws.client("lambda").list_versions_by_function(FunctionName="shop-prod")
    assert [v["Version"] for v in versions["Versions"]] == ["$LATEST", "2"]


def test_rolling_red_black_moves_alias_weights(
    rig: Any, moto_aws: Any, lambda_role: str, code_zip: Any
) -> None:
    rig.deploy(spec(code_zip(V1), lambda_role), RedBlack()).raise_for_status()
    moved: list[dict[str, int]] = []
    rig.deploy(
        spec(code_zip(V2), lambda_role),
        RollingRedBlack(steps=(25, 50, 100)),
        on_event=lambda e: (
            moved.append(dict(e.data.get("weights", {}))) if e.kind == "traffic_moved" else None
        ),
    ).raise_for_status()
    assert [w.get("shop-prod-v002") for w in moved] == [25, 50, 100], moved
    assert alias(moto_aws)["FunctionVersion"] == "2"
    groups = cluster(rig)
    assert (groups["shop-prod-v001"].enabled, groups["shop-prod-v002"].enabled) == (False, True)


def test_canary_promotes_without_a_baseline(rig: Any, lambda_role: str, code_zip: Any) -> None:
    """Lambda declares no baseline beside a canary: the production version is the baseline, and
    the alias splits between the two versions only."""
    rig.deploy(spec(code_zip(V1), lambda_role), RedBlack()).raise_for_status()
    shares: list[dict[str, int]] = []
    canary = Canary(
        metrics=(MetricSpec(name="latency"),), intervals=1, interval=0.2, traffic_percent=10
    )
    rig.deploy(
        spec(code_zip(V2), lambda_role),
        canary,
        on_event=lambda e: (
            shares.append(dict(e.data.get("weights", {}))) if e.kind == "traffic_moved" else None
        ),
    ).raise_for_status()
    assert all(len([w for w in s.values() if w]) <= 2 for s in shares), shares
    assert {"shop-prod-v001": 90, "shop-prod-v002": 10} in shares, shares
    groups = cluster(rig)
    assert [n for n, g in groups.items() if g.enabled] == ["shop-prod-v002"]
    assert len(groups) == 2, "no baseline group was deployed"


def test_rollback_is_one_alias_switch(
    moto_aws: Any,
    lambda_env: None,
    tmp_path: Path,
    lambda_endpoint: LambdaEndpoint,
    lambda_role: str,
    code_zip: Any,
) -> None:
    proxy = lambda_endpoint.proxy
    rig = LAMBDA.connect(tmp_path, {"endpoint_url": proxy.url})
    LAMBDA.upsert_web(rig, REGION)
    rig.deploy(spec(code_zip(V1), lambda_role), RedBlack()).raise_for_status()
    rig.deploy(spec(code_zip(V2), lambda_role), RedBlack()).raise_for_status()
    proxy.clear_counts()
    rig.rollback(ACCOUNT, "shop-prod", REGION).raise_for_status()
    groups = cluster(rig)
    assert (groups["shop-prod-v001"].enabled, groups["shop-prod-v002"].enabled) == (True, False)
    assert alias(moto_aws)["FunctionVersion"] == "1"
    writes = {k: v for k, v in proxy.counts()["forwarded"].items() if k.startswith("PUT ")}
    assert writes == {"PUT /2015-03-31/functions/shop-prod/aliases/live": 1}, writes


def test_failed_verification_invoke_rolls_back(
    moto_aws: Any,
    lambda_env: None,
    tmp_path: Path,
    lambda_endpoint: LambdaEndpoint,
    lambda_role: str,
    code_zip: Any,
) -> None:
    """On demand, version 2 answers its verification invoke with a FunctionError (injected at
    the proxy: moto's invoke never fails): its one instance never gets healthy, the deployment
    fails, version 1 keeps the whole alias, and the core's restore scales the failed version
    down to 0 (recorded in a tag: no provisioned concurrency is involved)."""
    proxy = lambda_endpoint.proxy
    rig = LAMBDA.connect(tmp_path, {"endpoint_url": proxy.url})
    LAMBDA.upsert_web(rig, REGION)
    verify = {"verify_payload": {"ping": True}}
    rig.deploy(spec(code_zip(V1), lambda_role, **verify), RedBlack()).raise_for_status()
    error = Respond(
        200,
        json.dumps({"errorMessage": "boom", "errorType": "Exception"}).encode(),
        {"X-Amz-Function-Error": "Unhandled", "Content-Type": "application/json"},
    )
    proxy.add(error, method="POST", path=r"/functions/shop-prod/invocations$")
    deployment = rig.deploy(spec(code_zip(V2), lambda_role, **verify), RedBlack(health_timeout=2))
    assert deployment.status is DeploymentStatus.FAILED, deployment.error
    assert proxy.answered("POST /2015-03-31/functions/shop-prod/invocations") >= 1
    assert alias(moto_aws)["FunctionVersion"] == "1"
    account = rig.account(ACCOUNT)
    failed = account.server_groups.get(REGION, "shop-prod-v002")
    assert (failed.capacity.desired, failed.instances) == (0, ())
    assert not [k for k in proxy.counts()["answered"] if PC in k]
    groups = cluster(rig)
    assert (groups["shop-prod-v001"].enabled, groups["shop-prod-v002"].enabled) == (True, False)
    # Scaled back up, its one instance says why it failed.
    account.server_groups.resize(REGION, "shop-prod-v002", Capacity.fixed(1))
    (instance,) = account.server_groups.get(REGION, "shop-prod-v002").instances
    assert [(d.source, d.state.value) for d in instance.details] == [
        ("lambda", "UP"),
        ("invoke", "DOWN"),
        ("alias", "OUT_OF_SERVICE"),  # no share of the alias's traffic
    ]


def test_alias_update_failing_rolls_back(
    moto_aws: Any,
    lambda_env: None,
    tmp_path: Path,
    lambda_endpoint: LambdaEndpoint,
    lambda_role: str,
    code_zip: Any,
) -> None:
    """The switch itself fails with 503s past every retry: the deployment fails and version 1
    keeps all the traffic."""
    proxy = lambda_endpoint.proxy
    rig = LAMBDA.connect(tmp_path, {"endpoint_url": proxy.url})
    LAMBDA.upsert_web(rig, REGION)
    rig.deploy(spec(code_zip(V1), lambda_role), RedBlack()).raise_for_status()
    proxy.add(server_error(Style.AWS_JSON, 503), method="PUT", path=r"/aliases/live$", times=4)
    deployment = rig.deploy(spec(code_zip(V2), lambda_role), RedBlack())
    assert deployment.status is DeploymentStatus.FAILED, deployment.error
    assert alias(moto_aws)["FunctionVersion"] == "1"
    groups = cluster(rig)
    assert (groups["shop-prod-v001"].enabled, groups["shop-prod-v002"].enabled) == (True, False)


def test_throttling_mid_deploy_slows_down_and_succeeds(
    moto_aws: Any,
    lambda_env: None,
    tmp_path: Path,
    lambda_endpoint: LambdaEndpoint,
    lambda_role: str,
    code_zip: Any,
) -> None:
    proxy = lambda_endpoint.proxy
    rig = LAMBDA.connect(tmp_path, {"endpoint_url": proxy.url})
    LAMBDA.upsert_web(rig, REGION)
    rig.deploy(spec(code_zip(V1), lambda_role), RedBlack()).raise_for_status()
    too_many = throttle(Style.AWS_JSON)
    rules = [
        proxy.add(too_many, method="POST", path=r"/functions/shop-prod/versions$", times=1),
        proxy.add(too_many, method="PUT", path=r"/aliases/live$", times=1),
    ]
    rig.deploy(spec(code_zip(V2), lambda_role), RedBlack()).raise_for_status()
    assert [r.fired for r in rules] == [1, 1]
    stats = rig.limiter.stats()
    assert sum(s.throttles for s in stats.values()) == 2
    assert proxy.forwarded() + proxy.answered() == sum(s.admitted for s in stats.values())
    assert alias(moto_aws)["FunctionVersion"] == "2"
