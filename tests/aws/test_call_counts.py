"""API economy, counted at the proxy (benchmarks/calls runs the same scenarios and records them):
a red/black onto a cluster with one previous version stays within 16 requests (14 warm) (a hand-written
boto3 one makes 6; 3 of cloudrig's are the reads that carry the previous version's lifecycle
hooks, scaling policies and scheduled actions over), every request was admitted by the limiter, and concurrent deployments in one
process share their polls."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from support.calls import aws
from support.calls.harness import Result, measure

pytestmark = pytest.mark.moto


@pytest.fixture
def run_scenario(
    moto_aws: Any, aws_env: None, fault_proxy: Callable[..., Any]
) -> Callable[[str], Result]:
    def run(name: str) -> Result:
        moto_aws.reset()
        scenario = next(s for s in aws.scenarios(moto_aws) if s.name == name)
        return measure(scenario, lambda: fault_proxy(moto_aws.url))

    return run


def test_hand_written_baseline_makes_six_requests(run_scenario: Callable[[str], Result]) -> None:
    result = run_scenario("boto3-red-black-baseline")
    assert result.by_operation == {
        "CreateAutoScalingGroup": 1,
        "CreateLaunchTemplate": 1,
        "DescribeAutoScalingGroups": 1,
        "DescribeTargetHealth": 1,
        "DetachLoadBalancerTargetGroups": 1,
        "SuspendProcesses": 1,
    }


def test_red_black_within_sixteen_requests_all_admitted(
    run_scenario: Callable[[str], Result],
) -> None:
    result = run_scenario("cloudrig-red-black")
    assert result.total <= 16, result.by_operation
    assert result.admitted == result.total, "the proxy forwarded exactly what the limiter admitted"
    for mutation in (
        "CreateLaunchTemplate",
        "CreateAutoScalingGroup",
        "SuspendProcesses",
        "DetachLoadBalancerTargetGroups",
    ):
        assert result.by_operation[mutation] == 1, result.by_operation


@pytest.mark.slow
def test_concurrent_deployments_make_one_describe_per_poll(
    run_scenario: Callable[[str], Result],
) -> None:
    """4 red/blacks polling at once make the polls of one (counted by the limiter's read cache);
    what grows with N is each deployment's own reads: the decision reads (fresh by design) and
    the first read after each of its own writes."""
    one = run_scenario("cloudrig-red-black-concurrent-1")
    four = run_scenario("cloudrig-red-black-concurrent-4")
    assert four.admitted == four.total
    assert one.reads is not None
    assert four.reads is not None
    assert one.reads["polls"] >= 2, "the single deployment must poll"
    assert four.reads["polls"] <= one.reads["polls"] + 1, (one.reads, four.reads)
    assert four.reads["decision"] == 4 * one.reads["decision"], (one.reads, four.reads)
    assert four.reads["after_own_write"] <= 4 * one.reads["after_own_write"]
    assert four.reads["served"] > 4 * one.reads["served"], "the others' polls were served"
    for read in ("DescribeAutoScalingGroups", "DescribeTargetHealth"):
        assert four.by_operation[read] < 4 * one.by_operation[read], (read, one, four)
