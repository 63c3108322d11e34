"""API economy on the real kube-apiserver, counted at the proxy (benchmarks/calls/kube.py
runs the same scenarios and records them): a red/black onto a cluster with one previous version
stays within its budget, and every request the proxy forwarded was admitted by the limiter."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from support.calls import kube as kube_calls
from support.calls.harness import Result, measure
from support.kube import KubeCluster

pytestmark = pytest.mark.kube


@pytest.fixture
def run_scenario(
    kube_cluster: KubeCluster, kubelet: Any, fault_proxy: Callable[..., Any]
) -> Callable[[str], Result]:
    def run(name: str) -> Result:
        scenario = next(s for s in kube_calls.scenarios(kube_cluster) if s.name == name)
        return measure(
            scenario, lambda: kube_calls.NamedCounts(fault_proxy(kube_cluster.api_url, tls=True))
        )

    return run


def test_hand_written_baseline_makes_six_requests(run_scenario: Callable[[str], Result]) -> None:
    assert run_scenario("client-red-black-baseline").total == 6


def test_red_black_within_budget_all_admitted(run_scenario: Callable[[str], Result]) -> None:
    result = run_scenario("cloudrig-red-black")
    assert result.total <= 2 * 6, result.by_operation  # twice the hand-written floor
    assert result.admitted == result.total, "the proxy forwarded exactly what the limiter admitted"
    assert result.by_operation["POST /apis/apps/v1/namespaces/{ns}/replicasets"] == 1
