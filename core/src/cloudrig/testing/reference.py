"""The plugin module of the reference provider: load it by name, it has no entry point.

    rig = cloudrig.connect(
        {"accounts": {"test": {"provider": "reference", "regions": ["reference-1"]}}},
        plugins=["cloudrig.testing.reference"],
        clock=ManualClock(),
    )

or ``cloudrig -p cloudrig.testing.reference providers``. It contributes the provider ``reference``
with every capability. ``reference_plugin(...)`` makes plugin objects contributing variants that
declare less (e.g. a Lambda-like provider that cannot resize and splits traffic over two groups):
capabilities are static per provider name, so a variant is a provider of its own name.

The reference provider is deliberately never registered in the ``cloudrig`` entry-point group: a
production installation must not offer an in-memory cloud.
"""

from __future__ import annotations

from collections.abc import Sequence

from cloudrig._plugins._hookspecs import hookimpl
from cloudrig.provider._capabilities import Capabilities
from cloudrig.provider._descriptor import ProviderDescriptor
from cloudrig.provider._naming_policy import NamingPolicy
from cloudrig.provider._version import CONTRACT_VERSION
from cloudrig.testing import _variants
from cloudrig.testing._settings import (
    REFERENCE_CAPABILITIES,
    REFERENCE_NAMING,
    ReferenceAccountSettings,
    ReferenceLoadBalancerSettings,
    ReferenceSecurityGroupSettings,
    ReferenceServerGroupSettings,
)

IMPLEMENTATION = "cloudrig.testing._provider:ReferenceProvider"


def describe(
    name: str = "reference",
    *,
    capabilities: Capabilities = REFERENCE_CAPABILITIES,
    naming: NamingPolicy = REFERENCE_NAMING,
    implementation: str = IMPLEMENTATION,
    description: str = "In-memory reference cloud for tests and demos (cloudrig.testing)",
) -> ProviderDescriptor:
    """The descriptor of a reference provider (the settings models are always the same)."""
    return ProviderDescriptor(
        name=name,
        contract_version=CONTRACT_VERSION,
        description=description,
        capabilities=capabilities,
        naming=naming,
        account_settings=ReferenceAccountSettings,
        spec_settings=ReferenceServerGroupSettings,
        load_balancer_settings=ReferenceLoadBalancerSettings,
        security_group_settings=ReferenceSecurityGroupSettings,
        implementation=implementation,
    )


DESCRIPTOR = describe()


@hookimpl
def cloudrig_providers() -> Sequence[ProviderDescriptor]:
    return [DESCRIPTOR]


class ReferencePlugin:
    """A plugin object contributing one reference provider variant; pass it to ``connect``."""

    def __init__(self, descriptor: ProviderDescriptor) -> None:
        self.descriptor = descriptor

    def __repr__(self) -> str:
        return f"<ReferencePlugin {self.descriptor.name!r}>"

    @hookimpl
    def cloudrig_providers(self) -> Sequence[ProviderDescriptor]:
        """The hook: this plugin's one descriptor."""
        return [self.descriptor]


def reference_plugin(
    name: str = "reference",
    *,
    capabilities: Capabilities = REFERENCE_CAPABILITIES,
    naming: NamingPolicy = REFERENCE_NAMING,
    provider_class: type | None = None,
) -> ReferencePlugin:
    """A plugin contributing provider ``name`` backed by the reference provider, declaring (and
    behaving by) ``capabilities`` and ``naming``::

        lambda_like = Capabilities(traffic_split="exact", max_weighted_groups=2,
                                   baseline_beside_canary=False, resizable=False)
        rig = cloudrig.connect(config, plugins=[reference_plugin("reference-lambda",
                                                                 capabilities=lambda_like)])

    ``provider_class`` substitutes a ``ReferenceProvider`` subclass (e.g. one with a planted bug).
    """
    implementation = _variants.register(
        _variants.Variant(name, capabilities, naming, provider_class)
    )
    return ReferencePlugin(
        describe(name, capabilities=capabilities, naming=naming, implementation=implementation)
    )
