"""What every command shares: the plugin registry of the invocation, consoles, error handling."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NoReturn

import typer
from typer.core import TyperArgument, TyperGroup, TyperOption

from cloudrig._errors import CloudrigError

# The plugin registry (and pydantic under it) and rich load with the commands that use them.
if TYPE_CHECKING:
    from rich.console import Console

    from cloudrig._plugins._registry import PluginFailure, PluginRegistry
    from cloudrig.provider._capabilities import Capabilities


def stdout() -> Console:
    from rich.console import Console

    return Console(highlight=False)


def stderr() -> Console:
    from rich.console import Console

    # soft_wrap: an error stays one line, whatever the terminal width, so it can be grepped.
    return Console(stderr=True, highlight=False, soft_wrap=True)


def fail(message: str, code: int = 1) -> NoReturn:
    """Print ``message`` as one red line on stderr and exit with ``code``."""
    from rich.text import Text

    stderr().print(Text(f"error: {message}", style="bold red"))
    raise typer.Exit(code)


def warn_failures(failures: list[PluginFailure]) -> None:
    """Plugins that failed to load, one yellow line each on stderr. Where a failure is not the
    command's subject it is still shown, so "unknown provider" is never left unexplained."""
    if not failures:
        return  # rich is not even imported: ``providers --json`` stays as cheap as the registry
    from rich.text import Text

    console = stderr()
    for failure in failures:
        console.print(Text(f"warning: plugin {failure}", style="yellow"))


_NO_LIMIT = 10_000  # characters: a command's summary is never cut


class HelpGroup(TyperGroup):
    """A command group whose help lists each command with its whole first sentence.

    cloudrig's typer apps use click's plain help format (``rich_markup_mode=None``: typer's rich
    format imports rich's markdown parser, pygments and its traceback renderer on every
    ``--help``). Click cuts a command's summary to the terminal's width with "..."; rich wrapped
    it, and so does this: the summary is the help's first sentence, wrapped in its column."""

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        command = super().get_command(ctx, cmd_name)
        if command is not None:
            _named_arguments(command)
        return command

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        rows = []
        for name in self.list_commands(ctx):
            command = self.get_command(ctx, name)
            if command is not None and not command.hidden:
                rows.append((name, command.get_short_help_str(limit=_NO_LIMIT)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


class _NamedArgument(TyperArgument):
    """An argument shown in help by its metavar alone (``SPEC``): typer appends the Python type
    (``SPEC <path>``), which says nothing to someone at a shell."""

    def display_type_rich(self, ctx: Any) -> str | None:
        return None


def _named_arguments(command: Any) -> None:
    """Arguments and options show a metavar, never a Python type (``--config <path>``)."""
    for param in getattr(command, "params", ()):
        if type(param) is TyperArgument:
            param.__class__ = _NamedArgument  # the same object; only its help changes
        elif isinstance(param, TyperOption) and param.metavar is None and not param.is_flag:
            param.metavar = (param.name or "value").upper()


class CloudrigGroup(HelpGroup):
    """Turns a ``CloudrigError`` from any command into a red message and exit code 1; usage errors
    keep click's exit code 2."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except CloudrigError as exc:
            fail(str(exc))


def registry(ctx: typer.Context) -> PluginRegistry:
    """Installed plugins plus those named by ``-p`` and ``CLOUDRIG_PLUGINS``."""
    from cloudrig._plugins._registry import PluginRegistry

    plugins: list[str] = list(ctx.find_root().obj or [])
    return PluginRegistry(plugins)


def capability_summary(caps: Capabilities) -> str:
    """One short line per provider, e.g. ``traffic exact (max 5); baseline, resize, warm disable``."""
    split = caps.traffic_split.value
    if caps.max_weighted_groups is not None:
        split += f" (max {caps.max_weighted_groups})"
    flags = [
        name
        for name, present in (
            ("baseline", caps.baseline_beside_canary),
            ("resize", caps.resizable),
            ("warm disable", caps.disable_keeps_instances),
            ("efficient wait", caps.efficient_wait),
        )
        if present
    ]
    return f"traffic {split}; " + (", ".join(flags) or "no extras")
