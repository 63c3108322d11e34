"""`make demo`: a red/black deployment by hand, on the example cloud, through cloudrig's public API.

It starts the example cloud in this process on a free loopback port with a freshly generated
token, hands the token to cloudrig the way a real configuration does (an ``env:`` reference, never
a literal), then deploys v001 of an app, waits for it to be healthy, deploys v002, waits, takes
v001 out of traffic, and prints the cluster. The provider is the template in
``examples/provider-template``, found through its ``cloudrig`` entry point like any installed one.
"""

from __future__ import annotations

import os
import secrets
import sys
import time

from example_cloud import ExampleCloud, Token
from rich.console import Console
from rich.table import Table

import cloudrig
from cloudrig import (
    Account,
    Capacity,
    Cluster,
    IngressRule,
    LoadBalancerSpec,
    Moniker,
    SecurityGroupSpec,
    ServerGroup,
    ServerGroupSpec,
)

ACCOUNT, REGION = "example-demo", "eu-west"
TOKEN_ENV = "CLOUDRIG_DEMO_TOKEN"
BOOT_SECONDS = 1.5
console = Console(highlight=False)


def wait_healthy(account: Account, name: str, timeout: float = 30.0) -> ServerGroup:
    """Poll until every desired instance is up (the core's waiting strategies replace this)."""
    deadline = time.monotonic() + timeout
    with console.status(f"waiting for {name} to be healthy"):
        while True:
            group = account.server_groups.get(REGION, name)
            if group.healthy >= group.capacity.desired:
                return group
            if time.monotonic() > deadline:
                raise TimeoutError(f"{name}: {group.healthy}/{group.capacity.desired} up")
            time.sleep(0.25)


def cluster_table(cluster: Cluster) -> Table:
    table = Table(title=f"cluster {cluster.name} in account {cluster.account}")
    for column in ("server group", "state", "capacity", "instances up/total", "created"):
        table.add_column(column)
    for g in cluster.server_groups:
        table.add_row(
            g.name,
            "[green]enabled[/]" if g.enabled else "[yellow]disabled[/]",
            f"{g.capacity.min}/{g.capacity.desired}/{g.capacity.max}",
            f"{g.counts.up}/{g.counts.total}"
            + (f" ({g.counts.out_of_service} out of service)" if g.counts.out_of_service else ""),
            g.created_at.strftime("%H:%M:%S") if g.created_at else "-",
        )
    return table


def main() -> int:
    token = secrets.token_urlsafe(32)
    os.environ[TOKEN_ENV] = token  # what a secret manager or CI would do
    with ExampleCloud([Token(token, "demo")], boot_delay=BOOT_SECONDS) as cloud:
        config = {
            "accounts": {
                ACCOUNT: {
                    "provider": "example",
                    "regions": [REGION],
                    "endpoint": cloud.url,
                    "token": f"env:{TOKEN_ENV}",
                }
            }
        }
        rig = cloudrig.connect(config)
        account = rig.account(ACCOUNT)
        console.print(f"[bold]example cloud[/] at {cloud.url} — {account.check().identity}")

        account.upsert_security_group(
            SecurityGroupSpec(
                name="shop-web", account=ACCOUNT, region=REGION,
                ingress=(IngressRule(from_port=443, to_port=443, cidrs=("0.0.0.0/0",)),),
            )
        )  # fmt: skip
        account.upsert_load_balancer(
            LoadBalancerSpec(name="shop-demo", account=ACCOUNT, region=REGION, port=443)
        )
        spec = ServerGroupSpec(
            moniker=Moniker(app="shop", stack="demo"),
            account=ACCOUNT,
            region=REGION,
            artifact="shop-image-1.0",
            capacity=Capacity(min=2, desired=2, max=4),
            load_balancers=("shop-demo",),
            security_groups=("shop-web",),
            settings={"instance_type": "small"},
        )

        old = account.create_server_group(spec, deployment_id="demo-1")
        console.print(f"created {old.name}")
        wait_healthy(account, old.name)
        console.print(f"{old.name} is healthy")

        new = account.create_server_group(
            spec.model_copy(update={"artifact": "shop-image-1.1"}), deployment_id="demo-2"
        )
        console.print(f"created {new.name}")
        wait_healthy(account, new.name)
        console.print(f"{new.name} is healthy")

        account.server_groups.disable(REGION, old.name)
        console.print(f"disabled {old.name}: out of traffic, instances kept warm")
        console.print(cluster_table(rig.cluster(ACCOUNT, spec.moniker)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
