"""The canary on a real provider with a real Prometheus: AWS (moto's server) and ``cloudrig-prometheus``.

The scraped application reports latency per Auto Scaling group; the canary's group (``v002``;
its fresh baseline is ``v003``) is clearly slower. The canary fails on Prometheus's
samples, the deployment rolls back, and moto's own state shows the previous version serving alone.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from cloudrig.canary import MetricSpec
from cloudrig.engine import DeploymentStatus
from cloudrig.strategies import Canary, RedBlack
from support.prometheus import AppMetrics, PrometheusServer
from support.rig import RigFactory

pytestmark = pytest.mark.moto

REGION, ZONES = "us-east-1", ("us-east-1a", "us-east-1b")
AWS = RigFactory(
    provider="aws",
    account="aws-canary",
    settings={"regions": [REGION], "access_key_id": "env:CANARY_AWS_KEY",
              "secret_access_key": "env:CANARY_AWS_SECRET"},
)  # fmt: skip
# The canary takes the next version (v002) and its fresh baseline the one after (v003).
LATENCY = {"shop-prod-v001": 100.0, "shop-prod-v002": 180.0, "shop-prod-v003": 100.0}


def render() -> str:
    lines = ["# TYPE latency_seconds gauge"]
    lines += [f'latency_seconds{{server_group="{g}"}} {v}' for g, v in LATENCY.items()]
    return "\n".join(lines) + "\n"


def test_a_slower_canary_on_aws_fails_and_the_previous_version_serves_alone(
    moto_aws: Any,
    prometheus: PrometheusServer,
    app_metrics: AppMetrics,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CANARY_AWS_KEY", "testing")
    monkeypatch.setenv("CANARY_AWS_SECRET", "testing")
    app_metrics.render = render
    try:
        rig = AWS.connect(
            tmp_path,
            {"endpoint_url": moto_aws.url},
            metric_sources={"prom": {"source": "prometheus", "url": prometheus.url,
                                     "step_seconds": 1}},
        )  # fmt: skip
        AWS.upsert_web(rig, REGION)
        rig.deploy(AWS.spec(REGION, "ami-00000001", zones=ZONES), RedBlack()).raise_for_status()
        latency = MetricSpec(
            name="latency", source="prom", critical=True,
            query='latency_seconds{server_group="$server_group"}',
        )  # fmt: skip
        canary = Canary(metrics=(latency,), intervals=1, interval=4.0, canary_capacity=1)
        deployment = rig.deploy(AWS.spec(REGION, "ami-00000002", zones=ZONES), canary)
    finally:
        app_metrics.render = lambda: ""
    assert deployment.status is DeploymentStatus.FAILED
    assert deployment.record.state.names == {
        "canary": "shop-prod-v002",
        "baseline": "shop-prod-v003",
    }
    assert "latency" in (deployment.record.error or "")
    groups = moto_aws.client("autoscaling").describe_auto_scaling_groups()["AutoScalingGroups"]
    serving = {g["AutoScalingGroupName"] for g in groups if g["DesiredCapacity"] > 0
               and "AddToLoadBalancer" not in {p["ProcessName"] for p in g["SuspendedProcesses"]}}  # fmt: skip
    assert serving == {"shop-prod-v001"}
