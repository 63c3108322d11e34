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


# -- the reference provider, loaded by name, with a SQLite state store in the test's folder -------
REFERENCE_CONFIG = """
accounts:
  test: {{provider: reference, regions: [reference-1], cloud: {cloud}}}
deployments:
  path: {state}
"""
REFERENCE_SPEC = """
account: test
region: reference-1
cluster: {{app: shop, stack: prod}}
artifact: {artifact}
capacity: {{min: 1, desired: 2, max: 4}}
strategy: {strategy}
settings: {{boot_seconds: 0}}
{extra}
"""


def reference_config(tmp_path: Path, cloud: str) -> Path:
    """A configuration of account ``test`` on the (fresh) reference cloud ``cloud``."""
    from cloudrig.testing import ReferenceCloud

    ReferenceCloud.reset(cloud)
    text = REFERENCE_CONFIG.format(cloud=cloud, state=tmp_path / "state.sqlite3")
    return write(tmp_path, text)


def reference_spec(
    tmp_path: Path, artifact: str, strategy: str = "{name: red-black}", extra: str = ""
) -> Path:
    """A spec file of cluster shop-prod in account ``test``, named after its artifact."""
    text = REFERENCE_SPEC.format(artifact=artifact, strategy=strategy, extra=extra)
    return write(tmp_path, text, f"{artifact}.yaml")


def reference_cli(config: Path, *args: str, input: str | None = None, columns: int = 200) -> Result:
    """``cloudrig -p cloudrig.testing.reference ARGS -c CONFIG``."""
    argv = ["-p", "cloudrig.testing.reference", *args, "-c", str(config)]
    return invoke(argv, input=input, COLUMNS=str(columns))
