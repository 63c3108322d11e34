"""Polling a new version's health in a provider's own wait (``efficient_wait``), shared by the
ECS and Lambda providers: one read per poll, which the deployment engine runs fresh (it decides
the traffic switch), where the engine's own polling makes a cached read and a fresh confirmation.

``ready`` counts as the engine does; ``poll_health`` pauses ``first_poll`` seconds (the account's
``health_poll_interval``), then 1.5 times more each time up to ``MAX_POLL``.
"""

from __future__ import annotations

from collections.abc import Callable

from cloudrig import Clock, HealthState, ServerGroup

MAX_POLL, BACKOFF = 15.0, 1.5


def ready(group: ServerGroup) -> int:
    """Instances that are Up; for a disabled group (weight 0) a load balancer source that says
    out of service is not held against it (the core counts the same way)."""
    if group.enabled:
        return group.healthy
    count = 0
    for instance in group.instances:
        states = {d.state for d in instance.details if d.state is not HealthState.OUT_OF_SERVICE}
        if HealthState.UP in states and states <= {HealthState.UP, HealthState.UNKNOWN}:
            count += 1
    return count


def poll_health(
    *,
    healthy: int,
    timeout: float,
    clock: Clock,
    read: Callable[[], ServerGroup],
    first_poll: float,
    check: Callable[[], None] | None = None,
) -> ServerGroup:
    """``read`` until ``healthy`` instances are Up or ``timeout`` passes (the group as last
    seen); ``check`` runs after each poll that is not ready (it may raise to fail fast)."""
    deadline = clock.monotonic() + timeout
    pause = first_poll
    while True:
        group = read()
        if ready(group) >= healthy:
            return group
        if check is not None:
            check()
        remaining = deadline - clock.monotonic()
        if remaining <= 0:
            return group
        clock.sleep(min(pause, remaining))
        pause = min(pause * BACKOFF, MAX_POLL)
