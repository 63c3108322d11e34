"""``cloudrig providers``: what is installed, with capabilities and contract versions.

Listing reads only the descriptors plugins return, so it imports no provider implementation and
no cloud SDK. A plugin that fails to load is a warning here (``doctor`` treats it as a problem): the
other providers stay usable, so the listing still succeeds.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from cloudrig._cli._output import capability_summary, registry, stdout, warn_failures

if TYPE_CHECKING:
    from cloudrig._plugins._registry import PluginRegistry, ProviderEntry


def providers(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for machines.")] = False,
) -> None:
    """List the installed providers with their capabilities and contract versions."""
    reg = registry(ctx)
    if as_json:
        import json

        typer.echo(json.dumps(_as_data(reg), indent=2))
    else:
        _print_table(reg)
    warn_failures(reg.failures)


def _as_data(reg: PluginRegistry) -> dict[str, Any]:
    from cloudrig.provider._version import CONTRACT_VERSION

    return {
        "contract_version": CONTRACT_VERSION,
        "providers": [_entry_data(reg.providers[name]) for name in sorted(reg.providers)],
        "failures": [
            {"source": f.source, "entry_point": f.entry_point, "error": f.error}
            for f in reg.failures
        ],
    }


def _entry_data(entry: ProviderEntry) -> dict[str, Any]:
    d = entry.descriptor
    return {
        "name": d.name,
        "description": d.description,
        "plugin": entry.plugin,
        "distribution": entry.distribution,
        "version": entry.version,
        "contract_version": d.contract_version,
        "compatible": entry.compatible,
        "capabilities": d.capabilities.as_json(),
        "implementation": d.implementation,
    }


def _print_table(reg: PluginRegistry) -> None:
    from rich.table import Table
    from rich.text import Text

    from cloudrig.provider._version import CONTRACT_VERSION

    if not reg.providers:
        stdout().print("No providers installed.")
        return
    table = Table(title=f"cloudrig providers (contract {CONTRACT_VERSION})", title_justify="left")
    for column in ("name", "distribution", "version", "contract"):
        table.add_column(column, no_wrap=True)
    table.add_column("capabilities", overflow="fold")  # the only column that may wrap
    for name in sorted(reg.providers):
        entry = reg.providers[name]
        version = entry.descriptor.contract_version
        contract = (
            Text(version)
            if entry.compatible
            else Text(f"{version} (incompatible)", style="bold red")
        )
        table.add_row(
            Text(name, style="bold"),
            Text(entry.distribution or f"module {entry.plugin}"),
            Text(entry.version or "-"),
            contract,
            Text(capability_summary(entry.descriptor.capabilities)),
        )
    stdout().print(table)
