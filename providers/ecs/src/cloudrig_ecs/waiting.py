"""Waiting for a new version's health, failing fast when its tasks stop (ECS's deployment circuit
breaker, for a service per version).

ECS counts the tasks of a deployment that stopped before running or failed their health checks
(``deployments[].failedTasks`` of ``DescribeServices``, read by every health poll anyway). While
it is 0 the wait costs what the core's polling would; once it is not, the stopped tasks are read
(``ListTasks`` with desired status STOPPED + ``DescribeTasks``) and the wait fails at once with
their ``stoppedReason`` (``InvalidSpec``: a bad image or a container that cannot start is not
cured by waiting), so the deployment rolls back within two health polls of the first task
stopping instead of waiting out its deadline. The new version never had traffic; the previous
one keeps serving.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cloudrig import Clock, InvalidSpec, ServerGroup
from cloudrig_aws.health_polls import poll_health

FIRST_POLL = 2.0  # the default of the account's health_poll_interval
_STARTED_FAILURES = ("TaskFailedToStart", "EssentialContainerExited")


def failed_tasks(service: dict[str, Any]) -> int:
    """Tasks of the service's current deployment that failed (ECS's own count)."""
    current = service.get("taskDefinition")
    return sum(
        int(d.get("failedTasks", 0))
        for d in service.get("deployments", [])
        if d.get("taskDefinition", current) == current
    )


def stopped_reasons(tasks: list[dict[str, Any]]) -> list[str]:
    """What stopped tasks say, one line per distinct reason (container reasons included)."""
    reasons: list[str] = []
    for task in tasks:
        parts = [task.get("stoppedReason") or task.get("stopCode") or "stopped"]
        parts += [
            f"{c['name']}: {c['reason']}"
            for c in task.get("containers", [])
            if c.get("reason") and c.get("name")
        ]
        text = "; ".join(parts)
        if text not in reasons:
            reasons.append(text)
    return reasons


def wait_for_health(
    name: str,
    *,
    healthy: int,
    timeout: float,
    clock: Clock,
    read: Callable[[], tuple[ServerGroup, dict[str, Any]]],
    stopped: Callable[[], list[dict[str, Any]]],
    age: float | None = None,
    first_poll: float = FIRST_POLL,
) -> ServerGroup:
    """Poll ``read`` (the group and its service) until ``healthy`` instances are Up or
    ``timeout`` passes (the group as last seen); ``InvalidSpec`` naming the stopped tasks'
    reasons as soon as ECS counts a failed task. ``age``: seconds since this process created
    the service, when it did: a service younger than the first poll interval is not read
    before that interval has passed (its create just answered: no task of it runs yet).
    ``first_poll``: the first pause (the account's ``health_poll_interval``)."""
    if age is not None and age < first_poll:
        wait = max(0.0, min(first_poll - age, timeout))
        clock.sleep(wait)
        timeout -= wait
    seen: list[dict[str, Any]] = []

    def poll() -> ServerGroup:
        group, service = read()
        seen[:] = [service]
        return group

    def fail_fast() -> None:
        failed = failed_tasks(seen[0])
        if failed:
            reasons = stopped_reasons(stopped()) or ["ECS counts failed tasks; none listed"]
            raise InvalidSpec(
                f"{name}: {failed} task(s) stopped: {' | '.join(reasons[:3])}", resource=name
            )

    return poll_health(
        healthy=healthy,
        timeout=max(0.0, timeout),
        clock=clock,
        read=poll,
        first_poll=first_poll,
        check=fail_fast,
    )
