"""The per-cluster lease on Temporal (cloudrig_temporal/_lease.py): two deployments of one cluster
with different idempotency keys never run at once. The second waits for the first (a
``lease_wait`` event), then deploys on what the first left; past ``lease_wait`` it is refused
with the embedded engine's ``LeaseHeld`` and changes nothing. The lease lives in the workers'
state store, held by the deployment's workflow id."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from cloudrig.engine import EventKind, LeaseHeld
from cloudrig.strategies import RedBlack
from support.aws import Lifecycle

from .conftest import AMI_V1, AMI_V2, AWS, REGION, cluster_state, serving, spec, wait_for

pytestmark = pytest.mark.moto

AMI_V3 = "ami-00000003"


@pytest.fixture
def workers_rig(moto_aws: Any, aws_env: None, tmp_path: Path) -> Any:
    """The worker's rig: a short lease wait, its state store in the test's folder."""
    rig = AWS.connect(
        tmp_path, {"endpoint_url": moto_aws.url}, deployments={"lease_wait": 20, "lease_ttl": 10}
    )
    AWS.upsert_web(rig, REGION)
    yield rig
    rig.close()


def test_a_second_key_waits_for_the_cluster_then_deploys_on_what_the_first_left(
    workers_rig: Any, moto_aws: Any, temporal: Any, temporal_worker: Any
) -> None:
    temporal_worker(workers_rig)
    assert temporal.deploy(spec(AMI_V1), RedBlack()).wait()["status"] == "succeeded"
    elbv2 = moto_aws.client("elbv2")
    arn = elbv2.describe_target_groups(Names=["web"])["TargetGroups"][0]["TargetGroupArn"]
    moto_aws.target_health.lifecycle(arn, Lifecycle(initial_for=2.0))  # v002 takes 2 s
    first = temporal.deploy(spec(AMI_V2), RedBlack(), idempotency_key="lease-first")
    wait_for(lambda: first.progress()["step_name"] == "verify-new", what="v002 is being verified")
    second = temporal.deploy(spec(AMI_V3), RedBlack(), idempotency_key="lease-second")
    assert second.wait()["status"] == "succeeded"
    assert first.wait()["status"] == "succeeded"
    waited = [e for e in second.events() if e.kind is EventKind.LEASE_WAIT]
    assert waited, "the second deployment waited for the cluster"
    assert "lease-first" in waited[0].message, "named the deployment holding it"
    started = next(e for e in second.events() if e.kind is EventKind.STARTED)
    finished = first.events()[-1]
    assert started.time >= finished.time, "the second started after the first finished"
    state = cluster_state(moto_aws)
    assert serving(moto_aws) == ["shop-prod-v003"]
    assert state["shop-prod-v003"]["image"] == AMI_V3
    assert state["shop-prod-v002"]["image"] == AMI_V2, "v003 followed v002, once"
    assert sorted(state) == ["shop-prod-v001", "shop-prod-v002", "shop-prod-v003"]


def test_past_the_lease_wait_a_second_key_is_refused_as_on_the_embedded_engine(
    moto_aws: Any,
    aws_env: None,
    tmp_path: Path,
    settings: Any,
    temporal: Any,
    temporal_worker: Any,
) -> None:
    from cloudrig_temporal.engine import TemporalEngine

    impatient = AWS.connect(
        tmp_path, {"endpoint_url": moto_aws.url}, deployments={"lease_wait": 1, "lease_ttl": 10}
    )
    AWS.upsert_web(impatient, REGION)
    temporal_worker(impatient)
    assert temporal.deploy(spec(AMI_V1), RedBlack()).wait()["status"] == "succeeded"
    gated = temporal.deploy(spec(AMI_V2), RedBlack(approvals=("disable-old",)))
    wait_for(lambda: gated.progress()["status"] == "awaiting_approval", what="at its gate")
    before = cluster_state(moto_aws)
    engine = TemporalEngine(settings, poll=0.2)  # what rig.deploy runs with the plugin
    with pytest.raises(LeaseHeld) as refused:
        engine.cloudrig_deploy(impatient, spec(AMI_V3), RedBlack(), None, False, "lease-refused")
    assert refused.value.holder == gated.key, "names the deployment holding the cluster"
    assert cluster_state(moto_aws) == before, "the refused deployment changed nothing"
    gated.promote()
    assert gated.wait()["status"] == "succeeded", "the holder goes on"
    assert serving(moto_aws) == ["shop-prod-v002"]
    impatient.close()
