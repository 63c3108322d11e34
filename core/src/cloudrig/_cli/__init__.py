"""The ``cloudrig`` command line: ``providers``, ``doctor`` and ``config validate``.

Built on typer (commands from type hints) and rich (tables, colour). Importing the command line
costs typer and the command modules' signatures only: everything else (the plugin registry,
pydantic models, the contract, rich) is imported inside the commands that use it, so
``cloudrig --help`` does no work it does not need. No command imports a provider's implementation
unless it must (``doctor``), so ``cloudrig providers`` stays cheap and never pulls in a cloud SDK.
Commands' parameter types must therefore stay cheap to import: typer resolves them with
``typing.get_type_hints`` when the command line is built.
"""

from __future__ import annotations

from importlib.metadata import entry_points
from typing import Annotated

import typer

from cloudrig._cli import apply, cluster, config, deployments, doctor, new_provider, providers
from cloudrig._cli import deploy as deploy_commands
from cloudrig._cli._output import CloudrigGroup
from cloudrig._version import __version__

app = typer.Typer(
    cls=CloudrigGroup,
    name="cloudrig",
    help="Deploy and manage applications on any cloud with the same nouns and verbs.",
    no_args_is_help=True,
    add_completion=False,
    # Help and usage errors in click's plain format (see HelpGroup): typer's rich format imports
    # rich's markdown parser and traceback renderer (with pygments) on every ``--help``, about as
    # much again as typer itself. Commands still print their own output with rich.
    rich_markup_mode=None,
    # cloudrig's own errors print as one red line (CloudrigGroup); anything else is a bug whose
    # plain traceback is more useful than a decorated one.
    pretty_exceptions_enable=False,
)


def _print_version(value: bool) -> None:
    if value:
        from cloudrig.provider._contract import CONTRACT_VERSION

        typer.echo(f"cloudrig {__version__} (provider contract {CONTRACT_VERSION})")
        raise typer.Exit()


@app.callback()
def _global_options(
    ctx: typer.Context,
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=_print_version,
            is_eager=True,
            help="Print the versions of cloudrig and of its provider contract.",
        ),
    ] = False,
    plugin: Annotated[
        list[str] | None,
        typer.Option(
            "-p",
            "--plugin",
            metavar="MODULE",
            help="Load a plugin module by name besides the installed ones (repeatable); "
            "the CLOUDRIG_PLUGINS environment variable adds a comma-separated list.",
        ),
    ] = None,
    verbose: Annotated[
        int,
        typer.Option(
            "-v",
            "--verbose",
            count=True,
            show_default=False,
            help="Log cloudrig's progress to stderr (-v: info; -vv: debug, every library's too).",
        ),
    ] = 0,
    debug: Annotated[
        bool, typer.Option("--debug", help="Same as -vv: every logger at debug level to stderr.")
    ] = False,
) -> None:
    ctx.obj = list(plugin or ())
    if verbose or debug:
        _log_to_stderr(2 if debug else verbose)


def _log_to_stderr(verbosity: int) -> None:
    """Logs to stderr: cloudrig's at info (1), or every logger at debug (2 and more) — botocore's,
    urllib3's, google-auth's included. Secrets stay masked: connecting installs the redaction
    of configured secret values and credential-bearing fields and headers for every logger
    (``cloudrig._redaction``), and nothing secret is logged before an account is connected."""
    import logging

    root = logging.getLogger()
    if not any(getattr(h, "cloudrig_cli", False) for h in root.handlers):  # once per process
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        handler.cloudrig_cli = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    if verbosity >= 2:
        root.setLevel(logging.DEBUG)
    else:
        logging.getLogger("cloudrig").setLevel(logging.INFO)


app.command("providers")(providers.providers)
app.command("doctor")(doctor.doctor)
app.add_typer(config.app, name="config")
deploy_commands.register(app)
app.add_typer(cluster.app, name="cluster")
deployments.register(app)
app.command("apply")(apply.apply)
app.command("new-provider")(new_provider.new_provider)
# Commands contributed by installed distributions (entry point group ``cloudrig.commands``, e.g.
# cloudrig-temporal's ``worker``); like ours, their modules must be cheap to import.
for _command in entry_points(group="cloudrig.commands"):
    app.command(_command.name)(_command.load())


def main() -> None:
    """The console script ``cloudrig`` (and ``python -m cloudrig``)."""
    app(prog_name="cloudrig")
