"""Fault injection of the reference provider: errors, throttling, latency and crashes, on a
chosen window of calls, and how the core's ``Account`` guard lets each through."""

from __future__ import annotations

import pytest
from core.refkit import REGION, spec

import cloudrig
import cloudrig.provider
from cloudrig import ProviderFailure, Throttled
from cloudrig.testing import ManualClock, ReferenceCloud, SimulatedCrash


def test_error_on_the_nth_call_only(account: cloudrig.Account, cloud: ReferenceCloud) -> None:
    rule = cloud.faults.fail("list_server_groups", ProviderFailure, nth=2)
    account.server_groups.list("checkout")
    with pytest.raises(ProviderFailure, match="injected fault in list_server_groups"):
        account.server_groups.list("checkout")
    account.server_groups.list("checkout")
    assert (rule.seen, rule.fired) == (3, 1)
    outcomes = [e.outcome for e in cloud.calls("list_server_groups")]
    assert outcomes == ["ok", "ProviderFailure", "ok"]


def test_throttling_for_the_next_k_calls(account: cloudrig.Account, cloud: ReferenceCloud) -> None:
    cloud.faults.throttle("check", retry_after=1.5, times=2)
    for _ in range(2):
        with pytest.raises(Throttled) as caught:
            account.check()
        assert caught.value.retry_after == 1.5
    assert account.check().identity.endswith(cloud.name)


def test_window_starting_at_nth_for_k_calls(
    account: cloudrig.Account, cloud: ReferenceCloud
) -> None:
    cloud.faults.fail("check", cloudrig.PermissionDenied("no"), nth=2, times=2)
    results = []
    for _ in range(4):
        try:
            account.check()
            results.append("ok")
        except cloudrig.PermissionDenied:
            results.append("denied")
    assert results == ["ok", "denied", "denied", "ok"]


def test_latency_on_every_call_is_slept_on_the_clock(
    account: cloudrig.Account, cloud: ReferenceCloud, clock: ManualClock
) -> None:
    cloud.faults.delay("*", 2.5)
    account.check()
    account.server_groups.list("checkout")
    assert clock.elapsed == pytest.approx(5.0)
    assert clock.sleeps == [2.5, 2.5]


def test_crash_after_the_call_took_effect_then_resume(
    account: cloudrig.Account, cloud: ReferenceCloud
) -> None:
    cloud.faults.crash("create_server_group", nth=1)
    with pytest.raises(SimulatedCrash):  # not converted: it unwinds like a dying process
        account.create_server_group(spec(), deployment_id="dep-1")
    (created,) = cloud.groups.values()
    assert created.deployment_id == "dep-1"
    assert cloud.calls("create_server_group")[-1].outcome == "crash"
    # The resumed run finds its group by deployment id and re-issues the same create.
    resumed = account.create_server_group(spec(), deployment_id="dep-1", sequence=1)
    assert resumed.name == created.name
    assert len(cloud.groups) == 1


def test_crash_before_the_call_changes_nothing(
    account: cloudrig.Account, cloud: ReferenceCloud
) -> None:
    cloud.faults.crash("create_server_group", after_call=False)
    with pytest.raises(SimulatedCrash):
        account.create_server_group(spec())
    assert cloud.groups == {}


def test_a_leaked_raw_exception_becomes_provider_failure_at_the_account(
    account: cloudrig.Account, cloud: ReferenceCloud
) -> None:
    cloud.faults.fail("get_server_group", KeyError("Reservations"))
    with pytest.raises(KeyError):
        account.provider.server_groups.get(REGION, "x-v000")  # the raw provider leaks it
    with pytest.raises(
        ProviderFailure, match="failed in get_server_group with an unmapped KeyError"
    ) as caught:
        account.server_groups.get(REGION, "x-v000")
    assert isinstance(caught.value.__cause__, KeyError)
    assert (caught.value.provider, caught.value.account) == ("reference", "ref")


def test_provider_errors_pass_the_guard_unchanged(
    account: cloudrig.Account, cloud: ReferenceCloud
) -> None:
    error = cloudrig.Conflict("taken", resource="x")
    cloud.faults.fail("check", error)
    with pytest.raises(cloudrig.Conflict) as caught:
        account.check()
    assert caught.value is error


def test_rules_can_be_removed_and_cleared(account: cloudrig.Account, cloud: ReferenceCloud) -> None:
    rule = cloud.faults.fail("check", ProviderFailure)
    cloud.faults.remove(rule)
    account.check()
    cloud.faults.fail("check", ProviderFailure)
    cloud.faults.clear()
    account.check()


@pytest.mark.parametrize("window", [{"nth": 0}, {"times": 0}])
def test_windows_count_from_one(cloud: ReferenceCloud, window: dict[str, int]) -> None:
    with pytest.raises(ValueError, match=r"nth|times"):
        cloud.faults.fail("check", ProviderFailure, **window)


def test_a_set_of_operations_counts_only_its_calls(
    account: cloudrig.Account, cloud: ReferenceCloud
) -> None:
    """The fault matrix's "crash right after the 2nd mutating call": reads do not count."""
    cloud.faults.crash(cloudrig.provider.MUTATING, nth=2)
    group = account.create_server_group(spec(), sequence=0)  # mutation 1 (after a read)
    account.server_groups.get(REGION, group.name)
    with pytest.raises(SimulatedCrash):
        account.server_groups.disable(REGION, group.name)  # mutation 2: applied, then the crash
    assert not cloud.groups[(REGION, group.name)].enabled
    account.server_groups.enable(REGION, group.name)  # the window has passed
    outcomes = [
        (e.operation, e.outcome) for e in cloud.calls() if e.operation in cloudrig.provider.MUTATING
    ]
    assert outcomes == [
        ("create_server_group", "ok"),
        ("disable_server_group", "crash"),
        ("enable_server_group", "ok"),
    ]
