"""The plugin module named by the ``cloudrig`` entry point: it describes the provider, cheaply.

It imports cloudrig and the settings models only — never google-cloud-compute — so ``cloudrig
providers``, config validation and ``cloudrig schema`` never load the SDK. The implementation is
named as a string and imported when an account is connected.
"""

from __future__ import annotations

from cloudrig.provider import Capabilities, ProviderDescriptor, TrafficSplit, hookimpl
from cloudrig_gcp.naming import NAMING
from cloudrig_gcp.settings import (
    GcpAccountSettings,
    GcpLoadBalancerSettings,
    GcpSecurityGroupSettings,
    GcpServerGroupSettings,
)

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
    naming=NAMING,
    account_settings=GcpAccountSettings,
    spec_settings=GcpServerGroupSettings,
    load_balancer_settings=GcpLoadBalancerSettings,
    security_group_settings=GcpSecurityGroupSettings,
    implementation="cloudrig_gcp.provider:GcpProvider",
)


@hookimpl
def cloudrig_providers() -> list[ProviderDescriptor]:
    return [DESCRIPTOR]
