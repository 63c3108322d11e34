"""Polling a new version's health in a provider's own wait (``efficient_wait``), shared by the
ECS and Lambda providers: one read per poll, which the deployment engine runs fresh (it decides
the traffic switch), where the engine's own polling makes a cached read and a fresh confirmation.

A poll counts ``ServerGroup.ready`` as the engine's wait does; ``poll_health`` pauses ``first_poll`` seconds (the account's
``health_poll_interval``), then 1.5 times more each time up to ``MAX_POLL``.
"""

from __future__ import annotations

from collections.abc import Callable

from cloudrig import Clock, ServerGroup

MAX_POLL, BACKOFF = 15.0, 1.5


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
        if group.ready >= healthy:
            return group
        if check is not None:
            check()
        remaining = deadline - clock.monotonic()
        if remaining <= 0:
            return group
        clock.sleep(min(pause, remaining))
        pause = min(pause * BACKOFF, MAX_POLL)
