"""The plugin module named by the ``cloudrig`` entry point: it describes the provider, cheaply.

It imports ``cloudrig.provider``'s descriptor parts only. The settings models, the naming policy
and the implementation are named as ``"module:Name"`` references and imported on first use
(validating a configuration, connecting an account), so ``cloudrig providers`` loads neither the
cloud's SDK nor pydantic (``benchmarks/discovery``).
"""

from __future__ import annotations

from cloudrig.provider import Capabilities, ProviderDescriptor, TrafficSplit, hookimpl

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
        efficient_wait=True,  # one fresh read per poll (cloudrig_aws.health_polls)
    ),
    naming="cloudrig_lambda.naming:NAMING",
    account_settings="cloudrig_lambda.settings:LambdaAccountSettings",
    spec_settings="cloudrig_lambda.settings:LambdaFunctionSettings",
    load_balancer_settings="cloudrig_lambda.settings:LambdaLoadBalancerSettings",
    security_group_settings="cloudrig_lambda.settings:LambdaSecurityGroupSettings",
    implementation="cloudrig_lambda.provider:LambdaProvider",
)


@hookimpl
def cloudrig_providers() -> list[ProviderDescriptor]:
    return [DESCRIPTOR]
