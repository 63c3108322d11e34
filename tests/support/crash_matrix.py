"""The crash matrix on real providers (issue 14, item 8): kill the deployer right after the k-th
request was applied by the server, for every k, then resume like a restarted process and let the
test check the cloud's own state.

``CrashAfterRequest`` (``cloudrig.testing``) counts every answered request of every limiter gate
in this process, so a first uncrashed run of the same scenario gives the range of k
(``count_requests``). ``crash_and_resume`` runs the operation under the kill switch with one
``Rig`` (the process that dies), then finishes it with a fresh ``Rig`` on the same state store (the
restarted process), in one of two ways an orchestrator resumes:

- ``rerun``: the same call again (``rig.deploy`` of the same spec and strategy, or ``rig.rollback``
  of the same cluster): the engine finds the unfinished deployment of the cluster and resumes it;
- ``id``: ``rig.resume(id)`` of the cluster's unfinished deployment (when the crash came before
  the record was written there is none: the orchestrator then has no id and runs the call again).

The crashed worker's lease is still held in the store after a ``SimulatedCrash`` (a killed process
releases nothing): it frees itself after ``lease_ttl``. The matrix does not wait for that, it
expires the lease in the store (``expire_lease``), which is what the TTL would do.
"""

from __future__ import annotations

import gc
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import cloudrig
from cloudrig import Moniker
from cloudrig.engine import DeploymentRecord, lease_key
from cloudrig.testing import CrashAfterRequest, SimulatedCrash

CHAOS = os.environ.get("CLOUDRIG_CHAOS", "") not in ("", "0")
"""``make chaos`` (``CLOUDRIG_CHAOS=1``): every kill point with both resumptions; ``make test``
runs the subset ``selected`` picks."""

Resume = Literal["rerun", "id"]
RESUMES: tuple[Resume, ...] = ("rerun", "id")
Go = Callable[[cloudrig.Rig], Any]


def selected(k: int, resume: Resume, *, stride: int = 1) -> bool:
    """Whether ``make test`` runs kill point ``k`` with ``resume`` (``make chaos`` runs them all).
    With ``stride`` 1 every k runs once, the two resumptions alternating (odd k by id, even k by
    re-running); a larger stride keeps every ``stride``-th pair of that."""
    if CHAOS:
        return True
    if (k - 1) // 2 % stride:
        return False
    return resume == ("id" if k % 2 else "rerun")


@dataclass
class Outcome:
    """What one kill point did: whether the crash fired, after which request, and the record of
    the cluster's latest deployment once resumed."""

    k: int
    fired: bool
    what: str | None
    record: DeploymentRecord
    records: list[DeploymentRecord] = field(default_factory=list)
    """Every deployment of the cluster made by the crashed run and its resumption (newest first)."""


def count_requests(rig: cloudrig.Rig, go: Go) -> int:
    """How many requests ``go`` makes uncrashed (it must succeed): the matrix's k range."""
    with CrashAfterRequest(10**9) as crash:
        go(rig).raise_for_status()
    return crash.requests


def expire_lease(rig: cloudrig.Rig, account: str, region: str, moniker: Moniker) -> str | None:
    """Free the cluster's lease held by a crashed worker, as its TTL would; its holder."""
    store = rig.deployer.store
    key = lease_key(account, region, moniker)
    holder = store.lease_holder(key)
    if holder is not None:
        store.release_lease(key, holder)
    return holder


def crash_and_resume(
    connect: Callable[[], cloudrig.Rig],
    go: Go,
    k: int,
    resume: Resume,
    *,
    account: str,
    region: str,
    moniker: Moniker,
) -> Outcome:
    """Crash ``go`` right after its k-th request, then finish it from a fresh ``Rig`` (see the
    module docstring). ``connect`` makes a ``Rig`` on the test's state store."""
    before = {r.id for r in _records(connect, account, region, moniker)}
    crashed = connect()
    what: str | None = None
    try:
        with CrashAfterRequest(k) as crash:
            try:
                go(crashed)
            except SimulatedCrash as exc:
                what = str(exc)
    finally:
        crashed.close()
        # What the dead process left (its frames, half-read answers, open generators, in cycles
        # with the exception's traceback) is collected now, like a dead process's memory: left
        # to a later collection, its finalizers may run inside an unrelated ``ast.parse`` and
        # trip CPython 3.11.7's "AST constructor recursion depth mismatch" (pytest's assertion
        # rewriting then fails with INTERNALERROR).
        gc.collect()
    restarted = connect()
    try:
        if crash.fired:
            expire_lease(restarted, account, region, moniker)
        key = lease_key(account, region, moniker)
        pending = [r for r in restarted.deployments(unfinished=True) if r.lease_key == key]
        if resume == "id" and pending:
            assert len(pending) == 1, f"more than one unfinished deployment: {pending}"
            restarted.resume(pending[0].id)
        elif crash.fired:
            go(restarted)
        records = [
            r
            for r in restarted.deployments(unfinished=None)
            if r.lease_key == key and r.id not in before
        ]
    finally:
        restarted.close()
    assert records, "no deployment record was made"
    return Outcome(k=k, fired=crash.fired, what=what, record=records[0], records=records)


def _records(
    connect: Callable[[], cloudrig.Rig], account: str, region: str, moniker: Moniker
) -> list[DeploymentRecord]:
    rig = connect()
    try:
        key = lease_key(account, region, moniker)
        return [r for r in rig.deployments(unfinished=None) if r.lease_key == key]
    finally:
        rig.close()


def eventually(probe: Callable[[], Any], timeout: float = 15.0, interval: float = 0.1) -> Any:
    """``probe()`` until it raises no ``AssertionError`` (controllers act asynchronously)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return probe()
        except AssertionError:
            if time.monotonic() >= deadline:
                raise
            time.sleep(interval)
