"""Settings models and declared properties of the reference provider.

Imported when configuration is validated, so it imports only the core's settings base classes.
"""

from __future__ import annotations

from pydantic import Field

from cloudrig.provider._capabilities import Capabilities, TrafficSplit
from cloudrig.provider._naming_policy import NamingPolicy
from cloudrig.provider._settings import AccountSettings, ProviderSettings

REFERENCE_CAPABILITIES = Capabilities(
    traffic_split=TrafficSplit.EXACT,
    max_weighted_groups=5,
    baseline_beside_canary=True,
    resizable=True,
    disable_keeps_instances=True,
    efficient_wait=True,
)
"""Everything on: what ``reference`` declares (variants declare less, see ``reference_plugin``)."""

REFERENCE_NAMING = NamingPolicy(
    max_length=63, allowed="a-z0-9", lowercase=True, must_start_with_letter=True
)
"""GCE-like and deliberately restrictive, so the core's name mapping is exercised by every test."""


class ReferenceAccountSettings(AccountSettings):
    """An account on an in-memory cloud. Accounts and provider instances naming the same ``cloud``
    share its state, the way two processes see one real cloud account."""

    cloud: str = Field(default="default", min_length=1, description="Which in-memory cloud")
    identity: str = Field(default="reference-user", description="What check() reports")


class ReferenceServerGroupSettings(ProviderSettings):
    """The provider block of a server group spec on the reference provider."""

    boot_seconds: float | None = Field(
        default=None, ge=0, description="Boot time of instances; the cloud's default when unset"
    )
    boot_failure: bool = Field(default=False, description="Instances go DOWN instead of UP")
    instance_type: str = "standard"


class ReferenceLoadBalancerSettings(ProviderSettings):
    """The reference cloud's load balancer block. ``internal`` is validated and kept, not acted
    on: it is there so specs and tests carry a real provider block through the core."""

    internal: bool = False


class ReferenceSecurityGroupSettings(ProviderSettings):
    """The reference cloud's security group block. ``network`` is validated and kept, not acted
    on: it is there so specs and tests carry a real provider block through the core."""

    network: str = "default"
