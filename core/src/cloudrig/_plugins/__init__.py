"""Plugin machinery: entry point discovery, the pluggy hook specifications and per-plugin failure
isolation. Internal: plugin authors use ``cloudrig.provider.hookimpl``; orchestrators never see it."""

from cloudrig._plugins._hookspecs import hookimpl, hookspec
from cloudrig._plugins._registry import (
    ENTRY_POINT_GROUP,
    PLUGINS_ENV,
    PluginFailure,
    PluginRegistry,
    ProviderEntry,
)

__all__ = [
    "ENTRY_POINT_GROUP",
    "PLUGINS_ENV",
    "PluginFailure",
    "PluginRegistry",
    "ProviderEntry",
    "hookimpl",
    "hookspec",
]
