"""The health poll interval (``health_poll_interval``, issue 17): validated, 2 s unless set, and
the cadence of the provider's own health wait — the first poll of a new service not before it,
then pauses growing by half — on virtual time (``ManualClock``), for ECS and Lambda alike."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from cloudrig import (
    Capacity,
    HealthDetail,
    HealthState,
    Instance,
    InvalidSpec,
    Moniker,
    ServerGroup,
)
from cloudrig.testing import ManualClock
from cloudrig_aws.health_polls import poll_health
from cloudrig_ecs import EcsAccountSettings, waiting
from cloudrig_lambda import LambdaAccountSettings


def group(up: bool, enabled: bool = False) -> ServerGroup:
    states = [HealthState.UP if up else HealthState.STARTING, HealthState.OUT_OF_SERVICE]
    details = tuple(
        HealthDetail(source=s, state=state, description="")
        for s, state in zip(("ecs", "target-group:web"), states, strict=True)
    )
    return ServerGroup(
        name="shop-prod-v002",
        moniker=Moniker(app="shop", stack="prod", sequence=2),
        account="ecs-test",
        region="us-east-1",
        capacity=Capacity.fixed(1),
        instances=(Instance(id="t1", details=details),),
        enabled=enabled,
    )


@pytest.mark.parametrize("model", [EcsAccountSettings, LambdaAccountSettings])
def test_the_interval_is_two_seconds_unless_set_and_bounded(model: Any) -> None:
    assert model.model_validate({"regions": ["us-east-1"]}).health_poll_interval == 2.0
    set_ = model.model_validate({"regions": ["us-east-1"], "health_poll_interval": 0.3})
    assert set_.health_poll_interval == 0.3
    for bad in (0, 0.01, 16, "soon"):
        with pytest.raises(ValidationError, match="health_poll_interval"):
            model.model_validate({"regions": ["us-east-1"], "health_poll_interval": bad})


def test_a_new_service_is_first_polled_one_interval_after_its_create_then_by_growing_pauses() -> (
    None
):
    clock = ManualClock()
    start = clock.monotonic()
    polls: list[float] = []

    def read() -> tuple[ServerGroup, dict[str, Any]]:
        polls.append(round(clock.monotonic() - start, 3))
        return group(up=len(polls) == 4), {"deployments": []}

    found = waiting.wait_for_health(
        "shop-prod-v002",
        healthy=1,
        timeout=60,
        clock=clock,
        read=read,
        stopped=lambda: [],
        age=0.1,
        first_poll=0.3,
    )
    # a disabled group's OutOfService target does not count against it (the core's rule)
    assert found.ready == 1
    assert polls == [0.2, 0.5, 0.95, 1.625]


def test_a_failed_task_fails_the_wait_at_the_first_poll_that_counts_it() -> None:
    clock = ManualClock()
    service = {
        "taskDefinition": "td:2",
        "deployments": [{"taskDefinition": "td:2", "failedTasks": 1}],
    }
    stopped = [{"stoppedReason": "CannotPullContainerError: no such image"}]
    with pytest.raises(InvalidSpec, match="CannotPullContainerError"):
        waiting.wait_for_health(
            "shop-prod-v002",
            healthy=1,
            timeout=60,
            clock=clock,
            read=lambda: (group(up=False), service),
            stopped=lambda: stopped,
            first_poll=0.3,
        )


def test_the_wait_returns_the_group_as_last_seen_at_its_deadline() -> None:
    clock = ManualClock()
    start = clock.monotonic()
    reads: list[float] = []

    def read() -> ServerGroup:
        reads.append(clock.monotonic() - start)
        return group(up=False)

    found = poll_health(healthy=1, timeout=5, clock=clock, read=read, first_poll=2.0)
    assert found.healthy == 0
    assert reads == pytest.approx([0, 2, 5])  # 2 s, then 3 s — cut at the deadline
