"""Issue 14, items 1 and 2: rollback never reduces serving capacity; timers are instants in the
record, so a resumed deployment waits only what is left, and a delay with nothing to do never
waits."""

from __future__ import annotations

from typing import Any

import pytest
from strategies.world import REGION, World

from cloudrig import Capacity, HealthState
from cloudrig.engine import DeploymentStatus, EventKind, NothingToRollBack, SqliteStateStore
from cloudrig.strategies import RedBlack
from cloudrig.testing import SimulatedCrash


def enabled(world: World) -> list[str]:
    return [n for n, g in world.groups().items() if g.enabled]


# -- item 1 ------------------------------------------------------------------------------------------
def test_rolling_back_a_first_deployment_in_flight_keeps_its_only_group_serving(
    world: World,
) -> None:
    """The report: a cluster's only group (first deployment, healthy, in traffic, its deployment
    still unfinished) 'rolled back' to disabled at 0/0/max. Now: refused, nothing changed."""
    paused = world.main.deploy(world.spec("img-0"), RedBlack(approvals=("disable-old",)))
    assert paused.status is DeploymentStatus.AWAITING_APPROVAL
    before = world.mutating_calls()
    with pytest.raises(NothingToRollBack, match="cluster shop-prod") as err:
        world.rig().rollback("test", "shop-prod")
    assert "shop-prod-v001" in str(err.value)
    assert "only serving group" in str(err.value)
    assert world.mutating_calls() == before
    group = world.groups()["shop-prod-v001"]
    assert group.enabled
    assert group.healthy == 3
    assert group.capacity == Capacity(min=1, desired=3, max=5)
    assert world.cloud.traffic((REGION, "shop", "prod", "")) == {"shop-prod-v001": 100}
    (record,) = world.main.deployments()
    assert record.status is DeploymentStatus.AWAITING_APPROVAL  # untouched: promote still works
    assert world.rig().promote(record.id).status is DeploymentStatus.SUCCEEDED


def test_rollback_moves_traffic_only_onto_a_group_healthy_at_its_capacity(world: World) -> None:
    """Rolling back a deployment in flight whose new group serves healthy, while the previous
    group cannot get healthy: the rollback stops and the new group keeps serving."""
    world.main.deploy(world.spec("img-0"), RedBlack()).raise_for_status()
    paused = world.main.deploy(
        world.spec("img-1"), RedBlack(approvals=("disable-old",), health_timeout="5m")
    )
    assert paused.status is DeploymentStatus.AWAITING_APPROVAL
    world.cloud.set_instance_state(REGION, "shop-prod-v001", HealthState.DOWN)
    back = world.rig().rollback("test", "shop-prod")
    assert back.status is DeploymentStatus.ROLLING_BACK  # incomplete: resume to retry
    assert "WaitTimeout" in (back.error or "")
    new = world.groups()["shop-prod-v002"]
    assert new.enabled
    assert new.healthy == 3
    assert new.capacity.desired == 3
    assert world.cloud.traffic((REGION, "shop", "prod", "")).get("shop-prod-v002", 0) > 0


@pytest.mark.parametrize("provider", ["reference", "ref-capacity", "ref-lambda", "ref-none"])
def test_a_failed_first_deployment_leaves_no_half_serving_group(
    tmp_path: Any, provider: str
) -> None:
    w = World(tmp_path, provider=provider)
    try:
        failed = w.main.deploy(w.spec("img-0", boot_failure=True), RedBlack(health_timeout="5m"))
        assert failed.status is DeploymentStatus.FAILED
        (group,) = w.groups().values()
        assert not group.enabled
        assert not any(w.cloud.traffic((REGION, "shop", "prod", "")).values())
        if w.account.capabilities.resizable:
            assert group.capacity.desired == 0
    finally:
        w.close()


# -- item 2 ------------------------------------------------------------------------------------------
def test_a_first_deployment_never_waits_for_its_scale_down_delay(world: World) -> None:
    start = world.clock.elapsed
    done = world.main.deploy(world.spec("img-0"), RedBlack(scale_down_after="10m"))
    assert done.status is DeploymentStatus.SUCCEEDED
    assert world.clock.elapsed - start < 120  # boot time only, not ten minutes


class CrashAt(SqliteStateStore):
    """A worker's store that kills it (``SimulatedCrash``) at its first lease renewal at or
    after ``at`` virtual seconds, i.e. inside a delay or a wait."""

    def __init__(self, world: World, box: dict[str, float]) -> None:
        super().__init__(world.store_path, clock=world.clock)
        self.world, self.box = world, box

    def renew_lease(self, key: str, holder: str, ttl: float) -> bool:
        at = self.box.get("crash_at")
        if at is not None and self.world.clock.elapsed >= at:
            self.box.pop("crash_at")
            raise SimulatedCrash("killed inside the delay")
        return super().renew_lease(key, holder, ttl)


def test_a_crash_inside_the_scale_down_delay_resumes_with_only_what_is_left(world: World) -> None:
    world.main.deploy(world.spec("img-0"), RedBlack()).raise_for_status()
    box: dict[str, float] = {}
    world.store_factory = lambda w: CrashAt(w, box)

    def arm(event: Any) -> None:
        if event.kind is EventKind.TRAFFIC_MOVED and "switched_at" not in box:
            box["switched_at"] = world.clock.elapsed
            box["crash_at"] = world.clock.elapsed + 240  # four minutes into the ten

    strategy = RedBlack(scale_down_after="10m")
    with pytest.raises(SimulatedCrash):
        world.rig().deploy(world.spec("img-1"), strategy, on_event=arm)
    (pending,) = world.main.deployments()
    assert pending.state.deadlines  # the delay's end is an instant in the record
    world.store_factory = None
    resumed = world.rig().resume(pending.id)
    assert resumed.status is DeploymentStatus.SUCCEEDED
    scaled = [
        c for c in world.cloud.calls("resize_server_group") if c.args["name"] == "shop-prod-v001"
    ]
    assert len(scaled) == 1
    waited = (scaled[0].time - world.cloud.calls("set_traffic_weights")[-1].time).total_seconds()
    assert 600 <= waited <= 600 + 20  # not 240 + the lease's TTL + another 600


def test_a_crash_inside_a_health_wait_keeps_its_deadline(world: World) -> None:
    world.main.deploy(world.spec("img-0"), RedBlack()).raise_for_status()
    box: dict[str, float] = {}
    world.store_factory = lambda w: CrashAt(w, box)

    def arm(event: Any) -> None:
        if event.kind is EventKind.WAITING and "waiting_at" not in box:
            box["waiting_at"] = world.clock.elapsed
            box["crash_at"] = world.clock.elapsed + 120

    strategy = RedBlack(health_timeout="5m")
    with pytest.raises(SimulatedCrash):
        world.rig().deploy(world.spec("img-1", boot_failure=True), strategy, on_event=arm)
    world.store_factory = None
    (pending,) = world.main.deployments()
    failed = world.rig().resume(pending.id)
    assert failed.status is DeploymentStatus.FAILED
    assert "WaitTimeout" in (failed.error or "")
    rolling_back = next(e for e in failed.events() if e.kind is EventKind.ROLLING_BACK)
    start = world.clock.now().timestamp() - world.clock.elapsed + box["waiting_at"]
    assert rolling_back.time.timestamp() - start <= 300 + 30  # the first run's deadline
    assert enabled(world) == ["shop-prod-v001"]
