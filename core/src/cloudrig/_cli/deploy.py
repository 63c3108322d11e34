"""Deployment commands: ``deploy``, ``promote``, ``rollback``, ``cluster show``, ``deployments``,
``drain`` and ``schema``.

They use the library exactly as an orchestrator would (``cloudrig.connect`` then ``rig.deploy``...),
with the configuration from ``--config`` (or ``CLOUDRIG_CONFIG``, else ``./cloudrig.yaml``).
``deploy --dry-run`` only reads: it prints the plan and changes nothing, not even the state store.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from cloudrig._cli._output import HelpGroup, stdout

if TYPE_CHECKING:
    from rich.table import Table

    from cloudrig._model._resources import Cluster
    from cloudrig._rig import Rig
    from cloudrig.engine import Deployment, DeploymentEvent

ConfigOption = Annotated[
    Path,
    typer.Option(
        "--config",
        "-c",
        metavar="FILE",
        envvar="CLOUDRIG_CONFIG",
        help="The configuration (accounts, limits, deployments).",
    ),
]
_STYLES = {
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


def _rig(ctx: typer.Context, config: Path) -> Rig:
    import cloudrig

    return cloudrig.connect(config, plugins=list(ctx.find_root().obj or []))


def _print_event(event: DeploymentEvent) -> None:
    from rich.text import Text

    line = Text(f"{event.time:%H:%M:%S} ")
    line.append(f"{event.kind.value:<16}", style=_STYLES.get(event.kind.value, "bold"))
    line.append(event.message)
    stdout().print(line, soft_wrap=True)


@contextmanager
def _progress() -> Iterator[Callable[[DeploymentEvent], None]]:
    """Events as lines, under a spinner naming the step in progress (on a terminal)."""
    with stdout().status("starting", spinner="dots") as status:

        def on_event(event: DeploymentEvent) -> None:
            _print_event(event)
            status.update(f"{event.kind.value.replace('_', ' ')}: {event.message}")

        yield on_event


def _finish(rig: Rig, deployment: Deployment) -> None:
    from rich.text import Text

    record = deployment.record
    console = stdout()
    if record is not None:
        console.print(
            cluster_table(
                rig.cluster(record.account, record.moniker, record.region), rig, record.region
            )
        )
    status = deployment.status.value
    ok = status in ("succeeded", "awaiting_approval")
    console.print(
        Text(f"deployment {deployment.id}: {status}", style="bold green" if ok else "bold red")
    )
    if not ok:
        raise typer.Exit(1)


def deploy(
    ctx: typer.Context,
    spec: Annotated[Path, typer.Argument(metavar="SPEC", help="The deployment spec (YAML).")],
    config: ConfigOption = Path("cloudrig.yaml"),
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print the plan; change nothing.")
    ] = False,
    idempotency_key: Annotated[
        str | None,
        typer.Option(
            "--idempotency-key",
            metavar="KEY",
            help="A key of the caller's (a pipeline run, a workflow step): a deploy with a key "
            "already used answers with that deployment instead of starting another.",
        ),
    ] = None,
) -> None:
    """Deploy SPEC with its strategy (an unfinished deployment of it resumes)."""
    from rich.text import Text

    from cloudrig.engine._spec import load_deploy_spec

    rig = _rig(ctx, config)
    group_spec, strategy = load_deploy_spec(spec, rig.deployer.strategies())
    console = stdout()
    if dry_run:
        steps = rig.deployer.plan(group_spec, strategy)
        console.print(
            Text(
                f"plan: {strategy.name} of {group_spec.moniker.cluster} "
                f"({group_spec.artifact}) in {group_spec.account}/{group_spec.region}",
                style="bold",
            )
        )
        for i, (name, description, gated) in enumerate(steps, 1):
            gate = " [waits for approval]" if gated else ""
            console.print(Text(f"  {i}. {name}: {description}{gate}"))
        console.print(Text("dry run: nothing was changed", style="dim"))
        return
    with _progress() as on_event:
        deployment = rig.deploy(
            group_spec, strategy, on_event=on_event, idempotency_key=idempotency_key
        )
    _finish(rig, deployment)


def promote(
    ctx: typer.Context,
    deployment_id: Annotated[str, typer.Argument(metavar="DEPLOYMENT")],
    config: ConfigOption = Path("cloudrig.yaml"),
    reject: Annotated[bool, typer.Option("--reject", help="Say no: roll it back.")] = False,
) -> None:
    """Approve (or --reject) the gate a deployment waits at, and continue it."""
    rig = _rig(ctx, config)
    with _progress() as on_event:
        deployment = rig.promote(deployment_id, approve=not reject, on_event=on_event)
    _finish(rig, deployment)


def rollback(
    ctx: typer.Context,
    account: Annotated[str, typer.Argument(metavar="ACCOUNT")],
    cluster: Annotated[str, typer.Argument(metavar="CLUSTER")],
    config: ConfigOption = Path("cloudrig.yaml"),
    region: Annotated[str | None, typer.Option("--region")] = None,
) -> None:
    """Roll CLUSTER back to the group that served before its last deployment."""
    rig = _rig(ctx, config)
    with _progress() as on_event:
        deployment = rig.rollback(account, cluster, region, on_event=on_event)
    _finish(rig, deployment)


cluster_app = typer.Typer(
    cls=HelpGroup,
    help="Look at clusters.",
    no_args_is_help=True,
    rich_markup_mode=None,  # see HelpGroup
)


@cluster_app.command("show")
def show(
    ctx: typer.Context,
    account: Annotated[str, typer.Argument(metavar="ACCOUNT")],
    cluster: Annotated[str, typer.Argument(metavar="CLUSTER")],
    config: ConfigOption = Path("cloudrig.yaml"),
    region: Annotated[str | None, typer.Option("--region")] = None,
) -> None:
    """Server groups of CLUSTER: state, capacity, health and traffic."""
    rig = _rig(ctx, config)
    stdout().print(cluster_table(rig.cluster(account, cluster, region), rig, region))


def cluster_table(cluster: Cluster, rig: Rig, region: str | None) -> Table:
    from rich.table import Table

    table = Table(title=f"cluster {cluster.name} in account {cluster.account}")
    table.add_column("server group", no_wrap=True)
    for column in ("region", "state", "min/desired/max", "up/total", "traffic", "artifact"):
        table.add_column(column)
    traffic = _traffic(cluster, rig)
    for g in cluster.server_groups:
        table.add_row(
            g.name,
            g.region,
            "[green]enabled[/]" if g.enabled else "[yellow]disabled[/]",
            f"{g.capacity.min}/{g.capacity.desired}/{g.capacity.max}",
            f"{g.counts.up}/{g.counts.total}",
            f"{traffic.get(g.name, 0)}%",
            g.artifact or "-",
        )
    return table


def _traffic(cluster: Cluster, rig: Rig) -> dict[str, int]:
    from cloudrig.engine._run import even_shares

    account = rig.account(cluster.account)
    shares: dict[str, int] = {}
    for region in sorted({g.region for g in cluster.server_groups}):
        enabled = [g.name for g in cluster.server_groups if g.region == region and g.enabled]
        if enabled and account.capabilities.splits_traffic:
            shares.update(account.traffic.get_weights(region, enabled).weights)
        else:
            shares.update(even_shares(enabled))
    return shares


def deployments(
    ctx: typer.Context,
    config: ConfigOption = Path("cloudrig.yaml"),
    all_: Annotated[bool, typer.Option("--all", help="Include finished deployments.")] = False,
) -> None:
    """Every deployment in flight (from the state store)."""
    from rich.table import Table

    rig = _rig(ctx, config)
    records = rig.deployments(unfinished=None if all_ else True)
    table = Table(title="deployments" + ("" if all_ else " in flight"))
    table.add_column("id", no_wrap=True)
    for column in ("account/region", "cluster", "strategy", "status", "step", "updated"):
        table.add_column(column)
    for r in records:
        table.add_row(
            r.id,
            f"{r.account}/{r.region}",
            r.cluster,
            r.strategy,
            r.status.value,
            f"{r.step} {r.step_name}".strip(),
            f"{r.updated_at:%Y-%m-%d %H:%M:%S}",
        )
    stdout().print(table)
    if rig.deployer.store.draining():
        stdout().print("[bold yellow]draining: new deployments wait (cloudrig drain off)[/]")


def drain(
    ctx: typer.Context,
    switch: Annotated[str, typer.Argument(metavar="on|off|status")] = "status",
    config: ConfigOption = Path("cloudrig.yaml"),
) -> None:
    """Make new deployments wait while running ones finish (on), let them go (off)."""
    if switch not in ("on", "off", "status"):
        raise typer.BadParameter("use on, off or status", param_hint="on|off|status")
    rig = _rig(ctx, config)
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


def register(app: typer.Typer) -> None:
    app.command("deploy")(deploy)
    app.command("promote")(promote)
    app.command("rollback")(rollback)
    app.add_typer(cluster_app, name="cluster")
    app.command("deployments")(deployments)
    app.command("drain")(drain)
    app.command("schema")(schema)
