"""Gates, promote, reject, abort and the approval timeout as Temporal signals and timers; a start
retried with the same idempotency key; a delay that outlives its worker."""

from __future__ import annotations

import subprocess
import sys
import time
from typing import Any

import pytest

from cloudrig.engine import DeploymentConflict, EventKind
from cloudrig.strategies import Highlander, RedBlack

from .conftest import AMI_V1, AMI_V2, cluster_state, serving, spec, wait_for

pytestmark = pytest.mark.moto

GATED = RedBlack(approvals=("disable-old",))


def at_gate(deployment: Any) -> bool:
    return bool(deployment.progress()["status"] == "awaiting_approval")


@pytest.fixture
def v1(rig: Any, temporal: Any, temporal_worker: Any) -> None:
    """A worker, and v001 serving."""
    temporal_worker(rig)
    assert temporal.deploy(spec(AMI_V1), RedBlack()).wait()["status"] == "succeeded"


def test_a_gate_approved_by_a_signal_from_another_process(
    v1: None, moto_aws: Any, temporal: Any, settings: Any
) -> None:
    deployment = temporal.deploy(spec(AMI_V2), GATED, idempotency_key="gated")
    wait_for(lambda: at_gate(deployment), what="the deployment waits at its gate")
    assert serving(moto_aws) == ["shop-prod-v001", "shop-prod-v002"], "both serve at the gate"
    time.sleep(1.0)  # nothing moves while it waits
    assert serving(moto_aws) == ["shop-prod-v001", "shop-prod-v002"]
    approve = (
        "from cloudrig_temporal import TemporalDeployments, TemporalSettings\n"
        f"settings = TemporalSettings(address={settings.address!r}, "
        f"task_queue={settings.task_queue!r})\n"
        "TemporalDeployments(settings).get('gated').promote()\n"
    )
    subprocess.run([sys.executable, "-c", approve], check=True, timeout=60)
    assert deployment.wait()["status"] == "succeeded"
    assert serving(moto_aws) == ["shop-prod-v002"]
    kinds = [e.kind for e in deployment.events()]
    assert kinds.index(EventKind.APPROVAL_NEEDED) < kinds.index(EventKind.APPROVED)


def test_a_rejected_gate_rolls_back(v1: None, moto_aws: Any, temporal: Any) -> None:
    deployment = temporal.deploy(spec(AMI_V2), GATED)
    wait_for(lambda: at_gate(deployment), what="the deployment waits at its gate")
    deployment.promote(approve=False)
    final = deployment.wait()
    assert final["status"] == "rolled_back"
    assert "rejected at disable-old" in final["error"]
    state = cluster_state(moto_aws)
    assert serving(moto_aws) == ["shop-prod-v001"]
    assert state["shop-prod-v001"]["capacity"] == (2, 2, 4)
    assert state["shop-prod-v002"]["capacity"][1] == 0, "the new group is scaled down"


def test_an_unanswered_gate_rolls_back_after_the_approval_timeout(
    v1: None, moto_aws: Any, temporal: Any
) -> None:
    gated = RedBlack(approvals=("disable-old",), approval_timeout=1.0)
    final = temporal.deploy(spec(AMI_V2), gated).wait()
    assert final["status"] == "rolled_back"
    assert "no answer at disable-old" in final["error"]
    assert serving(moto_aws) == ["shop-prod-v001"]


def test_abort_at_a_gate_undoes_the_deployment(v1: None, moto_aws: Any, temporal: Any) -> None:
    deployment = temporal.deploy(spec(AMI_V2), GATED)
    wait_for(lambda: at_gate(deployment), what="the deployment waits at its gate")
    deployment.abort()
    assert deployment.wait()["status"] == "aborted"
    assert serving(moto_aws) == ["shop-prod-v001"]


def test_a_start_retried_with_the_same_key_runs_once(
    v1: None, moto_aws: Any, temporal: Any
) -> None:
    first = temporal.deploy(spec(AMI_V2), Highlander(), idempotency_key="once")
    again = temporal.deploy(spec(AMI_V2), Highlander(), idempotency_key="once")
    assert first.wait() == again.wait()
    after = temporal.deploy(spec(AMI_V2), Highlander(), idempotency_key="once")
    assert after.wait()["id"] == first.wait()["id"]
    assert list(cluster_state(moto_aws)) == ["shop-prod-v002"], "one new group, never a v003"
    started = [e for e in after.events() if e.kind is EventKind.STARTED]
    assert len(started) == 1
    with pytest.raises(DeploymentConflict, match="'once'"):
        temporal.deploy(spec(AMI_V1), Highlander(), idempotency_key="once")


def test_a_delay_outlives_a_worker_restart(
    rig: Any, moto_aws: Any, temporal: Any, temporal_worker: Any
) -> None:
    worker = temporal_worker(rig)
    assert temporal.deploy(spec(AMI_V1), RedBlack()).wait()["status"] == "succeeded"
    deployment = temporal.deploy(spec(AMI_V2), RedBlack(delay_before_disable=4.0))
    wait_for(
        lambda: deployment.progress()["step_name"] == "disable-old",
        what="the deployment waits out its delay",
    )
    worker.stop()  # no worker at all while the timer runs out
    time.sleep(4.5)
    assert serving(moto_aws) == ["shop-prod-v001", "shop-prod-v002"], "nothing moved meanwhile"
    restarted = time.monotonic()
    temporal_worker(rig)
    assert deployment.wait()["status"] == "succeeded"
    assert time.monotonic() - restarted < 4.0, "the new worker did not wait the delay again"
    assert serving(moto_aws) == ["shop-prod-v002"]
    disabled = [e for e in deployment.events() if e.kind is EventKind.DISABLED]
    began = deployment.events()[0].time
    assert disabled, "the old group left traffic"
    assert (disabled[0].time - began).total_seconds() >= 4.0


def test_a_canary_gated_before_its_analysis_goes_on_on_a_signal(
    v1: None, moto_aws: Any, temporal: Any
) -> None:
    from cloudrig.canary import MetricSpec
    from cloudrig.strategies import Canary

    canary = Canary(
        metrics=(MetricSpec(name="latency"),),
        intervals=1,
        interval=0.2,
        canary_capacity=1,
        approvals=("analysis-1",),
    )
    deployment = temporal.deploy(spec(AMI_V2), canary)
    wait_for(lambda: at_gate(deployment), what="the canary waits before its analysis")
    assert deployment.progress()["gate"] == "analysis-1"
    assert len(serving(moto_aws)) == 3, "production, baseline and canary share the traffic"
    deployment.promote()
    assert deployment.wait()["status"] == "succeeded"
    state = cluster_state(moto_aws)
    (serves,) = serving(moto_aws)
    assert state[serves]["image"] == AMI_V2
    assert state[serves]["capacity"] == (2, 2, 4), "the canary grew to the spec's capacity"
    kinds = [e.kind for e in deployment.events()]
    assert EventKind.ANALYSIS in kinds
