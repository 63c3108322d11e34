"""Durable deployments: identity and resume, conflicts, approvals, drain, events, waiting, and two
workers racing for one cluster."""

from __future__ import annotations

import itertools
import threading
from pathlib import Path

import pytest
from strategies.world import World

from cloudrig.engine import (
    DeploymentConflict,
    DeploymentStatus,
    Draining,
    EventKind,
    LeaseHeld,
    LeaseLost,
    Run,
    StateStoreUnavailable,
    Step,
)
from cloudrig.provider import MUTATING, hookimpl
from cloudrig.strategies import Highlander, RedBlack, RollingRedBlack, Strategy
from cloudrig.testing import SimulatedCrash


def test_same_spec_after_success_is_a_new_deployment(world: World) -> None:
    first = world.main.deploy(world.spec("img-0"), RedBlack())
    second = world.main.deploy(world.spec("img-0"), RedBlack())
    assert first.id != second.id
    assert list(world.groups()) == ["shop-prod-v001", "shop-prod-v002"]


def test_rerunning_an_interrupted_deployment_resumes_it(world: World) -> None:
    world.main.deploy(world.spec("img-0"), RedBlack()).raise_for_status()
    world.cloud.faults.crash("set_traffic_weights", after_call=False)
    with pytest.raises(SimulatedCrash):
        world.rig().deploy(world.spec("img-1"), RedBlack())
    (pending,) = world.rig().deployments()
    assert pending.step == 3  # create, verify, enable done; disable-old not
    world.cloud.faults.clear()
    resumed = world.rig().deploy(world.spec("img-1"), RedBlack())  # another process
    assert resumed.id == pending.id
    assert resumed.status is DeploymentStatus.SUCCEEDED
    # it first says it waits for the crashed worker's lease (issue 14, item 7), then resumes
    kinds = [e.kind for e in resumed.events()]
    assert kinds[:2] == [EventKind.LEASE_WAIT, EventKind.RESUMED]
    assert len(world.cloud.calls("create_server_group")) == 2
    assert world.rig().deployments() == []


def test_a_different_spec_while_one_is_unfinished_is_a_conflict(world: World) -> None:
    world.main.deploy(world.spec("img-0"), RedBlack()).raise_for_status()
    world.main.deploy(world.spec("img-1"), RedBlack(approvals=("disable-old",)))
    with pytest.raises(DeploymentConflict, match="unfinished"):
        world.main.deploy(world.spec("img-2"), RedBlack())


def test_approval_gate_pauses_and_promote_or_reject_continue(world: World) -> None:
    world.main.deploy(world.spec("img-0"), RedBlack()).raise_for_status()
    paused = world.main.deploy(world.spec("img-1"), RedBlack(approvals=("disable-old",)))
    assert paused.status is DeploymentStatus.AWAITING_APPROVAL
    needed = [e for e in paused.events() if e.kind is EventKind.APPROVAL_NEEDED]
    assert needed[0].data["gate"] == "disable-old"
    assert world.groups()["shop-prod-v001"].enabled  # nothing past the gate happened
    done = world.rig().promote(paused.id)  # type: ignore[arg-type]
    assert done.status is DeploymentStatus.SUCCEEDED
    rejected = world.main.deploy(world.spec("img-2"), RedBlack(approvals=("disable-old",)))
    back = world.rig().promote(rejected.id, approve=False)  # type: ignore[arg-type]
    assert back.status is DeploymentStatus.ROLLED_BACK
    assert [n for n, g in world.groups().items() if g.enabled] == ["shop-prod-v002"]


def test_drain_holds_new_deployments_and_lets_running_ones_finish(world: World) -> None:
    world.main.deploy(world.spec("img-0"), RedBlack()).raise_for_status()
    paused = world.main.deploy(world.spec("img-1"), RedBlack(approvals=("disable-old",)))
    world.main.deployer.drain(True)
    assert world.rig().promote(paused.id).status is DeploymentStatus.SUCCEEDED  # type: ignore[arg-type]
    before = world.mutating_calls()
    rig = world.rig(deployments={"drain_wait": "10m"})
    with pytest.raises(Draining):
        rig.deploy(world.spec("img-2"), RedBlack())
    assert world.mutating_calls() == before
    world.main.deployer.drain(False)
    assert world.rig().deploy(world.spec("img-2"), RedBlack()).status is DeploymentStatus.SUCCEEDED


def test_events_iterate_live_from_a_background_run_and_reach_hooks(world: World) -> None:
    seen: list[str] = []

    class Observer:
        @hookimpl
        def cloudrig_deployment_event(self, event: object) -> None:
            seen.append(event.kind.value)  # type: ignore[attr-defined]

    world.main.registry.add(Observer())
    deployment = world.main.deployer.deploy(world.spec("img-0"), RedBlack(), background=True)
    kinds = [e.kind.value for e in deployment.events()]
    deployment.wait()
    assert kinds[0] == "started"
    assert kinds[-1] == "done"
    assert seen == kinds
    stored = world.main.deployer.store.events(deployment.id)  # type: ignore[arg-type]
    assert [e.kind.value for e in stored] == kinds


def test_the_store_unreachable_mid_deployment_stops_all_changes(world: World) -> None:
    world.main.deploy(world.spec("img-0"), RedBlack()).raise_for_status()
    rig = world.rig()
    store = rig.deployer.store
    marks: list[int] = []

    def break_store() -> None:
        store._db.close()  # type: ignore[attr-defined]
        marks.append(len(world.cloud.history))

    world.after_mutations(1, break_store)
    with pytest.raises(StateStoreUnavailable):
        rig.deploy(world.spec("img-1"), RollingRedBlack(steps=(50, 100)))
    later = [
        e for e in world.cloud.history[marks[0] :] if e.kind == "call" and e.operation in MUTATING
    ]
    assert later == []


def test_polls_with_backoff_where_the_provider_has_no_efficient_wait(tmp_path: Path) -> None:
    w = World(tmp_path, provider="ref-none")
    try:
        w.cloud.boot_seconds = 100
        w.main.deploy(w.spec("img-0"), RedBlack()).raise_for_status()
        gets = w.cloud.calls("get_server_group")
        polls = [e for e in gets if e.args["name"] == "shop-prod-v001"]
        times = [(b.time - a.time).total_seconds() for a, b in itertools.pairwise(polls)]
        assert times[:4] == pytest.approx([2.0, 3.0, 4.5, 6.75])  # exponential backoff
        assert max(times) <= 30
        assert not w.cloud.calls("wait_for_health")
    finally:
        w.close()


def test_uses_the_providers_efficient_wait_where_declared(world: World) -> None:
    world.main.deploy(world.spec("img-0"), RedBlack()).raise_for_status()
    assert world.cloud.calls("wait_for_health")
    assert len(world.cloud.calls("get_server_group")) < 10


def test_a_stalled_worker_is_taken_over_without_a_second_group(world: World) -> None:
    """Worker A stalls right after creating the new group (a long GC pause, a frozen VM); worker B,
    started meanwhile in another thread, waits for A's lease to expire, takes it, resumes A's
    deployment by its id and finishes it. When A wakes up its next change is refused."""
    world.main.deploy(world.spec("img-0"), RedBlack()).raise_for_status()
    outcome: dict[str, object] = {}

    def worker_b() -> None:
        outcome["b"] = world.rig().deploy(world.spec("img-1"), RedBlack())

    def stall_after_create(event: object) -> None:
        if event.kind is EventKind.CREATED:  # type: ignore[attr-defined]
            b = threading.Thread(target=worker_b)
            b.start()
            b.join(30)

    with pytest.raises(LeaseLost):
        world.rig().deploy(world.spec("img-1"), RedBlack(), on_event=stall_after_create)
    b = outcome["b"]
    assert b.status is DeploymentStatus.SUCCEEDED  # type: ignore[attr-defined]
    kinds = [e.kind for e in b.events()]  # type: ignore[attr-defined]
    assert kinds[:2] == [EventKind.LEASE_WAIT, EventKind.RESUMED]  # says it waits, then resumes
    assert list(world.groups()) == ["shop-prod-v001", "shop-prod-v002"]  # no second new group
    assert len(world.main.deployments(unfinished=None)) == 2
    assert len(world.cloud.calls("create_server_group")) == 2


def test_the_same_spec_requested_twice_meanwhile_is_deployed_once(world: World) -> None:
    """A request that waited for the lease while another worker deployed the very same spec is
    answered by that deployment, not by a second one."""
    from cloudrig.engine import SqliteStateStore

    world.main.deploy(world.spec("img-0"), RedBlack()).raise_for_status()
    rival_rig = world.rig()  # another worker, with a plain store
    rival: dict[str, object] = {}

    class BusyAtFirst(SqliteStateStore):
        """The cluster is busy when this worker first asks: a rival deploys the same spec."""

        def acquire_lease(self, key: str, holder: str, ttl: float) -> bool:
            if not rival:
                rival["first"] = rival_rig.deploy(world.spec("img-1"), RedBlack())
                return False
            return super().acquire_lease(key, holder, ttl)

    world.store_factory = lambda w: BusyAtFirst(w.store_path, clock=w.clock)
    second = world.rig().deploy(world.spec("img-1"), RedBlack())
    first = rival["first"]
    assert first.status is DeploymentStatus.SUCCEEDED  # type: ignore[attr-defined]
    assert second.id == first.id  # type: ignore[attr-defined]
    assert list(world.groups()) == ["shop-prod-v001", "shop-prod-v002"]
    # and a request made after it finished is a new deployment, as always
    world.store_factory = None
    assert world.rig().deploy(world.spec("img-1"), RedBlack()).id != second.id


def test_a_busy_cluster_makes_a_new_deployment_wait_then_give_up(world: World) -> None:
    world.main.deploy(world.spec("img-0"), RedBlack()).raise_for_status()
    store = world.main.deployer.store
    from cloudrig.engine import lease_key

    assert store.acquire_lease(lease_key("test", "reference-1", world.moniker), "other", 3600)
    with pytest.raises(LeaseHeld, match="another worker"):
        world.rig(deployments={"lease_wait": "1m"}).deploy(world.spec("img-1"), RedBlack())


class BlueOnly(Strategy):
    """A custom strategy from a plugin: create, verify, switch; nothing else."""

    name = "blue-only"

    def plan(self, run: Run) -> list[Step]:
        from cloudrig.strategies import switch_traffic

        return [
            self.create_step("new"),
            self.verify_step("new"),
            Step("switch", "switch", lambda r: switch_traffic(r, r.name("new"))),
        ]


class StrategyPlugin:
    @hookimpl
    def cloudrig_strategies(self) -> list[type]:
        return [BlueOnly]


def test_custom_strategy_from_a_hook_resumes_by_name(world: World) -> None:
    world.main.deploy(world.spec("img-0"), Highlander()).raise_for_status()
    world.cloud.faults.crash("set_traffic_weights")
    rig = world.rig()
    rig.registry.add(StrategyPlugin())
    with pytest.raises(SimulatedCrash):
        rig.deploy(world.spec("img-1"), BlueOnly())
    world.cloud.faults.clear()  # the resume sends the interrupted weight switch again
    resumer = world.rig()
    resumer.registry.add(StrategyPlugin())
    (pending,) = resumer.deployments()
    assert resumer.resume(pending.id).status is DeploymentStatus.SUCCEEDED
    assert "blue-only" in resumer.deployer.strategies()


def test_a_failing_observer_never_fails_the_deployment(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    class Broken:
        @hookimpl
        def cloudrig_deployment_event(self, event: object) -> None:
            raise RuntimeError("the chat webhook is down")

    def callback(event: object) -> None:
        raise ValueError("bad callback")

    world.main.registry.add(Broken())
    deployment = world.main.deploy(world.spec("img-0"), RedBlack(), on_event=callback)
    assert deployment.status is DeploymentStatus.SUCCEEDED
    assert "cloudrig_deployment_event hook failed" in caplog.text
    assert "on_event callback failed" in caplog.text


@pytest.mark.parametrize("provider", ["reference", "ref-capacity", "ref-lambda", "ref-none"])
@pytest.mark.parametrize(
    "strategy", [Highlander(), RedBlack(max_remaining=2), RollingRedBlack()], ids=lambda s: s.name
)
def test_first_deployment_of_a_cluster(tmp_path: Path, provider: str, strategy: Strategy) -> None:
    w = World(tmp_path, provider=provider)
    try:
        deployment = w.main.deploy(w.spec("img-0"), strategy)
        assert deployment.status is DeploymentStatus.SUCCEEDED, deployment.error
        (group,) = w.groups().values()
        assert group.enabled
        assert group.healthy == 3
    finally:
        w.close()


def test_a_canary_needs_something_to_compare_with(world: World) -> None:
    from cloudrig import InvalidSpec
    from cloudrig.canary import MetricSpec
    from cloudrig.strategies import Canary

    with pytest.raises(InvalidSpec, match="serving group"):
        world.main.deploy(world.spec("img-0"), Canary(metrics=(MetricSpec(name="x"),)))
    assert world.groups() == {}
    assert world.main.deployments(unfinished=None) == []


def test_an_unanswered_gate_rolls_back_after_the_approval_timeout(world: World) -> None:
    world.main.deploy(world.spec("img-0"), RedBlack()).raise_for_status()
    strategy = RedBlack(approvals=("disable-old",), approval_timeout="1h")
    paused = world.main.deploy(world.spec("img-1"), strategy)
    assert paused.status is DeploymentStatus.AWAITING_APPROVAL
    world.clock.advance(1800)
    assert world.rig().resume(paused.id).status is DeploymentStatus.AWAITING_APPROVAL  # type: ignore[arg-type]
    world.clock.advance(1800)
    late = world.rig().resume(paused.id)  # type: ignore[arg-type]
    assert late.status is DeploymentStatus.ROLLED_BACK
    assert "approval timeout" in (late.error or "")
    assert [n for n, g in world.groups().items() if g.enabled] == ["shop-prod-v001"]
