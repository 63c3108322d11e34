"""Running the CLI in process and writing configuration files."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from typer.testing import CliRunner, Result

from cloudrig._cli import app


def invoke(args: Sequence[str], input: str | None = None, **env: str) -> Result:
    # Wide and colourless, as a log file would see it, so lines are compared whole.
    runner = CliRunner(env={"COLUMNS": "200", "NO_COLOR": "1", **env})
    return runner.invoke(app, list(args), input=input, catch_exceptions=False)


def write(tmp_path: Path, text: str, name: str = "cloudrig.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path
