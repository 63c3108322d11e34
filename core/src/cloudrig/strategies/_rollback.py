"""Rollback: back to the newest group that was enabled and healthy before the last deployment.

The target comes from the state store (the deployment that put the current group in recorded
which group served before it, and at what capacity); without such a record, the newest older group
that no failed deployment created and whose instances the cloud does not report down. Never a group
that was disabled or failed before the deploy. The target is restored to its capacity, verified
healthy, then given all the traffic (one atomic weight switch where the provider has one), and
only then the bad group leaves traffic — it is kept, disabled, for inspection.
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from cloudrig._model._health import HealthState
from cloudrig._model._resources import Capacity, ServerGroup
from cloudrig.engine import (
    DeploymentNotFound,
    DeploymentStatus,
    EventKind,
    NothingToRollBack,
    Run,
    Step,
)
from cloudrig.strategies._base import Strategy, switch_traffic

CLOUD_SOURCE = "cloud"


class Rollback(Strategy):
    """Back to the newest group that served healthy before the last deployment (or
    ``target_group``): restored, verified, given the traffic; the bad group kept, disabled."""

    name: ClassVar[str] = "rollback"
    roles: ClassVar[tuple[str, ...]] = ()

    target_group: str | None = Field(default=None, description="Roll back to this group")

    def prepare(self, run: Run) -> None:
        cluster = run.record.cluster
        serving = run.serving
        if not serving:
            raise NothingToRollBack(cluster, "no group is enabled")
        bad = serving[-1]
        groups = run.groups()
        target, capacity = self._from_store(run, bad, groups)
        if self.target_group is not None:
            target, capacity = self.target_group, None
        elif target is None:
            target = self._from_cloud(run, bad, groups)
        if target is None or target not in groups or target == bad:
            raise NothingToRollBack(
                cluster,
                f"no group to roll back to from {bad}: no older group that served healthy before "
                f"it (it keeps serving)",
            )
        if capacity is None:
            current = groups[target].capacity
            capacity = groups[bad].capacity if current.desired == 0 else current
        run.state.bad, run.state.target, run.state.target_capacity = bad, target, capacity
        run.state.previous = bad

    def _from_store(
        self, run: Run, bad: str, groups: dict[str, ServerGroup]
    ) -> tuple[str | None, Capacity | None]:
        for record in run.store.find(lease_key=run.record.lease_key):
            if record.id == run.id or record.status is not DeploymentStatus.SUCCEEDED:
                continue
            if record.state.verified != bad:
                continue
            previous = record.state.previous
            if previous and previous in groups and previous in record.state.original:
                return previous, record.state.original[previous].capacity
            return None, None
        return None, None

    def _from_cloud(self, run: Run, bad: str, groups: dict[str, ServerGroup]) -> str | None:
        names = list(groups)
        for name in reversed(names[: names.index(bad)]):
            group = groups[name]
            if group.deployment_id and _failed(run, group.deployment_id):
                continue
            down = any(
                d.source == CLOUD_SOURCE and d.state is HealthState.DOWN
                for i in group.instances
                for d in i.details
            )
            if not down:
                return name
        return None

    def plan(self, run: Run) -> list[Step]:
        def grow(run: Run) -> None:
            target, capacity = _target(run)
            run.emit(EventKind.NOTE, f"rolling back from {run.state.bad} to {target}")
            if run.capabilities.resizable:
                run.resize(target, capacity, "restore")

        def verify(run: Run) -> None:
            # Traffic moves only onto a group healthy at its original capacity: a breach here
            # fails the rollback and the bad group keeps serving (never the last one out).
            target, capacity = _target(run)
            run.wait_healthy(target, self.target(capacity.desired), self.health_timeout)
            run.state.verified = target

        def switch(run: Run) -> None:
            switch_traffic(run, _target(run)[0])

        return [
            Step("restore-target", "restore the target's capacity", grow),
            Step("verify-target", "wait until the target is healthy", verify),
            Step("switch-traffic", "all traffic to the target, the bad group out", switch),
        ]


def _target(run: Run) -> tuple[str, Capacity]:
    target, capacity = run.state.target, run.state.target_capacity
    assert target is not None  # set by prepare
    assert capacity is not None
    return target, capacity


def _failed(run: Run, deployment_id: str) -> bool:
    try:
        record = run.store.get(deployment_id)
    except DeploymentNotFound:
        return False
    return record.status is not DeploymentStatus.SUCCEEDED
