"""The plugin module named by the ``cloudrig`` entry point: it describes the provider, cheaply.

It imports ``cloudrig.provider``'s descriptor parts only. The settings models, the naming policy
and the implementation are named as ``"module:Name"`` references and imported on first use
(validating a configuration, connecting an account), so ``cloudrig providers`` loads neither the
cloud's SDK nor pydantic (``benchmarks/discovery``).
"""

from __future__ import annotations

from cloudrig.provider import Capabilities, ProviderDescriptor, TrafficSplit, hookimpl

DESCRIPTOR = ProviderDescriptor(
    name="kubernetes",
    contract_version="2.0",
    description="Kubernetes: a ReplicaSet per version behind Services, NetworkPolicies",
    capabilities=Capabilities(
        # A Service spreads over ready endpoints: traffic follows replica counts, no weights.
        traffic_split=TrafficSplit.CAPACITY_ONLY,
        baseline_beside_canary=True,
        resizable=True,
        disable_keeps_instances=True,  # the traffic label goes, the pods stay
        efficient_wait=True,  # a watch on the group's pods
    ),
    naming="cloudrig_kubernetes.naming:NAMING",
    account_settings="cloudrig_kubernetes.settings:KubernetesAccountSettings",
    spec_settings="cloudrig_kubernetes.settings:KubernetesServerGroupSettings",
    load_balancer_settings="cloudrig_kubernetes.settings:KubernetesLoadBalancerSettings",
    security_group_settings="cloudrig_kubernetes.settings:KubernetesSecurityGroupSettings",
    implementation="cloudrig_kubernetes.provider:KubernetesProvider",
)


@hookimpl
def cloudrig_providers() -> list[ProviderDescriptor]:
    return [DESCRIPTOR]
