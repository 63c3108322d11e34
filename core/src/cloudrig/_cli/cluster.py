"""``cloudrig cluster show``: a cluster's server groups with state, capacity, health and traffic.

The table stays readable at 80 columns: the short columns (state, capacity, healthy, traffic) are
never cut, the long ones (names, artifacts) fold onto a second line instead of losing their end,
and the region is in the title unless the cluster spans several. A cluster with no server group
is an error naming it: an empty table would read as "deployed, nothing to show".
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from cloudrig._cli._common import ConfigOption, JsonOption, connect
from cloudrig._cli._output import HelpGroup, fail, stdout

if TYPE_CHECKING:
    from rich.table import Table

    from cloudrig._model._resources import Cluster
    from cloudrig._rig import Rig

app = typer.Typer(
    cls=HelpGroup,
    help="Look at clusters.",
    no_args_is_help=True,
    rich_markup_mode=None,  # see HelpGroup
)


@app.command("show")
def show(
    ctx: typer.Context,
    account: Annotated[str, typer.Argument(metavar="ACCOUNT")],
    cluster: Annotated[str, typer.Argument(metavar="CLUSTER")],
    config: ConfigOption = Path("cloudrig.yaml"),
    region: Annotated[str | None, typer.Option("--region", metavar="REGION")] = None,
    as_json: JsonOption = False,
) -> None:
    """Server groups of CLUSTER: state, capacity, health and traffic."""
    rig = connect(ctx, config)
    found = rig.cluster(account, cluster, region)
    if not found.server_groups:
        where = f"region {region} of account {account}" if region else f"account {account}"
        fail(f"cluster {cluster} not found in {where} (no server group)")
    if as_json:
        import json

        typer.echo(json.dumps(cluster_data(found, rig), indent=2))
        return
    stdout().print(cluster_table(found, rig))


def cluster_data(cluster: Cluster, rig: Rig) -> dict[str, Any]:
    traffic = traffic_shares(cluster, rig)
    return {
        "cluster": cluster.name,
        "account": cluster.account,
        "server_groups": [
            {
                "name": g.name,
                "region": g.region,
                "enabled": g.enabled,
                "capacity": g.capacity.model_dump(mode="json"),
                "instances": {"up": g.counts.up, "total": g.counts.total},
                "traffic": traffic.get(g.name, 0),
                "artifact": g.artifact,
                "deployment_id": g.deployment_id,
                "created_at": g.created_at.isoformat() if g.created_at else None,
            }
            for g in cluster.server_groups
        ],
    }


def cluster_table(cluster: Cluster, rig: Rig) -> Table:
    from rich import box
    from rich.table import Table
    from rich.text import Text

    regions = sorted({g.region for g in cluster.server_groups})
    where = f"{cluster.account}/{regions[0]}" if len(regions) == 1 else cluster.account
    table = Table(
        title=f"cluster {cluster.name} in {where}",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
    )
    table.add_column("server group", overflow="fold", ratio=3)
    if len(regions) > 1:
        table.add_column("region", overflow="fold", ratio=1)
    for column in ("state", "min/des/max", "healthy", "traffic"):
        table.add_column(column, no_wrap=True, justify="left" if column == "state" else "right")
    table.add_column("artifact", overflow="fold", ratio=2)
    traffic = traffic_shares(cluster, rig)
    for g in cluster.server_groups:
        row: list[Any] = [Text(g.name)]
        if len(regions) > 1:
            row.append(Text(g.region))
        row += [
            Text("enabled", "green") if g.enabled else Text("disabled", "yellow"),
            Text(f"{g.capacity.min}/{g.capacity.desired}/{g.capacity.max}"),
            Text(f"{g.counts.up}/{g.counts.total}"),
            Text(f"{traffic.get(g.name, 0)}%"),
            Text(g.artifact or "-"),
        ]
        table.add_row(*row)
    return table


def traffic_shares(cluster: Cluster, rig: Rig) -> dict[str, int]:
    """Each group's percent of its region's traffic, as the cloud reports it."""
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
