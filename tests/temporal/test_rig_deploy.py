"""``rig.deploy`` sent to Temporal by configuration (the ``TemporalEngine`` plugin): the same call,
the same ``Deployment`` handle (events, status, record), run by a worker."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import cloudrig
from cloudrig.engine import DeploymentStatus, EventKind
from cloudrig.strategies import RedBlack
from support.rig import PassingMetrics, limits

from .conftest import ACCOUNT, AMI_V1, AMI_V2, AWS, serving, spec, wait_for

pytestmark = pytest.mark.moto


@pytest.fixture
def routed_rig(moto_aws: Any, aws_env: None, settings: Any, tmp_path: Path) -> Any:
    from cloudrig_temporal.engine import TemporalEngine

    account = {"provider": "aws", **AWS.settings, "endpoint_url": moto_aws.url}
    rig = cloudrig.connect(
        {"accounts": {ACCOUNT: account}, "limits": limits()},
        plugins=[PassingMetrics(), TemporalEngine(settings, poll=0.2)],
    )
    yield rig
    rig.close()


def test_rig_deploy_runs_on_a_worker_with_the_same_handle(
    routed_rig: Any, rig: Any, moto_aws: Any, temporal_worker: Any, tmp_path: Path
) -> None:
    temporal_worker(rig)
    seen: list[EventKind] = []
    first = routed_rig.deploy(spec(AMI_V1), RedBlack(), on_event=lambda e: seen.append(e.kind))
    assert first.status is DeploymentStatus.SUCCEEDED
    assert seen[0] is EventKind.STARTED
    assert seen[-1] is EventKind.DONE
    second = routed_rig.deploy(spec(AMI_V2), RedBlack(), background=True)
    kinds = [e.kind for e in second.events()]  # live, until it finished
    second.wait().raise_for_status()
    assert kinds[-1] is EventKind.DONE
    assert second.record.spec.artifact == AMI_V2
    assert serving(moto_aws) == ["shop-prod-v002"]
    # Nothing ran in this process's embedded engine: it never opened its state store.
    assert routed_rig._deployer is None or routed_rig._deployer._store is None


def test_a_gated_deploy_returns_at_the_gate_like_the_embedded_one(
    routed_rig: Any, rig: Any, moto_aws: Any, temporal_worker: Any, temporal: Any
) -> None:
    temporal_worker(rig)
    routed_rig.deploy(spec(AMI_V1), RedBlack()).raise_for_status()
    paused = routed_rig.deploy(spec(AMI_V2), RedBlack(approvals=("disable-old",)))
    assert paused.status is DeploymentStatus.AWAITING_APPROVAL
    key = paused.record.idempotency_key
    temporal.get(key).promote()
    wait_for(lambda: temporal.get(key).status is DeploymentStatus.SUCCEEDED, what="promoted")
    assert serving(moto_aws) == ["shop-prod-v002"]
