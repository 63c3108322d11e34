"""The per-cluster lease: only its holder mutates the cluster.

Checked (and extended) through the store before every mutation, never from a cached belief, and
failing closed: when the store cannot be reached, ``check`` raises ``StateStoreUnavailable`` and the
mutation does not happen. A crashed holder's lease frees itself after ``ttl``.
"""

from __future__ import annotations

import uuid

from cloudrig._clock import Clock
from cloudrig.engine._errors import LeaseHeld, LeaseLost
from cloudrig.engine._store import StateStore


class Lease:
    def __init__(
        self, store: StateStore, key: str, *, ttl: float, clock: Clock, holder: str | None = None
    ) -> None:
        self.store, self.key, self.ttl, self.clock = store, key, ttl, clock
        self.holder = holder or f"worker-{uuid.uuid4().hex[:12]}"
        self.held = False

    def acquire(self, wait: float, *, poll: float = 1.0) -> None:
        """Take the lease, waiting up to ``wait`` seconds for the current holder to finish (or its
        lease to expire); ``LeaseHeld`` after that."""
        deadline = self.clock.monotonic() + wait
        while not self.store.acquire_lease(self.key, self.holder, self.ttl):
            remaining = deadline - self.clock.monotonic()
            if remaining <= 0:
                raise LeaseHeld(self.key, self.store.lease_holder(self.key))
            self.clock.sleep(min(poll, remaining))
            poll = min(poll * 1.5, max(self.ttl / 4, 1.0))
        self.held = True

    def check(self) -> None:
        """Before a mutation: still ours? Extends it; ``LeaseLost`` when not."""
        if not self.store.renew_lease(self.key, self.holder, self.ttl):
            self.held = False
            raise LeaseLost(self.key, self.holder)

    def release(self) -> None:
        if self.held:
            self.store.release_lease(self.key, self.holder)
            self.held = False
