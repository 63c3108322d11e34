"""Commands that run a deployment: ``deploy``, ``resume``, ``promote``, ``rollback``, ``abort``.

They use the library exactly as an orchestrator would (``cloudrig.connect`` then ``rig.deploy``...),
with the configuration from ``--config`` (or ``CLOUDRIG_CONFIG``, else ``./cloudrig.yaml``). Each
shows the deployment live (``_live``), ends with the cluster's table and one status line, and exits
with the code of its outcome (``_exit``). Ctrl-C prints the deployment's id and the command that
resumes it. ``deploy --dry-run`` only reads: it prints the changes (``_dryrun``) and writes
nothing, not even to the state store. What removes capacity asks first (``_confirm``).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from cloudrig._cli._common import ConfigOption, YesOption, connect, plugins
from cloudrig._cli._confirm import confirm
from cloudrig._cli._exit import for_status
from cloudrig._cli._live import command, deployment_display
from cloudrig._cli._output import stdout

if TYPE_CHECKING:
    from cloudrig._rig import Rig
    from cloudrig.engine import Deployment

DeploymentArgument = Annotated[
    str, typer.Argument(metavar="ID", help="The deployment's id (cloudrig deployments lists them).")
]


def deploy(
    ctx: typer.Context,
    spec: Annotated[Path, typer.Argument(metavar="SPEC", help="The deployment spec (YAML).")],
    config: ConfigOption = Path("cloudrig.yaml"),
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run",
            help="Check every reference and print the changes it would make; change nothing.",
        ),
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
    """Deploy SPEC with its strategy (an unfinished deployment of it resumes), after creating
    or updating the load balancers and security groups it declares."""
    from cloudrig._cli._dryrun import resource_line

    rig = connect(ctx, config)
    spec_file = rig.load_spec(spec)
    console = stdout()
    if dry_run:
        from cloudrig._cli._dryrun import dry_run as preview

        preview(rig, spec_file, console)
        return
    with deployment_display(console, config, plugins(ctx)) as on_event:
        for change in rig.apply(spec_file).changed:
            console.print(resource_line(change, done=True))
        deployment = rig.deploy(
            spec_file.server_group,
            spec_file.strategy,
            on_event=on_event,
            idempotency_key=idempotency_key,
        )
    _finish(ctx, rig, deployment, config)


def resume(
    ctx: typer.Context,
    deployment_id: DeploymentArgument,
    config: ConfigOption = Path("cloudrig.yaml"),
    migrate: Annotated[
        bool,
        typer.Option(
            "--migrate",
            help="Continue with today's plan when the strategy or provider changed since it "
            "started (at the first step the old plan had not done).",
        ),
    ] = False,
) -> None:
    """Continue an interrupted deployment from the step its record reached."""
    rig = connect(ctx, config)
    with deployment_display(stdout(), config, plugins(ctx), deployment_id) as on_event:
        deployment = rig.resume(deployment_id, on_event=on_event, migrate=migrate)
    _finish(ctx, rig, deployment, config)


def promote(
    ctx: typer.Context,
    deployment_id: DeploymentArgument,
    config: ConfigOption = Path("cloudrig.yaml"),
    reject: Annotated[bool, typer.Option("--reject", help="Say no: roll it back.")] = False,
) -> None:
    """Approve (or --reject) the gate a deployment waits at, and continue it."""
    rig = connect(ctx, config)
    with deployment_display(stdout(), config, plugins(ctx), deployment_id) as on_event:
        deployment = rig.promote(deployment_id, approve=not reject, on_event=on_event)
    _finish(ctx, rig, deployment, config, rollback_asked=reject)


def rollback(
    ctx: typer.Context,
    account: Annotated[str, typer.Argument(metavar="ACCOUNT")],
    cluster: Annotated[str, typer.Argument(metavar="CLUSTER")],
    config: ConfigOption = Path("cloudrig.yaml"),
    region: Annotated[str | None, typer.Option("--region", metavar="REGION")] = None,
    yes: YesOption = False,
) -> None:
    """Roll CLUSTER back to the group that served before its last deployment."""
    rig = connect(ctx, config)
    confirm(
        f"roll back cluster {cluster} of account {account}",
        "Its serving group leaves traffic for the group that served before it (a deployment "
        "in flight is undone instead).",
        yes=yes,
    )
    with deployment_display(stdout(), config, plugins(ctx)) as on_event:
        deployment = rig.rollback(account, cluster, region, on_event=on_event)
    _finish(ctx, rig, deployment, config, rollback_asked=True)


def abort(
    ctx: typer.Context,
    deployment_id: DeploymentArgument,
    config: ConfigOption = Path("cloudrig.yaml"),
    yes: YesOption = False,
) -> None:
    """Undo what an unfinished deployment did, then mark it aborted."""
    rig = connect(ctx, config)
    record = rig.deployment(deployment_id)
    created = ", ".join(record.state.names.values()) or "none"
    confirm(
        f"abort deployment {deployment_id} of {record.cluster}",
        f"It is {record.status.value} at {record.step_name or 'its start'}: the groups it "
        f"creates ({created}) leave traffic and scale to zero, the others get back their "
        "capacity and traffic.",
        yes=yes,
    )
    with deployment_display(stdout(), config, plugins(ctx), deployment_id) as on_event:
        deployment = rig.abort(deployment_id, on_event=on_event)
    _finish(ctx, rig, deployment, config, rollback_asked=True)


def _finish(
    ctx: typer.Context,
    rig: Rig,
    deployment: Deployment,
    config: Path,
    *,
    rollback_asked: bool = False,
) -> None:
    """The cluster as it is now, one status line, and the exit code of the outcome."""
    from rich.text import Text

    from cloudrig._cli.cluster import cluster_table

    record = deployment.record
    console = stdout()
    if record is not None:
        cluster = rig.cluster(record.account, record.moniker, record.region)
        if cluster.server_groups:
            console.print(cluster_table(cluster, rig))
    status = deployment.status.value
    code = for_status(status, rollback_asked=rollback_asked)
    style = "bold green" if code == 0 else "bold yellow" if code in (3, 4) else "bold red"
    line = Text(f"deployment {deployment.id}: {status}", style=style)
    if deployment.error and code != 0:
        line.append(f" ({deployment.error})", style="")
    console.print(line, soft_wrap=True)
    if status == "awaiting_approval" and deployment.id is not None:
        approve = command("promote", deployment.id, config, plugins(ctx))
        console.print(Text(f"  approve: {approve}  (or --reject)"), soft_wrap=True)
    elif status == "rolling_back" and deployment.id is not None:
        retry = command("resume", deployment.id, config, plugins(ctx))
        console.print(Text(f"  the restore is incomplete; retry it: {retry}"), soft_wrap=True)
    raise typer.Exit(code)


def register(app: typer.Typer) -> None:
    app.command("deploy")(deploy)
    app.command("resume")(resume)
    app.command("promote")(promote)
    app.command("rollback")(rollback)
    app.command("abort")(abort)
