"""Rolling red/black on each kind of provider: by weight where it splits traffic, by capacity where
it cannot, without resizing where it cannot resize; the source pinned and always unpinned."""

from __future__ import annotations

from pathlib import Path

import pytest
from strategies.invariants import Checker
from strategies.world import World

from cloudrig import Capacity
from cloudrig.engine import DeploymentStatus, EventKind
from cloudrig.strategies import PRESETS, RedBlack, RollingRedBlack, canary_10_then_all, linear_10


def deploy_base(world: World) -> None:
    world.main.deploy(
        world.spec("img-0", desired=4) if world.desired == 4 else world.spec("img-0"), RedBlack()
    ).raise_for_status()


def test_by_weight_on_a_provider_that_splits_traffic(world: World) -> None:
    deploy_base(world)
    checker = Checker(world, service_size=3)
    deployment = world.main.deploy(world.spec("img-1"), RollingRedBlack(steps=(10, 50, 100)))
    checker.final(deployment.record, roles=1)  # type: ignore[arg-type]
    weights = [dict(e.args["weights"].weights) for e in world.cloud.calls("set_traffic_weights")]
    assert weights == [
        {"shop-prod-v001": 90, "shop-prod-v002": 10},
        {"shop-prod-v001": 50, "shop-prod-v002": 50},
        {"shop-prod-v002": 100},
    ]
    resizes = [
        (e.args["name"], e.args["capacity"]) for e in world.cloud.calls("resize_server_group")
    ]
    assert resizes[0] == ("shop-prod-v001", Capacity.fixed(3))  # pinned against the autoscaler
    assert resizes[-1] == ("shop-prod-v001", Capacity(min=1, desired=3, max=5))  # unpinned
    new_sizes = [c.desired for n, c in resizes if n == "shop-prod-v002"]
    assert new_sizes == [1, 2, 3]  # grown to each step's share before it gets that share


@pytest.mark.parametrize("provider", ["ref-capacity", "ref-none"])
def test_by_capacity_where_traffic_cannot_be_weighted(tmp_path: Path, provider: str) -> None:
    world = World(tmp_path, provider=provider, desired=4)
    try:
        world.main.deploy(world.spec("img-0"), RedBlack()).raise_for_status()
        checker = Checker(world, service_size=4)
        deployment = world.main.deploy(world.spec("img-1"), RollingRedBlack(steps=(25, 50, 100)))
        checker.final(deployment.record, roles=1)  # type: ignore[arg-type]
        assert not world.cloud.calls("set_traffic_weights")
        sizes = [
            (e.args["name"], e.args["capacity"].desired)
            for e in world.cloud.calls("resize_server_group")
        ]
        assert sizes == [
            ("shop-prod-v001", 4),  # pin
            ("shop-prod-v002", 1),
            ("shop-prod-v001", 3),  # the new one grows first
            ("shop-prod-v002", 2),
            ("shop-prod-v001", 2),
            ("shop-prod-v002", 4),
            ("shop-prod-v001", 0),
            ("shop-prod-v001", 4),  # unpinned (disabled, warm for a rollback)
        ]
        assert [n for n, g in world.groups().items() if g.enabled] == ["shop-prod-v002"]
    finally:
        world.close()


def test_without_resize_the_new_group_is_created_whole(tmp_path: Path) -> None:
    world = World(tmp_path, provider="ref-lambda")
    try:
        world.main.deploy(world.spec("img-0"), RedBlack()).raise_for_status()
        checker = Checker(world, service_size=3)
        deployment = world.main.deploy(world.spec("img-1"), RollingRedBlack(steps=(10, 100)))
        checker.final(deployment.record, roles=1, resizable=False)  # type: ignore[arg-type]
        assert not world.cloud.calls("resize_server_group")
        assert len(world.cloud.calls("set_traffic_weights")) == 2
    finally:
        world.close()


def test_failure_mid_roll_unpins_and_restores(world: World) -> None:
    deploy_base(world)
    checker = Checker(world, service_size=3)
    # instances launched by the second step fail to boot
    world.after_mutations(4, lambda: world.cloud.boot_failures.add("shop-prod-v002"))
    deployment = world.main.deploy(
        world.spec("img-1"), RollingRedBlack(steps=(34, 67, 100), health_timeout="2m")
    )
    assert deployment.status is DeploymentStatus.FAILED
    checker.final(deployment.record, roles=1)  # type: ignore[arg-type]
    old = world.groups()["shop-prod-v001"]
    assert old.capacity == Capacity(min=1, desired=3, max=5)  # unpinned
    assert [e.kind for e in deployment.events()].count(EventKind.UNPINNED) == 1


def test_presets_are_the_codedeploy_shifts() -> None:
    assert canary_10_then_all().steps_percent == (10, 100)
    assert canary_10_then_all().step_delay == 300
    assert linear_10(every="2m").steps_percent == tuple(range(10, 101, 10))
    assert linear_10(every="2m").step_delay == 120
    assert set(PRESETS) == {"canary-10-then-all", "linear-10", "all-at-once"}


def test_linear_preset_bakes_between_steps(world: World) -> None:
    deploy_base(world)
    start = world.clock.elapsed
    world.main.deploy(world.spec("img-1"), linear_10(every="1m")).raise_for_status()
    assert world.clock.elapsed - start >= 9 * 60
    assert len(world.cloud.calls("set_traffic_weights")) == 10


@pytest.mark.parametrize("steps", [(), (50,), (50, 40, 100), (0, 100), (10, 10, 100)])
def test_steps_must_increase_to_100(steps: tuple[int, ...]) -> None:
    with pytest.raises(ValueError, match="steps"):
        RollingRedBlack(steps=steps)
