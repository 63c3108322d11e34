"""What a provider or plugin author implements and imports: the contract and its parts.

A provider is a ``Provider`` subclass composing one object per noun (``ServerGroups``,
``LoadBalancers``, ``SecurityGroups`` and, when it splits traffic, ``Traffic``), described to the
core by a ``ProviderDescriptor`` returned from a ``@hookimpl`` of ``cloudrig_providers``. See
``docs/writing-a-provider.md``; the neutral model types (``ServerGroup``, ``Capacity``, …) and the
errors come from ``cloudrig``. Every name loads on first use, so a plugin module that imports
``hookimpl`` and its descriptor's parts keeps listing providers cheap.
"""

from typing import TYPE_CHECKING

from cloudrig._lazy import lazy_exports

if TYPE_CHECKING:
    from cloudrig._config._secrets import Secret
    from cloudrig._model._health import aggregate_health
    from cloudrig._model._resources import CreateServerGroup, ServerGroupMetadata
    from cloudrig._plugins._hookspecs import hookimpl
    from cloudrig.provider._authorization import Decision
    from cloudrig.provider._capabilities import Capabilities, TrafficSplit
    from cloudrig.provider._contract import (
        MUTATING,
        NOUNS,
        OPERATIONS,
        LoadBalancers,
        Operation,
        Provider,
        ProviderContext,
        SecurityGroups,
        ServerGroups,
        Traffic,
        contract_problems,
        operation,
    )
    from cloudrig.provider._descriptor import ProviderDescriptor
    from cloudrig.provider._naming_policy import NamingPolicy
    from cloudrig.provider._settings import AccountSettings, NoSettings, ProviderSettings
    from cloudrig.provider._version import CONTRACT_VERSION, contract_compatible

__getattr__, __dir__ = lazy_exports(__name__)

__all__ = [
    "CONTRACT_VERSION",
    "MUTATING",
    "NOUNS",
    "OPERATIONS",
    "AccountSettings",
    "Capabilities",
    "CreateServerGroup",
    "Decision",
    "LoadBalancers",
    "NamingPolicy",
    "NoSettings",
    "Operation",
    "Provider",
    "ProviderContext",
    "ProviderDescriptor",
    "ProviderSettings",
    "Secret",
    "SecurityGroups",
    "ServerGroupMetadata",
    "ServerGroups",
    "Traffic",
    "TrafficSplit",
    "aggregate_health",
    "contract_compatible",
    "contract_problems",
    "hookimpl",
    "lazy_exports",
    "operation",
]
