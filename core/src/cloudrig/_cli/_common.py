"""Options and helpers the deployment commands share: ``--config``, ``--json``, ``--yes``, the
rig of an invocation and the plugins named on its command line."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from cloudrig._rig import Rig

ConfigOption = Annotated[
    Path,
    typer.Option(
        "--config",
        "-c",
        metavar="FILE",
        envvar="CLOUDRIG_CONFIG",
        help="The configuration (accounts, limits, deployments).",
    ),
]
JsonOption = Annotated[
    bool, typer.Option("--json", help="Print JSON for scripts instead of a table.")
]
YesOption = Annotated[
    bool,
    typer.Option(
        "--yes",
        "-y",
        help="Do it without asking (needed when no terminal is attached to ask on).",
    ),
]


def plugins(ctx: typer.Context) -> list[str]:
    """The plugin modules named with ``-p`` on this command line."""
    return list(ctx.find_root().obj or [])


def connect(ctx: typer.Context, config: Path) -> Rig:
    import cloudrig

    return cloudrig.connect(config, plugins=plugins(ctx))
