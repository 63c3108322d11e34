"""Tasks that stop, and destroy from partial states.

A new version whose tasks cannot start (a bad image) fails its deployment within two health
polls of the first task stopping, naming ECS's ``stoppedReason``, rather than at the health
deadline; the previous version keeps serving. Destroy deletes the group's target groups before its
service, so a target group delete that fails is retried by the next destroy instead of leaking.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from cloudrig import ProviderFailure
from cloudrig.engine import DeploymentStatus
from cloudrig.strategies import RedBlack
from support.proxy import Style, server_error

from .conftest import ACCOUNT, CLUSTER, ECS, IMAGE_V1, IMAGE_V2, REGION

pytestmark = pytest.mark.moto

PULL = (
    "CannotPullContainerError: pull image manifest has been retried 5 time(s): "
    "public.ecr.aws/shop/web:2: not found"
)


def weights(moto: Any) -> dict[str, int]:
    elb = moto.client("elbv2")
    lb = elb.describe_load_balancers(Names=["web"])["LoadBalancers"][0]
    listener = elb.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"][0]
    groups = listener["DefaultActions"][0]["ForwardConfig"]["TargetGroups"]
    return {g["TargetGroupArn"].split("/")[1]: g["Weight"] for g in groups}


def test_a_bad_image_fails_fast_naming_the_reason_and_v001_keeps_serving(
    moto_aws: Any, ecs_env: None, ecs_cluster: str, tmp_path: Path
) -> None:
    rig = ECS.connect(tmp_path, {"endpoint_url": moto_aws.url})
    ECS.upsert_web(rig, REGION)
    rig.deploy(ECS.spec(REGION, IMAGE_V1), RedBlack()).raise_for_status()
    before = weights(moto_aws)
    moto_aws.ecs.fail_next_starts("shop-prod-v002", count=50, reason=PULL)
    moto_aws.clear_requests()
    deployment = rig.deploy(ECS.spec(REGION, IMAGE_V2), RedBlack(health_timeout=600))
    assert deployment.status is DeploymentStatus.FAILED
    assert "CannotPullContainerError" in str(deployment.error)
    sent = moto_aws.requests()
    labels = [r.label for r in sent]
    created = labels.index("CreateService")
    stopped = [k for k, r in enumerate(sent) if r.label == "ListTasks" and b"STOPPED" in r.body]
    assert len(stopped) == 1, "the stopped tasks are read once, when ECS counts a failure"
    polls = labels[created : stopped[0]].count("DescribeServices")
    assert polls <= 2, f"{polls} health polls before the stopped tasks were read"
    serving = {name: w for name, w in weights(moto_aws).items() if w}
    assert serving == before, "v001 keeps all the traffic"
    ecs = moto_aws.client("ecs")
    old = ecs.describe_services(cluster=CLUSTER, services=["shop-prod-v001"])["services"][0]
    assert (old["desiredCount"], old["runningCount"]) == (2, 2)


def test_destroy_converges_after_a_failed_target_group_delete(
    moto_aws: Any,
    make_ecs_provider: Callable[..., Any],
    fault_proxy: Callable[..., Any],
) -> None:
    from cloudrig import Capacity, LoadBalancerSpec, Moniker, ServerGroupSpec
    from cloudrig.provider import CreateServerGroup, ServerGroupMetadata
    from cloudrig_ecs import EcsLoadBalancerSettings, EcsServiceSettings

    proxy = fault_proxy(moto_aws.url)
    provider = make_ecs_provider(endpoint_url=proxy.url)
    for lb in ("web", "api"):
        provider.load_balancers.upsert(
            LoadBalancerSpec(name=lb, account=ACCOUNT, region=REGION), EcsLoadBalancerSettings()
        )
    moniker = Moniker(app="shop", stack="prod", sequence=1)
    req = CreateServerGroup(
        name="shop-prod-v001",
        spec=ServerGroupSpec(
            moniker=moniker,
            account=ACCOUNT,
            region=REGION,
            artifact=IMAGE_V1,
            capacity=Capacity.fixed(1),
            load_balancers=("web", "api"),
        ),
        metadata=ServerGroupMetadata(moniker=moniker, deployment_id="dep-1"),
        settings=EcsServiceSettings(),
    )
    provider.server_groups.create(req)
    elb = moto_aws.client("elbv2")
    ours = {t["TargetGroupName"] for t in elb.describe_target_groups()["TargetGroups"]} - {
        "web",
        "api",
    }
    assert len(ours) == 2, "one target group per load balancer"
    proxy.add(server_error(Style.AWS_QUERY, 500), operation="DeleteTargetGroup", times=10)
    with pytest.raises(ProviderFailure):
        provider.server_groups.destroy(REGION, req.name)
    proxy.clear_rules()
    provider.server_groups.destroy(REGION, req.name)
    left = {t["TargetGroupName"] for t in elb.describe_target_groups()["TargetGroups"]}
    assert left == {"web", "api"}, "no target group leaked"
    services = moto_aws.client("ecs").describe_services(cluster=CLUSTER, services=[req.name])
    assert all(s["status"] != "ACTIVE" for s in services["services"])
