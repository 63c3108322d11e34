"""The same strategy classes on both engines: each strategy deploys v1 then v2 once through the
embedded engine and once through a Temporal worker, and the cluster moto holds afterwards is the
same (images, capacities, instances, target group membership, suspended processes)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from cloudrig.canary import MetricSpec
from cloudrig.strategies import Canary, Highlander, RedBlack, RollingRedBlack, Strategy

from .conftest import AMI_V1, AMI_V2, AWS, REGION, cluster_state, spec

pytestmark = pytest.mark.moto

STRATEGIES: dict[str, Strategy] = {
    "highlander": Highlander(),
    "red-black": RedBlack(max_remaining=2),
    "rolling-red-black": RollingRedBlack(steps=(50, 100)),
    "canary": Canary(
        metrics=(MetricSpec(name="latency"),),
        intervals=1,
        interval=0.2,
        traffic_percent=10,
        canary_capacity=1,
    ),
}


@pytest.mark.parametrize("name", list(STRATEGIES))
def test_each_strategy_leaves_the_same_cluster_on_both_engines(
    name: str,
    moto_aws: Any,
    aws_env: None,
    tmp_path: Path,
    rig: Any,
    temporal: Any,
    temporal_worker: Any,
) -> None:
    # The Temporal half first, on ``rig`` (its web load balancer made by the fixture); then moto
    # is reset and the embedded half runs on a rig of its own: a rig whose short read cache still
    # held the subnets of before the reset would ask for subnets moto no longer has.
    strategy = STRATEGIES[name]
    temporal_worker(rig)
    first = temporal.deploy(spec(AMI_V1), RedBlack(), idempotency_key=f"{name}-1").wait()
    second = temporal.deploy(spec(AMI_V2), strategy, idempotency_key=f"{name}-2").wait()
    assert (first["status"], second["status"]) == ("succeeded", "succeeded"), second
    on_temporal = cluster_state(moto_aws)

    moto_aws.reset()
    (tmp_path / "embedded").mkdir()
    embedded = AWS.connect(tmp_path / "embedded", {"endpoint_url": moto_aws.url})
    AWS.upsert_web(embedded, REGION)
    embedded.deploy(spec(AMI_V1), RedBlack()).raise_for_status()
    embedded.deploy(spec(AMI_V2), strategy).raise_for_status()
    on_embedded = cluster_state(moto_aws)
    embedded.close()
    assert on_temporal == on_embedded
    assert any(g["image"] == AMI_V2 and g["in_target_group"] for g in on_embedded.values())
