"""The plugin module named by the ``cloudrig`` entry point: it describes the provider, cheaply.

It imports ``cloudrig.provider``'s descriptor parts only. The settings models, the naming policy
and the implementation are named as ``"module:Name"`` references and imported on first use
(validating a configuration, connecting an account), so ``cloudrig providers`` loads neither the
cloud's SDK nor pydantic (``benchmarks/discovery``).
"""

from __future__ import annotations

from cloudrig.provider import Capabilities, ProviderDescriptor, TrafficSplit, hookimpl

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
        efficient_wait=True,  # wait_for_health fails fast on stopped tasks (waiting.py)
    ),
    naming="cloudrig_ecs.naming:NAMING",
    account_settings="cloudrig_ecs.settings:EcsAccountSettings",
    spec_settings="cloudrig_ecs.settings:EcsServiceSettings",
    load_balancer_settings="cloudrig_ecs.settings:EcsLoadBalancerSettings",
    security_group_settings="cloudrig_ecs.settings:EcsSecurityGroupSettings",
    implementation="cloudrig_ecs.provider:EcsProvider",
)


@hookimpl
def cloudrig_providers() -> list[ProviderDescriptor]:
    return [DESCRIPTOR]
