"""A canary with the built-in Mann-Whitney judge (``pip install 'cloudrig[canary]'``), metrics from
a plugin, on the reference cloud in virtual time.

A metrics plugin is any object (or module) with a ``cloudrig_canary_metrics`` hook implementation;
a real one would query Prometheus, Datadog or CloudWatch for the canary's and the baseline's
server group over ``request.start``..``request.end``.
"""

from __future__ import annotations

import random
import sys
import tempfile
from pathlib import Path
from typing import Any

import cloudrig
from cloudrig import Capacity, LoadBalancerSpec, Moniker, ServerGroupSpec
from cloudrig.canary import MetricSamples, MetricSpec
from cloudrig.provider import hookimpl
from cloudrig.strategies import Canary, RedBlack
from cloudrig.testing import ManualClock


class FakeMetrics:
    """Latency samples; the canary's are ``slowdown`` times the baseline's."""

    def __init__(self, slowdown: float) -> None:
        self.slowdown = slowdown
        self.random = random.Random(1)

    @hookimpl
    def cloudrig_canary_metrics(self, request: Any) -> dict[str, MetricSamples]:
        base = [self.random.gauss(120, 10) for _ in range(50)]
        canary = [self.random.gauss(120, 10) * self.slowdown for _ in range(50)]
        return {"latency_ms": MetricSamples(canary=tuple(canary), baseline=tuple(base))}


def run(slowdown: float) -> str:
    metrics = FakeMetrics(slowdown)
    rig = cloudrig.connect(
        {
            "accounts": {
                "prod": {
                    "provider": "reference",
                    "regions": ["eu-1"],
                    "cloud": f"canary-{slowdown}",
                }
            },
            "deployments": {"path": str(Path(tempfile.mkdtemp()) / "state.sqlite3")},
        },
        plugins=["cloudrig.testing.reference", metrics],
        clock=ManualClock(),
    )
    rig.account("prod").upsert_load_balancer(
        LoadBalancerSpec(name="api", account="prod", region="eu-1")
    )

    def spec(artifact: str) -> ServerGroupSpec:
        return ServerGroupSpec(
            moniker=Moniker(app="api", stack="prod"),
            account="prod",
            region="eu-1",
            artifact=artifact,
            capacity=Capacity(min=4, desired=10, max=20),
            load_balancers=("api",),
        )

    rig.deploy(spec("api-1.0"), RedBlack()).raise_for_status()
    canary = Canary(
        traffic_percent=10,
        intervals=3,
        interval="5m",
        metrics=(
            MetricSpec(name="latency_ms", fails_on="increase", tolerance=0.05, critical=True),
        ),
        no_data="inconclusive",
    )
    deployment = rig.deploy(spec("api-1.1"), canary, on_event=print)
    return deployment.status.value


def main() -> int:
    good = run(slowdown=1.0)
    bad = run(slowdown=1.4)
    print(f"healthy canary: {good}; slow canary: {bad}")
    return 0 if (good, bad) == ("succeeded", "failed") else 1


if __name__ == "__main__":
    sys.exit(main())
