"""The fault matrix (docs/architecture.md §6): every strategy, each fault, injected before and after every
mutating call of its fault-free run, on the reference provider in virtual time.

Faults: a crash (the worker dies; a fresh one resumes from the state store), a 5xx and throttling
(retried: the call may or may not have taken effect), instances that fail to boot, the old group
turning unhealthy, a metrics outage, and a second worker taking the lease over. Invariants 1-3 are
checked after every mutating call by an observer of the cloud; the others once the deployment is
finished (after however many resumes it took). See ``invariants.py`` and ``scenarios.py``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from strategies.scenarios import CASES, FAULTS, clean_trace, run

from cloudrig.engine import DeploymentStatus

OK = {DeploymentStatus.SUCCEEDED}
EITHER = {DeploymentStatus.SUCCEEDED, DeploymentStatus.FAILED, DeploymentStatus.ROLLED_BACK}
EXPECTED = {
    "crash": OK,
    "5xx": OK,
    "throttle": OK,
    "second_worker": OK,
    "unhealthy_old": OK,
    "boot_failure": EITHER,
    "metric_outage": EITHER,
}


def _cases() -> list[pytest.param]:
    params = []
    for name in CASES:
        calls = clean_trace(name)
        for fault in FAULTS:
            if fault == "metric_outage" and name != "canary":
                continue  # only the canary reads metrics
            for k in range(1, calls + 1):
                for when in ("before", "after"):
                    params.append(
                        pytest.param(name, fault, k, when, id=f"{name}-{fault}-{when}-{k}")
                    )
    return params


@pytest.mark.parametrize(("name", "fault", "k", "when"), _cases())
def test_fault_matrix(tmp_path: Path, name: str, fault: str, k: int, when: str) -> None:
    world, record, checker = run(tmp_path, name, fault, k, when)
    assert record.status in EXPECTED[fault], f"{record.status}: {record.error}"
    assert not checker.violations
    # the fault really happened
    if fault == "crash":
        assert checker.interrupted == "crash"
    elif fault == "second_worker":
        # before the first call the other worker holds the lease from the start: this one waits
        held_from_start = k == 1 and when == "before"
        assert checker.interrupted == (None if held_from_start else "lease lost")
    elif fault in ("5xx", "throttle"):
        assert world.errors_seen, "the injected error never reached the strategy"
    elif fault == "boot_failure" and k == 1 and when == "before" and name != "rollback":
        assert record.status is DeploymentStatus.FAILED
    if fault == "boot_failure" and record.status is DeploymentStatus.FAILED:
        # invariant 8: the health wait ended at its deadline, and that ran the rollback
        assert "WaitTimeout" in (record.error or "")
    elif fault == "metric_outage" and k == 1 and when == "before":
        assert record.status is DeploymentStatus.ROLLED_BACK  # inconclusive, then rejected


VARIANT_PROVIDERS = ("ref-capacity", "ref-lambda", "ref-none")
VARIANT_FAULTS = ("crash", "5xx", "boot_failure")


def _variant_cases() -> list[pytest.param]:
    params = []
    for provider in VARIANT_PROVIDERS:
        for name in ("red-black", "rolling", "canary", "rollback"):
            calls = clean_trace(name, provider)
            for fault in VARIANT_FAULTS:
                for k in range(1, calls + 1):
                    for when in ("before", "after"):
                        params.append(
                            pytest.param(
                                provider,
                                name,
                                fault,
                                k,
                                when,
                                id=f"{provider}-{name}-{fault}-{when}-{k}",
                            )
                        )
    return params


@pytest.mark.parametrize(("provider", "name", "fault", "k", "when"), _variant_cases())
def test_fault_matrix_on_capability_variants(
    tmp_path: Path, provider: str, name: str, fault: str, k: int, when: str
) -> None:
    """The same strategies adapt to providers that weight traffic over two groups only and cannot
    resize (Lambda-like), that move traffic by capacity (Kubernetes-like), or all-or-nothing."""
    _, record, checker = run(tmp_path, name, fault, k, when, provider=provider)
    assert record.status in EXPECTED[fault], f"{record.status}: {record.error}"
    assert not checker.violations
    if fault == "crash":
        assert checker.interrupted == "crash"
