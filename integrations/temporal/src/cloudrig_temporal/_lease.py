"""The per-cluster lease on Temporal: the embedded engine's lease (``cloudrig.engine.Lease``'s
store operations, the same ``lease_ttl``, ``lease_wait``, ``LEASE_WAIT`` event and ``LeaseHeld``
error), kept in the workers' shared state store (the ``deployments`` section of their
configuration: Redis when the workers are on several machines, as the limiter is).

Why the state store and not a lease workflow: the holder is the deployment's *workflow id*, not a
worker, so a worker killed in a step frees nothing and blocks nothing — the step's next attempt,
on any worker, is the same holder and takes the lease back at once; and a deployment that is gone
for good (its workflow terminated, its namespace lost) frees the cluster by itself after
``lease_ttl``, because only a running step renews it. A lease workflow would also survive killed
workers, but nothing would free it when its holder's workflow is terminated without releasing.

Every activity takes the lease first (waiting up to ``lease_wait`` while another deployment holds
it, heartbeating meanwhile), every checkpoint renews it (fenced: a lease taken over stops the step
with ``LeaseLost`` before its next mutation, and Temporal runs it again, waiting for the lease),
and the activity that ends the deployment releases it. Between activities nobody renews it, so
an activity that hands the workflow a wait extends it over that wait: a delay until its end, a
gate until its approval timeout (``hold`` without one) — the cluster stays the deployment's
while it waits at a gate, so another deployment of it waits for it (or, past ``lease_wait``, is
refused with ``LeaseHeld``), as one that races a running embedded deployment does.
"""

from __future__ import annotations

from collections.abc import Callable

from temporalio import activity

from cloudrig._clock import Clock
from cloudrig.engine import Lease, LeaseLost, NullLease, StateStore

POLL = 1.0


class ClusterLease:
    """The lease of cluster ``key`` held by the deployment's workflow ``holder``."""

    def __init__(
        self,
        store: StateStore,
        key: str,
        holder: str,
        *,
        ttl: float,
        clock: Clock,
        heartbeat_timeout: float,
    ) -> None:
        self.store, self.key, self.holder = store, key, holder
        self.ttl, self.clock = ttl, clock
        # Waiting for the lease heartbeats often enough to stay alive.
        self.poll = min(POLL, heartbeat_timeout / 3)
        self._lease = Lease(store, key, ttl=ttl, clock=clock, holder=holder)

    def acquire(
        self,
        wait: float,
        on_wait: Callable[[str | None, float], None],
        heartbeat: Callable[[], None],
    ) -> None:
        """Take it (at once when this deployment holds it already), waiting up to ``wait``
        seconds for another holder; ``LeaseHeld`` after that. ``on_wait(holder, at_most)`` is
        told once when the cluster is busy; ``heartbeat`` runs between tries (it reports the
        state the attempt started from, so a next attempt still resumes from it)."""
        self._lease.acquire(
            wait, poll=self.poll, max_poll=self.poll, on_wait=on_wait, between=heartbeat
        )

    def renew(self, longer: float = 0.0) -> None:
        """Still this deployment's? Extends it by ``lease_ttl`` (and ``longer``); ``LeaseLost``
        when another holds it."""
        if not self.store.renew_lease(self.key, self.holder, self.ttl + longer):
            raise LeaseLost(self.key, self.holder)

    def release(self) -> None:
        self.store.release_lease(self.key, self.holder)


class AbortRequested(LeaseLost):
    """The workflow cancelled the running step (an abort): it stops at this checkpoint, like a
    lost lease, and the activity undoes the deployment from there."""


class HeartbeatLease(NullLease):
    """What fences a step on Temporal: the cluster's lease, renewed at every check, and the
    activity's heartbeat. A worker that stopped heartbeating for ``heartbeat_timeout`` has its
    step run again elsewhere; when it wakes up, its next check finds its attempt cancelled and it
    mutates nothing more."""

    held = True

    def __init__(self, cluster: ClusterLease, ttl: float) -> None:
        self.cluster = cluster
        self.key, self.holder = cluster.key, cluster.holder
        self.ttl = ttl
        self.abortable = False
        """While a step runs: an abort's cancellation stops it (``AbortRequested``), once."""

    def check(self) -> None:
        if activity.is_cancelled():
            why = activity.cancellation_details()
            requested = why is not None and why.cancel_requested and not why.timed_out
            if requested and self.abortable:
                self.abortable = False  # the restore that follows runs on
                raise AbortRequested(self.key, f"{self.holder} (aborted)")
            if not requested:
                raise LeaseLost(
                    self.key, f"{self.holder} (its activity was cancelled or timed out)"
                )
            # else: an abort being carried out in this attempt
        self.cluster.renew()
