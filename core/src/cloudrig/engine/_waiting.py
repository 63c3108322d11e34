"""Waiting for a server group's health: deadlines, the provider's efficient wait, or polling.

Where the provider declares ``efficient_wait`` its ``wait_for_health`` (a watch) is used, in slices
short enough to renew the lease between them; otherwise the group is polled with exponential
backoff. Polls may be served from a provider's read cache (N deployments waiting in one process
share one call per poll); the poll that says "healthy" is confirmed by a fresh read before the
caller acts on it. Time comes from the run's clock, so a ten-minute wait costs nothing in virtual
time.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from cloudrig._account import Account
from cloudrig._clock import Clock
from cloudrig._model._resources import ServerGroup
from cloudrig.engine._errors import WaitTimeout

FIRST_POLL, MAX_POLL, BACKOFF = 2.0, 30.0, 1.5


def healthy_target(desired: int, percent: float) -> int:
    """How many instances must be Up for ``percent`` of ``desired`` (at least one when any)."""
    if desired <= 0:
        return 0
    return max(1, math.ceil(desired * percent / 100 - 1e-9))


def wait_for_health(
    account: Account,
    region: str,
    name: str,
    *,
    healthy: int,
    timeout: float,
    clock: Clock,
    keepalive: Callable[[], None],
    read: Callable[[Callable[[], ServerGroup]], ServerGroup],
    cached_read: Callable[[Callable[[], ServerGroup]], ServerGroup] | None = None,
    slice_seconds: float = 20.0,
) -> ServerGroup:
    """Return the group once ``healthy`` instances are Up; ``WaitTimeout`` at the deadline.

    ``keepalive`` runs between polls (it renews the lease and raises when it is lost); ``read``
    makes a fresh, retried read (decisions); ``cached_read`` a retried read that may be served from
    a read cache (defaults to ``read``).
    """
    cached_read = cached_read or read
    deadline = clock.monotonic() + timeout
    poll = FIRST_POLL
    efficient = account.capabilities.efficient_wait
    enabled = True
    while True:
        remaining = deadline - clock.monotonic()
        if efficient and remaining > 0 and enabled:
            chunk = min(remaining, slice_seconds)
            group = read(
                lambda chunk=chunk: account.server_groups.wait_for_health(  # type: ignore[misc]
                    region, name, healthy=healthy, timeout=chunk
                )
            )
        else:
            group = cached_read(lambda: account.server_groups.get(region, name))
            if group.ready >= healthy and cached_read is not read:
                group = read(lambda: account.server_groups.get(region, name))  # confirm, fresh
        enabled = group.enabled
        if group.ready >= healthy:
            return group
        remaining = deadline - clock.monotonic()
        if remaining <= 0:
            raise WaitTimeout(
                f"{name}: {group.ready} of {healthy} instances healthy after {timeout:.0f}s "
                f"({group.counts.down} down, {group.counts.starting} starting)"
            )
        keepalive()
        if not (efficient and enabled):
            clock.sleep(min(poll, remaining))
            poll = min(poll * BACKOFF, MAX_POLL, slice_seconds)  # renew well inside the TTL
