"""The plugin module named by the ``cloudrig`` entry point: it describes the provider, cheaply.

It imports cloudrig and the settings models only — never the kubernetes client — so ``cloudrig
providers``, config validation and ``cloudrig schema`` never load the SDK.
"""

from __future__ import annotations

from cloudrig.provider import Capabilities, ProviderDescriptor, TrafficSplit, hookimpl
from cloudrig_kubernetes.naming import NAMING
from cloudrig_kubernetes.settings import (
    KubernetesAccountSettings,
    KubernetesLoadBalancerSettings,
    KubernetesSecurityGroupSettings,
    KubernetesServerGroupSettings,
)

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
    naming=NAMING,
    account_settings=KubernetesAccountSettings,
    spec_settings=KubernetesServerGroupSettings,
    load_balancer_settings=KubernetesLoadBalancerSettings,
    security_group_settings=KubernetesSecurityGroupSettings,
    implementation="cloudrig_kubernetes.provider:KubernetesProvider",
)


@hookimpl
def cloudrig_providers() -> list[ProviderDescriptor]:
    return [DESCRIPTOR]
