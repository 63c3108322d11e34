"""What a spec becomes in ECS, read back from moto: Fargate and Fargate Spot through capacity
provider strategies (FARGATE compatibility, awsvpc), EC2 as before, ARM64, sidecars with the one
behind the load balancer named, secrets as references, awslogs, the health-check grace period;
and the settings that ECS would refuse named before anything is created."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from pydantic import ValidationError

from cloudrig import Capacity, Moniker, ServerGroupSpec
from cloudrig.provider import CreateServerGroup, ServerGroupMetadata
from cloudrig_ecs import EcsServiceSettings
from cloudrig_ecs.naming import NAMING

from .conftest import CLUSTER, IMAGE_V1, REGION

pytestmark = pytest.mark.moto

ROLE = "arn:aws:iam::123456789012:role/ecs-exec"
SECRET = "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-pass-AbCdEf"
PARAMETER = "arn:aws:ssm:us-east-1:123456789012:parameter/shop/api-key"


def request(lbs: tuple[str, ...] = (), **settings: Any) -> CreateServerGroup:
    moniker = Moniker(app="shop", stack="prod", sequence=1)
    spec = ServerGroupSpec(
        moniker=moniker,
        account="ecs-test",
        region=REGION,
        artifact=IMAGE_V1,
        capacity=Capacity.fixed(1),
        load_balancers=lbs,
        environment={"MODE": "prod"},
        settings=settings,
    )
    return CreateServerGroup(
        name=NAMING.server_group_name(moniker),
        spec=spec,
        metadata=ServerGroupMetadata(moniker=moniker, deployment_id="dep-1"),
        settings=EcsServiceSettings.model_validate(settings),
    )


def sent(moto: Any, operation: str) -> dict[str, Any]:
    (found,) = [r for r in moto.requests() if r.label == operation]
    body: dict[str, Any] = json.loads(found.body)
    return body


@pytest.mark.parametrize(
    ("placement", "compatibility"),
    [
        ({"launch_type": "FARGATE"}, "FARGATE"),
        ({"launch_type": "EC2"}, "EC2"),
        (
            {
                "launch_type": None,
                "capacity_provider_strategy": [
                    {"capacity_provider": "FARGATE", "base": 1},
                    {"capacity_provider": "FARGATE_SPOT", "weight": 3},
                ],
            },
            "FARGATE",
        ),
        (
            {"launch_type": None, "capacity_provider_strategy": [{"capacity_provider": "asg-1"}]},
            "EC2",
        ),
    ],
)
def test_compatibility_follows_where_the_tasks_run(
    make_ecs_provider: Callable[..., Any], moto_aws: Any, placement: Any, compatibility: str
) -> None:
    provider = make_ecs_provider()
    req = request(**placement)
    provider.server_groups.create(req)
    ecs = moto_aws.client("ecs")
    service = ecs.describe_services(cluster=CLUSTER, services=[req.name])["services"][0]
    definition = ecs.describe_task_definition(taskDefinition=service["taskDefinition"])
    assert definition["taskDefinition"]["requiresCompatibilities"] == [compatibility]
    assert definition["taskDefinition"]["networkMode"] == "awsvpc"
    if "capacity_provider_strategy" in placement:
        strategy = sent(moto_aws, "CreateService")["capacityProviderStrategy"]
        assert [s["capacityProvider"] for s in strategy] == [
            c["capacity_provider"] for c in placement["capacity_provider_strategy"]
        ]


def test_arm64_sidecars_secrets_logs_and_grace_period(
    make_ecs_provider: Callable[..., Any], moto_aws: Any
) -> None:
    provider = make_ecs_provider()
    from cloudrig import LoadBalancerSpec
    from cloudrig_ecs import EcsLoadBalancerSettings

    provider.load_balancers.upsert(
        LoadBalancerSpec(name="web", account="ecs-test", region=REGION), EcsLoadBalancerSettings()
    )
    req = request(
        lbs=("web",),
        cpu_architecture="ARM64",
        execution_role_arn=ROLE,
        container_name="web",
        container_port=8080,
        secrets={"DB_PASSWORD": SECRET},
        sidecars=[
            {"name": "envoy", "image": "public.ecr.aws/envoy:v1", "essential": False},
            {"name": "agent", "image": "public.ecr.aws/agent:2", "secrets": {"KEY": PARAMETER}},
        ],
        health_check_grace_period=90,
    )
    provider.server_groups.create(req)
    definition = sent(moto_aws, "RegisterTaskDefinition")
    assert definition["runtimePlatform"] == {
        "cpuArchitecture": "ARM64",
        "operatingSystemFamily": "LINUX",
    }
    containers = {c["name"]: c for c in definition["containerDefinitions"]}
    assert list(containers) == ["web", "envoy", "agent"]
    web = containers["web"]
    assert web["portMappings"] == [{"containerPort": 8080, "protocol": "tcp"}]
    assert web["secrets"] == [{"name": "DB_PASSWORD", "valueFrom": SECRET}]
    assert web["environment"] == [{"name": "MODE", "value": "prod"}]
    assert containers["agent"]["secrets"] == [{"name": "KEY", "valueFrom": PARAMETER}]
    assert containers["envoy"]["essential"] is False
    assert web["logConfiguration"] == {
        "logDriver": "awslogs",
        "options": {
            "awslogs-group": "/ecs/shop-prod",
            "awslogs-region": REGION,
            "awslogs-stream-prefix": req.name,
            "awslogs-create-group": "true",
        },
    }
    assert all(c["logConfiguration"] == web["logConfiguration"] for c in containers.values())
    service = sent(moto_aws, "CreateService")
    assert service["healthCheckGracePeriodSeconds"] == 90
    assert service["loadBalancers"][0]["containerName"] == "web"
    assert service["loadBalancers"][0]["containerPort"] == 8080
    assert definition["executionRoleArn"] == ROLE


def test_no_grace_period_without_a_load_balancer_and_no_logs_without_a_role(
    make_ecs_provider: Callable[..., Any], moto_aws: Any
) -> None:
    """ECS refuses a grace period on a service behind no load balancer; awslogs on Fargate
    without an execution role: neither is sent by default."""
    provider = make_ecs_provider()
    provider.server_groups.create(request(health_check_grace_period=30))
    assert "healthCheckGracePeriodSeconds" not in sent(moto_aws, "CreateService")
    (main,) = sent(moto_aws, "RegisterTaskDefinition")["containerDefinitions"]
    assert "logConfiguration" not in main


@pytest.mark.parametrize(
    ("settings", "named"),
    [
        ({"secrets": {"X": "plain-text-password"}}, "secrets X"),
        ({"secrets": {"X": SECRET}}, "execution_role_arn"),
        ({"logs": {"driver": "awslogs"}}, "execution_role_arn"),
        (
            {
                "launch_type": None,
                "capacity_provider_strategy": [
                    {"capacity_provider": "FARGATE"},
                    {"capacity_provider": "asg-1"},
                ],
            },
            "mixes",
        ),
        ({"sidecars": [{"name": "app", "image": "x/y:1"}]}, "container names"),
        ({"cpu_architecture": "arm64"}, "cpu_architecture"),
    ],
)
def test_settings_ecs_would_refuse_are_one_clear_error(settings: Any, named: str) -> None:
    with pytest.raises(ValidationError, match=named):
        EcsServiceSettings.model_validate(settings)
