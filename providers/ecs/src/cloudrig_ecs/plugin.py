"""The plugin module named by the ``cloudrig`` entry point: describes the provider, cheaply
(cloudrig and the settings models only, never boto3)."""

from __future__ import annotations

from cloudrig.provider import Capabilities, ProviderDescriptor, TrafficSplit, hookimpl
from cloudrig_ecs.naming import NAMING
from cloudrig_ecs.settings import (
    EcsAccountSettings,
    EcsLoadBalancerSettings,
    EcsSecurityGroupSettings,
    EcsServiceSettings,
)

DESCRIPTOR = ProviderDescriptor(
    name="ecs",
    contract_version="2.0",
    description="Amazon ECS: one service per version behind weighted ALB target groups",
    capabilities=Capabilities(
        traffic_split=TrafficSplit.EXACT,  # ALB weighted forward to per-version target groups
        max_weighted_groups=5,  # target groups per forward action
        baseline_beside_canary=True,
        resizable=True,
        disable_keeps_instances=True,  # weight 0: tasks keep running
        efficient_wait=False,
    ),
    naming=NAMING,
    account_settings=EcsAccountSettings,
    spec_settings=EcsServiceSettings,
    load_balancer_settings=EcsLoadBalancerSettings,
    security_group_settings=EcsSecurityGroupSettings,
    implementation="cloudrig_ecs.provider:EcsProvider",
)


@hookimpl
def cloudrig_providers() -> list[ProviderDescriptor]:
    return [DESCRIPTOR]
