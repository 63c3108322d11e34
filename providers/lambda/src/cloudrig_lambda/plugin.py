"""The plugin module named by the ``cloudrig`` entry point: describes the provider, cheaply.

Imports cloudrig and the settings models only, never boto3; the implementation is named as a
string and imported when an account is connected.
"""

from __future__ import annotations

from cloudrig.provider import Capabilities, ProviderDescriptor, TrafficSplit, hookimpl
from cloudrig_lambda.naming import NAMING
from cloudrig_lambda.settings import (
    LambdaAccountSettings,
    LambdaFunctionSettings,
    LambdaLoadBalancerSettings,
    LambdaSecurityGroupSettings,
)

DESCRIPTOR = ProviderDescriptor(
    name="lambda",
    contract_version="2.0",
    description="AWS Lambda: published function versions behind the cluster's weighted alias",
    capabilities=Capabilities(
        traffic_split=TrafficSplit.EXACT,  # alias routing: AdditionalVersionWeights
        max_weighted_groups=2,  # an alias routes to two versions at most
        baseline_beside_canary=False,  # the baseline is the production version itself
        # On demand (default): desired 0 (scaled down) or 1, recorded; with the setting
        # provisioned_concurrency: desired = the version's provisioned concurrency.
        resizable=True,
        disable_keeps_instances=True,  # out of the alias, a version stays (and keeps its config)
        efficient_wait=False,
    ),
    naming=NAMING,
    account_settings=LambdaAccountSettings,
    spec_settings=LambdaFunctionSettings,
    load_balancer_settings=LambdaLoadBalancerSettings,
    security_group_settings=LambdaSecurityGroupSettings,
    implementation="cloudrig_lambda.provider:LambdaProvider",
)


@hookimpl
def cloudrig_providers() -> list[ProviderDescriptor]:
    return [DESCRIPTOR]
