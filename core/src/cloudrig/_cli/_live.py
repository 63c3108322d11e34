"""What a running deployment shows: its events as lines, under one status line that a spinner
animates on a terminal, and what Ctrl-C prints.

One rich ``Live`` owns the terminal while the deployment runs and every event line is printed
through its console, so rich writes each line above the status line and redraws the status line
below it: the spinner and the events never share a line. On a terminal, lines wrap at its width
(readable at 80 columns); elsewhere (a pipe, a CI log) there is no spinner and each event is one
line, whole, so it can be grepped.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from cloudrig._cli._exit import ExitCode
from cloudrig._cli._output import stderr

if TYPE_CHECKING:
    from rich.console import Console, RenderableType
    from rich.live import Live
    from rich.text import Text

    from cloudrig.engine import DeploymentEvent

STYLES = {
    "failed": "bold red",
    "rolling_back": "red",
    "rolled_back": "yellow",
    "done": "bold green",
    "approval_needed": "bold yellow",
    "healthy": "green",
    "traffic_moved": "cyan",
    "disabled": "magenta",
    "note": "dim",
}


def event_line(event: DeploymentEvent) -> Text:
    from rich.text import Text

    line = Text(f"{event.time:%H:%M:%S} ")
    line.append(f"{event.kind.value:<16}", style=STYLES.get(event.kind.value, "bold"))
    line.append(event.message)
    return line


class LiveEvents:
    """The callback a deployment sends its events to, showing them as described above. It
    remembers the deployment's id (from its first event) for the message after a Ctrl-C."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.deployment_id: str | None = None
        self._status = "starting"
        self._live: Live | None = None

    def __enter__(self) -> LiveEvents:
        from rich.live import Live

        if self.console.is_terminal:
            self._live = Live(
                self._status_line(),
                console=self.console,
                transient=True,  # the status line goes when the deployment ends
                refresh_per_second=8,
                redirect_stdout=False,
                redirect_stderr=False,
            )
            self._live.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._live is not None:
            self._live.stop()
            self._live = None

    def __call__(self, event: DeploymentEvent) -> None:
        if self.deployment_id is None and event.deployment_id != "(new)":
            self.deployment_id = event.deployment_id
        self.console.print(event_line(event), soft_wrap=not self.console.is_terminal)
        self._status = f"{event.kind.value.replace('_', ' ')}: {event.message}"
        if self._live is not None:
            self._live.update(self._status_line(), refresh=True)

    def _status_line(self) -> RenderableType:
        from rich.spinner import Spinner
        from rich.text import Text

        # One line, cut to the width (the spinner and a space take 2): the live area never
        # wraps, so it never moves.
        text = Text(self._status, style="dim")
        text.truncate(max(10, self.console.width - 3), overflow="ellipsis")
        return Spinner("dots", text=text)


def command(verb: str, deployment_id: str, config: Path, plugins: list[str]) -> str:
    """The exact command that runs ``cloudrig VERB ID`` with the same configuration and plugins."""
    words = ["cloudrig"]
    for plugin in plugins:
        words += ["-p", plugin]
    words += [verb, deployment_id, "--config", str(config)]
    return shlex.join(words)


@contextmanager
def deployment_display(
    console: Console, config: Path, plugins: list[str], known_id: str | None = None
) -> Iterator[LiveEvents]:
    """The live display of one deployment command; on Ctrl-C, the deployment's id and the
    commands that continue or abandon it on stderr, then exit 130 (``ExitCode.INTERRUPTED``)."""
    events = LiveEvents(console)
    events.deployment_id = known_id
    try:
        with events:
            yield events
    except KeyboardInterrupt:
        _interrupted(events.deployment_id, config, plugins)


def _interrupted(deployment_id: str | None, config: Path, plugins: list[str]) -> None:
    from rich.text import Text

    console = stderr()
    if deployment_id is None:
        # Load balancers and security groups applied before it stay: applying is idempotent.
        console.print(
            Text("interrupted before a deployment started: no server group changed", "bold")
        )
        raise typer.Exit(ExitCode.INTERRUPTED)
    console.print(Text(f"interrupted: deployment {deployment_id} stopped", style="bold yellow"))
    console.print(Text(f"  resume it:  {command('resume', deployment_id, config, plugins)}"))
    console.print(Text(f"  or undo it: {command('abort', deployment_id, config, plugins)}"))
    raise typer.Exit(ExitCode.INTERRUPTED)
