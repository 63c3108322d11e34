"""ECS server groups in detail: health from the task model, autoscaling around disable/enable,
launch types and capacity providers, security groups in the awsvpc configuration."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from cloudrig import Capacity, Conflict, HealthState, Moniker, SecurityGroupSpec, ServerGroupSpec
from cloudrig.provider import CreateServerGroup, ServerGroupMetadata
from cloudrig.ratelimit import fresh_reads
from cloudrig_ecs import EcsSecurityGroupSettings, EcsServiceSettings
from cloudrig_ecs.naming import NAMING

from .conftest import CLUSTER, IMAGE_V1, REGION

pytestmark = pytest.mark.moto


def request(
    detail: str = "",
    desired: int = 2,
    lbs: tuple[str, ...] = (),
    sgs: tuple[str, ...] = (),
    **settings: Any,
) -> CreateServerGroup:
    moniker = Moniker(app="shop", stack="prod", detail=detail, sequence=1)
    spec = ServerGroupSpec(
        moniker=moniker,
        account="ecs-test",
        region=REGION,
        artifact=IMAGE_V1,
        capacity=Capacity(min=desired, desired=desired, max=desired + 2),
        load_balancers=lbs,
        security_groups=sgs,
        settings=settings,
    )
    return CreateServerGroup(
        name=NAMING.server_group_name(moniker),
        spec=spec,
        metadata=ServerGroupMetadata(moniker=moniker, deployment_id="dep-1"),
        settings=EcsServiceSettings.model_validate(settings),
    )


def fresh(provider: Any, name: str) -> Any:
    """The group as the cloud has it now (the provider's short read cache bypassed, as the
    core's decision reads are)."""
    with fresh_reads():
        return provider.server_groups.get(REGION, name)


def wait(probe: Callable[[], Any], done: Callable[[Any], bool], timeout: float = 5.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if done(value) or time.monotonic() > deadline:
            return value
        time.sleep(0.1)


def test_running_count_met_but_unhealthy_tasks_is_down(
    make_ecs_provider: Callable[..., Any], moto_aws: Any
) -> None:
    provider = make_ecs_provider()
    moto_aws.ecs.timing.replace_unhealthy = None
    req = request(health_check_command=("CMD-SHELL", "curl -f localhost"))
    provider.server_groups.create(req)
    group = wait(lambda: provider.server_groups.get(REGION, req.name), lambda g: g.healthy == 2)
    assert group.healthy == 2
    for task in moto_aws.ecs.tasks(req.name):
        moto_aws.ecs.make_unhealthy(task.task_arn)
    service = moto_aws.client("ecs").describe_services(cluster=CLUSTER, services=[req.name])
    assert service["services"][0]["runningCount"] == 2 == service["services"][0]["desiredCount"]
    group = fresh(provider, req.name)
    assert [i.health for i in group.instances] == [HealthState.DOWN] * 2
    assert all(
        d.state is HealthState.DOWN for i in group.instances for d in i.details if d.source == "ecs"
    )


def test_health_check_pending_is_starting(
    make_ecs_provider: Callable[..., Any], moto_aws: Any
) -> None:
    provider = make_ecs_provider()
    moto_aws.clock.freeze()
    req = request(health_check_command=("CMD-SHELL", "true"))
    provider.server_groups.create(req)
    assert {i.health for i in fresh(provider, req.name).instances} == {HealthState.STARTING}
    moto_aws.clock.advance(moto_aws.ecs.timing.start + 0.01)
    states = {i.health for i in fresh(provider, req.name).instances}
    assert states == {HealthState.STARTING}, "running, container health still UNKNOWN"
    moto_aws.clock.advance(moto_aws.ecs.timing.health + 0.01)
    assert fresh(provider, req.name).healthy == 2


def test_autoscaling_suspended_on_disable_and_restored_on_enable(
    make_ecs_provider: Callable[..., Any], moto_aws: Any
) -> None:
    provider = make_ecs_provider()
    req = request()
    provider.server_groups.create(req)
    aas = moto_aws.client("application-autoscaling")
    resource = f"service/{CLUSTER}/{req.name}"
    aas.register_scalable_target(
        ServiceNamespace="ecs",
        ResourceId=resource,
        ScalableDimension="ecs:service:DesiredCount",
        MinCapacity=2,
        MaxCapacity=4,
    )

    def suspended() -> dict[str, bool]:
        found = aas.describe_scalable_targets(ServiceNamespace="ecs", ResourceIds=[resource])
        return dict(found["ScalableTargets"][0].get("SuspendedState") or {})

    provider.server_groups.disable(REGION, req.name)
    assert set(suspended().values()) == {True}
    assert not fresh(provider, req.name).enabled
    provider.server_groups.enable(REGION, req.name)
    assert set(suspended().values()) == {False}
    provider.server_groups.resize(REGION, req.name, Capacity(min=1, desired=1, max=3))
    found = aas.describe_scalable_targets(ServiceNamespace="ecs", ResourceIds=[resource])
    target = found["ScalableTargets"][0]
    assert (target["MinCapacity"], target["MaxCapacity"]) == (1, 3)


def test_a_group_enabled_by_the_process_that_created_it_reads_no_scalable_target(
    make_ecs_provider: Callable[..., Any], moto_aws: Any
) -> None:
    """Only cloudrig suspends a service's scaling: a service this process created and has not
    suspended has nothing to resume; one it suspended, or another process's, is read."""
    provider = make_ecs_provider()
    req = request()
    provider.server_groups.create(req)
    moto_aws.clear_requests()
    provider.server_groups.enable(REGION, req.name)
    assert moto_aws.request_count("DescribeScalableTargets") == 0

    make_ecs_provider().server_groups.enable(REGION, req.name)  # another process: no memory
    assert moto_aws.request_count("DescribeScalableTargets") == 1

    provider.server_groups.disable(REGION, req.name)
    moto_aws.clear_requests()
    provider.server_groups.enable(REGION, req.name)
    assert moto_aws.request_count("DescribeScalableTargets") == 1


def test_capacity_provider_strategy_and_security_groups_reach_ecs(
    make_ecs_provider: Callable[..., Any], moto_aws: Any
) -> None:
    provider = make_ecs_provider()
    sg = provider.security_groups.upsert(
        SecurityGroupSpec(name="shop-web", account="ecs-test", region=REGION),
        EcsSecurityGroupSettings(),
    )
    req = request(
        sgs=("shop-web",),
        launch_type=None,
        capacity_provider_strategy=[{"capacity_provider": "FARGATE_SPOT", "weight": 1}],
    )
    group = provider.server_groups.create(req)
    assert group.security_groups == ("shop-web",)
    service = moto_aws.client("ecs").describe_services(cluster=CLUSTER, services=[req.name])
    network = service["services"][0]["networkConfiguration"]["awsvpcConfiguration"]
    assert network["securityGroups"] == [sg.id]
    sent = [r for r in moto_aws.requests() if r.label == "CreateService"]
    assert b"FARGATE_SPOT" in sent[0].body
    assert b"clientToken" in sent[0].body


def test_settings_need_one_placement() -> None:
    with pytest.raises(ValueError, match="not both"):
        EcsServiceSettings.model_validate(
            {"launch_type": "EC2", "capacity_provider_strategy": [{"capacity_provider": "x"}]}
        )


def test_create_conflicts_with_another_deployment(make_ecs_provider: Callable[..., Any]) -> None:
    provider = make_ecs_provider()
    req = request()
    provider.server_groups.create(req)
    rival = req.model_copy(
        update={"metadata": req.metadata.model_copy(update={"deployment_id": "dep-2"})}
    )
    with pytest.raises(Conflict):
        provider.server_groups.create(rival)
    assert provider.server_groups.create(req).deployment_id == "dep-1"


@pytest.mark.parametrize("launch_type", ["FARGATE", "EC2"])
def test_launch_types(
    make_ecs_provider: Callable[..., Any], moto_aws: Any, launch_type: str
) -> None:
    provider = make_ecs_provider()
    req = request(launch_type=launch_type)
    provider.server_groups.create(req)
    ecs = moto_aws.client("ecs")
    service = ecs.describe_services(cluster=CLUSTER, services=[req.name])["services"][0]
    assert service["launchType"] == launch_type
    definition = ecs.describe_task_definition(taskDefinition=service["taskDefinition"])
    assert definition["taskDefinition"]["requiresCompatibilities"] == [launch_type]
    assert definition["taskDefinition"]["networkMode"] == "awsvpc"
    assert wait(lambda: fresh(provider, req.name), lambda g: g.healthy == 2).healthy == 2
