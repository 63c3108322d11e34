"""Issue 14, items 3, 4, 5 and 7: idempotent deploys, resume that completes interrupted operations
and refuses a changed plan, the typed record state, and saying what is happening (waiting for a
lease, joining another worker's deployment)."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from pydantic import ValidationError
from strategies.world import World

from cloudrig.engine import (
    DeploymentConflict,
    DeploymentError,
    DeploymentRecord,
    DeploymentState,
    DeploymentStatus,
    EventKind,
    NullLease,
    PlanChanged,
    Run,
    SqliteStateStore,
    Step,
    lease_key,
)
from cloudrig.provider import hookimpl
from cloudrig.strategies import RedBlack, Strategy, switch_traffic
from cloudrig.testing import SimulatedCrash


# -- item 3: idempotency keys ------------------------------------------------------------------------
def test_a_retry_with_the_same_key_returns_the_finished_deployment(world: World) -> None:
    world.main.deploy(world.spec("img-0"), RedBlack()).raise_for_status()
    first = world.main.deploy(world.spec("img-1"), RedBlack(), idempotency_key="wf-42/deploy")
    assert first.status is DeploymentStatus.SUCCEEDED
    retry = world.rig().deploy(world.spec("img-1"), RedBlack(), idempotency_key="wf-42/deploy")
    assert retry.id == first.id
    assert retry.status is DeploymentStatus.SUCCEEDED
    assert list(world.groups()) == ["shop-prod-v001", "shop-prod-v002"]  # no v003
    assert [e.kind for e in retry.events()] == [EventKind.JOINED]


def test_a_retry_with_the_same_key_returns_the_failed_or_paused_deployment(world: World) -> None:
    world.main.deploy(world.spec("img-0"), RedBlack()).raise_for_status()
    bad = world.spec("img-1", boot_failure=True)
    failed = world.main.deploy(bad, RedBlack(health_timeout="5m"), idempotency_key="k-fail")
    assert failed.status is DeploymentStatus.FAILED
    again = world.rig().deploy(bad, RedBlack(health_timeout="5m"), idempotency_key="k-fail")
    assert again.id == failed.id
    assert again.status is DeploymentStatus.FAILED
    gated = RedBlack(approvals=("disable-old",))
    paused = world.main.deploy(world.spec("img-2"), gated, idempotency_key="k-gate")
    assert paused.status is DeploymentStatus.AWAITING_APPROVAL
    same = world.rig().deploy(world.spec("img-2"), gated, idempotency_key="k-gate")
    assert same.id == paused.id
    assert same.status is DeploymentStatus.AWAITING_APPROVAL
    assert len(world.cloud.calls("create_server_group")) == 3


def test_a_key_reused_for_another_spec_is_a_conflict(world: World) -> None:
    world.main.deploy(world.spec("img-0"), RedBlack(), idempotency_key="k").raise_for_status()
    with pytest.raises(DeploymentConflict, match="idempotency key 'k'"):
        world.main.deploy(world.spec("img-1"), RedBlack(), idempotency_key="k")


def test_the_key_is_kept_in_the_record(world: World) -> None:
    done = world.main.deploy(world.spec("img-0"), RedBlack(), idempotency_key="k")
    assert world.main.deployer.store.get(done.id).idempotency_key == "k"  # type: ignore[arg-type]


# -- item 4: resume completes what was sent and refuses another plan ---------------------------------
def test_resume_sends_again_the_operation_interrupted_by_the_crash(tmp_path: Path) -> None:
    """A disable whose call landed but whose worker died before the answer (on a real cloud: the
    first of its requests landed) is sent again by the resumed run, before anything else."""
    w = World(tmp_path, provider="ref-none")
    try:
        w.main.deploy(w.spec("img-0"), RedBlack()).raise_for_status()
        w.cloud.faults.crash("disable_server_group", nth=1)  # after the call took effect
        with pytest.raises(SimulatedCrash):
            w.rig().deploy(w.spec("img-1"), RedBlack())
        (pending,) = w.main.deployments()
        assert pending.state.pending is not None
        assert pending.state.pending.op == "disable"
        resumed = w.rig().resume(pending.id)
        assert resumed.status is DeploymentStatus.SUCCEEDED
        disables = [c.args["name"] for c in w.cloud.calls("disable_server_group")]
        assert disables == ["shop-prod-v001", "shop-prod-v001"]
        notes = [e.message for e in resumed.events() if e.kind is EventKind.NOTE]
        assert any("completing disable shop-prod-v001" in n for n in notes)
        assert w.main.deployer.store.get(pending.id).state.pending is None
    finally:
        w.close()


def _blue(steps: tuple[str, ...]) -> type[Strategy]:
    class Blue(Strategy):
        name = "blue"

        def plan(self, run: Run) -> list[Step]:
            known = {
                "create-new": self.create_step("new"),
                "verify-new": self.verify_step("new"),
                "bake": Step("bake", "bake", lambda r: None),
                "switch": Step("switch", "switch", lambda r: switch_traffic(r, r.name("new"))),
            }
            return [known[s] for s in steps]

    return Blue


def _with(world: World, cls: type[Strategy]) -> object:
    class Plugin:
        @hookimpl
        def cloudrig_strategies(self) -> list[type]:
            return [cls]

    rig = world.rig()
    rig.registry.add(Plugin())
    return rig


def test_a_resume_whose_plan_changed_is_refused_unless_migration_is_allowed(world: World) -> None:
    world.main.deploy(world.spec("img-0"), RedBlack()).raise_for_status()
    old = _blue(("create-new", "verify-new", "switch"))
    new = _blue(("create-new", "verify-new", "bake", "switch"))
    world.cloud.faults.crash("set_traffic_weights", after_call=False, nth=1)
    with pytest.raises(SimulatedCrash):
        _with(world, old).deploy(world.spec("img-1"), old())  # type: ignore[attr-defined]
    (pending,) = world.main.deployments()
    upgraded = _with(world, new)
    with pytest.raises(PlanChanged) as err:
        upgraded.resume(pending.id)  # type: ignore[attr-defined]
    message = str(err.value)
    assert "blue [create-new, verify-new, switch]" in message
    assert "blue [create-new, verify-new, bake, switch]" in message
    assert "migrate=True" in message
    assert world.main.deployer.store.get(pending.id).step == pending.step  # nothing changed
    done = upgraded.resume(pending.id, migrate=True)  # type: ignore[attr-defined]
    assert done.status is DeploymentStatus.SUCCEEDED
    assert any("plan migrated" in e.message for e in done.events())
    assert [n for n, g in world.groups().items() if g.enabled] == ["shop-prod-v002"]


def test_the_record_keeps_the_plan_it_started_with(world: World) -> None:
    done = world.main.deploy(world.spec("img-0"), RedBlack(max_remaining=2))
    plan = done.record.state.plan  # type: ignore[union-attr]
    assert plan is not None
    assert plan.steps == ("create-new", "verify-new", "enable-new", "disable-old", "prune")
    assert plan.params["max_remaining"] == 2


# -- item 5: typed state -----------------------------------------------------------------------------
def test_the_state_is_typed_and_refuses_unknown_keys(world: World) -> None:
    done = world.main.deploy(world.spec("img-0"), RedBlack())
    record = world.main.deployer.store.get(done.id)  # type: ignore[arg-type]
    assert isinstance(record.state, DeploymentState)
    assert record.state.names == {"new": "shop-prod-v001"}
    assert record.state.verified == "shop-prod-v001"
    with pytest.raises(ValidationError):
        record.state.bogus = 1  # type: ignore[attr-defined]
    with pytest.raises(ValidationError):
        DeploymentState.model_validate({"orignal": {}})
    data = json.loads(record.model_dump_json())  # the stored form stays readable JSON
    assert data["state"]["names"] == {"new": "shop-prod-v001"}
    data["state"]["typo"] = True
    with pytest.raises(ValidationError):
        DeploymentRecord.model_validate(data)


def test_a_dry_run_uses_a_null_lease_that_refuses_mutations(world: World) -> None:
    steps = world.main.deployer.plan(world.spec("img-0"), RedBlack())
    assert [s[0] for s in steps] == ["create-new", "verify-new", "enable-new", "disable-old"]
    with pytest.raises(DeploymentError, match="dry run"):
        NullLease().check()


# -- item 7: say what is happening -------------------------------------------------------------------
def test_waiting_for_another_workers_lease_is_announced(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    world.main.deploy(world.spec("img-0"), RedBlack()).raise_for_status()
    store = world.main.deployer.store
    assert store.acquire_lease(lease_key("test", "reference-1", world.moniker), "worker-b", 30)
    caplog.set_level(logging.INFO, logger="cloudrig.engine")
    done = world.rig(deployments={"lease_wait": "2m"}).deploy(world.spec("img-1"), RedBlack())
    assert done.status is DeploymentStatus.SUCCEEDED
    first = next(iter(done.events()))
    assert first.kind is EventKind.LEASE_WAIT
    assert first.data["holder"] == "worker-b"
    assert first.data["at_most"] == pytest.approx(120, abs=1)
    assert "worker-b" in first.message
    assert "cluster shop-prod is busy" in caplog.text


def test_a_request_answered_by_another_workers_deployment_says_it_joined(world: World) -> None:
    world.main.deploy(world.spec("img-0"), RedBlack()).raise_for_status()
    rival_rig = world.rig()
    rival: dict[str, object] = {}

    class BusyAtFirst(SqliteStateStore):
        def acquire_lease(self, key: str, holder: str, ttl: float) -> bool:
            if not rival:
                rival["first"] = rival_rig.deploy(world.spec("img-1"), RedBlack())
                return False
            return super().acquire_lease(key, holder, ttl)

    world.store_factory = lambda w: BusyAtFirst(w.store_path, clock=w.clock)
    second = world.rig().deploy(world.spec("img-1"), RedBlack())
    assert second.id == rival["first"].id  # type: ignore[attr-defined]
    kinds = [e.kind for e in second.events()]
    assert kinds == [EventKind.LEASE_WAIT, EventKind.JOINED]
    joined = list(second.events())[-1]
    assert joined.deployment_id == second.id
    assert joined.data["status"] == "succeeded"
