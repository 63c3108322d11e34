"""``cloudrig new-provider NAME``: start a provider from a renamed copy of the template.

The copy (``cloudrig._scaffold``) is a project of its own: ``pyproject.toml`` with the entry point,
the provider package, the stand-in cloud its tests run against, and those tests, passing as they
are. ``docs/writing-a-provider.md`` takes it from there.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cloudrig._cli._output import stdout


def new_provider(
    name: Annotated[
        str,
        typer.Argument(
            metavar="NAME",
            help="The provider's name in configuration (lowercase, e.g. 'mycloud').",
        ),
    ],
    directory: Annotated[
        Path | None,
        typer.Option(
            "--dir",
            metavar="DIR",
            help="Where to write the project (default: ./cloudrig-NAME); must not exist or be empty.",
        ),
    ] = None,
) -> None:
    """Write a new provider project from the template, with tests that pass as written."""
    from cloudrig._scaffold import new_provider as scaffold

    destination = directory or Path(f"cloudrig-{name}")
    try:
        written = scaffold(name, destination)
    except ValueError as exc:  # a bad name or destination: a usage error (exit code 2)
        raise typer.BadParameter(str(exc)) from None
    out = stdout()
    out.print(
        f"Wrote {len(written)} files to {destination}/ (provider {name!r}). Next:", soft_wrap=True
    )
    out.print(
        f"  cd {destination} && python -m pip install -e . && python -m pytest tests",
        soft_wrap=True,
    )
    out.print(
        "then replace the stand-in cloud with yours (docs/writing-a-provider.md, section 2).",
        soft_wrap=True,
    )
