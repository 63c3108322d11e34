"""The strategy kit (``cloudrig.testing.strategies``) passes the reference provider and its variants
with fewer capabilities, and fails a provider that creates groups out of traffic on a
capacity-split cloud with what a user would have seen (issue 19). The failing case runs in a
nested pytest session (``pytester``), as a provider's own test suite would run the kit."""

from __future__ import annotations

import pytest
from core.test_reference_conformance import GCP_LIKE, KUBERNETES_LIKE, LAMBDA_LIKE

from cloudrig.provider import Capabilities, NamingPolicy, TrafficSplit
from cloudrig.testing import (
    CAPACITY_SPLIT,
    ConformanceTarget,
    StrategyOptions,
    reference_target,
)
from cloudrig.testing.conformance import ConformanceSuite
from cloudrig.testing.strategies import StrategySuite

CHECKS = sorted(name for name in dir(StrategySuite) if name.startswith("test_"))
# Skipped unless StrategyOptions(crash_matrix=True): the reference provider's requests pass no
# limiter gate, where the kill switch sits (tests/aws/test_strategy_kit.py runs it).
OPT_IN = 1
ALL_OR_NOTHING = Capabilities(traffic_split=TrafficSplit.NONE, baseline_beside_canary=True)


class TestReferenceProvider(StrategySuite):
    @pytest.fixture
    def conformance_target(self) -> ConformanceTarget:
        return reference_target()


class TestLambdaLikeVariant(StrategySuite):
    @pytest.fixture
    def conformance_target(self) -> ConformanceTarget:
        return reference_target(
            capabilities=LAMBDA_LIKE, naming=NamingPolicy(max_length=64, allowed="a-zA-Z0-9_")
        )


class TestKubernetesLikeVariant(StrategySuite):
    @pytest.fixture
    def conformance_target(self) -> ConformanceTarget:
        return reference_target(capabilities=KUBERNETES_LIKE)


class TestGcpLikeVariant(StrategySuite):
    @pytest.fixture
    def conformance_target(self) -> ConformanceTarget:
        return reference_target(capabilities=GCP_LIKE)


class TestAllOrNothingVariant(StrategySuite):
    """No weighted split (all or nothing per group): rolling red/black moves capacity, in steps."""

    @pytest.fixture
    def conformance_target(self) -> ConformanceTarget:
        return reference_target(capabilities=ALL_OR_NOTHING)

    @pytest.fixture
    def strategy_options(self) -> StrategyOptions:
        return StrategyOptions(rolling_steps=(25, 50, 100))


class TestCapacitySplitCloud(StrategySuite):
    """The plain reference provider on the capacity-split cloud the unsafe variant declares."""

    @pytest.fixture
    def conformance_target(self) -> ConformanceTarget:
        return reference_target(capabilities=CAPACITY_SPLIT)


SUITE = """
import pytest
from cloudrig.testing import CreatesOutOfTraffic, reference_target
from cloudrig.testing.strategies import StrategySuite

class TestOutOfTraffic(StrategySuite):
    @pytest.fixture
    def conformance_target(self):
        return reference_target(CreatesOutOfTraffic)
"""


def run_kit(pytester: pytest.Pytester, source: str) -> pytest.RunResult:
    pytester.makepyfile(test_kit=source)
    return pytester.runpytest_inprocess("-p", "no:cacheprovider", "-p", "no:hypothesispytest")


def test_out_of_traffic_creates_fail_with_what_users_saw(pytester: pytest.Pytester) -> None:
    result = run_kit(pytester, SUITE)
    # Its disabled groups do report OUT_OF_SERVICE: that one check passes.
    result.assert_outcomes(failed=len(CHECKS) - 1 - OPT_IN, passed=1, skipped=OPT_IN)
    output = result.stdout.str()
    # Rolling red/black on a capacity-split cloud: the old group shrinks while the new one,
    # created out of traffic, serves nothing; at the last step nothing serves at all.
    result.stdout.fnmatch_lines(
        [
            "*[[]test_rolling_red_black[]] CreatesOutOfTraffic: what users of the cluster would*",
            "*[[]capacity[]] during rolling red/black step 3 (shift-50), after 'pin *-kit-v001 to "
            "1/1/1', the load balancer had 1 healthy member(s) in traffic, below the strategy's "
            "target of 2",
            "*[[]capacity[]] during rolling red/black step 4 (shift-100), after 'pin *-kit-v001 to "
            "0/0/0', the load balancer had no healthy member in traffic",
        ]
    )
    # Every strategy reports the cause: the new group was created out of traffic.
    assert output.count("was created out of traffic (enabled=False)") >= len(CHECKS) - 1 - OPT_IN
    assert "traffic_split=capacity_only" in output


def test_out_of_traffic_variant_passes_the_conformance_kit(pytester: pytest.Pytester) -> None:
    """What issue 19 found: the operation checks alone pass this provider."""
    source = """
import pytest
from cloudrig.testing import CreatesOutOfTraffic, reference_target
from cloudrig.testing.conformance import ConformanceSuite

class TestOutOfTraffic(ConformanceSuite):
    @pytest.fixture
    def conformance_target(self):
        return reference_target(CreatesOutOfTraffic)
"""
    result = run_kit(pytester, source)
    passed = len([n for n in dir(ConformanceSuite) if n.startswith("test_")])
    assert result.ret == 0, result.stdout.str()
    assert result.parseoutcomes()["passed"] >= passed


def test_missing_target_fixture_says_what_to_define(pytester: pytest.Pytester) -> None:
    result = run_kit(
        pytester,
        """
from cloudrig.testing.strategies import StrategySuite

class TestForgotTarget(StrategySuite):
    pass
""",
    )
    result.assert_outcomes(errors=len(CHECKS))
    result.stdout.fnmatch_lines(["*TestForgotTarget must define the fixture conformance_target*"])


DISABLED_LOOKS_UP = """
import pytest
from cloudrig import Instance
from cloudrig.testing import CLOUD_SOURCE, ReferenceProvider, reference_target
from cloudrig.testing._provider import ReferenceServerGroups
from cloudrig.testing.strategies import StrategySuite

class CloudOnlyHealth(ReferenceServerGroups):
    def list(self, app, region=None):
        return [
            group.model_copy(update={"instances": tuple(
                Instance(id=i.id, zone=i.zone, launched_at=i.launched_at,
                         details=tuple(d for d in i.details if d.source == CLOUD_SOURCE))
                for i in group.instances)})
            for group in super().list(app, region)
        ]

class DisabledLooksUp(ReferenceProvider):
    server_groups: CloudOnlyHealth

class TestDisabledLooksUp(StrategySuite):
    @pytest.fixture
    def conformance_target(self):
        return reference_target(DisabledLooksUp)
"""


def test_disabled_group_reporting_up_fails_only_its_own_check(pytester: pytest.Pytester) -> None:
    """A provider whose disabled groups report only the cloud's Up (no load balancer view, as
    if still serving) fails exactly test_disabled_group_reports_out_of_service."""
    result = run_kit(pytester, DISABLED_LOOKS_UP)
    result.assert_outcomes(failed=1, passed=len(CHECKS) - 1 - OPT_IN, skipped=OPT_IN)
    result.stdout.fnmatch_lines(
        [
            "*test_disabled_group_reports_out_of_service*",
            "*[[]disabled[]] during red/black (second version) step * was disabled but its "
            "instance i-* reported UP instead of OUT_OF_SERVICE (cloud: UP)",
        ]
    )
