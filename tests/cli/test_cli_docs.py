"""docs/cli.md documents every command of ``cloudrig`` and every exit code, with its number."""

from __future__ import annotations

import re
from pathlib import Path

import typer.main

from cloudrig._cli import app
from cloudrig._cli._exit import ExitCode

DOC = Path(__file__).resolve().parents[2] / "docs" / "cli.md"


def test_every_exit_code_is_documented_with_its_number() -> None:
    text = DOC.read_text(encoding="utf-8")
    for code in ExitCode:
        assert re.search(rf"^\| {code.value} \| {code.name} \|", text, re.MULTILINE), code


def test_every_command_is_documented() -> None:
    text = DOC.read_text(encoding="utf-8")
    root = typer.main.get_command(app)
    commands = getattr(root, "commands", {})
    assert len(commands) >= 10
    for name, command in commands.items():
        subcommands = getattr(command, "commands", None)
        for sub in subcommands or [None]:
            words = f"cloudrig {name}" + (f" {sub}" if sub else "")
            assert words in text, f"docs/cli.md does not mention `{words}`"
