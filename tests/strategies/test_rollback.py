"""Rollback: to the newest group that was enabled and healthy before the deploy, atomically where
the provider switches traffic by weight, never to a disabled or failed group."""

from __future__ import annotations

from pathlib import Path

import pytest
from strategies.invariants import Checker
from strategies.world import World

from cloudrig import Capacity
from cloudrig.engine import DeploymentStatus, NothingToRollBack
from cloudrig.strategies import RedBlack


def enabled(world: World) -> list[str]:
    return [n for n, g in world.groups().items() if g.enabled]


def test_rolls_back_to_the_previous_group_with_one_atomic_switch(world: World) -> None:
    world.main.deploy(world.spec("img-0"), RedBlack()).raise_for_status()
    world.main.deploy(world.spec("img-1"), RedBlack()).raise_for_status()
    checker = Checker(
        world, service_size=3, replacement="shop-prod-v001", protected={"shop-prod-v002"}
    )
    switches = len(world.cloud.calls("set_traffic_weights"))
    back = world.rig().rollback("test", "shop-prod")
    assert back.status is DeploymentStatus.SUCCEEDED
    checker.final(back.record, roles=0)  # type: ignore[arg-type]
    assert enabled(world) == ["shop-prod-v001"]
    calls = world.cloud.calls("set_traffic_weights")[switches:]
    assert [dict(c.args["weights"].weights) for c in calls] == [{"shop-prod-v001": 100}]
    assert not world.cloud.calls("enable_server_group")
    assert "shop-prod-v002" in world.groups()  # the bad group is kept, disabled


def test_restores_a_scaled_down_target_to_its_recorded_capacity_first(world: World) -> None:
    world.main.deploy(world.spec("img-0"), RedBlack()).raise_for_status()
    world.main.deploy(world.spec("img-1"), RedBlack(scale_down_after="1m")).raise_for_status()
    assert world.groups()["shop-prod-v001"].capacity.desired == 0
    back = world.rig().rollback("test", "shop-prod")
    assert back.status is DeploymentStatus.SUCCEEDED
    target = world.groups()["shop-prod-v001"]
    assert target.capacity == Capacity(min=1, desired=3, max=5)
    assert target.enabled
    assert target.healthy == 3


def test_never_to_a_group_of_a_failed_deployment(world: World) -> None:
    world.main.deploy(world.spec("img-0"), RedBlack()).raise_for_status()
    failed = world.main.deploy(world.spec("img-1", boot_failure=True), RedBlack(health_timeout=60))
    assert failed.status is DeploymentStatus.FAILED
    world.main.deploy(world.spec("img-2"), RedBlack()).raise_for_status()
    back = world.rig().rollback("test", "shop-prod")
    assert back.record.state.target == "shop-prod-v001"  # type: ignore[union-attr]
    assert enabled(world) == ["shop-prod-v001"]


def test_without_a_store_record_the_cloud_decides(world: World, tmp_path: Path) -> None:
    world.main.deploy(world.spec("img-0"), RedBlack()).raise_for_status()
    world.main.deploy(world.spec("img-1"), RedBlack()).raise_for_status()
    world.store_path = tmp_path / "fresh.sqlite3"  # another machine: no history
    back = world.rig().rollback("test", "shop-prod")
    assert back.record.state.target == "shop-prod-v001"  # type: ignore[union-attr]


def test_rollback_of_a_deployment_in_flight_restores_it(world: World) -> None:
    world.main.deploy(world.spec("img-0"), RedBlack()).raise_for_status()
    paused = world.main.deploy(world.spec("img-1"), RedBlack(approvals=("disable-old",)))
    assert paused.status is DeploymentStatus.AWAITING_APPROVAL
    back = world.rig().rollback("test", "shop-prod")
    assert back.id == paused.id
    assert back.status is DeploymentStatus.ROLLED_BACK
    assert enabled(world) == ["shop-prod-v001"]
    assert world.groups()["shop-prod-v002"].capacity.desired == 0


def test_on_a_provider_without_weights_enable_then_disable(tmp_path: Path) -> None:
    w = World(tmp_path, provider="ref-none")
    try:
        w.main.deploy(w.spec("img-0"), RedBlack()).raise_for_status()
        w.main.deploy(w.spec("img-1"), RedBlack()).raise_for_status()
        n = len(w.cloud.history)
        w.rig().rollback("test", "shop-prod").raise_for_status()
        ops = [
            e.operation
            for e in w.cloud.history[n:]
            if e.kind == "call" and e.operation in ("enable_server_group", "disable_server_group")
        ]
        assert ops == ["enable_server_group", "disable_server_group"]
    finally:
        w.close()


def test_nothing_to_roll_back_to(world: World) -> None:
    world.main.deploy(world.spec("img-0"), RedBlack()).raise_for_status()
    with pytest.raises(NothingToRollBack, match="nothing to roll back to in cluster shop-prod"):
        world.rig().rollback("test", "shop-prod")
