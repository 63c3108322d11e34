"""``cloudrig apply SPEC``: create or update the load balancers and security groups a deployment
spec file declares, and nothing else (no server group, no deployment record).

Every name the file's server group uses is checked first (declared here, or existing), so a bad
reference is one error and changes nothing; ``--dry-run`` only reads and prints what applying
would do. The work is ``rig.apply`` (``cloudrig._config._apply``), as for an orchestrator.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cloudrig._cli._common import ConfigOption, connect
from cloudrig._cli._output import stdout

_STYLES = {"create": "bold green", "update": "bold yellow", "unchanged": "dim", "exists": "dim"}


def apply(
    ctx: typer.Context,
    spec: Annotated[Path, typer.Argument(metavar="SPEC", help="The deployment spec (YAML).")],
    config: ConfigOption = Path("cloudrig.yaml"),
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print what would change; change nothing.")
    ] = False,
) -> None:
    """Create or update the load balancers and security groups SPEC declares."""
    from collections import Counter

    from rich.text import Text

    rig = connect(ctx, config)
    with rig:
        plan = rig.apply(rig.load_spec(spec), dry_run=dry_run)
    console = stdout()
    for change in plan:
        line = Text(f"  {change.kind.value} {change.name}: ")
        line.append(change.action.value, style=_STYLES.get(change.action.value, "bold"))
        if change.differences:
            line.append(f" ({'; '.join(change.differences)})")
        console.print(line, soft_wrap=True)
    counts = Counter(c.action.value for c in plan)
    summary = ", ".join(f"{n} {action}" for action, n in sorted(counts.items())) or "nothing"
    if dry_run:
        console.print(Text(f"dry run: {summary}; nothing was changed", style="dim"))
    else:
        console.print(Text(f"applied: {summary}", style="bold green"))
