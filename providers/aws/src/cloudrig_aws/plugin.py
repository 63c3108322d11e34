"""The plugin module named by the ``cloudrig`` entry point: it describes the provider, cheaply.

It imports ``cloudrig.provider``'s descriptor parts only. The settings models, the naming policy
and the implementation are named as ``"module:Name"`` references and imported on first use
(validating a configuration, connecting an account), so ``cloudrig providers`` loads neither the
cloud's SDK nor pydantic (``benchmarks/discovery``).
"""

from __future__ import annotations

from cloudrig.provider import Capabilities, ProviderDescriptor, TrafficSplit, hookimpl

DESCRIPTOR = ProviderDescriptor(
    name="aws",
    contract_version="2.0",
    description="AWS EC2: Auto Scaling groups + launch templates behind ALB/NLB target groups",
    capabilities=Capabilities(
        traffic_split=TrafficSplit.EXACT,  # ALB weighted forward actions
        max_weighted_groups=5,  # target groups per ALB forward action
        baseline_beside_canary=True,
        resizable=True,
        disable_keeps_instances=True,  # detached from target groups, instances kept
        efficient_wait=False,  # no watch API: the core polls (reads are coalesced)
    ),
    naming="cloudrig_aws.naming:NAMING",
    account_settings="cloudrig_aws.settings:AwsAccountSettings",
    spec_settings="cloudrig_aws.settings:AwsServerGroupSettings",
    load_balancer_settings="cloudrig_aws.settings:AwsLoadBalancerSettings",
    security_group_settings="cloudrig_aws.settings:AwsSecurityGroupSettings",
    implementation="cloudrig_aws.provider:AwsProvider",
)


@hookimpl
def cloudrig_providers() -> list[ProviderDescriptor]:
    return [DESCRIPTOR]
