"""One fault scenario: set up a cluster, inject a fault at a chosen mutating call, deploy, resume
until the deployment is finished (as a restarted worker would), then check the invariants."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from strategies.invariants import Checker
from strategies.world import ACCOUNT, REGION, World

from cloudrig import ProviderFailure, Throttled
from cloudrig.canary import MetricSpec
from cloudrig.engine import DeploymentRecord, DeploymentStatus, LeaseLost, lease_key
from cloudrig.provider import MUTATING
from cloudrig.strategies import (
    Canary,
    Highlander,
    RedBlack,
    Rollback,
    RollingRedBlack,
    Strategy,
)
from cloudrig.testing import ReferenceCloud, SimulatedCrash

METRICS = (MetricSpec(name="latency", critical=True), MetricSpec(name="errors"))


@dataclass(frozen=True)
class Case:
    make: Callable[[], Strategy]
    roles: int
    max_remaining: int | None = None
    destroys_old: bool = False


CASES: dict[str, Case] = {
    "highlander": Case(Highlander, 1, destroys_old=True),
    "red-black": Case(lambda: RedBlack(max_remaining=2), 1, max_remaining=2),
    "rolling": Case(lambda: RollingRedBlack(steps=(50, 100)), 1),
    "canary": Case(lambda: Canary(metrics=METRICS, intervals=2, interval=60), 2),
    "rollback": Case(Rollback, 0),
    # first deployments of an empty cluster (issue 14, item 1): no old version, and a failure
    # leaves no half-serving group claiming success
    "first-highlander": Case(Highlander, 1, destroys_old=True),
    "first-red-black": Case(
        lambda: RedBlack(max_remaining=2, scale_down_after="10m"), 1, max_remaining=2
    ),
    "first-rolling": Case(lambda: RollingRedBlack(steps=(50, 100), scale_down_after="1m"), 1),
}
FAULTS = (
    "crash",
    "5xx",
    "throttle",
    "boot_failure",
    "unhealthy_old",
    "metric_outage",
    "second_worker",
)
HEALTH_TIMEOUT = 1800.0


def setup(world: World, name: str) -> None:
    if name.startswith("first-"):
        return
    world.main.deploy(world.spec("img-0"), RedBlack()).raise_for_status()
    if name == "rollback":
        world.main.deploy(world.spec("img-1"), RedBlack()).raise_for_status()


def start(world: World, name: str) -> Callable[[Any], Any]:
    case = CASES[name]
    if name == "rollback":
        return lambda rig: rig.rollback(ACCOUNT, world.moniker, REGION)
    spec = world.spec("img-new")
    strategy = case.make()
    return lambda rig: rig.deploy(spec, strategy)


def unfinished(world: World) -> list[DeploymentRecord]:
    rig = world.rig()
    return rig.deployments(unfinished=True)


def inject(
    world: World, checker: Checker, fault: str, k: int, when: str, new_names: list[str]
) -> dict[str, Any]:
    """Arm ``fault`` at the k-th mutating call from now (``when``: before or after it)."""
    faults = world.cloud.faults
    info: dict[str, Any] = {}
    if fault == "crash":
        faults.crash(MUTATING, after_call=(when == "after"), nth=k)
    elif fault in ("5xx", "throttle"):
        error: Callable[[str], Exception] = (
            (lambda op: ProviderFailure(f"injected 503 in {op}"))
            if fault == "5xx"
            else (lambda op: Throttled(f"injected throttling in {op}", retry_after=2.0))
        )
        if when == "before":
            faults.fail(MUTATING, error, nth=k)
        else:  # the call takes effect, then its answer is an error (a lost response)

            def fail_after() -> None:
                world.after_errors += 1
                raise error("after")

            world.after_mutations(k, fail_after)
    else:
        position = k if when == "after" else k - 1
        if fault == "boot_failure":
            world.after_mutations(position, lambda: world.cloud.boot_failures.update(new_names))
        elif fault == "unhealthy_old":
            world.after_mutations(position, checker.force_old_down)
        elif fault == "metric_outage":
            world.after_mutations(position, lambda: setattr(world.metrics, "outage", True))
        elif fault == "second_worker":

            def steal() -> None:
                key = lease_key(ACCOUNT, REGION, world.moniker)
                world.clock.advance(61)  # the first worker stalls past its lease TTL...
                store = world.rig().deployer.store
                assert store.acquire_lease(key, "intruder", 30.0)  # ...and another takes over
                info["stolen_at"] = len(world.cloud.history)

            world.after_mutations(position, steal)
    return info


def run(
    tmp: Path,
    name: str,
    fault: str | None = None,
    k: int = 0,
    when: str = "after",
    provider: str = "reference",
    store_factory: Callable[[World], Any] | None = None,
) -> tuple[World, DeploymentRecord, Checker]:
    world = World(tmp, provider=provider, store_factory=store_factory)
    try:
        setup(world, name)
        groups = list(world.groups())
        seq = len(groups) + 1  # the first version of a cluster is v001
        new_names = [f"shop-prod-v{seq + i:03d}" for i in range(2)]
        replacement = groups[-2] if name == "rollback" else None
        checker = Checker(
            world,
            service_size=world.desired,
            replacement=replacement,
            protected={groups[-1]} if name == "rollback" else None,
        )
        info = inject(world, checker, fault, k, when, new_names) if fault else {}
        go = start(world, name)
        record = drive(world, go, info)
        checker.interrupted = info.get("interrupted")
        if name.startswith("first-"):
            assert_no_half_serving_group(world, record)
        if record.status is DeploymentStatus.AWAITING_APPROVAL:
            assert_not_promoted(world, record)
            record = _record(world.rig().promote(record.id, approve=False))
        case = CASES[name]
        checker.final(
            record,
            roles=case.roles,
            resizable=world.account.capabilities.resizable,
            max_remaining=case.max_remaining,
            destroys_old=case.destroys_old,
        )
        return world, record, checker
    finally:
        world.close()


def drive(world: World, go: Callable[[Any], Any], info: dict[str, Any]) -> DeploymentRecord:
    """Run, and on an interruption resume from the store with a fresh worker, like a restart."""
    try:
        return _record(go(world.rig()))
    except SimulatedCrash:
        info["interrupted"] = "crash"
    except LeaseLost:
        info["interrupted"] = "lease lost"
        stolen = info["stolen_at"]
        after = [
            e for e in world.cloud.history[stolen:] if e.kind == "call" and e.operation in MUTATING
        ]
        assert not after, f"invariant 7: the worker that lost its lease mutated: {after}"
    for _ in range(3):
        pending = unfinished(world)
        if not pending:
            break
        assert len(pending) == 1
        record = _record(world.rig().resume(pending[0].id))
        if record.status.finished or record.status is DeploymentStatus.AWAITING_APPROVAL:
            return record
    records = world.rig().deployments(unfinished=None)
    return records[0]


def _record(deployment: Any) -> DeploymentRecord:
    assert deployment.record is not None
    return deployment.record


def assert_no_half_serving_group(world: World, record: DeploymentRecord) -> None:
    """A first deployment either succeeded with its group serving healthy at full size, or failed
    with it out of traffic: never a group in traffic below its size under a finished record."""
    for group in world.groups().values():
        if record.status is DeploymentStatus.SUCCEEDED:
            assert group.enabled, f"{group.name} not serving after success"
            assert group.healthy >= world.desired, f"{group.name} serving at {group.healthy}"
        elif record.status.finished:
            assert not group.enabled, f"{group.name} still serving after {record.status.value}"


def assert_not_promoted(world: World, record: DeploymentRecord) -> None:
    """Invariant 9: an inconclusive (or no-data) analysis never promotes."""
    canary = record.state.names["canary"]
    key = (REGION, "shop", "prod", "")
    shares = world.cloud.traffic(key)
    assert shares.get(canary, 0) <= 10, f"invariant 9: canary got {shares}"
    group = world.groups()[canary]
    assert group.capacity.desired < world.desired, "invariant 9: canary was grown"


def clean_trace(name: str, provider: str = "reference") -> int:
    """How many mutating calls the fault-free deployment makes (the matrix's positions)."""
    with tempfile.TemporaryDirectory() as tmp:
        world = World(Path(tmp), provider=provider)
        try:
            setup(world, name)
            before = world.mutating_calls()
            record = _record(start(world, name)(world.rig()))
            assert record.status is DeploymentStatus.SUCCEEDED, record.error
            return world.mutating_calls() - before
        finally:
            ReferenceCloud.reset(world.cloud_name)
