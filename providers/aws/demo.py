"""The AWS demo: a real red/black deployment through the ``cloudrig`` CLI, on an embedded moto server.

    .venv/bin/python providers/aws/demo.py

It starts moto in server mode in this process on a free loopback port (nothing to install or run
beside it), writes a ``cloudrig.yaml`` with one AWS account pointing at it (credentials as
``env:`` references, as in production) and two deployment specs of a sample app, which declare
its load balancer next to the server group (docs/spec-files.md), then runs, as a user would:

    cloudrig apply shop-v001.yaml     # creates the load balancer shop-web (ALB, target group, listener)
    cloudrig deploy shop-v001.yaml    # the first version, red/black (progress, then the cluster)
    cloudrig deploy shop-v002.yaml    # the second one takes the traffic; the first is disabled
    cloudrig cluster show aws-demo shop-prod

The AWS provider is found through its ``cloudrig`` entry point like any installed provider; every
request passes cloudrig's rate limiter. Files go to a temporary directory, removed at the end.
``make demo`` runs it in ``.venv-demo``, which holds only the core, this provider and moto.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console

ACCOUNT, REGION = "aws-demo", "us-east-1"
KEY_ENV, SECRET_ENV = "CLOUDRIG_DEMO_AWS_KEY_ID", "CLOUDRIG_DEMO_AWS_SECRET"
console = Console(highlight=False)
# The sample app's two releases (moto boots any image id).
VERSIONS = {"v001": "ami-0c0de001", "v002": "ami-0c0de002"}

CONFIG = """\
accounts:
  {account}:
    provider: aws
    regions: [{region}]
    endpoint_url: {endpoint}          # the embedded moto server
    account_id: "123456789012"
    access_key_id: env:{key_env}
    secret_access_key: env:{secret_env}
limits:
  read: {{rate: 20, burst: 5}}
  mutate: {{rate: 5, burst: 2}}
deployments:
  path: {state}
"""

SPEC = """\
account: {account}
region: {region}
zones: [us-east-1a, us-east-1b]
cluster: {{app: shop, stack: prod}}
artifact: {artifact}
capacity: {{min: 2, desired: 2, max: 4}}
load_balancers:
  - {{name: shop-web, port: 80, health_check: {{path: /health}}}}
settings: {{instance_type: t3.micro}}
strategy: {{name: red-black}}
"""


def cli(*args: str, config: Path) -> None:
    """Run the ``cloudrig`` CLI in a child process, as a user would; its output is the demo's."""
    command = [sys.executable, "-m", "cloudrig", *args, "--config", str(config)]
    console.print(f"\n[bold]$ cloudrig {' '.join(args)}[/]")
    subprocess.run(command, check=True, env={**os.environ, "COLUMNS": "110"})


def main() -> int:
    started = time.monotonic()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    from moto.server import ThreadedMotoServer

    # moto takes any credentials; they still travel as secret references, never literals.
    os.environ.setdefault(KEY_ENV, "demo")
    os.environ.setdefault(SECRET_ENV, "demo")
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        with tempfile.TemporaryDirectory(prefix="cloudrig-aws-demo-") as tmp:
            work = Path(tmp)
            config = work / "cloudrig.yaml"
            config.write_text(
                CONFIG.format(
                    account=ACCOUNT,
                    region=REGION,
                    endpoint=f"http://{host}:{port}",
                    key_env=KEY_ENV,
                    secret_env=SECRET_ENV,
                    state=work / "deployments.sqlite3",
                ),
                encoding="utf-8",
            )
            for version, ami in VERSIONS.items():
                (work / f"shop-{version}.yaml").write_text(
                    SPEC.format(account=ACCOUNT, region=REGION, artifact=ami), encoding="utf-8"
                )
            console.print(f"[bold]moto server[/] on http://{host}:{port} (embedded)")
            console.print(
                f"sample app [bold]shop[/]: v001 = {VERSIONS['v001']}, "
                f"v002 = {VERSIONS['v002']}; account {ACCOUNT}, region {REGION}"
            )
            cli("apply", str(work / "shop-v001.yaml"), config=config)
            cli("deploy", str(work / "shop-v001.yaml"), config=config)
            cli("deploy", str(work / "shop-v002.yaml"), config=config)
            cli("cluster", "show", ACCOUNT, "shop-prod", config=config)
    finally:
        server.stop()
    console.print(f"\n[dim]demo finished in {time.monotonic() - started:.1f}s[/]")
    return 0


if __name__ == "__main__":
    sys.exit(main())
