"""The plugin module named by the ``cloudrig`` entry point: it describes the provider, cheaply.

It imports cloudrig and the settings models only — never boto3 — so ``cloudrig providers``, config
validation and ``cloudrig schema`` never load the SDK. The implementation is named as a string
and imported when an account is connected.
"""

from __future__ import annotations

from cloudrig.provider import Capabilities, ProviderDescriptor, TrafficSplit, hookimpl
from cloudrig_aws.naming import NAMING
from cloudrig_aws.settings import (
    AwsAccountSettings,
    AwsLoadBalancerSettings,
    AwsSecurityGroupSettings,
    AwsServerGroupSettings,
)

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
    naming=NAMING,
    account_settings=AwsAccountSettings,
    spec_settings=AwsServerGroupSettings,
    load_balancer_settings=AwsLoadBalancerSettings,
    security_group_settings=AwsSecurityGroupSettings,
    implementation="cloudrig_aws.provider:AwsProvider",
)


@hookimpl
def cloudrig_providers() -> list[ProviderDescriptor]:
    return [DESCRIPTOR]
