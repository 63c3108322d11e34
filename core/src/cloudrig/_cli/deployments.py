"""Commands that read the deployments: ``deployments`` (those in flight, ``--all``),
``deployments show ID`` (steps with timings, events, the canary judge's report), ``drain``, and
``schema`` (the spec files' JSON Schema). Deployments are read through the rig
(``rig.deployments``, ``rig.deployment``): from the state store, or from the engine a plugin
sends them to (``cloudrig_deployments``: cloudrig-temporal's workers, say). Every read command
has ``--json``; the JSON carries no provider settings, environment or user data (they may hold
secrets)."""

from __future__ import annotations

import math
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from cloudrig._cli._common import ConfigOption, JsonOption, connect
from cloudrig._cli._output import HelpGroup, stdout

if TYPE_CHECKING:
    from rich.console import RenderableType

    from cloudrig.engine import DeploymentEvent, DeploymentRecord

app = typer.Typer(
    cls=HelpGroup,
    help="Deployments (in the state store, or on the engine a plugin sends them to): those in "
    "flight (--all: every one), or one of them.",
    invoke_without_command=True,
    rich_markup_mode=None,  # see HelpGroup
)


@app.callback()
def deployments(
    ctx: typer.Context,
    config: ConfigOption = Path("cloudrig.yaml"),
    all_: Annotated[bool, typer.Option("--all", help="Include finished deployments.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Every deployment in flight; show ID for one."""
    if ctx.invoked_subcommand is not None:
        return
    from rich import box
    from rich.table import Table
    from rich.text import Text

    rig = connect(ctx, config)
    records = rig.deployments(unfinished=None if all_ else True)
    draining = rig.deployer.store.draining()
    if as_json:
        import json

        data = {"deployments": [record_data(r) for r in records], "draining": draining}
        typer.echo(json.dumps(data, indent=2))
        return
    table = Table(
        title="deployments" + ("" if all_ else " in flight"),
        title_justify="left",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
    )
    table.add_column("id", no_wrap=True)
    table.add_column("cluster", overflow="fold")
    table.add_column("strategy", overflow="fold")
    table.add_column("status", no_wrap=True)
    table.add_column("step", overflow="fold")
    table.add_column("updated", no_wrap=True)
    for r in records:
        table.add_row(
            r.id,
            Text(r.cluster),
            Text(r.strategy),
            Text(r.status.value),
            Text(r.step_name or "-"),
            f"{r.updated_at:%m-%d %H:%M}",
        )
    stdout().print(table)
    if draining:
        stdout().print(Text("draining: new deployments wait (cloudrig drain off)", "bold yellow"))


@app.command("show")
def show(
    ctx: typer.Context,
    deployment_id: Annotated[str, typer.Argument(metavar="ID")],
    config: ConfigOption = Path("cloudrig.yaml"),
    as_json: JsonOption = False,
) -> None:
    """One deployment: its steps with their timings, its events and the judge's report."""
    rig = connect(ctx, config)
    record = rig.deployment(deployment_id)
    events = rig.deployment_events(deployment_id)
    if as_json:
        import json

        data = {
            **record_data(record),
            "steps": steps_data(record),
            "events": [event_data(e) for e in events],
            "analyses": record.state.analyses,
            "outcome": record.state.outcome,
        }
        typer.echo(json.dumps(data, indent=2))
        return
    console = stdout()
    for part in _show(record, events):
        console.print(part)


def record_data(r: DeploymentRecord) -> dict[str, Any]:
    return {
        "id": r.id,
        "kind": r.kind,
        "account": r.account,
        "region": r.region,
        "cluster": r.cluster,
        "artifact": r.spec.artifact if r.spec else None,
        "strategy": r.strategy,
        "params": r.params,
        "status": r.status.value,
        "step": r.step,
        "step_name": r.step_name,
        "error": r.error,
        "groups": dict(r.state.names),
        "previous": r.state.previous,
        "idempotency_key": r.idempotency_key,
        "created_at": r.created_at.isoformat(),
        "updated_at": r.updated_at.isoformat(),
    }


def event_data(e: DeploymentEvent) -> dict[str, Any]:
    return {
        "seq": e.seq,
        "time": e.time.isoformat(),
        "kind": e.kind.value,
        "message": e.message,
        "server_group": e.server_group,
        "data": e.data,
    }


def steps_data(r: DeploymentRecord) -> list[dict[str, Any]]:
    """Each step of the plan: its state, when it began and how long it took (seconds)."""
    names = list(r.state.plan.steps) if r.state.plan else []
    started = r.state.started
    phases = [n for n in ("resume", "restore") if n in started]
    rows = []
    for index, name in enumerate([*names, *phases]):
        begun = started.get(name)
        later = [t for t in started.values() if begun is not None and t > begun]
        end = min(later) if later else (r.updated_at if begun is not None else None)
        if index >= len(names):
            state = "done" if r.status.finished else r.status.value
        elif index < r.step:
            state = "done"
        elif index == r.step and not r.status.finished:
            state = r.status.value
        else:
            state = "not run" if r.status.finished else "pending"
        rows.append(
            {
                "step": name,
                "state": state,
                "started_at": begun.isoformat() if begun else None,
                "seconds": (end - begun).total_seconds() if begun and end else None,
            }
        )
    return rows


def _show(record: DeploymentRecord, events: list[DeploymentEvent]) -> list[RenderableType]:
    from rich import box
    from rich.table import Table
    from rich.text import Text

    took = _duration((record.updated_at - record.created_at).total_seconds())
    parts: list[RenderableType] = [
        Text(
            f"deployment {record.id}: {record.kind} of {record.cluster} in "
            f"{record.account}/{record.region} with {record.strategy}",
            style="bold",
        ),
        Text(
            f"status {record.status.value}, started {record.created_at:%Y-%m-%d %H:%M:%S}, "
            f"last change after {took}"
        ),
    ]
    if record.error:
        parts.append(Text(f"error: {record.error}", style="red"))
    steps = Table(title="steps", title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    steps.add_column("#", justify="right", no_wrap=True)
    steps.add_column("step", overflow="fold")
    steps.add_column("state", overflow="fold")
    steps.add_column("started", no_wrap=True)
    steps.add_column("took", justify="right", no_wrap=True)
    for i, row in enumerate(steps_data(record), 1):
        begun = row["started_at"]
        steps.add_row(
            str(i),
            Text(row["step"]),
            Text(row["state"]),
            f"{datetime.fromisoformat(begun):%H:%M:%S}" if begun else "-",
            _duration(row["seconds"]) if row["seconds"] is not None else "-",
        )
    parts.append(steps)
    log = Table(title="events", title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    log.add_column("time", no_wrap=True)
    log.add_column("event", no_wrap=True)
    log.add_column("message", overflow="fold", ratio=1)
    for e in events:
        log.add_row(f"{e.time:%H:%M:%S}", e.kind.value, Text(e.message))
    parts.append(log)
    if record.state.analyses:
        parts.append(_judge_report(record))
    return parts


def _judge_report(record: DeploymentRecord) -> RenderableType:
    from rich import box
    from rich.table import Table
    from rich.text import Text

    table = Table(
        title=f"canary analysis (outcome: {record.state.outcome or '-'})",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
    )
    table.add_column("#", justify="right", no_wrap=True)
    table.add_column("metric", overflow="fold")
    table.add_column("result", no_wrap=True)
    table.add_column("baseline", justify="right", no_wrap=True)
    table.add_column("canary", justify="right", no_wrap=True)
    table.add_column("change", justify="right", no_wrap=True)
    table.add_column("p", justify="right", no_wrap=True)
    table.add_column("reason", overflow="fold", ratio=1)
    for i, analysis in enumerate(record.state.analyses, 1):
        score = analysis.get("score")
        table.add_row(
            str(i),
            Text("score", style="bold"),
            Text(str(analysis.get("outcome", "-")), style="bold"),
            "",
            f"{score:.1f}" if isinstance(score, int | float) else "-",
            "",
            "",
            Text(str(analysis.get("reason", ""))),
        )
        for result in analysis.get("results", ()):
            p, ratio = result.get("p_value"), result.get("ratio")
            failed = bool(result.get("failed"))
            table.add_row(
                "",
                Text(str(result.get("metric", "-"))),
                Text(str(result.get("classification", "-")), style="bold red" if failed else ""),
                _number(result.get("baseline_median")),
                _number(result.get("canary_median")),
                f"{(ratio - 1) * 100:+.0f}%" if isinstance(ratio, int | float) and
                math.isfinite(ratio) else "-",
                f"{p:.3f}" if isinstance(p, int | float) else "-",
                Text(str(result.get("reason", ""))),
            )  # fmt: skip
    return table


def _number(value: object) -> str:
    """A median as the report prints it: 3 significant digits, ``-`` when absent."""
    return f"{value:.3g}" if isinstance(value, int | float) else "-"


def _duration(seconds: float) -> str:
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds}s"
    minutes, secs = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


def drain(
    ctx: typer.Context,
    switch: Annotated[str, typer.Argument(metavar="on|off|status")] = "status",
    config: ConfigOption = Path("cloudrig.yaml"),
) -> None:
    """Make new deployments wait while running ones finish (on), let them go (off)."""
    if switch not in ("on", "off", "status"):
        raise typer.BadParameter("use on, off or status", param_hint="on|off|status")
    rig = connect(ctx, config)
    store = rig.deployer.store
    if switch != "status":
        store.set_draining(switch == "on")
    state = "on: new deployments wait" if store.draining() else "off"
    stdout().print(f"drain {state}; {len(rig.deployments())} deployment(s) in flight")


def schema(ctx: typer.Context) -> None:
    """Print the JSON Schema of deployment spec files (with every installed strategy)."""
    import json

    from cloudrig._cli._output import registry
    from cloudrig.engine._spec import deploy_spec_schema
    from cloudrig.strategies import BUILTIN

    strategies = dict(BUILTIN)
    for contributed in registry(ctx).manager.hook.cloudrig_strategies():
        for cls in contributed or ():
            strategies.setdefault(cls.name, cls)
    typer.echo(json.dumps(deploy_spec_schema(strategies), indent=2))


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="deployments")
    root.command("drain")(drain)
    root.command("schema")(schema)
