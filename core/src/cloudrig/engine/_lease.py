"""The per-cluster lease: only its holder mutates the cluster.

Checked (and extended) through the store before every mutation, never from a cached belief, and
failing closed: when the store cannot be reached, ``check`` raises ``StateStoreUnavailable`` and the
mutation does not happen. A crashed holder's lease frees itself after ``ttl``.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

from cloudrig._clock import Clock
from cloudrig.engine._errors import DeploymentError, LeaseHeld, LeaseLost
from cloudrig.engine._store import StateStore


class Lease:
    """A cluster's lease in ``store`` under ``key``, for ``holder`` (a fresh worker id unless
    given): ``acquire`` it, ``check`` it before every mutation, ``release`` it at the end."""

    def __init__(
        self, store: StateStore, key: str, *, ttl: float, clock: Clock, holder: str | None = None
    ) -> None:
        self.store, self.key, self.ttl, self.clock = store, key, ttl, clock
        self.holder = holder or f"worker-{uuid.uuid4().hex[:12]}"
        self.held = False

    def acquire(
        self,
        wait: float,
        *,
        poll: float = 1.0,
        max_poll: float | None = None,
        on_wait: Callable[[str | None, float], None] | None = None,
        between: Callable[[], None] | None = None,
    ) -> None:
        """Take the lease, waiting up to ``wait`` seconds for the current holder to finish (or its
        lease to expire); ``LeaseHeld`` after that. ``on_wait(holder, at_most)`` is told once when
        the cluster is busy, so a caller can say that it waits, for whom and how long at most;
        ``between`` runs before each pause (a Temporal activity heartbeats there). Tries are
        ``poll`` seconds apart at first, 1.5 times more each time up to ``max_poll`` (default: a
        quarter of the TTL, at least 1 s)."""
        ceiling = max(self.ttl / 4, 1.0) if max_poll is None else max_poll
        deadline = self.clock.monotonic() + wait
        told = False
        while not self.store.acquire_lease(self.key, self.holder, self.ttl):
            remaining = deadline - self.clock.monotonic()
            if remaining <= 0:
                raise LeaseHeld(self.key, self.store.lease_holder(self.key))
            if not told and on_wait is not None:
                told = True
                on_wait(self.store.lease_holder(self.key), remaining)
            if between is not None:
                between()
            self.clock.sleep(min(poll, remaining))
            poll = min(poll * 1.5, ceiling)
        self.held = True

    def check(self) -> None:
        """Before a mutation: still ours? Extends it; ``LeaseLost`` when not."""
        if not self.store.renew_lease(self.key, self.holder, self.ttl):
            self.held = False
            raise LeaseLost(self.key, self.holder)

    def release(self) -> None:
        """Give the lease back if held (another's lease is left alone)."""
        if self.held:
            self.store.release_lease(self.key, self.holder)
            self.held = False


class NullLease:
    """The lease of a dry run: it holds nothing, and any mutation attempted through it is refused
    (a dry run only reads)."""

    key = "dry-run"
    holder = "dry-run"
    ttl = 60.0
    held = False

    def check(self) -> None:
        """Always refuses: a dry run changes nothing."""
        raise DeploymentError("a dry run changes nothing: mutation refused")

    def release(self) -> None:
        """Nothing to give back."""
