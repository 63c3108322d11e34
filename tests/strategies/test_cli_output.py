"""Issue 15, item 5: output people and scripts can use — a live display whose spinner never
shares a line with an event, tables readable at 80 columns, ``--json`` on every read command,
help without Python types, a cluster that does not exist is an error."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from typing import Any

import click
import pytest
from cli.clirun import invoke, reference_cli, reference_config, write
from rich.console import Console

import cloudrig
from cloudrig import Capacity, Moniker, ServerGroupSpec
from cloudrig._cli import app
from cloudrig._cli._live import LiveEvents, event_line
from cloudrig.engine import DeploymentEvent
from cloudrig.strategies import RedBlack
from cloudrig.testing import ReferenceCloud

CLOUD = "cli-output"
# Long names, as real clusters have: they must fold, never push the short columns out.
SPEC = """
account: test
region: reference-1
cluster: {{app: checkout, stack: production, detail: eu-west-blue-canary}}
artifact: registry.example.com/checkout-service:{artifact}
capacity: {{min: 1, desired: 2, max: 4}}
settings: {{boot_seconds: 0}}
"""
CLUSTER = "checkout-production-eu-west-blue-canary"
SPINNER = set("⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏")


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    return tmp_path, reference_config(tmp_path, CLOUD)


def cli(config: Path, *args: str, columns: int = 200) -> Any:
    return reference_cli(config, *args, columns=columns)


def deploy_two(tmp: Path, config: Path) -> None:
    for artifact in ("1.0.0", "1.1.0"):
        spec = write(tmp, SPEC.format(artifact=artifact), f"{artifact}.yaml")
        assert cli(config, "deploy", str(spec)).exit_code == 0


# -- 80 columns ------------------------------------------------------------------------------------
def test_the_cluster_table_is_readable_at_80_columns(files: tuple[Path, Path]) -> None:
    tmp, config = files
    deploy_two(tmp, config)
    shown = cli(config, "cluster", "show", "test", CLUSTER, columns=80)
    assert shown.exit_code == 0, shown.output
    lines = shown.output.splitlines()
    assert all(len(line) <= 80 for line in lines)
    assert "…" not in shown.output
    for word in ("enabled", "disabled", "100%", "0%", "1/2/4", "2/2", "min/des/max", "healthy"):
        assert re.search(rf"(^|\s){re.escape(word)}(\s|$)", shown.output), word
    # Folded, not cut: a column's pieces, line after line, spell each name whole.
    header = next(i for i, line in enumerate(lines) if "server group" in line)
    state_at, artifact_at = lines[header].index("state"), lines[header].index("artifact")
    rows = [line for line in lines[header + 2 :] if line.strip()]
    names = "".join(line[:state_at].strip() for line in rows)
    artifacts = "".join(line[artifact_at:].strip() for line in rows)
    assert names == f"{CLUSTER}-v001{CLUSTER}-v002"
    image = "registry.example.com/checkout-service:"
    assert artifacts == f"{image}1.0.0{image}1.1.0"


def test_deployments_tables_are_readable_at_80_columns(files: tuple[Path, Path]) -> None:
    tmp, config = files
    deploy_two(tmp, config)
    listed = cli(config, "deployments", "--all", columns=80)
    records = json.loads(cli(config, "deployments", "--all", "--json").output)["deployments"]
    assert all(len(line) <= 80 for line in listed.output.splitlines())
    assert "…" not in listed.output
    for record in records:
        assert record["id"] in listed.output
    shown = cli(config, "deployments", "show", records[0]["id"], columns=80)
    assert all(len(line) <= 80 for line in shown.output.splitlines())
    assert "…" not in shown.output
    assert "verify-new" in shown.output


class Terminal:
    """Just enough of a terminal to replay what rich writes: printable characters (wrapping at the
    width), CR, LF, cursor up, erase line; other escape sequences (cursor visibility) change
    nothing on screen. ``screen`` is what a tmux capture would show."""

    CSI = re.compile(r"\x1b\[(\??)(\d*)([A-Za-z])")

    def __init__(self, width: int) -> None:
        self.width, self.row, self.col = width, 0, 0
        self.rows: list[list[str]] = [[]]

    def feed(self, data: str) -> None:
        i = 0
        while i < len(data):
            match = self.CSI.match(data, i)
            if match:
                self._control(match.group(2), match.group(3))
                i = match.end()
                continue
            char = data[i]
            i += 1
            if char == "\n":
                self._move(self.row + 1)
                self.col = 0
            elif char == "\r":
                self.col = 0
            else:
                if self.col >= self.width:
                    self._move(self.row + 1)
                    self.col = 0
                line = self.rows[self.row]
                line.extend(" " * (self.col + 1 - len(line)))
                line[self.col] = char
                self.col += 1

    def _control(self, number: str, command: str) -> None:
        n = int(number or 1)
        if command == "A":
            self.row = max(0, self.row - n)
        elif command == "K":
            self.rows[self.row] = []
        elif command == "G":
            self.col = n - 1

    def _move(self, row: int) -> None:
        self.row = row
        while len(self.rows) <= row:
            self.rows.append([])

    @property
    def screen(self) -> list[str]:
        lines = ["".join(r).rstrip() for r in self.rows]
        while lines and not lines[-1]:
            lines.pop()
        return lines


def test_the_live_display_at_80_columns_never_mixes_the_spinner_and_the_events(
    tmp_path: Path,
) -> None:
    """The deploy display rendered to an 80-column terminal: every event is on lines of its own,
    exactly as printed without a live display, and the status line is gone at the end."""
    ReferenceCloud.reset(CLOUD)
    rig = cloudrig.connect(
        {
            "accounts": {"test": {"provider": "reference", "regions": ["reference-1"]}},
            "deployments": {"path": str(tmp_path / "live.sqlite3")},
        },
        plugins=["cloudrig.testing.reference"],
        entry_points=False,
    )
    out = io.StringIO()
    console = Console(file=out, width=80, force_terminal=True, color_system=None)
    events: list[DeploymentEvent] = []
    spec = ServerGroupSpec(
        moniker=Moniker(app="checkout", stack="production", detail="eu-west-blue-canary"),
        account="test",
        region="reference-1",
        artifact="registry.example.com/checkout-service:" + "1.2.3-" * 12,
        capacity=Capacity(min=1, desired=2, max=4),
        settings={"boot_seconds": 0},
    )
    screens: list[list[str]] = []
    with LiveEvents(console) as live:

        def on_event(event: DeploymentEvent) -> None:
            events.append(event)
            live(event)
            replay = Terminal(80)
            replay.feed(out.getvalue())
            screens.append(replay.screen)

        rig.deploy(spec, RedBlack(), on_event=on_event).raise_for_status()
    terminal = Terminal(80)
    terminal.feed(out.getvalue())
    expected_out = io.StringIO()
    plain = Console(file=expected_out, width=80, force_terminal=True, color_system=None)
    for event in events:
        plain.print(event_line(event))
    expected = [line.rstrip() for line in expected_out.getvalue().splitlines()]
    assert len(events) >= 4
    assert any(len(e.message) > 80 for e in events)  # some lines must wrap
    assert terminal.screen == expected
    assert all(len(line) <= 80 for line in terminal.screen)
    for screen, count in zip(screens, range(1, len(events) + 1), strict=True):
        # While it runs: the events so far, whole, then exactly one status line with the spinner.
        shown = [line for line in screen if not (set(line) & SPINNER)]
        status = [line for line in screen if set(line) & SPINNER]
        assert len(status) == 1, screen
        assert screen[-1] == status[0]
        assert shown == expected[: len(shown)]
        assert len(shown) >= count
    rig.close()


# -- scripts ---------------------------------------------------------------------------------------
def test_every_read_command_has_json(files: tuple[Path, Path]) -> None:
    tmp, config = files
    deploy_two(tmp, config)
    cluster = json.loads(cli(config, "cluster", "show", "test", CLUSTER, "--json").output)
    by_name = {g["name"]: g for g in cluster["server_groups"]}
    assert by_name[f"{CLUSTER}-v002"]["traffic"] == 100
    assert by_name[f"{CLUSTER}-v002"]["enabled"] is True
    assert by_name[f"{CLUSTER}-v001"]["enabled"] is False
    assert by_name[f"{CLUSTER}-v002"]["capacity"] == {"min": 1, "desired": 2, "max": 4}
    listed = json.loads(cli(config, "deployments", "--all", "--json").output)
    assert [d["status"] for d in listed["deployments"]] == ["succeeded", "succeeded"]
    shown = json.loads(
        cli(config, "deployments", "show", listed["deployments"][0]["id"], "--json").output
    )
    assert shown["status"] == "succeeded"
    assert shown["events"][-1]["kind"] == "done"
    providers = json.loads(
        invoke(["-p", "cloudrig.testing.reference", "providers", "--json"]).output
    )
    assert "reference" in {p["name"] for p in providers["providers"]}
    doctor = invoke(["-p", "cloudrig.testing.reference", "doctor", "--json", "-c", str(config)])
    report = json.loads(doctor.output)
    assert report["ok"] is (doctor.exit_code == 0)
    assert {c["section"] for c in report["checks"]} >= {"Plugins", "Providers", "Configuration"}


def test_cluster_show_of_a_cluster_that_does_not_exist_is_an_error(
    files: tuple[Path, Path],
) -> None:
    _, config = files
    for extra in ([], ["--json"]):
        result = cli(config, "cluster", "show", "test", "nowhere-prod", *extra)
        assert result.exit_code == 1
        assert result.output.splitlines() == [
            "error: cluster nowhere-prod not found in account test (no server group)"
        ]


def test_help_shows_no_python_types() -> None:
    """``--reject <bool>``, ``SPEC <path>``: every command's help names values by metavar."""
    group = click.Context(typer_main()).command
    seen = 0

    def walk(command: Any, path: list[str]) -> None:
        nonlocal seen
        result = invoke([*path, "--help"])
        assert result.exit_code == 0, path
        assert not re.search(r"<(bool|str|path|int|float)>", result.output), (path, result.output)
        seen += 1
        for name in getattr(command, "commands", {}):
            walk(command.commands[name], [*path, name])

    walk(group, [])
    assert seen >= 15


def typer_main() -> Any:
    import typer.main

    return typer.main.get_command(app)
