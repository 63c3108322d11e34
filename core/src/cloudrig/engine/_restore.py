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

from cloudrig._model._resources import Capacity
from cloudrig.engine._records import EventKind
from cloudrig.engine._run import Run, even_shares
from cloudrig.engine._waiting import healthy_target


def restore(run: Run, *, timeout: float, healthy_percent: float = 100.0) -> None:
    current = run.groups()
    original = {n: o for n, o in run.original.items() if n in current}
    created = [n for n in run.state.get("names", {}).values() if n in current]
    serving = [n for n, o in original.items() if o["enabled"]]
    resizable = run.capabilities.resizable

    for name, before in original.items():
        capacity = Capacity.model_validate(before["capacity"])
        if resizable and current[name].capacity != capacity:
            run.resize(name, capacity, "unpin" if before.get("pinned_by_us") else "restore")
    for name in serving:
        desired = Capacity.model_validate(original[name]["capacity"]).desired
        target = min(original[name]["healthy"], healthy_target(desired, healthy_percent))
        if target > 0:
            run.try_wait_healthy(name, target, timeout)

    if serving:
        if run.capabilities.splits_traffic:
            shares = {n: original[n]["share"] for n in serving}
            if sum(shares.values()) != 100:
                shares = even_shares(serving)
            run.set_weights(shares)
        for name in serving:
            run.enable(name)
    for name, before in original.items():
        if not before["enabled"] and name not in serving:
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
