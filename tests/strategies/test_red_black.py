"""Red/black and highlander on the reference provider: the steps users rely on, and their options."""

from __future__ import annotations

from strategies.invariants import Checker
from strategies.world import World

from cloudrig.engine import DeploymentStatus, EventKind
from cloudrig.strategies import Highlander, RedBlack


def enabled(world: World) -> list[str]:
    return [n for n, g in world.groups().items() if g.enabled]


def test_first_deployment_of_an_empty_cluster(world: World) -> None:
    deployment = world.main.deploy(world.spec("img-0"), RedBlack())
    assert deployment.status is DeploymentStatus.SUCCEEDED
    assert enabled(world) == ["shop-prod-v001"]
    group = world.groups()["shop-prod-v001"]
    assert group.healthy == 3
    assert group.deployment_id == deployment.id  # written in the create call itself


def test_red_black_switches_atomically_and_keeps_the_old_group_warm(world: World) -> None:
    world.main.deploy(world.spec("img-0"), RedBlack()).raise_for_status()
    checker = Checker(world, service_size=3)
    deployment = world.main.deploy(world.spec("img-1"), RedBlack())
    checker.final(deployment.record, roles=1)  # type: ignore[arg-type]
    assert enabled(world) == ["shop-prod-v002"]
    old = world.groups()["shop-prod-v001"]
    assert old.capacity.desired == 3
    assert len(old.instances) == 3  # disabled, instances kept for a fast rollback
    # the provider splits traffic: one set_traffic_weights call moved it, no enable/disable pair
    assert len(world.cloud.calls("set_traffic_weights")) == 1
    assert not world.cloud.calls("disable_server_group")
    kinds = [e.kind for e in deployment.events()]
    assert kinds[:4] == [EventKind.STARTED, EventKind.CREATED, EventKind.WAITING, EventKind.HEALTHY]
    assert EventKind.TRAFFIC_MOVED in kinds
    assert kinds[-1] is EventKind.DONE


def test_delay_before_disable_lets_both_serve_then_disables(world: World) -> None:
    world.main.deploy(world.spec("img-0"), RedBlack()).raise_for_status()
    seen: list[tuple[EventKind, float, list[str]]] = []
    world.main.deploy(
        world.spec("img-1"),
        RedBlack(delay_before_disable="2m"),
        on_event=lambda e: seen.append((e.kind, world.clock.elapsed, enabled(world))),
    ).raise_for_status()
    healthy = next(s for s in seen if s[0] is EventKind.HEALTHY)
    switch = next(s for s in seen if s[0] is EventKind.TRAFFIC_MOVED)
    assert healthy[2] == ["shop-prod-v001", "shop-prod-v002"]  # both serve for a while
    assert switch[1] - healthy[1] >= 120
    assert switch[2] == ["shop-prod-v002"]


def test_scale_down_after_a_delay_and_max_remaining(world: World) -> None:
    for i in range(3):
        world.main.deploy(world.spec(f"img-{i}"), RedBlack()).raise_for_status()
    assert len(world.groups()) == 3
    start = world.clock.elapsed
    deployment = world.main.deploy(
        world.spec("img-3"), RedBlack(max_remaining=2, scale_down_after="10m")
    )
    assert deployment.status is DeploymentStatus.SUCCEEDED
    groups = world.groups()
    assert list(groups) == ["shop-prod-v003", "shop-prod-v004"]  # oldest disabled ones gone
    assert groups["shop-prod-v003"].capacity.desired == 0  # scaled down after the delay
    assert groups["shop-prod-v003"].capacity.max == 5
    assert deployment.record.state.previous == "shop-prod-v003"  # type: ignore[union-attr]
    assert world.clock.elapsed - start >= 600


def test_highlander_destroys_every_older_group(world: World) -> None:
    for i in range(2):
        world.main.deploy(world.spec(f"img-{i}"), RedBlack()).raise_for_status()
    checker = Checker(world, service_size=3)
    deployment = world.main.deploy(world.spec("img-2"), Highlander())
    checker.final(deployment.record, roles=1, destroys_old=True)  # type: ignore[arg-type]
    assert list(world.groups()) == ["shop-prod-v003"]
    destroyed = [e.args["name"] for e in world.cloud.calls("destroy_server_group")]
    assert destroyed == ["shop-prod-v001", "shop-prod-v002"]


def test_boot_failure_rolls_back_at_the_deadline(world: World) -> None:
    world.main.deploy(world.spec("img-0"), RedBlack()).raise_for_status()
    checker = Checker(world, service_size=3)
    start = world.clock.elapsed
    deployment = world.main.deploy(
        world.spec("img-1", boot_failure=True), RedBlack(health_timeout="5m")
    )
    assert deployment.status is DeploymentStatus.FAILED
    assert "WaitTimeout" in (deployment.error or "")
    # invariant 8: the wait ended at its deadline (not later), then the restore ran
    assert 300 <= world.clock.elapsed - start <= 300 + 30
    checker.final(deployment.record, roles=1)  # type: ignore[arg-type]
    kinds = [e.kind for e in deployment.events()]
    assert kinds[-3:] == [EventKind.DISABLED, EventKind.SCALED, EventKind.ROLLED_BACK] or (
        EventKind.ROLLED_BACK in kinds and kinds[-1] is EventKind.FAILED
    )
    assert enabled(world) == ["shop-prod-v001"]
