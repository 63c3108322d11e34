"""cloudrig: deploy and manage applications on any cloud with the same nouns and verbs.

This module is the orchestrator's API: ``connect`` a configuration, then deploy and manage
clusters through the ``Rig`` and its ``Account``s. The rest of the public API lives in subpackages,
one audience each:

- ``cloudrig.strategies``: highlander, red/black, rolling red/black, canary, rollback;
- ``cloudrig.engine``: the deployment engine (deployments, records, state stores, leases);
- ``cloudrig.provider``: what a provider or plugin author implements and imports;
- ``cloudrig.ratelimit``: the client-side rate limiter every cloud request passes;
- ``cloudrig.canary``: canary analysis and the built-in judge;
- ``cloudrig.testing``: the reference provider and the conformance kit (``cloudrig[testing]``).

Every name here loads on first use, so ``import cloudrig`` costs almost nothing.
"""

from typing import TYPE_CHECKING

from cloudrig._lazy import lazy_exports
from cloudrig._version import __version__

if TYPE_CHECKING:
    from cloudrig._account import Account
    from cloudrig._clock import Clock, SystemClock
    from cloudrig._config._apply import ResourceAction, ResourceChange, ResourceKind, ResourcePlan
    from cloudrig._config._file import AccountConfig, Config, load_config
    from cloudrig._errors import (
        AuthorizationDenied,
        CloudrigError,
        ConfigError,
        Conflict,
        ContractVersionError,
        InvalidSpec,
        NotFound,
        NotSupported,
        PermissionDenied,
        PluginError,
        ProviderError,
        ProviderFailure,
        Throttled,
    )
    from cloudrig._model._health import HealthDetail, HealthState, InstanceCounts
    from cloudrig._model._names import format_cluster, format_name, next_sequence, parse_name
    from cloudrig._model._resources import (
        Capacity,
        CheckResult,
        Cluster,
        HealthCheck,
        IngressRule,
        Instance,
        LoadBalancer,
        LoadBalancerSpec,
        Moniker,
        Protocol,
        SecurityGroup,
        SecurityGroupSpec,
        ServerGroup,
        ServerGroupSpec,
        TrafficWeights,
    )
    from cloudrig._rig import Rig, connect
    from cloudrig.engine._spec import SpecFile

__getattr__, __dir__ = lazy_exports(__name__)

__all__ = [
    "Account",
    "AccountConfig",
    "AuthorizationDenied",
    "Capacity",
    "CheckResult",
    "Clock",
    "CloudrigError",
    "Cluster",
    "Config",
    "ConfigError",
    "Conflict",
    "ContractVersionError",
    "HealthCheck",
    "HealthDetail",
    "HealthState",
    "IngressRule",
    "Instance",
    "InstanceCounts",
    "InvalidSpec",
    "LoadBalancer",
    "LoadBalancerSpec",
    "Moniker",
    "NotFound",
    "NotSupported",
    "PermissionDenied",
    "PluginError",
    "Protocol",
    "ProviderError",
    "ProviderFailure",
    "ResourceAction",
    "ResourceChange",
    "ResourceKind",
    "ResourcePlan",
    "Rig",
    "SecurityGroup",
    "SecurityGroupSpec",
    "ServerGroup",
    "ServerGroupSpec",
    "SpecFile",
    "SystemClock",
    "Throttled",
    "TrafficWeights",
    "__version__",
    "connect",
    "format_cluster",
    "format_name",
    "load_config",
    "next_sequence",
    "parse_name",
]
