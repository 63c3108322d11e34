"""Deployments run by a Temporal worker on the real server, through the real AWS provider on moto;
every invariant read from moto's own state."""

from __future__ import annotations

from typing import Any

import pytest

from cloudrig.engine import DeploymentStatus, EventKind
from cloudrig.strategies import RedBlack

from .conftest import AMI_V1, AMI_V2, cluster_state, spec

pytestmark = pytest.mark.moto


def test_red_black_on_temporal(
    rig: Any, moto_aws: Any, temporal: Any, temporal_worker: Any
) -> None:
    temporal_worker(rig)
    first = temporal.deploy(spec(AMI_V1), RedBlack(), idempotency_key="rb-1").wait()
    assert first["status"] == "succeeded", first
    second = temporal.deploy(spec(AMI_V2), RedBlack(), idempotency_key="rb-2")
    assert second.wait()["status"] == "succeeded"
    state = cluster_state(moto_aws)
    assert state == {
        "shop-prod-v001": {
            "image": AMI_V1,
            "capacity": (2, 2, 4),
            "instances": 2,
            "in_target_group": False,
            "suspended": ["AddToLoadBalancer", "AlarmNotification", "ScheduledActions"],
        },
        "shop-prod-v002": {
            "image": AMI_V2,
            "capacity": (2, 2, 4),
            "instances": 2,
            "in_target_group": True,
            "suspended": [],
        },
    }
    kinds = [e.kind for e in second.events()]
    assert kinds[0] is EventKind.STARTED
    assert kinds[-1] is EventKind.DONE
    assert EventKind.CREATED in kinds
    assert EventKind.HEALTHY in kinds
    assert [e.seq for e in second.events()] == list(range(1, len(kinds) + 1))
    assert second.status is DeploymentStatus.SUCCEEDED
