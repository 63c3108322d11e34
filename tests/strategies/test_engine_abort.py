"""Issue 15, item 3: ``rig.abort(id)`` undoes what an unfinished deployment did, then marks it
``aborted``; a finished one is refused. Checked from the reference cloud's own state."""

from __future__ import annotations

import pytest
from strategies.world import REGION, World

from cloudrig import Capacity
from cloudrig.engine import DeploymentError, DeploymentStatus, EventKind
from cloudrig.strategies import RedBlack

KEY = (REGION, "shop", "prod", "")


def assert_restored(world: World) -> None:
    """v001 serves as before with all the traffic; v002 is out of traffic at zero."""
    groups = world.groups()
    old, new = groups["shop-prod-v001"], groups["shop-prod-v002"]
    assert old.enabled
    assert old.capacity == Capacity(min=1, desired=3, max=5)
    assert old.healthy == 3
    assert not new.enabled
    assert new.capacity.desired == 0
    shares = {name: share for name, share in world.cloud.traffic(KEY).items() if share}
    assert shares == {"shop-prod-v001": 100}


def test_abort_of_an_interrupted_deployment_undoes_it(world: World) -> None:
    world.main.deploy(world.spec("img-0"), RedBlack()).raise_for_status()
    # Ctrl-C while traffic moves to the new group: the record stays running.
    world.cloud.faults.fail("set_traffic_weights", KeyboardInterrupt(), nth=1)
    with pytest.raises(KeyboardInterrupt):
        world.main.deploy(world.spec("img-1"), RedBlack())
    (record,) = world.main.deployments()
    assert record.status is DeploymentStatus.RUNNING
    aborted = world.rig().abort(record.id)
    assert aborted.status is DeploymentStatus.ABORTED
    assert aborted.id == record.id
    kinds = [e.kind for e in aborted.events()]
    assert EventKind.ROLLING_BACK in kinds
    assert EventKind.ROLLED_BACK in kinds
    assert_restored(world)
    assert world.main.deployments() == []  # finished: nothing in flight


def test_abort_of_a_deployment_waiting_at_a_gate(world: World) -> None:
    world.main.deploy(world.spec("img-0"), RedBlack()).raise_for_status()
    paused = world.main.deploy(world.spec("img-1"), RedBlack(approvals=("disable-old",)))
    assert paused.status is DeploymentStatus.AWAITING_APPROVAL
    assert paused.id is not None
    assert world.rig().abort(paused.id).status is DeploymentStatus.ABORTED
    assert_restored(world)


def test_an_abort_interrupted_during_its_restore_finishes_as_aborted(world: World) -> None:
    world.main.deploy(world.spec("img-0"), RedBlack()).raise_for_status()
    paused = world.main.deploy(world.spec("img-1"), RedBlack(approvals=("disable-old",)))
    assert paused.id is not None
    world.cloud.faults.fail("set_traffic_weights", KeyboardInterrupt(), nth=1)
    with pytest.raises(KeyboardInterrupt):
        world.rig().abort(paused.id)
    assert world.main.deployer.store.get(paused.id).status is DeploymentStatus.ROLLING_BACK
    assert world.rig().abort(paused.id).status is DeploymentStatus.ABORTED
    assert_restored(world)


def test_abort_of_a_finished_deployment_is_refused_and_changes_nothing(world: World) -> None:
    done = world.main.deploy(world.spec("img-0"), RedBlack()).raise_for_status()
    assert done.id is not None
    before = world.mutating_calls()
    with pytest.raises(DeploymentError, match="already succeeded: nothing to abort"):
        world.rig().abort(done.id)
    assert world.mutating_calls() == before
    assert world.main.deployer.store.get(done.id).status is DeploymentStatus.SUCCEEDED
