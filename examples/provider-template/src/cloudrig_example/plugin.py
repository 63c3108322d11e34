"""The plugin module named by the ``cloudrig`` entry point: it describes the provider, cheaply.

It imports ``cloudrig.provider``'s descriptor parts only. The settings models, the naming policy
and the implementation are named as ``"module:Name"`` references and imported on first use
(validating a configuration, connecting an account), so ``cloudrig providers`` loads neither the
cloud's SDK nor pydantic (``benchmarks/discovery``).
"""

from __future__ import annotations

from cloudrig.provider import Capabilities, ProviderDescriptor, TrafficSplit, hookimpl

DESCRIPTOR = ProviderDescriptor(
    name="example",
    # The contract version this provider was written for — a literal, not the core's constant:
    # a core that moves to an incompatible contract must refuse this provider, not adopt it.
    contract_version="2.0",
    description="The example cloud (a tiny REST API): the template of every cloudrig provider",
    capabilities=Capabilities(
        traffic_split=TrafficSplit.EXACT,  # load balancer weights, honoured exactly
        max_weighted_groups=4,  # the cloud accepts at most 4 groups per weights update
        baseline_beside_canary=True,  # any number of groups can sit behind one load balancer
        resizable=True,
        disable_keeps_instances=True,  # disabled groups keep running, out of traffic
        efficient_wait=False,  # no watch API: the core polls get_server_group
    ),
    naming="cloudrig_example.naming:NAMING",
    account_settings="cloudrig_example.settings:ExampleAccountSettings",
    spec_settings="cloudrig_example.settings:ExampleServerGroupSettings",
    load_balancer_settings="cloudrig_example.settings:ExampleLoadBalancerSettings",
    implementation="cloudrig_example.provider:ExampleProvider",
)


@hookimpl
def cloudrig_providers() -> list[ProviderDescriptor]:
    return [DESCRIPTOR]
