"""Autoscaling and autohealing, read from the emulator's autoscalers and MIGs: a policy's mode
(ON with a CPU or load-balancing target, OFF, ONLY_SCALE_OUT) is carried from the previous version,
paused while a group is disabled and restored when it is enabled; resize changes only the bounds;
a group behind a load balancer autoheals on that load balancer's health check."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from google.cloud import compute_v1

from cloudrig import Capacity
from cloudrig.strategies import RedBlack

from .conftest import ACCOUNT, GCP, IMAGE_V1, IMAGE_V2, PROJECT, REGION, fast_boot

pytestmark = pytest.mark.gcp


def policies(emulator: Any) -> dict[str, tuple[str, float, float, int, int]]:
    """{group: (mode, cpu target, lb target, min, max)} of every autoscaler of the region."""
    listed = emulator.client(compute_v1.RegionAutoscalersClient).list(
        project=PROJECT, region=REGION
    )
    out = {}
    for a in listed:
        p = a.autoscaling_policy
        out[a.name] = (
            p.mode,
            round(p.cpu_utilization.utilization_target, 3),
            round(p.load_balancing_utilization.utilization_target, 3),
            p.min_num_replicas,
            p.max_num_replicas,
        )
    return out


@pytest.fixture
def rig(gcp_compute: Any, tmp_path: Path) -> Any:
    fast_boot(gcp_compute)
    rig = GCP.connect(tmp_path, {"api_endpoint": gcp_compute.endpoint})
    GCP.upsert_web(rig, REGION)
    return rig


def test_a_policy_is_carried_paused_while_disabled_and_restored(rig: Any, gcp_compute: Any) -> None:
    scaling = {"autoscaling": {"mode": "ON", "cpu_target": 0.6, "cool_down_seconds": 90}}
    rig.deploy(GCP.spec(REGION, IMAGE_V1, settings=scaling), RedBlack()).raise_for_status()
    assert policies(gcp_compute) == {"shop-prod-v001": ("ON", 0.6, 0.0, 2, 4)}
    rig.deploy(GCP.spec(REGION, IMAGE_V2), RedBlack()).raise_for_status()  # no policy given
    assert policies(gcp_compute) == {
        "shop-prod-v001": ("OFF", 0.6, 0.0, 2, 4),  # disabled: paused
        "shop-prod-v002": ("ON", 0.6, 0.0, 2, 4),  # carried from v001
    }
    rig.rollback(ACCOUNT, "shop-prod", REGION).raise_for_status()
    found = policies(gcp_compute)
    assert found["shop-prod-v001"][0] == "ON", "enabled again: its own mode restored"
    assert found["shop-prod-v002"][0] == "OFF"
    cool = gcp_compute.client(compute_v1.RegionAutoscalersClient).get(
        project=PROJECT, region=REGION, autoscaler="shop-prod-v002"
    )
    assert cool.autoscaling_policy.cool_down_period_sec == 90


def test_resize_changes_the_bounds_never_the_mode(rig: Any, gcp_compute: Any) -> None:
    scaling = {"autoscaling": {"mode": "ONLY_SCALE_OUT", "load_balancing_target": 0.8}}
    rig.deploy(GCP.spec(REGION, IMAGE_V1, settings=scaling), RedBlack()).raise_for_status()
    groups = rig.account(ACCOUNT).server_groups
    groups.resize(REGION, "shop-prod-v001", Capacity(min=1, desired=3, max=6))
    assert policies(gcp_compute) == {"shop-prod-v001": ("ONLY_SCALE_OUT", 0.0, 0.8, 1, 6)}


def test_a_group_behind_a_load_balancer_autoheals_on_its_health_check(
    rig: Any, gcp_compute: Any
) -> None:
    rig.deploy(GCP.spec(REGION, IMAGE_V1), RedBlack()).raise_for_status()
    manager = gcp_compute.client(compute_v1.RegionInstanceGroupManagersClient).get(
        project=PROJECT, region=REGION, instance_group_manager="shop-prod-v001"
    )
    (policy,) = manager.auto_healing_policies
    assert policy.health_check.endswith(f"projects/{PROJECT}/global/healthChecks/web")
    assert policy.initial_delay_sec == 300
    assert policies(gcp_compute)["shop-prod-v001"][0] == "OFF", "no policy: bounds only"
