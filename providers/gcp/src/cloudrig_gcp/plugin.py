"""The plugin module named by the ``cloudrig`` entry point: it describes the provider, cheaply.

It imports ``cloudrig.provider``'s descriptor parts only. The settings models, the naming policy
and the implementation are named as ``"module:Name"`` references and imported on first use
(validating a configuration, connecting an account), so ``cloudrig providers`` loads neither the
cloud's SDK nor pydantic (``benchmarks/discovery``).
"""

from __future__ import annotations

from cloudrig.provider import Capabilities, ProviderDescriptor, TrafficSplit, hookimpl

DESCRIPTOR = ProviderDescriptor(
    name="gcp",
    contract_version="2.0",
    description="GCP Compute: regional managed instance groups behind backend services",
    capabilities=Capabilities(
        traffic_split=TrafficSplit.APPROXIMATE,  # capacityScaler on backend services
        max_weighted_groups=None,
        baseline_beside_canary=True,
        resizable=True,
        disable_keeps_instances=True,  # out of the backend service, instances kept
        efficient_wait=False,  # no watch API: the core polls (reads are coalesced)
    ),
    naming="cloudrig_gcp.naming:NAMING",
    account_settings="cloudrig_gcp.settings:GcpAccountSettings",
    spec_settings="cloudrig_gcp.settings:GcpServerGroupSettings",
    load_balancer_settings="cloudrig_gcp.settings:GcpLoadBalancerSettings",
    security_group_settings="cloudrig_gcp.settings:GcpSecurityGroupSettings",
    implementation="cloudrig_gcp.provider:GcpProvider",
)


@hookimpl
def cloudrig_providers() -> list[ProviderDescriptor]:
    return [DESCRIPTOR]
