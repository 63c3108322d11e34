"""API economy, counted at the proxy (benchmarks/calls/ecs.py runs the same scenarios and
records them): an ECS red/black onto a cluster with one previous version stays within its
budget, and every request was admitted by the limiter."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from support.calls import ecs
from support.calls.harness import Result, measure

pytestmark = pytest.mark.moto


@pytest.fixture
def run_scenario(
    moto_aws: Any, ecs_env: None, ecs_cluster: str, fault_proxy: Callable[..., Any]
) -> Callable[[str], Result]:
    def run(name: str) -> Result:
        moto_aws.reset()
        scenario = next(s for s in ecs.scenarios(moto_aws) if s.name == name)
        return measure(scenario, lambda: fault_proxy(moto_aws.url))

    return run


def test_hand_written_baseline_makes_five_requests(
    run_scenario: Callable[[str], Result],
) -> None:
    result = run_scenario("boto3-ecs-red-black-baseline")
    assert result.total == 5, result.by_operation


def test_red_black_within_budget_and_all_admitted(run_scenario: Callable[[str], Result]) -> None:
    result = run_scenario("cloudrig-ecs-red-black")
    assert result.total <= ecs.BUDGET, result.by_operation
    assert result.admitted == result.total, "every request passes the limiter"
    writes = {
        op: n for op, n in result.by_operation.items() if not op.startswith(("Describe", "List"))
    }
    assert writes == {
        "RegisterTaskDefinition": 1,
        "CreateTargetGroup": 1,
        "CreateService": 1,
        "ModifyListener": 2,  # the new group joins with weight 0, then the switch
    }
