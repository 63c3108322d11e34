"""``cloudrig worker --config FILE``, contributed to the cloudrig command line (entry point group
``cloudrig.commands``). Cheap to import: Temporal is loaded when the command runs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def worker(
    ctx: typer.Context,
    config: Annotated[
        Path,
        typer.Option(
            "--config",
            "-c",
            help="cloudrig's configuration with a 'temporal' section (address, namespace, "
            "task_queue)",
        ),
    ],
) -> None:
    """Run a Temporal worker that executes cloudrig deployments (until interrupted)."""
    from cloudrig_temporal._worker import run_worker

    plugins = list(ctx.obj or []) if isinstance(ctx.obj, list) else []
    try:
        run_worker(config, plugins=plugins)
    except KeyboardInterrupt:
        raise typer.Exit(130) from None
