"""Confirming what removes capacity (``rollback``, ``abort``): ``--yes``, else a question on the
terminal, else (no terminal: a pipeline, a cron job) a refusal that names ``--yes``."""

from __future__ import annotations

import sys

import typer

from cloudrig._cli._exit import ExitCode
from cloudrig._cli._output import fail


def terminal_attached() -> bool:
    """Someone can answer: both stdin and stdout are a terminal."""
    return sys.stdin.isatty() and sys.stdout.isatty()


def confirm(action: str, details: str, *, yes: bool) -> None:
    """Return when ``action`` (e.g. "roll back cluster shop-prod") may go ahead; else exit: 2
    when there is no terminal to ask on and no ``--yes``, 1 when the answer was no. ``details``
    (what it removes and restores) is shown with the question."""
    if yes:
        return
    if not terminal_attached():
        fail(
            f"{action} removes capacity: pass --yes to confirm (no terminal to ask on)",
            ExitCode.USAGE,
        )
    typer.echo(details)
    if not typer.confirm(f"{action}?", default=False):
        fail("not confirmed: nothing changed", ExitCode.FAILURE)
