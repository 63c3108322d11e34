"""The crash matrix's driver (issue 14, item 8): kill the deployer right after the k-th request was
applied by the server, then resume the deployment from a fresh ``Rig`` (another process) and let the
caller check the cloud's own state.

A crashed worker leaves its lease behind (``SimulatedCrash`` unwinds like ``kill -9``: nothing
releases it). The resuming process comes after the lease's TTL: its state store is the same SQLite
file read through a clock ``lease_ttl`` seconds ahead, so the old lease has expired for it and for
nothing else (the rig's own clock, the cloud's and every deadline stay real).

Resuming, two ways (``Resume``):
- ``RERUN``: the same call again (``rig.deploy(spec, strategy)`` / ``rig.rollback(...)``): it finds
  the unfinished deployment of the cluster and resumes it;
- ``BY_ID``: ``rig.resume(id)`` of the deployment the crashed run left unfinished; when the crash
  came before the record was written (the strategy's preparing reads) there is nothing to resume
  and the call is re-run instead.

Determinism: the limits have no read cache (``cache.ttl = 0``) so the k-th request is the same
request in every run, and a census test per scenario pins how many requests an uncrashed run makes
(the range of k).
"""

from __future__ import annotations

import contextlib
import enum
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import cloudrig
from cloudrig import SystemClock
from cloudrig.engine import Deployment, DeploymentRecord, DeploymentStatus, SqliteStateStore
from cloudrig.testing import CrashAfterRequest, SimulatedCrash
from support.rig import PassingMetrics, RigFactory, limits

LEASE_TTL = 60.0
CHAOS = os.environ.get("CLOUDRIG_CHAOS", "") not in ("", "0")
"""``make chaos``: every kill point of every scenario (``make test`` runs a representative subset
where the whole matrix would not fit its budget; see ``kill_points``)."""

STORE = "deployments.sqlite3"


class Resume(enum.Enum):
    RERUN = "rerun"
    BY_ID = "by-id"


class _Later(SystemClock):
    """The real clock, ``ahead`` seconds later (monotonic time unchanged)."""

    def __init__(self, ahead: float) -> None:
        self.ahead = ahead

    def now(self) -> datetime:
        return super().now() + timedelta(seconds=self.ahead)


def crash_limits() -> dict[str, Any]:
    """The provider tests' limits without a read cache: the same k is the same request."""
    return limits(cache={"ttl": 0})


def connect(
    factory: RigFactory, tmp: Path, settings: Mapping[str, Any], *, later: bool = False
) -> cloudrig.Rig:
    """A ``Rig`` like ``factory.connect(tmp, settings)`` (same state store file), without a read
    cache; ``later``: a process that starts after the crashed one's lease expired."""
    account = {"provider": factory.provider, **factory.settings, **settings}
    clock = _Later(LEASE_TTL + 1) if later else SystemClock()
    return cloudrig.connect(
        {
            "accounts": {factory.account: account},
            "limits": crash_limits(),
            "deployments": {"lease_ttl": LEASE_TTL},
        },
        plugins=[PassingMetrics()],
        state_store=SqliteStateStore(tmp / STORE, clock=clock),
    )


def is_mutation(request: str) -> bool:
    """``service Operation`` of ``request_log`` changes something (not a Describe/List/Get)."""
    return not request.split()[-1].startswith(("Describe", "List", "Get"))


def mutations(log: list[str]) -> list[int]:
    """The k of each mutating request of a ``request_log``."""
    return [k for k, request in enumerate(log, 1) if is_mutation(request)]


def kill_points(total: int, mutating: tuple[int, ...], *, every: bool = False) -> list[int]:
    """The k to kill at: every one from 1 to ``total`` when ``every`` (or under ``make chaos``),
    else the representative subset: the first request (a crash before the record exists) and
    right after each mutation."""
    if every or CHAOS:
        return list(range(1, total + 1))
    return sorted({1, *mutating})


@dataclass
class Crashed:
    """What the crashed run left: whether it crashed, and its unfinished record (if written)."""

    fired: bool
    requests: int
    unfinished: DeploymentRecord | None


def crash_at(k: int, rig: cloudrig.Rig, action: Callable[[cloudrig.Rig], Any]) -> Crashed:
    """Run ``action(rig)`` and kill it right after its ``k``-th request was applied."""
    with CrashAfterRequest(k) as crash, contextlib.suppress(SimulatedCrash):
        action(rig)
    unfinished = rig.deployments()
    return Crashed(crash.fired, crash.requests, unfinished[0] if unfinished else None)


def check_record(rig: cloudrig.Rig, done: Deployment, crashed: Crashed, serving: str) -> None:
    """The record finished (succeeded), it is the crashed one when the crash left one (no second
    deployment), nothing is left unfinished, and the group it says serves is ``serving``."""
    assert done.status is DeploymentStatus.SUCCEEDED, done.error
    if crashed.unfinished is not None:
        assert done.id == crashed.unfinished.id, "the crashed deployment was resumed, not redone"
    assert rig.deployments() == [], "nothing left unfinished"
    state: Any = rig.deployer.store.get(done.id).state
    says = state.get("verified") if isinstance(state, dict) else state.verified
    assert says == serving, f"the record says {says} serves"


def resume(
    rig: cloudrig.Rig, how: Resume, crashed: Crashed, rerun: Callable[[cloudrig.Rig], Deployment]
) -> Deployment:
    """Resume in another process (``rig``): ``how`` the deployment the crash left."""
    if how is Resume.BY_ID and crashed.unfinished is not None:
        return rig.resume(crashed.unfinished.id)
    return rerun(rig)


def request_log(action: Callable[[], Any]) -> list[str]:
    """``service operation`` of each request ``action`` makes, in order (k = index + 1)."""
    seen: list[str] = []

    class Log(CrashAfterRequest):
        def _answered(self, what: str) -> None:
            seen.append(what)
            super()._answered(what)

    with Log(10**9):
        action()
    return seen
