"""The Lambda provider passes the strategy kit (cloudrig.testing.strategies) on moto server: the
built-in strategies through the real engine, observed from the provider's own reads, on demand
(a version is one instance; no baseline beside a canary, two weighted versions per alias)."""

from __future__ import annotations

import pytest

from cloudrig.testing import StrategyOptions
from cloudrig.testing.strategies import StrategySuite

from . import test_conformance

pytestmark = pytest.mark.moto


class TestLambdaStrategies(StrategySuite):
    conformance_target = test_conformance.TestLambdaProvider.conformance_target

    @pytest.fixture
    def strategy_options(self) -> StrategyOptions:
        # Canaries on this provider run in test_strategies.py; the kit's adds ~7 s of waits.
        return StrategyOptions(canary=False)
