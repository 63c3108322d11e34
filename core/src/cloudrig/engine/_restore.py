"""Putting a cluster back the way it was before a deployment (docs/architecture.md §6, invariant 4 and 10).

One converging procedure for every strategy, so each exit path restores the same things:

1. every group that existed before goes back to its original capacity (this also unpins a source
   pinned against its autoscaler, and re-grows one that was scaled down), and the groups that were
   serving are waited for (best effort, within the deadline: the bad group is not taken out before
   the good one can carry the load unless it cannot get healthy at all);
2. the serving groups get all the traffic back: one atomic weight switch where the provider splits
   traffic, else enable;
3. groups that were disabled before but are enabled now are disabled again;
4. the groups this deployment created are disabled, then scaled down to zero.

Each action is skipped when already done, so a restore interrupted by a crash resumes by running
again from the top.
"""

from __future__ import annotations

from cloudrig._model._resources import Capacity, ServerGroup
from cloudrig.engine._errors import NothingToRollBack
from cloudrig.engine._records import EventKind
from cloudrig.engine._run import Run, even_shares
from cloudrig.engine._waiting import healthy_target


def restore(run: Run, *, timeout: float, healthy_percent: float = 100.0) -> None:
    """Put ``run``'s cluster back as it was before the deployment (the procedure above), waiting
    up to ``timeout`` for the serving groups to be ``healthy_percent`` healthy."""
    current = run.groups()
    original = {n: o for n, o in run.original.items() if n in current}
    created = [n for n in run.state.names.values() if n in current]
    serving = [n for n, o in original.items() if o.enabled]
    resizable = run.capabilities.resizable

    for name, before in original.items():
        if resizable and current[name].capacity != before.capacity:
            run.resize(name, before.capacity, "unpin" if before.pinned_by_us else "restore")
    # A rollback asked for while the new group serves healthy moves traffic only onto groups
    # healthy at their original capacity: when they cannot get there, it stops (WaitTimeout) and
    # the new group keeps serving. A failure (the new group is the problem) waits best effort.
    strict = run.state.rollback_requested and bool(_serving_now(run, created, current))
    for name in serving:
        before = original[name]
        target = min(before.healthy, healthy_target(before.capacity.desired, healthy_percent))
        if target > 0 and strict:
            run.wait_healthy(name, target, timeout)
        elif target > 0:
            run.try_wait_healthy(name, target, timeout)

    if serving:
        if run.capabilities.splits_traffic:
            shares = {n: original[n].share for n in serving}
            if sum(shares.values()) != 100:
                shares = even_shares(serving)
            run.set_weights(shares)
        for name in serving:
            run.enable(name)
    for name, before in original.items():
        if not before.enabled and name not in serving:
            run.disable(name)
    for name in created:
        run.disable(name)
    if resizable:
        for name in created:
            run.resize(
                name, Capacity(min=0, desired=0, max=current[name].capacity.max), "scale down"
            )
    run.emit(
        EventKind.ROLLED_BACK,
        "restored: " + (", ".join(serving) or "no group") + " serving as before",
        serving[-1] if serving else None,
    )


def check_rollback(run: Run) -> None:
    """Before a rollback asked for while the deployment is in flight: refuse (``NothingToRollBack``,
    nothing changed) when no group that served before it still exists while a group it created
    serves — rolling back would take the cluster's last serving group out of traffic."""
    current = run.groups()
    if any(name in current for name in run.serving):
        return
    created = [n for n in run.state.names.values() if n in current]
    serving = _serving_now(run, created, current)
    if serving:
        raise NothingToRollBack(
            run.record.cluster,
            f"{', '.join(serving)} of deployment {run.id} is its only serving group and no group "
            "served before that deployment; it keeps serving (resume or promote the deployment "
            "to finish it)",
        )


def _serving_now(run: Run, created: list[str], current: dict[str, ServerGroup]) -> list[str]:
    return [n for n in created if current[n].enabled and current[n].healthy > 0]
