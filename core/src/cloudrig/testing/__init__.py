"""Test support for cloudrig and for provider authors (extra ``cloudrig[testing]``).

- ``CrashAfterRequest``: a deployer killed right after the k-th request was applied.
- ``ManualClock``: virtual time for the core, the strategies and the reference provider.
- ``ReferenceCloud`` / ``ReferenceProvider``: an in-memory cloud with fault injection and a
  history of every call; plugin module ``cloudrig.testing.reference`` (load it by name) and
  ``reference_plugin(...)`` for variants with other capabilities.
- ``ConformanceTarget`` / ``reference_target``: what the conformance kit
  (``cloudrig.testing.conformance``) and the strategy kit (``cloudrig.testing.strategies``, options
  ``StrategyOptions``) run against; those two kit modules are the only ones here that need pytest.
- ``CreatesOutOfTraffic``: a reference variant that creates groups out of traffic on a
  capacity-split cloud (``CAPACITY_SPLIT``), which the strategy kit fails.
"""

from cloudrig.testing._crash import CrashAfterRequest
from cloudrig.testing._faults import FaultRule, Faults, SimulatedCrash
from cloudrig.testing._manual_clock import ManualClock
from cloudrig.testing._naming import name_problem, valid_name
from cloudrig.testing._provider import ReferenceProvider
from cloudrig.testing._settings import (
    REFERENCE_CAPABILITIES,
    REFERENCE_NAMING,
    ReferenceAccountSettings,
    ReferenceLoadBalancerSettings,
    ReferenceSecurityGroupSettings,
    ReferenceServerGroupSettings,
)
from cloudrig.testing._strategy_options import StrategyOptions
from cloudrig.testing._target import ConformanceTarget, reference_target
from cloudrig.testing._unsafe_variants import CAPACITY_SPLIT, CreatesOutOfTraffic
from cloudrig.testing._world import (
    CLOUD_SOURCE,
    DEPLOYMENT_TAG,
    LB_SOURCE,
    MONIKER_TAG,
    Event,
    GroupRecord,
    InstanceRecord,
    ReferenceCloud,
)
from cloudrig.testing.reference import ReferencePlugin, reference_plugin

__all__ = [
    "CAPACITY_SPLIT",
    "CLOUD_SOURCE",
    "DEPLOYMENT_TAG",
    "LB_SOURCE",
    "MONIKER_TAG",
    "REFERENCE_CAPABILITIES",
    "REFERENCE_NAMING",
    "ConformanceTarget",
    "CrashAfterRequest",
    "CreatesOutOfTraffic",
    "Event",
    "FaultRule",
    "Faults",
    "GroupRecord",
    "InstanceRecord",
    "ManualClock",
    "ReferenceAccountSettings",
    "ReferenceCloud",
    "ReferenceLoadBalancerSettings",
    "ReferencePlugin",
    "ReferenceProvider",
    "ReferenceSecurityGroupSettings",
    "ReferenceServerGroupSettings",
    "SimulatedCrash",
    "StrategyOptions",
    "name_problem",
    "reference_plugin",
    "reference_target",
    "valid_name",
]
