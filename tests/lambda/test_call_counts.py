"""API economy, counted at the proxy (benchmarks/calls/awslambda.py runs the same scenarios and
records them): a Lambda red/black onto a cluster with one previous version, on demand and with
provisioned concurrency, stays within its budget, and every request was admitted by the
limiter."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from support.calls import awslambda
from support.calls.harness import Result, measure

pytestmark = pytest.mark.moto


@pytest.fixture
def run_scenario(
    moto_aws: Any, lambda_env: None, fault_proxy: Callable[..., Any]
) -> Callable[[str], Result]:
    def run(name: str) -> Result:
        moto_aws.reset()
        scenario = next(s for s in awslambda.scenarios(moto_aws) if s.name == name)
        return measure(
            scenario, lambda: awslambda.counting_proxy(moto_aws, fault_proxy(moto_aws.url))
        )

    return run


def test_hand_written_baseline_makes_three_requests(
    run_scenario: Callable[[str], Result],
) -> None:
    result = run_scenario("boto3-lambda-red-black-baseline")
    assert result.total == 3, result.by_operation


WRITES = {
    "PUT /2015-03-31/functions/shop-prod/configuration": 1,
    "PUT /2015-03-31/functions/shop-prod/code": 1,
    "POST /2015-03-31/functions/shop-prod/versions": 1,
    "PUT /2015-03-31/functions/shop-prod/aliases/live": 1,
}
PC = "/2019-09-30/functions/shop-prod/provisioned-concurrency"


def writes(result: Result) -> dict[str, int]:
    return {op: n for op, n in result.by_operation.items() if op.split()[0] in ("PUT", "POST")}


def assert_listed_by_tag(result: Result) -> None:
    """The cluster's function is found by its app tag (tag:GetResources), never by a scan of
    the region's functions (ListFunctions)."""
    assert result.by_operation.get("GetResources") == 1, result.by_operation
    assert "GET /2015-03-31/functions" not in result.by_operation, result.by_operation


def test_red_black_within_budget_and_all_admitted(run_scenario: Callable[[str], Result]) -> None:
    """On demand (the default): the four writes of a deployment, no provisioned concurrency."""
    result = run_scenario("cloudrig-lambda-red-black")
    assert result.total <= awslambda.BUDGET, result.by_operation
    assert result.admitted == result.total, "every request passes the limiter"
    assert writes(result) == WRITES
    assert not [op for op in result.by_operation if PC in op]
    assert_listed_by_tag(result)


def test_provisioned_red_black_within_budget_and_all_admitted(
    run_scenario: Callable[[str], Result],
) -> None:
    """With provisioned concurrency: one Put more, and its reads."""
    result = run_scenario("cloudrig-lambda-red-black-provisioned")
    assert result.total <= awslambda.PROVISIONED_BUDGET, result.by_operation
    assert result.admitted == result.total, "every request passes the limiter"
    assert writes(result) == WRITES | {f"PUT {PC}": 1}
    assert_listed_by_tag(result)
