"""The strategy kit: the built-in strategies run through the real engine against a provider, with
an observer that checks what users of the cluster would see, as a pytest test class.

A provider's tests opt in exactly like the conformance kit, with the same target fixture::

    # tests/test_strategy_kit.py of a provider distribution
    import pytest
    from cloudrig.testing import ConformanceTarget
    from cloudrig.testing.strategies import StrategySuite

    class TestMyCloudStrategies(StrategySuite):
        @pytest.fixture
        def conformance_target(self, my_cloud_server) -> ConformanceTarget:
            return ConformanceTarget(provider=..., descriptor=MY_DESCRIPTOR, ...)

(one class may subclass both ``ConformanceSuite`` and ``StrategySuite``). Optional fixture
``strategy_options`` returns a ``StrategyOptions`` (rolling steps, canary on or off, the health
deadline). Each check deploys a cluster of its own — ``target.capacity`` instances behind a load
balancer the kit creates with ``target.load_balancer_settings`` — twice: a first version, then the
strategy under test (rollback: two red/black deployments, then ``rig.rollback``). After every step
event the observer reads the provider's own nouns (never the strategy's belief) and checks:

- serving capacity: once something served, the healthy members in traffic never drop to zero, and
  once the cluster served at the strategy's target they never drop below it;
- traffic reaches only enabled groups (by the cloud's weights where it splits traffic);
- every instance of a disabled group behind a load balancer reports OUT_OF_SERVICE (or DRAINING
  while it leaves, or DOWN) — its own check, ``test_disabled_group_reports_out_of_service``
  (red/black twice), so that the strategy checks report the others;
- where traffic follows capacity (``traffic_split`` CAPACITY_ONLY or NONE), a new group is
  created in traffic, serving as soon as it is healthy; where the cloud splits by weight it may be
  created in or out of traffic (the strategies give it its share by weight).

A failure lists what a user would have seen, e.g. "during rolling red/black step 4 (shift-100),
after 'pin ... to 0/0/0', the load balancer had no healthy member in traffic". Canary runs where
``Canary.check`` accepts the capabilities (otherwise it is skipped with the reason). The engine's
crash matrix is an option (``StrategyOptions(crash_matrix=True)``): red/black killed right after
each of its requests in turn, then resumed like a restarted worker, observed throughout.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from cloudrig._errors import InvalidSpec
from cloudrig.canary import MetricSpec
from cloudrig.strategies import Canary, Highlander, RedBlack, RollingRedBlack
from cloudrig.testing._strategy_kit import StrategyKit
from cloudrig.testing._strategy_options import StrategyOptions
from cloudrig.testing._target import ConformanceTarget

__all__ = ["ConformanceTarget", "StrategyKit", "StrategyOptions", "StrategySuite"]

# Observer checks with a test of their own (so a provider can mark exactly that one as known
# failing); the strategy tests check everything else.
OWN_CHECKS = frozenset({"disabled"})


class StrategySuite:
    """Subclass it in a test module and supply the ``conformance_target`` fixture."""

    @pytest.fixture
    def conformance_target(self) -> ConformanceTarget:
        pytest.fail(
            f"{type(self).__name__} must define the fixture conformance_target, returning a "
            "cloudrig.testing.ConformanceTarget",
            pytrace=False,
        )

    @pytest.fixture
    def strategy_options(self) -> StrategyOptions:
        """Override to change how the kit runs (``cloudrig.testing.StrategyOptions``)."""
        return StrategyOptions()

    @pytest.fixture
    def strategy_kit(
        self,
        request: pytest.FixtureRequest,
        conformance_target: ConformanceTarget,
        strategy_options: StrategyOptions,
    ) -> Iterator[StrategyKit]:
        """The kit for one check; destroys its cluster and load balancer, then calls the
        target's ``teardown``."""
        kit = StrategyKit(conformance_target, strategy_options, request.node.name)
        try:
            yield kit
        finally:
            kit.cleanup()
            conformance_target.teardown()

    # -- the checks --------------------------------------------------------------------------------
    def test_highlander(self, strategy_kit: StrategyKit) -> None:
        """Highlander after a first version: the old group leaves traffic only once the new serves."""
        kit = strategy_kit
        kit.deploy(Highlander(), "highlander (first version)")
        kit.deploy(Highlander(), "highlander")
        kit.verdict(ignore=OWN_CHECKS)

    def test_red_black(self, strategy_kit: StrategyKit) -> None:
        """Red/black after a first version: one switch, capacity kept throughout."""
        kit = strategy_kit
        kit.deploy(RedBlack(), "red/black (first version)")
        kit.deploy(RedBlack(), "red/black")
        kit.verdict(ignore=OWN_CHECKS)

    def test_rolling_red_black(self, strategy_kit: StrategyKit) -> None:
        """Rolling red/black after a red/black first version: each step keeps the target."""
        kit = strategy_kit
        rolling = RollingRedBlack(steps_percent=kit.options.rolling_steps)
        kit.deploy(RedBlack(), "red/black (first version)")
        kit.deploy(rolling, "rolling red/black")
        kit.verdict(ignore=OWN_CHECKS)

    def test_rollback(self, strategy_kit: StrategyKit) -> None:
        """Two red/black versions, then a rollback to the first: capacity kept throughout."""
        kit = strategy_kit
        kit.deploy(RedBlack(), "red/black (first version)")
        kit.deploy(RedBlack(), "red/black (second version)")
        kit.rollback("rollback")
        kit.verdict(ignore=OWN_CHECKS)

    def test_disabled_group_reports_out_of_service(self, strategy_kit: StrategyKit) -> None:
        """Red/black takes the first version out of traffic (by weight where the cloud splits
        traffic, else by disable): every instance of a disabled group behind the load balancer
        reports OUT_OF_SERVICE."""
        kit = strategy_kit
        kit.deploy(RedBlack(), "red/black (first version)")
        kit.deploy(RedBlack(), "red/black (second version)")
        kit.verdict(only=OWN_CHECKS)

    def test_red_black_resumed_after_a_crash_at_any_request(
        self,
        request: pytest.FixtureRequest,
        conformance_target: ConformanceTarget,
        strategy_options: StrategyOptions,
    ) -> None:
        """Red/black killed right after its k-th request, for every k (``crash_matrix``), then
        resumed like a restarted worker: it succeeds, observed throughout, with only the newest
        group enabled. Each kill point runs on a cluster of its own."""
        options = strategy_options
        if not options.crash_matrix:
            pytest.skip("the crash matrix is off (StrategyOptions(crash_matrix=True))")
        k = 1
        try:
            while True:
                kit = StrategyKit(conformance_target, options, f"{request.node.name}[k={k}]")
                try:
                    kit.deploy(RedBlack(), "red/black (first version)")
                    crashed = kit.crash_and_resume(RedBlack(), "red/black", k)
                    kit.verdict(ignore=OWN_CHECKS)
                finally:
                    kit.cleanup()
                if not crashed:
                    break
                k += options.crash_stride
        finally:
            conformance_target.teardown()
        assert k > 1, "red/black sent no request"

    def test_canary(self, strategy_kit: StrategyKit) -> None:
        """A canary (one short interval, passing metrics) after a red/black first version."""
        kit = strategy_kit
        if not kit.options.canary:
            pytest.skip("canary turned off by strategy_options")
        canary = Canary(metrics=(MetricSpec(name="latency"),), intervals=1, interval=0.3)
        try:
            canary.check(kit.target.capabilities, None)
        except InvalidSpec as exc:
            pytest.skip(f"the declared capabilities allow no canary: {exc}")
        kit.deploy(RedBlack(), "red/black (first version)")
        kit.deploy(canary, "canary")
        kit.verdict(ignore=OWN_CHECKS)
