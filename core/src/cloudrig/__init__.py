"""cloudrig: deploy and manage applications on any cloud with the same nouns and verbs.

The public API is what this module exports; ``cloudrig.testing`` (extra ``cloudrig[testing]``) holds
the reference provider and the conformance kit. Everything in underscore modules is internal.
"""

from cloudrig._account import Account
from cloudrig._authorization import Decision
from cloudrig._capabilities import Capabilities, TrafficSplit
from cloudrig._clock import Clock, SystemClock
from cloudrig._config import AccountConfig, Config, load_config
from cloudrig._contract import (
    CONTRACT_VERSION,
    MUTATING,
    OPERATIONS,
    Operation,
    Provider,
    ProviderContext,
    contract_compatible,
    contract_problems,
)
from cloudrig._descriptor import ProviderDescriptor
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
from cloudrig._health import HealthDetail, HealthState, InstanceCounts, aggregate_health
from cloudrig._hookspecs import hookimpl, hookspec
from cloudrig._model import (
    Capacity,
    CheckResult,
    Cluster,
    CreateServerGroup,
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
    ServerGroupMetadata,
    ServerGroupSpec,
    TrafficWeights,
)
from cloudrig._names import format_cluster, format_name, next_sequence, parse_name
from cloudrig._naming_policy import NamingPolicy
from cloudrig._plugins import ENTRY_POINT_GROUP, PluginFailure, PluginRegistry, ProviderEntry
from cloudrig._rig import Rig, connect
from cloudrig._settings import AccountSettings, NoSettings, ProviderSettings, Secret
from cloudrig._version import __version__

__all__ = [
    "CONTRACT_VERSION",
    "ENTRY_POINT_GROUP",
    "MUTATING",
    "OPERATIONS",
    "Account",
    "AccountConfig",
    "AccountSettings",
    "AuthorizationDenied",
    "Capabilities",
    "Capacity",
    "CheckResult",
    "Clock",
    "CloudrigError",
    "Cluster",
    "Config",
    "ConfigError",
    "Conflict",
    "ContractVersionError",
    "CreateServerGroup",
    "Decision",
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
    "NamingPolicy",
    "NoSettings",
    "NotFound",
    "NotSupported",
    "Operation",
    "PermissionDenied",
    "PluginError",
    "PluginFailure",
    "PluginRegistry",
    "Protocol",
    "Provider",
    "ProviderContext",
    "ProviderDescriptor",
    "ProviderEntry",
    "ProviderError",
    "ProviderFailure",
    "ProviderSettings",
    "Rig",
    "Secret",
    "SecurityGroup",
    "SecurityGroupSpec",
    "ServerGroup",
    "ServerGroupMetadata",
    "ServerGroupSpec",
    "SystemClock",
    "Throttled",
    "TrafficSplit",
    "TrafficWeights",
    "__version__",
    "aggregate_health",
    "connect",
    "contract_compatible",
    "contract_problems",
    "format_cluster",
    "format_name",
    "hookimpl",
    "hookspec",
    "load_config",
    "next_sequence",
    "parse_name",
]
