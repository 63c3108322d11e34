"""Red/black, then a rollback, as an orchestrator would write it — on the in-memory reference cloud,
in virtual time, so it runs anywhere in a second.

Swap the configuration for a real account (``provider: aws`` ...) and drop the ``clock``: the
deployment code stays the same.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import cloudrig
from cloudrig import Capacity, LoadBalancerSpec, Moniker, ServerGroupSpec
from cloudrig.strategies import RedBlack
from cloudrig.testing import ManualClock


def main() -> int:
    state = Path(tempfile.mkdtemp()) / "deployments.sqlite3"
    rig = cloudrig.connect(
        {
            "accounts": {"prod": {"provider": "reference", "regions": ["eu-1"], "cloud": "demo"}},
            "deployments": {"path": str(state)},
        },
        plugins=["cloudrig.testing.reference"],
        clock=ManualClock(),  # virtual time: a 30-second boot costs nothing
    )
    rig.account("prod").upsert_load_balancer(
        LoadBalancerSpec(name="checkout-prod", account="prod", region="eu-1")
    )

    def spec(artifact: str) -> ServerGroupSpec:
        return ServerGroupSpec(
            moniker=Moniker(app="checkout", stack="prod"),
            account="prod",
            region="eu-1",
            artifact=artifact,
            capacity=Capacity(min=2, desired=3, max=6),
            load_balancers=("checkout-prod",),
        )

    strategy = RedBlack(max_remaining=2, scale_down_after="10m")
    for artifact in ("img-2026.1", "img-2026.2"):
        deployment = rig.deploy(spec(artifact), strategy=strategy)
        for event in deployment.events():  # or on_event=callback
            print(event)
        deployment.raise_for_status()

    cluster = rig.cluster("prod", "checkout-prod")
    print([(g.name, "enabled" if g.enabled else "disabled") for g in cluster.server_groups])

    back = rig.rollback("prod", "checkout-prod", on_event=print)
    back.raise_for_status()
    serving = [g.name for g in rig.cluster("prod", "checkout-prod").server_groups if g.enabled]
    print("serving after rollback:", serving)
    return 0 if serving == ["checkout-prod-v001"] else 1


if __name__ == "__main__":
    sys.exit(main())
