"""API economy, counted at the emulator (benchmarks/calls/gcp.py runs the same scenarios and
records them): a red/black onto a cluster with one previous version stays within twice what a
hand-written compute_v1 one makes (14, its named port included), every request was admitted by the
limiter, and concurrent deployments in one process share their polls."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from support.calls import gcp
from support.calls.harness import Result, measure

pytestmark = pytest.mark.gcp


@pytest.fixture
def run_scenario(gcp_compute: Any) -> Callable[[str], Result]:
    def run(name: str) -> Result:
        gcp_compute.reset()
        scenario = next(s for s in gcp.scenarios(gcp_compute) if s.name == name)
        return measure(scenario, lambda: gcp.EmulatorCounter(gcp_compute))

    return run


def test_hand_written_baseline(run_scenario: Callable[[str], Result]) -> None:
    result = run_scenario("compute-red-black-baseline")
    assert result.total == 14, result.by_operation


def test_red_black_within_budget_all_admitted(run_scenario: Callable[[str], Result]) -> None:
    result = run_scenario("cloudrig-red-black")
    assert result.total <= 2 * 14, result.by_operation
    assert result.admitted == result.total, "the emulator saw exactly what the limiter admitted"
    for mutation in (
        "regionInstanceTemplates.insert",
        "regionInstanceGroupManagers.insert",
        "regionInstanceGroups.setNamedPorts",
    ):
        assert result.by_operation[mutation] == 1, result.by_operation
    # The new group joins the backend service, the old one leaves it: two patches, no update.
    assert result.by_operation["backendServices.patch"] == 2, result.by_operation
    assert "backendServices.update" not in result.by_operation
    # Each backend change reads the service's fingerprint first (the create's read also tells
    # the named port; the traffic step finds the group at 100 % in the listing: 2 reads).
    assert result.by_operation["backendServices.get"] == 2, result.by_operation
    waits = sum(n for op, n in result.by_operation.items() if op.endswith("Operations.wait"))
    assert waits == 5, "each of the 5 mutations is waited once, on the configured endpoint"


@pytest.mark.slow
def test_concurrent_deployments_share_their_polls(run_scenario: Callable[[str], Result]) -> None:
    one = run_scenario("cloudrig-red-black-concurrent-1")
    four = run_scenario("cloudrig-red-black-concurrent-4")
    assert four.admitted == four.total
    assert one.by_operation["regionInstanceGroupManagers.listManagedInstances"] >= 2
    # The project's group listing serves every deployment's poll.
    read = "instanceGroupManagers.aggregatedList"
    assert four.by_operation[read] < 4 * one.by_operation[read], (read, one, four)
    # Writers of one process take turns per backend service: no deployment meets another's
    # fingerprint, so each change is one patch (a join and a leave per deployment), no 412 retry.
    assert four.by_operation["backendServices.patch"] == 2 * 4, four.by_operation
