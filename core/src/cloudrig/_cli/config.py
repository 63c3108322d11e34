"""``cloudrig config validate FILE``: every account checked with its provider's settings model.

No cloud is contacted and no implementation imported: only the descriptors' settings models run.
Problems name the account and the field and never echo a value (it could be a secret).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cloudrig._cli._output import HelpGroup, registry, stderr, stdout, warn_failures
from cloudrig._errors import ConfigError

app = typer.Typer(
    cls=HelpGroup,
    help="Work with configuration files.",
    no_args_is_help=True,
    rich_markup_mode=None,  # see HelpGroup
)


@app.command("validate")
def validate(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(metavar="FILE", help="The configuration (YAML or TOML).")],
) -> None:
    """Validate every account of FILE with its provider's settings model."""
    from rich.text import Text

    from cloudrig._config._file import load_config

    reg = registry(ctx)
    warn_failures(reg.failures)
    try:
        loaded = load_config(file, reg)
    except ConfigError as exc:
        console = stderr()
        count = len(exc.problems)
        console.print(Text(f"{file}: {count} problem(s)", style="bold red"))
        for location, message in exc.problems:
            console.print(Text(f"  ✗ {location}: {message}" if location else f"  ✗ {message}"))
        raise typer.Exit(1) from None
    console = stdout()
    for name, account in loaded.accounts.items():
        regions = ", ".join(account.settings.regions)
        console.print(Text(f"  ✓ {name}: provider {account.provider}, regions {regions}"))
    console.print(Text(f"{file}: {len(loaded.accounts)} account(s) valid", style="bold green"))
