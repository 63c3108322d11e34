"""A demo state for ``cloudrig serve``: an embedded moto server with the sample app ``shop`` deployed
twice, the second deployment waiting at an approval gate, kept running until Ctrl-C.

    .venv/bin/python integrations/web/demo.py     # terminal 1: writes /tmp/cloudrig-web-demo/
    .venv/bin/cloudrig serve -c /tmp/cloudrig-web-demo/cloudrig.yaml \
        --token alice=file:/tmp/cloudrig-web-demo/web-token

Then open http://127.0.0.1:8000/, sign in with the token in ``/tmp/cloudrig-web-demo/web-token``,
and approve the gate (or reject it) on the deployment's page. Credentials are secret references to
files of the demo folder (moto takes any); the state store ``deployments.sqlite3`` there is shared
by both processes. Run it from the repository's root, in the environment ``make test`` builds.
"""

from __future__ import annotations

import argparse
import logging
import secrets
import sys
import tempfile
import threading
from pathlib import Path

ACCOUNT, REGION, ZONES = "aws-demo", "us-east-1", ("us-east-1a", "us-east-1b")
CONFIG = """\
accounts:
  {account}:
    provider: aws
    regions: [{region}]
    endpoint_url: {endpoint}          # the embedded moto server of integrations/web/demo.py
    account_id: "123456789012"
    access_key_id: file:{folder}/aws-key-id
    secret_access_key: file:{folder}/aws-secret
deployments:
  path: {folder}/deployments.sqlite3
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    default = Path(tempfile.gettempdir()) / "cloudrig-web-demo"
    parser.add_argument("--dir", type=Path, default=default, help=f"demo folder ({default})")
    folder = parser.parse_args().dir.resolve()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    from moto.server import ThreadedMotoServer

    import cloudrig
    from cloudrig import Capacity, LoadBalancerSpec, Moniker, ServerGroupSpec
    from cloudrig.strategies import RedBlack

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    folder.mkdir(parents=True, exist_ok=True)
    for state in folder.glob("deployments.sqlite3*"):  # a fresh moto: a fresh store
        state.unlink()
    for name in ("aws-key-id", "aws-secret"):
        (folder / name).write_text("demo\n", encoding="utf-8")
    token = folder / "web-token"
    if not token.exists():
        token.write_text(secrets.token_urlsafe(24) + "\n", encoding="utf-8")
        token.chmod(0o600)
    config = folder / "cloudrig.yaml"
    config.write_text(
        CONFIG.format(account=ACCOUNT, region=REGION, endpoint=f"http://{host}:{port}",
                      folder=folder),
        encoding="utf-8",
    )  # fmt: skip

    def spec(artifact: str) -> ServerGroupSpec:
        return ServerGroupSpec(
            moniker=Moniker(app="shop", stack="prod"),
            account=ACCOUNT,
            region=REGION,
            zones=ZONES,
            artifact=artifact,
            capacity=Capacity(min=2, desired=2, max=4),
            load_balancers=("shop-web",),
            settings={"instance_type": "t3.micro"},
        )

    with cloudrig.connect(config) as rig:
        rig.account(ACCOUNT).upsert_load_balancer(
            LoadBalancerSpec(name="shop-web", account=ACCOUNT, region=REGION, port=80)
        )
        print(f"moto server on http://{host}:{port}; state in {folder}")
        print(rig.deploy(spec("ami-0c0de001"), RedBlack()).raise_for_status())
        gated = RedBlack(approvals=("disable-old",), delay_before_disable=5)
        print(rig.deploy(spec("ami-0c0de002"), gated).raise_for_status())
    print(
        "\nshop-prod-v002 waits for approval. In another terminal:\n\n"
        f"    .venv/bin/cloudrig serve -c {config} --token alice=file:{token}\n\n"
        "then open http://127.0.0.1:8000/ and sign in with the token in "
        f"{token}. Ctrl-C here stops moto."
    )
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
